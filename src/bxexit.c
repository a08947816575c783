/*-------------------------------------------------------------------------
 *
 * bxexit.c
 *	  Module entry point of the bxexit extension.
 *
 * _PG_init only registers settings: it must not call FAISS, BLAS or OpenMP
 * code, which would start threads in every backend that loads the module.
 *
 * src/bxexit.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "bx_kernels.h"
#include "bxann.h"
#include "bxexit.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

void
_PG_init(void)
{
	BxGucInit();
	BxAnnInit();
}

/* bx_build_info(): the extension's library version and the kernel variant in use */
PG_FUNCTION_INFO_V1(bx_build_info);
Datum
bx_build_info(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(psprintf("bxexit %s, distance kernels: %s",
											  BXEXIT_VERSION, BxKernelVariant())));
}

/*
 * The interrupt callback handed to every server-free library (lib/): it
 * only reads PostgreSQL's flags, so any thread may call it.  The library
 * then returns BX_EINTERRUPTED and the caller runs CHECK_FOR_INTERRUPTS()
 * once the library's frames are gone.
 */
int
BxInterruptPending(void *arg)
{
	return (QueryCancelPending || ProcDiePending) ? 1 : 0;
}
