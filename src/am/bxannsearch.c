/*-------------------------------------------------------------------------
 *
 * bxannsearch.c
 *	  The search inside bxann: read lists, walk the graph.
 *
 * A search reads whole lists (the IVF entry points), computing the code
 * distance of each element, then walks the graph best-first: it keeps the
 * ef best elements seen and visits the neighbours of the best one not yet
 * expanded until all ef are expanded.  A visited set keeps each element to
 * one visit per search.  Scans (bxannscan.c) and inserts (bxanninsert.c,
 * to find a new element's neighbours) both use it.
 *
 * src/am/bxannsearch.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "bxann.h"
#include "common/hashfn.h"
#include "miscadmin.h"
#include "utils/memutils.h"
#include "utils/rel.h"

/* visited set of index element locations */
#define SH_PREFIX		visited
#define SH_ELEMENT_TYPE	VisitedEntry
#define SH_KEY_TYPE		uint64
#define SH_KEY			key
#define SH_HASH_KEY(tb, k)	murmurhash32((uint32) (k) ^ (uint32) ((k) >> 32) * 0x9e3779b9u)
#define SH_EQUAL(tb, a, b)	((a) == (b))
#define SH_SCOPE		static inline
#define SH_DECLARE
#define SH_DEFINE
typedef struct VisitedEntry
{
	uint64		key;
	char		status;
} VisitedEntry;
#include "lib/simplehash.h"

/*
 * Memory one search per backend borrows and gives back, kept between
 * queries: a scan's candidates (about probes x rows per list of them: 144 kB
 * at 200k rows and 32 probes) and its visited bitmap (up to 256 kB).  Freed
 * at the end of every query, they made glibc give the top of its heap back
 * to the system and fault it in again the next query (brk, page faults and
 * TLB flushes: a fifth of a query's time at the defaults, perf in
 * bench/RESULTS.md).  The memory is in TopMemoryContext; a second search at
 * the same time (a nested loop over two scans) allocates its own as before.
 * A query that fails before its scan ends gives the memory back at the end
 * of the transaction.
 */
typedef struct SpareSearchMemory
{
	BxAnnCandidate *items;
	int			capacity;
	uint64	   *vbits;
	Size		vbytes;
	bool		inuse;
	bool		callback;		/* the transaction callback is registered */
} SpareSearchMemory;

static SpareSearchMemory spare;

/* the most candidate memory a backend keeps between queries (4 MB) */
#define BXANN_SPARE_KEEP	((Size) 4 * 1024 * 1024)

static void
SpareXactCallback(XactEvent event, void *arg)
{
	if (event != XACT_EVENT_PRE_COMMIT && event != XACT_EVENT_PARALLEL_PRE_COMMIT &&
		event != XACT_EVENT_PRE_PREPARE)
		spare.inuse = false;
}

static inline uint64
TidKey(ItemPointer tid)
{
	return ((uint64) ItemPointerGetBlockNumber(tid) << 16) | ItemPointerGetOffsetNumber(tid);
}

int
BxAnnCompareCandidates(const void *a, const void *b)
{
	const BxAnnCandidate *ca = (const BxAnnCandidate *) a;
	const BxAnnCandidate *cb = (const BxAnnCandidate *) b;

	if (ca->distance != cb->distance)
		return ca->distance < cb->distance ? -1 : 1;
	return ItemPointerCompare((ItemPointer) &ca->heaptid, (ItemPointer) &cb->heaptid);
}

/* Make room for n more candidates. */
static void
ReserveCandidates(BxAnnCandidateList *list, int n)
{
	if (list->count + n > list->capacity)
	{
		int			capacity = Max(Max(256, list->capacity * 2), list->count + n);
		Size		bytes = sizeof(BxAnnCandidate) * capacity;

		if (list->items != NULL)
			list->items = repalloc_huge(list->items, bytes);
		else
			list->items = MemoryContextAllocHuge(list->borrowed ? TopMemoryContext :
												 CurrentMemoryContext, bytes);
		list->capacity = capacity;
		/* the spare follows at once: an error later must not leave it dangling */
		if (list->borrowed)
		{
			spare.items = list->items;
			spare.capacity = capacity;
		}
	}
}

/*
 * Move the k smallest candidates (by distance) to a[0..k), in any order
 * (quickselect: linear on average, unlike sorting the whole batch).
 */
void
BxAnnSelectSmallest(BxAnnCandidate *a, int n, int k)
{
	int			lo = 0,
				hi = n - 1;

	if (k <= 0 || k >= n)
		return;
	while (lo < hi)
	{
		float		pivot = a[lo + (hi - lo) / 2].distance;
		int			i = lo,
					j = hi;

		while (i <= j)
		{
			while (a[i].distance < pivot)
				i++;
			while (a[j].distance > pivot)
				j--;
			if (i <= j)
			{
				BxAnnCandidate t = a[i];

				a[i] = a[j];
				a[j] = t;
				i++;
				j--;
			}
		}
		if (k - 1 <= j)
			hi = j;
		else if (k - 1 >= i)
			lo = i;
		else
			break;
	}
}

/*
 * Size out once for a search of nlists lists and a walk of ef: the lists'
 * share of the index's element slots plus the walk's edges.  Grown by
 * doubling instead, the array was copied several times a query and its
 * sizes made malloc give memory back and take it again each query (brk,
 * page faults: perf, bench/RESULTS.md).
 */
void
BxAnnSearchReserve(BxAnnSearch s, BxAnnCandidateList *out, int nlists, int ef)
{
	uint64		slots = (uint64) s->vblocks * s->vperpage;
	uint64		want = slots * nlists / Max(s->cache->meta.nlists, 1) +
		(uint64) ef * s->cache->meta.m + 256;

	/* a search that borrowed the spare memory lends its candidates to out */
	if (s->borrowed && out->items == NULL)
	{
		out->items = spare.items;
		out->capacity = spare.capacity;
		out->count = 0;
		out->borrowed = true;
	}
	ReserveCandidates(out, (int) Min(want, (uint64) 1024 * 1024));
}

static BxAnnCandidate *
AddCandidate(BxAnnCandidateList *list)
{
	ReserveCandidates(list, 1);
	return &list->items[list->count++];
}

/* most element slots a search tracks in its bitmap (256 kB) */
#define BXANN_VISITED_BITS		(256 * 1024 * 8)

/* bit of an element in the visited bitmap; -1 if it has none */
static inline int64
VisitedBit(BxAnnSearch s, BlockNumber blkno, OffsetNumber off)
{
	if (blkno < s->vblocks && off >= FirstOffsetNumber && off <= s->vperpage)
		return (int64) blkno * s->vperpage + (off - 1);
	return -1;
}

/*
 * Mark an element visited; true if it was already.  Elements that existed
 * when the search started have a bit (block x slot); pages added later by
 * concurrent inserts fall back to the hash table.
 */
static inline bool
MarkVisited(BxAnnSearch s, BlockNumber blkno, OffsetNumber off)
{
	int64		bit = VisitedBit(s, blkno, off);

	if (bit >= 0)
	{
		uint64		mask = UINT64CONST(1) << (bit & 63);
		bool		seen = (s->vbits[bit >> 6] & mask) != 0;

		s->vbits[bit >> 6] |= mask;
		return seen;
	}
	else
	{
		ItemPointerData tid;
		bool		found;

		ItemPointerSet(&tid, blkno, off);
		visited_insert(s->visited, TidKey(&tid), &found);
		return found;
	}
}

/*
 * Fill a candidate from an element on its page.  Its edges stay there: the
 * walk reads them if it expands the candidate.
 */
static void
ReadElement(BxAnnSearch s, BxAnnElement e, BxAnnCandidate *c, BlockNumber blkno,
			OffsetNumber off)
{
	ItemPointerSet(&c->self, blkno, off);
	c->heaptid = e->heaptid;
	if (e->flags & BXANN_ELEMENT_DELETED)
		ItemPointerSetInvalid(&c->heaptid);
	c->distance = BxAnnCodeDistance(&s->q, BxAnnElementCode(e, &s->cache->layout));
	c->expanded = false;
	c->nneighbors = e->nneighbors;
}

/*
 * Ask the CPU to bring an element into cache ahead of its use.  The codes a
 * search reads are cold (an index larger than the CPU's caches, read at
 * random pages): without this, the distance kernel spends most of its time
 * waiting for each element's first cache line (perf, bench/RESULTS.md).
 */
static inline void
PrefetchElement(const void *e, Size size)
{
#if defined(__GNUC__) || defined(__clang__)
	for (Size o = 0; o < size; o += 64)
		__builtin_prefetch((const char *) e + o);
#endif
}

/*
 * How many elements ahead of the one being read the list scan prefetches.
 * At 2 the distance kernel still waited for most of each element's lines;
 * at 6 the loads of several elements overlap (512-d rows, one per person,
 * 200,000 rows, at the defaults: 82 q/s at 2, 104 at 6, 102 at 10, 99 at
 * 16; bench/RESULTS.md).  Pinning the list's next page early to prefetch
 * its first elements too gained nothing measurable.
 */
#define BXANN_PREFETCH_AHEAD	6

/*
 * Read every element of a list not visited yet into out.  Their edges stay
 * on the page: a list holds hundreds of elements, of which the walk expands
 * only the few that enter its beam, and those it reads again.
 */
void
BxAnnSearchList(BxAnnSearch s, int list, BxAnnCandidateList *out)
{
	BxAnnListData entry = BxAnnReadList(s->index, s->cache, list);
	BlockNumber blkno = entry.first;
	Size		esize = s->cache->layout.size;

	while (BlockNumberIsValid(blkno))
	{
		Buffer		buf = ReadBuffer(s->index, blkno);
		Page		page;
		OffsetNumber maxoff;

		CHECK_FOR_INTERRUPTS();
		LockBuffer(buf, BUFFER_LOCK_SHARE);
		page = BufferGetPage(buf);
		maxoff = PageGetMaxOffsetNumber(page);
		ReserveCandidates(out, maxoff);
		for (OffsetNumber off = FirstOffsetNumber;
			 off <= Min(maxoff, BXANN_PREFETCH_AHEAD); off++)
			PrefetchElement(PageGetItem(page, PageGetItemId(page, off)), esize);
		for (OffsetNumber off = FirstOffsetNumber; off <= maxoff; off++)
		{
			BxAnnElement e = (BxAnnElement) PageGetItem(page, PageGetItemId(page, off));
			BxAnnCandidate *c;

			if (off + BXANN_PREFETCH_AHEAD <= maxoff)
				PrefetchElement(PageGetItem(page, PageGetItemId(page, off + BXANN_PREFETCH_AHEAD)),
								esize);

			if (MarkVisited(s, blkno, off))
				continue;
			c = &out->items[out->count++];
			ReadElement(s, e, c, blkno, off);
			s->visits++;
		}
		blkno = BxAnnPageGetOpaque(page)->nextblkno;
		UnlockReleaseBuffer(buf);
	}
}

/*
 * Mark every element slot of a list visited without reading it: for a
 * search that already holds what it needs of the list's elements (the
 * build's tuning, bxanntunesearch.c).  Only for an index just built, whose
 * lists each fill their own pages, first .. last.
 */
void
BxAnnSearchSkipList(BxAnnSearch s, int list)
{
	BxAnnListData entry = BxAnnReadList(s->index, s->cache, list);

	if (!BlockNumberIsValid(entry.first))
		return;
	for (BlockNumber blkno = entry.first; blkno <= entry.last; blkno++)
		for (OffsetNumber off = FirstOffsetNumber; off <= s->vperpage; off++)
			(void) MarkVisited(s, blkno, off);
}

/*
 * Visit one element by its location, on buf (pinned by the caller, released
 * here); false if already visited or gone.  It is scored on its page, not
 * copied: most elements a walk visits never enter its beam, and the few it
 * expands have their edges read then, as a list's elements do.  A copy of
 * every element visited cost the walk a palloc and a memcpy of its code and
 * edges each (perf: a fifth of an insert's time at 512-d).
 */
static bool
VisitElement(BxAnnSearch s, ItemPointer tid, Buffer buf, BxAnnCandidateList *batch)
{
	BlockNumber blkno = ItemPointerGetBlockNumber(tid);
	OffsetNumber off = ItemPointerGetOffsetNumber(tid);
	BxAnnElement e;

	if (MarkVisited(s, blkno, off))
	{
		ReleaseBuffer(buf);
		return false;
	}
	LockBuffer(buf, BUFFER_LOCK_SHARE);
	e = BxAnnPageElement(BufferGetPage(buf), off);
	if (e != NULL)
	{
		ReadElement(s, e, AddCandidate(batch), blkno, off);
		s->visits++;
	}
	UnlockReleaseBuffer(buf);
	return e != NULL;
}

/* Copy the edges of the element at tid into edges; their count (0 if gone). */
static int
ReadEdges(BxAnnSearch s, ItemPointer tid, ItemPointerData *edges)
{
	Buffer		buf = ReadBuffer(s->index, ItemPointerGetBlockNumber(tid));
	BxAnnElement e;
	int			nn = 0;

	LockBuffer(buf, BUFFER_LOCK_SHARE);
	e = BxAnnPageElement(BufferGetPage(buf), ItemPointerGetOffsetNumber(tid));
	if (e != NULL)
	{
		nn = Min(e->nneighbors, s->cache->meta.m);
		for (int k = 0; k < nn; k++)
			edges[k] = BxAnnElementEdge(&s->cache->layout, e, k);
	}
	UnlockReleaseBuffer(buf);
	return nn;
}

/*
 * Pin the pages of the edges not visited yet (bufs[k], InvalidBuffer for
 * the others) and ask the CPU for the lines each visit reads: the page's
 * header and special space (its kind), its line pointer, then the element.
 * The walk's visits are to cold pages at random; one at a time, each
 * waited for those loads in turn (perf: most of the walk's own time).  Two
 * passes, so that the loads of all the edges overlap: the element's address
 * needs its line pointer.  The unlocked reads here only compute prefetch
 * addresses; the visit reads under its share lock.
 */
static void
PinEdges(BxAnnSearch s, const ItemPointerData *edges, int nn, Buffer *bufs)
{
	for (int k = 0; k < nn; k++)
	{
		BlockNumber blkno = ItemPointerGetBlockNumber(&edges[k]);
		OffsetNumber off = ItemPointerGetOffsetNumber(&edges[k]);
		int64		bit = VisitedBit(s, blkno, off);

		bufs[k] = InvalidBuffer;
		if (bit >= 0 && (s->vbits[bit >> 6] & (UINT64CONST(1) << (bit & 63))) != 0)
			continue;
		/*
		 * A row's neighbours are often stored in its own list, on one of
		 * a few pages: a page already pinned here is pinned once more
		 * without looking it up in the buffer table again.
		 */
		for (int j = 0; j < k && !BufferIsValid(bufs[k]); j++)
			if (BufferIsValid(bufs[j]) && BufferGetBlockNumber(bufs[j]) == blkno)
			{
				IncrBufferRefCount(bufs[j]);
				bufs[k] = bufs[j];
			}
		if (!BufferIsValid(bufs[k]))
			bufs[k] = ReadBuffer(s->index, blkno);
#if defined(__GNUC__) || defined(__clang__)
		{
			Page		page = BufferGetPage(bufs[k]);

			__builtin_prefetch(page);
			__builtin_prefetch((const char *) page + BLCKSZ - 1);
			__builtin_prefetch(PageGetItemId(page, off));
		}
#endif
	}
#if defined(__GNUC__) || defined(__clang__)
	for (int k = 0; k < nn; k++)
	{
		OffsetNumber off = ItemPointerGetOffsetNumber(&edges[k]);
		Page		page;
		ItemId		iid;

		if (!BufferIsValid(bufs[k]))
			continue;
		page = BufferGetPage(bufs[k]);
		if (off > PageGetMaxOffsetNumber(page))
			continue;
		iid = PageGetItemId(page, off);
		if (ItemIdGetOffset(iid) + s->cache->layout.size <= BLCKSZ)
			PrefetchElement(PageGetItem(page, iid), s->cache->layout.size);
	}
#endif
}

/*
 * Offer candidate idx to the beam (indexes into items, nearest first, at
 * most ef); *nbeam is its length.  Returns where it went, ef if nowhere.
 */
static inline int
BeamOffer(const BxAnnCandidate *items, int *beam, int *nbeam, int ef, int idx)
{
	float		d = items[idx].distance;
	int			p;

	if (*nbeam == ef && d >= items[beam[*nbeam - 1]].distance)
		return ef;
	p = *nbeam < ef ? (*nbeam)++ : ef - 1;
	while (p > 0 && items[beam[p - 1]].distance > d)
	{
		beam[p] = beam[p - 1];
		p--;
	}
	beam[p] = idx;
	return p;
}

/*
 * Best-first graph walk from the batch's candidates.  beam holds indexes into
 * batch->items of the best ef candidates, sorted by distance.  Every entry
 * of the beam before `first` is expanded: the next to expand is looked for
 * from there, not from the top (a walk of ef 512 rescanned hundreds of
 * expanded entries at each step: perf, a tenth of a build's tuning).
 */
void
BxAnnSearchWalk(BxAnnSearch s, BxAnnCandidateList *batch, int ef)
{
	int		   *beam = palloc(sizeof(int) * (ef + 1));
	int			nbeam = 0;
	int			first = 0;
	Buffer		bufs[BXANN_MAX_M];
	ItemPointerData edges[BXANN_MAX_M];

	/* seed the beam with the ef best candidates so far */
	for (int i = 0; i < batch->count; i++)
		BeamOffer(batch->items, beam, &nbeam, ef, i);

	for (;;)
	{
		int			best = -1;
		BxAnnCandidate  *c;
		int			nn;

		while (first < nbeam && batch->items[beam[first]].expanded)
			first++;
		if (first < nbeam)
			best = beam[first];
		if (best < 0)
			break;
		c = &batch->items[best];
		c->expanded = true;
		/* its edges, read now (batch->items may move while we visit them) */
		nn = c->nneighbors == 0 ? 0 : ReadEdges(s, &c->self, edges);
		PinEdges(s, edges, nn, bufs);
		for (int k = 0; k < nn; k++)
		{
			if (BufferIsValid(bufs[k]) &&
				VisitElement(s, &edges[k], bufs[k], batch))
			{
				int			at = BeamOffer(batch->items, beam, &nbeam, ef, batch->count - 1);

				first = Min(first, at);
			}
		}
	}
	pfree(beam);
}

/*
 * Start a search for x (dims floats, normalised for cosine).  Allocations
 * of the search go to ctx; with reuse, its bitmap and the candidates of
 * BxAnnSearchReserve are the backend's spare memory if it is free, until
 * BxAnnSearchEnd.
 */
void
BxAnnSearchInit(BxAnnSearch s, Relation index, BxAnnCache cache,
				const float *x, MemoryContext ctx, bool reuse)
{
	MemoryContext old = MemoryContextSwitchTo(ctx);
	Size		vbytes;

	s->index = index;
	s->cache = cache;
	BxAnnQueryPrepare(&s->q, cache, x);
	s->visited = visited_create(ctx, 64, NULL);
	s->visits = 0;
	s->vblocks = RelationGetNumberOfBlocks(index);
	s->vperpage = cache->layout.per_page;
	/*
	 * The bitmap is zeroed for every search: beyond BXANN_VISITED_BITS slots
	 * (about a million rows) the blocks past it use the hash table instead,
	 * so a huge index does not cost megabytes per query.
	 */
	s->vblocks = Min(s->vblocks, (BlockNumber) (BXANN_VISITED_BITS / Max(s->vperpage, 1)));
	vbytes = sizeof(uint64) * (((uint64) s->vblocks * s->vperpage) / 64 + 1);
	s->borrowed = reuse && !spare.inuse;
	if (s->borrowed)
	{
		if (!spare.callback)
		{
			RegisterXactCallback(SpareXactCallback, NULL);
			spare.callback = true;
		}
		if (spare.vbytes < vbytes)
		{
			if (spare.vbits != NULL)
				pfree(spare.vbits);
			spare.vbits = NULL;
			spare.vbytes = 0;
			spare.vbits = MemoryContextAlloc(TopMemoryContext, vbytes);
			spare.vbytes = vbytes;
		}
		memset(spare.vbits, 0, vbytes);
		s->vbits = spare.vbits;
		spare.inuse = true;
	}
	else
		s->vbits = palloc0(vbytes);
	MemoryContextSwitchTo(old);
}

/*
 * The end of a search: give back the spare memory if it borrowed it.  The
 * candidates lent to its lists are not to be read after this.
 */
void
BxAnnSearchEnd(BxAnnSearch s)
{
	if (s->borrowed)
	{
		/* an outsized array (a filtered scan that read most lists) is not kept */
		if ((Size) spare.capacity * sizeof(BxAnnCandidate) > BXANN_SPARE_KEEP)
		{
			pfree(spare.items);
			spare.items = NULL;
			spare.capacity = 0;
		}
		spare.inuse = false;
		s->borrowed = false;
	}
}
