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

/* Percentile p (0..100) by nearest rank; sorts v in place (ascending) */
extern double Percentile(double *v, size_t n, double p);

#endif							/* BENCH_METRICS_H */
