/*-------------------------------------------------------------------------
 *
 * nn_bench.c
 *	  Time forward passes of the real models (not a test).
 *
 * Usage: nn_bench [RUNS]; reads the models from $BX_MODEL_DIR.  Reports
 * the best and median wall-clock time of RUNS passes after one warm-up,
 * on the calling thread (set OPENBLAS_NUM_THREADS=1 for one core).
 *
 * nn_bench --load [N] times model loading instead: N NnModelLoad() calls
 * per model (default 50) and N calls of the ONNX reader alone
 * (NnOnnxParse into a fresh arena, released after each call), after one
 * warm-up of each, and prints the best and median of both.
 *
 * test/nn/nn_bench.c
 *
 *-------------------------------------------------------------------------
 */
#define _POSIX_C_SOURCE 199309L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nn/nn.h"
#include "nn_internal.h"

#include "helpers.h"

/*
 * testutil.c; its header is not included because pbwriter.h's Onnx*
 * builders clash with the reader's types of nn_internal.h, needed here to
 * time NnOnnxParse alone
 */
extern const char *ModelDir(void);
extern const char *ModelPath(const char *rel);

/* OpenBLAS extension, not in every cblas.h */
extern char *openblas_get_corename(void);

static double
Now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec * 1e-9;
}

static int
CompareDouble(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return x < y ? -1 : x > y;
}

static void
Bench(const char *rel, int runs)
{
	const char *path = ModelPath(rel);
	char		err[BX_ERRBUF_SIZE];
	NnModel		m = NULL;
	NnTensorInfo info;
	size_t		len;
	void	   *data;
	float	   *x;
	const float *ins[1];
	double	   *t;
	double		t0;
	size_t		i;
	int			r;

	if (path == NULL || (data = ReadWholeFile(path, &len)) == NULL)
	{
		printf("%s: not found in %s\n", rel, ModelDir());
		return;
	}
	t0 = Now();
	if (NnModelLoad(data, len, NULL, &m, err, sizeof(err)) != BX_OK)
	{
		printf("%s: %s\n", rel, err);
		free(data);
		return;
	}
	t0 = Now() - t0;
	NnModelGetInput(m, 0, &info);
	x = malloc(info.count * sizeof(float));
	for (i = 0; i < info.count; i++)
		x[i] = (float) ((i * 7919) % 255);
	ins[0] = x;
	t = malloc(sizeof(double) * (size_t) runs);
	NnModelRun(m, ins, NULL, NULL, NULL, err, sizeof(err));
	for (r = 0; r < runs; r++)
	{
		double		s = Now();

		NnModelRun(m, ins, NULL, NULL, NULL, err, sizeof(err));
		t[r] = Now() - s;
	}
	qsort(t, (size_t) runs, sizeof(double), CompareDouble);
	printf("%-45s load %6.1f ms   run: best %6.2f ms  median %6.2f ms  (%d runs, %zu bytes)\n",
		   rel, t0 * 1e3, t[0] * 1e3, t[runs / 2] * 1e3, runs, NnModelMemoryBytes(m));
	free(t);
	free(x);
	free(data);
	NnModelFree(m);
}

/* Time loading (whole NnModelLoad) and the reader alone, n times each */
static void
BenchLoad(const char *rel, int n)
{
	const char *path = ModelPath(rel);
	char		err[BX_ERRBUF_SIZE];
	BxAllocator alloc;
	size_t		len;
	void	   *data;
	double	   *load;
	double	   *parse;
	int			r;

	if (path == NULL || (data = ReadWholeFile(path, &len)) == NULL)
	{
		printf("%s: not found in %s\n", rel, ModelDir());
		return;
	}
	load = malloc(sizeof(double) * (size_t) n);
	parse = malloc(sizeof(double) * (size_t) n);
	NnGetAllocator(&alloc);
	/* r = -1 is the warm-up */
	for (r = -1; r < n; r++)
	{
		NnModel		m = NULL;
		NnErr		e = {err, sizeof(err)};
		NnArena		arena;
		OnnxModel	om;
		double		s = Now();

		if (NnModelLoad(data, len, NULL, &m, err, sizeof(err)) != BX_OK)
		{
			printf("%s: %s\n", rel, err);
			break;
		}
		if (r >= 0)
			load[r] = Now() - s;
		NnModelFree(m);

		NnArenaInit(&arena, &alloc);
		s = Now();
		if (NnOnnxParse(data, len, &arena, &om, &e) != BX_OK)
			printf("%s: %s\n", rel, err);
		if (r >= 0)
			parse[r] = Now() - s;
		NnArenaRelease(&arena);
	}
	if (r == n)
	{
		qsort(load, (size_t) n, sizeof(double), CompareDouble);
		qsort(parse, (size_t) n, sizeof(double), CompareDouble);
		printf("%-45s %zu bytes  load: best %7.3f ms  median %7.3f ms   reader: best %7.3f ms  median %7.3f ms  (%d calls each)\n",
			   rel, len, load[0] * 1e3, load[n / 2] * 1e3,
			   parse[0] * 1e3, parse[n / 2] * 1e3, n);
	}
	free(load);
	free(parse);
	free(data);
}

int
main(int argc, char **argv)
{
	int			runs;

	if (argc > 1 && strcmp(argv[1], "--load") == 0)
	{
		int			n = argc > 2 ? atoi(argv[2]) : 50;

		if (n < 1)
			n = 1;
		BenchLoad("yunet/face_detection_yunet_2023mar.onnx", n);
		BenchLoad("mobilefacenet/MobileFaceNet.onnx", n);
		return 0;
	}
	runs = argc > 1 ? atoi(argv[1]) : 30;

	if (runs < 1)
		runs = 1;
	printf("OpenBLAS core: %s (OPENBLAS_CORETYPE=%s, OPENBLAS_NUM_THREADS=%s)\n",
		   openblas_get_corename(),
		   getenv("OPENBLAS_CORETYPE") ? getenv("OPENBLAS_CORETYPE") : "unset",
		   getenv("OPENBLAS_NUM_THREADS") ? getenv("OPENBLAS_NUM_THREADS") : "unset");
	Bench("yunet/face_detection_yunet_2023mar.onnx", runs);
	Bench("mobilefacenet/MobileFaceNet.onnx", runs);
	return 0;
}
