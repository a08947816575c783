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

extern void BxAnnTrainLists(float *sample, int64 n, int dims, int nlists,
							bool spherical, int nthreads, float *centroids);

#endif							/* BXANNTRAIN_H */
