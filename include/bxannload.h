/*-------------------------------------------------------------------------
 *
 * bxannload.h
 *	  Reading the table for a bxann build, with parallel workers when
 *	  PostgreSQL grants them (src/am/bxannload.c).
 *
 * include/bxannload.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BXANNLOAD_H
#define BXANNLOAD_H

#include "postgres.h"

#include "nodes/execnodes.h"
#include "storage/itemptr.h"
#include "utils/relcache.h"

/*
 * What the build keeps of one row: its heap TID, its vector as the index
 * stores it (normalised for cosine), its model tag.  Called in the leader
 * only, for its own rows and the workers'; x and tag are valid for the
 * call only.
 */
typedef void (*BxAnnKeepRow) (void *arg, ItemPointer tid, const float *x,
							  const char *tag, int taglen);

extern double BxAnnLoadRows(Relation heap, Relation index, IndexInfo *indexInfo,
							int dims, int metric, int nworkers,
							BxAnnKeepRow keep, void *arg, int *launched);

#endif							/* BXANNLOAD_H */
