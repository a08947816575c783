/*-------------------------------------------------------------------------
 *
 * test_knn.c
 *	  Server-free tests of lib/knn_block.c's search on both of its
 *	  products: BLAS, and the AVX-512 panels of lib/ip_panels.c where this
 *	  CPU has them.  Shapes around the panels' edges (bases of fewer rows
 *	  than a panel, or one more; query counts that leave a remainder; odd
 *	  dimensions), each against a double-precision reference; the panels'
 *	  distances against BLAS's; a query's answer the same alone as in a
 *	  block.  And lib/knn_select.c's two selections, on rows full of equal
 *	  values, against a sort.
 *
 * test/bridge/test_knn.c
 *
 *-------------------------------------------------------------------------
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bx_knn.h"
#include "ref_knn.h"
#include "tap.h"

#define MAXDIM	520
#define MAXQ	300
#define MAXB	200
#define MAXK	20

static float q[MAXQ * MAXDIM];
static float b[MAXB * MAXDIM];

/* the base prepared on one product: storage and scratch of its own */
typedef struct Prepared
{
	BxKnnBase	base;
	float	   *storage;
	float	   *scratch;
} Prepared;

static void
Prepare(Prepared *p, int dim, int nb, int packed)
{
	p->storage = malloc(sizeof(float) * BxKnnBaseFloats(dim, nb, packed));
	p->scratch = malloc(sizeof(float) * BxKnnScratchFloats(nb));
	BxKnnBaseInit(&p->base, dim, nb, b, packed, p->storage);
}

static void
Release(Prepared *p)
{
	free(p->storage);
	free(p->scratch);
}

static double
Dist(const float *x, const float *y, int dim)
{
	double		s = 0;

	for (int d = 0; d < dim; d++)
		s += ((double) x[d] - y[d]) * ((double) x[d] - y[d]);
	return s;
}

/*
 * Every query's answer as the reference's: the k smallest distances in
 * order within float rounding, each label a row at the distance reported,
 * -1 and FLT_MAX past the base's end.
 */
static int
MatchesReference(int dim, int nq, int nb, int k, const int32_t *labels, const float *dist)
{
	for (int i = 0; i < nq; i++)
	{
		double		ref[MAXK];

		for (int j = 0; j < k; j++)
			ref[j] = INFINITY;
		for (int c = 0; c < nb; c++)
			RefKeepSmallest(ref, k, Dist(q + (size_t) i * dim, b + (size_t) c * dim, dim));
		for (int j = 0; j < k; j++)
		{
			int32_t		l = labels[i * k + j];
			float		d = dist[i * k + j];
			double		tol = 1e-4 * (1 + ref[j < nb ? j : 0]);

			if (j >= nb)
			{
				if (l != -1 || d != FLT_MAX)
					return 0;
				continue;
			}
			if (l < 0 || l >= nb || fabs(d - ref[j]) > tol ||
				fabs(Dist(q + (size_t) i * dim, b + (size_t) l * dim, dim) - d) > tol)
				return 0;
		}
	}
	return 1;
}

/* does (bestd, besti) hold the k smallest of d by (value, row), in that order? */
static int
SelectedInOrder(const float *d, int n, int k, const float *bestd, const int32_t *besti)
{
	int			prev = -1;

	for (int j = 0; j < k; j++)
	{
		int			i = besti[j];
		int			before = 0;

		if (i < 0 || i >= n || bestd[j] != d[i])
			return 0;
		/* rows ranking before row i: smaller, or equal and earlier */
		for (int t = 0; t < n; t++)
			if (d[t] < d[i] || (d[t] == d[i] && t < i))
				before++;
		if (before != j || (prev >= 0 && !(d[prev] < d[i] || (d[prev] == d[i] && prev < i))))
			return 0;
		prev = i;
	}
	return 1;
}

/* both selections on rows of few distinct values (many ties) and of many */
static void
TestSelect(int usable)
{
	static const int sizes[][2] = {
		{1, 1}, {15, 15}, {16, 5}, {17, 17}, {31, 1}, {33, 32}, {200, 17},
		{1000, 4}, {1000, 31}, {64, 40},
	};
	float		d[1000];
	float		d1[40],
				d2[40];
	int32_t		i1[40],
				i2[40];

	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
	{
		int			n = sizes[s][0],
					k = sizes[s][1];

		for (int values = 3; values <= 1000; values *= 333)
		{
			int			ok1,
						ok2 = 1;

			for (int t = 0; t < n; t++)
				d[t] = (float) (rand() % values) / values;
			BxKnnSelect(d, n, k, 0, d1, i1);
			ok1 = SelectedInOrder(d, n, k, d1, i1);
			if (usable)
			{
				BxKnnSelect(d, n, k, 1, d2, i2);
				ok2 = memcmp(d1, d2, sizeof(float) * k) == 0 &&
					memcmp(i1, i2, sizeof(int32_t) * k) == 0;
			}
			TapOk(ok1 && ok2, "select %d of %d among %d values: one by one as a sort%s",
				  k, n, values, usable ? ", in registers the same" : "");
		}
	}
}

int
main(void)
{
	/* dim, queries, base rows, k: around 8-row blocks and 32-row panels */
	static const int shapes[][4] = {
		{3, 1, 1, 1}, {17, 7, 15, 5}, {17, 9, 16, 20}, {64, 8, 31, 10},
		{128, 130, 32, 17}, {129, 13, 33, 17}, {512, 200, 200, 17},
		{512, 257, 97, 4}, {520, 300, 65, 1},
	};
	static int32_t labels[MAXQ * MAXK];
	static float dist[MAXQ * MAXK];
	static int32_t labels2[MAXQ * MAXK];
	static float dist2[MAXQ * MAXK];
	int			usable = BxPanelsUsable();

	srand(11);
	for (size_t i = 0; i < sizeof(q) / sizeof(float); i++)
		q[i] = (float) rand() / RAND_MAX - 0.5f;
	for (size_t i = 0; i < sizeof(b) / sizeof(float); i++)
		b[i] = (float) rand() / RAND_MAX - 0.5f;
	TapDiag("AVX-512 panels %s on this CPU", usable ? "usable" : "not usable");

	for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++)
	{
		int			dim = shapes[s][0],
					nq = shapes[s][1],
					nb = shapes[s][2],
					k = shapes[s][3];
		Prepared	blas;

		Prepare(&blas, dim, nb, 0);
		BxKnnSearch(&blas.base, nq, q, k, blas.scratch, labels, dist);
		TapOk(blas.base.panels == NULL && MatchesReference(dim, nq, nb, k, labels, dist),
			  "BLAS, %d-d, %d queries, %d rows, k %d: as the reference", dim, nq, nb, k);
		if (usable)
		{
			Prepared	panels;
			int			same = 1;

			Prepare(&panels, dim, nb, 1);
			BxKnnSearch(&panels.base, nq, q, k, panels.scratch, labels2, dist2);
			TapOk(panels.base.panels != NULL && MatchesReference(dim, nq, nb, k, labels2, dist2),
				  "panels, %d-d, %d queries, %d rows, k %d: as the reference", dim, nq, nb, k);
			for (int t = 0; t < nq * k; t++)
				if (fabsf(dist2[t] - dist[t]) > 1e-4f * (1 + dist[t]))
					same = 0;
			TapOk(same, "panels, %d-d, %d rows: every distance as BLAS's within rounding",
				  dim, nb);

			/* the last query alone: bit for bit its answer in the block */
			BxKnnSearch(&panels.base, 1, q + (size_t) (nq - 1) * dim, k, panels.scratch,
						labels, dist);
			TapOk(memcmp(labels, labels2 + (size_t) (nq - 1) * k, sizeof(int32_t) * k) == 0 &&
				  memcmp(dist, dist2 + (size_t) (nq - 1) * k, sizeof(float) * k) == 0,
				  "panels, %d-d: query %d alone answers bit for bit as in its block", dim, nq - 1);
			Release(&panels);
		}
		else
			TapSkip("no AVX-512 on this CPU: panels not tested at %d-d", dim);
		Release(&blas);
	}
	/* a base prepared in parts, as threads share it: the same arrays */
	for (int packed = 0; packed <= usable; packed++)
	{
		Prepared	whole;
		int			same = 1;

		Prepare(&whole, 512, 200, packed);
		for (int parts = 2; parts <= 9; parts += 7)
		{
			size_t		floats = BxKnnBaseFloats(512, 200, packed);
			float	   *storage = malloc(sizeof(float) * floats);
			BxKnnBase	base;

			memset(storage, 0xff, sizeof(float) * floats);
			BxKnnBaseLayout(&base, 512, 200, b, packed, storage);
			for (int part = parts - 1; part >= 0; part--)
				BxKnnBasePrepare(&base, part, parts);
			same &= memcmp(storage, whole.storage, sizeof(float) * floats) == 0;
			free(storage);
		}
		TapOk(same, "a %s base prepared in 2 and in 9 parts: the arrays of one",
			  packed ? "packed" : "BLAS");
		Release(&whole);
	}
	TapOk(!BxKnnWorthPacking(1) && BxKnnWorthPacking(1000) == usable,
		  "a base is packed for many queries where the CPU has AVX-512, never for one");
	TestSelect(usable);
	return TapDone();
}
