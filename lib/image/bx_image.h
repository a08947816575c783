/*-------------------------------------------------------------------------
 *
 * bx_image.h
 *	  Public API of the image library: decode untrusted JPEG, PNG and
 *	  PGM/PPM bytes into an 8-bit grey or RGB pixel buffer.
 *
 * The library has no PostgreSQL dependency (like PostGIS's liblwgeom): it
 * reports failures as a BxStatus plus a NUL-terminated message written
 * into a buffer the caller owns, never prints, never exits, and never
 * longjmps out of BxImageDecode().  libjpeg's and libpng's errors are caught
 * inside the decoder that called them.
 *
 * The input is untrusted.  Limits are checked before the memory they guard
 * is allocated: input bytes before anything, declared width * height right
 * after the header (JPEG: jpeg_read_header; PNG: IHDR; PNM: header), and
 * the number of progressive JPEG scans while the scans are read (like
 * djpeg -maxscans).  libjpeg's corrupt-data warnings are errors: a damaged
 * JPEG is rejected, never returned with grey rows.
 *
 * Memory: the output pixels, the library's work buffers and libpng's memory
 * come from the allocator in BxImageOptions (malloc/free by default); the
 * allocator must return NULL on failure, not longjmp.  libjpeg allocates
 * with malloc; it frees everything before BxImageDecode() returns.
 *
 * Threads: no global state; concurrent decodes are independent.
 *
 * lib/image/bx_image.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BX_IMAGE_H
#define BX_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bx_runtime.h"
#ifdef __cplusplus
extern "C"
{
#endif


/* Defaults of BxImageDefaultOptions() */
#define BX_IMG_DEFAULT_MAX_BYTES	((size_t) 32 * 1024 * 1024)
#define BX_IMG_DEFAULT_MAX_PIXELS	((uint64_t) 50 * 1000 * 1000)
#define BX_IMG_DEFAULT_MAX_SCANS	100
#define BX_IMG_DEFAULT_MAX_MEMORY	((size_t) 512 * 1024 * 1024)

/* Largest width or height accepted whatever the pixel limit (libjpeg's) */
#define BX_IMG_MAX_DIMENSION		65500


typedef enum BxImgFormat
{
	BX_IMG_FORMAT_UNKNOWN = 0,
	BX_IMG_FORMAT_JPEG,
	BX_IMG_FORMAT_PNG,
	BX_IMG_FORMAT_PNM			/* PGM/PPM: P2, P3, P5, P6 */
} BxImgFormat;



/* Decoder settings: fill with BxImageDefaultOptions(), then adjust */
typedef struct BxImageOptions
{
	size_t		maxBytes;		/* input length limit */
	uint64_t	maxPixels;		/* limit on declared width * height */
	int			maxScans;		/* limit on progressive JPEG scans */

	/*
	 * Cap on libjpeg's own working memory (max_memory_to_use).  Progressive
	 * and multi-scan JPEGs keep every DCT coefficient of the image: 2 bytes
	 * per sample, e.g. 150 MB for 50 Mpixels at 4:2:0, reserved before the
	 * data is read.  0 means BX_IMG_DEFAULT_MAX_MEMORY.
	 */
	size_t		maxDecoderMemory;

	/*
	 * Size hint for JPEG DCT scaling: decode at the smallest scale M/8
	 * (M = 1..8) whose long side is still >= targetLongSide, e.g. 640 for
	 * the face detector, so a 4000x3000 photo decodes straight to 1000x750.
	 * 0 decodes at full size.  Never upscales; PNG and PNM ignore it.
	 */
	int			targetLongSide;

	bool		forceRgb;		/* grey input gives 3 channels too */
	bool		ignoreOrientation;	/* don't apply the EXIF orientation */

	const BxAllocator *allocator;	/* NULL: malloc/free */
	BxInterruptFn interrupt; /* NULL: never interrupted */
	void	   *interruptArg;
} BxImageOptions;

/*
 * A decoded image: rows top to bottom, pixels left to right, channels R, G,
 * B (or one grey channel), no row padding.  Orientation is already applied:
 * width/height are as displayed.
 */
typedef struct BxImageData
{
	int			width;
	int			height;
	int			channels;		/* 1 (grey) or 3 (RGB) */
	size_t		stride;			/* bytes per row = width * channels */
	uint8_t    *pixels;

	BxImgFormat format;
	int			fullWidth;		/* size before DCT scaling, oriented: */
	int			fullHeight;		/* x_full = x * fullWidth / width */
	int			orientation;	/* EXIF orientation applied, 1..8 (1: none) */

	BxAllocator allocator;	/* frees pixels and this struct */
} BxImageData;

typedef BxImageData *BxImage;

/* Fill *opts with the defaults above, malloc/free, no interrupt */
extern void BxImageDefaultOptions(BxImageOptions *opts);

/* Guess the format from the first bytes (magic numbers only) */
extern BxImgFormat BxImageDetectFormat(const void *data, size_t len);

/*
 * Decode data[0..len).  opts may be NULL (defaults).  On success returns
 * BX_OK and sets *image, to be released with BxImageFree(); otherwise
 * *image is NULL, nothing is leaked, and errbuf (errlen bytes, may be 0)
 * holds a message.
 */
extern BxStatus BxImageDecode(const void *data, size_t len,
								 const BxImageOptions *opts, BxImage *image,
								 char *errbuf, size_t errlen);

/*
 * Allocate an image of the given size with uninitialised pixels (used by
 * the tests and the benchmark to build synthetic images).  allocator may
 * be NULL.  Returns NULL if the allocator fails or the size is invalid.
 */
extern BxImage BxImageCreate(int width, int height, int channels,
							 const BxAllocator *allocator);


/* Free an image; NULL is a no-op */
extern void BxImageFree(BxImage image);

extern const char *BxImageFormatName(BxImgFormat format);

#ifdef __cplusplus
}
#endif

#endif							/* BX_IMAGE_H */
