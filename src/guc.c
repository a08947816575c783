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
	/* reserve the prefix so typos are reported */
	MarkGUCPrefixReserved("bxexit");
}
