/*-------------------------------------------------------------------------
 *
 * kernels.c
 *	  Vectorisable distance kernels.
 *
 * These loops are written for the auto-vectoriser: unit stride, no early
 * exit, one accumulator per quantity.  Floating-point addition is not
 * associative, so the compiler may only split a sum into SIMD lanes when it
 * is allowed to reorder it; the Makefile compiles this file (and only this
 * file) with -fassociative-math -fno-signed-zeros -fno-trapping-math and the
 * dynamic cost model, so -O2 vectorises these loops.  Reordering changes the
 * result by a few ulps, which is irrelevant for distances.
 *
 * The default build targets baseline x86-64 (SSE2).  On x86-64 with GCC the
 * kernels are additionally cloned for x86-64-v3 (AVX2+FMA) and x86-64-v4
 * (AVX-512) and the dynamic loader picks the best clone the CPU supports (an
 * ifunc), so no -march=native is needed.
 *
 * lib/kernels.c
 *
 *-------------------------------------------------------------------------
 */
#include "bx_kernels.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && \
	defined(__ELF__) && !defined(BX_NO_TARGET_CLONES)
#define BX_TARGET_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#define BX_HAVE_TARGET_CLONES 1
#else
#define BX_TARGET_CLONES
#endif

BX_TARGET_CLONES
float
BxKernelL2Squared(const float *a, const float *b, int n)
{
	float		sum = 0.0f;

	for (int i = 0; i < n; i++)
	{
		float		d = a[i] - b[i];

		sum += d * d;
	}
	return sum;
}

BX_TARGET_CLONES
float
BxKernelInnerProduct(const float *a, const float *b, int n)
{
	float		sum = 0.0f;

	for (int i = 0; i < n; i++)
		sum += a[i] * b[i];
	return sum;
}

BX_TARGET_CLONES
void
BxKernelCosineParts(const float *a, const float *b, int n,
					float *dot, float *norma, float *normb)
{
	float		ab = 0.0f;
	float		aa = 0.0f;
	float		bb = 0.0f;

	for (int i = 0; i < n; i++)
	{
		ab += a[i] * b[i];
		aa += a[i] * a[i];
		bb += b[i] * b[i];
	}
	*dot = ab;
	*norma = aa;
	*normb = bb;
}

BX_TARGET_CLONES
float
BxKernelSq8L2(const float *qa, const float *scale, const unsigned char *code, int n)
{
	float		sum = 0.0f;

	for (int i = 0; i < n; i++)
	{
		float		d = qa[i] - scale[i] * (float) code[i];

		sum += d * d;
	}
	return sum;
}

BX_TARGET_CLONES
float
BxKernelSq8Dot(const float *w, const unsigned char *code, int n)
{
	float		sum = 0.0f;

	for (int i = 0; i < n; i++)
		sum += w[i] * (float) code[i];
	return sum;
}

/*
 * SQ4 codes hold two dimensions a byte: byte i has dimension i in its low
 * nibble and dimension h + i in its high one (h = (n + 1) / 2), so both
 * halves are read with unit stride and the loop vectorises like the SQ8
 * one.  With n odd the last low-only byte is dimension h - 1.
 */
BX_TARGET_CLONES
float
BxKernelSq4L2(const float *qa, const float *scale, const unsigned char *code, int n)
{
	int			h = (n + 1) / 2;
	int			pairs = n / 2;
	float		lo = 0.0f;
	float		hi = 0.0f;

	for (int i = 0; i < pairs; i++)
	{
		float		dl = qa[i] - scale[i] * (float) (code[i] & 15);
		float		dh = qa[h + i] - scale[h + i] * (float) (code[i] >> 4);

		lo += dl * dl;
		hi += dh * dh;
	}
	if (n & 1)
	{
		float		d = qa[h - 1] - scale[h - 1] * (float) (code[h - 1] & 15);

		lo += d * d;
	}
	return lo + hi;
}

BX_TARGET_CLONES
float
BxKernelSq4Dot(const float *w, const unsigned char *code, int n)
{
	int			h = (n + 1) / 2;
	int			pairs = n / 2;
	float		lo = 0.0f;
	float		hi = 0.0f;

	for (int i = 0; i < pairs; i++)
	{
		lo += w[i] * (float) (code[i] & 15);
		hi += w[h + i] * (float) (code[i] >> 4);
	}
	if (n & 1)
		lo += w[h - 1] * (float) (code[h - 1] & 15);
	return lo + hi;
}

const char *
BxKernelVariant(void)
{
#ifdef BX_HAVE_TARGET_CLONES
	__builtin_cpu_init();
	if (__builtin_cpu_supports("x86-64-v4"))
		return "x86-64-v4 (avx512)";
	if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
		return "x86-64-v3 (avx2, fma)";
	return "x86-64 (sse2)";
#else
	return "portable";
#endif
}
