/*-------------------------------------------------------------------------
 *
 * ref_knn.h
 *	  The reference side of test/bridge's k-NN tests: keeping the k
 *	  smallest of a stream of double-precision distances.
 *
 * test/bridge/ref_knn.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef REF_KNN_H
#define REF_KNN_H

/*
 * Keep d among best[0 .. k), the k smallest distances seen so far in
 * ascending order (INFINITY where there are fewer).
 */
static inline void
RefKeepSmallest(double *best, int k, double d)
{
	int			p = k - 1;

	if (d >= best[p])
		return;
	while (p > 0 && best[p - 1] > d)
	{
		best[p] = best[p - 1];
		p--;
	}
	best[p] = d;
}

#endif							/* REF_KNN_H */
