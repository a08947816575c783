/*-------------------------------------------------------------------------
 *
 * bench_knn.c
 *	  The exact k-NN searches of a bxann build, timed on one core: the
 *	  AVX-512 panels (lib/ip_panels.c) against OpenBLAS's sgemm, and the
 *	  selection in registers against one candidate at a time
 *	  (lib/knn_select.c), on the problem shapes a 200,000-row build solves.
 *	  Run by bench/knn.sh.
 *
 * bench/knn/bench_knn.c
 *
 *-------------------------------------------------------------------------
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bx_knn.h"

static double
Now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

static float *
RandomRows(int64_t n, int dim)
{
	float	   *x = malloc(sizeof(float) * n * dim);

	for (int64_t i = 0; i < n * dim; i++)
		x[i] = (float) rand() / RAND_MAX - 0.5f;
	return x;
}

/*
 * Seconds per problem of a search with the base prepared each time (as a
 * graph list is) on the given product and selection, best of `rounds`.
 */
static double
TimeSearch(int dim, int64_t nq, const float *q, int64_t nb, const float *b, int k,
		   int packed, int rounds)
{
	float	   *storage = malloc(sizeof(float) * BxKnnBaseFloats(dim, nb, packed));
	float	   *scratch = malloc(sizeof(float) * BxKnnScratchFloats(nb));
	int32_t    *labels = malloc(sizeof(int32_t) * nq * k);
	float	   *dist = malloc(sizeof(float) * nq * k);
	double		best = 1e30;

	for (int r = 0; r < rounds; r++)
	{
		double		t0 = Now();
		BxKnnBase	base;

		BxKnnBaseInit(&base, dim, nb, b, packed, storage);
		BxKnnSearch(&base, nq, q, k, scratch, labels, dist);
		if (Now() - t0 < best)
			best = Now() - t0;
	}
	free(storage);
	free(scratch);
	free(labels);
	free(dist);
	return best;
}

/* Seconds per row of the selection of k among n, best of `rounds`. */
static double
TimeSelect(const float *d, int64_t n, int k, int simd, int rows, int rounds)
{
	float		bestd[BX_KNN_SELECT_MAX_SIMD];
	int32_t		besti[BX_KNN_SELECT_MAX_SIMD];
	double		best = 1e30;

	for (int r = 0; r < rounds; r++)
	{
		double		t0 = Now();

		for (int i = 0; i < rows; i++)
			BxKnnSelect(d + (size_t) i * n, n, k, simd, bestd, besti);
		if ((Now() - t0) / rows < best)
			best = (Now() - t0) / rows;
	}
	return best;
}

int
main(void)
{
	/* dim, queries, base rows, k: what a 200,000-row build solves */
	static const struct
	{
		const char *what;
		int			dim,
					nq,
					nb,
					k;
	}			shapes[] = {
		{"512-d graph, a list's rows among its spilled rows", 512, 200, 800, 17},
		{"512-d graph repair, repaired rows against a list", 512, 960, 200, 17},
		{"512-d k-means step, 256 samples against 1,000 centroids", 512, 256, 1000, 1},
		{"512-d list assignment, 256 rows against 1,000 centroids", 512, 256, 1000, 4},
		{"256-d graph, a list's rows among its spilled rows", 256, 200, 800, 17},
		{"128-d graph, a list's rows among its spilled rows", 128, 200, 800, 17},
	};

	srand(5);
	if (!BxPanelsUsable())
	{
		printf("This CPU has no AVX-512: the build uses OpenBLAS's sgemm here, nothing to compare.\n");
		return 0;
	}
	printf("| problem | dim | queries x rows, k | with sgemm ms | with panels ms | speed-up | panels: product GFLOP/s over the whole search |\n");
	printf("|---|---|---|---|---|---|---|\n");
	for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++)
	{
		int			dim = shapes[s].dim;
		float	   *q = RandomRows(shapes[s].nq, dim);
		float	   *b = RandomRows(shapes[s].nb, dim);
		double		blas = TimeSearch(dim, shapes[s].nq, q, shapes[s].nb, b, shapes[s].k, 0, 50);
		double		panels = TimeSearch(dim, shapes[s].nq, q, shapes[s].nb, b, shapes[s].k, 1, 50);
		double		flops = 2.0 * shapes[s].nq * shapes[s].nb * dim;

		printf("| %s | %d | %d x %d, %d | %.3f | %.3f | %.2fx | %.0f |\n", shapes[s].what, dim,
			   shapes[s].nq, shapes[s].nb, shapes[s].k, blas * 1e3, panels * 1e3,
			   blas / panels, flops / panels / 1e9);
		free(q);
		free(b);
	}

	printf("\n| selection | k of n | one by one ns/row | in registers ns/row | speed-up |\n");
	printf("|---|---|---|---|---|\n");
	{
		static const int sel[][2] = {{17, 200}, {17, 800}, {4, 1000}, {1, 1000}};
		int			rows = 2000;

		for (size_t s = 0; s < sizeof(sel) / sizeof(sel[0]); s++)
		{
			int			k = sel[s][0],
						n = sel[s][1];
			float	   *d = RandomRows((int64_t) rows, n);
			double		one = TimeSelect(d, n, k, 0, rows, 20);
			double		reg = TimeSelect(d, n, k, 1, rows, 20);

			printf("| random distances | %d of %d | %.0f | %.0f | %.2fx |\n", k, n, one * 1e9,
				   reg * 1e9, one / reg);
			free(d);
		}
	}
	return 0;
}
