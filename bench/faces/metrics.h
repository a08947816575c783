/*-------------------------------------------------------------------------
 *
 * metrics.h
 *	  Biometric error rates for the face benchmark (ISO/IEC 19795-1 and
 *	  NIST FRVT definitions).
 *
 * Scores are similarities: higher means "more likely the same person".  A
 * comparison is a match when its score is strictly above the threshold.
 * Failures to acquire are represented by the caller as the score
 * BENCH_FAILED_SCORE, below any real cosine, so they count as non-matches
 * (generalised error rates).
 *
 * bench/faces/metrics.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BENCH_METRICS_H
#define BENCH_METRICS_H

#include <stddef.h>

#define BENCH_FAILED_SCORE	(-2.0)

/*
 * Threshold at which at most fmr * nNonmated non-mated scores are above
 * it, and the resulting FNMR (mated scores at or below it).  nonmated is
 * sorted in place (descending).
 */
extern double FnmrAtFmr(const double *mated, size_t nMated,
						double *nonmated, size_t nNonmated, double fmr,
						double *threshold);

/* Equal error rate: sweep every threshold, take the crossing point */
extern double EqualErrorRate(const double *mated, size_t nMated,
							 const double *nonmated, size_t nNonmated,
							 double *threshold);

/*
 * Open-set 1:N identification (NIST FRVT Part 7, NISTIR 8381).  Unlike the
 * verification functions above, a search passes threshold t when its score
 * is AT OR ABOVE t: the FRVT convention, and the one bx_match is to use.
 *
 * nonTop holds the top score of each non-mated search (a false positive
 * when >= t).  mateTop holds, for each mated search, the mate's score when
 * the mate is the sole rank-1 candidate and BENCH_FAILED_SCORE otherwise,
 * so that a wrong rank-1 counts as a miss at every threshold.
 */

/*
 * The smallest threshold on the grid 1/scale (1000: three decimals) at
 * which at most floor(fpir * n) non-mated top scores are >= t.  With
 * k = floor(fpir * n) and q the (k+1)-th highest score, that is the first
 * grid value strictly above q: q and every score tied with it are
 * rejected.  Returns the grid index (t = index / scale, exact as a SQL
 * numeric); *quantile receives q.  nonTop is sorted in place (descending).
 */
extern long ThresholdAtFpir(double *nonTop, size_t n, double fpir, long scale,
							double *quantile);

/* False positives among nonTop and misses among mateTop at threshold t */
extern void OpenSetErrors(const double *nonTop, size_t nNon,
						  const double *mateTop, size_t nMated, double t,
						  size_t *falsePositives, size_t *misses);

/* Percentile p (0..100) by nearest rank; sorts v in place (ascending) */
extern double Percentile(double *v, size_t n, double p);

#endif							/* BENCH_METRICS_H */
