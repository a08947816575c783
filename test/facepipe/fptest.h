/*-------------------------------------------------------------------------
 *
 * fptest.h
 *	  Declarations shared by the files of the face pipeline tests.
 *
 * test/facepipe/fptest.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BX_FPTEST_H
#define BX_FPTEST_H

#include "facepipe/facepipe.h"

/* Message buffer of the last call */
extern char err[BX_ERRBUF_SIZE];

/* test_align.c */
extern void TestSimilarity(void);
extern void TestAlign(void);

/* test_quality.c */
extern void TestQualityMeasures(void);
extern void TestQualityDefects(BxFacePipe pipe, bool quick);

/* test_retry.c */
extern void TestDetectorRetries(BxFacePipe pipe, bool quick);

#endif							/* BX_FPTEST_H */
