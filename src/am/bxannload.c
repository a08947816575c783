/*-------------------------------------------------------------------------
 *
 * bxannload.c
 *	  Read the table for a bxann build: the leader alone, or the leader and
 *	  parallel workers over one parallel heap scan.
 *
 * Reading is the part of a build PostgreSQL's threads-free backends cannot
 * share out as threads: a 512-d vector is TOASTed, and fetching 200,000 of
 * them took 3.2 s of a 17 s build.  When plan_create_index_workers grants
 * workers (max_parallel_maintenance_workers, the table's size and its
 * parallel_workers, as for a B-tree), each worker reads its share of the
 * heap's blocks, checks and prepares each row as the leader would
 * (PrepareRow), and sends it through its own shm_mq to the leader, which
 * keeps every row (the caller's BxAnnKeepRow) between rows of its own
 * share.  Only the queues live in dynamic shared memory (1 MB a worker),
 * not the rows: the leader's memory holds them, checked against
 * maintenance_work_mem as in a serial build.  The caller sorts the rows by
 * heap TID afterwards, so the index does not depend on who read what.
 *
 * A worker's error reaches the leader through the parallel machinery
 * (CHECK_FOR_INTERRUPTS in the leader's loops); a worker ends its queue
 * with a message carrying its count of heap tuples, so the leader knows it
 * read its share to the end.
 *
 * src/am/bxannload.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/parallel.h"
#include "access/relscan.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "bxann.h"
#include "bxannload.h"
#include "bxexit.h"
#include "catalog/index.h"
#include "embedding_parse.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/shm_mq.h"
#include "storage/shm_toc.h"
#include "tcop/tcopprot.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#define BXANN_LOAD_KEY_SHARED	UINT64CONST(0xB8A1000000000001)
#define BXANN_LOAD_KEY_QUEUES	UINT64CONST(0xB8A1000000000002)
#define BXANN_LOAD_KEY_QUERY	UINT64CONST(0xB8A1000000000003)

/* bytes of each worker's queue to the leader: about 500 rows of 512-d */
#define BXANN_LOAD_QUEUE_SIZE	((Size) 1024 * 1024)

/* What the leader tells its workers; the parallel scan's state follows. */
typedef struct BxAnnLoadShared
{
	Oid			heaprelid;
	Oid			indexrelid;
	bool		concurrent;
	int			dims;
	int			metric;
} BxAnnLoadShared;

#define LoadSharedScan(shared) \
	((ParallelTableScanDesc) ((char *) (shared) + BUFFERALIGN(sizeof(BxAnnLoadShared))))

/*
 * One message on a worker's queue.  A row: its TID, then float4 x[dims],
 * then taglen bytes of model tag.  The worker's end: an invalid TID, then
 * the double count of heap tuples it scanned.
 */
typedef struct BxAnnLoadMessage
{
	ItemPointerData tid;
	uint16		taglen;
} BxAnnLoadMessage;

#define LOAD_HEADER_SIZE		MAXALIGN(sizeof(BxAnnLoadMessage))
#define LOAD_ROW_SIZE(dims, taglen) \
	(LOAD_HEADER_SIZE + sizeof(float) * (dims) + (taglen))
#define LOAD_END_SIZE			(LOAD_HEADER_SIZE + sizeof(double))

/* The scan callbacks' state, in the leader and in a worker. */
typedef struct LoadState
{
	Relation	index;
	int			dims;
	int			metric;
	MemoryContext tmpctx;		/* reset after every row */

	/* the leader */
	BxAnnKeepRow keep;
	void	   *arg;
	int			nqueues;		/* workers launched */
	shm_mq_handle **queues;		/* NULL once that worker's queue ended */
	bool	   *ended;			/* that worker sent its end message */
	int			open;			/* queues not ended yet */
	double		workertuples;	/* heap tuples the workers scanned */

	/* a worker */
	shm_mq_handle *out;
	char	   *msg;			/* LOAD_ROW_SIZE(dims, BX_MAX_TAG_LEN) bytes */
} LoadState;

PGDLLEXPORT void BxAnnLoadWorkerMain(dsm_segment *seg, shm_toc *toc);

static void
InitLoadState(LoadState *ls, Relation index, int dims, int metric)
{
	memset(ls, 0, sizeof(LoadState));
	ls->index = index;
	ls->dims = dims;
	ls->metric = metric;
	ls->tmpctx = AllocSetContextCreate(CurrentMemoryContext, "bxann build row",
									   ALLOCSET_DEFAULT_SIZES);
}

/*
 * The row's embedding checked against the index and as the index stores
 * it (BxAnnPrepareValue: normalised for cosine), in the current memory
 * context.  The same checks in the leader and in every worker.
 */
static FaceEmbedding
PrepareRow(LoadState *ls, Datum value)
{
	FaceEmbedding e = DatumGetFaceEmbedding(value);
	bool		usable;

	if (e->dim != ls->dims)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("expected %d dimensions, not %d", ls->dims, e->dim)));
	if (e->taglen > BX_MAX_TAG_LEN)
		elog(ERROR, "face embedding model tag of %d bytes", (int) e->taglen);
	e = BxAnnPrepareValue(ls->index, PointerGetDatum(e), ls->metric, &usable);
	if (!usable)
		BxAnnRefuseUnusable(e, "Delete the vector, or exclude it with a partial index (WHERE bx_cosine_usable(column)).");
	return e;
}

/* A message from worker w: keep its row, or note its end. */
static void
KeepMessage(LoadState *ls, int w, const char *data, Size nbytes)
{
	BxAnnLoadMessage header;

	if (nbytes < LOAD_HEADER_SIZE)
		elog(ERROR, "bxann build: malformed message from parallel worker %d", w);
	memcpy(&header, data, sizeof(header));
	if (!OffsetNumberIsValid(ItemPointerGetOffsetNumberNoCheck(&header.tid)))
	{
		double		tuples;

		if (nbytes != LOAD_END_SIZE)
			elog(ERROR, "bxann build: malformed end message from parallel worker %d", w);
		memcpy(&tuples, data + LOAD_HEADER_SIZE, sizeof(double));
		ls->workertuples += tuples;
		ls->ended[w] = true;
		ls->queues[w] = NULL;
		ls->open--;
		return;
	}
	if (nbytes != LOAD_ROW_SIZE(ls->dims, header.taglen) || header.taglen > BX_MAX_TAG_LEN)
		elog(ERROR, "bxann build: malformed row from parallel worker %d", w);
	/* rows in a queue are MAXALIGNed (or copied to an aligned buffer) */
	ls->keep(ls->arg, &header.tid, (const float *) (data + LOAD_HEADER_SIZE),
			 data + LOAD_HEADER_SIZE + sizeof(float) * ls->dims, header.taglen);
}

/*
 * Keep the rows the workers have sent: without wait, those there now; with
 * wait, until every worker's queue has ended.
 */
static void
DrainQueues(LoadState *ls, bool wait)
{
	while (ls->open > 0)
	{
		bool		got = false;

		for (int w = 0; w < ls->nqueues; w++)
		{
			Size		nbytes;
			void	   *data;
			shm_mq_result res;

			if (ls->queues[w] == NULL)
				continue;
			res = shm_mq_receive(ls->queues[w], &nbytes, &data, true);
			if (res == SHM_MQ_WOULD_BLOCK)
				continue;
			got = true;
			if (res == SHM_MQ_DETACHED)
			{
				/* gone without its end: an error the leader gets below, or never started */
				ls->queues[w] = NULL;
				ls->open--;
				continue;
			}
			KeepMessage(ls, w, data, nbytes);
		}
		CHECK_FOR_INTERRUPTS();
		if (!got)
		{
			if (!wait)
				return;
			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_EXIT_ON_PM_DEATH, -1L,
							 PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
		}
	}
}

/* table_index_build_scan callback of the leader: keep the row, then the workers' */
static void
LeaderCallback(Relation index, ItemPointer tid, Datum *values, bool *isnull,
			   bool tupleIsAlive, void *state)
{
	LoadState  *ls = (LoadState *) state;

	if (!isnull[0])
	{
		MemoryContext old = MemoryContextSwitchTo(ls->tmpctx);
		FaceEmbedding e = PrepareRow(ls, values[0]);

		MemoryContextSwitchTo(old);
		ls->keep(ls->arg, tid, FE_X(e), FE_TAG(e), e->taglen);
		MemoryContextReset(ls->tmpctx);
	}
	if (ls->open > 0)
		DrainQueues(ls, false);
}

/* table_index_build_scan callback of a worker: send the row to the leader */
static void
WorkerCallback(Relation index, ItemPointer tid, Datum *values, bool *isnull,
			   bool tupleIsAlive, void *state)
{
	LoadState  *ls = (LoadState *) state;
	MemoryContext old;
	FaceEmbedding e;
	BxAnnLoadMessage header;
	Size		len;

	if (isnull[0])
		return;
	old = MemoryContextSwitchTo(ls->tmpctx);
	e = PrepareRow(ls, values[0]);
	MemoryContextSwitchTo(old);
	header.tid = *tid;
	header.taglen = e->taglen;
	memcpy(ls->msg, &header, sizeof(header));
	memcpy(ls->msg + LOAD_HEADER_SIZE, FE_X(e), sizeof(float) * ls->dims);
	memcpy(ls->msg + LOAD_HEADER_SIZE + sizeof(float) * ls->dims, FE_TAG(e), e->taglen);
	len = LOAD_ROW_SIZE(ls->dims, e->taglen);
	if (shm_mq_send(ls->out, len, ls->msg, false, false) != SHM_MQ_SUCCESS)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("bxann build: the leader stopped reading")));
	MemoryContextReset(ls->tmpctx);
}

/* Entry point of a parallel worker (CreateParallelContext names it). */
void
BxAnnLoadWorkerMain(dsm_segment *seg, shm_toc *toc)
{
	BxAnnLoadShared *shared = shm_toc_lookup(toc, BXANN_LOAD_KEY_SHARED, false);
	char	   *queues = shm_toc_lookup(toc, BXANN_LOAD_KEY_QUEUES, false);
	shm_mq	   *mq = (shm_mq *) (queues + ParallelWorkerNumber * BXANN_LOAD_QUEUE_SIZE);
	LOCKMODE	heaplock = shared->concurrent ? ShareUpdateExclusiveLock : ShareLock;
	LOCKMODE	indexlock = shared->concurrent ? RowExclusiveLock : AccessExclusiveLock;
	Relation	heap;
	Relation	index;
	IndexInfo  *indexInfo;
	LoadState	ls;
	double		tuples;
	BxAnnLoadMessage header;

	debug_query_string = shm_toc_lookup(toc, BXANN_LOAD_KEY_QUERY, true);
	pgstat_report_activity(STATE_RUNNING, debug_query_string);
	shm_mq_set_sender(mq, MyProc);

	/* the locks index.c took in the leader */
	heap = table_open(shared->heaprelid, heaplock);
	index = index_open(shared->indexrelid, indexlock);
	indexInfo = BuildIndexInfo(index);
	indexInfo->ii_Concurrent = shared->concurrent;

	InitLoadState(&ls, index, shared->dims, shared->metric);
	ls.out = shm_mq_attach(mq, seg, NULL);
	ls.msg = palloc(LOAD_ROW_SIZE(ls.dims, BX_MAX_TAG_LEN));
	tuples = table_index_build_scan(heap, index, indexInfo, true, false,
									WorkerCallback, &ls,
									table_beginscan_parallel(heap, LoadSharedScan(shared)));

	ItemPointerSetInvalid(&header.tid);
	header.taglen = 0;
	memcpy(ls.msg, &header, sizeof(header));
	memcpy(ls.msg + LOAD_HEADER_SIZE, &tuples, sizeof(double));
	if (shm_mq_send(ls.out, LOAD_END_SIZE, ls.msg, false, true) != SHM_MQ_SUCCESS)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("bxann build: the leader stopped reading")));
	shm_mq_detach(ls.out);
	index_close(index, indexlock);
	table_close(heap, heaplock);
}

/*
 * The parallel read: set up the scan and the queues, launch up to nworkers,
 * read with them.  Returns the heap tuples scanned, or -1 (nothing read)
 * when no worker could be launched.
 */
static double
LoadParallel(Relation heap, Relation index, IndexInfo *indexInfo, int nworkers,
			 LoadState *ls, int *launched)
{
	ParallelContext *pcxt;
	Snapshot	snapshot;
	Size		sharedsize;
	Size		querylen = 0;
	BxAnnLoadShared *shared;
	char	   *queues;
	double		tuples;

	EnterParallelMode();
	pcxt = CreateParallelContext("bxexit", "BxAnnLoadWorkerMain", nworkers);
	/* as a B-tree build: every tuple for CREATE INDEX, an MVCC snapshot when concurrent */
	snapshot = indexInfo->ii_Concurrent ?
		RegisterSnapshot(GetTransactionSnapshot()) : SnapshotAny;
	sharedsize = add_size(BUFFERALIGN(sizeof(BxAnnLoadShared)),
						  table_parallelscan_estimate(heap, snapshot));
	shm_toc_estimate_chunk(&pcxt->estimator, sharedsize);
	shm_toc_estimate_chunk(&pcxt->estimator, mul_size(BXANN_LOAD_QUEUE_SIZE, nworkers));
	if (debug_query_string)
	{
		querylen = strlen(debug_query_string);
		shm_toc_estimate_chunk(&pcxt->estimator, querylen + 1);
	}
	shm_toc_estimate_keys(&pcxt->estimator, debug_query_string ? 3 : 2);
	InitializeParallelDSM(pcxt);
	if (pcxt->seg == NULL)
		goto serial;

	shared = shm_toc_allocate(pcxt->toc, sharedsize);
	shared->heaprelid = RelationGetRelid(heap);
	shared->indexrelid = RelationGetRelid(index);
	shared->concurrent = indexInfo->ii_Concurrent;
	shared->dims = ls->dims;
	shared->metric = ls->metric;
	table_parallelscan_initialize(heap, LoadSharedScan(shared), snapshot);
	shm_toc_insert(pcxt->toc, BXANN_LOAD_KEY_SHARED, shared);
	queues = shm_toc_allocate(pcxt->toc, mul_size(BXANN_LOAD_QUEUE_SIZE, nworkers));
	for (int w = 0; w < nworkers; w++)
	{
		shm_mq	   *mq = shm_mq_create(queues + w * BXANN_LOAD_QUEUE_SIZE,
									   BXANN_LOAD_QUEUE_SIZE);

		shm_mq_set_receiver(mq, MyProc);
	}
	shm_toc_insert(pcxt->toc, BXANN_LOAD_KEY_QUEUES, queues);
	if (debug_query_string)
	{
		char	   *query = shm_toc_allocate(pcxt->toc, querylen + 1);

		memcpy(query, debug_query_string, querylen + 1);
		shm_toc_insert(pcxt->toc, BXANN_LOAD_KEY_QUERY, query);
	}

	LaunchParallelWorkers(pcxt);
	if (pcxt->nworkers_launched == 0)
		goto serial;
	*launched = pcxt->nworkers_launched;
	ls->nqueues = pcxt->nworkers_launched;
	ls->queues = palloc(sizeof(shm_mq_handle *) * ls->nqueues);
	ls->ended = palloc0(sizeof(bool) * ls->nqueues);
	for (int w = 0; w < ls->nqueues; w++)
		ls->queues[w] = shm_mq_attach((shm_mq *) (queues + w * BXANN_LOAD_QUEUE_SIZE),
									  pcxt->seg, pcxt->worker[w].bgwhandle);
	ls->open = ls->nqueues;

	/* the leader reads its share too, keeping the workers' rows between its own */
	tuples = table_index_build_scan(heap, index, indexInfo, true, true,
									LeaderCallback, ls,
									table_beginscan_parallel(heap, LoadSharedScan(shared)));
	DrainQueues(ls, true);
	/* raises a worker's error, if one had any */
	WaitForParallelWorkersToFinish(pcxt);
	for (int w = 0; w < ls->nqueues; w++)
		if (!ls->ended[w] &&
			shm_mq_get_sender((shm_mq *) (queues + w * BXANN_LOAD_QUEUE_SIZE)) != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INTERNAL_ERROR),
					 errmsg("bxann build: parallel worker %d ended before reading its share of the table", w)));
	tuples += ls->workertuples;
	if (IsMVCCSnapshot(snapshot))
		UnregisterSnapshot(snapshot);
	DestroyParallelContext(pcxt);
	ExitParallelMode();
	return tuples;

serial:
	if (IsMVCCSnapshot(snapshot))
		UnregisterSnapshot(snapshot);
	DestroyParallelContext(pcxt);
	ExitParallelMode();
	return -1;
}

/*
 * Read every row of heap for the build of index (dims dimensions, metric):
 * with up to nworkers parallel workers when they can be launched (the
 * leader reads too), else alone.  Each non-NULL row is checked and
 * prepared, then handed to keep in this backend.  Returns the heap tuples
 * scanned; *launched is the number of workers that read.
 */
double
BxAnnLoadRows(Relation heap, Relation index, IndexInfo *indexInfo, int dims,
			  int metric, int nworkers, BxAnnKeepRow keep, void *arg, int *launched)
{
	LoadState	ls;
	double		tuples = -1;

	InitLoadState(&ls, index, dims, metric);
	ls.keep = keep;
	ls.arg = arg;
	*launched = 0;
	if (nworkers > 0)
		tuples = LoadParallel(heap, index, indexInfo, nworkers, &ls, launched);
	if (tuples < 0)
		tuples = table_index_build_scan(heap, index, indexInfo, true, true,
										LeaderCallback, &ls, NULL);
	MemoryContextDelete(ls.tmpctx);
	return tuples;
}
