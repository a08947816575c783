/*-------------------------------------------------------------------------
 *
 * bxannsearch.c
 *	  The search inside bxann: read lists, walk the graph.
 *
 * A search reads whole lists (the IVF entry points), computing the SQ8
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
		list->capacity = Max(Max(256, list->capacity * 2), list->count + n);
		list->items = list->items == NULL ?
			palloc(sizeof(BxAnnCandidate) * list->capacity) :
			repalloc(list->items, sizeof(BxAnnCandidate) * list->capacity);
	}
}

static BxAnnCandidate *
AddCandidate(BxAnnCandidateList *list)
{
	ReserveCandidates(list, 1);
	return &list->items[list->count++];
}

/* most element slots a search tracks in its bitmap (256 kB) */
#define BXANN_VISITED_BITS		(256 * 1024 * 8)

/*
 * Mark an element visited; true if it was already.  Elements that existed
 * when the search started have a bit (block x slot); pages added later by
 * concurrent inserts fall back to the hash table.
 */
static inline bool
MarkVisited(BxAnnSearch s, BlockNumber blkno, OffsetNumber off)
{
	if (blkno < s->vblocks && off <= s->vperpage)
	{
		uint64		bit = (uint64) blkno * s->vperpage + (off - 1);
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
 * Fill a candidate from an element.  neighbors points into e: the caller
 * copies them when e lives in a shared buffer.
 */
static void
ReadElement(BxAnnSearch s, BxAnnElement e, BxAnnCandidate *c, BlockNumber blkno,
			OffsetNumber off)
{
	int			m = s->cache->meta.m;

	ItemPointerSet(&c->self, blkno, off);
	c->heaptid = e->heaptid;
	if (e->flags & BXANN_ELEMENT_DELETED)
		ItemPointerSetInvalid(&c->heaptid);
	c->distance = BxAnnCodeDistance(&s->q, BxAnnElementCode(e, m));
	c->expanded = false;
	c->nneighbors = e->nneighbors;
	c->neighbors = e->neighbors;
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

/* how many elements ahead of the one being read the list scan prefetches */
#define BXANN_PREFETCH_AHEAD	2

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
	Size		esize = s->cache->element_size;

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
			c->neighbors = NULL;
			s->visits++;
		}
		blkno = BxAnnPageGetOpaque(page)->nextblkno;
		UnlockReleaseBuffer(buf);
	}
}

/* Visit one element by its location; false if already visited or gone. */
static bool
VisitElement(BxAnnSearch s, ItemPointer tid, BxAnnCandidateList *batch)
{
	BxAnnElement e;

	if (MarkVisited(s, ItemPointerGetBlockNumber(tid), ItemPointerGetOffsetNumber(tid)))
		return false;
	e = palloc(s->cache->element_size);
	if (!BxAnnReadElement(s->index, s->cache, tid, e))
	{
		pfree(e);
		return false;
	}
	ReadElement(s, e, AddCandidate(batch), ItemPointerGetBlockNumber(tid),
				ItemPointerGetOffsetNumber(tid));
	s->visits++;
	return true;
}

/*
 * Offer candidate idx to the beam (indexes into items, nearest first, at
 * most ef); *nbeam is its length.
 */
static inline void
BeamOffer(const BxAnnCandidate *items, int *beam, int *nbeam, int ef, int idx)
{
	float		d = items[idx].distance;
	int			p;

	if (*nbeam == ef && d >= items[beam[*nbeam - 1]].distance)
		return;
	p = *nbeam < ef ? (*nbeam)++ : ef - 1;
	while (p > 0 && items[beam[p - 1]].distance > d)
	{
		beam[p] = beam[p - 1];
		p--;
	}
	beam[p] = idx;
}

/*
 * Best-first graph walk from the batch's candidates.  beam holds indexes into
 * batch->items of the best ef candidates, sorted by distance.
 */
void
BxAnnSearchWalk(BxAnnSearch s, BxAnnCandidateList *batch, int ef)
{
	int		   *beam = palloc(sizeof(int) * (ef + 1));
	int			nbeam = 0;

	/* seed the beam with the ef best candidates so far */
	for (int i = 0; i < batch->count; i++)
		BeamOffer(batch->items, beam, &nbeam, ef, i);

	for (;;)
	{
		int			best = -1;
		BxAnnCandidate  *c;
		int			nn;
		ItemPointerData *neighbors;

		for (int i = 0; i < nbeam; i++)
			if (!batch->items[beam[i]].expanded)
			{
				best = beam[i];
				break;
			}
		if (best < 0)
			break;
		c = &batch->items[best];
		c->expanded = true;
		nn = c->nneighbors;
		neighbors = c->neighbors;	/* batch->items may move: keep the array */
		if (neighbors == NULL && nn > 0)
		{
			/* an element read with its list: fetch its edges now */
			if (!BxAnnReadElement(s->index, s->cache, &c->self, s->scratch))
				continue;
			nn = s->scratch->nneighbors;
			neighbors = s->scratch->neighbors;
		}
		for (int k = 0; k < nn; k++)
		{
			if (VisitElement(s, &neighbors[k], batch))
				BeamOffer(batch->items, beam, &nbeam, ef, batch->count - 1);
		}
	}
	pfree(beam);
}

/*
 * Start a search for x (dims floats, normalised for cosine).  Allocations
 * of the search go to ctx.
 */
void
BxAnnSearchInit(BxAnnSearch s, Relation index, BxAnnCache cache,
				const float *x, MemoryContext ctx)
{
	MemoryContext old = MemoryContextSwitchTo(ctx);

	s->index = index;
	s->cache = cache;
	BxAnnQueryPrepare(&s->q, cache, x);
	s->visited = visited_create(ctx, 64, NULL);
	s->visits = 0;
	s->scratch = palloc(cache->element_size);
	s->vblocks = RelationGetNumberOfBlocks(index);
	s->vperpage = BXANN_ELEMENTS_PER_PAGE(cache->element_size);
	/*
	 * The bitmap is zeroed for every search: beyond BXANN_VISITED_BITS slots
	 * (about a million rows) the blocks past it use the hash table instead,
	 * so a huge index does not cost megabytes per query.
	 */
	s->vblocks = Min(s->vblocks, (BlockNumber) (BXANN_VISITED_BITS / Max(s->vperpage, 1)));
	s->vbits = palloc0(sizeof(uint64) * (((uint64) s->vblocks * s->vperpage) / 64 + 1));
	MemoryContextSwitchTo(old);
}
