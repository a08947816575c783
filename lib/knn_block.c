/*-------------------------------------------------------------------------
 *
 * knn_block.c
 *	  Exact k nearest neighbours of one small problem: one matrix product
 *	  per block of queries, then a selection behind a threshold.
 *
 * A bxann build's graph (src/am/bxanngraph.c) solves a thousand such
 * problems per 200,000 rows: a list's few hundred rows against a few
 * hundred others, k about 17.  FAISS's knn_L2sqr served them at a cost
 * its matrix product did not dominate: norms in scalar code, and a
 * binary heap per query updated element by element (perf of a build of
 * 200,000 512-d rows: the heap 19% of the graph phase, norms 5%, the
 * product 34%).  Here the base is prepared once (BxKnnBase: its norms
 * from the SIMD kernels and, where the CPU has AVX-512, its rows packed
 * for lib/ip_panels.c), a block of queries gets its distances from one
 * product (ip_panels.c, else one sgemm), and each query keeps its k best
 * (lib/knn_select.c): past the first rows, nearly every candidate fails
 * one comparison with the k-th best.  The same search serves the bridge's
 * BxNearest and k-means (lib/faiss_bridge.cpp).
 *
 * lib/knn_block.c
 *
 *-------------------------------------------------------------------------
 */
#include "bx_knn.h"

#include <cblas.h>
#include <float.h>

#include "bx_kernels.h"

/*
 * queries whose inner products one sgemm computes: enough rows for BLAS to
 * run at speed, a block of products (BLOCK x nb floats) that stays in cache
 */
#define BX_KNN_BLOCK	128

size_t
BxKnnScratchFloats(int64_t nb)
{
	return (size_t) nb * BX_KNN_BLOCK;
}

/*
 * Queries below which a base is not packed.  Packing costs about 0.8 us a
 * 512-d row of a base that has left the cache (a gather per 16 values),
 * which the AVX-512 product pays back only over enough queries: on 16,384
 * such rows, sgemm took 6.4 to 7.9 ms for 1 to 16 queries, the panels 12 to
 * 16 ms; they broke even at 64 and won from 128.  The build's tuning looks
 * for a few rows' exact neighbours among all rows, a chunk at a time.
 */
#define BX_KNN_PACK_MIN_QUERIES	64

int
BxKnnWorthPacking(int64_t nq)
{
	return nq >= BX_KNN_PACK_MIN_QUERIES && BxPanelsUsable();
}

size_t
BxKnnBaseFloats(int dim, int64_t nb, int packed)
{
	return (size_t) nb + (packed ? BxPanelFloats(dim, nb) : 0);
}

void
BxKnnBaseLayout(BxKnnBase *base, int dim, int64_t nb, const float *rows, int packed,
				float *storage)
{
	base->dim = dim;
	base->nb = nb;
	base->rows = rows;
	base->norms = storage;
	base->panels = packed ? storage + nb : NULL;
}

/* part `part` of `parts`: whole panels, so parts never share one */
void
BxKnnBasePrepare(const BxKnnBase *base, int part, int parts)
{
	int			dim = base->dim;
	int64_t		npanels = BxPanelCount(base->nb);
	int64_t		first = npanels * part / parts;
	int64_t		last = npanels * (part + 1) / parts;
	int64_t		to = last * BX_PANEL_WIDTH < base->nb ? last * BX_PANEL_WIDTH : base->nb;

	for (int64_t j = first * BX_PANEL_WIDTH; j < to; j++)
		base->norms[j] = BxKernelInnerProduct(base->rows + (size_t) j * dim,
											  base->rows + (size_t) j * dim, dim);
	if (base->panels != NULL && last > first)
		BxPanelsPack(dim, base->nb, base->rows, base->panels, first, last - first);
}

void
BxKnnBaseInit(BxKnnBase *base, int dim, int64_t nb, const float *rows, int packed,
			  float *storage)
{
	BxKnnBaseLayout(base, dim, nb, rows, packed, storage);
	BxKnnBasePrepare(base, 0, 1);
}

void
BxKnnSearch(const BxKnnBase *base, int64_t nq, const float *q, int k, float *scratch,
			int32_t *labels, float *dist)
{
	int			dim = base->dim;
	int64_t		nb = base->nb;
	float	   *ip = scratch;
	int			kk = (int64_t) k < nb ? k : (int) nb;

	for (int64_t i0 = 0; i0 < nq; i0 += BX_KNN_BLOCK)
	{
		int64_t		nblock = nq - i0 < BX_KNN_BLOCK ? nq - i0 : BX_KNN_BLOCK;

		/* |b|^2 - 2 <x, b>: |x|^2 is the same for every candidate */
		if (base->panels != NULL)
			BxPanelsDistances(dim, nblock, q + (size_t) i0 * dim, nb, base->panels,
							  base->norms, ip, nb);
		else
		{
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int) nblock, (int) nb, dim,
						1.0f, q + (size_t) i0 * dim, dim, base->rows, dim, 0.0f, ip, (int) nb);
			for (int64_t r = 0; r < nblock; r++)
				for (int64_t j = 0; j < nb; j++)
					ip[r * nb + j] = base->norms[j] - 2.0f * ip[r * nb + j];
		}
		for (int64_t r = 0; r < nblock; r++)
		{
			const float *x = q + (size_t) (i0 + r) * dim;
			float		xnorm = BxKernelInnerProduct(x, x, dim);
			float	   *row = ip + (size_t) r * nb;
			int32_t    *l = labels + (size_t) (i0 + r) * k;
			float	   *o = dist + (size_t) (i0 + r) * k;

			/* |x|^2 added to the k kept; in registers wherever the CPU can */
			BxKnnSelect(row, nb, kk, 1, o, l);
			for (int j = 0; j < kk; j++)
			{
				/* rounding can take a row's distance to itself below zero */
				o[j] += xnorm;
				if (o[j] < 0.0f)
					o[j] = 0.0f;
			}
			for (int j = kk; j < k; j++)
			{
				l[j] = -1;
				o[j] = FLT_MAX;
			}
		}
	}
}
