/*-------------------------------------------------------------------------
 *
 * image.c
 *	  Entry points of the image library: options, format detection,
 *	  dispatch to the decoders, image allocation and error messages.
 *
 * lib/image/image.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image_internal.h"

void
BxImageDefaultOptions(BxImageOptions *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->maxBytes = BX_IMG_DEFAULT_MAX_BYTES;
	opts->maxPixels = BX_IMG_DEFAULT_MAX_PIXELS;
	opts->maxScans = BX_IMG_DEFAULT_MAX_SCANS;
	opts->maxDecoderMemory = BX_IMG_DEFAULT_MAX_MEMORY;
}

void *
BxImgAlloc(const BxImgCall *call, size_t size)
{
	return call->alloc.alloc(call->alloc.arg, size == 0 ? 1 : size);
}

void
BxImgFreeMem(const BxImgCall *call, void *ptr)
{
	if (ptr != NULL)
		call->alloc.free(call->alloc.arg, ptr);
}

/* Write a message into the caller's buffer and return status */
BxStatus
BxImgError(const BxImgCall *call, BxStatus status, const char *fmt,...)
{
	va_list		ap;

	if (call->errbuf != NULL && call->errlen > 0)
	{
		va_start(ap, fmt);
		vsnprintf(call->errbuf, call->errlen, fmt, ap);
		va_end(ap);
	}
	return status;
}

/*
 * Check declared dimensions against the caller's limits; called by every
 * decoder right after the header, before anything of that size exists.
 */
BxStatus
BxImgCheckSize(const BxImgCall *call, const char *what,
			   uint64_t width, uint64_t height)
{
	if (width == 0 || height == 0)
		return BxImgError(call, BX_EFORMAT,
						  "%s image has zero width or height", what);
	if (width > BX_IMG_MAX_DIMENSION || height > BX_IMG_MAX_DIMENSION)
		return BxImgError(call, BX_ELIMIT,
						  "%s image of %llux%llu pixels exceeds the largest "
						  "supported dimension %d", what,
						  (unsigned long long) width,
						  (unsigned long long) height, BX_IMG_MAX_DIMENSION);
	if (width * height > call->opts->maxPixels)
		return BxImgError(call, BX_ELIMIT,
						  "%s image of %llux%llu pixels exceeds the limit of "
						  "%llu pixels", what,
						  (unsigned long long) width,
						  (unsigned long long) height,
						  (unsigned long long) call->opts->maxPixels);
	return BX_OK;
}

/* Allocate an image for the decoders, reporting ENOMEM in the buffer */
BxStatus
BxImgNewImage(const BxImgCall *call, int width, int height, int channels,
			  BxImage *image)
{
	*image = BxImageCreate(width, height, channels, &call->alloc);
	if (*image == NULL)
		return BxImgError(call, BX_ENOMEM,
						  "out of memory for a %dx%d image", width, height);
	return BX_OK;
}

bool
BxImgInterrupted(const BxImgCall *call)
{
	return call->opts->interrupt != NULL &&
		call->opts->interrupt(call->opts->interruptArg) != 0;
}

BxImage
BxImageCreate(int width, int height, int channels,
			  const BxAllocator *allocator)
{
	const BxAllocator *a = allocator;
	BxImage		img;
	size_t		bytes;

	if (a == NULL || a->alloc == NULL || a->free == NULL)
		a = BxMallocAllocator();
	if (width <= 0 || height <= 0 || width > BX_IMG_MAX_DIMENSION ||
		height > BX_IMG_MAX_DIMENSION || (channels != 1 && channels != 3))
		return NULL;
	/* at most 65500^2 * 3 bytes: no overflow with a 64-bit size_t */
	bytes = (size_t) width * (size_t) height * (size_t) channels;
	img = a->alloc(a->arg, sizeof(BxImageData));
	if (img == NULL)
		return NULL;
	memset(img, 0, sizeof(*img));
	img->pixels = a->alloc(a->arg, bytes);
	if (img->pixels == NULL)
	{
		a->free(a->arg, img);
		return NULL;
	}
	img->width = img->fullWidth = width;
	img->height = img->fullHeight = height;
	img->channels = channels;
	img->stride = (size_t) width * (size_t) channels;
	img->orientation = 1;
	img->allocator = *a;
	return img;
}

void
BxImageFree(BxImage image)
{
	BxAllocator a;

	if (image == NULL)
		return;
	a = image->allocator;
	if (image->pixels != NULL)
		a.free(a.arg, image->pixels);
	a.free(a.arg, image);
}

BxImgFormat
BxImageDetectFormat(const void *data, size_t len)
{
	static const uint8_t pngMagic[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
	const uint8_t *p = data;

	if (p == NULL)
		return BX_IMG_FORMAT_UNKNOWN;
	if (len >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF)
		return BX_IMG_FORMAT_JPEG;
	if (len >= 8 && memcmp(p, pngMagic, 8) == 0)
		return BX_IMG_FORMAT_PNG;
	if (len >= 2 && p[0] == 'P' &&
		(p[1] == '2' || p[1] == '3' || p[1] == '5' || p[1] == '6'))
		return BX_IMG_FORMAT_PNM;
	return BX_IMG_FORMAT_UNKNOWN;
}

/* Name formats we recognise but don't decode, for a clearer message */
static const char *
KnownUnsupported(const uint8_t *p, size_t len)
{
	if (len >= 6 && (memcmp(p, "GIF87a", 6) == 0 || memcmp(p, "GIF89a", 6) == 0))
		return "GIF";
	if (len >= 12 && memcmp(p, "RIFF", 4) == 0 && memcmp(p + 8, "WEBP", 4) == 0)
		return "WebP";
	if (len >= 12 && memcmp(p + 4, "ftyp", 4) == 0)
		return "HEIF/AVIF";
	if (len >= 2 && p[0] == 'B' && p[1] == 'M')
		return "BMP";
	if (len >= 4 && (memcmp(p, "II*\0", 4) == 0 || memcmp(p, "MM\0*", 4) == 0))
		return "TIFF";
	if (len >= 2 && p[0] == 'P' && (p[1] == '1' || p[1] == '4' || p[1] == '7'))
		return "PBM/PAM";
	return NULL;
}

BxStatus
BxImageDecode(const void *data, size_t len, const BxImageOptions *opts,
			  BxImage *image, char *errbuf, size_t errlen)
{
	BxImageOptions defaults;
	BxImgCall	call;
	BxStatus status;
	const char *other;

	if (errbuf != NULL && errlen > 0)
		errbuf[0] = '\0';
	if (image == NULL)
	{
		if (errbuf != NULL && errlen > 0)
			snprintf(errbuf, errlen, "image output pointer is NULL");
		return BX_EINVAL;
	}
	*image = NULL;
	if (opts == NULL)
	{
		BxImageDefaultOptions(&defaults);
		opts = &defaults;
	}
	memset(&call, 0, sizeof(call));
	call.opts = opts;
	call.errbuf = errbuf;
	call.errlen = errlen;
	if (opts->allocator != NULL && opts->allocator->alloc != NULL &&
		opts->allocator->free != NULL)
		call.alloc = *opts->allocator;
	else
		call.alloc = (*BxMallocAllocator());

	if (opts->maxPixels == 0 || opts->maxScans <= 0 ||
		opts->targetLongSide < 0)
		return BxImgError(&call, BX_EINVAL,
						  "invalid image options: maxPixels and maxScans "
						  "must be positive, targetLongSide not negative");
	if (data == NULL && len > 0)
		return BxImgError(&call, BX_EINVAL, "image data pointer is NULL");
	if (len == 0)
		return BxImgError(&call, BX_EFORMAT, "image data is empty");
	if (len > opts->maxBytes)
		return BxImgError(&call, BX_ELIMIT,
						  "image of %zu bytes exceeds the limit of %zu bytes",
						  len, opts->maxBytes);

	switch (BxImageDetectFormat(data, len))
	{
		case BX_IMG_FORMAT_JPEG:
			status = BxImgDecodeJpeg(&call, data, len, image);
			break;
		case BX_IMG_FORMAT_PNG:
			status = BxImgDecodePng(&call, data, len, image);
			break;
		case BX_IMG_FORMAT_PNM:
			status = BxImgDecodePnm(&call, data, len, image);
			break;
		default:
			other = KnownUnsupported(data, len);
			if (other != NULL)
				return BxImgError(&call, BX_EFORMAT,
								  "%s images are not supported (use JPEG, PNG "
								  "or PGM/PPM)", other);
			return BxImgError(&call, BX_EFORMAT,
							  "unrecognised image format (not JPEG, PNG or "
							  "PGM/PPM)");
	}
	/* the decoders guarantee this; keep the contract even if one slips */
	if (status != BX_OK && *image != NULL)
	{
		BxImageFree(*image);
		*image = NULL;
	}
	return status;
}

const char *
BxImageFormatName(BxImgFormat format)
{
	switch (format)
	{
		case BX_IMG_FORMAT_JPEG:
			return "JPEG";
		case BX_IMG_FORMAT_PNG:
			return "PNG";
		case BX_IMG_FORMAT_PNM:
			return "PNM";
		case BX_IMG_FORMAT_UNKNOWN:
			break;
	}
	return "unknown";
}
