/*-------------------------------------------------------------------------
 *
 * helpers.h
 *	  Test helpers with no image or model in them: files, the data
 *	  directory, a counting allocator, random numbers.
 *
 * test/common/helpers.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BX_TEST_HELPERS_H
#define BX_TEST_HELPERS_H

#include <stddef.h>
#include <stdint.h>

#include "bx_runtime.h"

/* Read a whole file with malloc; NULL if it cannot be read */
extern void *ReadWholeFile(const char *path, size_t *len);

/*
 * Paths of the files ending in suffix in the subdirectories of dir (one
 * level, as LFW's images/NAME/NAME_NNNN.jpg), sorted; malloc'd array of
 * malloc'd strings, count returned (0 if dir is unreadable).
 */
extern int	ListSubdirFiles(const char *dir, const char *suffix, char ***paths);
extern void FreePaths(char **paths, int n);

/* Data directory: $BX_DATA_DIR, else the default the Makefile passes */
extern const char *DataDir(void);

/* Counting allocator: live blocks, peak bytes, fail the n-th call */
extern const BxAllocator *CountingAllocator(void);
extern void CountingStart(long failAt);		/* 0: never fail */
extern long CountingLive(void);
extern long CountingCalls(void);
extern size_t CountingPeakBytes(void);

/* Deterministic pseudo-random numbers */
extern uint32_t TestRandom(void);
extern uint64_t TestSplitMix64(uint64_t *state);

#endif							/* BX_TEST_HELPERS_H */
