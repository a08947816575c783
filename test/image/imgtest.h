/*-------------------------------------------------------------------------
 *
 * imgtest.h
 *	  Helpers and test groups shared by the files of the image tests.
 *
 * test/image/imgtest.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BX_IMGTEST_H
#define BX_IMGTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "image/bx_image.h"

/* Message of the last Decode() */
extern char errbuf[BX_ERRBUF_SIZE];

/* Decode through the counting allocator (opts may be NULL) */
extern BxStatus Decode(const void *data, size_t len,
						  const BxImageOptions *opts, BxImage *img);

/* Decode must fail with want, a message containing sub, and no leak */
extern bool ExpectFail(const char *name, const void *data, size_t len,
					   const BxImageOptions *opts, BxStatus want,
					   const char *sub);

/* Decode, check size/channels/closeness to want (mean abs diff <= tol) */
extern void ExpectImage(const char *name, const void *data, size_t len,
						const BxImageOptions *opts, int w, int h, int ch,
						const uint8_t *want, double tol);

/* Smooth test pattern (R: x ramp, G: y ramp, B: 128), malloc'd */
extern uint8_t *Pattern(int w, int h, int comps);
extern double MeanAbsDiff(const uint8_t *a, const uint8_t *b, size_t n);

/* malloc'd copy of src with bytes [at, at + n) replaced */
extern uint8_t *Patched(const uint8_t *src, size_t len, size_t at,
						const uint8_t *bytes, size_t n);

/* test_jpeg.c */
extern void TestJpegDecode(void);
extern void TestJpegCmyk(void);
extern void TestJpegScale(void);
extern void TestJpegBad(void);
extern void TestJpegScans(void);

/* test_orient.c */
extern void TestOrientation(void);

/* test_png.c */
extern void TestPng(void);
extern void TestPngBad(void);

#endif							/* BX_IMGTEST_H */
