/*-------------------------------------------------------------------------
 *
 * bxanngraph.h
 *	  k-NN graph construction for bxann builds (src/am/bxanngraph.c).
 *
 * include/bxanngraph.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BXANNGRAPH_H
#define BXANNGRAPH_H

#include "postgres.h"

#include "bxannrows.h"

/* row i's neighbours are neighbors[i*m .. i*m+count[i]), nearest first */
typedef struct BxAnnGraph
{
	int64		n;
	int			m;
	int32	   *neighbors;
	float	   *distances;		/* squared Euclidean */
	int32	   *count;
} BxAnnGraph;

extern Size BxAnnGraphMemory(int64 n, int m, int spillk);
extern BxAnnGraph *BxAnnGraphBuild(const BxAnnRows *rows, int m,
								   const int32 *spill, int spillk,
								   const int64 *liststart, const int64 *order,
								   const float *centroids, int nlists,
								   int nthreads);

#endif							/* BXANNGRAPH_H */
