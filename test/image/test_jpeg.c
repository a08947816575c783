/*-------------------------------------------------------------------------
 *
 * test_jpeg.c
 *	  JPEG decoding tests: colour spaces, DCT scaling, bad input, scans.
 *
 * test/image/test_jpeg.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/bx_image.h"
#include "imgtest.h"
#include "imgutil.h"
#include "tap.h"

void
TestJpegDecode(void)
{
	JpegSpec	s;
	uint8_t    *rgb = Pattern(64, 48, 3);
	uint8_t    *grey = Pattern(64, 48, 1);
	uint8_t    *grey3 = malloc(64 * 48 * 3);
	uint8_t    *jpeg;
	size_t		len;
	BxImageOptions o;
	int			i;

	for (i = 0; i < 64 * 48; i++)
		grey3[3 * i] = grey3[3 * i + 1] = grey3[3 * i + 2] = grey[i];

	memset(&s, 0, sizeof(s));
	s.width = 64;
	s.height = 48;
	s.components = 3;
	s.quality = 95;
	jpeg = WriteJpeg(&s, rgb, &len);
	ExpectImage("baseline RGB JPEG", jpeg, len, NULL, 64, 48, 3, rgb, 3.0);
	free(jpeg);

	s.progressive = true;
	jpeg = WriteJpeg(&s, rgb, &len);
	ExpectImage("progressive RGB JPEG", jpeg, len, NULL, 64, 48, 3, rgb, 3.0);
	free(jpeg);

	s.progressive = false;
	s.components = 1;
	jpeg = WriteJpeg(&s, grey, &len);
	ExpectImage("grey JPEG stays grey", jpeg, len, NULL, 64, 48, 1, grey, 2.0);
	BxImageDefaultOptions(&o);
	o.forceRgb = true;
	ExpectImage("grey JPEG with forceRgb", jpeg, len, &o, 64, 48, 3, grey3, 2.0);
	free(jpeg);
	free(rgb);
	free(grey);
	free(grey3);
}

/* Adobe CMYK and YCCK become RGB: inverted CMYK, R = C * K / 255 */
void
TestJpegCmyk(void)
{
	JpegSpec	s;
	int			w = 32,
				h = 16,
				i;
	uint8_t    *cmyk = malloc((size_t) w * h * 4);
	uint8_t    *want = malloc((size_t) w * h * 3);
	uint8_t    *jpeg;
	size_t		len;

	for (i = 0; i < w * h; i++)
	{
		/* left half red, right half 50% grey (as stored by Photoshop) */
		bool		left = (i % w) < w / 2;
		uint8_t		px[4] = {255, 0, 0, 255};

		if (!left)
		{
			px[0] = px[1] = px[2] = 255;
			px[3] = 128;
		}
		memcpy(cmyk + 4 * i, px, 4);
		want[3 * i] = left ? 255 : 128;
		want[3 * i + 1] = left ? 0 : 128;
		want[3 * i + 2] = left ? 0 : 128;
	}
	memset(&s, 0, sizeof(s));
	s.width = w;
	s.height = h;
	s.components = 4;
	s.quality = 100;
	jpeg = WriteJpeg(&s, cmyk, &len);
	ExpectImage("Adobe CMYK JPEG to RGB", jpeg, len, NULL, w, h, 3, want, 4.0);
	free(jpeg);
	s.ycck = true;
	jpeg = WriteJpeg(&s, cmyk, &len);
	ExpectImage("Adobe YCCK JPEG to RGB", jpeg, len, NULL, w, h, 3, want, 6.0);
	free(jpeg);
	free(cmyk);
	free(want);
}

/* DCT scaling: smallest M/8 with long side >= target */
void
TestJpegScale(void)
{
	static const struct
	{
		int			w,
					h,
					target,
					ow,
					oh;
	}			cases[] = {
		{1600, 1200, 640, 800, 600},	/* 3/8 gives 600 < 640: 4/8 */
		{1600, 1200, 600, 600, 450},	/* 3/8 */
		{1600, 1200, 0, 1600, 1200},	/* no hint */
		{1600, 1200, 4000, 1600, 1200}, /* never upscales */
		{1200, 1600, 300, 300, 400},	/* 2/8, portrait */
		{1200, 1600, 200, 150, 200},	/* 1/8 is exactly enough */
		{1000, 250, 100, 125, 32},	/* 1/8, sizes round up */
	};
	size_t		k;

	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++)
	{
		JpegSpec	s;
		uint8_t    *px = Pattern(cases[k].w, cases[k].h, 3);
		uint8_t    *jpeg;
		size_t		len;
		BxImageOptions o;
		BxImage		img = NULL;
		BxStatus st;

		memset(&s, 0, sizeof(s));
		s.width = cases[k].w;
		s.height = cases[k].h;
		s.components = 3;
		jpeg = WriteJpeg(&s, px, &len);
		BxImageDefaultOptions(&o);
		o.targetLongSide = cases[k].target;
		st = Decode(jpeg, len, &o, &img);
		TapOk(st == BX_OK && img->width == cases[k].ow &&
			  img->height == cases[k].oh && img->fullWidth == cases[k].w &&
			  img->fullHeight == cases[k].h,
			  "DCT scaling %dx%d, target %d -> %dx%d (got %dx%d, full %dx%d)",
			  cases[k].w, cases[k].h, cases[k].target, cases[k].ow,
			  cases[k].oh, img ? img->width : 0, img ? img->height : 0,
			  img ? img->fullWidth : 0, img ? img->fullHeight : 0);
		BxImageFree(img);
		free(jpeg);
		free(px);
	}
}

void
TestJpegBad(void)
{
	JpegSpec	s;
	uint8_t    *px = Pattern(64, 48, 3);
	uint8_t    *jpeg,
			   *bad;
	size_t		len,
				n,
				sof,
				dqt;
	BxImageOptions o;
	int			fails = 0,
				leaks = 0,
				nomsg = 0;

	memset(&s, 0, sizeof(s));
	s.width = 64;
	s.height = 48;
	s.components = 3;
	jpeg = WriteJpeg(&s, px, &len);

	/* every truncation fails: libjpeg's fake EOI warning is an error */
	for (n = 1; n < len; n++)
	{
		BxImage		img = NULL;
		BxStatus st = Decode(jpeg, n, NULL, &img);

		if (st != BX_EFORMAT)
			fails++;
		if (errbuf[0] == '\0')
			nomsg++;
		BxImageFree(img);
		if (CountingLive() != 0)
			leaks++;
	}
	TapOk(fails == 0 && leaks == 0 && nomsg == 0,
		  "all %zu truncations of a JPEG give BX_EFORMAT with a message, "
		  "no leak (%d wrong, %d leaks)", len - 1, fails, leaks);
	ExpectFail("JPEG cut in the middle of the scan", jpeg, len / 2 + 100,
			   NULL, BX_EFORMAT, "Premature end");

	/* garbage between two header segments: a corrupt-data warning */
	dqt = FindJpegMarker(jpeg, len, 0xDB);
	if (dqt > 0)
	{
		size_t		seg = 2 + (((size_t) jpeg[dqt + 2] << 8) | jpeg[dqt + 3]);
		size_t		at = dqt + seg;

		bad = malloc(len + 3);
		memcpy(bad, jpeg, at);
		memcpy(bad + at, "\x12\x34\x56", 3);
		memcpy(bad + at + 3, jpeg + at, len - at);
		ExpectFail("extraneous bytes before a marker (warning)", bad, len + 3,
				   NULL, BX_EFORMAT, "Corrupt JPEG data");
		free(bad);
	}
	else
		TapOk(false, "DQT marker found");

	/* declared dimensions */
	sof = FindJpegMarker(jpeg, len, 0xC0);
	if (sof > 0)
	{
		static const uint8_t huge[4] = {0xEA, 0x60, 0xEA, 0x60};	/* 60000 */
		static const uint8_t zero[4] = {0x00, 0x00, 0x00, 0x40};
		static const uint8_t big[4] = {0xFF, 0xFF, 0xFF, 0xFF};

		bad = Patched(jpeg, len, sof + 5, huge, 4);
		ExpectFail("JPEG declaring 60000x60000", bad, len, NULL, BX_ELIMIT,
				   "exceeds the limit");
		free(bad);
		bad = Patched(jpeg, len, sof + 5, big, 4);
		ExpectFail("JPEG declaring 65535x65535", bad, len, NULL, BX_ELIMIT,
				   NULL);
		free(bad);
		bad = Patched(jpeg, len, sof + 5, zero, 4);
		ExpectFail("JPEG declaring height 0", bad, len, NULL, BX_EFORMAT,
				   NULL);
		free(bad);
	}
	else
		TapOk(false, "SOF0 marker found");
	BxImageDefaultOptions(&o);
	o.maxPixels = 64 * 48 - 1;
	ExpectFail("JPEG one pixel over maxPixels", jpeg, len, &o, BX_ELIMIT,
			   "3071 pixels");

	/* random damage: any status, but never a crash, a leak or no message */
	fails = leaks = 0;
	for (n = 0; n < 400; n++)
	{
		uint8_t    *m = Patched(jpeg, len, 0, jpeg, 0);
		int			k,
					edits = 1 + (int) (TestRandom() % 4);
		BxImage		img = NULL;
		BxStatus st;

		for (k = 0; k < edits; k++)
			m[2 + TestRandom() % (len - 2)] = (uint8_t) TestRandom();
		st = Decode(m, len, NULL, &img);
		if (st == BX_OK ? (img == NULL || img->width <= 0) :
			(img != NULL || errbuf[0] == '\0'))
			fails++;
		BxImageFree(img);
		if (CountingLive() != 0)
			leaks++;
		free(m);
	}
	TapOk(fails == 0 && leaks == 0,
		  "400 randomly damaged JPEGs: consistent results, no leak");
	free(jpeg);
	free(px);
}

/* A progressive file whose full AC scan repeats: valid, but costly */
void
TestJpegScans(void)
{
	JpegSpec	s;
	uint8_t    *px = Pattern(64, 64, 1);
	uint8_t    *jpeg,
			   *bomb;
	size_t		len,
				blen;
	BxImageOptions o;
	BxImage		img = NULL;

	memset(&s, 0, sizeof(s));
	s.width = 64;
	s.height = 64;
	s.components = 1;
	s.fullAcScans = true;
	jpeg = WriteJpeg(&s, px, &len);
	bomb = RepeatSecondScan(jpeg, len, 1000, &blen);
	if (bomb == NULL)
	{
		TapOk(false, "scan layout as expected");
		free(jpeg);
		free(px);
		return;
	}
	ExpectFail("progressive JPEG with 1001 scans, limit 100", bomb, blen, NULL,
			   BX_ELIMIT, "more than 100 scans");
	BxImageDefaultOptions(&o);
	o.maxScans = 2000;
	TapOk(Decode(bomb, blen, &o, &img) == BX_OK && img->width == 64,
		  "the same file decodes with maxScans 2000 (the limit is what "
		  "stopped it): %s", errbuf);
	BxImageFree(img);
	o.maxScans = 2;
	img = NULL;
	TapOk(Decode(jpeg, len, &o, &img) == BX_OK,
		  "a 2-scan file passes maxScans 2");
	BxImageFree(img);
	o.maxScans = 1;
	ExpectFail("a 2-scan file with maxScans 1", jpeg, len, &o, BX_ELIMIT,
			   "scans");
	BxImageDefaultOptions(&o);
	o.maxDecoderMemory = 16 * 1024;	/* the coefficients need 8 KiB + tables */
	ExpectFail("progressive 64x64 with 16 KiB of decoder memory", jpeg, len,
			   &o, BX_ELIMIT, "decoder memory");
	o.maxDecoderMemory = 1024 * 1024;
	img = NULL;
	TapOk(Decode(jpeg, len, &o, &img) == BX_OK,
		  "the same with 1 MiB: %s", errbuf);
	BxImageFree(img);
	free(bomb);
	free(jpeg);
	free(px);
}

