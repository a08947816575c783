/*-------------------------------------------------------------------------
 *
 * guc.c
 *	  Every configuration setting of bxexit is defined here.
 *
 * Extension-wide settings use the "bxexit." prefix; settings of the index
 * access method use "bxann." (pgvector's habit of naming them after the AM).
 *
 * src/guc.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "bxann.h"
#include "bxexit.h"
#include "model.h"
#include "utils/guc.h"

void
BxGucInit(void)
{
	/*
	 * Superuser only: the path names files the server reads, so a user who
	 * could set it could make the server parse any file it can read.
	 */
	DefineCustomStringVariable("bxexit.model_path",
							   "Directory holding the face model files.",
							   "Empty means SHAREDIR/extension/bxexit_models.",
							   &bx_model_path, "",
							   PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("bxann.probes",
							"Number of lists a bxann scan starts from.",
							"More probes find more entry points: higher recall, slower queries.",
							&bxann_probes, BXANN_DEFAULT_PROBES, 1, BXANN_MAX_LISTS,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("bxann.ef_search",
							"Size of the candidate list of the graph search.",
							"A larger list explores more of the graph: higher recall, slower queries.",
							&bxann_ef_search, BXANN_DEFAULT_EF_SEARCH, 1, 10000,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("bxann.rerank",
							"Number of best candidates re-ranked with exact distances.",
							"0 returns candidates in the order of their 8-bit codes.",
							&bxann_rerank, BXANN_DEFAULT_RERANK, 0, 10000,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomBoolVariable("bxann.iterative_scan",
							 "Keep searching when a filter rejects the rows found so far.",
							 "Later batches may be slightly out of order (relaxed order).",
							 &bxann_iterative_scan, true,
							 PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("bxann.max_scan_tuples",
							"Stop an iterative scan after this many index tuples; -1 = never.",
							NULL,
							&bxann_max_scan_tuples, -1, -1, INT_MAX,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("bxexit.build_threads",
							"Threads FAISS and BLAS may use inside CREATE INDEX.",
							"Other work in a backend always uses one thread.",
							&bx_build_threads, 1, 1, 64,
							PGC_SUSET, 0, NULL, NULL, NULL);

	/* reserve the prefixes so typos are reported */
	MarkGUCPrefixReserved("bxexit");
	MarkGUCPrefixReserved("bxann");
}
