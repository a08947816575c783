/*-------------------------------------------------------------------------
 *
 * image_png.c
 *	  Decode PNG with libpng 1.6, under limits.
 *
 * libpng reports errors through our error function, which records the
 * message and longjmps (png_longjmp) to DecodeGuarded(), the only setjmp.
 * As for JPEG, all resources live in a heap-allocated PngState, so the
 * cleanup after the jump does not depend on local variables.  Warnings
 * (bad ancillary chunks, sRGB profile remarks) are ignored: the pixels are
 * intact.  libpng allocates through the caller's allocator.
 *
 * Limits: width * height is checked after png_read_info() has read IHDR,
 * before libpng allocates its row buffers and before our image exists, so
 * a small file declaring a huge image (a decompression bomb: IDAT zeros
 * compress about 1000:1) fails early.  The pixel data cannot inflate
 * beyond what IHDR declares.  Ancillary chunks that could hide other bombs
 * (zTXt, iTXt, iCCP are compressed) are not even decompressed: we tell
 * libpng to skip every chunk we don't use, and cap the cache and size of
 * any it keeps anyway.
 *
 * Output: 8-bit grey or RGB: palettes and low bit depths are expanded,
 * 16-bit samples scaled to 8 bits, alpha dropped (transparency is ignored,
 * the colour underneath kept), interlaced images de-interlaced.
 *
 * lib/image/image_png.c
 *
 *-------------------------------------------------------------------------
 */
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <png.h>

#include "image_internal.h"

/* Bounds for chunks libpng still keeps despite the skip list */
#define PNG_CHUNK_CACHE_MAX		128
#define PNG_CHUNK_MALLOC_MAX	((png_alloc_size_t) 4 * 1024 * 1024)

typedef struct PngState
{
	const BxImgCall *call;
	png_structp png;
	png_infop	info;
	const uint8_t *data;
	size_t		len;
	size_t		pos;
	BxImage		image;
	BxStatus status;			/* set by the error function */
	char		message[200];
} PngState;

/* Chunks we never need: skipped unread (5 bytes each, NUL-separated) */
static const png_byte skipChunks[] =
	"bKGD\0cHRM\0eXIf\0gAMA\0hIST\0iCCP\0iTXt\0oFFs\0pCAL\0pHYs\0"
	"sBIT\0sCAL\0sPLT\0sRGB\0tEXt\0tIME\0tRNS\0zTXt";

static void
PngErrorFn(png_structp png, png_const_charp msg)
{
	PngState   *st = png_get_error_ptr(png);

	/* libpng's own allocation failures say "Out of memory" */
	if (strstr(msg, "memory") != NULL || strstr(msg, "Memory") != NULL)
		st->status = BX_ENOMEM;
	else
		st->status = BX_EFORMAT;
	snprintf(st->message, sizeof(st->message), "%s", msg);
	png_longjmp(png, 1);
}

static void
PngWarningFn(png_structp png, png_const_charp msg)
{
	(void) png;
	(void) msg;
}

static png_voidp
PngMalloc(png_structp png, png_alloc_size_t size)
{
	PngState   *st = png_get_mem_ptr(png);

	return BxImgAlloc(st->call, size);
}

static void
PngFree(png_structp png, png_voidp ptr)
{
	PngState   *st = png_get_mem_ptr(png);

	BxImgFreeMem(st->call, ptr);
}

/* Read from the caller's bytes; running out is an error (truncated file) */
static void
PngReadFn(png_structp png, png_bytep out, size_t n)
{
	PngState   *st = png_get_io_ptr(png);

	if (n > st->len - st->pos)
		png_error(png, "PNG data is truncated");
	memcpy(out, st->data + st->pos, n);
	st->pos += n;
}

/* Everything after the setjmp; libpng errors jump out of here */
static BxStatus
DecodeSteps(PngState *st)
{
	const BxImgCall *call = st->call;
	png_structp png = st->png;
	png_infop	info;
	png_uint_32 width,
				height;
	int			depth,
				colorType,
				interlace,
				passes,
				channels,
				pass;
	BxStatus status;
	BxImage		img;

	st->info = info = png_create_info_struct(png);
	if (info == NULL)
		return BxImgError(call, BX_ENOMEM,
						  "out of memory for the PNG decoder");
	png_set_read_fn(png, st, PngReadFn);
	/*
	 * libpng's own dimension limit would fail as "Invalid IHDR data" (the
	 * reason goes to a warning); lift it so that our check right after
	 * IHDR, before any row buffer exists, reports BX_ELIMIT clearly.
	 */
	png_set_user_limits(png, PNG_UINT_31_MAX, PNG_UINT_31_MAX);
	png_set_chunk_cache_max(png, PNG_CHUNK_CACHE_MAX);
	png_set_chunk_malloc_max(png, PNG_CHUNK_MALLOC_MAX);
	png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, NULL, 0);
	png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, skipChunks,
								(int) (sizeof(skipChunks) / 5));

	png_read_info(png, info);
	if (png_get_IHDR(png, info, &width, &height, &depth, &colorType,
					 &interlace, NULL, NULL) == 0)
		return BxImgError(call, BX_EFORMAT, "invalid PNG header");
	status = BxImgCheckSize(call, "PNG", width, height);
	if (status != BX_OK)
		return status;

	if (colorType == PNG_COLOR_TYPE_PALETTE)
		png_set_palette_to_rgb(png);
	if ((colorType & PNG_COLOR_MASK_COLOR) == 0 && depth < 8)
		png_set_expand_gray_1_2_4_to_8(png);
	if (depth == 16)
		png_set_scale_16(png);
	if ((colorType & PNG_COLOR_MASK_ALPHA) != 0)
		png_set_strip_alpha(png);
	if ((colorType & PNG_COLOR_MASK_COLOR) == 0 && call->opts->forceRgb)
		png_set_gray_to_rgb(png);
	passes = png_set_interlace_handling(png);
	png_read_update_info(png, info);

	channels = png_get_channels(png, info);
	if ((channels != 1 && channels != 3) ||
		png_get_rowbytes(png, info) != (size_t) width * (size_t) channels)
		return BxImgError(call, BX_EFORMAT,
						  "PNG transformation gave %d channels, %zu bytes per "
						  "row", channels, (size_t) png_get_rowbytes(png, info));
	status = BxImgNewImage(call, (int) width, (int) height, channels,
						   &st->image);
	if (status != BX_OK)
		return status;
	img = st->image;
	img->format = BX_IMG_FORMAT_PNG;

	/* interlaced: every pass refines rows already in the output */
	for (pass = 0; pass < passes; pass++)
	{
		png_uint_32 y;

		for (y = 0; y < height; y++)
		{
			if (BxImgInterrupted(call))
				return BxImgError(call, BX_EINTERRUPTED,
								  "PNG decoding interrupted");
			png_read_row(png, img->pixels + (size_t) y * img->stride, NULL);
		}
	}
	return BX_OK;
}

/* Create the reader and set the jump target: libpng's errors land here */
static BxStatus
DecodeGuarded(PngState *st)
{
	st->png = png_create_read_struct_2(PNG_LIBPNG_VER_STRING, st,
									   PngErrorFn, PngWarningFn,
									   st, PngMalloc, PngFree);
	if (st->png == NULL)
		return BxImgError(st->call, BX_ENOMEM,
						  "out of memory for the PNG decoder");
	if (setjmp(png_jmpbuf(st->png)))
	{
		if (st->status == BX_ENOMEM)
			return BxImgError(st->call, BX_ENOMEM,
							  "out of memory in the PNG decoder: %s",
							  st->message);
		return BxImgError(st->call, BX_EFORMAT, "invalid PNG data: %s",
						  st->message);
	}
	return DecodeSteps(st);
}

BxStatus
BxImgDecodePng(const BxImgCall *call, const uint8_t *data, size_t len,
			   BxImage *image)
{
	PngState   *st;
	BxStatus status;

	*image = NULL;
	st = BxImgAlloc(call, sizeof(PngState));
	if (st == NULL)
		return BxImgError(call, BX_ENOMEM,
						  "out of memory for the PNG decoder");
	memset(st, 0, sizeof(*st));
	st->call = call;
	st->data = data;
	st->len = len;
	st->status = BX_OK;

	status = DecodeGuarded(st);

	if (st->png != NULL)
		png_destroy_read_struct(&st->png, st->info != NULL ? &st->info : NULL,
								NULL);
	if (status == BX_OK)
	{
		*image = st->image;
		st->image = NULL;
	}
	BxImageFree(st->image);
	BxImgFreeMem(call, st);
	return status;
}
