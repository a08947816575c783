/*-------------------------------------------------------------------------
 *
 * bxannutils.c
 *	  bxann helpers: pages and GenericXLog, the metapage cache, SQ8 and SQ4 codes,
 *	  list routing, and the bridge's status codes.
 *
 * src/am/bxannutils.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <float.h>
#include <math.h>
#if defined(__x86_64__) && defined(__SSE__)
#include <xmmintrin.h>
#endif

#include "bx_bridge.h"
#include "bx_kernels.h"
#include "bxann.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

/*
 * Extend the index by one page and return it pinned and exclusively locked.
 * The caller initialises it inside a GenericXLog record (full image).
 */
Buffer
BxAnnNewBuffer(Relation index, ForkNumber forknum)
{
	Buffer		buf;

	LockRelationForExtension(index, ExclusiveLock);
	buf = ReadBufferExtended(index, forknum, P_NEW, RBM_NORMAL, NULL);
	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	UnlockRelationForExtension(index, ExclusiveLock);
	return buf;
}

/* Initialise a bxann page of the given kind. */
void
BxAnnInitPage(Page page, uint16 kind)
{
	BxAnnPageOpaque opaque;

	PageInit(page, BLCKSZ, sizeof(BxAnnPageOpaqueData));
	opaque = BxAnnPageGetOpaque(page);
	opaque->nextblkno = InvalidBlockNumber;
	opaque->kind = kind;
	opaque->page_id = BXANN_PAGE_ID;
}

/* Finish the WAL record of state and release buf (locked by the caller). */
void
BxAnnCommitBuffer(Buffer buf, GenericXLogState *state)
{
	GenericXLogFinish(state);
	UnlockReleaseBuffer(buf);
}

/*
 * The metapage and stream of an index, read once per relcache entry.  The
 * metapage is authoritative: reloptions changed by ALTER INDEX after the
 * build are never read by scans or inserts.
 */
BxAnnCache
BxAnnGetCache(Relation index)
{
	BxAnnCache	cache;
	Buffer		buf;
	Page		page;
	BxAnnMetaPage meta;
	char	   *stream;
	Size		done = 0;

	if (index->rd_amcache != NULL)
		return (BxAnnCache) index->rd_amcache;

	cache = MemoryContextAllocZero(index->rd_indexcxt, sizeof(BxAnnCacheData));
	buf = ReadBuffer(index, BXANN_METAPAGE_BLKNO);
	LockBuffer(buf, BUFFER_LOCK_SHARE);
	page = BufferGetPage(buf);
	meta = BxAnnPageGetMeta(page);
	if (meta->magic != BXANN_MAGIC)
		elog(ERROR, "index \"%s\" is not a bxann index", RelationGetRelationName(index));
	if (meta->version < BXANN_MIN_VERSION || meta->version > BXANN_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("bxann index \"%s\" has format version %u, this library reads versions %d to %d",
						RelationGetRelationName(index), meta->version,
						BXANN_MIN_VERSION, BXANN_VERSION),
				 errhint("REINDEX the index.")));
	/* an older metapage is shorter: the fields it lacks stay zero */
	memcpy(&cache->meta, meta, BXANN_META_SIZE(meta->version));
	UnlockReleaseBuffer(buf);

	stream = MemoryContextAllocHuge(index->rd_indexcxt, Max(cache->meta.stream_bytes, 1));
	for (uint32 i = 0; i < cache->meta.stream_pages; i++)
	{
		Size		n = Min(BXANN_STREAM_PER_PAGE, cache->meta.stream_bytes - done);

		buf = ReadBuffer(index, cache->meta.stream_start + i);
		LockBuffer(buf, BUFFER_LOCK_SHARE);
		memcpy(stream + done, PageGetContents(BufferGetPage(buf)), n);
		UnlockReleaseBuffer(buf);
		done += n;
	}
	if (done != cache->meta.stream_bytes)
		elog(ERROR, "bxann index \"%s\" has a truncated stream", RelationGetRelationName(index));

	cache->sqmin = (float *) stream;
	cache->sqscale = cache->sqmin + cache->meta.dims;
	cache->centroids = cache->sqscale + cache->meta.dims;
	cache->meta.code_bits = BxAnnMetaCodeBits(&cache->meta);
	BxAnnLayoutInit(&cache->layout, cache->meta.version, cache->meta.m, cache->meta.dims,
					cache->meta.code_bits);
	index->rd_amcache = cache;
	return cache;
}

/*
 * Drop this backend's copy of the metapage and stream, after the build
 * changed the metapage it was read from; the next BxAnnGetCache reads again.
 */
void
BxAnnForgetCache(Relation index)
{
	BxAnnCache	cache = (BxAnnCache) index->rd_amcache;

	if (cache == NULL)
		return;
	pfree(cache->sqmin);		/* the stream: sqmin, sqscale, centroids */
	pfree(cache);
	index->rd_amcache = NULL;
}

/*
 * The BXANN_METRIC_* of a distance function: bxexit's three distances, by
 * name; 0 for any other function.
 */
int
BxAnnMetricOfFunction(Oid funcid)
{
	char	   *name = get_func_name(funcid);

	if (name == NULL)
		return 0;
	if (strcmp(name, "bx_l2_distance") == 0)
		return BXANN_METRIC_L2;
	if (strcmp(name, "bx_negative_inner_product") == 0)
		return BXANN_METRIC_IP;
	if (strcmp(name, "bx_cosine_distance") == 0)
		return BXANN_METRIC_COSINE;
	return 0;
}

/*
 * The metric of the opclass, from its support function 1 (the exact
 * distance: the ordering operator's own function).
 */
int
BxAnnGetMetric(Relation index)
{
	Oid			funcid = index_getprocid(index, 1, BXANN_DISTANCE_PROC);
	int			metric = BxAnnMetricOfFunction(funcid);

	if (metric == 0)
		elog(ERROR, "bxann support function 1 (%u) is not a bxexit distance", funcid);
	return metric;
}

FmgrInfo *
BxAnnGetDistanceProc(Relation index)
{
	return index_getprocinfo(index, 1, BXANN_DISTANCE_PROC);
}

/*
 * Check an indexed or query value against the index: dimensions and model
 * tag.  Returns the float elements to index (normalised for cosine); for a
 * value the metric cannot place (norm under BX_MIN_COSINE_NORM under
 * cosine) sets *usable = false and returns it as is: a scan skips it, a
 * build or an insert refuses it with BxAnnRefuseUnusable().
 */
StaticAssertDecl(BXANN_ELEMENTS_PER_PAGE(BXANN_ELEMENT_SIZE(BXANN_MAX_M, BXANN_MAX_DIM, 8, 1)) >= 1,
				 "the largest bxann element must fit a page");

FaceEmbedding
BxAnnPrepareValue(Relation index, Datum value, int metric, bool *usable)
{
	FaceEmbedding e = DatumGetFaceEmbedding(value);

	*usable = true;
	if (e->dim > BXANN_MAX_DIM)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("bxann indexes support at most %d dimensions, not %d",
						BXANN_MAX_DIM, e->dim)));
	if (metric == BXANN_METRIC_COSINE)
	{
		float4	   *x = FE_X(e);
		float8		norm = BxEmbeddingSquaredNorm(e);
		FaceEmbedding n;

		if (!BxEmbeddingCosineUsable(norm))
		{
			*usable = false;
			return e;
		}
		norm = sqrt(norm);
		n = BxEmbeddingNew(e->dim, FE_TAG(e), e->taglen);
		for (int i = 0; i < e->dim; i++)
			FE_X(n)[i] = (float4) (x[i] / norm);
		return n;
	}
	return e;
}

/* the ERROR of a build or an insert given a vector cosine cannot place */
void
BxAnnRefuseUnusable(FaceEmbedding e, const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("cannot index a face_embedding of norm %g for cosine distance",
					sqrt(BxEmbeddingSquaredNorm(e))),
			 errdetail("Cosine distance compares vectors of norm %g or more.",
					   BX_MIN_COSINE_NORM),
			 errhint("%s", hint)));
}

/* ERROR if e is tagged with a model other than the index's */
void
BxAnnCheckTag(BxAnnCache cache, FaceEmbedding e)
{
	if (e->taglen > 0 && cache->meta.taglen > 0 &&
		(e->taglen != cache->meta.taglen ||
		 memcmp(FE_TAG(e), cache->meta.tag, e->taglen) != 0))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("cannot compare face embeddings of different models \"%s\" and \"%s\"",
						pnstrdup(FE_TAG(e), e->taglen), cache->meta.tag),
				 errdetail("The index holds embeddings of model \"%s\".", cache->meta.tag)));
}

/*
 * Bits per dimension of an index's codes.  Metapages of formats 1 and 2
 * (written before 4-bit codes) read as 0 there: SQ8.
 */
int
BxAnnMetaCodeBits(const BxAnnMetaPageData *meta)
{
	return meta->code_bits == 0 ? 8 : meta->code_bits;
}

/* Where the edges and code of an element of format version `version` are. */
void
BxAnnLayoutInit(BxAnnElementLayout *layout, uint32 version, int m, int dims, int bits)
{
	layout->m = m;
	layout->edge_bytes = BXANN_EDGE_BYTES(version);
	layout->size = BXANN_ELEMENT_SIZE(m, dims, bits, version);
	layout->per_page = BXANN_ELEMENTS_PER_PAGE(layout->size);
}

/*
 * Refuse a block for elements whose edges (element numbers, format 4)
 * would not fit their 4 bytes: an index of more than 2^32 elements' slots.
 */
void
BxAnnCheckElementBlock(Relation index, const BxAnnElementLayout *layout, BlockNumber blkno)
{
	if (layout->edge_bytes == sizeof(uint32) &&
		((uint64) blkno + 1) * layout->per_page > (uint64) PG_UINT32_MAX + 1)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("bxann index \"%s\" cannot grow past block %u",
						RelationGetRelationName(index), blkno),
				 errdetail("An edge numbers the index's element slots in 32 bits, %d a page.",
						   layout->per_page),
				 errhint("Split the table into partitions, each with its own index.")));
}

/*
 * v rounded to the nearest integer, ties to even, as lrintf in the default
 * rounding mode (PostgreSQL never changes it).  On x86-64 one instruction:
 * compiled with errno support, lrintf is a libm call per dimension, which
 * perf found in a 512-d build's writing phase.
 */
static inline long
RoundToNearest(float v)
{
#if defined(__x86_64__) && defined(__SSE__)
	return _mm_cvtss_si32(_mm_set_ss(v));
#else
	return lrintf(v);
#endif
}

/* one dimension's code: v steps above the range's start, saturated */
static inline uint8
QuantiseStep(float v, int top)
{
	/* values outside the trained range saturate; the re-rank is exact */
	return v <= 0.0f ? 0 : v >= (float) top ? (uint8) top : (uint8) RoundToNearest(v);
}

/*
 * Encode x (dims floats) into code with the given per-dimension range, at
 * bits 8 (a byte a dimension) or 4 (the nibble layout of bxann.h).
 */
void
BxAnnEncodeWith(const float *sqmin, const float *sqscale, int dims, int bits,
				const float *x, uint8 *code)
{
	if (bits == 4)
	{
		int			h = (dims + 1) / 2;

		for (int i = 0; i < h; i++)
		{
			uint8		lo = QuantiseStep((x[i] - sqmin[i]) / sqscale[i], 15);
			uint8		hi = 0;

			if (h + i < dims)
				hi = QuantiseStep((x[h + i] - sqmin[h + i]) / sqscale[h + i], 15);
			code[i] = lo | (hi << 4);
		}
		return;
	}
	for (int i = 0; i < dims; i++)
		code[i] = QuantiseStep((x[i] - sqmin[i]) / sqscale[i], 255);
}

/* The values a code stands for, into x (dims floats). */
void
BxAnnDecodeWith(const float *sqmin, const float *sqscale, int dims, int bits,
				const uint8 *code, float *x)
{
	int			h = (dims + 1) / 2;

	if (bits == 8)
	{
		for (int i = 0; i < dims; i++)
			x[i] = sqmin[i] + sqscale[i] * code[i];
		return;
	}
	for (int i = 0; i < h; i++)
		x[i] = sqmin[i] + sqscale[i] * (code[i] & 15);
	for (int i = h; i < dims; i++)
		x[i] = sqmin[i] + sqscale[i] * (code[i - h] >> 4);
}

/* Encode x with the index's range and bits */
void
BxAnnEncode(BxAnnCache cache, const float *x, uint8 *code)
{
	BxAnnEncodeWith(cache->sqmin, cache->sqscale, cache->meta.dims,
					cache->meta.code_bits, x, code);
}

/*
 * Precompute what distances from x to the index's codes need.  L2 and
 * cosine (on normalised vectors) use the Euclidean distance to the decoded
 * code; IP uses the negative inner product with it.
 */
void
BxAnnQueryPrepare(BxAnnQuery q, BxAnnCache cache, const float *x)
{
	int			dims = cache->meta.dims;

	q->dims = dims;
	q->metric = cache->meta.metric;
	q->bits = cache->meta.code_bits;
	q->qa = palloc(sizeof(float) * dims);
	q->scale = cache->sqscale;
	q->ipbase = 0.0f;
	for (int i = 0; i < dims; i++)
	{
		if (q->metric == BXANN_METRIC_IP)
		{
			q->qa[i] = x[i] * cache->sqscale[i];
			q->ipbase += x[i] * cache->sqmin[i];
		}
		else
			q->qa[i] = x[i] - cache->sqmin[i];
	}
}

/* approximate distance from the prepared query to an element's code */
float
BxAnnCodeDistance(BxAnnQuery q, const uint8 *code)
{
	if (q->bits == 4)
	{
		if (q->metric == BXANN_METRIC_IP)
			return -(q->ipbase + BxKernelSq4Dot(q->qa, code, q->dims));
		return BxKernelSq4L2(q->qa, q->scale, code, q->dims);
	}
	if (q->metric == BXANN_METRIC_IP)
		return -(q->ipbase + BxKernelSq8Dot(q->qa, code, q->dims));
	return BxKernelSq8L2(q->qa, q->scale, code, q->dims);
}

typedef struct ListDistance
{
	float		distance;
	int			list;
} ListDistance;

static int
CompareListDistance(const void *a, const void *b)
{
	float		da = ((const ListDistance *) a)->distance;
	float		db = ((const ListDistance *) b)->distance;

	if (da != db)
		return da < db ? -1 : 1;
	return ((const ListDistance *) a)->list - ((const ListDistance *) b)->list;
}

/* squared distances from x to every list centroid, into dist[nlists] */
void
BxAnnListDistances(BxAnnCache cache, const float *x, float *dist)
{
	int			dims = cache->meta.dims;

	for (uint32 i = 0; i < cache->meta.nlists; i++)
		dist[i] = BxKernelL2Squared(x, cache->centroids + (Size) i * dims, dims);
}

/*
 * The k lists nearest by dist[] that are not taken yet, nearest first, into
 * out[]; marks them taken and returns how many.  A bounded insertion for the
 * few lists a first batch wants, a sort for the many of later batches.
 */
int
BxAnnTakeNearestLists(const float *dist, bool *taken, int nlists, int k, int *out)
{
	ListDistance *best = palloc(sizeof(ListDistance) * Max(Min(k, nlists), 1));
	int			n = 0;

	if (k > 64)
	{
		ListDistance *all = palloc(sizeof(ListDistance) * nlists);
		int			nall = 0;

		for (int i = 0; i < nlists; i++)
			if (!taken[i])
			{
				all[nall].distance = dist[i];
				all[nall++].list = i;
			}
		qsort(all, nall, sizeof(ListDistance), CompareListDistance);
		n = Min(k, nall);
		memcpy(best, all, sizeof(ListDistance) * n);
		pfree(all);
	}
	else
	{
		for (int i = 0; i < nlists; i++)
		{
			ListDistance cur = {dist[i], i};
			int			p;

			if (taken[i] || (n == k && CompareListDistance(&cur, &best[n - 1]) >= 0))
				continue;
			p = n < k ? n++ : k - 1;
			while (p > 0 && CompareListDistance(&cur, &best[p - 1]) < 0)
			{
				best[p] = best[p - 1];
				p--;
			}
			best[p] = cur;
		}
	}
	for (int i = 0; i < n; i++)
	{
		out[i] = best[i].list;
		taken[best[i].list] = true;
	}
	pfree(best);
	return n;
}

/*
 * Fill lists[] with the n lists whose centroids are nearest to x, nearest
 * first; returns how many (at most nlists).
 */
int
BxAnnNearestLists(BxAnnCache cache, const float *x, int n, int *lists)
{
	int			nlists = cache->meta.nlists;
	float	   *dist = palloc(sizeof(float) * nlists);
	bool	   *taken = palloc0(sizeof(bool) * nlists);

	BxAnnListDistances(cache, x, dist);
	n = BxAnnTakeNearestLists(dist, taken, nlists, n, lists);
	pfree(dist);
	pfree(taken);
	return n;
}

/* the directory entry of a list (share lock taken and released) */
BxAnnListData
BxAnnReadList(Relation index, BxAnnCache cache, int list)
{
	Buffer		buf;
	BxAnnListData entry;

	buf = ReadBuffer(index, cache->meta.dir_start + list / BXANN_LISTS_PER_PAGE);
	LockBuffer(buf, BUFFER_LOCK_SHARE);
	entry = ((BxAnnListData *) PageGetContents(BufferGetPage(buf)))[list % BXANN_LISTS_PER_PAGE];
	UnlockReleaseBuffer(buf);
	return entry;
}

/*
 * Copy the element at tid (deleted or not) into copy, under a share lock;
 * false if tid is not an element.
 */
bool
BxAnnReadElement(Relation index, BxAnnCache cache, ItemPointer tid, BxAnnElement copy)
{
	Buffer		buf = ReadBuffer(index, ItemPointerGetBlockNumber(tid));
	BxAnnElement e;

	LockBuffer(buf, BUFFER_LOCK_SHARE);
	e = BxAnnPageElement(BufferGetPage(buf), ItemPointerGetOffsetNumber(tid));
	if (e != NULL)
		memcpy(copy, e, cache->layout.size);
	UnlockReleaseBuffer(buf);
	return e != NULL;
}

/* Turn a bridge status into an ERROR, once the C++ frames are gone. */
void
BxAnnCheckBridge(int status, const char *what, const char *errbuf)
{
	switch ((BxStatus) status)
	{
		case BX_OK:
			return;
		case BX_EINTERRUPTED:
			CHECK_FOR_INTERRUPTS();
			/* the flag may have been consumed meanwhile: still an error */
			ereport(ERROR,
					(errcode(ERRCODE_QUERY_CANCELED),
					 errmsg("canceling %s", what)));
			break;
		case BX_ENOMEM:
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory during %s", what),
					 errdetail_internal("%s", errbuf)));
			break;
		default:
			ereport(ERROR,
					(errcode(ERRCODE_INTERNAL_ERROR),
					 errmsg("%s failed", what),
					 errdetail_internal("%s", errbuf)));
	}
}
