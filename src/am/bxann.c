/*-------------------------------------------------------------------------
 *
 * bxann.c
 *	  The bxann access method: handler, reloptions, settings, cost estimate.
 *
 * src/am/bxann.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/amapi.h"
#include "access/genam.h"
#include "access/reloptions.h"
#include "bxann.h"
#include "bxexit.h"
#include "commands/progress.h"
#include "commands/vacuum.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "utils/float.h"
#include "utils/rel.h"
#include "utils/selfuncs.h"
#include "utils/spccache.h"

static relopt_kind bxann_relopt_kind;

/*
 * The lists a scan of the index probes: bxann.probes if set, else what the
 * build's tuning chose, else (an index built before tuning existed) a fixed
 * rule from the list count.
 */
int
BxAnnProbes(BxAnnCache cache)
{
	double		nlists = cache->meta.nlists;
	double		probes = bxann_probes;

	if (bxann_probes == 0 && cache->meta.tuned_probes > 0)
		probes = cache->meta.tuned_probes;
	else if (bxann_probes == 0)
		probes = Max(BXANN_AUTO_PROBES,
					 ceil(BXANN_AUTO_PROBES * sqrt(nlists / BXANN_AUTO_PROBES_LISTS)));
	return (int) Max(1.0, Min(probes, nlists));
}

/* The graph search's candidate list: bxann.ef_search if set, else tuned. */
int
BxAnnEfSearch(BxAnnCache cache)
{
	if (bxann_ef_search > 0)
		return bxann_ef_search;
	if (cache->meta.tuned_ef_search > 0)
		return cache->meta.tuned_ef_search;
	return BXANN_UNTUNED_EF_SEARCH;
}

/* Register the reloptions (from _PG_init; the settings are in guc.c). */
void
BxAnnInit(void)
{
	bxann_relopt_kind = add_reloption_kind();
	add_int_reloption(bxann_relopt_kind, "lists",
					  "Number of IVF lists (entry points of the graph); 0 = one per 200 rows",
					  BXANN_DEFAULT_LISTS, 0, BXANN_MAX_LISTS, AccessExclusiveLock);
	add_int_reloption(bxann_relopt_kind, "m",
					  "Graph edges per element",
					  BXANN_DEFAULT_M, BXANN_MIN_M, BXANN_MAX_M, AccessExclusiveLock);
	add_int_reloption(bxann_relopt_kind, "bits",
					  "Bits per dimension of the element codes: 4 or 8; 0 = 4 from 128 dimensions on, else 8",
					  BXANN_DEFAULT_BITS, 0, 8, AccessExclusiveLock);
	add_real_reloption(bxann_relopt_kind, "mate_similarity",
					   "Cosine the face model gives two photos of one person, for the build's tuning of a gallery of one photo per person; 0 = from the gallery",
					   0.0, 0.0, 0.99, AccessExclusiveLock);

}

PG_FUNCTION_INFO_V1(bxannhandler);
Datum
bxannhandler(PG_FUNCTION_ARGS)
{
	IndexAmRoutine *amroutine = makeNode(IndexAmRoutine);

	amroutine->amstrategies = 0;
	amroutine->amsupport = BXANN_NPROCS;
	amroutine->amoptsprocnum = 0;
	amroutine->amcanorder = false;
	amroutine->amcanorderbyop = true;
	amroutine->amcanbackward = false;
	amroutine->amcanunique = false;
	amroutine->amcanmulticol = false;
	amroutine->amoptionalkey = true;
	amroutine->amsearcharray = false;
	amroutine->amsearchnulls = false;
	amroutine->amstorage = false;
	amroutine->amclusterable = false;
	amroutine->ampredlocks = false;
	amroutine->amcanparallel = false;
	amroutine->amcaninclude = false;
	amroutine->amusemaintenanceworkmem = false;
	amroutine->amparallelvacuumoptions = VACUUM_OPTION_PARALLEL_BULKDEL;
	amroutine->amkeytype = InvalidOid;

	amroutine->ambuild = bxannbuild;
	amroutine->ambuildempty = bxannbuildempty;
	amroutine->aminsert = bxanninsert;
	amroutine->ambulkdelete = bxannbulkdelete;
	amroutine->amvacuumcleanup = bxannvacuumcleanup;
	amroutine->amcanreturn = NULL;
	amroutine->amcostestimate = bxanncostestimate;
	amroutine->amoptions = bxannoptions;
	amroutine->amproperty = NULL;
	amroutine->ambuildphasename = BxAnnPhaseName;
	amroutine->amvalidate = bxannvalidate;
	amroutine->amadjustmembers = NULL;
	amroutine->ambeginscan = bxannbeginscan;
	amroutine->amrescan = bxannrescan;
	amroutine->amgettuple = bxanngettuple;
	amroutine->amgetbitmap = NULL;
	amroutine->amendscan = bxannendscan;
	amroutine->ammarkpos = NULL;
	amroutine->amrestrpos = NULL;
	amroutine->amestimateparallelscan = NULL;
	amroutine->aminitparallelscan = NULL;
	amroutine->amparallelrescan = NULL;
	PG_RETURN_POINTER(amroutine);
}

bytea *
bxannoptions(Datum reloptions, bool validate)
{
	static const relopt_parse_elt tab[] = {
		{"lists", RELOPT_TYPE_INT, offsetof(BxAnnOptions, lists)},
		{"m", RELOPT_TYPE_INT, offsetof(BxAnnOptions, m)},
		{"bits", RELOPT_TYPE_INT, offsetof(BxAnnOptions, bits)},
		{"mate_similarity", RELOPT_TYPE_REAL, offsetof(BxAnnOptions, mate_similarity)},
	};

	BxAnnOptions *opts;

	opts = (BxAnnOptions *) build_reloptions(reloptions, validate, bxann_relopt_kind,
											 sizeof(BxAnnOptions), tab, lengthof(tab));
	/* an int reloption has a range, not a set: 1-3 and 5-7 are refused here */
	if (validate && opts && opts->bits != 0 && opts->bits != 4 && opts->bits != 8)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("value %d out of bounds for option \"bits\"", opts->bits),
				 errdetail("Valid values are 0 (automatic), 4 and 8.")));
	return (bytea *) opts;
}

/* the reloptions as given (NULL if none); only the build reads them */
BxAnnOptions *
BxAnnGetOptions(Relation index)
{
	return (BxAnnOptions *) index->rd_options;
}

/*
 * Cost of an ordered scan.  Without ORDER BY distance the index is useless
 * (it has no search operators), so it is never chosen then.  With it, the
 * work is: routing over the centroids, the probed lists, the graph walk and
 * the re-rank, roughly proportional to probes * rows per list + ef * m
 * elements, and nearly independent of LIMIT; a sequential scan costs a
 * distance per row.  Startup cost carries all of it: the first row comes
 * only after the search.
 */
void
bxanncostestimate(PlannerInfo *root, IndexPath *path, double loop_count,
				  Cost *indexStartupCost, Cost *indexTotalCost,
				  Selectivity *indexSelectivity, double *indexCorrelation,
				  double *indexPages)
{
	GenericCosts costs;
	double		tuples;
	double		lists;
	double		visited;
	double		spc_seq_page_cost;
	double		spc_random_page_cost;
	double		pages;
	Relation	index;
	BxAnnCache	cache;
	double		probes;
	double		ef;

	if (path->indexorderbys == NIL)
	{
		*indexStartupCost = get_float8_infinity();
		*indexTotalCost = get_float8_infinity();
		*indexSelectivity = 0;
		*indexCorrelation = 0;
		*indexPages = 0;
		return;
	}

	MemSet(&costs, 0, sizeof(costs));
	genericcostestimate(root, path, loop_count, &costs);

	/* the search settings a scan would use (the metapage is cached) */
	index = index_open(path->indexinfo->indexoid, NoLock);
	cache = BxAnnGetCache(index);
	lists = cache->meta.nlists;
	probes = BxAnnProbes(cache);
	ef = BxAnnEfSearch(cache);
	index_close(index, NoLock);

	tuples = Max(path->indexinfo->tuples, 1.0);
	visited = Min(tuples, probes * (tuples / lists) + ef * BXANN_DEFAULT_M);
	pages = Max(1.0, path->indexinfo->pages * visited / tuples);

	get_tablespace_page_costs(path->indexinfo->reltablespace,
							  &spc_random_page_cost, &spc_seq_page_cost);

	/* centroid distances + element distances, a heap fetch per re-ranked row */
	*indexStartupCost = (lists + visited) * cpu_operator_cost * 4 +
		pages * spc_random_page_cost * 0.1 +
		Min(bxann_rerank, tuples) * (cpu_index_tuple_cost + spc_random_page_cost * 0.05);
	*indexTotalCost = *indexStartupCost + costs.indexTotalCost - costs.indexStartupCost;
	*indexSelectivity = costs.indexSelectivity;
	*indexCorrelation = 0;
	*indexPages = pages;
}
