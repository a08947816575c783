/*
 * ann_client.c
 *	  ANN query benchmark for bench/ann.sh: runs
 *	  "SELECT id FROM items ORDER BY v <=> $1 LIMIT 10" under several
 *	  configurations, interleaved in rounds, from one client or several
 *	  concurrent ones, and reports recall against the exact ground truth
 *	  plus throughput and latency for each.
 *
 * usage: ann_client [--rounds N] [--warmup N] [--query SQL] [--param-type TYPE]
 *                   [--labels BASE.i32 QUERY.i32] [--exclude IDS.i32]
 *                   [--clients N] QUERY.fbin GT.i32 CONFIG...
 *
 * CONFIG is "LABEL|NQ|SQL": a label for the report, how many queries to run
 * (the first NQ of the query file; "all" for all of them), and the SQL run
 * once on the configuration's own connection before it prepares the query
 * (normally SET statements; may be empty).  Example:
 *
 *   'exact|200|SET enable_indexscan = off'
 *   'bxann probes 8, ef_search 40|all|SET bxann.probes = 8; SET bxann.ef_search = 40'
 *
 * Each configuration has its own connection, so its settings and prepared
 * statement stay put while the configurations take turns: after --warmup
 * unrecorded passes (default 1), every round runs each configuration over
 * its queries in command-line order.  Query vectors go as binary
 * face_embedding parameters (uint16 dim, uint8 taglen 0, uint8 0, then dim
 * big-endian float4).  Latency is the wall time of PQexecPrepared.
 * --query replaces the query (bench/shards.sh: the coordinator's search
 * over a sharded gallery; bench/ann_vs_pgvector.sh: pgvector's tables); it
 * takes the vector as $1 and returns the ten ids in its first column.
 * --param-type names $1's type (default bxexit.face_embedding): an
 * untagged face_embedding has pgvector's binary layout, so the same bytes
 * go as a pgvector "vector".
 *
 * --labels BASE_LABELS.i32 QUERY_LABELS.i32 (the generator's identity of
 * every row, id i + 1 being row i, and of every query) adds the mated
 * figures of 1:N identification: mated@1, the share of queries whose first
 * row is of the query's identity, and mated-all@10, the share whose ten
 * rows hold every enrolled row of that identity (a person's all photos).
 *
 * --exclude IDS.i32 (headerless int32 ids of rows deleted since the ground
 * truth was computed): the truth of a query becomes the first ten ids of
 * its exact list (GT.i32 holds more than ten: the generator's top-100) that
 * are not excluded, and excluded rows no longer count as enrolled rows of
 * their identity; a query whose identity has no row left is left out of
 * the mated figures (its count is printed to stderr).
 *
 * --clients N (default 1) runs each configuration's queries on N
 * connections at once, one thread each, query i on connection i mod N:
 * q/s is then the total of all N (executions / wall time of the passes),
 * p50 and p99 are over all executions.  With 1 client q/s is the same
 * (executions / their summed wall time, i.e. 1 / mean latency).
 *
 * Connection parameters come from the PG* environment.  Output on stdout:
 * "# plan LABEL: ..." lines (EXPLAIN of the first query) and a tab-separated
 * table with a header line: label, queries per round, executions,
 * recall@10, recall@1, queries/s, p50 ms, p99 ms, mated@1, mated-all@10
 * ("-" without --labels).  Progress goes to stderr.
 * Exit status 0 on success, 1 on any error.
 */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "../common/bench_util.h"

#define K_RESULT 10				/* the query's LIMIT */
#define QUERY_SQL "SELECT id FROM items ORDER BY v OPERATOR(bxexit.<=>) $1 LIMIT 10"

static const char *query_sql = QUERY_SQL;
static const char *param_type = "bxexit.face_embedding";

/* --labels: identities of the rows (by id - 1) and of the queries */
static int32_t *base_label;
static int32_t nbase;
static int32_t *query_label;
static int32_t *identity_rows;	/* rows per identity, by label */
static int32_t maxlabel;

/* --exclude: deleted ids, by id (0 .. nexcl_ids - 1) */
static char *excluded;
static int32_t nexcl_ids;

/* the truth of each query: its ten nearest ids not excluded */
static int32_t *truth10;

/* the query parameters, shared by all connections */
static char **params;
static int *lens;

struct Config;

/* One connection of a configuration and what its executions recorded. */
typedef struct Client
{
	struct Config *cfg;
	int			index;			/* runs queries index, index + nclients, ... */
	int			record;			/* this pass is measured */
	PGconn	   *conn;
	double	   *lat;			/* seconds, one per recorded execution */
	long		nlat;
	long		hits10;			/* sum over executions of |result ∩ truth10| */
	long		hits1;			/* executions whose first id is the truth's first */
	long		mated_n;		/* executions counted in the mated figures */
	long		mated1;			/* ... whose first row is the query's identity */
	long		mated_all;		/* ... whose ten rows hold all of its rows */
} Client;

typedef struct Config
{
	char	   *label;
	int			nq;				/* queries per round */
	char	   *setup_sql;
	Client	   *clients;		/* nclients of them */
	double		wall;			/* seconds of the measured passes */
} Config;

static int	nclients = 1;

/* Read a whole file of "int32 a, int32 b, then a*b items of 4 bytes". */
static void *
read_matrix(const char *path, int32_t *a, int32_t *b)
{
	FILE	   *f = fopen(path, "rb");
	int32_t		hdr[2];
	void	   *data;
	size_t		n;

	if (f == NULL)
		bench_die("cannot open %s", path);
	if (fread(hdr, 4, 2, f) != 2 || hdr[0] <= 0 || hdr[1] <= 0)
		bench_die("bad header in %s", path);
	n = (size_t) hdr[0] * (size_t) hdr[1];
	data = bench_xmalloc(n * 4);
	if (fread(data, 4, n, f) != n)
		bench_die("%s is truncated", path);
	fclose(f);
	*a = hdr[0];
	*b = hdr[1];
	return data;
}

/* Read a whole headerless file of int32; *n gets the count. */
static int32_t *
read_int32s(const char *path, int32_t *n)
{
	FILE	   *f = fopen(path, "rb");
	long		bytes;
	int32_t    *data;

	if (f == NULL)
		bench_die("cannot open %s", path);
	if (fseek(f, 0, SEEK_END) != 0 || (bytes = ftell(f)) <= 0 || bytes % 4 != 0 ||
		bytes / 4 > INT32_MAX || fseek(f, 0, SEEK_SET) != 0)
		bench_die("%s is not a file of int32", path);
	data = bench_xmalloc((size_t) bytes);
	if (fread(data, 4, (size_t) bytes / 4, f) != (size_t) bytes / 4)
		bench_die("%s is truncated", path);
	fclose(f);
	*n = (int32_t) (bytes / 4);
	return data;
}

/* The label files of --labels, checked against each other and the queries. */
static void
read_labels(const char *base_path, const char *query_path, int32_t nq)
{
	int32_t		nql;

	base_label = read_int32s(base_path, &nbase);
	query_label = read_int32s(query_path, &nql);
	if (nql != nq)
		bench_die("%s has %d labels for %d queries", query_path, nql, nq);
	for (int32_t i = 0; i < nbase; i++)
	{
		if (base_label[i] < 0)
			bench_die("negative label in %s", base_path);
		if (base_label[i] > maxlabel)
			maxlabel = base_label[i];
	}
	identity_rows = calloc((size_t) maxlabel + 1, sizeof(int32_t));
	if (identity_rows == NULL)
		bench_die("out of memory");
	for (int32_t i = 0; i < nbase; i++)
		identity_rows[base_label[i]]++;
	for (int32_t i = 0; i < nq; i++)
		if (query_label[i] < 0 || query_label[i] > maxlabel || identity_rows[query_label[i]] == 0)
			bench_die("query %d is of an identity with no row", i);
}

/* The identity of row id, or -1 for an id outside the labelled rows. */
static int32_t
label_of(long id)
{
	return (id >= 1 && id <= nbase) ? base_label[id - 1] : -1;
}

static int
is_excluded(long id)
{
	return excluded != NULL && id >= 0 && id < nexcl_ids && excluded[id];
}

/*
 * --exclude: mark the ids of path as deleted, and take them off their
 * identity's enrolled rows (call after read_labels, if any).
 */
static void
read_excluded(const char *path)
{
	int32_t		n;
	int32_t    *ids = read_int32s(path, &n);

	nexcl_ids = 1;
	for (int32_t i = 0; i < n; i++)
	{
		if (ids[i] < 0)
			bench_die("negative id in %s", path);
		if (ids[i] >= nexcl_ids)
			nexcl_ids = ids[i] + 1;
	}
	excluded = calloc((size_t) nexcl_ids, 1);
	if (excluded == NULL)
		bench_die("out of memory");
	for (int32_t i = 0; i < n; i++)
	{
		if (excluded[ids[i]])
			continue;
		excluded[ids[i]] = 1;
		if (base_label != NULL && label_of(ids[i]) >= 0)
			identity_rows[label_of(ids[i])]--;
	}
	free(ids);
}

/* The first ten ids of each query's exact list that are not excluded. */
static void
make_truth(const int32_t *gt, int32_t nq, int32_t gt_k)
{
	truth10 = bench_xmalloc(sizeof(int32_t) * (size_t) nq * K_RESULT);
	for (int32_t qi = 0; qi < nq; qi++)
	{
		int			n = 0;

		for (int32_t k = 0; k < gt_k && n < K_RESULT; k++)
			if (!is_excluded(gt[(size_t) qi * gt_k + k]))
				truth10[(size_t) qi * K_RESULT + n++] = gt[(size_t) qi * gt_k + k];
		if (n < K_RESULT)
			bench_die("query %d: fewer than %d of its %d exact neighbours are left", qi, K_RESULT, gt_k);
	}
}

/* Encode one vector in face_embedding's binary wire format, untagged. */
static char *
encode(const float *x, int dim, int *len)
{
	unsigned char *buf = bench_xmalloc(4 + (size_t) dim * 4);
	uint16_t	d = htons((uint16_t) dim);

	memcpy(buf, &d, 2);
	buf[2] = 0;					/* taglen */
	buf[3] = 0;					/* reserved */
	for (int i = 0; i < dim; i++)
	{
		uint32_t	u;

		memcpy(&u, &x[i], 4);
		u = htonl(u);
		memcpy(buf + 4 + i * 4, &u, 4);
	}
	*len = 4 + dim * 4;
	return (char *) buf;
}

static void
check_result(PGresult *res, ExecStatusType want, const Config *c, const char *what)
{
	/* an error of any client ends the process: exit() is fine from a thread */
	if (PQresultStatus(res) != want)
	{
		fprintf(stderr, "ann_client: %s failed for \"%s\": %s", what, c->label,
				PQresultErrorMessage(res));
		exit(1);
	}
}

/* Server notices (e.g. a WARNING about an unknown setting) go to stderr. */
static void
notice_to_stderr(void *arg, const PGresult *res)
{
	const Config *c = arg;

	fprintf(stderr, "ann_client: [%s] %s", c->label, PQresultErrorMessage(res));
}

/*
 * Open one connection of the configuration, load the extension's library
 * (so settings under its reserved prefixes are checked, not taken as
 * placeholders), run its setup SQL, prepare the query and, for the first
 * connection, print its plan.
 */
static void
open_client(Client *cl, Oid type, const char *param, int param_len)
{
	Config	   *c = cl->cfg;
	PGresult   *res;
	const char *values[1] = {param};
	int			lengths[1] = {param_len};
	int			formats[1] = {1};
	char	   *explain;

	cl->conn = PQconnectdb("");
	if (PQstatus(cl->conn) != CONNECTION_OK)
		bench_die("cannot connect: %s", PQerrorMessage(cl->conn));
	PQsetNoticeReceiver(cl->conn, notice_to_stderr, c);

	res = PQexec(cl->conn, "SELECT '[1]'::bxexit.face_embedding");
	check_result(res, PGRES_TUPLES_OK, c, "loading bxexit");
	PQclear(res);
	if (c->setup_sql[0] != '\0')
	{
		res = PQexec(cl->conn, c->setup_sql);
		if (PQresultStatus(res) != PGRES_TUPLES_OK)
			check_result(res, PGRES_COMMAND_OK, c, c->setup_sql);
		PQclear(res);
	}

	res = PQprepare(cl->conn, "q", query_sql, 1, &type);
	check_result(res, PGRES_COMMAND_OK, c, "PREPARE");
	PQclear(res);
	if (cl->index > 0)
		return;

	explain = bench_xmalloc(strlen(query_sql) + 32);
	sprintf(explain, "EXPLAIN (COSTS OFF) %s", query_sql);
	res = PQexecParams(cl->conn, explain, 1, &type, values, lengths, formats, 0);
	check_result(res, PGRES_TUPLES_OK, c, "EXPLAIN");
	printf("# plan %s:", c->label);
	for (int i = 0; i < PQntuples(res); i++)
	{
		const char *line = PQgetvalue(res, i, 0);
		const char *lit = strstr(line, "'[");
		const char *lit_end = lit ? strstr(lit, "]'::") : NULL;

		line += strspn(line, " ->");
		if (lit_end)			/* show the query vector (and its cast) as $1 */
		{
			lit_end += strlen("]'::");
			lit_end += strspn(lit_end, "abcdefghijklmnopqrstuvwxyz_.");
			printf("%s %.*s$1%s", i ? " /" : "", (int) (lit - line), line, lit_end);
		}
		else
			printf("%s %s", i ? " /" : "", line);
	}
	printf("\n");
	PQclear(res);
	free(explain);
}

/* Run query qi once on cl; record latency and recall unless warming up. */
static void
run_one(Client *cl, int qi)
{
	const char *values[1] = {params[qi]};
	int			formats[1] = {1};
	const int32_t *truth = truth10 + (size_t) qi * K_RESULT;
	double		t0,
				t1;
	PGresult   *res;
	int			n;

	t0 = bench_now();
	res = PQexecPrepared(cl->conn, "q", 1, values, &lens[qi], formats, 0);
	t1 = bench_now();
	check_result(res, PGRES_TUPLES_OK, cl->cfg, "query");
	if (cl->record)
	{
		n = PQntuples(res);
		for (int r = 0; r < n && r < K_RESULT; r++)
		{
			long		id = strtol(PQgetvalue(res, r, 0), NULL, 10);

			for (int k = 0; k < K_RESULT; k++)
			{
				if (truth[k] == id)
				{
					cl->hits10++;
					break;
				}
			}
		}
		if (n > 0 && strtol(PQgetvalue(res, 0, 0), NULL, 10) == truth[0])
			cl->hits1++;
		if (base_label != NULL && identity_rows[query_label[qi]] > 0)
		{
			int32_t		want = query_label[qi];
			int			mates = 0;

			for (int r = 0; r < n && r < K_RESULT; r++)
				if (label_of(strtol(PQgetvalue(res, r, 0), NULL, 10)) == want)
					mates++;
			cl->mated_n++;
			if (n > 0 && label_of(strtol(PQgetvalue(res, 0, 0), NULL, 10)) == want)
				cl->mated1++;
			if (mates == (identity_rows[want] < K_RESULT ? identity_rows[want] : K_RESULT))
				cl->mated_all++;
		}
		cl->lat[cl->nlat++] = t1 - t0;
	}
	PQclear(res);
}

/* One client's share of a pass over its configuration's queries. */
static void *
run_client(void *arg)
{
	Client	   *cl = arg;

	for (int qi = cl->index; qi < cl->cfg->nq; qi += nclients)
		run_one(cl, qi);
	return NULL;
}

/* A pass of configuration c: its clients at once; adds the wall time if measured. */
static void
run_pass(Config *c, int record)
{
	pthread_t  *threads = bench_xmalloc(sizeof(pthread_t) * nclients);
	double		t0 = bench_now();

	for (int i = 0; i < nclients; i++)
		c->clients[i].record = record;
	if (nclients == 1)
		run_client(&c->clients[0]);
	else
	{
		for (int i = 0; i < nclients; i++)
			if (pthread_create(&threads[i], NULL, run_client, &c->clients[i]) != 0)
				bench_die("cannot start a client thread");
		for (int i = 0; i < nclients; i++)
			pthread_join(threads[i], NULL);
	}
	if (record)
		c->wall += bench_now() - t0;
	free(threads);
}

static void
usage(void)
{
	fprintf(stderr,
			"usage: ann_client [--rounds N] [--warmup N] [--query SQL] [--param-type TYPE]\n"
			"                  [--labels BASE.i32 QUERY.i32] [--exclude IDS.i32] [--clients N]\n"
			"                  QUERY.fbin GT.i32 'LABEL|NQ|SQL'...\n"
			"  NQ: number of queries (the first NQ of the file) or \"all\"\n");
	exit(1);
}

int
main(int argc, char **argv)
{
	int			rounds = 3;
	int			warmup = 1;
	int			argi = 1;
	const char *base_labels_path = NULL;
	const char *query_labels_path = NULL;
	const char *exclude_path = NULL;
	int32_t		nq,
				dim,
				gt_nq,
				gt_k;
	float	   *queries;
	int32_t    *gt;
	int			nconf;
	Config	   *conf;
	PGconn	   *conn;
	PGresult   *res;
	Oid			type;

	bench_progname = "ann_client";

	while (argi < argc && strncmp(argv[argi], "--", 2) == 0)
	{
		if (strcmp(argv[argi], "--rounds") == 0 && argi + 1 < argc)
			rounds = atoi(argv[argi + 1]);
		else if (strcmp(argv[argi], "--warmup") == 0 && argi + 1 < argc)
			warmup = atoi(argv[argi + 1]);
		else if (strcmp(argv[argi], "--query") == 0 && argi + 1 < argc)
			query_sql = argv[argi + 1];
		else if (strcmp(argv[argi], "--param-type") == 0 && argi + 1 < argc)
			param_type = argv[argi + 1];
		else if (strcmp(argv[argi], "--labels") == 0 && argi + 2 < argc)
		{
			base_labels_path = argv[argi + 1];
			query_labels_path = argv[argi + 2];
			argi++;
		}
		else if (strcmp(argv[argi], "--exclude") == 0 && argi + 1 < argc)
			exclude_path = argv[argi + 1];
		else if (strcmp(argv[argi], "--clients") == 0 && argi + 1 < argc)
			nclients = atoi(argv[argi + 1]);
		else
			usage();
		argi += 2;
	}
	if (argc - argi < 3 || rounds < 1 || warmup < 0 || nclients < 1 || nclients > 64)
		usage();

	queries = read_matrix(argv[argi], &nq, &dim);
	gt = read_matrix(argv[argi + 1], &gt_nq, &gt_k);
	if (gt_nq != nq || gt_k < K_RESULT)
		bench_die("%s does not match the query file (needs one row of >= 10 ids per query)", argv[argi + 1]);
	if (dim > 16000)
		bench_die("bad dimension in %s", argv[argi]);
	params = bench_xmalloc(sizeof(char *) * nq);
	if (base_labels_path != NULL)
		read_labels(base_labels_path, query_labels_path, nq);
	if (exclude_path != NULL)
		read_excluded(exclude_path);
	make_truth(gt, nq, gt_k);
	if (base_label != NULL && excluded != NULL)
	{
		int			lost = 0;

		for (int i = 0; i < nq; i++)
			if (identity_rows[query_label[i]] == 0)
				lost++;
		fprintf(stderr, "ann_client: %d of %d queries are of an identity with no row left:"
				" not counted in the mated figures\n", lost, nq);
	}
	lens = bench_xmalloc(sizeof(int) * nq);
	for (int i = 0; i < nq; i++)
		params[i] = encode(queries + (size_t) i * dim, dim, &lens[i]);

	conn = PQconnectdb("");
	if (PQstatus(conn) != CONNECTION_OK)
		bench_die("cannot connect: %s", PQerrorMessage(conn));
	{
		const char *tv[1] = {param_type};

		res = PQexecParams(conn, "SELECT $1::regtype::oid", 1, NULL, tv, NULL, NULL, 0);
	}
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		bench_die("type %s is not installed: %s", param_type, PQerrorMessage(conn));
	type = (Oid) strtoul(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	PQfinish(conn);

	nconf = argc - argi - 2;
	conf = bench_xmalloc(sizeof(Config) * nconf);
	for (int c = 0; c < nconf; c++)
	{
		char	   *spec = strdup(argv[argi + 2 + c]);
		char	   *bar1 = strchr(spec, '|');
		char	   *bar2 = bar1 ? strchr(bar1 + 1, '|') : NULL;
		char	   *end;

		if (bar2 == NULL)
			bench_die("bad configuration \"%s\": expected LABEL|NQ|SQL", argv[argi + 2 + c]);
		*bar1 = *bar2 = '\0';
		memset(&conf[c], 0, sizeof(Config));
		conf[c].label = spec;
		conf[c].setup_sql = bar2 + 1;
		if (strcmp(bar1 + 1, "all") == 0)
			conf[c].nq = nq;
		else
		{
			conf[c].nq = (int) strtol(bar1 + 1, &end, 10);
			if (*end != '\0' || conf[c].nq < 1)
				bench_die("bad query count in \"%s\"", argv[argi + 2 + c]);
			if (conf[c].nq > nq)
				conf[c].nq = nq;
		}
		conf[c].clients = bench_xmalloc(sizeof(Client) * nclients);
		for (int i = 0; i < nclients; i++)
		{
			Client	   *cl = &conf[c].clients[i];

			memset(cl, 0, sizeof(Client));
			cl->cfg = &conf[c];
			cl->index = i;
			cl->lat = bench_xmalloc(sizeof(double) * ((size_t) conf[c].nq / nclients + 1) * rounds);
			open_client(cl, type, params[0], lens[0]);
		}
	}

	for (int pass = 0; pass < warmup + rounds; pass++)
	{
		int			record = pass >= warmup;

		fprintf(stderr, "ann_client: %s %d of %d\n", record ? "round" : "warm-up pass",
				record ? pass - warmup + 1 : pass + 1, record ? rounds : warmup);
		for (int c = 0; c < nconf; c++)
			run_pass(&conf[c], record);
	}

	printf("label\tqueries\texecutions\trecall@10\trecall@1\tq/s\tp50 ms\tp99 ms\tmated@1\tmated-all@10\n");
	for (int c = 0; c < nconf; c++)
	{
		Config	   *cf = &conf[c];
		Client		all;

		/* the clients' figures summed, their latencies in one array */
		memset(&all, 0, sizeof(Client));
		all.lat = bench_xmalloc(sizeof(double) * ((size_t) cf->nq + nclients) * rounds);
		for (int i = 0; i < nclients; i++)
		{
			Client	   *cl = &cf->clients[i];

			memcpy(all.lat + all.nlat, cl->lat, sizeof(double) * cl->nlat);
			all.nlat += cl->nlat;
			all.hits10 += cl->hits10;
			all.hits1 += cl->hits1;
			all.mated_n += cl->mated_n;
			all.mated1 += cl->mated1;
			all.mated_all += cl->mated_all;
			PQfinish(cl->conn);
		}
		bench_sort(all.lat, all.nlat);
		printf("%s\t%d\t%ld\t%.4f\t%.4f\t%.1f\t%.2f\t%.2f",
			   cf->label, cf->nq, all.nlat,
			   (double) all.hits10 / (all.nlat * (double) K_RESULT),
			   (double) all.hits1 / all.nlat,
			   all.nlat / cf->wall,
			   bench_percentile(all.lat, all.nlat, 0.50) * 1e3,
			   bench_percentile(all.lat, all.nlat, 0.99) * 1e3);
		if (base_label != NULL && all.mated_n > 0)
			printf("\t%.4f\t%.4f\n", (double) all.mated1 / all.mated_n,
				   (double) all.mated_all / all.mated_n);
		else
			printf("\t-\t-\n");
		free(all.lat);
	}
	return 0;
}
