/*
 * ann_client.c
 *	  Single-client ANN query benchmark for bench/ann.sh: runs
 *	  "SELECT id FROM items ORDER BY v <=> $1 LIMIT 10" under several
 *	  configurations, interleaved in rounds, and reports recall against the
 *	  exact ground truth plus throughput and latency for each.
 *
 * usage: ann_client [--rounds N] [--warmup N] [--query SQL] [--param-type TYPE]
 *                   [--labels BASE.i32 QUERY.i32] QUERY.fbin GT.i32 CONFIG...
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
 * Connection parameters come from the PG* environment.  Output on stdout:
 * "# plan LABEL: ..." lines (EXPLAIN of the first query) and a tab-separated
 * table with a header line: label, queries per round, executions,
 * recall@10, recall@1, queries/s, p50 ms, p99 ms, mated@1, mated-all@10
 * ("-" without --labels).  Progress goes to stderr.
 * Exit status 0 on success, 1 on any error.
 */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
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

typedef struct Config
{
	char	   *label;
	int			nq;				/* queries per round */
	char	   *setup_sql;
	PGconn	   *conn;
	double	   *lat;			/* seconds, one per recorded execution */
	long		nlat;
	long		hits10;			/* sum over executions of |result ∩ gt10| */
	long		hits1;			/* executions whose first id is gt's first */
	long		mated1;			/* ... whose first row is the query's identity */
	long		mated_all;		/* ... whose ten rows hold all of its rows */
} Config;

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
	int32_t		nql,
				maxlabel = 0;

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
 * Open the configuration's connection, load the extension's library (so
 * settings under its reserved prefixes are checked, not taken as
 * placeholders), run its setup SQL, prepare the query and print its plan.
 */
static void
open_config(Config *c, Oid type, const char *param, int param_len)
{
	PGresult   *res;
	const char *values[1] = {param};
	int			lengths[1] = {param_len};
	int			formats[1] = {1};
	char	   *explain;

	c->conn = PQconnectdb("");
	if (PQstatus(c->conn) != CONNECTION_OK)
		bench_die("cannot connect: %s", PQerrorMessage(c->conn));
	PQsetNoticeReceiver(c->conn, notice_to_stderr, c);

	res = PQexec(c->conn, "SELECT '[1]'::bxexit.face_embedding");
	check_result(res, PGRES_TUPLES_OK, c, "loading bxexit");
	PQclear(res);
	if (c->setup_sql[0] != '\0')
	{
		res = PQexec(c->conn, c->setup_sql);
		if (PQresultStatus(res) != PGRES_TUPLES_OK)
			check_result(res, PGRES_COMMAND_OK, c, c->setup_sql);
		PQclear(res);
	}

	res = PQprepare(c->conn, "q", query_sql, 1, &type);
	check_result(res, PGRES_COMMAND_OK, c, "PREPARE");
	PQclear(res);

	explain = bench_xmalloc(strlen(query_sql) + 32);
	sprintf(explain, "EXPLAIN (COSTS OFF) %s", query_sql);
	res = PQexecParams(c->conn, explain, 1, &type, values, lengths, formats, 0);
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

/* Run query qi once on c; record latency and recall unless warming up. */
static void
run_one(Config *c, int qi, char **params, const int *lens, const int32_t *gt,
		int gt_k, int record)
{
	const char *values[1] = {params[qi]};
	int			formats[1] = {1};
	const int32_t *truth = gt + (size_t) qi * gt_k;
	double		t0,
				t1;
	PGresult   *res;
	int			n;

	t0 = bench_now();
	res = PQexecPrepared(c->conn, "q", 1, values, &lens[qi], formats, 0);
	t1 = bench_now();
	check_result(res, PGRES_TUPLES_OK, c, "query");
	if (record)
	{
		n = PQntuples(res);
		for (int r = 0; r < n && r < K_RESULT; r++)
		{
			long		id = strtol(PQgetvalue(res, r, 0), NULL, 10);

			for (int k = 0; k < K_RESULT; k++)
			{
				if (truth[k] == id)
				{
					c->hits10++;
					break;
				}
			}
		}
		if (n > 0 && strtol(PQgetvalue(res, 0, 0), NULL, 10) == truth[0])
			c->hits1++;
		if (base_label != NULL)
		{
			int32_t		want = query_label[qi];
			int			mates = 0;

			for (int r = 0; r < n && r < K_RESULT; r++)
				if (label_of(strtol(PQgetvalue(res, r, 0), NULL, 10)) == want)
					mates++;
			if (n > 0 && label_of(strtol(PQgetvalue(res, 0, 0), NULL, 10)) == want)
				c->mated1++;
			if (mates == (identity_rows[want] < K_RESULT ? identity_rows[want] : K_RESULT))
				c->mated_all++;
		}
		c->lat[c->nlat++] = t1 - t0;
	}
	PQclear(res);
}

static void
usage(void)
{
	fprintf(stderr,
			"usage: ann_client [--rounds N] [--warmup N] [--query SQL] [--param-type TYPE]\n"
			"                  [--labels BASE.i32 QUERY.i32]\n"
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
	int32_t		nq,
				dim,
				gt_nq,
				gt_k;
	float	   *queries;
	int32_t    *gt;
	char	  **params;
	int		   *lens;
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
		else
			usage();
		argi += 2;
	}
	if (argc - argi < 3 || rounds < 1 || warmup < 0)
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
		conf[c].lat = bench_xmalloc(sizeof(double) * (size_t) conf[c].nq * rounds);
		open_config(&conf[c], type, params[0], lens[0]);
	}

	for (int pass = 0; pass < warmup + rounds; pass++)
	{
		int			record = pass >= warmup;

		fprintf(stderr, "ann_client: %s %d of %d\n", record ? "round" : "warm-up pass",
				record ? pass - warmup + 1 : pass + 1, record ? rounds : warmup);
		for (int c = 0; c < nconf; c++)
			for (int qi = 0; qi < conf[c].nq; qi++)
				run_one(&conf[c], qi, params, lens, gt, gt_k, record);
	}

	printf("label\tqueries\texecutions\trecall@10\trecall@1\tq/s\tp50 ms\tp99 ms\tmated@1\tmated-all@10\n");
	for (int c = 0; c < nconf; c++)
	{
		Config	   *cf = &conf[c];
		double		total = 0;

		for (long i = 0; i < cf->nlat; i++)
			total += cf->lat[i];
		bench_sort(cf->lat, cf->nlat);
		printf("%s\t%d\t%ld\t%.4f\t%.4f\t%.1f\t%.2f\t%.2f",
			   cf->label, cf->nq, cf->nlat,
			   (double) cf->hits10 / (cf->nlat * (double) K_RESULT),
			   (double) cf->hits1 / cf->nlat,
			   cf->nlat / total,
			   bench_percentile(cf->lat, cf->nlat, 0.50) * 1e3,
			   bench_percentile(cf->lat, cf->nlat, 0.99) * 1e3);
		if (base_label != NULL)
			printf("\t%.4f\t%.4f\n", (double) cf->mated1 / cf->nlat,
				   (double) cf->mated_all / cf->nlat);
		else
			printf("\t-\t-\n");
		PQfinish(cf->conn);
	}
	return 0;
}
