/*-------------------------------------------------------------------------
 *
 * bench_util.h
 *	  Small helpers shared by the benchmark clients (bench/ann, bench/gate):
 *	  fatal errors, checked allocation, a monotonic clock, percentiles.
 *
 * bench/common/bench_util.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BENCH_UTIL_H
#define BENCH_UTIL_H

#include <stddef.h>

/* the program name bench_die() prefixes its message with */
extern const char *bench_progname;

/* print "progname: message" to stderr and exit(1) */
extern void bench_die(const char *fmt,...) __attribute__((format(printf, 1, 2), noreturn));

/* malloc that dies on failure (and never returns NULL for 0 bytes) */
extern void *bench_xmalloc(size_t n);

/* seconds on the monotonic clock */
extern double bench_now(void);

/* sort n values ascending */
extern void bench_sort(double *values, long n);

/* nearest-rank percentile of sorted values, p in (0, 1]; 0 when n is 0 */
extern double bench_percentile(const double *sorted, long n, double p);

#endif							/* BENCH_UTIL_H */
