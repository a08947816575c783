/*
 * gate_load.c
 *	  Load generator for bench/gate.sh: several concurrent gate clients,
 *	  each on its own connection, send JPEG photos to bxexit.bx_match() as
 *	  binary parameters, and the decisions are checked against who is in
 *	  each photo.
 *
 * usage: gate_load [-c CLIENTS] [-t SECONDS | -n CALLS] [-w WARMUP]
 *					[-o OFFICER_ROLE] FLIGHT_ID PROBES.tsv
 *
 * PROBES.tsv has one line per photo, "PATH<TAB>PERSON_ID": the person_id
 * the photo should match (a mated search), or 0 when the person is not on
 * the flight (an impostor: any match is a false match).  All photos are
 * read into memory first.
 *
 * The clients take photos from one shared counter in file order (wrapping
 * around), so every time window sees the file's mix of photos.  -n CALLS
 * stops after CALLS calls in all (-n with the number of photos sends each
 * exactly once: the accuracy pass); -t SECONDS stops taking new photos
 * after that long (default 30).  Before the clock starts, each client makes
 * WARMUP unrecorded calls (default 2: its backend loads the face models on
 * the first one), then all wait at a barrier.
 *
 * The gate learns only the decision, the reason and the exit event (no
 * person, no score).  With -o, each client also opens a connection as
 * OFFICER_ROLE (one that may read bxexit.exit_event) and reads who matched,
 * and the score, from the exit event of each match: the accuracy pass
 * checks the person; the load runs leave -o out and pay nothing for it.
 *
 * Connection parameters come from the PG* environment.  Output on stdout: a
 * tab-separated header line and one line of results (see print_results);
 * errors, progress and one "false match: PATH -> person N" line per false
 * match on stderr.  Exit status 0, or 1 if the run could not
 * be made (an error during a call is counted, not fatal).
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <libpq-fe.h>

#include "../common/bench_util.h"

#define MATCH_SQL "SELECT decision, exit_event_id, reason FROM bxexit.bx_match($1::bytea, $2::bigint)"
#define EVENT_SQL "SELECT person_id, score FROM bxexit.exit_event WHERE exit_event_id = $1::bigint"
#define MAX_PHOTO_BYTES (20 * 1024 * 1024)
#define MAX_CLIENTS 64
#define MAX_REASONS 16			/* distinct no_match reasons kept apart */
#define MAX_ERRORS_SHOWN 5		/* per client */

typedef struct Probe
{
	char	   *path;
	char	   *bytes;
	int			len;
	long long	person_id;		/* expected match, 0 for an impostor */
} Probe;

/* What one client saw; summed over the clients at the end. */
typedef struct Tally
{
	long		calls;			/* recorded calls, errors included */
	long		errors;
	long		match;
	long		no_match;
	long		mated;			/* mated searches ... */
	long		mated_right;	/* ... matched to the right person */
	long		mated_wrong;	/* ... matched to someone else */
	long		impostor;		/* impostor searches ... */
	long		impostor_match; /* ... matched to anyone */
	char		reason[MAX_REASONS][32];
	long		reason_n[MAX_REASONS];
} Tally;

typedef struct Client
{
	pthread_t	thread;
	int			id;
	PGconn	   *conn;
	PGconn	   *officer;		/* -o: reads the persons of matches */
	double	   *lat;			/* seconds per recorded call */
	long		nlat;
	long		cap;
	Tally		t;
	double		finished;		/* when its last call returned */
} Client;

/* Shared by the clients; set before the threads start, read only after. */
static Probe *probes;
static int	nprobes;
static char flight_text[32];
static int	warmup = 2;
static const char *officer_role = NULL;	/* -o */
static long max_calls = -1;		/* -n, or -1 */
static double seconds = 30;		/* -t */
static double start_time;
static double stop_time;		/* -t mode: no new call after this */
static atomic_long next_call;
static pthread_barrier_t ready;

static char *
read_file(const char *path, int *len)
{
	FILE	   *f = fopen(path, "rb");
	struct stat st;
	char	   *buf;

	if (f == NULL || fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode))
		bench_die("cannot read photo %s", path);
	if (st.st_size == 0 || st.st_size > MAX_PHOTO_BYTES)
		bench_die("photo %s has %lld bytes", path, (long long) st.st_size);
	buf = bench_xmalloc(st.st_size);
	if (fread(buf, 1, st.st_size, f) != (size_t) st.st_size)
		bench_die("cannot read photo %s", path);
	fclose(f);
	*len = (int) st.st_size;
	return buf;
}

/* Load PROBES.tsv and every photo it names. */
static void
load_probes(const char *list)
{
	FILE	   *f = fopen(list, "r");
	char		line[4096];
	int			cap = 256;

	if (f == NULL)
		bench_die("cannot open %s", list);
	probes = bench_xmalloc(sizeof(Probe) * cap);
	while (fgets(line, sizeof(line), f))
	{
		char	   *tab = strchr(line, '\t');
		char	   *end;

		if (line[0] == '\n' || line[0] == '#')
			continue;
		if (tab == NULL)
			bench_die("%s: expected PATH<TAB>PERSON_ID: %s", list, line);
		*tab = '\0';
		if (nprobes == cap)
		{
			cap *= 2;
			probes = realloc(probes, sizeof(Probe) * cap);
			if (probes == NULL)
				bench_die("out of memory");
		}
		probes[nprobes].path = strdup(line);
		probes[nprobes].person_id = strtoll(tab + 1, &end, 10);
		if (end == tab + 1 || probes[nprobes].person_id < 0)
			bench_die("%s: bad person id for %s", list, line);
		probes[nprobes].bytes = read_file(line, &probes[nprobes].len);
		nprobes++;
	}
	fclose(f);
	if (nprobes == 0)
		bench_die("%s lists no photos", list);
}

/* Add n no_match decisions of this reason. */
static void
count_reason(Tally *t, const char *reason, long n)
{
	for (int i = 0; i < MAX_REASONS; i++)
	{
		if (t->reason_n[i] == 0)
			snprintf(t->reason[i], sizeof(t->reason[i]), "%s", reason);
		if (strcmp(t->reason[i], reason) == 0)
		{
			t->reason_n[i] += n;
			return;
		}
	}
	/* more distinct reasons than bx_match has: lump them with the last */
	t->reason_n[MAX_REASONS - 1] += n;
}

/*
 * Send probe p once.  With record, add the latency and the decision to the
 * client's figures.  Returns false when the connection is gone.
 */
static int
call(Client *c, const Probe *p, int record)
{
	const char *values[2] = {p->bytes, flight_text};
	int			lengths[2] = {p->len, 0};
	int			formats[2] = {1, 0};	/* photo binary, flight id text */
	PGresult   *res;
	double		t0,
				t1;
	int			alive = 1;

	t0 = bench_now();
	res = PQexecPrepared(c->conn, "m", 2, values, lengths, formats, 0);
	t1 = bench_now();
	if (record)
	{
		if (c->nlat == c->cap)
		{
			c->cap *= 2;
			c->lat = realloc(c->lat, sizeof(double) * c->cap);
			if (c->lat == NULL)
				bench_die("out of memory");
		}
		c->lat[c->nlat++] = t1 - t0;
		c->t.calls++;
	}
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
	{
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

		if (!record || c->t.errors++ < MAX_ERRORS_SHOWN)
			fprintf(stderr, "gate_load: client %d, %s: SQLSTATE %s: %s", c->id, p->path,
					state ? state : "none", PQerrorMessage(c->conn));
		alive = PQstatus(c->conn) == CONNECTION_OK;
		if (!record)
			bench_die("warm-up call failed");
	}
	else if (record)
	{
		const char *decision = PQgetvalue(res, 0, 0);
		int			is_match = strcmp(decision, "match") == 0;
		long long	person = 0;
		char		score[32] = "?";

		/* who matched is the officer's to read, from the exit event */
		if (is_match && c->officer != NULL)
		{
			const char *ev[1] = {PQgetvalue(res, 0, 1)};
			PGresult   *r2 = PQexecPrepared(c->officer, "e", 1, ev, NULL, NULL, 0);

			if (PQresultStatus(r2) != PGRES_TUPLES_OK || PQntuples(r2) != 1)
				bench_die("client %d cannot read exit event %s: %s", c->id, ev[0],
						  PQerrorMessage(c->officer));
			person = PQgetisnull(r2, 0, 0) ? 0 : strtoll(PQgetvalue(r2, 0, 0), NULL, 10);
			snprintf(score, sizeof(score), "%s", PQgetvalue(r2, 0, 1));
			PQclear(r2);
		}

		if (is_match)
			c->t.match++;
		else
		{
			c->t.no_match++;
			count_reason(&c->t, PQgetisnull(res, 0, 2) ? "(null)" : PQgetvalue(res, 0, 2), 1);
		}
		if (p->person_id > 0)
		{
			c->t.mated++;
			c->t.mated_right += is_match && (c->officer == NULL || person == p->person_id);
			c->t.mated_wrong += is_match && c->officer != NULL && person != p->person_id;
		}
		else
		{
			c->t.impostor++;
			c->t.impostor_match += is_match;
		}
		/* name the false matches: bench/gate.sh lists them */
		if (is_match && c->officer != NULL && person != p->person_id)
			fprintf(stderr, "gate_load: false match: %s -> person %lld, score %s\n",
					p->path, person, score);
	}
	PQclear(res);
	return alive;
}

static void *
client_main(void *arg)
{
	Client	   *c = arg;

	for (int i = 0; i < warmup; i++)
		call(c, &probes[(c->id + i) % nprobes], 0);

	/* the main thread sets start_time and stop_time, then joins us here */
	pthread_barrier_wait(&ready);
	pthread_barrier_wait(&ready);

	for (;;)
	{
		long		k;

		if (max_calls < 0 && bench_now() >= stop_time)
			break;
		k = atomic_fetch_add(&next_call, 1);
		if (max_calls >= 0 && k >= max_calls)
			break;
		if (!call(c, &probes[k % nprobes], 1))
		{
			fprintf(stderr, "gate_load: client %d lost its connection, stopping it\n", c->id);
			break;
		}
	}
	c->finished = bench_now();
	return NULL;
}

/* Open a client's connection and prepare the statement (main thread). */
static void
connect_client(Client *c)
{
	PGresult   *res;

	c->conn = PQconnectdb("");
	if (PQstatus(c->conn) != CONNECTION_OK)
		bench_die("client %d cannot connect: %s", c->id, PQerrorMessage(c->conn));
	res = PQprepare(c->conn, "m", MATCH_SQL, 2, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		bench_die("client %d cannot prepare: %s", c->id, PQerrorMessage(c->conn));
	PQclear(res);
	if (officer_role != NULL)
	{
		const char *keys[2] = {"user", NULL};
		const char *vals[2] = {officer_role, NULL};

		c->officer = PQconnectdbParams(keys, vals, 1);
		if (PQstatus(c->officer) != CONNECTION_OK)
			bench_die("client %d cannot connect as %s: %s", c->id, officer_role,
					  PQerrorMessage(c->officer));
		res = PQprepare(c->officer, "e", EVENT_SQL, 1, NULL);
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			bench_die("client %d cannot prepare the event query: %s", c->id,
					  PQerrorMessage(c->officer));
		PQclear(res);
	}
	c->cap = 1024;
	c->lat = bench_xmalloc(sizeof(double) * c->cap);
}

/*
 * One header line and one result line, tab-separated: clients, calls,
 * errors, seconds, calls/s, latency p50/p99/max in ms, decisions, mated
 * and impostor outcomes, and the no_match reasons as "reason=n,...".
 */
static void
print_results(Client *cl, int nclients, double elapsed)
{
	Tally		t = {0};
	double	   *lat;
	long		nlat = 0;
	char		reasons[1024] = "";

	for (int i = 0; i < nclients; i++)
		nlat += cl[i].nlat;
	lat = bench_xmalloc(sizeof(double) * (nlat ? nlat : 1));
	nlat = 0;
	for (int i = 0; i < nclients; i++)
	{
		Tally	   *s = &cl[i].t;

		memcpy(lat + nlat, cl[i].lat, sizeof(double) * cl[i].nlat);
		nlat += cl[i].nlat;
		t.calls += s->calls;
		t.errors += s->errors;
		t.match += s->match;
		t.no_match += s->no_match;
		t.mated += s->mated;
		t.mated_right += s->mated_right;
		t.mated_wrong += s->mated_wrong;
		t.impostor += s->impostor;
		t.impostor_match += s->impostor_match;
		for (int r = 0; r < MAX_REASONS && s->reason_n[r] > 0; r++)
			count_reason(&t, s->reason[r], s->reason_n[r]);
	}
	bench_sort(lat, nlat);
	for (int r = 0; r < MAX_REASONS && t.reason_n[r] > 0; r++)
	{
		size_t		used = strlen(reasons);

		snprintf(reasons + used, sizeof(reasons) - used, "%s%s=%ld",
				 r ? "," : "", t.reason[r], t.reason_n[r]);
	}

	printf("clients\tcalls\terrors\tseconds\tcalls/s\tp50 ms\tp99 ms\tmax ms\t"
		   "match\tno_match\tmated\tmated right\tmated wrong\timpostor\timpostor match\treasons\n");
	printf("%d\t%ld\t%ld\t%.2f\t%.1f\t%.1f\t%.1f\t%.1f\t%ld\t%ld\t%ld\t%ld\t%ld\t%ld\t%ld\t%s\n",
		   nclients, t.calls, t.errors, elapsed, elapsed > 0 ? t.calls / elapsed : 0,
		   bench_percentile(lat, nlat, 0.50) * 1e3, bench_percentile(lat, nlat, 0.99) * 1e3,
		   nlat ? lat[nlat - 1] * 1e3 : 0,
		   t.match, t.no_match, t.mated, t.mated_right, t.mated_wrong,
		   t.impostor, t.impostor_match, reasons[0] ? reasons : "-");
	free(lat);
}

static void
usage(void)
{
	fprintf(stderr,
			"usage: gate_load [-c CLIENTS] [-t SECONDS | -n CALLS] [-w WARMUP] [-o OFFICER_ROLE] FLIGHT_ID PROBES.tsv\n");
	exit(1);
}

int
main(int argc, char **argv)
{
	int			nclients = 1;
	int			argi = 1;
	Client	   *cl;
	double		last = 0;

	bench_progname = "gate_load";

	while (argi + 1 < argc && argv[argi][0] == '-')
	{
		const char *opt = argv[argi],
				   *val = argv[argi + 1];

		if (strcmp(opt, "-c") == 0)
			nclients = atoi(val);
		else if (strcmp(opt, "-t") == 0)
			seconds = atof(val);
		else if (strcmp(opt, "-n") == 0)
			max_calls = atol(val);
		else if (strcmp(opt, "-w") == 0)
			warmup = atoi(val);
		else if (strcmp(opt, "-o") == 0)
			officer_role = val;
		else
			usage();
		argi += 2;
	}
	if (argc - argi != 2 || nclients < 1 || nclients > MAX_CLIENTS ||
		seconds <= 0 || max_calls == 0 || warmup < 0)
		usage();
	if (strtoll(argv[argi], NULL, 10) <= 0)
		bench_die("bad flight id %s", argv[argi]);
	snprintf(flight_text, sizeof(flight_text), "%lld", strtoll(argv[argi], NULL, 10));
	load_probes(argv[argi + 1]);

	cl = bench_xmalloc(sizeof(Client) * nclients);
	memset(cl, 0, sizeof(Client) * nclients);
	for (int i = 0; i < nclients; i++)
	{
		cl[i].id = i;
		connect_client(&cl[i]);
	}
	if (pthread_barrier_init(&ready, NULL, nclients + 1) != 0)
		bench_die("pthread_barrier_init failed");
	for (int i = 0; i < nclients; i++)
		if (pthread_create(&cl[i].thread, NULL, client_main, &cl[i]) != 0)
			bench_die("pthread_create failed");

	/* every client warmed up: start the clock, then release them */
	pthread_barrier_wait(&ready);
	fprintf(stderr, "gate_load: %d client(s) warmed up, %s\n", nclients,
			max_calls >= 0 ? "counting calls" : "timing");
	start_time = bench_now();
	stop_time = start_time + seconds;
	pthread_barrier_wait(&ready);

	for (int i = 0; i < nclients; i++)
	{
		pthread_join(cl[i].thread, NULL);
		if (cl[i].finished > last)
			last = cl[i].finished;
		PQfinish(cl[i].conn);
		if (cl[i].officer != NULL)
			PQfinish(cl[i].officer);
	}
	print_results(cl, nclients, last - start_time);
	return 0;
}
