/*-------------------------------------------------------------------------
 *
 * bxanngraph.c
 *	  The k-nearest-neighbour graph of a bxann build.
 *
 * Exact k-NN over all rows costs n^2; bxann gets a graph good enough for
 * its searches in two steps measured on face-like data (README, "bxann
 * design"):
 *
 *	1. Spill: every row joins its BXANN_SPILL nearest lists.  Within each
 *	   list, the rows stored there (it is their nearest) look for their
 *	   neighbours among all rows that joined it (FAISS, batched), and every
 *	   pair found is offered both ways.  Two samples of one identity usually
 *	   meet this way even when their nearest lists differ.
 *	2. Repair: some rows still miss their own kind, typically a sample whose
 *	   nearest lists share nothing with those of its siblings; its nearest
 *	   neighbour found so far is then a stranger, about as far as its
 *	   farthest (BXANN_STRANGER_RATIO).  The rows whose nearest neighbour
 *	   is farthest, as many as there are strangers (from
 *	   BXANN_REPAIR_MIN_FRACTION to BXANN_REPAIR_MAX_FRACTION of the rows),
 *	   search the rows stored in their BXANN_REPAIR_LISTS nearest lists,
 *	   and again every pair found is offered both ways, which also gives
 *	   such a row the incoming edges a search needs to reach it.
 *	3. Join: each row meets the nearest neighbours of its own nearest few,
 *	   so a sample that found one sibling but not another gets it.
 *
 * The repair replaced a round of NN-descent (neighbours of neighbours),
 * whose candidates, other identities, never bring such a sample to its
 * siblings: on the 200,000-row reference set the graph takes 4.8 s instead
 * of 7.7 s, and recall@10 rose from 0.967 to 0.988 at 8 probes and from
 * 0.981 to 0.996 at 16.  With few samples per identity strangers are many:
 * on 200,000 512-d rows of 3 per identity 25% of rows had no sibling after
 * the spill, 13% after a repair of a fixed 15%, 6% after the repair of as
 * many as there are (25%) and the join; of a sampled 1,000 rows, 83% then
 * had both siblings as neighbours (56% before).  The build's tuning
 * (bxanntune.c) reads a person's rows from these edges.
 *
 * Steps 1 and 2 are many small exact k-NN problems, one per list: they go
 * to the FAISS bridge a batch of lists at a time (KnnBatch), whose threads
 * each solve whole lists with single-threaded BLAS (BxNearestMany; with
 * BLAS's own threads inside each small product instead, the spill step
 * took 2.8 s rather than 1.8 s and the repair 4.7 s rather than 3.0 s on
 * the 512-d set above, two threads).  The pairs found are then offered on
 * the same threads, each writing the rows of its own share
 * (BxParallelFor), every row getting its offers in list order: the graph
 * does not depend on the number of threads.
 *
 * Everything here runs in the backend's memory, bounded by the caller's
 * check (BxAnnGraphMemory) against maintenance_work_mem.
 *
 * src/am/bxanngraph.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "bx_bridge.h"
#include "bx_kernels.h"
#include "bxanngraph.h"
#include "bxann.h"
#include "bxannrows.h"
#include "bxexit.h"
#include "miscadmin.h"
#include "portability/instr_time.h"
#include "utils/memutils.h"

/*
 * share of rows the repair step searches again: the rows that found no
 * sibling (strangers, below), at least the MIN share and at most the MAX;
 * and in how many lists
 */
#define BXANN_REPAIR_MIN_FRACTION	0.15
#define BXANN_REPAIR_MAX_FRACTION	0.3
#define BXANN_REPAIR_LISTS		16

/*
 * a row's nearest neighbour is a stranger (no sibling found) when it is at
 * least this share of the farthest's squared distance
 */
#define BXANN_STRANGER_RATIO	0.6

/* nearest neighbours whose own nearest a row meets in the join step */
#define BXANN_JOIN_NEAR			4

/* rows whose nearest lists the repair looks up in one FAISS call */
#define BXANN_REPAIR_CHUNK		4096

/*
 * query rows whose results one batch of lists holds (KnnBatch): enough
 * lists of a few hundred rows to keep every thread busy, a few MB
 */
#define BXANN_BATCH_QUERIES		16384

/*
 * k-NN problems of several lists, solved together by BxNearestMany on the
 * build's threads, then every pair found offered both ways in the order the
 * lists were added: the graph does not depend on the number of threads.
 */
typedef struct KnnBatch
{
	BxAnnGraph *g;
	const BxAnnRows *rows;
	int			nthreads;
	const char *what;			/* for errors: "bxann graph repair" */
	int			ntasks;
	int			maxtasks;
	BxKnnTask  *tasks;
	int64		used;			/* result slots taken (nq * k summed) */
	int64		capacity;
	int32	   *labels;
	float	   *dist;
	int64		idsused;		/* base row numbers copied */
	int64		idscapacity;
	int32	   *ids;
} KnnBatch;

/* Insert neighbour j at distance d into row i's sorted list; true if kept. */
static bool
GraphOffer(BxAnnGraph *g, int64 i, int32 j, float d)
{
	int			m = g->m;
	int32	   *nb = g->neighbors + i * m;
	float	   *nd = g->distances + i * m;
	int			count = g->count[i];
	int			p;

	if (j == i || (count == m && d >= nd[m - 1]))
		return false;
	for (int k = 0; k < count; k++)
		if (nb[k] == j)
			return false;
	p = count < m ? count++ : m - 1;
	while (p > 0 && nd[p - 1] > d)
	{
		nb[p] = nb[p - 1];
		nd[p] = nd[p - 1];
		p--;
	}
	nb[p] = j;
	nd[p] = d;
	g->count[i] = count;
	return true;
}

/* share of rows whose nearest neighbour is not clearly nearer than their farthest */
static double
StrangerShare(const BxAnnGraph *g)
{
	int64		strangers = 0;

	for (int64 i = 0; i < g->n; i++)
		if (g->count[i] == 0 ||
			g->distances[i * g->m] >= BXANN_STRANGER_RATIO * g->distances[i * g->m + g->count[i] - 1])
			strangers++;
	return (double) strangers / Max(g->n, 1);
}

/*
 * Peak memory of a graph build over n rows: the graph itself, plus the
 * larger of the two steps' own arrays (the spill step's list members and
 * stored rows; the repair's sort keys, and per repaired row its index,
 * lists and list slots).  The buffers of one batch of lists (KnnBatch: a few MB of
 * results, and each thread's vectors of one list, outside palloc) are left
 * out, and so is the caller's layout of the rows by list.
 */
Size
BxAnnGraphMemory(int64 n, int m, int spillk)
{
	double		graph = (double) n * (m * (sizeof(int32) + sizeof(float)) + sizeof(int32));
	double		spill = (double) n * (spillk * sizeof(int64) + sizeof(int32));
	double		repair = (double) n * sizeof(float) +
		(double) n * BXANN_REPAIR_MAX_FRACTION *
		(sizeof(int64) + BXANN_REPAIR_LISTS * sizeof(int32) * 2);

	return (Size) ceil(graph + Max(spill, repair));
}

/*
 * Rows grouped by the lists they joined: start[l] .. start[l + 1] index
 * members, which holds the rows with l among their spill (n x spillk)
 * entries.  Both arrays are palloc'd for the caller.
 */
static void
GroupBySpill(const int32 *spill, int spillk, int64 n, int nlists,
			 int64 **startp, int64 **membersp)
{
	int64	   *start = palloc0(sizeof(int64) * (nlists + 1));
	int64	   *fill = palloc0(sizeof(int64) * nlists);
	int64	   *members;

	for (int64 i = 0; i < n; i++)
		for (int a = 0; a < spillk; a++)
			if (spill[i * spillk + a] >= 0)
				start[spill[i * spillk + a] + 1]++;
	for (int l = 0; l < nlists; l++)
		start[l + 1] += start[l];
	members = palloc_extended(sizeof(int64) * Max(start[nlists], 1), MCXT_ALLOC_HUGE);
	for (int64 i = 0; i < n; i++)
		for (int a = 0; a < spillk; a++)
		{
			int32		l = spill[i * spillk + a];

			if (l >= 0)
				members[start[l] + fill[l]++] = i;
		}
	pfree(fill);
	*startp = start;
	*membersp = members;
}

static void
BatchInit(KnnBatch *b, BxAnnGraph *g, const BxAnnRows *rows, int nthreads,
		  const char *what)
{
	b->g = g;
	b->rows = rows;
	b->nthreads = nthreads;
	b->what = what;
	b->ntasks = 0;
	b->maxtasks = BXANN_BATCH_QUERIES;
	b->tasks = palloc(sizeof(BxKnnTask) * b->maxtasks);
	b->used = 0;
	b->capacity = (int64) BXANN_BATCH_QUERIES * (g->m + 1);
	b->labels = palloc_extended(sizeof(int32) * b->capacity, MCXT_ALLOC_HUGE);
	b->dist = palloc_extended(sizeof(float) * b->capacity, MCXT_ALLOC_HUGE);
	b->idsused = 0;
	b->idscapacity = (int64) BXANN_BATCH_QUERIES * 4;
	b->ids = palloc_extended(sizeof(int32) * b->idscapacity, MCXT_ALLOC_HUGE);
}

/*
 * Rows are offered pairs in shares of BXANN_OFFER_BLOCK consecutive rows
 * (block b belongs to share b % shares): a thread then writes rows of its
 * own share only, and no two threads write one cache line of g->count.
 */
#define BXANN_OFFER_BLOCK		1024

/* Offer the pair (i, j) at distance d to whichever of the two rows is in share `share`. */
static inline void
OfferPairInShare(BxAnnGraph *g, int64 i, int64 j, float d, int shares, int share)
{
	if ((i / BXANN_OFFER_BLOCK) % shares == share)
		GraphOffer(g, i, (int32) j, d);
	if ((j / BXANN_OFFER_BLOCK) % shares == share)
		GraphOffer(g, j, (int32) i, d);
}

/* BxParallelFor item of BatchFlush: the batch's pairs offered to one share's rows */
static void
OfferShare(void *arg, int share)
{
	KnnBatch   *b = (KnnBatch *) arg;
	int			shares = b->nthreads;

	for (int t = 0; t < b->ntasks; t++)
	{
		const BxKnnTask *task = &b->tasks[t];

		for (int64 r = 0; r < task->nq; r++)
			for (int j = 0; j < task->k; j++)
			{
				int32		label = task->labels[r * task->k + j];

				if (label >= 0)
					OfferPairInShare(b->g, task->qrows[r], task->brows[label],
									 task->distances[r * task->k + j], shares, share);
			}
	}
}

/*
 * Solve the problems added so far and offer what they found: each row
 * gets its offers in the order a serial pass over the pairs gives it, so
 * the graph is the same on any number of threads.
 */
static void
BatchFlush(KnnBatch *b)
{
	char		errbuf[BX_ERRBUF_SIZE];

	if (b->ntasks == 0)
		return;
	BxAnnCheckBridge(BxNearestMany(b->rows->dims, b->ntasks, b->tasks,
								   BxAnnRowsGather, (void *) b->rows, b->nthreads,
								   BxInterruptPending, errbuf, sizeof(errbuf)),
					 b->what, errbuf);
	BxAnnCheckBridge(BxParallelFor(b->nthreads, OfferShare, b, b->nthreads,
								   BxInterruptPending, errbuf, sizeof(errbuf)),
					 b->what, errbuf);
	b->ntasks = 0;
	b->used = 0;
	b->idsused = 0;
}

/*
 * Add the problem of linking each of the nq rows qrows with its nearest
 * among the nb rows brows.  qrows must live until the batch is flushed;
 * brows is copied.  A problem larger than the batch gets a batch of its own.
 */
static void
BatchAdd(KnnBatch *b, const int32 *qrows, int64 nq, const int64 *brows, int64 nb)
{
	int			k = (int) Min((int64) b->g->m + 1, nb);
	int64		need = nq * k;
	BxKnnTask  *task;
	int32	   *ids;

	if (nq == 0 || nb == 0)
		return;
	if (b->used + need > b->capacity || b->idsused + nb > b->idscapacity ||
		b->ntasks == b->maxtasks)
		BatchFlush(b);
	if (need > b->capacity)
	{
		b->labels = repalloc_huge(b->labels, sizeof(int32) * need);
		b->dist = repalloc_huge(b->dist, sizeof(float) * need);
		b->capacity = need;
	}
	if (nb > b->idscapacity)
	{
		b->ids = repalloc_huge(b->ids, sizeof(int32) * nb);
		b->idscapacity = nb;
	}
	ids = b->ids + b->idsused;
	for (int64 t = 0; t < nb; t++)
		ids[t] = (int32) brows[t];
	b->idsused += nb;
	task = &b->tasks[b->ntasks++];
	task->nq = nq;
	task->qrows = qrows;
	task->nb = nb;
	task->brows = ids;
	task->k = k;
	task->labels = b->labels + b->used;
	task->distances = b->dist + b->used;
	b->used += need;
}

static void
BatchFree(KnnBatch *b)
{
	pfree(b->tasks);
	pfree(b->labels);
	pfree(b->dist);
	pfree(b->ids);
}

/*
 * Step 1: within each list, its own rows' k-NN among all rows spilled into
 * it.  The rows stored in list l are order[liststart[l] .. liststart[l + 1]].
 */
static void
GraphFromSpill(BxAnnGraph *g, const BxAnnRows *rows, const int32 *spill,
			   int spillk, const int64 *liststart, const int64 *order,
			   int nlists, int nthreads)
{
	int64	   *start;
	int64	   *members;
	int32	   *stored = palloc_extended(sizeof(int32) * Max(g->n, 1), MCXT_ALLOC_HUGE);
	KnnBatch	batch;

	for (int64 i = 0; i < g->n; i++)
		stored[i] = (int32) order[i];
	GroupBySpill(spill, spillk, g->n, nlists, &start, &members);
	BatchInit(&batch, g, rows, nthreads, "bxann graph construction");
	for (int l = 0; l < nlists; l++)
	{
		int64		size = start[l + 1] - start[l];

		CHECK_FOR_INTERRUPTS();
		if (size < 2)
			continue;
		BatchAdd(&batch, stored + liststart[l], liststart[l + 1] - liststart[l],
				 members + start[l], size);
	}
	BatchFlush(&batch);
	BatchFree(&batch);
	pfree(stored);
	pfree(members);
	pfree(start);
}

static int
CompareFloat(const void *a, const void *b)
{
	float		fa = *(const float *) a;
	float		fb = *(const float *) b;

	return fa < fb ? -1 : fa > fb ? 1 : 0;
}

/*
 * Step 2: the rows whose nearest neighbour is farthest search the rows
 * stored in their nearest lists (order[liststart[l] .. liststart[l + 1]]
 * for list l).
 */
static void
GraphRepair(BxAnnGraph *g, const BxAnnRows *rows, const int64 *liststart,
			const int64 *order, const float *centroids, int nlists, int nthreads)
{
	int			dims = rows->dims;
	int64		n = g->n;
	int			m = g->m;
	int			nearlists = Min(BXANN_REPAIR_LISTS, nlists);
	int64		nsel = 0;
	int64	   *sel;
	float	   *key;
	float		threshold;
	double		fraction;
	int32	   *near;
	int64	   *qstart;
	int32	   *queries;
	float	   *qbuf;
	KnnBatch	batch;
	char		errbuf[BX_ERRBUF_SIZE];

	/*
	 * the rows to repair: nearest neighbour at or beyond the quantile of the
	 * strangers' share (few photos per person: many; ten: few)
	 */
	fraction = Max(BXANN_REPAIR_MIN_FRACTION, Min(BXANN_REPAIR_MAX_FRACTION, StrangerShare(g)));
	elog(DEBUG1, "bxann graph: repairing %.1f%% of the rows", fraction * 100.0);
	key = palloc_extended(sizeof(float) * n, MCXT_ALLOC_HUGE);
	for (int64 i = 0; i < n; i++)
		key[i] = g->count[i] > 0 ? g->distances[i * m] : FLT_MAX;
	qsort(key, n, sizeof(float), CompareFloat);
	threshold = key[(int64) Min((double) n - 1, (1.0 - fraction) * n)];
	pfree(key);
	sel = palloc_extended(sizeof(int64) * ((int64) ceil(n * fraction) + 1),
						  MCXT_ALLOC_HUGE);
	for (int64 i = 0; i < n && nsel < (int64) ceil(n * fraction); i++)
		if (g->count[i] == 0 || g->distances[i * m] >= threshold)
			sel[nsel++] = i;
	if (nsel == 0)
	{
		pfree(sel);
		return;
	}

	/* their nearest lists, a chunk of rows at a time */
	near = palloc_extended(sizeof(int32) * nearlists * nsel, MCXT_ALLOC_HUGE);
	qbuf = palloc_extended(sizeof(float) * dims * BXANN_REPAIR_CHUNK, MCXT_ALLOC_HUGE);
	for (int64 c = 0; c < nsel; c += BXANN_REPAIR_CHUNK)
	{
		int64		nc = Min(BXANN_REPAIR_CHUNK, nsel - c);

		BxAnnRowsCopyMany(rows, sel + c, nc, qbuf);
		BxAnnCheckBridge(BxNearest(dims, nc, qbuf, nlists, centroids, nearlists, nthreads,
								   near + c * nearlists, NULL, BxInterruptPending,
								   errbuf, sizeof(errbuf)),
						 "bxann graph repair", errbuf);
	}
	pfree(qbuf);

	/* the repaired rows that search each list, as row numbers */
	qstart = palloc0(sizeof(int64) * (nlists + 1));
	for (int64 t = 0; t < nsel * nearlists; t++)
		if (near[t] >= 0)
			qstart[near[t] + 1]++;
	for (int l = 0; l < nlists; l++)
		qstart[l + 1] += qstart[l];
	queries = palloc_extended(sizeof(int32) * Max(qstart[nlists], 1), MCXT_ALLOC_HUGE);
	{
		int64	   *fill = palloc0(sizeof(int64) * nlists);

		for (int64 t = 0; t < nsel * nearlists; t++)
			if (near[t] >= 0)
				queries[qstart[near[t]] + fill[near[t]]++] = (int32) sel[t / nearlists];
		pfree(fill);
	}
	pfree(near);

	BatchInit(&batch, g, rows, nthreads, "bxann graph repair");
	for (int l = 0; l < nlists; l++)
	{
		CHECK_FOR_INTERRUPTS();
		BatchAdd(&batch, queries + qstart[l], qstart[l + 1] - qstart[l],
				 order + liststart[l], liststart[l + 1] - liststart[l]);
	}
	BatchFlush(&batch);
	BatchFree(&batch);
	pfree(queries);
	pfree(qstart);
	pfree(sel);
}

/*
 * Join: each row meets the near neighbours of its BXANN_JOIN_NEAR nearest
 * neighbours, every pair offered both ways.  A person's photo that found
 * one sibling but not another (their nearest lists met only pairwise) gets
 * the other through the one it found.
 *
 * BXANN_JOIN_CHUNK rows at a time: first every row of the chunk finds its
 * candidates and their distances from the graph as the chunk found it
 * (JoinFind, in parallel: rows are read, nothing is written), then the
 * pairs are offered (JoinOffer, in parallel by shares of rows, each row's
 * offers in chunk order).  The graph is the same on any number of threads.
 */
#define BXANN_JOIN_CHUNK		65536
#define BXANN_JOIN_CANDIDATES	(BXANN_JOIN_NEAR * BXANN_JOIN_NEAR)

typedef struct JoinChunk
{
	BxAnnGraph *g;
	const BxAnnRows *rows;
	int			nthreads;
	int64		first;			/* the chunk's rows: first .. first + count */
	int64		count;
	int			parts;			/* JoinFind items */
	int32	   *cand;			/* [count][BXANN_JOIN_CANDIDATES], -1: none */
	float	   *dist;
} JoinChunk;

/* BxParallelFor item: candidates of part `part` of the chunk's rows */
static void
JoinFind(void *arg, int part)
{
	JoinChunk  *c = (JoinChunk *) arg;
	const BxAnnGraph *g = c->g;
	int			dims = c->rows->dims;
	int64		per = (c->count + c->parts - 1) / c->parts;
	int64		from = part * per;
	int64		to = Min(c->count, from + per);
	float		ibuf[BXANN_MAX_DIM];
	float		tbuf[BXANN_MAX_DIM];

	for (int64 r = from; r < to; r++)
	{
		int64		i = c->first + r;
		int32	   *cand = c->cand + r * BXANN_JOIN_CANDIDATES;
		float	   *dist = c->dist + r * BXANN_JOIN_CANDIDATES;
		int			nnear = Min(g->count[i], BXANN_JOIN_NEAR);
		const float *xi = BxAnnRowsGet(c->rows, i, ibuf);
		int			n = 0;

		for (int a = 0; a < nnear; a++)
		{
			int64		j = g->neighbors[i * g->m + a];
			int			njnear = Min(g->count[j], BXANN_JOIN_NEAR);

			for (int b = 0; b < njnear; b++)
			{
				int32		t = g->neighbors[j * g->m + b];

				if (t == i)
					continue;
				cand[n] = t;
				dist[n++] = BxKernelL2Squared(xi, BxAnnRowsGet(c->rows, t, tbuf), dims);
			}
		}
		while (n < BXANN_JOIN_CANDIDATES)
			cand[n++] = -1;
	}
}

/* BxParallelFor item: the chunk's pairs offered to one share's rows */
static void
JoinOffer(void *arg, int share)
{
	JoinChunk  *c = (JoinChunk *) arg;

	for (int64 r = 0; r < c->count; r++)
	{
		int64		i = c->first + r;

		for (int k = 0; k < BXANN_JOIN_CANDIDATES; k++)
		{
			int32		t = c->cand[r * BXANN_JOIN_CANDIDATES + k];

			if (t < 0)
				break;
			OfferPairInShare(c->g, i, t, c->dist[r * BXANN_JOIN_CANDIDATES + k],
							 c->nthreads, share);
		}
	}
}

static void
GraphJoinNear(BxAnnGraph *g, const BxAnnRows *rows, int nthreads)
{
	JoinChunk	c;
	int64		size = Min(g->n, BXANN_JOIN_CHUNK);
	char		errbuf[BX_ERRBUF_SIZE];

	c.g = g;
	c.rows = rows;
	c.nthreads = Max(nthreads, 1);
	c.parts = 4 * c.nthreads;
	c.cand = palloc_extended(sizeof(int32) * BXANN_JOIN_CANDIDATES * Max(size, 1), MCXT_ALLOC_HUGE);
	c.dist = palloc_extended(sizeof(float) * BXANN_JOIN_CANDIDATES * Max(size, 1), MCXT_ALLOC_HUGE);
	for (c.first = 0; c.first < g->n; c.first += size)
	{
		c.count = Min(size, g->n - c.first);
		BxAnnCheckBridge(BxParallelFor(c.parts, JoinFind, &c, c.nthreads,
									   BxInterruptPending, errbuf, sizeof(errbuf)),
						 "bxann graph join", errbuf);
		BxAnnCheckBridge(BxParallelFor(c.nthreads, JoinOffer, &c, c.nthreads,
									   BxInterruptPending, errbuf, sizeof(errbuf)),
						 "bxann graph join", errbuf);
	}
	pfree(c.cand);
	pfree(c.dist);
}

/*
 * Build the graph of the build's n rows, whose nearest lists are
 * spill[n][spillk] (-1 where a row has fewer); the rows stored in
 * list l (the first of their spill entries) are order[liststart[l] ..
 * liststart[l + 1]]; centroids are the nlists list centroids.
 */
BxAnnGraph *
BxAnnGraphBuild(const BxAnnRows *rows, int m,
				const int32 *spill, int spillk, const int64 *liststart,
				const int64 *order, const float *centroids, int nlists,
				int nthreads)
{
	int64		n = rows->n;
	BxAnnGraph *g = palloc0(sizeof(BxAnnGraph));
	instr_time	start,
				spilled,
				repaired,
				joined;

	g->n = n;
	g->m = m;
	g->neighbors = palloc_extended(sizeof(int32) * Max(n * m, 1), MCXT_ALLOC_HUGE);
	g->distances = palloc_extended(sizeof(float) * Max(n * m, 1), MCXT_ALLOC_HUGE);
	g->count = palloc_extended(sizeof(int32) * Max(n, 1), MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	if (n < 2)
		return g;
	INSTR_TIME_SET_CURRENT(start);
	GraphFromSpill(g, rows, spill, spillk, liststart, order, nlists, nthreads);
	INSTR_TIME_SET_CURRENT(spilled);
	GraphRepair(g, rows, liststart, order, centroids, nlists, nthreads);
	INSTR_TIME_SET_CURRENT(repaired);
	GraphJoinNear(g, rows, nthreads);
	INSTR_TIME_SET_CURRENT(joined);
	INSTR_TIME_SUBTRACT(joined, repaired);
	INSTR_TIME_SUBTRACT(repaired, spilled);
	INSTR_TIME_SUBTRACT(spilled, start);
	elog(DEBUG1, "bxann graph: k-NN in spilled lists %.3f s, repair %.3f s, join %.3f s (%d threads)",
		 INSTR_TIME_GET_DOUBLE(spilled), INSTR_TIME_GET_DOUBLE(repaired),
		 INSTR_TIME_GET_DOUBLE(joined), nthreads);
	return g;
}
