/*-------------------------------------------------------------------------
 *
 * bx_knn.h
 *	  Exact k nearest neighbours of one small problem (lib/knn_block.c).
 *	  No PostgreSQL headers: server-free, tested by test/bridge.
 *
 * lib/bx_knn.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BX_KNN_H
#define BX_KNN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C"
{
#endif

/* floats of scratch space BxKnnBlock needs for a base of nb rows */
extern size_t BxKnnScratchFloats(int64_t nb);

/*
 * For each of the nq queries q (nq x dim, row-major), the k nearest of the
 * nb base rows b by squared L2 distance, nearest first (ties: the lower
 * base row first): their base row numbers into labels[nq x k], distances
 * into dist[nq x k]; past the base's end, -1 and FLT_MAX.  Single-threaded
 * BLAS is the caller's to arrange.
 */
extern void BxKnnBlock(int dim, int64_t nq, const float *q, int64_t nb, const float *b,
					   int k, float *scratch, int32_t *labels, float *dist);

#ifdef __cplusplus
}
#endif

#endif							/* BX_KNN_H */
