/*-------------------------------------------------------------------------
 *
 * metrics.c
 *	  FNMR at a given FMR, equal error rate, threshold and errors of
 *	  open-set identification at a given FPIR, percentiles.
 *
 * bench/faces/metrics.c
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

static int
Descending(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return x > y ? -1 : x < y ? 1 : 0;
}

static int
Ascending(const void *a, const void *b)
{
	return -Descending(a, b);
}

double
FnmrAtFmr(const double *mated, size_t nMated, double *nonmated,
		  size_t nNonmated, double fmr, double *threshold)
{
	size_t		allowed,
				misses = 0,
				i;
	double		t;

	qsort(nonmated, nNonmated, sizeof(double), Descending);
	/* at most this many non-mated scores may lie above the threshold */
	allowed = (size_t) floor(fmr * (double) nNonmated);
	t = allowed < nNonmated ? nonmated[allowed] : BENCH_FAILED_SCORE;
	for (i = 0; i < nMated; i++)
		if (!(mated[i] > t))
			misses++;
	if (threshold != NULL)
		*threshold = t;
	return nMated ? (double) misses / (double) nMated : 0.0;
}

double
EqualErrorRate(const double *mated, size_t nMated, const double *nonmated,
			   size_t nNonmated, double *threshold)
{
	double	   *m = malloc(sizeof(double) * (nMated ? nMated : 1));
	double	   *n = malloc(sizeof(double) * (nNonmated ? nNonmated : 1));
	double		best = 1.0,
				bestGap = 2.0,
				bestT = 0;
	size_t		i = 0,
				j = 0;

	memcpy(m, mated, sizeof(double) * nMated);
	memcpy(n, nonmated, sizeof(double) * nNonmated);
	qsort(m, nMated, sizeof(double), Ascending);
	qsort(n, nNonmated, sizeof(double), Ascending);

	/*
	 * Candidate thresholds are the scores themselves; for threshold t,
	 * FNMR = #(mated <= t) / nMated, FMR = #(nonmated > t) / nNonmated.
	 */
	while (i < nMated || j < nNonmated)
	{
		double		t = (j >= nNonmated || (i < nMated && m[i] <= n[j])) ? m[i] : n[j];
		double		fnmr,
					fmr;

		while (i < nMated && m[i] <= t)
			i++;
		while (j < nNonmated && n[j] <= t)
			j++;
		fnmr = (double) i / (double) nMated;
		fmr = (double) (nNonmated - j) / (double) nNonmated;
		if (fabs(fnmr - fmr) < bestGap)
		{
			bestGap = fabs(fnmr - fmr);
			best = (fnmr + fmr) / 2;
			bestT = t;
		}
	}
	free(m);
	free(n);
	if (threshold != NULL)
		*threshold = bestT;
	return best;
}

long
ThresholdAtFpir(double *nonTop, size_t n, double fpir, long scale,
				double *quantile)
{
	size_t		allowed;
	double		q;
	long		g;

	qsort(nonTop, n, sizeof(double), Descending);
	allowed = (size_t) floor(fpir * (double) n);
	q = allowed < n ? nonTop[allowed] : BENCH_FAILED_SCORE;

	/*
	 * First grid value above q.  The two loops correct the rounding of
	 * q * scale, with the very expression (g / scale) the comparisons in
	 * OpenSetErrors use, so "strictly above" holds in double arithmetic.
	 */
	g = (long) floor(q * (double) scale) + 1;
	while ((double) (g - 1) / (double) scale > q)
		g--;
	while ((double) g / (double) scale <= q)
		g++;
	if (quantile != NULL)
		*quantile = q;
	return g;
}

void
OpenSetErrors(const double *nonTop, size_t nNon, const double *mateTop,
			  size_t nMated, double t, size_t *falsePositives, size_t *misses)
{
	size_t		i;

	*falsePositives = 0;
	*misses = 0;
	for (i = 0; i < nNon; i++)
		*falsePositives += nonTop[i] >= t;
	for (i = 0; i < nMated; i++)
		*misses += !(mateTop[i] >= t);
}

double
Percentile(double *v, size_t n, double p)
{
	size_t		rank;

	if (n == 0)
		return 0;
	qsort(v, n, sizeof(double), Ascending);
	rank = (size_t) ceil(p / 100.0 * (double) n);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return v[rank - 1];
}
