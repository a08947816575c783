/*-------------------------------------------------------------------------
 *
 * knn_select.c
 *	  The k smallest of a row of distances, in order: one candidate at a
 *	  time, or in AVX-512 registers.
 *
 * lib/knn_block.c selects each query's k nearest (k about 17 in a bxann
 * graph) from a row of a few hundred distances.  Kept in a sorted array,
 * the selection cost half the time of the AVX-512 products it served
 * (perf of a 512-d build): with 200 candidates, about 40 of them enter the
 * array, each shifting half of it element by element and ending in a
 * mispredicted branch.  In AVX-512 registers (k <= 32: two registers of
 * distances, two of row numbers) an entry is a compare, two permutes and
 * two masked moves, without a branch on the data; and a run of 16
 * candidates none of which beats the k-th is passed over with one compare.
 *
 * Both selections answer alike for any row without NaN: the k smallest,
 * ascending, equal values in row order.
 *
 * lib/knn_select.c
 *
 *-------------------------------------------------------------------------
 */
#include "bx_knn.h"

#if defined(__x86_64__) && defined(__GNUC__)
#define BX_HAVE_AVX512_SELECT 1
#include <immintrin.h>
#endif

/* candidates tested against the threshold at once */
#define BX_SELECT_RUN	16

/* Is any of d[0 .. BX_SELECT_RUN) below threshold (NaN is not)? */
static inline int
AnyBelow(const float *d, float threshold)
{
	int			any = 0;

	for (int t = 0; t < BX_SELECT_RUN; t++)
		any |= d[t] < threshold;
	return any;
}

static void
SelectOneByOne(const float *d, int64_t n, int k, float *bestd, int32_t *besti)
{
	int			count = 0;

	for (int64_t j = 0; j < n; j++)
	{
		float		v;
		int			p;

		/* past the first k, most runs hold nothing better than the k-th */
		if (count == k && (j % BX_SELECT_RUN) == 0 && j + BX_SELECT_RUN <= n &&
			!AnyBelow(d + j, bestd[k - 1]))
		{
			j += BX_SELECT_RUN - 1;
			continue;
		}
		v = d[j];
		if (count == k)
		{
			if (!(v < bestd[k - 1]))
				continue;
			p = k - 1;
		}
		else
			p = count++;
		while (p > 0 && bestd[p - 1] > v)
		{
			bestd[p] = bestd[p - 1];
			besti[p] = besti[p - 1];
			p--;
		}
		bestd[p] = v;
		besti[p] = (int32_t) j;
	}
}

#ifdef BX_HAVE_AVX512_SELECT

#define BX_AVX512 __attribute__((target("avx512f")))

/*
 * The kept distances are lanes 0 .. count of lo:hi (32 lanes), ascending;
 * their row numbers the same lanes of ilo:ihi.  A candidate v enters at
 * lane p, the number of kept distances <= v (so equal values stay in row
 * order); lanes p .. 30 move up one, lane 31 falls out.
 */
BX_AVX512 static void
SelectInRegisters(const float *d, int64_t n, int k, float *bestd, int32_t *besti)
{
	__m512		lo = _mm512_setzero_ps(),
				hi = _mm512_setzero_ps();
	__m512i		ilo = _mm512_setzero_si512(),
				ihi = _mm512_setzero_si512();
	/* lane i of the shifted registers takes lane i - 1 of lo:hi */
	__m512i		uplo = _mm512_setr_epi32(0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14);
	__m512i		uphi = _mm512_setr_epi32(15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26,
										 27, 28, 29, 30);
	int			count = 0;
	float		threshold = 0.0f;	/* the k-th distance once count == k */

	for (int64_t j0 = 0; j0 < n; j0 += BX_SELECT_RUN)
	{
		int64_t		left = n - j0;
		__mmask16	lanes = left >= 16 ? (__mmask16) 0xFFFF : (__mmask16) ((1u << left) - 1);
		__m512		run = _mm512_maskz_loadu_ps(lanes, d + j0);
		unsigned	enter;

		/* count < k: every candidate enters; after, those below the k-th */
		enter = count < k ? lanes :
			_mm512_mask_cmp_ps_mask(lanes, run, _mm512_set1_ps(threshold), _CMP_LT_OQ);
		while (enter != 0)
		{
			int			t = __builtin_ctz(enter);
			float		v = d[j0 + t];
			__m512		vv = _mm512_set1_ps(v);
			uint32_t	kept,
						le,
						move;
			int			p;

			enter &= enter - 1;
			if (count == k && !(v < threshold))
				continue;		/* the threshold fell since the run was tested */
			kept = count >= 32 ? 0xFFFFFFFFu : (1u << count) - 1;
			le = ((uint32_t) _mm512_cmp_ps_mask(lo, vv, _CMP_LE_OQ) |
				  (uint32_t) _mm512_cmp_ps_mask(hi, vv, _CMP_LE_OQ) << 16) & kept;
			/* lanes from p up move; lane p takes v */
			p = __builtin_popcount(le);
			move = p >= 32 ? 0 : ~0u << p;
			{
				__m512		slo = _mm512_permutexvar_ps(uplo, lo);
				__m512		shi = _mm512_permutex2var_ps(lo, uphi, hi);
				__m512i		silo = _mm512_permutexvar_epi32(uplo, ilo);
				__m512i		sihi = _mm512_permutex2var_epi32(ilo, uphi, ihi);
				__mmask16	mlo = (__mmask16) move,
							mhi = (__mmask16) (move >> 16);
				__mmask16	plo = (__mmask16) (move & -move),
							phi = (__mmask16) ((move & -move) >> 16);

				lo = _mm512_mask_mov_ps(lo, mlo, slo);
				hi = _mm512_mask_mov_ps(hi, mhi, shi);
				ilo = _mm512_mask_mov_epi32(ilo, mlo, silo);
				ihi = _mm512_mask_mov_epi32(ihi, mhi, sihi);
				lo = _mm512_mask_mov_ps(lo, plo, vv);
				hi = _mm512_mask_mov_ps(hi, phi, vv);
				ilo = _mm512_mask_mov_epi32(ilo, plo, _mm512_set1_epi32((int) (j0 + t)));
				ihi = _mm512_mask_mov_epi32(ihi, phi, _mm512_set1_epi32((int) (j0 + t)));
			}
			if (count < k)
				count++;
			if (count == k)
			{
				__m512		kth = _mm512_permutexvar_ps(_mm512_set1_epi32((k - 1) & 15),
														k - 1 < 16 ? lo : hi);

				threshold = _mm_cvtss_f32(_mm512_castps512_ps128(kth));
			}
		}
	}
	{
		float		dd[32];
		int32_t		ii[32];

		_mm512_storeu_ps(dd, lo);
		_mm512_storeu_ps(dd + 16, hi);
		_mm512_storeu_si512(ii, ilo);
		_mm512_storeu_si512(ii + 16, ihi);
		for (int j = 0; j < count; j++)
		{
			bestd[j] = dd[j];
			besti[j] = ii[j];
		}
	}
}
#endif							/* BX_HAVE_AVX512_SELECT */

void
BxKnnSelect(const float *d, int64_t n, int k, int simd, float *bestd, int32_t *besti)
{
#ifdef BX_HAVE_AVX512_SELECT
	if (simd && k <= BX_KNN_SELECT_MAX_SIMD && BxPanelsUsable())
	{
		SelectInRegisters(d, n, k, bestd, besti);
		return;
	}
#endif
	(void) simd;
	SelectOneByOne(d, n, k, bestd, besti);
}
