/*
 * bench_kernels.c
 *	  Time the distance kernels of lib/kernels.c: ns per distance for a few
 *	  dimensions.  Linked three times by bench/kernels.sh: the shipped build
 *	  (run-time AVX2 clone), the baseline SSE2 build, and a scalar build with
 *	  vectorisation disabled, so the gain of each step is visible.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bx_kernels.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int
main(int argc, char **argv)
{
	const char *label = argc > 1 ? argv[1] : "?";
	int			dims[] = {128, 512, 2048};
	volatile float sink = 0;

	for (int d = 0; d < 3; d++)
	{
		int			n = dims[d];
		int			rows = (1 << 15) / n;	/* 128 kB of rows: cache-resident, so compute is measured, not memory */
		float	   *base = malloc(sizeof(float) * n * rows);
		float	   *q = malloc(sizeof(float) * n);
		double		best[3] = {1e9, 1e9, 1e9};

		for (long i = 0; i < (long) n * rows; i++)
			base[i] = (float) ((i * 7919) % 1000) / 1000.0f - 0.5f;
		for (int i = 0; i < n; i++)
			q[i] = (float) i / n;
		for (int rep = 0; rep < 2000; rep++)
		{
			double		t;
			float		dot, na, nb;

			t = now();
			for (int r = 0; r < rows; r++)
				sink += BxKernelL2Squared(q, base + (long) r * n, n);
			best[0] = (now() - t) < best[0] ? (now() - t) : best[0];
			t = now();
			for (int r = 0; r < rows; r++)
				sink += BxKernelInnerProduct(q, base + (long) r * n, n);
			best[1] = (now() - t) < best[1] ? (now() - t) : best[1];
			t = now();
			for (int r = 0; r < rows; r++)
			{
				BxKernelCosineParts(q, base + (long) r * n, n, &dot, &na, &nb);
				sink += dot + na + nb;
			}
			best[2] = (now() - t) < best[2] ? (now() - t) : best[2];
		}
		printf("| %s | %s | %d | %.1f | %.1f | %.1f |\n", label, BxKernelVariant(), n,
			   best[0] * 1e9 / rows, best[1] * 1e9 / rows, best[2] * 1e9 / rows);
		free(base);
		free(q);
	}
	return sink == 12345.0f;
}
