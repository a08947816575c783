/*-------------------------------------------------------------------------
 *
 * imgutil.c
 *	  Test helpers: in-memory JPEG/PNG writers, file patching, a counting
 *	  allocator.
 *
 * The writers use libjpeg's and libpng's default error handlers (print and
 * exit): a failure there is a broken test, not a case under test.
 *
 * test/common/imgutil.c
 *
 *-------------------------------------------------------------------------
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <png.h>
#include <zlib.h>

#include "imgutil.h"

uint8_t *
WriteJpeg(const JpegSpec *spec, const uint8_t *pixels, size_t *len)
{
	struct jpeg_compress_struct cinfo;
	struct jpeg_error_mgr jerr;
	unsigned char *buf = NULL;
	unsigned long size = 0;
	uint8_t    *out;
	static jpeg_scan_info fullAc[2];

	cinfo.err = jpeg_std_error(&jerr);
	jpeg_create_compress(&cinfo);
	jpeg_mem_dest(&cinfo, &buf, &size);
	cinfo.image_width = (JDIMENSION) spec->width;
	cinfo.image_height = (JDIMENSION) spec->height;
	cinfo.input_components = spec->components;
	cinfo.in_color_space = spec->components == 1 ? JCS_GRAYSCALE :
		spec->components == 4 ? JCS_CMYK : JCS_RGB;
	jpeg_set_defaults(&cinfo);
	if (spec->components == 4 && spec->ycck)
		jpeg_set_colorspace(&cinfo, JCS_YCCK);
	jpeg_set_quality(&cinfo, spec->quality > 0 ? spec->quality : 90, TRUE);
	if (spec->progressive)
		jpeg_simple_progression(&cinfo);
	if (spec->fullAcScans)
	{
		/* DC first, then all AC coefficients at full precision at once */
		memset(fullAc, 0, sizeof(fullAc));
		fullAc[0].comps_in_scan = 1;
		fullAc[0].Ss = fullAc[0].Se = 0;
		fullAc[1].comps_in_scan = 1;
		fullAc[1].Ss = 1;
		fullAc[1].Se = 63;
		cinfo.scan_info = fullAc;
		cinfo.num_scans = 2;
	}
	jpeg_start_compress(&cinfo, TRUE);
	if (spec->app1 != NULL)
		jpeg_write_marker(&cinfo, JPEG_APP0 + 1, spec->app1,
						  (unsigned int) spec->app1Len);
	while (cinfo.next_scanline < cinfo.image_height)
	{
		JSAMPROW	row = (JSAMPROW) (pixels + (size_t) cinfo.next_scanline *
									  (size_t) spec->width * (size_t) spec->components);

		jpeg_write_scanlines(&cinfo, &row, 1);
	}
	jpeg_finish_compress(&cinfo);
	jpeg_destroy_compress(&cinfo);
	out = malloc(size);
	memcpy(out, buf, size);
	free(buf);
	*len = size;
	return out;
}

uint8_t *
WriteJpegImage(const BxImageData *img, int quality, size_t *len)
{
	JpegSpec	spec;

	memset(&spec, 0, sizeof(spec));
	spec.width = img->width;
	spec.height = img->height;
	spec.components = img->channels;
	spec.quality = quality;
	return WriteJpeg(&spec, img->pixels, len);
}

/* End of the entropy-coded data that starts at pos: the next real marker */
static size_t
SkipEntropy(const uint8_t *p, size_t len, size_t pos)
{
	while (pos + 1 < len)
	{
		if (p[pos] == 0xFF && p[pos + 1] != 0x00 &&
			!(p[pos + 1] >= 0xD0 && p[pos + 1] <= 0xD7))
			return pos;
		pos++;
	}
	return len;
}

/*
 * Walk the segments; return the offsets where each scan's data ends
 * (scanEnd[i]) for up to maxScans scans, and the number of scans.
 */
static int
ScanEnds(const uint8_t *p, size_t len, size_t *scanEnd, int maxScans)
{
	size_t		pos = 2;
	int			n = 0;

	while (pos + 4 <= len && p[pos] == 0xFF)
	{
		int			code = p[pos + 1];
		size_t		seglen;

		if (code == 0xD9)
			break;
		seglen = ((size_t) p[pos + 2] << 8) | p[pos + 3];
		pos += 2 + seglen;
		if (code == 0xDA)
		{
			pos = SkipEntropy(p, len, pos);
			if (n < maxScans)
				scanEnd[n] = pos;
			n++;
		}
	}
	return n;
}

uint8_t *
RepeatSecondScan(const uint8_t *jpeg, size_t len, int repeats, size_t *outLen)
{
	size_t		ends[2];
	size_t		a,
				b,
				piece,
				pos;
	uint8_t    *out;
	int			i;

	if (ScanEnds(jpeg, len, ends, 2) != 2)
		return NULL;
	a = ends[0];				/* DHT + SOS of scan 2 start here */
	b = ends[1];				/* EOI */
	piece = b - a;
	*outLen = a + piece * (size_t) repeats + (len - b);
	out = malloc(*outLen);
	memcpy(out, jpeg, a);
	pos = a;
	for (i = 0; i < repeats; i++, pos += piece)
		memcpy(out + pos, jpeg + a, piece);
	memcpy(out + pos, jpeg + b, len - b);
	return out;
}

size_t
FindJpegMarker(const uint8_t *jpeg, size_t len, int code)
{
	size_t		pos = 2;

	while (pos + 4 <= len && jpeg[pos] == 0xFF)
	{
		if (jpeg[pos + 1] == code)
			return pos;
		if (jpeg[pos + 1] == 0xDA || jpeg[pos + 1] == 0xD9)
			return 0;
		pos += 2 + (((size_t) jpeg[pos + 2] << 8) | jpeg[pos + 3]);
	}
	return 0;
}

static void
Put16(uint8_t *p, bool be, unsigned v)
{
	p[be ? 0 : 1] = (uint8_t) (v >> 8);
	p[be ? 1 : 0] = (uint8_t) v;
}

static void
Put32(uint8_t *p, bool be, uint32_t v)
{
	int			i;

	for (i = 0; i < 4; i++)
		p[be ? i : 3 - i] = (uint8_t) (v >> (24 - 8 * i));
}

size_t
MakeExif(uint8_t *buf, size_t cap, bool be, int value)
{
	uint8_t    *t = buf + 6;

	if (cap < 32)
		return 0;
	memset(buf, 0, 32);
	memcpy(buf, "Exif\0\0", 6);
	t[0] = t[1] = be ? 'M' : 'I';
	Put16(t + 2, be, 42);
	Put32(t + 4, be, 8);		/* IFD0 right after the header */
	Put16(t + 8, be, 1);		/* one entry */
	Put16(t + 10, be, 0x0112);
	Put16(t + 12, be, 3);		/* SHORT */
	Put32(t + 14, be, 1);
	Put16(t + 18, be, (unsigned) value);
	Put32(t + 22, be, 0);		/* no next IFD */
	return 32;
}

typedef struct MemOut
{
	uint8_t    *buf;
	size_t		len;
	size_t		cap;
} MemOut;

static void
PngWriteFn(png_structp png, png_bytep data, size_t n)
{
	MemOut	   *m = png_get_io_ptr(png);

	if (m->len + n > m->cap)
	{
		m->cap = (m->len + n) * 2;
		m->buf = realloc(m->buf, m->cap);
	}
	memcpy(m->buf + m->len, data, n);
	m->len += n;
}

static void
PngFlushFn(png_structp png)
{
	(void) png;
}

static png_structp
StartPng(MemOut *m, png_infop *info)
{
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING,
											  NULL, NULL, NULL);

	*info = png_create_info_struct(png);
	memset(m, 0, sizeof(*m));
	png_set_write_fn(png, m, PngWriteFn, PngFlushFn);
	return png;
}

uint8_t *
WritePng(const PngSpec *spec, const uint8_t *rows, size_t rowBytes,
		 size_t *len)
{
	MemOut		m;
	png_infop	info;
	png_structp png = StartPng(&m, &info);
	int			passes,
				pass,
				y;
	char	   *text = NULL;

	png_set_IHDR(png, info, (png_uint_32) spec->width,
				 (png_uint_32) spec->height, spec->bitDepth, spec->colorType,
				 spec->interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
				 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	if (spec->palette != NULL)
		png_set_PLTE(png, info, (png_const_colorp) spec->palette,
					 spec->paletteLen);
	if (spec->trans != NULL)
		png_set_tRNS(png, info, spec->trans, spec->transLen, NULL);
	if (spec->ztxtBytes > 0)
	{
		png_text	t;

		text = malloc(spec->ztxtBytes + 1);
		memset(text, 'a', spec->ztxtBytes);
		text[spec->ztxtBytes] = '\0';
		memset(&t, 0, sizeof(t));
		t.compression = PNG_TEXT_COMPRESSION_zTXt;
		t.key = (png_charp) "Comment";
		t.text = text;
		t.text_length = spec->ztxtBytes;
		png_set_text(png, info, &t, 1);
	}
	png_write_info(png, info);
	passes = png_set_interlace_handling(png);
	for (pass = 0; pass < passes; pass++)
		for (y = 0; y < spec->height; y++)
			png_write_row(png, rows + (size_t) y * rowBytes);
	png_write_end(png, info);
	png_destroy_write_struct(&png, &info);
	free(text);
	*len = m.len;
	return m.buf;
}

uint8_t *
WriteZeroPng(int width, int height, size_t *len)
{
	MemOut		m;
	png_infop	info;
	png_structp png = StartPng(&m, &info);
	uint8_t    *row = calloc((size_t) width, 1);
	int			y;

	png_set_IHDR(png, info, (png_uint_32) width, (png_uint_32) height, 8,
				 PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
				 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_set_compression_level(png, 9);
	png_write_info(png, info);
	for (y = 0; y < height; y++)
		png_write_row(png, row);
	png_write_end(png, info);
	png_destroy_write_struct(&png, &info);
	free(row);
	*len = m.len;
	return m.buf;
}

void
FixPngCrc(uint8_t *png, size_t offset)
{
	uint32_t	n = ((uint32_t) png[offset] << 24) | ((uint32_t) png[offset + 1] << 16) |
		((uint32_t) png[offset + 2] << 8) | png[offset + 3];
	uLong		crc = crc32(0L, png + offset + 4, (uInt) (n + 4));
	uint8_t    *p = png + offset + 8 + n;

	p[0] = (uint8_t) (crc >> 24);
	p[1] = (uint8_t) (crc >> 16);
	p[2] = (uint8_t) (crc >> 8);
	p[3] = (uint8_t) crc;
}
