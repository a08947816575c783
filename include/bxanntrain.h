/*-------------------------------------------------------------------------
 *
 * bxanntrain.h
 *	  The list centroids of a bxann build (src/am/bxanntrain.c).
 *
 * include/bxanntrain.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BXANNTRAIN_H
#define BXANNTRAIN_H

#include "postgres.h"

/* from this many lists on, k-means in two levels (below them: flat) */
#define BXANN_TWO_LEVEL_MIN_LISTS	256

extern void BxAnnTrainLists(float *sample, int64 n, int dims, int nlists,
							bool spherical, int nthreads, float *centroids);

#endif							/* BXANNTRAIN_H */
