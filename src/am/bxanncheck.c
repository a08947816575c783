/*-------------------------------------------------------------------------
 *
 * bxanncheck.c
 *	  bxann_check(index, heap_check): verify a bxann index, amcheck-style.
 *
 * Like amcheck's bt_index_check, the function either returns one row of
 * counts or raises ERRCODE_INDEX_CORRUPTED (XX002) at the first
 * inconsistency, naming the block, element or heap tuple.  It trusts
 * nothing it reads: every page is copied under a share lock and checked
 * before a field of it is used to find another page.
 *
 *	1. Physical pass, block by block: the metapage (magic, version, dims,
 *	   metric, m, lists, tag, where the stream and directory live, all
 *	   against the relation's size, the index column and the opclass); the
 *	   page layout, page ID and kind of every page, at the block range its
 *	   kind must occupy; the stream (finite floats, positive code scales);
 *	   the line pointers of element pages.  Pages that are all zeroes are
 *	   extensions an insert never initialised (bxanninsert.c leaves one when
 *	   it loses a race, and a crash can leave one): counted, not corrupt.
 *	2. Logical pass, list by list: each directory entry (first and last both
 *	   set or both unset, inside the element area), then the chain from first
 *	   to last: every link inside the relation, to an element page no list
 *	   linked before (no cycles, no shared pages), the list's last page on
 *	   the chain.  Every element on it: known flags, a heap TID exactly when
 *	   live, at most m edges, each to an existing element slot.
 *	3. Orphans: an element page that no chain reached is unreachable by list
 *	   scans.
 *	4. With heap_check, the table and the index agree both ways: every live
 *	   element points to a used heap line pointer that is not a heap-only
 *	   tuple (LP_DEAD and redirects are fine: dead rows VACUUM has not
 *	   reached yet), no two live elements share a heap TID, and every heap
 *	   tuple the index must hold (visible to the check's snapshot, inside the
 *	   index predicate, not NULL) has a live element with its TID.  Heap
 *	   tuples come from table_index_build_scan, so index expressions,
 *	   predicates and HOT chains (root TIDs) are handled as by CREATE INDEX.
 *
 * Concurrency.  The check runs beside inserts.  The index takes only
 * AccessShareLock, like any scan; the table takes AccessShareLock without
 * heap_check and ShareUpdateExclusiveLock with it.  That lock is the one
 * VACUUM takes, so it keeps VACUUM (the only thing that marks elements
 * deleted and recycles heap TIDs) out while inserts, updates and deletes
 * go on.  amcheck's bt_index_check makes do with AccessShareLock because a
 * B-tree's leaf pins interlock with VACUUM; bxann scans copy TIDs and hold
 * no pins, so the index-to-heap direction needs VACUUM kept away to be
 * free of false alarms (bt_index_parent_check takes ShareLock, which would
 * also stop every writer).  The snapshot is taken before the index is
 * read, as amcheck's heapallindexed does: a tuple it sees was committed,
 * hence indexed, before the index was read, and cannot be vacuumed away
 * while the snapshot holds the xmin horizon back.
 *
 * Inserts only add: they append elements, link new pages at the end of a
 * list (page, link and directory in one WAL record) or overwrite a deleted
 * slot.  So a page that looks too small or uninitialised to hold an edge's
 * target is read again before it is called corrupt, and an element page
 * that no chain reached is looked for again on fresh chains before it is
 * called an orphan.
 *
 * Memory: a few bytes per index block, and with heap_check 16 bytes per
 * live element, checked against maintenance_work_mem as it grows.
 *
 * src/am/bxanncheck.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "bxann.h"
#include "catalog/index.h"
#include "catalog/pg_am.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "utils/acl.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

/* kind[] value of a block that is all zeroes (never initialised) */
#define BLOCK_NEW		0

/* a live element: its heap TID as a sortable key, and where it is */
typedef struct ElementRef
{
	uint64		heapkey;
	ItemPointerData self;
} ElementRef;

typedef struct CheckState
{
	Relation	index;
	Relation	heap;
	bool		heapcheck;
	BufferAccessStrategy strategy;

	BxAnnMetaPageData meta;		/* the checked metapage */
	BxAnnElementLayout layout;	/* element size, elements a page, edges */
	BlockNumber elemstart;		/* first block of the element area */

	/* what is known of each block; grows when inserts extend the index */
	BlockNumber nblocks;
	BlockNumber capacity;
	uint8	   *kind;			/* BXANN_PAGE_* or BLOCK_NEW */
	uint16	   *maxoff;			/* elements of an element page */
	int32	   *owner;			/* 1 + the list whose chain holds it, 0 = none */

	/* counts */
	int64		new_pages;
	int64		element_pages;
	int64		live;
	int64		deleted;
	int64		edges;

	/* heap check */
	ElementRef *refs;
	int64		nrefs;
	int64		maxrefs;
	Size		budget;
	int64		heap_tuples;
	int64		missing;
	ItemPointerData first_missing;
} CheckState;

#define IndexName(st)	RelationGetRelationName((st)->index)

/* every inconsistency: XX002 with what was found where */
#define CORRUPT(...) \
	ereport(ERROR, \
			(errcode(ERRCODE_INDEX_CORRUPTED), \
			 errmsg(__VA_ARGS__), \
			 errhint("REINDEX rebuilds the index from its table.")))

static inline uint64
TidKey(ItemPointer tid)
{
	return ((uint64) ItemPointerGetBlockNumber(tid) << 16) | ItemPointerGetOffsetNumber(tid);
}

/* "a meta page", "an element page"... for messages */
static const char *
KindName(int kind)
{
	switch (kind)
	{
		case BLOCK_NEW:
			return "an uninitialized page";
		case BXANN_PAGE_META:
			return "a metapage";
		case BXANN_PAGE_STREAM:
			return "a stream page";
		case BXANN_PAGE_DIRECTORY:
			return "a directory page";
		case BXANN_PAGE_ELEMENT:
			return "an element page";
	}
	return "a page of unknown kind";
}

/* the kind a block must have, from its position (new pages aside) */
static int
ExpectedKind(CheckState *st, BlockNumber blkno)
{
	if (blkno == BXANN_METAPAGE_BLKNO)
		return BXANN_PAGE_META;
	if (blkno < st->meta.stream_start + st->meta.stream_pages)
		return BXANN_PAGE_STREAM;
	if (blkno < st->elemstart)
		return BXANN_PAGE_DIRECTORY;
	return BXANN_PAGE_ELEMENT;
}

/* Copy block blkno of the index into copy, under a share lock. */
static void
ReadPageCopy(CheckState *st, BlockNumber blkno, Page copy)
{
	Buffer		buf;

	CHECK_FOR_INTERRUPTS();
	buf = ReadBufferExtended(st->index, MAIN_FORKNUM, blkno, RBM_NORMAL, st->strategy);
	LockBuffer(buf, BUFFER_LOCK_SHARE);
	memcpy(copy, BufferGetPage(buf), BLCKSZ);
	UnlockReleaseBuffer(buf);
}

/*
 * Check the layout of a page copy and return its kind (BLOCK_NEW for an
 * all-zero page, which only the element area may hold).  Element pages get
 * their line pointers checked and their element count recorded.
 */
static int
CheckPage(CheckState *st, BlockNumber blkno, Page page)
{
	PageHeader	ph = (PageHeader) page;
	BxAnnPageOpaque opaque;
	int			expected = ExpectedKind(st, blkno);
	OffsetNumber maxoff;

	if (PageIsNew(page))
	{
		if (expected != BXANN_PAGE_ELEMENT)
			CORRUPT("index \"%s\" block %u is uninitialized, expected %s",
					IndexName(st), blkno, KindName(expected));
		for (int i = 0; i < BLCKSZ; i++)
			if (((char *) page)[i] != 0)
				CORRUPT("index \"%s\" block %u has no page header but is not all zeroes",
						IndexName(st), blkno);
		return BLOCK_NEW;
	}
	if (ph->pd_special != BLCKSZ - MAXALIGN(sizeof(BxAnnPageOpaqueData)) ||
		ph->pd_lower < SizeOfPageHeaderData || ph->pd_lower > ph->pd_upper ||
		ph->pd_upper > ph->pd_special)
		CORRUPT("index \"%s\" block %u has a bad page header: lower %u, upper %u, special %u",
				IndexName(st), blkno, ph->pd_lower, ph->pd_upper, ph->pd_special);
	opaque = BxAnnPageGetOpaque(page);
	if (opaque->page_id != BXANN_PAGE_ID)
		CORRUPT("index \"%s\" block %u has page ID 0x%04X, expected 0x%04X",
				IndexName(st), blkno, opaque->page_id, BXANN_PAGE_ID);
	if (opaque->kind != expected)
		CORRUPT("index \"%s\" block %u is %s (kind %u), expected %s",
				IndexName(st), blkno, KindName(opaque->kind), opaque->kind,
				KindName(expected));
	if (expected != BXANN_PAGE_ELEMENT)
		return expected;

	maxoff = PageGetMaxOffsetNumber(page);
	if (maxoff > st->layout.per_page)
		CORRUPT("index \"%s\" block %u has %u elements, a page holds at most %d",
				IndexName(st), blkno, maxoff, st->layout.per_page);
	for (OffsetNumber off = FirstOffsetNumber; off <= maxoff; off++)
	{
		ItemId		lp = PageGetItemId(page, off);

		if (!ItemIdIsNormal(lp) || ItemIdGetLength(lp) != st->layout.size ||
			ItemIdGetOffset(lp) < ph->pd_upper ||
			ItemIdGetOffset(lp) + ItemIdGetLength(lp) > ph->pd_special ||
			ItemIdGetOffset(lp) != MAXALIGN(ItemIdGetOffset(lp)))
			CORRUPT("index \"%s\" element (%u,%u) has a bad line pointer: flags %u, offset %u, length %u (elements are %d bytes)",
					IndexName(st), blkno, off, ItemIdGetFlags(lp), ItemIdGetOffset(lp),
					ItemIdGetLength(lp), st->layout.size);
	}
	return BXANN_PAGE_ELEMENT;
}

/* Make room in the per-block arrays for n blocks. */
static void
GrowBlocks(CheckState *st, BlockNumber n)
{
	BlockNumber cap;

	if (n <= st->capacity)
		return;
	cap = Max(n, st->capacity * 2);
	if (st->kind == NULL)
	{
		st->kind = palloc_extended(sizeof(uint8) * cap, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
		st->maxoff = palloc_extended(sizeof(uint16) * cap, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
		st->owner = palloc_extended(sizeof(int32) * cap, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	}
	else
	{
		st->kind = repalloc_huge(st->kind, sizeof(uint8) * cap);
		st->maxoff = repalloc_huge(st->maxoff, sizeof(uint16) * cap);
		st->owner = repalloc_huge(st->owner, sizeof(int32) * cap);
		memset(st->kind + st->capacity, 0, sizeof(uint8) * (cap - st->capacity));
		memset(st->maxoff + st->capacity, 0, sizeof(uint16) * (cap - st->capacity));
		memset(st->owner + st->capacity, 0, sizeof(int32) * (cap - st->capacity));
	}
	st->capacity = cap;
}

/* Read and check one element-area block, recording its kind and size. */
static void
LearnBlock(CheckState *st, BlockNumber blkno, Page copy)
{
	int			kind;

	ReadPageCopy(st, blkno, copy);
	kind = CheckPage(st, blkno, copy);
	if (st->kind[blkno] == BLOCK_NEW && kind == BXANN_PAGE_ELEMENT && blkno < st->nblocks)
		st->new_pages--;		/* an insert initialised it since the first look */
	st->kind[blkno] = kind;
	st->maxoff[blkno] = kind == BXANN_PAGE_ELEMENT ? PageGetMaxOffsetNumber(copy) : 0;
}

/*
 * True if blkno is inside the index.  Blocks concurrent inserts added since
 * the physical pass are read and checked first.
 */
static bool
KnowBlock(CheckState *st, BlockNumber blkno)
{
	BlockNumber now;
	PGAlignedBlock copy;

	if (blkno < st->nblocks)
		return true;
	now = RelationGetNumberOfBlocks(st->index);
	if (blkno >= now)
		return false;
	GrowBlocks(st, now);
	for (BlockNumber b = st->nblocks; b < now; b++)
	{
		LearnBlock(st, b, copy.data);
		if (st->kind[b] == BLOCK_NEW)
			st->new_pages++;
	}
	st->nblocks = now;
	return true;
}

/* Check the metapage (a copy) against the relation and its catalog entry. */
static void
CheckMetaPage(CheckState *st, Page page, BlockNumber nblocks)
{
	BxAnnMetaPage meta;
	PageHeader	ph = (PageHeader) page;
	int32		typmod = TupleDescAttr(RelationGetDescr(st->index), 0)->atttypmod;
	uint64		streambytes;
	uint64		streampages;
	uint64		dirpages;

	if (PageIsNew(page))
		CORRUPT("index \"%s\" has an uninitialized metapage", IndexName(st));
	meta = BxAnnPageGetMeta(page);
	if (meta->magic != BXANN_MAGIC)
		CORRUPT("index \"%s\" has metapage magic 0x%08X, expected 0x%08X",
				IndexName(st), meta->magic, BXANN_MAGIC);
	if (meta->version < BXANN_MIN_VERSION || meta->version > BXANN_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("bxann index \"%s\" has format version %u, this library checks versions %d to %d",
						IndexName(st), meta->version, BXANN_MIN_VERSION, BXANN_VERSION),
				 errhint("REINDEX the index.")));
	if (ph->pd_special != BLCKSZ - MAXALIGN(sizeof(BxAnnPageOpaqueData)) ||
		BxAnnPageGetOpaque(page)->page_id != BXANN_PAGE_ID ||
		BxAnnPageGetOpaque(page)->kind != BXANN_PAGE_META)
		CORRUPT("index \"%s\" block 0 has the bxann magic number but is not a metapage",
				IndexName(st));
	if (ph->pd_lower != (char *) meta + BXANN_META_SIZE(meta->version) - (char *) page)
		CORRUPT("index \"%s\" metapage ends at byte %u, expected %zu",
				IndexName(st), ph->pd_lower,
				(Size) ((char *) meta + BXANN_META_SIZE(meta->version) - (char *) page));
	memset(&st->meta, 0, sizeof(BxAnnMetaPageData));
	memcpy(&st->meta, meta, BXANN_META_SIZE(meta->version));
	meta = &st->meta;

	if (meta->dims < 1 || meta->dims > BXANN_MAX_DIM)
		CORRUPT("index \"%s\" metapage has %u dimensions, outside 1 to %d",
				IndexName(st), meta->dims, BXANN_MAX_DIM);
	if (typmod >= 0 && meta->dims != typmod)
		CORRUPT("index \"%s\" metapage has %u dimensions, its column face_embedding(%d)",
				IndexName(st), meta->dims, typmod);
	if (meta->metric != BxAnnGetMetric(st->index))
		CORRUPT("index \"%s\" metapage has metric %u, its operator class metric %d",
				IndexName(st), meta->metric, BxAnnGetMetric(st->index));
	if (meta->m < BXANN_MIN_M || meta->m > BXANN_MAX_M)
		CORRUPT("index \"%s\" metapage has m = %u, outside %d to %d",
				IndexName(st), meta->m, BXANN_MIN_M, BXANN_MAX_M);
	/* older formats end before code_bits: it reads as 0 there (8-bit codes) */
	if (meta->version >= 3 && meta->code_bits != 4 && meta->code_bits != 8)
		CORRUPT("index \"%s\" metapage has %u-bit codes, expected 4 or 8",
				IndexName(st), meta->code_bits);
	if (meta->nlists < 1 || meta->nlists > BXANN_MAX_LISTS)
		CORRUPT("index \"%s\" metapage has %u lists, outside 1 to %d",
				IndexName(st), meta->nlists, BXANN_MAX_LISTS);
	if (meta->tuned_probes > meta->nlists ||
		!(meta->tuned_found >= 0.0f && meta->tuned_found <= 1.0f) ||
		!(meta->tuned_mate_similarity >= -1.0f && meta->tuned_mate_similarity <= 1.0f))
		CORRUPT("index \"%s\" metapage has tuned probes %u of %u lists, found %g, mate similarity %g",
				IndexName(st), meta->tuned_probes, meta->nlists,
				(double) meta->tuned_found, (double) meta->tuned_mate_similarity);
	if (meta->taglen > BX_MAX_TAG_LEN || meta->tag[meta->taglen] != '\0' ||
		strlen(meta->tag) != meta->taglen)
		CORRUPT("index \"%s\" metapage has a malformed model tag (length %u)",
				IndexName(st), meta->taglen);
	for (int i = 0; i < meta->taglen; i++)
	{
		char		c = meta->tag[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			  (i > 0 && (c == '.' || c == '_' || c == '-'))))
			CORRUPT("index \"%s\" metapage model tag has byte 0x%02X at position %d",
					IndexName(st), (unsigned char) c, i);
	}

	/* where the rest lives: as WriteIndex lays it out */
	streambytes = sizeof(float) * ((uint64) meta->dims * 2 + (uint64) meta->nlists * meta->dims);
	streampages = Max((streambytes + BXANN_STREAM_PER_PAGE - 1) / BXANN_STREAM_PER_PAGE, 1);
	dirpages = (meta->nlists + BXANN_LISTS_PER_PAGE - 1) / BXANN_LISTS_PER_PAGE;
	if (meta->stream_start != BXANN_METAPAGE_BLKNO + 1 || meta->stream_bytes != streambytes ||
		meta->stream_pages != streampages)
		CORRUPT("index \"%s\" metapage places %u stream bytes in %u pages from block %u, expected %llu bytes in %llu pages from block %u",
				IndexName(st), meta->stream_bytes, meta->stream_pages, meta->stream_start,
				(unsigned long long) streambytes, (unsigned long long) streampages,
				BXANN_METAPAGE_BLKNO + 1);
	if (meta->dir_start != meta->stream_start + meta->stream_pages || meta->dir_pages != dirpages)
		CORRUPT("index \"%s\" metapage places the directory at blocks %u to %u, expected %u to %llu",
				IndexName(st), meta->dir_start, meta->dir_start + meta->dir_pages - 1,
				meta->stream_start + meta->stream_pages,
				(unsigned long long) (meta->stream_start + meta->stream_pages + dirpages - 1));
	if ((uint64) meta->dir_start + meta->dir_pages > nblocks)
		CORRUPT("index \"%s\" has %u blocks, its metapage places the directory up to block %u",
				IndexName(st), nblocks, meta->dir_start + meta->dir_pages - 1);

	BxAnnLayoutInit(&st->layout, meta->version, meta->m, meta->dims, BxAnnMetaCodeBits(meta));
	st->elemstart = meta->dir_start + meta->dir_pages;
	if (st->layout.per_page < 1)
		CORRUPT("index \"%s\" metapage describes %d-byte elements, larger than a page",
				IndexName(st), st->layout.size);
}

/* Check one stream page: its length, finite floats, positive code scales. */
static void
CheckStreamPage(CheckState *st, BlockNumber blkno, Page page)
{
	uint32		i = blkno - st->meta.stream_start;
	Size		done = (Size) i * BXANN_STREAM_PER_PAGE;
	Size		n = Min(BXANN_STREAM_PER_PAGE, st->meta.stream_bytes - done);
	char	   *data = PageGetContents(page);

	if (((PageHeader) page)->pd_lower != data + n - (char *) page)
		CORRUPT("index \"%s\" stream block %u holds %u bytes, expected %zu",
				IndexName(st), blkno,
				(unsigned) (((PageHeader) page)->pd_lower - (data - (char *) page)), n);
	for (Size b = 0; b < n; b += sizeof(float))
	{
		uint64		f = (done + b) / sizeof(float);	/* float number in the stream */
		float		v;

		memcpy(&v, data + b, sizeof(float));
		if (isnan(v) || isinf(v) ||
			(f >= st->meta.dims && f < 2 * (uint64) st->meta.dims && !(v > 0.0f)))
			CORRUPT("index \"%s\" stream float %llu (block %u) is %g: %s",
					IndexName(st), (unsigned long long) f, blkno, v,
					f < st->meta.dims ? "a code minimum must be finite" :
					f < 2 * (uint64) st->meta.dims ? "a code scale must be finite and positive" :
					"a centroid must be finite");
	}
}

/* Check one directory entry (a copy) and return it. */
static BxAnnListData
CheckDirEntry(CheckState *st, int list, BxAnnListData entry)
{
	if (BlockNumberIsValid(entry.first) != BlockNumberIsValid(entry.last))
		CORRUPT("index \"%s\" list %d has first page %u and last page %u: both or neither must be set",
				IndexName(st), list, entry.first, entry.last);
	if (BlockNumberIsValid(entry.first) &&
		(entry.first < st->elemstart || entry.last < st->elemstart))
		CORRUPT("index \"%s\" list %d has first page %u and last page %u, before the element area (block %u)",
				IndexName(st), list, entry.first, entry.last, st->elemstart);
	if (BlockNumberIsValid(entry.first) &&
		(!KnowBlock(st, entry.first) || !KnowBlock(st, entry.last)))
		CORRUPT("index \"%s\" list %d has first page %u and last page %u, beyond the end of the index (%u blocks)",
				IndexName(st), list, entry.first, entry.last, st->nblocks);
	return entry;
}

/* The directory entry of a list, read now (inserts may have changed it). */
static BxAnnListData
ReadDirEntry(CheckState *st, int list, Page copy)
{
	BlockNumber blkno = st->meta.dir_start + list / BXANN_LISTS_PER_PAGE;
	BxAnnListData entry;

	ReadPageCopy(st, blkno, copy);
	if (CheckPage(st, blkno, copy) != BXANN_PAGE_DIRECTORY)
		CORRUPT("index \"%s\" block %u is not a directory page", IndexName(st), blkno);
	entry = ((BxAnnListData *) PageGetContents(copy))[list % BXANN_LISTS_PER_PAGE];
	return CheckDirEntry(st, list, entry);
}

/*
 * Check that edge k of element (blkno, off) points to an element slot: an
 * element page and an offset it holds.  A target page that looks too small
 * is read again first: inserts only add elements and pages.
 */
static void
CheckEdge(CheckState *st, BlockNumber blkno, OffsetNumber off, int k, ItemPointer edge)
{
	BlockNumber nb = ItemPointerGetBlockNumberNoCheck(edge);
	OffsetNumber no = ItemPointerGetOffsetNumberNoCheck(edge);

	if (!BlockNumberIsValid(nb) || no == InvalidOffsetNumber || no > st->layout.per_page)
		CORRUPT("index \"%s\" element (%u,%u) edge %d is (%u,%u), not an element location",
				IndexName(st), blkno, off, k, nb, no);
	if (nb < st->elemstart)
		CORRUPT("index \"%s\" element (%u,%u) edge %d points to block %u, %s",
				IndexName(st), blkno, off, k, nb, KindName(ExpectedKind(st, nb)));
	if (!KnowBlock(st, nb))
		CORRUPT("index \"%s\" element (%u,%u) edge %d points to block %u, beyond the end of the index (%u blocks)",
				IndexName(st), blkno, off, k, nb, st->nblocks);
	if (st->kind[nb] != BXANN_PAGE_ELEMENT || no > st->maxoff[nb])
	{
		PGAlignedBlock copy;

		LearnBlock(st, nb, copy.data);
		if (st->kind[nb] != BXANN_PAGE_ELEMENT)
			CORRUPT("index \"%s\" element (%u,%u) edge %d points to block %u, an uninitialized page",
					IndexName(st), blkno, off, k, nb);
		if (no > st->maxoff[nb])
			CORRUPT("index \"%s\" element (%u,%u) edge %d points to (%u,%u), but block %u holds %u elements",
					IndexName(st), blkno, off, k, nb, no, nb, st->maxoff[nb]);
	}
}

/* Remember a live element's heap TID for the heap check. */
static void
AddRef(CheckState *st, ItemPointer heaptid, BlockNumber blkno, OffsetNumber off)
{
	if (st->nrefs == st->maxrefs)
	{
		int64		newmax = Max(1024, st->maxrefs * 2);

		if ((Size) newmax * sizeof(ElementRef) > st->budget)
			newmax = st->budget / sizeof(ElementRef);
		if (newmax <= st->nrefs)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("bxann_check needs more than maintenance_work_mem (%zu kB) for the heap TIDs of index \"%s\"",
							st->budget / 1024, IndexName(st)),
					 errdetail("The heap check keeps %zu bytes per live element.",
							   sizeof(ElementRef)),
					 errhint("Raise maintenance_work_mem, or check the index alone with bxann_check(index, false).")));
		st->refs = st->refs == NULL ?
			palloc_extended(sizeof(ElementRef) * newmax, MCXT_ALLOC_HUGE) :
			repalloc_huge(st->refs, sizeof(ElementRef) * newmax);
		st->maxrefs = newmax;
	}
	st->refs[st->nrefs].heapkey = TidKey(heaptid);
	ItemPointerSet(&st->refs[st->nrefs].self, blkno, off);
	st->nrefs++;
}

/* Check every element of an element page (a copy) of list `list`. */
static void
CheckElements(CheckState *st, int list, BlockNumber blkno, Page page)
{
	OffsetNumber maxoff = PageGetMaxOffsetNumber(page);
	int			m = st->meta.m;

	for (OffsetNumber off = FirstOffsetNumber; off <= maxoff; off++)
	{
		BxAnnElement e = (BxAnnElement) PageGetItem(page, PageGetItemId(page, off));
		bool		deleted = (e->flags & BXANN_ELEMENT_DELETED) != 0;

		if (e->flags & ~BXANN_ELEMENT_DELETED)
			CORRUPT("index \"%s\" element (%u,%u) of list %d has unknown flags 0x%02X",
					IndexName(st), blkno, off, list, e->flags);
		if (deleted && ItemPointerIsValid(&e->heaptid))
			CORRUPT("index \"%s\" element (%u,%u) of list %d is deleted but keeps heap TID (%u,%u)",
					IndexName(st), blkno, off, list,
					ItemPointerGetBlockNumberNoCheck(&e->heaptid),
					ItemPointerGetOffsetNumberNoCheck(&e->heaptid));
		if (!deleted &&
			(!BlockNumberIsValid(ItemPointerGetBlockNumberNoCheck(&e->heaptid)) ||
			 ItemPointerGetOffsetNumberNoCheck(&e->heaptid) == InvalidOffsetNumber ||
			 ItemPointerGetOffsetNumberNoCheck(&e->heaptid) > MaxHeapTuplesPerPage))
			CORRUPT("index \"%s\" element (%u,%u) of list %d is live with heap TID (%u,%u), not a heap tuple location",
					IndexName(st), blkno, off, list,
					ItemPointerGetBlockNumberNoCheck(&e->heaptid),
					ItemPointerGetOffsetNumberNoCheck(&e->heaptid));
		if (e->nneighbors > m)
			CORRUPT("index \"%s\" element (%u,%u) of list %d has %u edges, the index allows m = %d",
					IndexName(st), blkno, off, list, e->nneighbors, m);
		for (int k = 0; k < e->nneighbors; k++)
		{
			ItemPointerData edge = BxAnnElementEdge(&st->layout, e, k);

			CheckEdge(st, blkno, off, k, &edge);
		}

		st->edges += e->nneighbors;
		if (deleted)
			st->deleted++;
		else
		{
			st->live++;
			if (st->heapcheck)
				AddRef(st, &e->heaptid, blkno, off);
		}
	}
}

/*
 * Walk the chain of one list from its directory entry, checking the links
 * and every element on them.
 */
static void
CheckList(CheckState *st, int list)
{
	PGAlignedBlock copy;
	BxAnnListData entry = ReadDirEntry(st, list, copy.data);
	BlockNumber blkno = entry.first;
	BlockNumber prev = InvalidBlockNumber;
	bool		sawlast = false;

	while (BlockNumberIsValid(blkno))
	{
		if (blkno < st->elemstart)
			CORRUPT("index \"%s\" list %d links block %u (from block %u), %s",
					IndexName(st), list, blkno, prev, KindName(ExpectedKind(st, blkno)));
		if (!KnowBlock(st, blkno))
			CORRUPT("index \"%s\" list %d links block %u (from block %u), beyond the end of the index (%u blocks)",
					IndexName(st), list, blkno, prev, st->nblocks);
		if (st->owner[blkno] != 0)
			CORRUPT("index \"%s\" list %d links block %u (from block %u), already on the chain of list %d",
					IndexName(st), list, blkno, prev, st->owner[blkno] - 1);
		st->owner[blkno] = list + 1;

		/* the page as it is now: it may have grown since the physical pass */
		LearnBlock(st, blkno, copy.data);
		if (st->kind[blkno] != BXANN_PAGE_ELEMENT)
			CORRUPT("index \"%s\" list %d links block %u (from block %u), an uninitialized page",
					IndexName(st), list, blkno, prev);
		CheckElements(st, list, blkno, copy.data);
		st->element_pages++;
		if (blkno == entry.last)
			sawlast = true;
		prev = blkno;
		blkno = BxAnnPageGetOpaque(copy.data)->nextblkno;
	}
	if (BlockNumberIsValid(entry.last) && !sawlast)
		CORRUPT("index \"%s\" list %d has last page %u, which is not on its chain from block %u (ends at block %u)",
				IndexName(st), list, entry.last, entry.first, prev);
}

/*
 * Element pages no chain reached.  Before calling one an orphan, walk the
 * chains again from fresh directory entries: an insert may have initialised
 * and linked it (atomically) after its list was walked.
 */
static void
CheckOrphans(CheckState *st)
{
	BlockNumber first = InvalidBlockNumber;
	bool	   *seen;
	PGAlignedBlock copy;

	for (BlockNumber b = st->elemstart; b < st->nblocks; b++)
		if (st->kind[b] == BXANN_PAGE_ELEMENT && st->owner[b] == 0)
		{
			first = b;
			break;
		}
	if (!BlockNumberIsValid(first))
		return;

	seen = palloc_extended(sizeof(bool) * st->nblocks, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	for (uint32 l = 0; l < st->meta.nlists; l++)
	{
		BlockNumber blkno = ReadDirEntry(st, l, copy.data).first;

		/* pages are never unlinked: a cycle was reported by CheckList */
		while (BlockNumberIsValid(blkno) && blkno < st->nblocks && !seen[blkno])
		{
			seen[blkno] = true;
			ReadPageCopy(st, blkno, copy.data);
			if (PageIsNew(copy.data))
				break;
			blkno = BxAnnPageGetOpaque(copy.data)->nextblkno;
		}
	}
	for (BlockNumber b = first; b < st->nblocks; b++)
		if (st->kind[b] == BXANN_PAGE_ELEMENT && st->owner[b] == 0 && !seen[b])
			CORRUPT("index \"%s\" block %u is an element page with %u elements on the chain of no list",
					IndexName(st), b, st->maxoff[b]);
	pfree(seen);
}

static int
CompareRefs(const void *a, const void *b)
{
	uint64		ka = ((const ElementRef *) a)->heapkey;
	uint64		kb = ((const ElementRef *) b)->heapkey;

	return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/*
 * Index to heap: every live element's heap TID is a used line pointer of the
 * table, not a heap-only tuple (indexes point at the root of a HOT chain),
 * and no two live elements share one.  refs[] is sorted, so each heap page
 * is read once.
 */
static void
CheckHeapTargets(CheckState *st)
{
	BlockNumber heapblocks = RelationGetNumberOfBlocks(st->heap);
	BufferAccessStrategy bas = GetAccessStrategy(BAS_BULKREAD);
	int64		i = 0;

	for (int64 j = 1; j < st->nrefs; j++)
		if (st->refs[j].heapkey == st->refs[j - 1].heapkey)
			CORRUPT("index \"%s\" elements (%u,%u) and (%u,%u) are both live for heap tuple (%u,%u)",
					IndexName(st),
					ItemPointerGetBlockNumber(&st->refs[j - 1].self),
					ItemPointerGetOffsetNumber(&st->refs[j - 1].self),
					ItemPointerGetBlockNumber(&st->refs[j].self),
					ItemPointerGetOffsetNumber(&st->refs[j].self),
					(BlockNumber) (st->refs[j].heapkey >> 16),
					(OffsetNumber) (st->refs[j].heapkey & 0xFFFF));

	while (i < st->nrefs)
	{
		BlockNumber hblk = (BlockNumber) (st->refs[i].heapkey >> 16);
		Buffer		buf;
		Page		page;
		OffsetNumber maxoff;

		CHECK_FOR_INTERRUPTS();
		/* VACUUM, the only one that truncates, is locked out: no refresh race */
		if (hblk >= heapblocks)
			CORRUPT("index \"%s\" element (%u,%u) points to heap tuple (%u,%u), beyond the end of table \"%s\" (%u blocks)",
					IndexName(st), ItemPointerGetBlockNumber(&st->refs[i].self),
					ItemPointerGetOffsetNumber(&st->refs[i].self), hblk,
					(OffsetNumber) (st->refs[i].heapkey & 0xFFFF),
					RelationGetRelationName(st->heap), heapblocks);
		buf = ReadBufferExtended(st->heap, MAIN_FORKNUM, hblk, RBM_NORMAL, bas);
		LockBuffer(buf, BUFFER_LOCK_SHARE);
		page = BufferGetPage(buf);
		maxoff = PageIsNew(page) ? InvalidOffsetNumber : PageGetMaxOffsetNumber(page);
		for (; i < st->nrefs && (BlockNumber) (st->refs[i].heapkey >> 16) == hblk; i++)
		{
			OffsetNumber off = (OffsetNumber) (st->refs[i].heapkey & 0xFFFF);
			ItemId		lp;
			const char *problem = NULL;

			if (off > maxoff)
				problem = "beyond the last line pointer of its page";
			else
			{
				lp = PageGetItemId(page, off);
				if (!ItemIdIsUsed(lp))
					problem = "an unused line pointer";
				else if (ItemIdIsNormal(lp) &&
						 HeapTupleHeaderIsHeapOnly((HeapTupleHeader) PageGetItem(page, lp)))
					problem = "a heap-only tuple (indexes point at the root of a HOT chain)";
			}
			if (problem)
				CORRUPT("index \"%s\" element (%u,%u) points to heap tuple (%u,%u) of table \"%s\": %s",
						IndexName(st), ItemPointerGetBlockNumber(&st->refs[i].self),
						ItemPointerGetOffsetNumber(&st->refs[i].self), hblk, off,
						RelationGetRelationName(st->heap), problem);
		}
		UnlockReleaseBuffer(buf);
	}
	FreeAccessStrategy(bas);
}

/* table_index_build_scan callback: the heap tuple must have a live element */
static void
HeapTupleCallback(Relation index, ItemPointer tid, Datum *values, bool *isnull,
				  bool tupleIsAlive, void *state)
{
	CheckState *st = (CheckState *) state;
	ElementRef	key;

	if (isnull[0])
		return;					/* NULLs are not indexed */
	st->heap_tuples++;
	key.heapkey = TidKey(tid);
	if (bsearch(&key, st->refs, st->nrefs, sizeof(ElementRef), CompareRefs) == NULL &&
		st->missing++ == 0)
		st->first_missing = *tid;
}

/*
 * Heap to index: every tuple the index must hold, under the snapshot taken
 * before the index was read, has a live element.  All missing tuples are
 * counted before the first is reported.
 */
static void
CheckHeapTuples(CheckState *st, Snapshot snapshot)
{
	IndexInfo  *indexInfo = BuildIndexInfo(st->index);
	TableScanDesc scan;

	/* as amcheck: an MVCC snapshot scan, like CREATE INDEX CONCURRENTLY's first */
	indexInfo->ii_Concurrent = true;
	indexInfo->ii_Unique = false;
	indexInfo->ii_ExclusionOps = NULL;
	indexInfo->ii_ExclusionProcs = NULL;
	indexInfo->ii_ExclusionStrats = NULL;
	scan = table_beginscan_strat(st->heap, snapshot, 0, NULL, true, true);
	table_index_build_scan(st->heap, st->index, indexInfo, true, false,
						   HeapTupleCallback, st, scan);
	if (st->missing > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INDEX_CORRUPTED),
				 errmsg("heap tuple (%u,%u) of table \"%s\" has no element in index \"%s\"",
						ItemPointerGetBlockNumber(&st->first_missing),
						ItemPointerGetOffsetNumber(&st->first_missing),
						RelationGetRelationName(st->heap), IndexName(st)),
				 errdetail("%lld of the %lld heap tuples the index must hold have no element.",
						   (long long) st->missing, (long long) st->heap_tuples),
				 errhint("REINDEX rebuilds the index from its table.")));
}

/* Run every check on an opened index; counts go to st. */
static void
CheckIndex(CheckState *st)
{
	PGAlignedBlock copy;
	BlockNumber nblocks = RelationGetNumberOfBlocks(st->index);
	Snapshot	snapshot = InvalidSnapshot;

	if (st->heapcheck)
	{
		/* before the index is read: see the file header */
		snapshot = RegisterSnapshot(GetTransactionSnapshot());

		/*
		 * An old transaction snapshot (REPEATABLE READ) may predate the
		 * index's build and see tuples it never had to hold (amcheck does
		 * the same).
		 */
		if (IsolationUsesXactSnapshot() && st->index->rd_index->indcheckxmin &&
			!TransactionIdPrecedes(HeapTupleHeaderGetXmin(st->index->rd_indextuple->t_data),
								   snapshot->xmin))
			ereport(ERROR,
					(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
					 errmsg("index \"%s\" cannot be verified using transaction snapshot",
							IndexName(st))));
	}

	if (nblocks == 0)
		CORRUPT("index \"%s\" has no pages", IndexName(st));
	st->strategy = GetAccessStrategy(BAS_BULKREAD);

	/* 1. physical pass */
	ReadPageCopy(st, BXANN_METAPAGE_BLKNO, copy.data);
	CheckMetaPage(st, copy.data, nblocks);
	GrowBlocks(st, nblocks);
	st->kind[BXANN_METAPAGE_BLKNO] = BXANN_PAGE_META;
	for (BlockNumber b = BXANN_METAPAGE_BLKNO + 1; b < nblocks; b++)
	{
		int			kind;

		ReadPageCopy(st, b, copy.data);
		kind = CheckPage(st, b, copy.data);
		st->kind[b] = kind;
		if (kind == BXANN_PAGE_STREAM)
			CheckStreamPage(st, b, copy.data);
		else if (kind == BXANN_PAGE_DIRECTORY)
		{
			int			first = (b - st->meta.dir_start) * BXANN_LISTS_PER_PAGE;
			int			n = Min((int) BXANN_LISTS_PER_PAGE, (int) st->meta.nlists - first);

			if (((PageHeader) copy.data)->pd_lower !=
				PageGetContents(copy.data) + sizeof(BxAnnListData) * n - copy.data)
				CORRUPT("index \"%s\" directory block %u ends at byte %u, expected %zu for %d lists",
						IndexName(st), b, ((PageHeader) copy.data)->pd_lower,
						(Size) (PageGetContents(copy.data) + sizeof(BxAnnListData) * n - copy.data),
						n);
		}
		else if (kind == BXANN_PAGE_ELEMENT)
			st->maxoff[b] = PageGetMaxOffsetNumber(copy.data);
		else
			st->new_pages++;
	}
	st->nblocks = nblocks;

	/* 2. logical pass */
	for (uint32 l = 0; l < st->meta.nlists; l++)
		CheckList(st, l);

	/* 3. orphans */
	CheckOrphans(st);

	/* 4. the table */
	if (st->heapcheck)
	{
		qsort(st->refs, st->nrefs, sizeof(ElementRef), CompareRefs);
		CheckHeapTargets(st);
		CheckHeapTuples(st, snapshot);
		UnregisterSnapshot(snapshot);
	}
	FreeAccessStrategy(st->strategy);
}

PG_FUNCTION_INFO_V1(bxann_check);
Datum
bxann_check(PG_FUNCTION_ARGS)
{
	Oid			indexoid = PG_GETARG_OID(0);
	bool		heapcheck = PG_GETARG_BOOL(1);
	LOCKMODE	heaplock = heapcheck ? ShareUpdateExclusiveLock : AccessShareLock;
	Oid			heapoid;
	Relation	heap = NULL;
	Relation	index;
	Oid			save_userid = InvalidOid;
	int			save_sec_context = 0;
	int			save_nestlevel = -1;
	CheckState	st;
	TupleDesc	tupdesc;
	Datum		values[8];
	bool		nulls[8] = {0};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	/*
	 * Lock the table before the index, as every writer does, so the check
	 * cannot deadlock with them; then make sure the index still belongs to
	 * it (it could have been dropped and its OID reused meanwhile).
	 */
	heapoid = IndexGetRelation(indexoid, true);
	if (OidIsValid(heapoid))
	{
		heap = table_open(heapoid, heaplock);
		if (pg_class_aclcheck(heapoid, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("permission denied for table \"%s\"", RelationGetRelationName(heap)),
					 errdetail("bxann_check needs SELECT on the table of the index.")));

		/*
		 * Index expressions and predicates run as the table's owner, in a
		 * restricted context (as amcheck and REINDEX do): a superuser
		 * checking a user's index must not run that user's code as
		 * superuser.
		 */
		GetUserIdAndSecContext(&save_userid, &save_sec_context);
		SetUserIdAndSecContext(heap->rd_rel->relowner,
							   save_sec_context | SECURITY_RESTRICTED_OPERATION);
		save_nestlevel = NewGUCNestLevel();
	}
	index = index_open(indexoid, AccessShareLock);
	if (heap == NULL || heapoid != IndexGetRelation(indexoid, false))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("could not open the table of index \"%s\"", RelationGetRelationName(index))));
	if (index->rd_rel->relkind != RELKIND_INDEX || index->rd_indam == NULL ||
		index->rd_indam->ambuild != bxannbuild)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a bxann index", RelationGetRelationName(index))));
	if (RELATION_IS_OTHER_TEMP(index))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot check temporary indexes of other sessions")));
	if (!index->rd_index->indisvalid)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot check index \"%s\"", RelationGetRelationName(index)),
				 errdetail("The index is not valid: a CREATE INDEX CONCURRENTLY or REINDEX CONCURRENTLY failed."),
				 errhint("Drop it, or REINDEX it.")));
	if (heapcheck && heap->rd_rel->relam != HEAP_TABLE_AM_OID)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("bxann_check can compare an index only with a heap table"),
				 errhint("Check the index alone with bxann_check(index, false).")));

	memset(&st, 0, sizeof(st));
	st.index = index;
	st.heap = heap;
	st.heapcheck = heapcheck;
	st.budget = (Size) maintenance_work_mem * 1024;

	/* a standby has no main fork of an unlogged index to check */
	if (index->rd_rel->relpersistence == RELPERSISTENCE_UNLOGGED && RecoveryInProgress())
	{
		ereport(NOTICE,
				(errmsg("unlogged index \"%s\" cannot be checked during recovery, skipping",
						RelationGetRelationName(index))));
		for (int i = 0; i < 8; i++)
			nulls[i] = true;
	}
	else
	{
		CheckIndex(&st);
		values[0] = Int32GetDatum(st.meta.nlists);
		values[1] = Int64GetDatum(st.nblocks);
		values[2] = Int64GetDatum(st.element_pages);
		values[3] = Int64GetDatum(st.new_pages);
		values[4] = Int64GetDatum(st.live);
		values[5] = Int64GetDatum(st.deleted);
		values[6] = Int64GetDatum(st.edges);
		values[7] = Int64GetDatum(st.heap_tuples);
		nulls[7] = !heapcheck;
	}

	AtEOXact_GUC(false, save_nestlevel);
	SetUserIdAndSecContext(save_userid, save_sec_context);
	index_close(index, AccessShareLock);
	table_close(heap, heaplock);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
