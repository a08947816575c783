/*-------------------------------------------------------------------------
 *
 * test_bridge.c
 *	  Server-free tests of the FAISS bridge's exact k-NN calls: BxNearest
 *	  (one base, queries in chunks) and BxNearestMany (many problems), both
 *	  on lib/knn_block.c (test_knn.c tests it alone), against a
 *	  double-precision reference, BxNearestMany the same at every thread
 *	  count, its stop callback, its argument
 *	  checks, and the caller's signal mask left as it was.
 *
 * test/bridge/test_bridge.c
 *
 *-------------------------------------------------------------------------
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bx_bridge.h"
#include "ref_knn.h"
#include "tap.h"

#define DIM		17
#define NROWS	700
#define NTASKS	40

static float rows[NROWS * DIM];
static long gathered;			/* rows copied by Gather, summed atomically */
static pthread_t main_thread;
static long other_calls;		/* Gather calls from the bridge's own threads */
static long unblocked_calls;	/* of those, with SIGINT or SIGTERM deliverable */

/* the BxGatherFn under test: the caller's row numbers into out */
static void
Gather(void *arg, const int32_t *which, int64_t n, float *out)
{
	const float *data = arg;

	for (int64_t t = 0; t < n; t++)
		memcpy(out + t * DIM, data + (size_t) which[t] * DIM, sizeof(float) * DIM);
	__atomic_fetch_add(&gathered, (long) n, __ATOMIC_RELAXED);
	if (!pthread_equal(pthread_self(), main_thread))
	{
		sigset_t	mask;

		pthread_sigmask(SIG_SETMASK, NULL, &mask);
		__atomic_fetch_add(&other_calls, 1, __ATOMIC_RELAXED);
		if (!sigismember(&mask, SIGINT) || !sigismember(&mask, SIGTERM))
			__atomic_fetch_add(&unblocked_calls, 1, __ATOMIC_RELAXED);
	}
}

/* threads of this process now */
static int
ThreadCount(void)
{
	DIR		   *d = opendir("/proc/self/task");
	struct dirent *e;
	int			n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static double
Dist(const float *a, const float *b)
{
	double		s = 0;

	for (int d = 0; d < DIM; d++)
		s += ((double) a[d] - b[d]) * ((double) a[d] - b[d]);
	return s;
}

/* the reference's k smallest distances of query row q among brows, ascending */
static void
Reference(int32_t q, const int32_t *brows, int64_t nb, int k, double *out)
{
	for (int j = 0; j < k; j++)
		out[j] = INFINITY;
	for (int64_t b = 0; b < nb; b++)
		RefKeepSmallest(out, k, Dist(rows + (size_t) q * DIM, rows + (size_t) brows[b] * DIM));
}

/*
 * Does the task's answer match the reference: distances in order within
 * float rounding, each label a base row at the distance reported, -1 and
 * nothing else past the base's end.
 */
static int
TaskMatches(const BxKnnTask *t)
{
	double		ref[64];

	for (int64_t r = 0; r < t->nq; r++)
	{
		Reference(t->qrows[r], t->brows, t->nb, t->k, ref);
		for (int j = 0; j < t->k; j++)
		{
			int32_t		label = t->labels[r * t->k + j];
			float		dist = t->distances[r * t->k + j];

			if (j >= t->nb)
			{
				if (label != -1)
					return 0;
				continue;
			}
			if (label < 0 || label >= t->nb ||
				fabs(dist - ref[j]) > 1e-4 * (1 + ref[j]) ||
				fabs(Dist(rows + (size_t) t->qrows[r] * DIM,
						  rows + (size_t) t->brows[label] * DIM) - dist) > 1e-4 * (1 + dist))
				return 0;
		}
	}
	return 1;
}

static int	stop_now;

static int
Stop(void *arg)
{
	(void) arg;
	return stop_now;
}

/* tasks over random subsets of the rows, some with k beyond their base */
static void
MakeTasks(BxKnnTask *tasks, int32_t *ids, int32_t *labels, float *dist)
{
	size_t		idused = 0,
				resused = 0;

	for (int i = 0; i < NTASKS; i++)
	{
		BxKnnTask  *t = &tasks[i];
		int32_t    *q = ids + idused;
		int32_t    *b;

		t->nq = i == 3 ? 0 : 1 + rand() % 60;
		t->nb = 1 + rand() % (i % 5 == 0 ? 20 : 300);
		t->k = 1 + rand() % 40;
		for (int64_t r = 0; r < t->nq; r++)
			q[r] = rand() % NROWS;
		b = q + t->nq;
		for (int64_t r = 0; r < t->nb; r++)
			b[r] = rand() % NROWS;
		idused += t->nq + t->nb;
		t->qrows = q;
		t->brows = b;
		t->labels = labels + resused;
		t->distances = dist + resused;
		resused += (size_t) t->nq * t->k;
	}
}

int
main(void)
{
	static int32_t ids[NTASKS * 400];
	static int32_t labels[NTASKS * 60 * 40];
	static float dist[NTASKS * 60 * 40];
	static int32_t labels1[NTASKS * 60 * 40];
	static float dist1[NTASKS * 60 * 40];
	BxKnnTask	tasks[NTASKS];
	char		errbuf[BX_ERRBUF_SIZE];
	BxStatus	st;
	int			ok;
	long		expected = 0;
	size_t		used = 0;		/* result slots of all tasks */
	sigset_t	before,
				after;

	main_thread = pthread_self();
	TapOk(ThreadCount() == 1,
		  "one thread at the start (OPENBLAS_NUM_THREADS=1, as the server runs)");
	srand(7);
	for (int i = 0; i < NROWS * DIM; i++)
		rows[i] = (float) rand() / RAND_MAX - 0.5f;
	MakeTasks(tasks, ids, labels, dist);
	for (int i = 0; i < NTASKS; i++)
	{
		if (tasks[i].nq > 0)
			expected += tasks[i].nq + tasks[i].nb;
		used += (size_t) tasks[i].nq * tasks[i].k;
	}

	/* one thread: the reference answers */
	st = BxNearestMany(DIM, NTASKS, tasks, Gather, rows, 1, Stop, errbuf, sizeof(errbuf));
	ok = st == BX_OK;
	for (int i = 0; ok && i < NTASKS; i++)
		ok = TaskMatches(&tasks[i]);
	TapOk(ok, "BxNearestMany, one thread: every task's k nearest as the reference's");
	TapOk(gathered == expected, "every task with queries gathered its rows once (%ld of %ld)",
		  gathered, expected);
	memcpy(labels1, labels, sizeof(labels));
	memcpy(dist1, dist, sizeof(dist));

	/* more threads than cores, and more than tasks: the same answers */
	sigemptyset(&before);
	sigaddset(&before, SIGUSR2);
	pthread_sigmask(SIG_SETMASK, &before, NULL);
	for (int nthreads = 2; nthreads <= 64; nthreads *= 8)
	{
		memset(labels, 0x7f, sizeof(labels));
		memset(dist, 0x7f, sizeof(dist));
		st = BxNearestMany(DIM, NTASKS, tasks, Gather, rows, nthreads, Stop, errbuf, sizeof(errbuf));
		TapOk(st == BX_OK && memcmp(labels, labels1, sizeof(int32_t) * used) == 0 &&
			  memcmp(dist, dist1, sizeof(float) * used) == 0,
			  "BxNearestMany, %d threads: the same answers as one", nthreads);
	}
	pthread_sigmask(SIG_SETMASK, NULL, &after);
	TapOk(sigismember(&after, SIGUSR2) == 1 && sigismember(&after, SIGINT) == 0,
		  "the caller's signal mask is as it was");
	TapOk(other_calls > 0 && unblocked_calls == 0,
		  "the bridge's own threads ran tasks (%ld) with every signal blocked (%ld not)",
		  other_calls, unblocked_calls);

	/* BxNearest on one task's rows: the base prepared once, queries in chunks */
	{
		BxKnnTask  *t = &tasks[1];
		float		q[60 * DIM];
		float		b[300 * DIM];
		int32_t		l[60 * 40];
		float		d[60 * 40];

		Gather(rows, t->qrows, t->nq, q);
		Gather(rows, t->brows, t->nb, b);
		BxKnnTask	asked = *t;	/* the same problem, answered by BxNearest */
		int32_t		l1[60 * 40];

		asked.labels = l;
		asked.distances = d;
		st = BxNearest(DIM, t->nq, q, t->nb, b, t->k, 1, l, d, Stop, errbuf, sizeof(errbuf));
		TapOk(st == BX_OK && TaskMatches(&asked),
			  "BxNearest on one task's rows: its k nearest as the reference's");
		memcpy(l1, l, sizeof(int32_t) * t->nq * t->k);
		/* two BLAS threads: OpenBLAS's pool is shut down again on return */
		st = BxNearest(DIM, t->nq, q, t->nb, b, t->k, 2, l, d, Stop, errbuf, sizeof(errbuf));
		TapOk(st == BX_OK && memcmp(l, l1, sizeof(int32_t) * t->nq * t->k) == 0,
			  "BxNearest with two BLAS threads: the same answer");
		TapOk(ThreadCount() == 1, "after it, the process is one thread again (%d)", ThreadCount());
		st = BxNearestMany(DIM, NTASKS, tasks, Gather, rows, 3, Stop, errbuf, sizeof(errbuf));
		TapOk(st == BX_OK && ThreadCount() == 1,
			  "after BxNearestMany on three threads, one thread again (%d)", ThreadCount());
	}

	/* a task of more queries than one matrix product takes (three blocks) */
	{
		static int32_t bigids[300 + 150];
		static int32_t biglabels[300 * 9];
		static float bigdist[300 * 9];
		BxKnnTask	big = {.nq = 300, .qrows = bigids, .nb = 150, .brows = bigids + 300,
		.k = 9, .labels = biglabels, .distances = bigdist};

		for (int r = 0; r < 450; r++)
			bigids[r] = rand() % NROWS;
		st = BxNearestMany(DIM, 1, &big, Gather, rows, 2, Stop, errbuf, sizeof(errbuf));
		TapOk(st == BX_OK && TaskMatches(&big),
			  "BxNearestMany, 300 queries against 150 rows: every query's 9 nearest as the reference's");
	}

	/* stop: every thread gives up, the call says interrupted */
	stop_now = 1;
	st = BxNearestMany(DIM, NTASKS, tasks, Gather, rows, 2, Stop, errbuf, sizeof(errbuf));
	TapOk(st == BX_EINTERRUPTED && strcmp(errbuf, "interrupted") == 0,
		  "a stop callback that says stop: BX_EINTERRUPTED (%d, %s)", (int) st, errbuf);
	stop_now = 0;

	/* bad arguments are refused before any work */
	{
		BxKnnTask	bad = tasks[1];

		TapOk(BxNearestMany(DIM, NTASKS, tasks, NULL, rows, 2, Stop, errbuf, sizeof(errbuf)) == BX_EINVAL,
			  "no gather function: BX_EINVAL");
		bad.k = 0;
		TapOk(BxNearestMany(DIM, 1, &bad, Gather, rows, 2, Stop, errbuf, sizeof(errbuf)) == BX_EINVAL,
			  "k 0: BX_EINVAL");
		bad = tasks[1];
		bad.nb = 0;
		TapOk(BxNearestMany(DIM, 1, &bad, Gather, rows, 2, Stop, errbuf, sizeof(errbuf)) == BX_EINVAL,
			  "an empty base: BX_EINVAL");
		TapOk(BxNearestMany(0, NTASKS, tasks, Gather, rows, 2, Stop, errbuf, sizeof(errbuf)) == BX_EINVAL,
			  "dimension 0: BX_EINVAL");
		TapOk(BxNearestMany(DIM, 0, NULL, Gather, rows, 2, Stop, errbuf, sizeof(errbuf)) == BX_OK,
			  "no tasks: BX_OK");
	}
	return TapDone();
}
