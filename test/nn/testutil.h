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

#include "helpers.h"
#include "pbwriter.h"

/*
 * ReadWholeFile() and the counting allocator (install it with
 * NnSetAllocator(CountingAllocator()), restart it with CountingStart())
 * are the shared ones of test/common/helpers.h.
 */

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
