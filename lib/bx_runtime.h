/*-------------------------------------------------------------------------
 *
 * bx_runtime.h
 *	  What every server-free library of bxexit shares with its caller: one
 *	  status code, one error-message buffer size, one allocator hook and one
 *	  interrupt callback.
 *
 * The libraries under lib/ (nn, image, facepipe, the FAISS bridge) never
 * include a PostgreSQL header, never print, never exit and never longjmp.
 * They report failure as a BxStatus plus a NUL-terminated message in a
 * buffer the caller owns; the PostgreSQL glue (src/) turns the status into
 * an SQLSTATE, in the manner of liblwgeom's error handlers that PostGIS
 * installs.  Allocation goes through a BxAllocator the caller may replace
 * (it must return NULL on failure, never longjmp: the libraries hold
 * resources only they can release), and long loops poll a BxInterruptFn
 * that the glue points at PostgreSQL's interrupt flags.
 *
 * lib/bx_runtime.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BX_RUNTIME_H
#define BX_RUNTIME_H

#include <stdarg.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C"
{
#endif

/* Size of the caller's error buffer the libraries expect; longer text is cut */
#define BX_ERRBUF_SIZE		256

/*
 * Outcome of a library call.  The first group can come from any library;
 * the second are the face pipeline's answers about a photo, which the glue
 * records as reasons rather than raising.
 */
typedef enum BxStatus
{
	BX_OK = 0,
	BX_EINVAL,					/* bad argument from the caller */
	BX_EFORMAT,					/* malformed input (image, protobuf, model) */
	BX_EUNSUPPORTED,			/* valid input this library does not handle */
	BX_ELIMIT,					/* a size limit was exceeded */
	BX_ENOMEM,					/* the allocator returned NULL */
	BX_EINTERRUPTED,			/* the interrupt callback asked to stop */
	BX_EINTERNAL,				/* can't happen; a bug */

	BX_EMODEL,					/* a model's inputs/outputs don't fit */
	BX_ENOFACE,					/* no face found */
	BX_EMULTIPLE,				/* several faces where one was expected */
	BX_ETOOSMALL				/* faces found, all below the minimum size */
} BxStatus;

#define BX_STATUS_COUNT		(BX_ETOOSMALL + 1)

/*
 * Allocator hook.  alloc returns memory aligned like malloc() or NULL;
 * free accepts what alloc returned and NULL.  arg is passed back unchanged.
 */
typedef struct BxAllocator
{
	void	   *(*alloc) (void *arg, size_t size);
	void		(*free) (void *arg, void *ptr);
	void	   *arg;
} BxAllocator;

/*
 * Interrupt callback: return nonzero to stop; the library then cleans up
 * and returns BX_EINTERRUPTED.  It must not longjmp.
 */
typedef int (*BxInterruptFn) (void *arg);

/* malloc/free as a BxAllocator, the default of every library */
extern const BxAllocator *BxMallocAllocator(void);

/* alloc through a (may be NULL: malloc) allocator; size 0 gets 1 byte */
extern void *BxAlloc(const BxAllocator *a, size_t size);
extern void BxFree(const BxAllocator *a, void *ptr);

/*
 * Format a message into errbuf (errlen bytes; NULL or 0 writes nothing)
 * and return status, so that failures read "return BxSetError(...)".
 */
extern BxStatus BxSetError(char *errbuf, size_t errlen, BxStatus status,
						   const char *fmt,...)
			__attribute__((format(printf, 4, 5)));
extern BxStatus BxSetErrorV(char *errbuf, size_t errlen, BxStatus status,
							const char *fmt, va_list ap)
			__attribute__((format(printf, 4, 0)));

/* Constant name of a status code, e.g. "BX_ENOFACE" */
extern const char *BxStatusName(BxStatus status);

#ifdef __cplusplus
}
#endif

#endif							/* BX_RUNTIME_H */
