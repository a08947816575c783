/*-------------------------------------------------------------------------
 *
 * testutil.h
 *	  Helpers shared by the nn tests: files, a counting allocator.
 *
 * test/nn/testutil.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef NN_TESTUTIL_H
#define NN_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pbwriter.h"

/* Read a whole file with malloc; NULL if it cannot be read */
extern void *ReadFile(const char *path, size_t *len);

/*
 * Counting allocator for NnSetAllocator(): tracks live blocks and can fail
 * the n-th allocation to exercise out-of-memory paths.
 */
extern void CountingInstall(void);
extern void CountingReset(long failAt);	/* 0: never fail */
extern long CountingLive(void);
extern long CountingCalls(void);

/* Model directory: $BX_MODEL_DIR, else the default the Makefile passes */
extern const char *ModelDir(void);

/* Path of a model under ModelDir(), or NULL if absent (static buffer) */
extern const char *ModelPath(const char *rel);

/* test_reader.c: deterministic random numbers, the tiny test model */
extern uint64_t TestRand(void);
extern const float tinyW[3 * 2 * 3 * 3];
extern const float tinyB[3];
extern Pb  *TinyModel(const int64_t *inDims);

/* Tests in the other files; each reports through tap.h */
extern void RunManifest(const char *path);
extern void TestReader(void);
extern void TestApi(void);
extern void TestRealModels(void);

#endif							/* NN_TESTUTIL_H */
