/*-------------------------------------------------------------------------
 *
 * bxann.h
 *	  The bxann index access method: on-disk format and shared declarations.
 *
 * Design (the README has the measurements behind it).  On face-like data the
 * samples of one identity scatter over the cells of any coarse partition, so
 * an IVF alone needs many probes for high recall.  bxann keeps an IVF
 * partition only to find entry points, and links every element to its
 * nearest neighbours (a k-NN graph built at CREATE INDEX from the spilled
 * partition).  A scan probes a few lists, then walks the graph best-first:
 * once one sample of the query's identity is found, its edges lead to the
 * others.  Elements carry scalar-quantised codes, 8 bits a dimension (SQ8,
 * four times smaller than the vectors) or 4 (SQ4, eight times: the default
 * for 128 dimensions and more, where the code is most of an element); the
 * best candidates are re-ranked with the exact vectors read from the table.
 *
 * Pages (all with the standard page layout and a BxAnnPageOpaque special):
 *
 *	block 0			metapage: format version, frozen build options, where the
 *					rest lives, the model tag of the indexed embeddings
 *	stream pages	one byte stream, written once at build: the codes'
 *					parameters (float min[dims], float scale[dims]: value of
 *					code 0 and of one step) then the list
 *					centroids (float[nlists][dims]); read into rd_amcache
 *	directory pages	one BxAnnListData per list: first and last element page
 *	element pages	BxAnnElementData items of one list, pages chained by
 *					nextblkno from the list's first to its last page
 *
 * An element is referenced (graph edges) by its place in the index: its
 * element number (block and offset in 4 bytes) from format version 4, its
 * ItemPointer before.
 * VACUUM marks dead elements BXANN_ELEMENT_DELETED and clears their heap
 * TID; they keep their code and edges so scans still walk through them, and
 * an insert into the same list reuses their slot.
 *
 * include/bxann.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BXANN_H
#define BXANN_H

#include "postgres.h"

#include "access/amapi.h"
#include "access/generic_xlog.h"
#include "access/itup.h"
#include "access/reloptions.h"
#include "nodes/pathnodes.h"
#include "storage/bufmgr.h"
#include "utils/relcache.h"

#include "bx_guc.h"
#include "face_embedding.h"

#define BXANN_MAGIC				0x42584131	/* "BXA1" */
/*
 * Version 2 added the search settings the build chose (tuned_*, at the end
 * of the metapage).  Version 1 indexes (bxexit 0.1.0) are still read: their
 * metapage ends before those fields, which read as zero (not tuned), and
 * their scans use the settings' fixed defaults until a REINDEX.  Version 3
 * added code_bits (4-bit codes); versions 1 and 2 read as 0 there: 8 bits.
 * Version 4 stores an element's edges in 4 bytes instead of 6
 * (BxAnnElementData); its metapage is version 3's.
 */
#define BXANN_VERSION			4
#define BXANN_MIN_VERSION		1

#define BXANN_METAPAGE_BLKNO	0

/* page kinds, in the special space */
#define BXANN_PAGE_META			1
#define BXANN_PAGE_STREAM		2
#define BXANN_PAGE_DIRECTORY	3
#define BXANN_PAGE_ELEMENT		4

/* last two bytes of every bxann page; pg_filedump uses it to tell AMs apart */
#define BXANN_PAGE_ID			0xFF8A

/* distance the opclass asks for (support function 1 of the opclass) */
#define BXANN_METRIC_L2			1
#define BXANN_METRIC_IP			2
#define BXANN_METRIC_COSINE		3

/* support function numbers */
#define BXANN_DISTANCE_PROC		1	/* exact distance, same as the operator */
#define BXANN_NPROCS			1

/* reloption limits and defaults */
#define BXANN_DEFAULT_LISTS		0	/* 0: chosen from the row count */
#define BXANN_MAX_LISTS			32768
#define BXANN_DEFAULT_M			16
#define BXANN_MIN_M				2
#define BXANN_MAX_M				48
/*
 * An element (m neighbours and one code byte per dimension) must fit a
 * page: at m = 48 and 4,096 dimensions it takes 4.4 kB (checked at compile
 * time in bxannutils.c).
 */
#define BXANN_MAX_DIM			4096

/*
 * Element codes: 8 or 4 bits per dimension (reloption bits; 0 chooses 4 at
 * BXANN_SQ4_MIN_DIMS dimensions and more, 8 below).  A 4-bit dimension
 * covers its mean +- BXANN_SQ4_CLIP standard deviations in 15 steps (the
 * uniform quantiser of least error for a Gaussian with 16 levels), values
 * beyond saturate; scans re-rank with the exact vectors either way.
 */
#define BXANN_DEFAULT_BITS		0
#define BXANN_SQ4_MIN_DIMS		128
#define BXANN_SQ4_CLIP			2.5

/* query settings (GUCs bxann.*) */
/*
 * bxann.probes and bxann.ef_search 0 (the defaults) use what the build's
 * tuning chose for the index (bxanntune.c).  An index built before tuning
 * existed (format version 1) probes BXANN_AUTO_PROBES lists up to
 * BXANN_AUTO_PROBES_LISTS lists, more beyond with the square root of the
 * list count, and walks with BXANN_UNTUNED_EF_SEARCH: the fixed rule of
 * bxexit 0.1.0, measured on 128-d galleries of 10 samples per identity.
 */
#define BXANN_AUTO_PROBES		8
#define BXANN_AUTO_PROBES_LISTS	1000
#define BXANN_UNTUNED_EF_SEARCH	12

typedef struct BxAnnOptions
{
	int32		vl_len_;		/* varlena header (do not touch directly!) */
	int			lists;			/* number of IVF lists, 0 = automatic */
	int			m;				/* graph edges per element */
	int			bits;			/* bits per dimension of codes, 0 = automatic */
	double		mate_similarity;	/* a new photo's cosine to a lone row, 0 = unknown */
} BxAnnOptions;

typedef struct BxAnnPageOpaqueData
{
	BlockNumber nextblkno;		/* next element page of the same list */
	uint16		kind;			/* BXANN_PAGE_* */
	uint16		page_id;		/* BXANN_PAGE_ID */
} BxAnnPageOpaqueData;

typedef BxAnnPageOpaqueData *BxAnnPageOpaque;

#define BxAnnPageGetOpaque(page) ((BxAnnPageOpaque) PageGetSpecialPointer(page))

typedef struct BxAnnMetaPageData
{
	uint32		magic;
	uint32		version;
	uint16		dims;
	uint16		metric;			/* BXANN_METRIC_* the index was built for */
	uint16		m;				/* frozen reloption */
	uint16		taglen;			/* model tag of the indexed embeddings, 0 = none */
	uint32		nlists;
	uint32		options_lists;	/* the lists reloption as given (0 = auto) */
	BlockNumber stream_start;	/* first stream page */
	uint32		stream_pages;
	uint32		stream_bytes;
	BlockNumber dir_start;		/* first directory page */
	uint32		dir_pages;
	float8		build_rows;		/* elements written by the build */
	float8		build_seconds;
	char		tag[BX_MAX_TAG_LEN + 1];
	/* version 2: what the build's tuning chose (bxanntune.c); 0 = not tuned */
	uint16		tuned_probes;
	uint16		tuned_ef_search;
	uint32		tuned_samples;	/* probes it searched */
	float4		tuned_mate_similarity;	/* median probe-to-mate cosine */
	float4		tuned_found;	/* share of those probes found at the choice */
	/* version 3: bits per dimension of the element codes, 4 or 8 */
	uint16		code_bits;
	uint16		unused;
} BxAnnMetaPageData;

typedef BxAnnMetaPageData *BxAnnMetaPage;

/* bytes of the metapage contents of an index of format version v */
#define BXANN_META_SIZE(v) \
	((v) >= 3 ? sizeof(BxAnnMetaPageData) : \
	 (v) == 2 ? offsetof(BxAnnMetaPageData, code_bits) : \
	 offsetof(BxAnnMetaPageData, tuned_probes))

#define BxAnnPageGetMeta(page)	((BxAnnMetaPage) PageGetContents(page))

/* one entry of the list directory */
typedef struct BxAnnListData
{
	BlockNumber first;			/* first element page, InvalidBlockNumber if none */
	BlockNumber last;			/* last element page, where inserts append */
} BxAnnListData;

/* bytes between the page header and the special space of a bxann page */
#define BXANN_PAGE_USABLE \
	(BLCKSZ - MAXALIGN(SizeOfPageHeaderData) - MAXALIGN(sizeof(BxAnnPageOpaqueData)))

#define BXANN_LISTS_PER_PAGE	(BXANN_PAGE_USABLE / sizeof(BxAnnListData))

/* bytes of stream data one page holds */
#define BXANN_STREAM_PER_PAGE	BXANN_PAGE_USABLE

#define BXANN_ELEMENT_DELETED	0x01

/*
 * An element: its heap TID, flags, up to m edges (other elements of the
 * index), then its code: SQ8, one byte a dimension, or SQ4, two dimensions a
 * byte (byte i holds dimension i in its low nibble and dimension
 * (dims + 1) / 2 + i in its high one, the layout lib/kernels.c reads).
 *
 * Edges are stored by format version (BxAnnElementLayout): from version 4 as
 * element numbers, blkno * per_page + offset - 1 in 4 bytes (every element
 * page holds at most per_page elements, all of one size), which makes an
 * element 2 m bytes smaller than the ItemPointerData of versions 1 to 3;
 * a number must stay below 2^32, so such an index holds at most
 * 2^32 / per_page blocks (BxAnnCheckElementBlock).  Read and write them
 * only with BxAnnElementEdge and BxAnnSetElementEdge.
 */
typedef struct BxAnnElementData
{
	ItemPointerData heaptid;	/* invalid once deleted */
	uint8		flags;
	uint8		nneighbors;
	char		edges[FLEXIBLE_ARRAY_MEMBER];	/* m edges, then the code */
} BxAnnElementData;

typedef BxAnnElementData *BxAnnElement;

#define BXANN_EDGE_BYTES(version) \
	((version) >= 4 ? sizeof(uint32) : sizeof(ItemPointerData))
#define BXANN_CODE_BYTES(dims, bits)	((bits) == 4 ? ((dims) + 1) / 2 : (dims))
#define BXANN_ELEMENT_SIZE(m, dims, bits, version) \
	MAXALIGN(offsetof(BxAnnElementData, edges) + BXANN_EDGE_BYTES(version) * (m) + \
			 BXANN_CODE_BYTES(dims, bits))
/* elements of esize bytes (each with its line pointer) on one page */
#define BXANN_ELEMENTS_PER_PAGE(esize) \
	((int) (BXANN_PAGE_USABLE / ((esize) + sizeof(ItemIdData))))

/* where the parts of an element of one index are */
typedef struct BxAnnElementLayout
{
	int			m;				/* edge slots */
	int			edge_bytes;		/* 4: element number; 6: ItemPointerData */
	int			size;			/* bytes of an element, MAXALIGNed */
	int			per_page;		/* elements a page holds at most */
} BxAnnElementLayout;

static inline uint8 *
BxAnnElementCode(BxAnnElement e, const BxAnnElementLayout *layout)
{
	return (uint8 *) e->edges + layout->edge_bytes * layout->m;
}

/* edge k of an element (k < nneighbors) */
static inline ItemPointerData
BxAnnElementEdge(const BxAnnElementLayout *layout, const BxAnnElementData *e, int k)
{
	ItemPointerData tid;

	if (layout->edge_bytes == sizeof(uint32))
	{
		uint32		n;

		memcpy(&n, e->edges + sizeof(uint32) * k, sizeof(uint32));
		ItemPointerSet(&tid, n / layout->per_page, (OffsetNumber) (n % layout->per_page + 1));
	}
	else
		memcpy(&tid, e->edges + sizeof(ItemPointerData) * k, sizeof(ItemPointerData));
	return tid;
}

/*
 * Set edge k to the element at tid, an element location of this index
 * (offset 1 to per_page, on a block BxAnnCheckElementBlock accepted).
 */
static inline void
BxAnnSetElementEdge(const BxAnnElementLayout *layout, BxAnnElementData *e, int k,
					const ItemPointerData *tid)
{
	if (layout->edge_bytes == sizeof(uint32))
	{
		uint32		n;

		Assert(ItemPointerGetOffsetNumber(tid) >= 1 &&
			   ItemPointerGetOffsetNumber(tid) <= layout->per_page);
		n = ItemPointerGetBlockNumber(tid) * (uint32) layout->per_page +
			ItemPointerGetOffsetNumber(tid) - 1;
		memcpy(e->edges + sizeof(uint32) * k, &n, sizeof(uint32));
	}
	else
		memcpy(e->edges + sizeof(ItemPointerData) * k, tid, sizeof(ItemPointerData));
}

/*
 * The element at off of a locked page; NULL when the page holds no elements
 * or not that many (a TID from a stale edge or a concurrent change).
 */
static inline BxAnnElement
BxAnnPageElement(Page page, OffsetNumber off)
{
	if (BxAnnPageGetOpaque(page)->kind != BXANN_PAGE_ELEMENT ||
		off > PageGetMaxOffsetNumber(page))
		return NULL;
	return (BxAnnElement) PageGetItem(page, PageGetItemId(page, off));
}

/*
 * What a backend keeps of an index between scans (rd_amcache): the metapage
 * fields and the decoded stream.  Everything here is immutable after the
 * build except the model tag, which the first tagged insert into an index of
 * untagged rows sets (it invalidates the relcache entry).
 */
typedef struct BxAnnCacheData
{
	BxAnnMetaPageData meta;
	float	   *sqmin;			/* [dims] */
	float	   *sqscale;		/* [dims] */
	float	   *centroids;		/* [nlists][dims] */
	BxAnnElementLayout layout;
} BxAnnCacheData;

typedef BxAnnCacheData *BxAnnCache;

/* prepared query: what a distance to an element's code needs */
typedef struct BxAnnQueryData
{
	int			dims;
	int			metric;
	int			bits;			/* of the codes: 4 or 8 */
	float	   *qa;				/* L2: q - min; IP: q * scale */
	float	   *scale;			/* L2: sq scale */
	float		ipbase;			/* IP: sum(q * min) */
} BxAnnQueryData;

typedef BxAnnQueryData *BxAnnQuery;

/* one search over the index: shared by scans and inserts (bxannsearch.c) */
struct visited_hash;

typedef struct BxAnnCandidate
{
	ItemPointerData self;		/* element in the index */
	ItemPointerData heaptid;	/* invalid when deleted */
	float		distance;		/* SQ8 distance (exact after a re-rank) */
	bool		expanded;
	uint8		nneighbors;	/* its edges stay on its page until expanded */
} BxAnnCandidate;

typedef struct BxAnnCandidateList
{
	BxAnnCandidate *items;
	int			count;
	int			capacity;
	bool		borrowed;		/* items are the backend's spare (bxannsearch.c) */
} BxAnnCandidateList;

typedef struct BxAnnSearchData
{
	Relation	index;
	BxAnnCache	cache;
	BxAnnQueryData q;
	uint64	   *vbits;			/* visited: one bit per element slot ... */
	BlockNumber vblocks;		/* ... of the blocks that existed at the start */
	int			vperpage;
	struct visited_hash *visited;	/* visited elements on later blocks */
	int64		visits;
	bool		borrowed;		/* vbits is the backend's spare memory */
} BxAnnSearchData;

typedef BxAnnSearchData *BxAnnSearch;

/* bxann.c */
extern int	BxAnnProbes(BxAnnCache cache);
extern int	BxAnnEfSearch(BxAnnCache cache);
extern void BxAnnInit(void);
extern BxAnnOptions *BxAnnGetOptions(Relation index);
extern bytea *bxannoptions(Datum reloptions, bool validate);
extern void bxanncostestimate(PlannerInfo *root, IndexPath *path,
							  double loop_count, Cost *indexStartupCost,
							  Cost *indexTotalCost, Selectivity *indexSelectivity,
							  double *indexCorrelation, double *indexPages);

/* bxannbuild.c */
extern char *BxAnnPhaseName(int64 phasenum);
extern IndexBuildResult *bxannbuild(Relation heap, Relation index, struct IndexInfo *indexInfo);
extern void bxannbuildempty(Relation index);

/* bxanninsert.c */
extern bool bxanninsert(Relation index, Datum *values, bool *isnull,
						ItemPointer heap_tid, Relation heap,
						IndexUniqueCheck checkUnique, bool indexUnchanged,
						struct IndexInfo *indexInfo);

/* bxannscan.c */
extern IndexScanDesc bxannbeginscan(Relation index, int nkeys, int norderbys);
extern void bxannrescan(IndexScanDesc scan, ScanKey keys, int nkeys,
						ScanKey orderbys, int norderbys);
extern bool bxanngettuple(IndexScanDesc scan, ScanDirection dir);
extern void bxannendscan(IndexScanDesc scan);

/* bxannsearch.c */
extern void BxAnnSearchInit(BxAnnSearch s, Relation index, BxAnnCache cache,
							const float *x, MemoryContext ctx, bool reuse);
extern void BxAnnSearchEnd(BxAnnSearch s);
extern void BxAnnSearchReserve(BxAnnSearch s, BxAnnCandidateList *out, int nlists, int ef);
extern void BxAnnSearchList(BxAnnSearch s, int list, BxAnnCandidateList *out);
extern void BxAnnSearchSkipList(BxAnnSearch s, int list);
extern void BxAnnSearchWalk(BxAnnSearch s, BxAnnCandidateList *batch, int ef);
extern int	BxAnnCompareCandidates(const void *a, const void *b);
extern void BxAnnSelectSmallest(BxAnnCandidate *a, int n, int k);

/* bxanntune.c */
struct BxAnnGraph;
struct BxAnnRows;
typedef struct BxAnnTuning
{
	int			probes;
	int			ef_search;
	int			samples;
	float		mate_similarity;
	float		found;
} BxAnnTuning;

extern void BxAnnTune(Relation index, const struct BxAnnRows *rows,
					  const struct BxAnnGraph *graph, const ItemPointerData *where,
					  int nthreads, int nworkers, BxAnnTuning *tuning);

/* bxannvacuum.c */
extern IndexBulkDeleteResult *bxannbulkdelete(IndexVacuumInfo *info,
											  IndexBulkDeleteResult *stats,
											  IndexBulkDeleteCallback callback,
											  void *callback_state);
extern IndexBulkDeleteResult *bxannvacuumcleanup(IndexVacuumInfo *info,
												 IndexBulkDeleteResult *stats);

/* bxannvalidate.c */
extern bool bxannvalidate(Oid opclassoid);

/* bxannutils.c */
extern Buffer BxAnnNewBuffer(Relation index, ForkNumber forknum);
extern void BxAnnInitPage(Page page, uint16 kind);
extern void BxAnnCommitBuffer(Buffer buf, GenericXLogState *state);
extern BxAnnCache BxAnnGetCache(Relation index);
extern void BxAnnForgetCache(Relation index);
extern int	BxAnnMetricOfFunction(Oid funcid);
extern int	BxAnnGetMetric(Relation index);
extern FmgrInfo *BxAnnGetDistanceProc(Relation index);
extern FaceEmbedding BxAnnPrepareValue(Relation index, Datum value, int metric,
									   bool *usable);
extern void BxAnnRefuseUnusable(FaceEmbedding e, const char *hint) pg_attribute_noreturn();
extern void BxAnnCheckTag(BxAnnCache cache, FaceEmbedding e);
extern int	BxAnnMetaCodeBits(const BxAnnMetaPageData *meta);
extern void BxAnnLayoutInit(BxAnnElementLayout *layout, uint32 version, int m, int dims,
							int bits);
extern void BxAnnCheckElementBlock(Relation index, const BxAnnElementLayout *layout,
								   BlockNumber blkno);
extern void BxAnnEncodeWith(const float *sqmin, const float *sqscale, int dims, int bits,
							const float *x, uint8 *code);
extern void BxAnnDecodeWith(const float *sqmin, const float *sqscale, int dims, int bits,
							const uint8 *code, float *x);
extern void BxAnnEncode(BxAnnCache cache, const float *x, uint8 *code);
extern void BxAnnQueryPrepare(BxAnnQuery q, BxAnnCache cache, const float *x);
extern float BxAnnCodeDistance(BxAnnQuery q, const uint8 *code);
extern void BxAnnListDistances(BxAnnCache cache, const float *x, float *dist);
extern int	BxAnnTakeNearestLists(const float *dist, bool *taken, int nlists, int k,
								  int *out);
extern int	BxAnnNearestLists(BxAnnCache cache, const float *x, int n, int *lists);
extern BxAnnListData BxAnnReadList(Relation index, BxAnnCache cache, int list);
extern bool BxAnnReadElement(Relation index, BxAnnCache cache, ItemPointer tid,
							 BxAnnElement copy);
extern void BxAnnCheckBridge(int status, const char *what, const char *errbuf);

#endif							/* BXANN_H */
