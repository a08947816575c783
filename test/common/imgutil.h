/*-------------------------------------------------------------------------
 *
 * imgutil.h
 *	  Test helpers: write JPEG/PNG files in memory with libjpeg and
 *	  libpng, patch them.  The helpers without images (files, counting
 *	  allocator, random numbers) are in helpers.h, included here.
 *
 * Every test image is generated at test time; none is stored in the
 * repository.  Used by the image and facepipe tests, the fuzz seeds
 * (test/fuzz/make_seeds.c) and the face benchmark (bench/faces).
 *
 * test/common/imgutil.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BX_IMGUTIL_H
#define BX_IMGUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "helpers.h"
#include "image/bx_image.h"

/* What to write as JPEG; zero-initialise, then fill in */
typedef struct JpegSpec
{
	int			width;
	int			height;
	int			components;		/* of pixels: 1 grey, 3 RGB, 4 CMYK */
	int			quality;		/* 0: 90 */
	bool		progressive;	/* libjpeg's default progression */
	bool		ycck;			/* with components 4: YCCK instead of CMYK */
	bool		fullAcScans;	/* grey progressive: DC scan + one full AC
								 * scan (Ah = Al = 0), repeatable */
	const uint8_t *app1;		/* APP1 payload (e.g. Exif), may be NULL */
	size_t		app1Len;
} JpegSpec;

/* Encode pixels (rows of width * components bytes); malloc'd result */
extern uint8_t *WriteJpeg(const JpegSpec *spec, const uint8_t *pixels,
						  size_t *len);

/* Encode an image struct as baseline JPEG (1 or 3 channels) */
extern uint8_t *WriteJpegImage(const BxImageData *img, int quality,
							   size_t *len);

/*
 * Repeat the second scan of a fullAcScans JPEG (DHT + SOS + data) so the
 * file has 1 + repeats scans; malloc'd result, NULL if the layout is not
 * as expected.
 */
extern uint8_t *RepeatSecondScan(const uint8_t *jpeg, size_t len,
								 int repeats, size_t *outLen);

/* Offset of the first marker (0xFF, code) after SOI, or 0 */
extern size_t FindJpegMarker(const uint8_t *jpeg, size_t len, int code);

/* Build an APP1 Exif payload with IFD0 = {Orientation: value} */
extern size_t MakeExif(uint8_t *buf, size_t cap, bool bigEndian, int value);

/* What to write as PNG; zero-initialise, then fill in */
typedef struct PngSpec
{
	int			width;
	int			height;
	int			colorType;		/* PNG_COLOR_TYPE_* */
	int			bitDepth;
	bool		interlace;		/* Adam7 */
	const uint8_t *palette;		/* RGB triples */
	int			paletteLen;
	const uint8_t *trans;		/* tRNS for palette */
	int			transLen;
	size_t		ztxtBytes;		/* add a zTXt chunk of this many 'a's */
} PngSpec;

/* Encode packed rows as libpng expects them (big-endian 16-bit samples) */
extern uint8_t *WritePng(const PngSpec *spec, const uint8_t *rows,
						 size_t rowBytes, size_t *len);

/* Encode an all-zero grey 8-bit image row by row (no big buffer) */
extern uint8_t *WriteZeroPng(int width, int height, size_t *len);

/* Recompute the CRC of the PNG chunk starting at offset (length field) */
extern void FixPngCrc(uint8_t *png, size_t offset);

#endif							/* BX_IMGUTIL_H */
