/*-------------------------------------------------------------------------
 *
 * bxanntunesearch.h
 *	  The searches of a bxann build's tuning, by the leader and parallel
 *	  workers (src/am/bxanntunesearch.c).
 *
 * include/bxanntunesearch.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BXANNTUNESEARCH_H
#define BXANNTUNESEARCH_H

#include "postgres.h"

#include "bxann.h"
#include "bxannrows.h"

typedef struct BxAnnTuneSearchData *BxAnnTuneSearch;

extern BxAnnTuneSearch BxAnnTuneSearchBegin(Relation index, BxAnnCache cache,
											const BxAnnRows *rows,
											const ItemPointerData *where,
											const float *probes, int samples,
											const int64 *members, const int *k,
											int maxk, int maxef, int nworkers);
extern int64 BxAnnTuneSearchRun(BxAnnTuneSearch ts, const int *idx, int n,
								int probes, int ef, bool *found);
extern void BxAnnTuneSearchEnd(BxAnnTuneSearch ts);

#endif							/* BXANNTUNESEARCH_H */
