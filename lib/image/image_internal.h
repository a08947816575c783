/*-------------------------------------------------------------------------
 *
 * image_internal.h
 *	  Declarations shared by the files of the image library.
 *
 * lib/image/image_internal.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BX_IMAGE_INTERNAL_H
#define BX_IMAGE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bx_image.h"

/*
 * What every decoder gets: the validated options, the allocator in force
 * and the caller's error buffer.
 */
typedef struct BxImgCall
{
	const BxImageOptions *opts;
	BxAllocator alloc;
	char	   *errbuf;
	size_t		errlen;
} BxImgCall;

/* image.c */
extern void *BxImgAlloc(const BxImgCall *call, size_t size);
extern void BxImgFreeMem(const BxImgCall *call, void *ptr);
extern BxStatus BxImgError(const BxImgCall *call, BxStatus status,
							  const char *fmt,...)
			__attribute__((format(printf, 3, 4)));
extern BxStatus BxImgCheckSize(const BxImgCall *call, const char *what,
								  uint64_t width, uint64_t height);
extern BxStatus BxImgNewImage(const BxImgCall *call, int width,
								 int height, int channels, BxImage *image);
extern bool BxImgInterrupted(const BxImgCall *call);

/* Decoders: on failure *image is NULL and nothing is left allocated */
extern BxStatus BxImgDecodeJpeg(const BxImgCall *call, const uint8_t *data,
								   size_t len, BxImage *image);
extern BxStatus BxImgDecodePng(const BxImgCall *call, const uint8_t *data,
								  size_t len, BxImage *image);
extern BxStatus BxImgDecodePnm(const BxImgCall *call, const uint8_t *data,
								  size_t len, BxImage *image);

/* image_orient.c */
extern int	BxImgExifOrientation(const uint8_t *data, size_t len);
extern BxStatus BxImgApplyOrientation(const BxImgCall *call,
										 BxImage *image, int orientation);

#endif							/* BX_IMAGE_INTERNAL_H */
