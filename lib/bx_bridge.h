/*-------------------------------------------------------------------------
 *
 * bx_bridge.h
 *	  The only header shared by C and the C++ FAISS bridge (lib/faiss_bridge.cpp).
 *
 * Plain C, no PostgreSQL headers.  Every entry point is noexcept: the
 * bridge catches every C++ exception and returns a status with a message in
 * the caller's buffer; the C side turns the status into an ereport after the
 * C++ frames are gone.  Buffers crossing the wall are allocated by the C
 * caller.  The bridge never calls PostgreSQL; it polls the caller's stop
 * callback, which only reads PostgreSQL's interrupt flags (safe from any
 * thread), and returns BX_EINTERRUPTED when it says stop.
 *
 * lib/bx_bridge.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BX_BRIDGE_H
#define BX_BRIDGE_H

#include <stddef.h>
#include <stdint.h>

#include "bx_runtime.h"
#ifdef __cplusplus
#define BX_NOEXCEPT noexcept
extern "C"
{
#else
#define BX_NOEXCEPT
#endif



/*
 * k-means: train k centroids of dimension dim on the n row-major vectors x
 * (n >= k), niter iterations, deterministic for a given seed.  With
 * spherical != 0 the centroids are normalised after each iteration (cosine
 * and inner-product data).  Each iteration's assignment is shared out
 * among nthreads threads as BxNearest's search is.
 * centroids receives k * dim floats.
 */
extern BxStatus BxKmeans(int dim, int64_t n, int k, const float *x,
						 int niter, int seed, int spherical, int nthreads,
						 float *centroids, BxInterruptFn stop,
						 char *errbuf, size_t errlen) BX_NOEXCEPT;

/*
 * Exact k-nearest-neighbour search by squared Euclidean distance, batched
 * with BLAS: for each of the nq row-major vectors queries, the k nearest of
 * the nb vectors base, nearest first, as indexes into base (labels[nq * k])
 * and squared distances (distances[nq * k], may be NULL).  Where fewer than
 * k exist the label is -1.  The queries are cut into chunks of 256 rows,
 * whatever nthreads (so the answer does not depend on it), that nthreads
 * threads search with single-threaded BLAS, as BxNearestMany's problems
 * are.
 *
 * Every multi-threaded call of the bridge runs on threads of its own: the
 * caller's and at most nthreads - 1 more, which block every signal (they
 * run in a PostgreSQL backend, whose handlers belong to its own thread)
 * and are joined before the call returns.  BLAS and OpenMP stay at one
 * thread each, so a backend is one thread again between calls.
 */
extern BxStatus BxNearest(int dim, int64_t nq, const float *queries,
						  int64_t nb, const float *base, int k, int nthreads,
						  int32_t *labels, float *distances, BxInterruptFn stop,
						  char *errbuf, size_t errlen) BX_NOEXCEPT;

/*
 * Copies the vectors of rows[0 .. n) (the caller's row numbers), one after
 * the other, into out (n * dim floats).  BxNearestMany calls it from its
 * threads at once: it must only read shared data, never allocate, raise
 * or longjmp.
 */
/* extra threads BxNearestMany starts at most (bxexit.build_threads' maximum) */
#define BX_MAX_BRIDGE_THREADS	64

typedef void (*BxGatherFn) (void *arg, const int32_t *rows, int64_t n, float *out);

/*
 * One exact k-NN problem of BxNearestMany: for each of the nq rows qrows,
 * its k nearest among the nb rows brows by squared Euclidean distance,
 * nearest first, written to labels[nq * k] (indexes into brows, -1 where
 * fewer than k exist) and distances[nq * k] (may be NULL).
 */
typedef struct BxKnnTask
{
	int64_t		nq;
	const int32_t *qrows;
	int64_t		nb;
	const int32_t *brows;
	int			k;
	int32_t    *labels;
	float	   *distances;
} BxKnnTask;

/*
 * ntasks independent problems of dimension dim, shared out among nthreads
 * threads (the calling one among them), each of which gathers one
 * problem's vectors with gather and solves it with single-threaded BLAS.
 * Many small problems (a build's lists, a few hundred rows each) keep
 * every core busy this way, where BLAS's own threads spend much of such a
 * product starting and waiting.  A thread holds the vectors of one problem
 * at a time (in memory of its own, freed before the call returns).  The
 * extra threads block every signal (they run in a PostgreSQL backend),
 * never outlive the call, and stop taking problems once one failed or the
 * stop callback said stop; the first failure is returned.  At most
 * BX_MAX_BRIDGE_THREADS extra threads start, whatever nthreads says.
 */
extern BxStatus BxNearestMany(int dim, int ntasks, const BxKnnTask *tasks,
							  BxGatherFn gather, void *gatherarg, int nthreads,
							  BxInterruptFn stop, char *errbuf, size_t errlen) BX_NOEXCEPT;

/*
 * fn(arg, i) for every i in [0, n), shared out among nthreads threads as
 * above; fn must only touch memory of its own item or read shared data,
 * never allocate through PostgreSQL, raise or longjmp.  For the build's
 * plain C loops over arrays (bxanngraph.c).
 */
typedef void (*BxItemFn) (void *arg, int i);

extern BxStatus BxParallelFor(int n, BxItemFn fn, void *arg, int nthreads,
							  BxInterruptFn stop, char *errbuf, size_t errlen) BX_NOEXCEPT;

#ifdef __cplusplus
}
#endif

#endif							/* BX_BRIDGE_H */
