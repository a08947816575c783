/*-------------------------------------------------------------------------
 *
 * bx_knn.h
 *	  Exact k nearest neighbours of one small problem (lib/knn_block.c),
 *	  and the AVX-512 product it runs on where the CPU has it
 *	  (lib/ip_panels.c).  No PostgreSQL headers: server-free, tested by
 *	  test/bridge.
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

/*
 * The base of a search, prepared once for any number of queries: its
 * rows (the caller's, nb x dim, row-major), their squared norms, and the
 * rows packed for BxPanelsDistances, or NULL when BLAS computes the
 * products.  BxKnnBaseInit fills it from storage the caller provides.
 */
typedef struct BxKnnBase
{
	int			dim;
	int64_t		nb;
	const float *rows;
	float	   *norms;			/* [nb] */
	float	   *panels;			/* [BxPanelFloats(dim, nb)] or NULL */
} BxKnnBase;

/* floats of storage BxKnnBaseInit needs; packed: as BxKnnBaseInit's */
extern size_t BxKnnBaseFloats(int dim, int64_t nb, int packed);

/*
 * Prepare base over rows; packed 1 to use the AVX-512 product (only where
 * BxPanelsUsable(): BxKnnWorthPacking is the choice to pass), 0 for BLAS.
 */
extern void BxKnnBaseInit(BxKnnBase *base, int dim, int64_t nb, const float *rows,
						  int packed, float *storage);

/*
 * BxKnnBaseInit in steps, for threads to share: BxKnnBaseLayout places
 * the arrays, then BxKnnBasePrepare(base, part, parts) for every part
 * (any number of parts, on any threads) computes them.
 */
extern void BxKnnBaseLayout(BxKnnBase *base, int dim, int64_t nb, const float *rows,
							int packed, float *storage);
extern void BxKnnBasePrepare(const BxKnnBase *base, int part, int parts);

/*
 * 1 if a base searched by nq queries in all is worth packing: the CPU has
 * AVX-512, and there are enough queries to pay for the packing.
 */
extern int	BxKnnWorthPacking(int64_t nq);

/* floats of scratch space BxKnnSearch needs for a base of nb rows */
extern size_t BxKnnScratchFloats(int64_t nb);

/*
 * For each of the nq queries q (nq x dim, row-major), the k nearest rows of
 * base by squared L2 distance, nearest first (ties: the lower base row
 * first): their base row numbers into labels[nq x k], distances into
 * dist[nq x k]; past the base's end, -1 and FLT_MAX.  Single-threaded BLAS
 * is the caller's to arrange.  Reads base only: threads may share it.
 */
extern void BxKnnSearch(const BxKnnBase *base, int64_t nq, const float *q, int k,
						float *scratch, int32_t *labels, float *dist);

/*
 * The k smallest of d[0 .. n) (k <= n), ascending, equal values in row
 * order, into bestd[] and besti[] (lib/knn_select.c).  simd 1: in AVX-512
 * registers where the CPU has them and k <= BX_KNN_SELECT_MAX_SIMD; the
 * same answer either way for rows without NaN.
 */
#define BX_KNN_SELECT_MAX_SIMD	32
extern void BxKnnSelect(const float *d, int64_t n, int k, int simd, float *bestd,
						int32_t *besti);

/* 1 if this CPU runs BxPanelsDistances (x86-64 with AVX-512) */
extern int	BxPanelsUsable(void);

/* floats of a base of nb rows packed in panels */
extern size_t BxPanelFloats(int dim, int64_t nb);

/* base rows in a panel: two AVX-512 registers of floats */
#define BX_PANEL_WIDTH	32

/* panels of a base of nb rows */
extern int64_t BxPanelCount(int64_t nb);

/*
 * Pack panels first .. first + count of b (nb x dim, row-major) into their
 * place in panels (BxPanelFloats floats): any split gives the same panels.
 */
extern void BxPanelsPack(int dim, int64_t nb, const float *b, float *panels,
						 int64_t first, int64_t count);

/*
 * out[i * ldo + j] = norms[j] - 2 <q_i, b_j> for the nq queries q and the
 * nb rows b packed in panels.  Only where BxPanelsUsable().
 */
extern void BxPanelsDistances(int dim, int64_t nq, const float *q, int64_t nb,
							  const float *panels, const float *norms, float *out,
							  int64_t ldo);

#ifdef __cplusplus
}
#endif

#endif							/* BX_KNN_H */
