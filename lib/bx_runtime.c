/*-------------------------------------------------------------------------
 *
 * bx_runtime.c
 *	  The status names, error formatting and default allocator that every
 *	  server-free library shares (see bx_runtime.h).
 *
 * lib/bx_runtime.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>

#include "bx_runtime.h"

static void *
MallocAlloc(void *arg, size_t size)
{
	(void) arg;
	return malloc(size == 0 ? 1 : size);
}

static void
MallocFree(void *arg, void *ptr)
{
	(void) arg;
	free(ptr);
}

static const BxAllocator mallocAllocator = {MallocAlloc, MallocFree, NULL};

const BxAllocator *
BxMallocAllocator(void)
{
	return &mallocAllocator;
}

void *
BxAlloc(const BxAllocator *a, size_t size)
{
	if (a == NULL)
		a = &mallocAllocator;
	return a->alloc(a->arg, size == 0 ? 1 : size);
}

void
BxFree(const BxAllocator *a, void *ptr)
{
	if (ptr == NULL)
		return;
	if (a == NULL)
		a = &mallocAllocator;
	a->free(a->arg, ptr);
}

BxStatus
BxSetErrorV(char *errbuf, size_t errlen, BxStatus status, const char *fmt, va_list ap)
{
	if (errbuf != NULL && errlen > 0)
		vsnprintf(errbuf, errlen, fmt, ap);
	return status;
}

BxStatus
BxSetError(char *errbuf, size_t errlen, BxStatus status, const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	BxSetErrorV(errbuf, errlen, status, fmt, ap);
	va_end(ap);
	return status;
}

const char *
BxStatusName(BxStatus status)
{
	static const char *const names[BX_STATUS_COUNT] = {
		[BX_OK] = "BX_OK",
		[BX_EINVAL] = "BX_EINVAL",
		[BX_EFORMAT] = "BX_EFORMAT",
		[BX_EUNSUPPORTED] = "BX_EUNSUPPORTED",
		[BX_ELIMIT] = "BX_ELIMIT",
		[BX_ENOMEM] = "BX_ENOMEM",
		[BX_EINTERRUPTED] = "BX_EINTERRUPTED",
		[BX_EINTERNAL] = "BX_EINTERNAL",
		[BX_EMODEL] = "BX_EMODEL",
		[BX_ENOFACE] = "BX_ENOFACE",
		[BX_EMULTIPLE] = "BX_EMULTIPLE",
		[BX_ETOOSMALL] = "BX_ETOOSMALL",
	};

	if ((int) status < 0 || (int) status >= BX_STATUS_COUNT)
		return "BX_E?";
	return names[status];
}
