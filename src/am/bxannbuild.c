/*-------------------------------------------------------------------------
 *
 * bxannbuild.c
 *	  CREATE INDEX for bxann: load, train, assign, link, write.
 *
 * 1. Load every row's vector (normalised for cosine) into memory, with
 *	  parallel workers reading beside the leader when PostgreSQL grants
 *	  them (bxannload.c), checked against maintenance_work_mem before it
 *	  grows: float4 while the rows fit, 8-bit codes when they no longer do
 *	  (bxannrows.c); then in heap TID order.
 * 2. Train the list centroids with FAISS k-means on an evenly spaced sample
 *	  (bxanntrain.c: in two levels for many lists),
 *	  and the code range of each dimension (SQ8: extremes; SQ4: mean +- 2.5 sd).
 * 3. Find each row's `spill` nearest lists (FAISS, batched): the first is
 *	  the list the row is stored in, all of them feed the graph.
 * 4. Build the k-NN graph (bxanngraph.c).
 * 5. Lay the elements out list by list, so a list is a run of pages and an
 *	  edge is an ItemPointer known before writing; write every page without
 *	  WAL.
 * 6. Search the written index with probes of known answer and record the
 *	  cheapest search settings that find them (bxanntune.c) in the
 *	  metapage; then log every page with log_newpage_range.
 *
 * src/am/bxannbuild.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/tableam.h"
#include "access/xloginsert.h"
#include "bx_bridge.h"
#include "bxann.h"
#include "bxexit.h"
#include "bxanngraph.h"
#include "bxannload.h"
#include "bxannrows.h"
#include "bxanntrain.h"
#include "catalog/index.h"
#include "commands/progress.h"
#include "miscadmin.h"
#include "optimizer/optimizer.h"
#include "pgstat.h"
#include "portability/instr_time.h"
#include "utils/memutils.h"
#include "utils/rel.h"

/* AM-specific build phases (amphasename) */
#define BXANN_PHASE_LOAD		2
#define BXANN_PHASE_TRAIN		3
#define BXANN_PHASE_ASSIGN		4
#define BXANN_PHASE_GRAPH		5
#define BXANN_PHASE_WRITE		6
#define BXANN_PHASE_TUNE		7

/* each row joins this many nearest lists for graph construction */
#define BXANN_SPILL				4

/* k-means training points per centroid (bxanntrain.c) */
#define BXANN_SAMPLES_PER_LIST	40

/* decoded rows the list assignment hands FAISS at a time (8-bit rows) */
#define BXANN_ASSIGN_CHUNK		8192

/* rows per list when the lists reloption is 0 */
#define BXANN_AUTO_ROWS_PER_LIST 200

typedef struct BxAnnBuildState
{
	Relation	index;
	int			dims;
	int			metric;
	int			m;
	int			bits;			/* of the element codes: 4 or 8 (ChooseBits) */
	int			nthreads;		/* threads after the read: bxexit.build_threads, else 1 + workers */
	int			nworkers;		/* parallel workers granted (BuildWorkers) */
	BxAnnRows	rows;			/* the vectors loaded */
	ItemPointerData *tids;		/* [rows.capacity] */
	Size		budget;			/* maintenance_work_mem in bytes */
	Size		otherperrow;	/* bytes a row costs over the build, besides its vector */
	double		rowsestimate;	/* the table's row count estimate, for hints */
	char		tag[BX_MAX_TAG_LEN + 1];
	int			taglen;
} BxAnnBuildState;

char *
BxAnnPhaseName(int64 phasenum)
{
	switch (phasenum)
	{
		case PROGRESS_CREATEIDX_SUBPHASE_INITIALIZE:
			return "initializing";
		case BXANN_PHASE_LOAD:
			return "loading tuples";
		case BXANN_PHASE_TRAIN:
			return "training lists";
		case BXANN_PHASE_ASSIGN:
			return "assigning tuples to lists";
		case BXANN_PHASE_GRAPH:
			return "building graph";
		case BXANN_PHASE_WRITE:
			return "writing pages";
		case BXANN_PHASE_TUNE:
			return "tuning search";
		default:
			return NULL;
	}
}

/* the dimension the indexed column declares: bxann needs one */
static int
IndexDimensions(Relation index)
{
	int32		typmod = TupleDescAttr(RelationGetDescr(index), 0)->atttypmod;

	if (typmod < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("column does not have dimensions"),
				 errhint("Declare the column as face_embedding(n), for example face_embedding(128).")));
	if (typmod > BXANN_MAX_DIM)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("bxann indexes support at most %d dimensions, not %d",
						BXANN_MAX_DIM, typmod)));
	return typmod;
}

/* bytes a row costs over the whole build when its vector is width bytes per element */
static Size
RowCost(BxAnnBuildState *st, int width)
{
	return st->otherperrow + BXANN_ROW_BYTES(st->dims, width);
}

/* maintenance_work_mem (kB) to suggest for rows at width bytes per element */
static Size
SuggestedMemory(BxAnnBuildState *st, int64 rows, int width)
{
	return (Size) ((double) RowCost(st, width) * rows * 1.25 / 1024) + 1024;
}

static void
ReportMemoryExceeded(BxAnnBuildState *st, int64 rows)
{
	/* hint for the whole table, not just the rows read so far */
	rows = Max(rows, (int64) st->rowsestimate);
	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("bxann build needs more than maintenance_work_mem (%zu kB)",
					st->budget / 1024),
			 errdetail("The build keeps about %zu bytes per row in memory (%zu with its vectors as 8-bit codes), and the table has about %lld rows.",
					   RowCost(st, sizeof(float)), RowCost(st, 1), (long long) rows),
			 errhint("Raise maintenance_work_mem to at least %zu kB for this table, or %zu kB to build from full-precision vectors.",
					 SuggestedMemory(st, rows, 1), SuggestedMemory(st, rows, sizeof(float)))));
}

/*
 * Once the load is over: the rows became 8-bit codes on the way (the graph
 * and lists will come from them).  A NOTICE, as other index builds give
 * when they outgrow maintenance_work_mem.
 */
static void
NoticeCodedRows(BxAnnBuildState *st)
{
	if (st->rows.width == sizeof(float))
		return;
	ereport(NOTICE,
			(errmsg("bxann build kept its vectors as 8-bit codes after %lld rows: full precision did not fit in maintenance_work_mem (%zu kB)",
					(long long) st->rows.coded_from, st->budget / 1024),
			 errdetail("The lists and the graph are built from the codes; searches still re-rank with the exact vectors."),
			 errhint("Raise maintenance_work_mem to at least %zu kB to build from full-precision vectors.",
					 SuggestedMemory(st, st->rows.n, sizeof(float)))));
}

/*
 * BxAnnKeepRow of the build: keep one checked, prepared row (bxannload.c),
 * refusing a second model's embeddings.
 */
static void
KeepRow(void *arg, ItemPointer tid, const float *x, const char *tag, int taglen)
{
	BxAnnBuildState *st = (BxAnnBuildState *) arg;

	if (taglen > 0)
	{
		if (st->taglen == 0)
		{
			memcpy(st->tag, tag, taglen);
			st->taglen = taglen;
		}
		else if (taglen != st->taglen || memcmp(tag, st->tag, taglen) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("cannot index face embeddings of different models \"%s\" and \"%s\"",
							st->tag, pnstrdup(tag, taglen)),
					 errdetail("Embeddings made by different face models are not comparable."),
					 errhint("Index each model's embeddings separately, for example with a partial index per model.")));
	}
	if (st->rows.n == st->rows.capacity)
	{
		if (!BxAnnRowsReserve(&st->rows, st->budget, st->otherperrow))
			ReportMemoryExceeded(st, st->rows.n + 1);
		st->tids = repalloc_huge(st->tids, sizeof(ItemPointerData) * st->rows.capacity);
	}
	st->tids[st->rows.n] = *tid;
	BxAnnRowsAppend(&st->rows, x);
	pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_DONE, st->rows.n);
}

static int
CompareRowTids(const void *a, const void *b, void *arg)
{
	const ItemPointerData *tids = (const ItemPointerData *) arg;

	return ItemPointerCompare((ItemPointer) &tids[*(const int64 *) a],
							  (ItemPointer) &tids[*(const int64 *) b]);
}

/*
 * Put the rows in heap TID order, the order of a serial read from the
 * table's first block: parallel workers deliver theirs interleaved, and a
 * serial read may start mid-table (synchronised scans).  The k-means
 * sample, and so the whole index, then does not depend on who read what.
 */
static void
SortRowsByTid(BxAnnBuildState *st)
{
	int64		n = st->rows.n;
	int64	   *perm;
	bool		sorted = true;

	for (int64 i = 1; i < n && sorted; i++)
		sorted = ItemPointerCompare(&st->tids[i - 1], &st->tids[i]) < 0;
	if (sorted)
		return;
	perm = palloc_extended(sizeof(int64) * n, MCXT_ALLOC_HUGE);
	for (int64 i = 0; i < n; i++)
		perm[i] = i;
	qsort_arg(perm, n, sizeof(int64), CompareRowTids, st->tids);
	BxAnnRowsPermute(&st->rows, st->tids, sizeof(ItemPointerData), perm);
	pfree(perm);
}

/* Train nlists centroids on an evenly spaced sample of the rows. */
static void
TrainCentroids(BxAnnBuildState *st, int nlists, float *centroids)
{
	int64		n = st->rows.n;
	int64		nsample = Min(n, (int64) nlists * BXANN_SAMPLES_PER_LIST);
	float	   *sample;

	if (n == 0)
	{
		memset(centroids, 0, sizeof(float) * nlists * st->dims);
		return;
	}
	if (nlists == 1)
	{
		/* the mean: k-means with one centroid */
		float	   *buf = palloc(sizeof(float) * st->dims);

		memset(centroids, 0, sizeof(float) * st->dims);
		for (int64 i = 0; i < n; i++)
		{
			const float *x = BxAnnRowsGet(&st->rows, i, buf);

			for (int d = 0; d < st->dims; d++)
				centroids[d] += x[d] / (float) n;
		}
		pfree(buf);
		return;
	}
	sample = palloc_extended(sizeof(float) * st->dims * nsample, MCXT_ALLOC_HUGE);
	for (int64 i = 0; i < nsample; i++)
		BxAnnRowsCopy(&st->rows, i * n / nsample, sample + i * st->dims);
	BxAnnTrainLists(sample, nsample, st->dims, nlists, st->metric != BXANN_METRIC_L2,
					st->nthreads, centroids);
	pfree(sample);
}

/*
 * Each row's spillk nearest lists into spill[n][spillk]: in one FAISS call
 * when the rows are float4, else BXANN_ASSIGN_CHUNK decoded rows at a time.
 */
static void
AssignLists(BxAnnBuildState *st, int nlists, const float *centroids, int spillk,
			int32 *spill)
{
	int64		n = st->rows.n;
	float	   *buf = NULL;
	char		errbuf[256];

	if (st->rows.width != sizeof(float))
		buf = palloc_extended(sizeof(float) * st->dims * Min(n, BXANN_ASSIGN_CHUNK),
							  MCXT_ALLOC_HUGE);
	for (int64 first = 0; first < n;)
	{
		int64		count = buf ? Min(n - first, BXANN_ASSIGN_CHUNK) : n;

		BxAnnCheckBridge(BxNearest(st->dims, count,
								   BxAnnRowsChunk(&st->rows, first, count, buf),
								   nlists, centroids, spillk,
								   st->nthreads, spill + first * spillk, NULL,
								   BxInterruptPending, errbuf, sizeof(errbuf)),
						 "bxann list assignment", errbuf);
		first += count;
	}
	if (buf)
		pfree(buf);
}

/* Get a new page for the bulk write (no WAL yet: logged at the end). */
static Buffer
BulkNewPage(Relation index, ForkNumber fork, uint16 kind)
{
	Buffer		buf = ReadBufferExtended(index, fork, P_NEW, RBM_ZERO_AND_LOCK, NULL);

	BxAnnInitPage(BufferGetPage(buf), kind);
	return buf;
}

static void
BulkReleasePage(Buffer buf)
{
	MarkBufferDirty(buf);
	UnlockReleaseBuffer(buf);
}

/* Write bytes as consecutive stream pages; returns the number of pages. */
static uint32
WriteStream(Relation index, ForkNumber fork, const char *data, Size len)
{
	uint32		pages = 0;

	for (Size done = 0; done < len || pages == 0; pages++)
	{
		Buffer		buf = BulkNewPage(index, fork, BXANN_PAGE_STREAM);
		Page		page = BufferGetPage(buf);
		Size		n = Min(BXANN_STREAM_PER_PAGE, len - done);

		memcpy(PageGetContents(page), data + done, n);
		((PageHeader) page)->pd_lower = (char *) PageGetContents(page) + n - (char *) page;
		BulkReleasePage(buf);
		done += n;
	}
	return pages;
}

/*
 * Write the whole index into fork: metapage, stream, directory, elements,
 * without WAL (the caller logs the pages).  order[] lists the rows list by
 * list, list l's from liststart[l]; graph may be NULL.  where[] receives
 * each row's element location.
 */
static void
WriteIndex(BxAnnBuildState *st, ForkNumber fork, int nlists, int options_lists,
		   const float *sqmin, const float *sqscale, const float *centroids,
		   const int64 *order, const int64 *liststart,
		   BxAnnGraph *graph, double seconds, ItemPointerData *where)
{
	Relation	index = st->index;
	BxAnnElementLayout layout;
	int			esize;
	int			perpage;
	Size		streamlen = sizeof(float) * ((Size) st->dims * 2 + (Size) nlists * st->dims);
	char	   *stream = palloc_extended(streamlen, MCXT_ALLOC_HUGE);
	Buffer		metabuf;
	BxAnnMetaPage meta;
	BlockNumber nextblk;
	uint32		dirpages = (nlists + BXANN_LISTS_PER_PAGE - 1) / BXANN_LISTS_PER_PAGE;
	BxAnnListData *dir = palloc(sizeof(BxAnnListData) * nlists);
	BxAnnElement element;
	float	   *rowbuf = palloc(sizeof(float) * st->dims);
	BlockNumber streamstart;
	uint32		streampages;

	BxAnnLayoutInit(&layout, BXANN_VERSION, st->m, st->dims, st->bits);
	esize = layout.size;
	perpage = layout.per_page;
	element = palloc0(esize);
	metabuf = BulkNewPage(index, fork, BXANN_PAGE_META);
	Assert(BufferGetBlockNumber(metabuf) == BXANN_METAPAGE_BLKNO);

	memcpy(stream, sqmin, sizeof(float) * st->dims);
	memcpy(stream + sizeof(float) * st->dims, sqscale, sizeof(float) * st->dims);
	memcpy(stream + sizeof(float) * 2 * st->dims, centroids, sizeof(float) * nlists * st->dims);
	streamstart = BXANN_METAPAGE_BLKNO + 1;
	streampages = WriteStream(index, fork, stream, streamlen);

	/* where every element will go: lists in order, each from a new page */
	nextblk = streamstart + streampages + dirpages;
	for (int l = 0; l < nlists; l++)
	{
		int64		count = liststart[l + 1] - liststart[l];
		int64		pages = (count + perpage - 1) / perpage;

		dir[l].first = count > 0 ? nextblk : InvalidBlockNumber;
		dir[l].last = count > 0 ? nextblk + pages - 1 : InvalidBlockNumber;
		for (int64 k = 0; k < count; k++)
			ItemPointerSet(&where[order[liststart[l] + k]], nextblk + k / perpage,
						   (OffsetNumber) (k % perpage + 1));
		nextblk += pages;
	}
	if (nextblk > streamstart + streampages + dirpages)
		BxAnnCheckElementBlock(index, &layout, nextblk - 1);

	for (uint32 p = 0; p < dirpages; p++)
	{
		Buffer		buf = BulkNewPage(index, fork, BXANN_PAGE_DIRECTORY);
		Page		page = BufferGetPage(buf);
		int			first = p * BXANN_LISTS_PER_PAGE;
		int			n = Min((int) BXANN_LISTS_PER_PAGE, nlists - first);

		memcpy(PageGetContents(page), dir + first, sizeof(BxAnnListData) * n);
		((PageHeader) page)->pd_lower =
			(char *) PageGetContents(page) + sizeof(BxAnnListData) * n - (char *) page;
		BulkReleasePage(buf);
	}

	pgstat_progress_update_param(PROGRESS_CREATEIDX_SUBPHASE, BXANN_PHASE_WRITE);
	for (int l = 0; l < nlists; l++)
	{
		Buffer		buf = InvalidBuffer;
		int64		count = liststart[l + 1] - liststart[l];

		CHECK_FOR_INTERRUPTS();
		for (int64 k = 0; k < count; k++)
		{
			int64		row = order[liststart[l] + k];
			Page		page;

			if (k % perpage == 0)
			{
				if (BufferIsValid(buf))
				{
					BxAnnPageGetOpaque(BufferGetPage(buf))->nextblkno = BufferGetBlockNumber(buf) + 1;
					BulkReleasePage(buf);
				}
				buf = BulkNewPage(index, fork, BXANN_PAGE_ELEMENT);
				Assert(BufferGetBlockNumber(buf) == ItemPointerGetBlockNumber(&where[row]));
			}
			page = BufferGetPage(buf);
			memset(element, 0, esize);
			element->heaptid = st->tids[row];
			element->nneighbors = graph ? graph->count[row] : 0;
			for (int j = 0; j < element->nneighbors; j++)
				BxAnnSetElementEdge(&layout, element, j,
									&where[graph->neighbors[row * st->m + j]]);
			BxAnnEncodeWith(sqmin, sqscale, st->dims, st->bits,
							BxAnnRowsGet(&st->rows, row, rowbuf),
							BxAnnElementCode(element, &layout));
			if (PageAddItem(page, (Item) element, esize, InvalidOffsetNumber, false, false) == InvalidOffsetNumber)
				elog(ERROR, "failed to add element to bxann page");
			pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_DONE, liststart[l] + k + 1);
		}
		if (BufferIsValid(buf))
			BulkReleasePage(buf);
	}

	meta = BxAnnPageGetMeta(BufferGetPage(metabuf));
	memset(meta, 0, sizeof(BxAnnMetaPageData));
	meta->magic = BXANN_MAGIC;
	meta->version = BXANN_VERSION;
	meta->dims = st->dims;
	meta->metric = st->metric;
	meta->m = st->m;
	meta->code_bits = st->bits;
	meta->taglen = st->taglen;
	memcpy(meta->tag, st->tag, st->taglen);
	meta->nlists = nlists;
	meta->options_lists = options_lists;
	meta->stream_start = streamstart;
	meta->stream_pages = streampages;
	meta->stream_bytes = streamlen;
	meta->dir_start = streamstart + streampages;
	meta->dir_pages = dirpages;
	meta->build_rows = st->rows.n;
	meta->build_seconds = seconds;
	((PageHeader) BufferGetPage(metabuf))->pd_lower =
		((char *) meta + sizeof(BxAnnMetaPageData)) - (char *) BufferGetPage(metabuf);
	BulkReleasePage(metabuf);
}

/*
 * Record the tuning and the final build time in the metapage (still not
 * WAL-logged), and drop the cached copy the tuning's searches read.
 */
static void
WriteTuning(Relation index, const BxAnnTuning *tuning, double seconds)
{
	Buffer		buf = ReadBuffer(index, BXANN_METAPAGE_BLKNO);
	BxAnnMetaPage meta;

	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	meta = BxAnnPageGetMeta(BufferGetPage(buf));
	meta->tuned_probes = tuning->probes;
	meta->tuned_ef_search = tuning->ef_search;
	meta->tuned_samples = tuning->samples;
	meta->tuned_mate_similarity = tuning->mate_similarity;
	meta->tuned_found = tuning->found;
	meta->build_seconds = seconds;
	BulkReleasePage(buf);
	BxAnnForgetCache(index);
}

/* DEBUG1 line with the seconds since *last, which it resets */
static void
LogPhase(const char *phase, instr_time *last)
{
	instr_time	now;

	INSTR_TIME_SET_CURRENT(now);
	INSTR_TIME_SUBTRACT(now, *last);
	elog(DEBUG1, "bxann build: %s took %.3f s", phase, INSTR_TIME_GET_DOUBLE(now));
	INSTR_TIME_SET_CURRENT(*last);
}

/*
 * Bits per dimension of the element codes: the reloption, else 4 from
 * BXANN_SQ4_MIN_DIMS dimensions on, where the code is most of an element
 * (at 512 dimensions 512 of its 584 bytes in SQ8, at 128 128 of 200) and
 * two photos of one person lie far closer than any two people (at 512-d,
 * cosine distance 0.33 against 0.9; a 4-bit code moves a distance by about
 * 0.01), else 8.  On the 128-d reference set 4 bits gave the same recall at
 * a tenth more q/s in 72% of the size (bench/RESULTS.md).
 */
static int
ChooseBits(int dims, int option)
{
	if (option != 0)
		return option;
	return dims >= BXANN_SQ4_MIN_DIMS ? 4 : 8;
}

/* list count for n rows: the reloption, else one list per 200 rows */
static int
ChooseLists(int64 n, int option)
{
	int64		lists = option > 0 ? option : n / BXANN_AUTO_ROWS_PER_LIST;

	lists = Min(lists, n);		/* k-means needs at least one row per list */
	return (int) Max(1, Min(lists, BXANN_MAX_LISTS));
}

static void
InitBuildState(BxAnnBuildState *st, Relation index)
{
	BxAnnOptions *opts = BxAnnGetOptions(index);

	memset(st, 0, sizeof(BxAnnBuildState));
	st->index = index;
	st->nthreads = 1;
	st->dims = IndexDimensions(index);
	st->metric = BxAnnGetMetric(index);
	st->m = opts ? opts->m : BXANN_DEFAULT_M;
	st->bits = ChooseBits(st->dims, opts ? opts->bits : BXANN_DEFAULT_BITS);
	st->budget = (Size) maintenance_work_mem * 1024;
	st->otherperrow = sizeof(ItemPointerData) +
		BxAnnGraphMemory(1, st->m, BXANN_SPILL) + sizeof(int32) * (BXANN_SPILL + 2) + sizeof(int64) * 2;
	BxAnnRowsInit(&st->rows, st->dims);
	st->tids = palloc_extended(sizeof(ItemPointerData) * st->rows.capacity, MCXT_ALLOC_HUGE);
}

/*
 * Lay out, link and write the loaded rows.  Used by the build (main fork)
 * and, with no rows, by buildempty (init fork).
 */
static void
BuildFromRows(BxAnnBuildState *st, ForkNumber fork, instr_time start)
{
	BxAnnOptions *opts = BxAnnGetOptions(st->index);
	int			options_lists = opts ? opts->lists : BXANN_DEFAULT_LISTS;
	int64		n = st->rows.n;
	int			nlists = ChooseLists(n, options_lists);
	int			spillk = Min(BXANN_SPILL, nlists);
	float	   *sqmin = palloc(sizeof(float) * st->dims);
	float	   *sqscale = palloc(sizeof(float) * st->dims);
	float	   *centroids = palloc_extended(sizeof(float) * st->dims * nlists, MCXT_ALLOC_HUGE);
	int32	   *spill = palloc_extended(sizeof(int32) * spillk * Max(n, 1), MCXT_ALLOC_HUGE);
	int64	   *order = palloc_extended(sizeof(int64) * Max(n, 1), MCXT_ALLOC_HUGE);
	int64	   *liststart = palloc0(sizeof(int64) * (nlists + 1));
	int64	   *fill = palloc0(sizeof(int64) * nlists);
	BxAnnGraph *graph = NULL;
	ItemPointerData *where = palloc_extended(sizeof(ItemPointerData) * Max(n, 1), MCXT_ALLOC_HUGE);
	instr_time	end;
	instr_time	phase;

	INSTR_TIME_SET_CURRENT(phase);
	pgstat_progress_update_param(PROGRESS_CREATEIDX_SUBPHASE, BXANN_PHASE_TRAIN);
	/* SQ8 rows held as codes keep their range: the index stores the same codes */
	if (st->bits == 4)
		BxAnnRowsRange4(&st->rows, sqmin, sqscale);
	else
		BxAnnRowsRange(&st->rows, sqmin, sqscale);
	TrainCentroids(st, nlists, centroids);
	LogPhase("training", &phase);

	pgstat_progress_update_param(PROGRESS_CREATEIDX_SUBPHASE, BXANN_PHASE_ASSIGN);
	AssignLists(st, nlists, centroids, spillk, spill);
	/* a row is stored in the first (nearest) of its spilled lists */
	for (int64 i = 0; i < n; i++)
		liststart[spill[i * spillk] + 1]++;
	for (int l = 0; l < nlists; l++)
		liststart[l + 1] += liststart[l];
	for (int64 i = 0; i < n; i++)
		order[liststart[spill[i * spillk]] + fill[spill[i * spillk]]++] = i;
	LogPhase("assignment", &phase);

	pgstat_progress_update_param(PROGRESS_CREATEIDX_SUBPHASE, BXANN_PHASE_GRAPH);
	graph = BxAnnGraphBuild(&st->rows, st->m, spill, spillk, liststart, order,
							centroids, nlists, st->nthreads);
	LogPhase("graph", &phase);

	INSTR_TIME_SET_CURRENT(end);
	INSTR_TIME_SUBTRACT(end, start);
	WriteIndex(st, fork, nlists, options_lists, sqmin, sqscale, centroids,
			   order, liststart, graph, INSTR_TIME_GET_DOUBLE(end), where);
	LogPhase("writing", &phase);

	/* an empty index (and the init fork) has nothing to tune on */
	if (fork == MAIN_FORKNUM && n > 0)
	{
		BxAnnTuning tuning;

		pgstat_progress_update_param(PROGRESS_CREATEIDX_SUBPHASE, BXANN_PHASE_TUNE);
		/* the tuning's searches take processes, as many as the build has cores */
		BxAnnTune(st->index, &st->rows, graph, where, st->nthreads,
				  Min(st->nworkers, st->nthreads - 1), &tuning);
		INSTR_TIME_SET_CURRENT(end);
		INSTR_TIME_SUBTRACT(end, start);
		WriteTuning(st->index, &tuning, INSTR_TIME_GET_DOUBLE(end));
		LogPhase("tuning", &phase);
		elog(DEBUG1, "bxann build: tuned probes %d, ef_search %d: %d of %d probes found, mate similarity %.3f",
			 tuning.probes, tuning.ef_search, (int) lround(tuning.found * tuning.samples),
			 tuning.samples, tuning.mate_similarity);
	}

	if (RelationNeedsWAL(st->index) || fork == INIT_FORKNUM)
		log_newpage_range(st->index, fork, 0,
						  RelationGetNumberOfBlocksInFork(st->index, fork), true);
}

/*
 * Parallel workers of a build, decided as for a B-tree
 * (plan_create_index_workers: max_parallel_maintenance_workers, the
 * table's size and its parallel_workers option; none for a small table),
 * so a DBA's one setting governs both kinds of index.  They read the table
 * with the leader (bxannload.c); the leader and as many BLAS threads as
 * there are workers then run k-means, list assignment and the graph,
 * unless bxexit.build_threads sets the threads (bench/RESULTS.md).
 */
static int
BuildWorkers(Relation heap, Relation index)
{
	return plan_create_index_workers(RelationGetRelid(heap), RelationGetRelid(index));
}

IndexBuildResult *
bxannbuild(Relation heap, Relation index, IndexInfo *indexInfo)
{
	IndexBuildResult *result;
	BxAnnBuildState st;
	instr_time	start;
	double		reltuples;
	int			nworkers;
	int			launched;

	if (RelationGetNumberOfBlocks(index) != 0)
		elog(ERROR, "index \"%s\" already contains data", RelationGetRelationName(index));
	INSTR_TIME_SET_CURRENT(start);
	InitBuildState(&st, index);
	st.rowsestimate = Max(heap->rd_rel->reltuples, 0);
	nworkers = BuildWorkers(heap, index);
	st.nworkers = nworkers;
	st.nthreads = bx_build_threads > 0 ? bx_build_threads : 1 + nworkers;

	pgstat_progress_update_param(PROGRESS_CREATEIDX_SUBPHASE, BXANN_PHASE_LOAD);
	reltuples = BxAnnLoadRows(heap, index, indexInfo, st.dims, st.metric, nworkers,
							  KeepRow, &st, &launched);
	SortRowsByTid(&st);
	{
		instr_time	loaded;

		loaded = start;
		LogPhase("loading", &loaded);
		elog(DEBUG1, "bxann build: read the table with %d parallel workers", launched);
	}
	if ((Size) Max(st.rows.n, 1) * RowCost(&st, st.rows.width) > st.budget)
		ReportMemoryExceeded(&st, st.rows.n);
	NoticeCodedRows(&st);

	pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_TOTAL, st.rows.n);
	BuildFromRows(&st, MAIN_FORKNUM, start);

	result = palloc(sizeof(IndexBuildResult));
	result->heap_tuples = reltuples;
	result->index_tuples = st.rows.n;
	return result;
}

/* The init fork of an unlogged index: an empty index, WAL-logged. */
void
bxannbuildempty(Relation index)
{
	BxAnnBuildState st;
	instr_time	start;

	INSTR_TIME_SET_CURRENT(start);
	InitBuildState(&st, index);
	BuildFromRows(&st, INIT_FORKNUM, start);
}
