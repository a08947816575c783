/*-------------------------------------------------------------------------
 *
 * bxanninspect.c
 *	  Inspection functions for DBAs: what a bxann index holds.
 *
 *	bxann_index_info(index)  one row: build parameters frozen in the
 *							 metapage, pages, live and deleted elements
 *	bxann_list_info(index)   one row per list: pages and elements
 *
 * Both read the whole index under share locks, page by page.
 *
 * src/am/bxanninspect.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/relation.h"
#include "bxann.h"
#include "catalog/pg_am.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/rel.h"

/* Open an index and make sure it is a bxann index the caller may read. */
static Relation
OpenBxAnnIndex(Oid relid)
{
	Relation	index = relation_open(relid, AccessShareLock);

	if (index->rd_rel->relkind != RELKIND_INDEX ||
		index->rd_indam == NULL || index->rd_indam->ambuild != bxannbuild)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a bxann index", RelationGetRelationName(index))));
	if (pg_class_aclcheck(index->rd_index->indrelid, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for the table of index \"%s\"",
						RelationGetRelationName(index))));
	return index;
}

/* Count the pages and live/deleted elements of one list. */
static void
CountList(Relation index, BxAnnCache cache, int list, int64 *pages, int64 *live,
		  int64 *deleted)
{
	BlockNumber blkno = BxAnnReadList(index, cache, list).first;

	while (BlockNumberIsValid(blkno))
	{
		Buffer		buf = ReadBuffer(index, blkno);
		Page		page;
		OffsetNumber maxoff;

		CHECK_FOR_INTERRUPTS();
		LockBuffer(buf, BUFFER_LOCK_SHARE);
		page = BufferGetPage(buf);
		maxoff = PageGetMaxOffsetNumber(page);
		for (OffsetNumber off = FirstOffsetNumber; off <= maxoff; off++)
		{
			BxAnnElement e = (BxAnnElement) PageGetItem(page, PageGetItemId(page, off));

			if (e->flags & BXANN_ELEMENT_DELETED)
				(*deleted)++;
			else
				(*live)++;
		}
		(*pages)++;
		blkno = BxAnnPageGetOpaque(page)->nextblkno;
		UnlockReleaseBuffer(buf);
	}
}

static const char *
MetricName(int metric)
{
	switch (metric)
	{
		case BXANN_METRIC_L2:
			return "l2";
		case BXANN_METRIC_IP:
			return "inner_product";
		case BXANN_METRIC_COSINE:
			return "cosine";
	}
	return "unknown";
}

PG_FUNCTION_INFO_V1(bxann_index_info);
Datum
bxann_index_info(PG_FUNCTION_ARGS)
{
	Relation	index = OpenBxAnnIndex(PG_GETARG_OID(0));
	BxAnnCache	cache = BxAnnGetCache(index);
	TupleDesc	tupdesc;
	Datum		values[19];
	bool		nulls[19] = {0};
	int64		pages = 0,
				live = 0,
				deleted = 0;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	for (uint32 l = 0; l < cache->meta.nlists; l++)
		CountList(index, cache, l, &pages, &live, &deleted);

	values[0] = Int32GetDatum(cache->meta.version);
	values[1] = CStringGetTextDatum(MetricName(cache->meta.metric));
	values[2] = Int32GetDatum(cache->meta.dims);
	values[3] = Int32GetDatum(cache->meta.nlists);
	values[4] = Int32GetDatum(cache->meta.m);
	if (cache->meta.taglen > 0)
		values[5] = CStringGetTextDatum(cache->meta.tag);
	else
		nulls[5] = true;
	values[6] = Int64GetDatum((int64) cache->meta.build_rows);
	values[7] = Float8GetDatum(cache->meta.build_seconds);
	values[8] = Int64GetDatum(RelationGetNumberOfBlocks(index));
	values[9] = Int64GetDatum(pages);
	values[10] = Int64GetDatum(live);
	values[11] = Int64GetDatum(deleted);
	values[12] = Int32GetDatum(BxAnnProbes(cache));
	values[13] = Int32GetDatum(BxAnnEfSearch(cache));
	/* what the build's tuning chose; NULL for an index built before it */
	values[14] = Int32GetDatum(cache->meta.tuned_probes);
	values[15] = Int32GetDatum(cache->meta.tuned_ef_search);
	values[16] = Float8GetDatum(cache->meta.tuned_mate_similarity);
	values[17] = Float8GetDatum(cache->meta.tuned_found);
	for (int i = 14; i < 18; i++)
		nulls[i] = cache->meta.tuned_probes == 0;
	values[18] = Int32GetDatum(cache->meta.code_bits);
	/* 0.1.0's definition of the function has only the first 13 columns */
	Assert(tupdesc->natts <= (int) lengthof(values));
	relation_close(index, AccessShareLock);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

PG_FUNCTION_INFO_V1(bxann_list_info);
Datum
bxann_list_info(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Relation	index = OpenBxAnnIndex(PG_GETARG_OID(0));
	BxAnnCache	cache = BxAnnGetCache(index);

	InitMaterializedSRF(fcinfo, 0);
	for (uint32 l = 0; l < cache->meta.nlists; l++)
	{
		Datum		values[4];
		bool		nulls[4] = {0};
		int64		pages = 0,
					live = 0,
					deleted = 0;

		CountList(index, cache, l, &pages, &live, &deleted);
		values[0] = Int32GetDatum(l);
		values[1] = Int64GetDatum(pages);
		values[2] = Int64GetDatum(live);
		values[3] = Int64GetDatum(deleted);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	relation_close(index, AccessShareLock);
	return (Datum) 0;
}
