/*-------------------------------------------------------------------------
 *
 * test_png.c
 *	  PNG decoding tests: colour types, bit depths, limits, bombs, damage.
 *
 * test/image/test_png.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>

#include "image/bx_image.h"
#include "imgtest.h"
#include "imgutil.h"
#include "tap.h"

void
TestPng(void)
{
	int			w = 37,
				h = 23,
				x,
				y,
				i;
	uint8_t    *rgb = Pattern(w, h, 3);
	uint8_t    *grey = Pattern(w, h, 1);
	uint8_t    *rgba = malloc((size_t) w * h * 4);
	uint8_t    *ga = malloc((size_t) w * h * 2);
	uint8_t    *rgb16 = malloc((size_t) w * h * 6);
	uint8_t    *want = malloc((size_t) w * h * 3);
	uint8_t    *packed = calloc((size_t) h, 16);
	uint8_t    *data;
	size_t		len;
	PngSpec		s;
	BxImageOptions o;
	static const uint8_t pal[12] = {10, 20, 30, 200, 0, 0, 0, 200, 0, 0, 0, 200};
	static const uint8_t trans[4] = {0, 255, 128, 255};

	memset(&s, 0, sizeof(s));
	s.width = w;
	s.height = h;
	s.bitDepth = 8;
	s.colorType = PNG_COLOR_TYPE_RGB;
	data = WritePng(&s, rgb, (size_t) w * 3, &len);
	ExpectImage("PNG RGB 8-bit", data, len, NULL, w, h, 3, rgb, 0);
	free(data);
	s.interlace = true;
	data = WritePng(&s, rgb, (size_t) w * 3, &len);
	ExpectImage("PNG RGB interlaced", data, len, NULL, w, h, 3, rgb, 0);
	free(data);
	s.interlace = false;

	s.colorType = PNG_COLOR_TYPE_GRAY;
	data = WritePng(&s, grey, (size_t) w, &len);
	ExpectImage("PNG grey 8-bit stays grey", data, len, NULL, w, h, 1, grey, 0);
	for (i = 0; i < w * h; i++)
		want[3 * i] = want[3 * i + 1] = want[3 * i + 2] = grey[i];
	BxImageDefaultOptions(&o);
	o.forceRgb = true;
	ExpectImage("PNG grey with forceRgb", data, len, &o, w, h, 3, want, 0);
	free(data);

	/* RGBA and grey+alpha: alpha dropped, colour kept */
	for (i = 0; i < w * h; i++)
	{
		memcpy(rgba + 4 * i, rgb + 3 * i, 3);
		rgba[4 * i + 3] = (uint8_t) (i * 7);
		ga[2 * i] = grey[i];
		ga[2 * i + 1] = (uint8_t) (i * 3);
	}
	s.colorType = PNG_COLOR_TYPE_RGB_ALPHA;
	data = WritePng(&s, rgba, (size_t) w * 4, &len);
	ExpectImage("PNG RGBA: alpha dropped", data, len, NULL, w, h, 3, rgb, 0);
	free(data);
	s.colorType = PNG_COLOR_TYPE_GRAY_ALPHA;
	data = WritePng(&s, ga, (size_t) w * 2, &len);
	ExpectImage("PNG grey+alpha: alpha dropped", data, len, NULL, w, h, 1, grey, 0);
	free(data);

	/* 16-bit RGB, big-endian samples, scaled to 8 bits with rounding */
	for (i = 0; i < w * h * 3; i++)
	{
		unsigned	v = (unsigned) (i * 997) % 65536;

		rgb16[2 * i] = (uint8_t) (v >> 8);
		rgb16[2 * i + 1] = (uint8_t) v;
		want[i] = (uint8_t) ((v * 255 + 32767) / 65535);
	}
	s.colorType = PNG_COLOR_TYPE_RGB;
	s.bitDepth = 16;
	data = WritePng(&s, rgb16, (size_t) w * 6, &len);
	ExpectImage("PNG RGB 16-bit scaled to 8", data, len, NULL, w, h, 3, want, 0.01);
	free(data);

	/* 1-bit grey: 0 -> 0, 1 -> 255 */
	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++)
		{
			int			bit = (x + y) % 3 == 0;

			if (bit)
				packed[y * 16 + x / 8] |= (uint8_t) (0x80 >> (x % 8));
			grey[y * w + x] = bit ? 255 : 0;
		}
	s.colorType = PNG_COLOR_TYPE_GRAY;
	s.bitDepth = 1;
	data = WritePng(&s, packed, 16, &len);
	ExpectImage("PNG grey 1-bit expanded", data, len, NULL, w, h, 1, grey, 0);
	free(data);

	/* 2-bit palette with tRNS: colours from the palette, tRNS ignored */
	memset(packed, 0, (size_t) h * 16);
	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++)
		{
			int			idx = (x * 3 + y) % 4;

			packed[y * 16 + x / 4] |= (uint8_t) (idx << (6 - 2 * (x % 4)));
			memcpy(want + 3 * (y * w + x), pal + 3 * idx, 3);
		}
	s.colorType = PNG_COLOR_TYPE_PALETTE;
	s.bitDepth = 2;
	s.palette = pal;
	s.paletteLen = 4;
	s.trans = trans;
	s.transLen = 4;
	data = WritePng(&s, packed, 16, &len);
	ExpectImage("PNG 2-bit palette with tRNS", data, len, NULL, w, h, 3, want, 0);
	free(data);

	free(rgb);
	free(grey);
	free(rgba);
	free(ga);
	free(rgb16);
	free(want);
	free(packed);
}

/* Offset of the first chunk of the given type, or 0 */
static size_t
FindPngChunk(const uint8_t *p, size_t len, const char *type)
{
	size_t		pos = 8;

	while (pos + 12 <= len)
	{
		size_t		n = ((size_t) p[pos] << 24) | ((size_t) p[pos + 1] << 16) |
			((size_t) p[pos + 2] << 8) | p[pos + 3];

		if (memcmp(p + pos + 4, type, 4) == 0)
			return pos;
		pos += 12 + n;
	}
	return 0;
}

void
TestPngBad(void)
{
	uint8_t    *px = Pattern(40, 30, 3);
	uint8_t    *png,
			   *bad;
	size_t		len,
				n,
				idat;
	PngSpec		s;
	BxImageOptions o;
	int			fails = 0,
				leaks = 0;
	BxImage		img = NULL;

	memset(&s, 0, sizeof(s));
	s.width = 40;
	s.height = 30;
	s.bitDepth = 8;
	s.colorType = PNG_COLOR_TYPE_RGB;
	png = WritePng(&s, px, 40 * 3, &len);

	/* truncation: every prefix up to the end of the last IDAT fails */
	idat = FindPngChunk(png, len, "IEND");
	for (n = 1; n < idat; n++)
	{
		BxStatus st = Decode(png, n, NULL, &img);

		if (st != BX_EFORMAT || errbuf[0] == '\0')
			fails++;
		BxImageFree(img);
		img = NULL;
		if (CountingLive() != 0)
			leaks++;
	}
	TapOk(fails == 0 && leaks == 0,
		  "all %zu truncations of a PNG before IEND give BX_EFORMAT, no "
		  "leak (%d wrong, %d leaks)", idat - 1, fails, leaks);

	idat = FindPngChunk(png, len, "IDAT");
	bad = Patched(png, len, 0, png, 0);
	bad[idat + 8 + 10] ^= 0x55;
	/* zlib may notice before libpng's CRC check at the end of the chunk */
	ExpectFail("PNG with a damaged IDAT", bad, len, NULL, BX_EFORMAT,
			   "IDAT");
	free(bad);

	/* IHDR patched to huge sizes (CRC fixed): refused before any rows */
	{
		static const uint8_t huge[8] = {0, 1, 0x86, 0xA0, 0, 1, 0x86, 0xA0};	/* 100000 */
		static const uint8_t big[8] = {0, 0, 0x4E, 0x20, 0, 0, 0x4E, 0x20};	/* 20000 */
		static const uint8_t depth7[1] = {7};

		bad = Patched(png, len, 16, huge, 8);
		FixPngCrc(bad, 8);
		ExpectFail("PNG declaring 100000x100000", bad, len, NULL,
				   BX_ELIMIT, "largest supported dimension");
		free(bad);
		bad = Patched(png, len, 16, big, 8);
		FixPngCrc(bad, 8);
		CountingStart(0);
		ExpectFail("PNG declaring 20000x20000", bad, len, NULL, BX_ELIMIT,
				   "exceeds the limit");
		free(bad);
		bad = Patched(png, len, 24, depth7, 1);
		FixPngCrc(bad, 8);
		ExpectFail("PNG with bit depth 7", bad, len, NULL, BX_EFORMAT, NULL);
		free(bad);
	}
	BxImageDefaultOptions(&o);
	o.maxPixels = 40 * 30 - 1;
	ExpectFail("PNG one pixel over maxPixels", png, len, &o, BX_ELIMIT,
			   "1199 pixels");
	free(png);

	/* a real decompression bomb: 7200x7200 zeros, about 50 KiB of file */
	png = WriteZeroPng(7200, 7200, &len);
	ExpectFail("PNG bomb of 51.8 Mpixels in a small file", png, len, NULL,
			   BX_ELIMIT, "exceeds the limit");
	TapOk(CountingPeakBytes() < 256 * 1024,
		  "the bomb was refused with %zu bytes allocated (file %zu bytes)",
		  CountingPeakBytes(), len);
	free(png);

	/* a zTXt bomb (16 MiB of text) is skipped, never inflated */
	s.ztxtBytes = 16 * 1024 * 1024;
	png = WritePng(&s, px, 40 * 3, &len);
	TapOk(Decode(png, len, NULL, &img) == BX_OK &&
		  CountingPeakBytes() < 512 * 1024,
		  "PNG with a 16 MiB zTXt chunk (%zu bytes) decodes with a peak of "
		  "%zu bytes", len, CountingPeakBytes());
	BxImageFree(img);
	img = NULL;
	free(png);

	/* random damage */
	s.ztxtBytes = 0;
	png = WritePng(&s, px, 40 * 3, &len);
	fails = leaks = 0;
	for (n = 0; n < 400; n++)
	{
		uint8_t    *m = Patched(png, len, 0, png, 0);
		int			k,
					edits = 1 + (int) (TestRandom() % 4);
		BxStatus st;

		for (k = 0; k < edits; k++)
			m[8 + TestRandom() % (len - 8)] = (uint8_t) TestRandom();
		/* half of them with CRCs fixed, to get past the checksums */
		if (n % 2 == 0)
		{
			size_t		pos = 8;

			while (pos + 12 <= len)
			{
				size_t		cl = ((size_t) m[pos] << 24) | ((size_t) m[pos + 1] << 16) |
					((size_t) m[pos + 2] << 8) | m[pos + 3];

				if (cl > len - pos - 12)
					break;
				FixPngCrc(m, pos);
				pos += 12 + cl;
			}
		}
		img = NULL;
		st = Decode(m, len, NULL, &img);
		if (st == BX_OK ? img == NULL : (img != NULL || errbuf[0] == '\0'))
			fails++;
		BxImageFree(img);
		if (CountingLive() != 0)
			leaks++;
		free(m);
	}
	TapOk(fails == 0 && leaks == 0,
		  "400 randomly damaged PNGs: consistent results, no leak");
	free(png);
	free(px);
}

