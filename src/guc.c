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
#include "utils/guc.h"

void
BxGucInit(void)
{
	/* no settings yet; reserve the prefix so typos are reported */
	MarkGUCPrefixReserved("bxexit");
}
