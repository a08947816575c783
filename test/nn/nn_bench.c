/*-------------------------------------------------------------------------
 *
 * nn_bench.c
 *	  Time forward passes of the real models (not a test).
 *
 * Usage: nn_bench [RUNS]; reads the models from $BX_MODEL_DIR.  Reports
 * the best and median wall-clock time of RUNS passes after one warm-up,
 * on the calling thread (set OPENBLAS_NUM_THREADS=1 for one core).
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
#include "testutil.h"

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

	if (path == NULL || (data = ReadFile(path, &len)) == NULL)
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

int
main(int argc, char **argv)
{
	int			runs = argc > 1 ? atoi(argv[1]) : 30;

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
