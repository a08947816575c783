/*-------------------------------------------------------------------------
 *
 * bxannscan.c
 *	  Ordered scans of a bxann index: ORDER BY column <op> query LIMIT k.
 *
 * A search is a batch:
 *	1. route: the next `bxann.probes` lists nearest to the query (BxAnnProbes:
 *	   the setting, else what the build's tuning chose, see bxanntune.c);
 *	2. read those lists entirely, computing the code distance of each element;
 *	3. graph walk: keep the `bxann.ef_search` (else tuned) best elements; repeatedly take
 *	   the best one not yet expanded and visit its unvisited neighbours;
 *	4. sort everything visited in this batch, re-rank the best
 *	   `bxann.rerank` with the exact distance of the table's value, and
 *	   return them in that order.
 * When the executor wants more rows than a batch gave (a filter rejected
 * them) and bxann.iterative_scan is on, the next batch starts from the next
 * lists; a visited set keeps every element to one batch.  Probing all lists
 * visits every element, so an iterative scan never loses a row.  Rows of
 * later batches can be closer than the last row of an earlier batch
 * (relaxed order).
 *
 * src/am/bxannscan.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <float.h>

#include "access/relscan.h"
#include "access/tableam.h"
#include "bxann.h"
#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "utils/memutils.h"
#include "utils/rel.h"

typedef struct BxAnnScanOpaqueData
{
	BxAnnCache	cache;
	MemoryContext scanctx;		/* beginscan to endscan */
	MemoryContext batchctx;		/* reset by rescan */
	int			metric;
	FmgrInfo   *distproc;
	Oid			collation;
	AttrNumber	heapattno;		/* 0: expression index, no re-rank */

	/* per query */
	bool		started;
	Datum		query;			/* the ORDER BY argument as given */
	BxAnnSearchData search;
	float	   *listdist;		/* distance to every list centroid */
	bool	   *listtaken;		/* lists probed so far */
	int			nlists;
	int			listsdone;

	/* the current batch: [0, nsorted) sorted, the rest sorted when reached */
	BxAnnCandidate *results;
	int			nresults;
	int			nsorted;
	int			next;

	IndexFetchTableData *fetch;
	TupleTableSlot *slot;
} BxAnnScanOpaqueData;

typedef BxAnnScanOpaqueData *BxAnnScanOpaque;

/* rows a batch sorts before the first is returned, without a re-rank */
#define BXANN_FIRST_SORTED		16

/*
 * Replace the code distance of the best n results by the exact distance of
 * the row in the table, drop rows this snapshot cannot see, and re-sort.
 */
static void
Rerank(IndexScanDesc scan, BxAnnCandidate *results, int *nresults, int *nsorted, int n)
{
	BxAnnScanOpaque so = (BxAnnScanOpaque) scan->opaque;
	int			kept = 0;

	n = Min(n, *nsorted);
	if (n == 0 || so->heapattno == 0 || scan->heapRelation == NULL)
		return;
	if (so->fetch == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(so->scanctx);

		so->fetch = table_index_fetch_begin(scan->heapRelation);
		so->slot = table_slot_create(scan->heapRelation, NULL);
		MemoryContextSwitchTo(old);
	}
	for (int i = 0; i < n; i++)
	{
		BxAnnCandidate *c = &results[i];
		bool		call_again = false;
		bool		all_dead = false;
		bool		visible;
		bool		isnull;
		Datum		value;

		visible = table_index_fetch_tuple(so->fetch, &c->heaptid, scan->xs_snapshot,
										  so->slot, &call_again, &all_dead);
		if (!visible)
			continue;
		value = slot_getattr(so->slot, so->heapattno, &isnull);
		if (isnull)
			continue;
		c->distance = (float) DatumGetFloat8(FunctionCall2Coll(so->distproc, so->collation,
															   value, so->query));
		results[kept++] = *c;
		ExecClearTuple(so->slot);
	}
	/* rows past n keep their approximate distance and follow the re-ranked */
	memmove(results + kept, results + n, sizeof(BxAnnCandidate) * (*nresults - n));
	*nresults -= n - kept;
	*nsorted -= n - kept;
	qsort(results, kept, sizeof(BxAnnCandidate), BxAnnCompareCandidates);
}

/* Run the next batch; false when there is nothing left to search. */
static bool
NextBatch(IndexScanDesc scan)
{
	BxAnnScanOpaque so = (BxAnnScanOpaque) scan->opaque;
	BxAnnCandidateList batch = {0};
	int			probes;
	int			nout = 0;
	int		   *lists;
	int			nprobe;

	if (so->listsdone >= so->nlists)
		return false;
	if (so->listsdone > 0 &&
		(!bxann_iterative_scan ||
		 (bxann_max_scan_tuples >= 0 && so->search.visits >= bxann_max_scan_tuples)))
		return false;

	MemoryContextReset(so->batchctx);
	MemoryContextSwitchTo(so->batchctx);
	/* later batches grow: a filter that rejected one batch rejects many */
	probes = BxAnnProbes(so->cache);
	if (so->listsdone > 0)
		probes = Max(probes, so->listsdone);
	lists = palloc(sizeof(int) * Min(probes, so->nlists));
	nprobe = BxAnnTakeNearestLists(so->listdist, so->listtaken, so->nlists, probes, lists);
	BxAnnSearchReserve(&so->search, &batch, nprobe, BxAnnEfSearch(so->cache));
	for (int i = 0; i < nprobe; i++)
		BxAnnSearchList(&so->search, lists[i], &batch);
	so->listsdone += nprobe;
	BxAnnSearchWalk(&so->search, &batch, BxAnnEfSearch(so->cache));

	/* deleted elements guide the walk but are never returned */
	for (int i = 0; i < batch.count; i++)
		if (ItemPointerIsValid(&batch.items[i].heaptid))
			batch.items[nout++] = batch.items[i];

	/* the first rows by code distance, re-ranked; the rest sorted if reached */
	so->nsorted = Min(nout, Max(bxann_rerank, BXANN_FIRST_SORTED));
	BxAnnSelectSmallest(batch.items, nout, so->nsorted);
	qsort(batch.items, so->nsorted, sizeof(BxAnnCandidate), BxAnnCompareCandidates);
	Rerank(scan, batch.items, &nout, &so->nsorted, bxann_rerank);

	so->results = batch.items;
	so->nresults = nout;
	so->next = 0;
	return true;
}

IndexScanDesc
bxannbeginscan(Relation index, int nkeys, int norderbys)
{
	IndexScanDesc scan = RelationGetIndexScan(index, nkeys, norderbys);
	BxAnnScanOpaque so = palloc0(sizeof(BxAnnScanOpaqueData));

	so->scanctx = AllocSetContextCreate(CurrentMemoryContext, "bxann scan",
										ALLOCSET_DEFAULT_SIZES);
	so->batchctx = AllocSetContextCreate(so->scanctx, "bxann scan batch",
										 ALLOCSET_DEFAULT_SIZES);
	so->cache = BxAnnGetCache(index);
	so->metric = so->cache->meta.metric;
	so->distproc = BxAnnGetDistanceProc(index);
	so->collation = index->rd_indcollation[0];
	so->heapattno = index->rd_index->indkey.values[0];
	scan->opaque = so;
	return scan;
}

void
bxannrescan(IndexScanDesc scan, ScanKey keys, int nkeys, ScanKey orderbys,
			int norderbys)
{
	BxAnnScanOpaque so = (BxAnnScanOpaque) scan->opaque;

	if (keys && scan->numberOfKeys > 0)
		memmove(scan->keyData, keys, scan->numberOfKeys * sizeof(ScanKeyData));
	if (orderbys && scan->numberOfOrderBys > 0)
		memmove(scan->orderByData, orderbys, scan->numberOfOrderBys * sizeof(ScanKeyData));
	so->started = false;
	so->results = NULL;
	so->nresults = 0;
	so->nsorted = 0;
	so->next = 0;
	MemoryContextReset(so->batchctx);
}

/* Prepare the query of a (re)started scan; false if it matches nothing. */
static bool
StartScan(IndexScanDesc scan)
{
	BxAnnScanOpaque so = (BxAnnScanOpaque) scan->opaque;
	MemoryContext old = MemoryContextSwitchTo(so->scanctx);
	FaceEmbedding e;
	bool		usable;

	/* a new query: forget everything of the previous one */
	BxAnnSearchEnd(&so->search);
	if (so->fetch != NULL)
	{
		table_index_fetch_end(so->fetch);
		ExecDropSingleTupleTableSlot(so->slot);
	}
	MemoryContextReset(so->scanctx);
	so->batchctx = AllocSetContextCreate(so->scanctx, "bxann scan batch",
										 ALLOCSET_DEFAULT_SIZES);
	so->fetch = NULL;
	so->slot = NULL;
	so->started = true;
	so->listsdone = 0;
	so->nlists = 0;

	if (scan->numberOfOrderBys == 0 || (scan->orderByData[0].sk_flags & SK_ISNULL))
	{
		MemoryContextSwitchTo(old);
		return false;
	}
	so->query = scan->orderByData[0].sk_argument;
	e = DatumGetFaceEmbedding(so->query);
	if (e->dim != so->cache->meta.dims)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("different face_embedding dimensions %d and %d",
						so->cache->meta.dims, e->dim)));
	BxAnnCheckTag(so->cache, e);
	e = BxAnnPrepareValue(scan->indexRelation, PointerGetDatum(e), so->metric, &usable);
	if (!usable)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("cosine distance is undefined for a face_embedding of norm %g",
						sqrt(BxEmbeddingSquaredNorm(e))),
				 errdetail("Cosine distance compares vectors of norm %g or more.",
						   BX_MIN_COSINE_NORM)));
	BxAnnSearchInit(&so->search, scan->indexRelation, so->cache, FE_X(e), so->scanctx, true);
	so->nlists = so->cache->meta.nlists;
	so->listdist = palloc(sizeof(float) * so->nlists);
	so->listtaken = palloc0(sizeof(bool) * so->nlists);
	BxAnnListDistances(so->cache, FE_X(e), so->listdist);
	MemoryContextSwitchTo(old);
	return true;
}

bool
bxanngettuple(IndexScanDesc scan, ScanDirection dir)
{
	BxAnnScanOpaque so = (BxAnnScanOpaque) scan->opaque;

	if (!ScanDirectionIsForward(dir))
		elog(ERROR, "bxann scans go forward only");
	if (!so->started)
	{
		pgstat_count_index_scan(scan->indexRelation);
		if (!StartScan(scan))
			return false;
	}
	while (so->next >= so->nresults)
	{
		MemoryContext old = CurrentMemoryContext;
		bool		more = NextBatch(scan);

		MemoryContextSwitchTo(old);
		if (!more)
			return false;
	}
	if (so->next == so->nsorted)
	{
		/* past the rows sorted up front: sort the rest of the batch */
		qsort(so->results + so->nsorted, so->nresults - so->nsorted,
			  sizeof(BxAnnCandidate), BxAnnCompareCandidates);
		so->nsorted = so->nresults;
	}
	scan->xs_heaptid = so->results[so->next++].heaptid;
	scan->xs_recheck = false;
	scan->xs_recheckorderby = false;
	return true;
}

void
bxannendscan(IndexScanDesc scan)
{
	BxAnnScanOpaque so = (BxAnnScanOpaque) scan->opaque;

	if (so->fetch != NULL)
	{
		table_index_fetch_end(so->fetch);
		ExecDropSingleTupleTableSlot(so->slot);
	}
	BxAnnSearchEnd(&so->search);
	MemoryContextDelete(so->scanctx);
	pfree(so);
	scan->opaque = NULL;
}
