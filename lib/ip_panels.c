/*-------------------------------------------------------------------------
 *
 * ip_panels.c
 *	  Squared L2 distances of query rows to a base packed in panels, in
 *	  AVX-512 registers.
 *
 * A bxann build spends most of its arithmetic on products of a few hundred
 * query rows with a few hundred base rows (the graph's per-list problems,
 * k-means, list assignment).  Debian's OpenBLAS runs them with its AVX2
 * (Haswell) kernel on this project's machines, since OPENBLAS_CORETYPE
 * must stay at Haswell there (older OpenBLAS builds computed wrong results
 * with their AVX-512 kernels on these CPUs); at 94 to 100 GFLOP/s on one
 * core, it was at that kernel's peak.  Written for AVX-512, a build's
 * whole searches (packing, product, selection) run 1.9x to 2.7x faster
 * on one core (bash bench/knn.sh; bench/RESULTS.md, issue 14 eleventh
 * round).
 *
 * The base is packed once per problem: panels of BX_PANEL_WIDTH rows,
 * dimension-major (panel p holds, for each dimension d, the values of its
 * rows at d, side by side), the last panel padded with zeros.  A block of
 * BX_PANEL_ROWS query rows then multiplies a panel with one broadcast per
 * query value and two fused multiply-adds, keeping 16 accumulators in
 * registers.  Every product is summed over d in the same order whatever
 * the block a query falls in, so a row's distances do not depend on where
 * it sits among the queries.
 *
 * Only x86-64 compilers that know the target attribute get this code; the
 * CPU is asked at run time (BxPanelsUsable), and without AVX-512 the
 * caller uses BLAS (lib/knn_block.c).
 *
 * lib/ip_panels.c
 *
 *-------------------------------------------------------------------------
 */
#include "bx_knn.h"

#if defined(__x86_64__) && defined(__GNUC__)
#define BX_HAVE_PANELS 1
#include <immintrin.h>
#endif

/* query rows multiplied with a panel at once: 16 accumulators */
#define BX_PANEL_ROWS	8

int
BxPanelsUsable(void)
{
#ifdef BX_HAVE_PANELS
	static int	usable = -1;

	if (usable < 0)
	{
		__builtin_cpu_init();
		usable = __builtin_cpu_supports("avx512f") ? 1 : 0;
	}
	return usable;
#else
	return 0;
#endif
}

size_t
BxPanelFloats(int dim, int64_t nb)
{
	return (size_t) BxPanelCount(nb) * BX_PANEL_WIDTH * (size_t) dim;
}

#ifdef BX_HAVE_PANELS

#define BX_AVX512 __attribute__((target("avx512f")))

/* the first n of 16 lanes (n may be below 0 or above 16) */
BX_AVX512 static inline __mmask16
LanesOf(int64_t n)
{
	return n >= 16 ? (__mmask16) 0xFFFF : n <= 0 ? 0 : (__mmask16) ((1u << n) - 1);
}

/* Pack panels first .. first + count of b (nb rows) into their place in panels. */
BX_AVX512 static void
PackPanels(int dim, int64_t nb, const float *b, float *panels, int64_t first, int64_t count)
{
	__m512i		offsets = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
															  10, 11, 12, 13, 14, 15),
											 _mm512_set1_epi32(dim));

	for (int64_t p = first; p < first + count; p++)
	{
		float	   *panel = panels + (size_t) p * dim * BX_PANEL_WIDTH;

		for (int half = 0; half < BX_PANEL_WIDTH / 16; half++)
		{
			int64_t		row = p * BX_PANEL_WIDTH + half * 16;
			__mmask16	lanes = LanesOf(nb - row);
			const float *src = b + (size_t) (lanes ? row : 0) * dim;

			/* one gather per dimension: the 16 rows' values at d */
			for (int d = 0; d < dim; d++)
				_mm512_storeu_ps(panel + (size_t) d * BX_PANEL_WIDTH + half * 16,
								 _mm512_mask_i32gather_ps(_mm512_setzero_ps(), lanes, offsets,
														  src + d, 4));
		}
	}
}

/*
 * Rows q[0 .. ROWS) (ROWS a constant where this is inlined) against one
 * panel: out[r * ldo + c] = norms[c] - 2 <q_r, b_c> for the panel's first
 * `width` rows c.
 */
BX_AVX512 static inline __attribute__((always_inline)) void
PanelBlock(const int ROWS, int dim, const float *q, const float *panel,
		   const float *norms, int64_t width, float *out, int64_t ldo)
{
	__m512		acc0[BX_PANEL_ROWS];
	__m512		acc1[BX_PANEL_ROWS];
	__mmask16	lanes0 = LanesOf(width);
	__mmask16	lanes1 = LanesOf(width - 16);
	__m512		n0 = _mm512_maskz_loadu_ps(lanes0, norms);
	__m512		n1 = _mm512_maskz_loadu_ps(lanes1, norms + 16);
	__m512		minus2 = _mm512_set1_ps(-2.0f);

	/* unrolled, so that -O2 keeps the accumulators in registers */
#pragma GCC unroll 8
	for (int r = 0; r < ROWS; r++)
	{
		acc0[r] = _mm512_setzero_ps();
		acc1[r] = _mm512_setzero_ps();
	}
	for (int d = 0; d < dim; d++)
	{
		__m512		b0 = _mm512_loadu_ps(panel + (size_t) d * BX_PANEL_WIDTH);
		__m512		b1 = _mm512_loadu_ps(panel + (size_t) d * BX_PANEL_WIDTH + 16);

#pragma GCC unroll 8
		for (int r = 0; r < ROWS; r++)
		{
			__m512		x = _mm512_set1_ps(q[(size_t) r * dim + d]);

			acc0[r] = _mm512_fmadd_ps(x, b0, acc0[r]);
			acc1[r] = _mm512_fmadd_ps(x, b1, acc1[r]);
		}
	}
	/* norms - 2 ip: 2 ip is exact, so one rounding as in norms[c] - 2.0f * ip */
#pragma GCC unroll 8
	for (int r = 0; r < ROWS; r++)
	{
		_mm512_mask_storeu_ps(out + (size_t) r * ldo, lanes0,
							  _mm512_fmadd_ps(minus2, acc0[r], n0));
		_mm512_mask_storeu_ps(out + (size_t) r * ldo + 16, lanes1,
							  _mm512_fmadd_ps(minus2, acc1[r], n1));
	}
}

BX_AVX512 static void
PanelDistances(int dim, int64_t nq, const float *q, int64_t nb, const float *panels,
			   const float *norms, float *out, int64_t ldo)
{
	int64_t		npanels = BxPanelCount(nb);

	for (int64_t p = 0; p < npanels; p++)
	{
		const float *panel = panels + (size_t) p * dim * BX_PANEL_WIDTH;
		int64_t		first = p * BX_PANEL_WIDTH;
		int64_t		width = nb - first < BX_PANEL_WIDTH ? nb - first : BX_PANEL_WIDTH;
		int64_t		i = 0;

		for (; i + BX_PANEL_ROWS <= nq; i += BX_PANEL_ROWS)
			PanelBlock(BX_PANEL_ROWS, dim, q + (size_t) i * dim, panel, norms + first,
					   width, out + (size_t) i * ldo + first, ldo);
		/* the last rows one by one: the same sums, in the same order */
		for (; i < nq; i++)
			PanelBlock(1, dim, q + (size_t) i * dim, panel, norms + first,
					   width, out + (size_t) i * ldo + first, ldo);
	}
}
#endif							/* BX_HAVE_PANELS */

int64_t
BxPanelCount(int64_t nb)
{
	return (nb + BX_PANEL_WIDTH - 1) / BX_PANEL_WIDTH;
}

void
BxPanelsPack(int dim, int64_t nb, const float *b, float *panels, int64_t first,
			 int64_t count)
{
#ifdef BX_HAVE_PANELS
	PackPanels(dim, nb, b, panels, first, count);
#else
	(void) dim, (void) nb, (void) b, (void) panels, (void) first, (void) count;
#endif
}

void
BxPanelsDistances(int dim, int64_t nq, const float *q, int64_t nb, const float *panels,
				  const float *norms, float *out, int64_t ldo)
{
#ifdef BX_HAVE_PANELS
	PanelDistances(dim, nq, q, nb, panels, norms, out, ldo);
#else
	(void) dim, (void) nq, (void) q, (void) nb, (void) panels, (void) norms;
	(void) out, (void) ldo;
#endif
}
