/*
 * test_kernels.c
 *	  Server-free test of the distance kernels: each variant the build can
 *	  produce is compared with a double-precision reference on every length
 *	  from 1 to 300 (all SIMD remainders) and on unaligned pointers.
 *
 * Built twice by the Makefile: once as shipped (with the AVX2 clone picked
 * at run time where the CPU has it) and once with BX_NO_TARGET_CLONES
 * (baseline code only), so both paths are checked on an AVX2 machine.
 * Output is TAP (test/common/tap.h).
 */
#include <math.h>
#include <stdlib.h>

#include "bx_kernels.h"
#include "tap.h"

/* relative error with a floor, for values that may be near zero */
static double
relerr(double got, double want, double scale)
{
	return fabs(got - want) / fmax(scale, 1e-30);
}

int
main(void)
{
	enum {MAXN = 300};
	static float buf_a[MAXN + 1];
	static float buf_b[MAXN + 1];
	double		worst_l2 = 0, worst_ip = 0, worst_cos = 0;
	unsigned	seed = 12345;

	for (int i = 0; i <= MAXN; i++)
	{
		seed = seed * 1103515245u + 12345u;
		buf_a[i] = ((seed >> 8) & 0xffff) / 32768.0f - 1.0f;
		seed = seed * 1103515245u + 12345u;
		buf_b[i] = ((seed >> 8) & 0xffff) / 32768.0f - 1.0f;
	}

	for (int offset = 0; offset <= 1; offset++)
	{
		const float *a = buf_a + offset;
		const float *b = buf_b + offset;

		for (int n = 1; n <= MAXN - offset; n++)
		{
			double		l2 = 0, ip = 0, aa = 0, bb = 0, sumabs = 0;
			float		dot, na, nb;

			for (int i = 0; i < n; i++)
			{
				l2 += ((double) a[i] - b[i]) * ((double) a[i] - b[i]);
				ip += (double) a[i] * b[i];
				aa += (double) a[i] * a[i];
				bb += (double) b[i] * b[i];
				sumabs += fabs((double) a[i] * b[i]);
			}
			BxKernelCosineParts(a, b, n, &dot, &na, &nb);
			worst_l2 = fmax(worst_l2, relerr(BxKernelL2Squared(a, b, n), l2, l2));
			worst_ip = fmax(worst_ip, relerr(BxKernelInnerProduct(a, b, n), ip, sumabs));
			worst_cos = fmax(worst_cos, relerr(dot, ip, sumabs));
			worst_cos = fmax(worst_cos, relerr(na, aa, aa));
			worst_cos = fmax(worst_cos, relerr(nb, bb, bb));
		}
	}
	TapDiag("kernel variant: %s", BxKernelVariant());
	TapOk(worst_l2 < 1e-5, "squared L2 matches a double reference for n = 1..300, aligned and not");
	TapOk(worst_ip < 1e-5, "inner product matches a double reference for n = 1..300, aligned and not");
	TapOk(worst_cos < 1e-5, "cosine parts match a double reference for n = 1..300, aligned and not");
	TapDiag("worst relative errors: l2 %.3g, ip %.3g, cosine parts %.3g",
			worst_l2, worst_ip, worst_cos);

	/*
	 * Quantised codes against a decoded reference: SQ8 one byte a
	 * dimension, SQ4 dimension i in the low nibble of byte i and dimension
	 * (n + 1) / 2 + i in its high one, the last byte low-only when n is odd.
	 */
	{
		static unsigned char code8[MAXN];
		static unsigned char code4[MAXN];
		static float scale[MAXN];
		double		worst8 = 0,
					worst4 = 0;

		for (int i = 0; i < MAXN; i++)
		{
			seed = seed * 1103515245u + 12345u;
			code8[i] = (seed >> 16) & 255;
			code4[i] = (seed >> 8) & 255;
			scale[i] = 0.01f + (float) ((seed >> 4) & 15) / 256.0f;
		}
		for (int n = 1; n <= MAXN; n++)
		{
			int			h = (n + 1) / 2;
			double		l2_8 = 0, ip_8 = 0, l2_4 = 0, ip_4 = 0, abs8 = 0, abs4 = 0;

			for (int i = 0; i < n; i++)
			{
				int			c4 = i < h ? code4[i] & 15 : code4[i - h] >> 4;
				double		d8 = (double) buf_a[i] - (double) scale[i] * code8[i];
				double		d4 = (double) buf_a[i] - (double) scale[i] * c4;

				l2_8 += d8 * d8;
				l2_4 += d4 * d4;
				ip_8 += (double) buf_b[i] * code8[i];
				ip_4 += (double) buf_b[i] * c4;
				abs8 += fabs((double) buf_b[i] * code8[i]);
				abs4 += fabs((double) buf_b[i] * c4);
			}
			worst8 = fmax(worst8, relerr(BxKernelSq8L2(buf_a, scale, code8, n), l2_8, l2_8));
			worst8 = fmax(worst8, relerr(BxKernelSq8Dot(buf_b, code8, n), ip_8, abs8));
			worst4 = fmax(worst4, relerr(BxKernelSq4L2(buf_a, scale, code4, n), l2_4, l2_4));
			worst4 = fmax(worst4, relerr(BxKernelSq4Dot(buf_b, code4, n), ip_4, abs4));
		}
		TapOk(worst8 < 1e-5, "SQ8 L2 and dot match a decoded reference for n = 1..300");
		TapOk(worst4 < 1e-5, "SQ4 L2 and dot match a decoded reference (two dimensions a byte) for n = 1..300");
		TapDiag("worst relative errors: sq8 %.3g, sq4 %.3g", worst8, worst4);
	}

	/* exact small cases */
	{
		float		x[3] = {3, 0, 0};
		float		y[3] = {0, 4, 0};

		TapOk(BxKernelL2Squared(x, y, 3) == 25.0f, "|(3,0,0) - (0,4,0)|^2 = 25");
		TapOk(BxKernelInnerProduct(x, x, 3) == 9.0f, "(3,0,0).(3,0,0) = 9");
	}
	return TapDone();
}
