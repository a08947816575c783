/*-------------------------------------------------------------------------
 *
 * bxanninsert.c
 *	  Insert one row into a bxann index after the build.
 *
 * The new element goes into the list whose centroid is nearest.  Its edges
 * are the nearest elements a small search finds (two lists and a graph walk
 * of 2m).  It reuses a slot VACUUM freed in that list if the search saw one,
 * else it is appended to the list's last page, or to a new page linked at
 * the end of the list.
 *
 * Its nearest neighbours then get an edge back to it (AddReverseEdges), so
 * that graph walks find it too, not only a scan of its list.
 *
 * Locks, always in this order: element page, new page, directory page.
 * Nobody waits for an element page while holding the directory page.
 *
 * src/am/bxanninsert.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "bxann.h"
#include "nodes/execnodes.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/rel.h"

/* search effort used to find a new element's neighbours */
#define BXANN_INSERT_PROBES		2

/* nearest neighbours that get an edge back to a new element */
#define BXANN_INSERT_REVERSE	6

/* Record the first model tag an untagged index sees in its metapage. */
static void
SetIndexTag(Relation index, FaceEmbedding e)
{
	Buffer		buf = ReadBuffer(index, BXANN_METAPAGE_BLKNO);
	GenericXLogState *state;
	BxAnnMetaPage meta;

	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	state = GenericXLogStart(index);
	meta = BxAnnPageGetMeta(GenericXLogRegisterBuffer(state, buf, 0));
	if (meta->taglen == 0)
	{
		memcpy(meta->tag, FE_TAG(e), e->taglen);
		meta->tag[e->taglen] = '\0';
		meta->taglen = e->taglen;
		BxAnnCommitBuffer(buf, state);
	}
	else
	{
		GenericXLogAbort(state);
		UnlockReleaseBuffer(buf);
	}
	/* every backend must re-read the tag */
	CacheInvalidateRelcache(index);
}

/* Overwrite a deleted element with the new one; false if it is reused already. */
static bool
ReuseSlot(Relation index, ItemPointer slot, BxAnnElement element, Size esize)
{
	Buffer		buf = ReadBuffer(index, ItemPointerGetBlockNumber(slot));
	GenericXLogState *state;
	Page		page;
	BxAnnElement old;
	bool		reused = false;

	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	state = GenericXLogStart(index);
	page = GenericXLogRegisterBuffer(state, buf, 0);
	old = (BxAnnElement) PageGetItem(page, PageGetItemId(page, ItemPointerGetOffsetNumber(slot)));
	if (old->flags & BXANN_ELEMENT_DELETED)
	{
		memcpy(old, element, esize);
		reused = true;
		BxAnnCommitBuffer(buf, state);
	}
	else
	{
		GenericXLogAbort(state);
		UnlockReleaseBuffer(buf);
	}
	return reused;
}

/* Append the element to the end of list `list`; returns where it went. */
static ItemPointerData
AppendToList(Relation index, BxAnnCache cache, int list, BxAnnElement element, Size esize)
{
	ItemPointerData where;
	OffsetNumber off;

	BlockNumber dirblk = cache->meta.dir_start + list / BXANN_LISTS_PER_PAGE;
	int			dirslot = list % BXANN_LISTS_PER_PAGE;

	for (;;)
	{
		BxAnnListData entry = BxAnnReadList(index, cache, list);
		Buffer		buf = InvalidBuffer;
		Buffer		newbuf;
		Buffer		dirbuf;
		GenericXLogState *state;
		Page		page = NULL;
		Page		newpage;
		BxAnnListData *dirent;

		if (BlockNumberIsValid(entry.last))
		{
			/* find the real last page: another insert may have extended it */
			BlockNumber blkno = entry.last;

			for (;;)
			{
				buf = ReadBuffer(index, blkno);
				LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
				blkno = BxAnnPageGetOpaque(BufferGetPage(buf))->nextblkno;
				if (!BlockNumberIsValid(blkno))
					break;
				UnlockReleaseBuffer(buf);
			}
			state = GenericXLogStart(index);
			page = GenericXLogRegisterBuffer(state, buf, 0);
			if (PageGetFreeSpace(page) >= esize)
			{
				off = PageAddItem(page, (Item) element, esize, InvalidOffsetNumber, false, false);
				if (off == InvalidOffsetNumber)
					elog(ERROR, "failed to add element to bxann page");
				ItemPointerSet(&where, BufferGetBlockNumber(buf), off);
				BxAnnCommitBuffer(buf, state);
				return where;
			}
		}
		else
			state = GenericXLogStart(index);

		/* a new page at the end of the list */
		newbuf = BxAnnNewBuffer(index, MAIN_FORKNUM);
		/* an index too large for its edges: the new page stays empty */
		BxAnnCheckElementBlock(index, &cache->layout, BufferGetBlockNumber(newbuf));
		dirbuf = ReadBuffer(index, dirblk);
		LockBuffer(dirbuf, BUFFER_LOCK_EXCLUSIVE);
		dirent = &((BxAnnListData *) PageGetContents(GenericXLogRegisterBuffer(state, dirbuf, 0)))[dirslot];
		if (!BufferIsValid(buf) && BlockNumberIsValid(dirent->first))
		{
			/* someone else started the list meanwhile: retry */
			GenericXLogAbort(state);
			UnlockReleaseBuffer(dirbuf);
			/* the new page stays empty and unlinked; harmless */
			UnlockReleaseBuffer(newbuf);
			continue;
		}
		newpage = GenericXLogRegisterBuffer(state, newbuf, GENERIC_XLOG_FULL_IMAGE);
		BxAnnInitPage(newpage, BXANN_PAGE_ELEMENT);
		off = PageAddItem(newpage, (Item) element, esize, InvalidOffsetNumber, false, false);
		if (off == InvalidOffsetNumber)
			elog(ERROR, "failed to add element to bxann page");
		ItemPointerSet(&where, BufferGetBlockNumber(newbuf), off);
		if (BufferIsValid(buf))
			BxAnnPageGetOpaque(page)->nextblkno = BufferGetBlockNumber(newbuf);
		else
			dirent->first = BufferGetBlockNumber(newbuf);
		dirent->last = BufferGetBlockNumber(newbuf);
		GenericXLogFinish(state);
		if (BufferIsValid(buf))
			UnlockReleaseBuffer(buf);
		UnlockReleaseBuffer(newbuf);
		UnlockReleaseBuffer(dirbuf);
		return where;
	}
}

/* Copy the live element at tid; false if it is gone or deleted. */
static bool
ReadLiveElement(Relation index, BxAnnCache cache, ItemPointer tid, BxAnnElement copy)
{
	return BxAnnReadElement(index, cache, tid, copy) &&
		!(copy->flags & BXANN_ELEMENT_DELETED);
}

/* approximate distance between two codes, in the units of the search */
static float
CodeToCodeDistance(BxAnnCache cache, const uint8 *a, const uint8 *b)
{
	int			dims = cache->meta.dims;
	float	   *x = palloc(sizeof(float) * dims);
	BxAnnQueryData q;
	float		d;

	BxAnnDecodeWith(cache->sqmin, cache->sqscale, dims, cache->meta.code_bits, a, x);
	BxAnnQueryPrepare(&q, cache, x);
	d = BxAnnCodeDistance(&q, b);
	pfree(x);
	pfree(q.qa);
	return d;
}

/* Does edge k of e lead to tid? */
static bool
EdgeIs(const BxAnnElementLayout *layout, const BxAnnElementData *e, int k, ItemPointer tid)
{
	ItemPointerData edge = BxAnnElementEdge(layout, e, k);

	return ItemPointerEquals(&edge, tid);
}

/*
 * Reverse edges: make the new element (at self, at distance dist[i] from
 * its neighbour neighbors[i]) a neighbour of its nearest neighbours, so that
 * graph walks reach it and not only list scans.  A neighbour with a free
 * edge slot gets the edge; a full one trades its last edge for it if the
 * new element is closer than that edge's end.  Edges of build elements are
 * sorted nearest first, so the last one is the farthest; edges added here
 * keep that only approximately.
 *
 * The neighbour's last edge is read before the neighbour's page is locked
 * for writing (one page lock at a time), then re-checked under the lock.
 */
static void
AddReverseEdges(Relation index, BxAnnCache cache, ItemPointer self,
				const BxAnnCandidate *neighbors, int count)
{
	const BxAnnElementLayout *layout = &cache->layout;
	int			m = cache->meta.m;
	BxAnnElement u = palloc(layout->size);
	BxAnnElement last = palloc(layout->size);

	for (int i = 0; i < count; i++)
	{
		ItemPointerData utid = neighbors[i].self;
		ItemPointerData lasttid;
		bool		replace;
		Buffer		buf;
		GenericXLogState *state;
		Page		page;
		BxAnnElement target;
		int			n;

		CHECK_FOR_INTERRUPTS();
		if (!ReadLiveElement(index, cache, &utid, u))
			continue;
		n = u->nneighbors;
		replace = n >= m;
		if (replace)
		{
			lasttid = BxAnnElementEdge(layout, u, n - 1);
			/* keep the old edge if its end is gone or closer than us */
			if (ReadLiveElement(index, cache, &lasttid, last) &&
				CodeToCodeDistance(cache, BxAnnElementCode(u, layout), BxAnnElementCode(last, layout)) <=
				neighbors[i].distance)
				continue;
		}

		buf = ReadBuffer(index, ItemPointerGetBlockNumber(&utid));
		LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
		state = GenericXLogStart(index);
		page = GenericXLogRegisterBuffer(state, buf, 0);
		target = (BxAnnElement) PageGetItem(page, PageGetItemId(page, ItemPointerGetOffsetNumber(&utid)));
		/* apply only if nobody changed its edges meanwhile */
		if (!(target->flags & BXANN_ELEMENT_DELETED) && target->nneighbors == n &&
			(!replace || EdgeIs(layout, target, n - 1, &lasttid)))
		{
			if (replace)
				BxAnnSetElementEdge(layout, target, n - 1, self);
			else
				BxAnnSetElementEdge(layout, target, target->nneighbors++, self);
			BxAnnCommitBuffer(buf, state);
		}
		else
		{
			GenericXLogAbort(state);
			UnlockReleaseBuffer(buf);
		}
	}
	pfree(u);
	pfree(last);
}

bool
bxanninsert(Relation index, Datum *values, bool *isnull, ItemPointer heap_tid,
			Relation heap, IndexUniqueCheck checkUnique, bool indexUnchanged,
			IndexInfo *indexInfo)
{
	MemoryContext ctx = AllocSetContextCreate(CurrentMemoryContext, "bxann insert",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(ctx);
	BxAnnCache	cache = BxAnnGetCache(index);
	FaceEmbedding e;
	bool		usable;
	int			lists[BXANN_INSERT_PROBES];
	int			nprobe;
	BxAnnSearchData search;
	BxAnnCandidateList cands = {0};
	int			m = cache->meta.m;
	Size		esize = cache->layout.size;
	BxAnnElement element;
	ItemPointerData slot;
	ItemPointerData self;
	int			listcount;
	int			live;
	BxAnnCandidate *chosen;

	if (isnull[0])
	{
		MemoryContextSwitchTo(old);
		MemoryContextDelete(ctx);
		return false;
	}
	e = DatumGetFaceEmbedding(values[0]);
	if (e->dim != cache->meta.dims)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("expected %d dimensions, not %d", cache->meta.dims, e->dim)));
	BxAnnCheckTag(cache, e);
	if (e->taglen > 0 && cache->meta.taglen == 0)
	{
		SetIndexTag(index, e);
		cache = BxAnnGetCache(index);
	}
	e = BxAnnPrepareValue(index, PointerGetDatum(e), cache->meta.metric, &usable);
	if (!usable)
		BxAnnRefuseUnusable(e, "Exclude zero vectors with a partial index (WHERE bx_cosine_usable(column)).");

	/* neighbours: a small search; the nearest list is where the row goes */
	BxAnnSearchInit(&search, index, cache, FE_X(e), ctx, true);
	nprobe = BxAnnNearestLists(cache, FE_X(e), BXANN_INSERT_PROBES, lists);
	BxAnnSearchReserve(&search, &cands, nprobe, 2 * m);
	BxAnnSearchList(&search, lists[0], &cands);
	listcount = cands.count;
	for (int i = 1; i < nprobe; i++)
		BxAnnSearchList(&search, lists[i], &cands);
	BxAnnSearchWalk(&search, &cands, 2 * m);

	/* a slot VACUUM freed in the target list, if the search saw one */
	ItemPointerSetInvalid(&slot);
	for (int i = 0; i < listcount; i++)
		if (!ItemPointerIsValid(&cands.items[i].heaptid))
		{
			slot = cands.items[i].self;
			break;
		}

	/*
	 * Edges: the m nearest live elements (a deleted one may be overwritten
	 * any time), nearest first; selected, not sorted, from the hundreds seen.
	 */
	live = 0;
	for (int i = 0; i < cands.count; i++)
		if (ItemPointerIsValid(&cands.items[i].heaptid) &&
			!ItemPointerEquals(&cands.items[i].self, &slot))
			cands.items[live++] = cands.items[i];
	BxAnnSelectSmallest(cands.items, live, m);
	live = Min(live, m);
	qsort(cands.items, live, sizeof(BxAnnCandidate), BxAnnCompareCandidates);
	element = palloc0(esize);
	element->heaptid = *heap_tid;
	chosen = palloc(sizeof(BxAnnCandidate) * m);
	for (int i = 0; i < live; i++)
	{
		chosen[i] = cands.items[i];
		BxAnnSetElementEdge(&cache->layout, element, i, &cands.items[i].self);
	}
	element->nneighbors = live;
	/* the candidates were the backend's spare memory: not read after this */
	BxAnnSearchEnd(&search);
	BxAnnEncode(cache, FE_X(e), BxAnnElementCode(element, &cache->layout));

	if (ItemPointerIsValid(&slot) && ReuseSlot(index, &slot, element, esize))
		self = slot;
	else
		self = AppendToList(index, cache, lists[0], element, esize);
	AddReverseEdges(index, cache, &self, chosen, Min(element->nneighbors, BXANN_INSERT_REVERSE));

	MemoryContextSwitchTo(old);
	MemoryContextDelete(ctx);
	return false;
}
