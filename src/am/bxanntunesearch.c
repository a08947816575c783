/*-------------------------------------------------------------------------
 *
 * bxanntunesearch.c
 *	  The searches of a bxann build's tuning: by the leader alone, or by the
 *	  leader and parallel workers.
 *
 * The tuning (bxanntune.c) searches the index it has just written with a
 * thousand probes at each of its settings; those searches read pages
 * through the buffer manager, which a backend's threads cannot share, so
 * they ran on one core while the build's other phases use two (200,000
 * 512-d rows of one photo a person: 4 to 6 s of a build of about 20).  When
 * the build has parallel workers (the ones that read the table; bxannload.c)
 * the tuning launches as many again: each process opens the index and
 * searches the probes it claims from a shared counter, writing whether it
 * found each probe's person.  A probe's answer does not depend on who
 * searched it, so the tuning decides the same as it would alone (TAP 008).
 *
 * Everything a search needs besides the index lives in dynamic shared
 * memory: the probes, and each probe's target rows as their element codes
 * and locations (encoded once here, where the search used to encode them
 * again for every setting).  The leader hands out one job at a time (a set
 * of probes, the lists to probe and the walk's width), searches with the
 * workers and waits for them to finish it; a worker's error reaches the
 * leader while it waits (CHECK_FOR_INTERRUPTS in ConditionVariableSleep).
 * Without workers the leader runs the same code on local memory.
 *
 * src/am/bxanntunesearch.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <float.h>

#include "access/parallel.h"
#include "access/xact.h"
#include "bxann.h"
#include "bxannrows.h"
#include "bxanntunesearch.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "port/atomics.h"
#include "storage/condition_variable.h"
#include "storage/shm_toc.h"
#include "storage/spin.h"
#include "tcop/tcopprot.h"
#include "utils/memutils.h"

#define TUNE_KEY_SHARED		UINT64CONST(0xB7A0000000000001)
#define TUNE_KEY_QUERY		UINT64CONST(0xB7A0000000000002)

/*
 * The state the leader and workers share, followed in the same chunk by
 * its arrays (TuneArrays): probes[samples][dims], k[samples],
 * codes[samples][maxk][codebytes], tids[samples][maxk], job[samples],
 * found[samples], visits[participants], and each probe's lists as
 * searched so far: scanned[samples], scanvisits[samples], nseeds[samples]
 * and seeds[samples][maxseeds].
 */
typedef struct TuneShared
{
	Oid			indexrelid;
	int			dims;
	int			samples;
	int			maxk;
	int			codebytes;
	int			participants;	/* the leader and the workers asked for */
	int			maxseeds;		/* candidates kept of each probe's lists */

	slock_t		mutex;
	/* under mutex: the current job, and who finished it */
	uint32		generation;		/* bumped for every job */
	bool		quit;
	int			done;			/* workers done with this generation's job */
	int			njob;
	int			probes;
	int			ef;

	pg_atomic_uint32 next;		/* the job's next entry to claim */
	ConditionVariable workcv;	/* a job (or quit) for the workers */
	ConditionVariable donecv;	/* a worker finished its part */
} TuneShared;

typedef struct TuneArrays
{
	float	   *probes;
	int		   *k;
	uint8	   *codes;
	ItemPointerData *tids;
	int		   *job;
	bool	   *found;			/* per job entry */
	int64	   *visits;			/* per participant */
	int		   *scanned;		/* lists of the probe read into its seeds */
	int64	   *scanvisits;		/* elements reading them counted */
	int		   *nseeds;
	BxAnnCandidate *seeds;		/* their best maxseeds candidates, in order */
} TuneArrays;

struct BxAnnTuneSearchData
{
	Relation	index;
	BxAnnCache	cache;
	TuneShared *shared;
	TuneArrays	arrays;
	ParallelContext *pcxt;		/* NULL: the leader searches alone */
	int			launched;
	MemoryContext searchctx;
};

PGDLLEXPORT void BxAnnTuneWorkerMain(dsm_segment *seg, shm_toc *toc);

/* the next array of a layout at *off from base (NULL: only measuring) */
static void *
Carve(char *base, Size *off, Size bytes)
{
	void	   *p = base ? base + *off : NULL;

	*off = add_size(*off, MAXALIGN(bytes));
	return p;
}

/*
 * Lay the arrays of shape (its sizes: dims, samples, maxk, codebytes,
 * participants, maxseeds) out after the shared state at base, into a; with
 * base NULL, only measure.  Returns the bytes of state and arrays.
 */
static Size
TuneLayout(const TuneShared *shape, char *base, TuneArrays *a)
{
	Size		off = MAXALIGN(sizeof(TuneShared));
	Size		samples = shape->samples;
	Size		targets = mul_size(samples, shape->maxk);

	a->probes = Carve(base, &off, mul_size(sizeof(float), mul_size(samples, shape->dims)));
	a->k = Carve(base, &off, mul_size(sizeof(int), samples));
	a->codes = Carve(base, &off, mul_size(shape->codebytes, targets));
	a->tids = Carve(base, &off, mul_size(sizeof(ItemPointerData), targets));
	a->job = Carve(base, &off, mul_size(sizeof(int), samples));
	a->found = Carve(base, &off, mul_size(sizeof(bool), samples));
	a->visits = Carve(base, &off, mul_size(sizeof(int64), shape->participants));
	a->scanned = Carve(base, &off, mul_size(sizeof(int), samples));
	a->scanvisits = Carve(base, &off, mul_size(sizeof(int64), samples));
	a->nseeds = Carve(base, &off, mul_size(sizeof(int), samples));
	a->seeds = Carve(base, &off, mul_size(sizeof(BxAnnCandidate),
										  mul_size(samples, shape->maxseeds)));
	return off;
}

/*
 * Offer candidate c to seeds (n of them, at most max), kept in the order a
 * walk's beam keeps them (BxAnnSearchWalk: by distance, then as offered):
 * the first ef of them are the ef a walk would start from.
 */
static void
SeedOffer(BxAnnCandidate *seeds, int *n, int max, const BxAnnCandidate *c)
{
	int			p;

	if (*n == max && c->distance >= seeds[*n - 1].distance)
		return;
	p = *n < max ? (*n)++ : max - 1;
	while (p > 0 && seeds[p - 1].distance > c->distance)
	{
		seeds[p] = seeds[p - 1];
		p--;
	}
	seeds[p] = *c;
}

/*
 * Search probe i as a scan would with probes lists and ef; true if the best
 * candidate (by the codes the scan ranks with) is one of the probe's
 * target rows, or at most as far as the nearest of them: a row closer
 * still, which an exact search would return first too.  *visits counts the
 * elements such a search reads.
 *
 * The tuning searches a probe again and again with more lists (the
 * ladder) or another walk (the narrowing), and a scan reads the lists in
 * order of distance, so the first lists of a search are those of the last
 * one.  What a walk takes of them is their best ef candidates and that
 * they were visited; so each probe keeps its lists' best maxseeds
 * candidates (seeds) and how many lists gave them, and a search reads only
 * the lists after those, marks the others visited without reading them
 * (BxAnnSearchSkipList), and walks from its seeds: the search, step for
 * step, that reading every list would make, at a fraction of the reads
 * (counted as if it had read them, so the budgets stay those of full
 * searches).
 */
static bool
ProbeFinds(Relation index, BxAnnCache cache, const TuneShared *shared, const TuneArrays *a,
		   int i, int probes, int ef, int64 *visits, MemoryContext ctx)
{
	MemoryContext old = MemoryContextSwitchTo(ctx);
	const float *probe = a->probes + (Size) i * shared->dims;
	const uint8 *codes = a->codes + (Size) i * shared->maxk * shared->codebytes;
	const ItemPointerData *tids = a->tids + (Size) i * shared->maxk;
	BxAnnCandidate *seeds = a->seeds + (Size) i * shared->maxseeds;
	BxAnnSearchData search;
	BxAnnCandidateList batch = {0};
	BxAnnCandidateList fresh = {0};
	int		   *lists = palloc(sizeof(int) * probes);
	int			nprobe;
	float		target = FLT_MAX;
	BxAnnCandidate *best = NULL;
	bool		found = false;

	BxAnnSearchInit(&search, index, cache, probe, ctx, false);
	for (int j = 0; j < a->k[i]; j++)
		target = Min(target, BxAnnCodeDistance(&search.q, codes + (Size) j * shared->codebytes));
	nprobe = BxAnnNearestLists(cache, probe, probes, lists);
	if (ef > shared->maxseeds || a->scanned[i] > nprobe)
	{
		/* a walk wider than the seeds kept, or fewer lists: read them all */
		for (int l = 0; l < nprobe; l++)
			BxAnnSearchList(&search, lists[l], &batch);
	}
	else
	{
		for (int l = 0; l < a->scanned[i]; l++)
			BxAnnSearchSkipList(&search, lists[l]);
		search.visits = a->scanvisits[i];
		for (int l = a->scanned[i]; l < nprobe; l++)
			BxAnnSearchList(&search, lists[l], &fresh);
		for (int c = 0; c < fresh.count; c++)
			SeedOffer(seeds, &a->nseeds[i], shared->maxseeds, &fresh.items[c]);
		a->scanned[i] = nprobe;
		a->scanvisits[i] = search.visits;
		batch.count = Min(ef, a->nseeds[i]);
		batch.capacity = batch.count;
		batch.items = palloc(sizeof(BxAnnCandidate) * Max(batch.capacity, 1));
		memcpy(batch.items, seeds, sizeof(BxAnnCandidate) * batch.count);
	}
	BxAnnSearchWalk(&search, &batch, ef);
	for (int c = 0; c < batch.count; c++)
		if (best == NULL || batch.items[c].distance < best->distance)
			best = &batch.items[c];
	if (best != NULL)
	{
		found = best->distance <= target;
		for (int j = 0; j < a->k[i] && !found; j++)
			found = ItemPointerEquals(&best->self, (ItemPointer) &tids[j]);
	}
	*visits += search.visits;
	MemoryContextSwitchTo(old);
	MemoryContextReset(ctx);
	return found;
}

/* Search the job's entries this participant claims, until none is left. */
static void
Participate(Relation index, BxAnnCache cache, TuneShared *shared, const TuneArrays *a,
			int slot, MemoryContext ctx)
{
	int64		visits = 0;

	for (;;)
	{
		uint32		t = pg_atomic_fetch_add_u32(&shared->next, 1);

		if (t >= (uint32) shared->njob)
			break;
		CHECK_FOR_INTERRUPTS();
		a->found[t] = ProbeFinds(index, cache, shared, a, a->job[t], shared->probes,
								 shared->ef, &visits, ctx);
	}
	a->visits[slot] = visits;
}

/* Entry point of a parallel worker (CreateParallelContext names it). */
void
BxAnnTuneWorkerMain(dsm_segment *seg, shm_toc *toc)
{
	TuneShared *shared = shm_toc_lookup(toc, TUNE_KEY_SHARED, false);
	TuneArrays	a;
	Relation	index;
	BxAnnCache	cache;
	MemoryContext ctx;
	uint32		seen = 0;

	debug_query_string = shm_toc_lookup(toc, TUNE_KEY_QUERY, true);
	pgstat_report_activity(STATE_RUNNING, debug_query_string);
	TuneLayout(shared, (char *) shared, &a);
	/* the leader holds a stronger lock: granted within its lock group */
	index = index_open(shared->indexrelid, AccessShareLock);
	cache = BxAnnGetCache(index);
	ctx = AllocSetContextCreate(CurrentMemoryContext, "bxann tuning search",
								ALLOCSET_DEFAULT_SIZES);
	for (;;)
	{
		uint32		generation;
		bool		quit;

		ConditionVariablePrepareToSleep(&shared->workcv);
		for (;;)
		{
			SpinLockAcquire(&shared->mutex);
			generation = shared->generation;
			quit = shared->quit;
			SpinLockRelease(&shared->mutex);
			if (quit || generation != seen)
				break;
			ConditionVariableSleep(&shared->workcv, PG_WAIT_EXTENSION);
		}
		ConditionVariableCancelSleep();
		if (quit)
			break;
		seen = generation;
		Participate(index, cache, shared, &a, 1 + ParallelWorkerNumber, ctx);
		SpinLockAcquire(&shared->mutex);
		shared->done++;
		SpinLockRelease(&shared->mutex);
		ConditionVariableBroadcast(&shared->donecv);
	}
	index_close(index, AccessShareLock);
}

/*
 * Start the tuning's searches of index over samples probes (each dims
 * floats), whose answers are the k[i] rows members[i * maxk ..] of rows,
 * stored at where[row]; with up to nworkers parallel workers.
 */
BxAnnTuneSearch
BxAnnTuneSearchBegin(Relation index, BxAnnCache cache, const BxAnnRows *rows,
					 const ItemPointerData *where, const float *probes, int samples,
					 const int64 *members, const int *k, int maxk, int maxef,
					 int nworkers)
{
	BxAnnTuneSearch ts = palloc0(sizeof(struct BxAnnTuneSearchData));
	int			dims = rows->dims;
	int			codebytes = BXANN_CODE_BYTES(dims, cache->meta.code_bits);
	TuneShared	shape = {
		.indexrelid = RelationGetRelid(index),
		.dims = dims,
		.samples = samples,
		.maxk = maxk,
		.codebytes = codebytes,
		.participants = 1 + nworkers,
		.maxseeds = maxef,
	};
	Size		size = TuneLayout(&shape, NULL, &ts->arrays);
	TuneShared *shared = NULL;
	float	   *buf = palloc(sizeof(float) * dims);

	ts->index = index;
	ts->cache = cache;
	ts->searchctx = AllocSetContextCreate(CurrentMemoryContext, "bxann tuning search",
										  ALLOCSET_DEFAULT_SIZES);
	if (nworkers > 0)
	{
		Size		querylen = debug_query_string ? strlen(debug_query_string) : 0;

		EnterParallelMode();
		ts->pcxt = CreateParallelContext("bxexit", "BxAnnTuneWorkerMain", nworkers);
		shm_toc_estimate_chunk(&ts->pcxt->estimator, size);
		if (debug_query_string)
			shm_toc_estimate_chunk(&ts->pcxt->estimator, querylen + 1);
		shm_toc_estimate_keys(&ts->pcxt->estimator, debug_query_string ? 2 : 1);
		InitializeParallelDSM(ts->pcxt);
		if (ts->pcxt->seg != NULL)
		{
			shared = shm_toc_allocate(ts->pcxt->toc, size);
			shm_toc_insert(ts->pcxt->toc, TUNE_KEY_SHARED, shared);
			if (debug_query_string)
			{
				char	   *query = shm_toc_allocate(ts->pcxt->toc, querylen + 1);

				memcpy(query, debug_query_string, querylen + 1);
				shm_toc_insert(ts->pcxt->toc, TUNE_KEY_QUERY, query);
			}
		}
		else
		{
			DestroyParallelContext(ts->pcxt);
			ExitParallelMode();
			ts->pcxt = NULL;
		}
	}
	if (shared == NULL)
		shared = palloc_extended(size, MCXT_ALLOC_HUGE);

	/* a slot of visits for every worker asked for, launched or not: zeros */
	*shared = shape;
	SpinLockInit(&shared->mutex);
	pg_atomic_init_u32(&shared->next, 0);
	ConditionVariableInit(&shared->workcv);
	ConditionVariableInit(&shared->donecv);
	ts->shared = shared;
	TuneLayout(shared, (char *) shared, &ts->arrays);

	memset(ts->arrays.scanned, 0, sizeof(int) * (Size) samples);
	memset(ts->arrays.scanvisits, 0, sizeof(int64) * (Size) samples);
	memset(ts->arrays.nseeds, 0, sizeof(int) * (Size) samples);
	memcpy(ts->arrays.probes, probes, sizeof(float) * (Size) samples * dims);
	memcpy(ts->arrays.k, k, sizeof(int) * (Size) samples);
	for (int i = 0; i < samples; i++)
		for (int j = 0; j < k[i]; j++)
		{
			int64		row = members[(Size) i * maxk + j];

			BxAnnEncode(cache, BxAnnRowsGet(rows, row, buf),
						ts->arrays.codes + ((Size) i * maxk + j) * codebytes);
			ts->arrays.tids[(Size) i * maxk + j] = where[row];
		}
	pfree(buf);

	if (ts->pcxt != NULL)
	{
		LaunchParallelWorkers(ts->pcxt);
		/* a worker that failed to start raises its error here, not a hang later */
		WaitForParallelWorkersToAttach(ts->pcxt);
		ts->launched = ts->pcxt->nworkers_launched;
	}
	elog(DEBUG1, "bxann tuning: searching with %d parallel workers", ts->launched);
	return ts;
}

/*
 * Search the probes idx[0 .. n) with probes lists and a walk of ef;
 * found[j] says whether probe idx[j] was found.  Returns the elements read.
 */
int64
BxAnnTuneSearchRun(BxAnnTuneSearch ts, const int *idx, int n, int probes, int ef,
				   bool *found)
{
	TuneShared *shared = ts->shared;
	int64		visits = 0;

	memcpy(ts->arrays.job, idx, sizeof(int) * (Size) n);
	memset(ts->arrays.visits, 0, sizeof(int64) * shared->participants);
	pg_atomic_write_u32(&shared->next, 0);
	SpinLockAcquire(&shared->mutex);
	shared->njob = n;
	shared->probes = probes;
	shared->ef = ef;
	shared->done = 0;
	shared->generation++;
	SpinLockRelease(&shared->mutex);
	if (ts->launched > 0)
		ConditionVariableBroadcast(&shared->workcv);

	Participate(ts->index, ts->cache, shared, &ts->arrays, 0, ts->searchctx);

	if (ts->launched > 0)
	{
		ConditionVariablePrepareToSleep(&shared->donecv);
		for (;;)
		{
			int			done;

			SpinLockAcquire(&shared->mutex);
			done = shared->done;
			SpinLockRelease(&shared->mutex);
			if (done >= ts->launched)
				break;
			ConditionVariableSleep(&shared->donecv, PG_WAIT_EXTENSION);
		}
		ConditionVariableCancelSleep();
	}
	memcpy(found, ts->arrays.found, sizeof(bool) * (Size) n);
	for (int p = 0; p < shared->participants; p++)
		visits += ts->arrays.visits[p];
	return visits;
}

/* Let the workers go (raising an error one had) and free what Begin took. */
void
BxAnnTuneSearchEnd(BxAnnTuneSearch ts)
{
	if (ts->pcxt != NULL)
	{
		SpinLockAcquire(&ts->shared->mutex);
		ts->shared->quit = true;
		SpinLockRelease(&ts->shared->mutex);
		ConditionVariableBroadcast(&ts->shared->workcv);
		WaitForParallelWorkersToFinish(ts->pcxt);
		DestroyParallelContext(ts->pcxt);
		ExitParallelMode();
	}
	else
		pfree(ts->shared);
	MemoryContextDelete(ts->searchctx);
	pfree(ts);
}
