/*-------------------------------------------------------------------------
 *
 * image_test.c
 *	  Unit tests of the image library (lib/image, lib/image/bx_image.h):
 *	  shared helpers, API checks, PNM, interrupts, allocation failures,
 *	  random input, real photos and main().  The JPEG, EXIF orientation
 *	  and PNG groups are in test_jpeg.c, test_orient.c and test_png.c.
 *
 * Every image is generated here with libjpeg and libpng; the real face
 * photos are read from $BX_DATA_DIR when present (skipped otherwise).
 * Decodes go through a counting allocator so that each failure is also
 * checked for leaks; LeakSanitizer covers libjpeg's malloc under
 * check-asan.  Prints TAP; exits 1 if a test failed.
 *
 * test/image/image_test.c
 *
 *-------------------------------------------------------------------------
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <png.h>

#include "image/bx_image.h"
#include "imgtest.h"
#include "imgutil.h"
#include "tap.h"

char		errbuf[BX_ERRBUF_SIZE];

/* Decode through the counting allocator */
BxStatus
Decode(const void *data, size_t len, const BxImageOptions *opts,
	   BxImage *img)
{
	BxImageOptions o;

	if (opts != NULL)
		o = *opts;
	else
		BxImageDefaultOptions(&o);
	o.allocator = CountingAllocator();
	CountingStart(0);
	errbuf[0] = '\0';
	return BxImageDecode(data, len, &o, img, errbuf, sizeof(errbuf));
}

/* Decode must fail with want, a message containing sub, and no leak */
bool
ExpectFail(const char *name, const void *data, size_t len,
		   const BxImageOptions *opts, BxStatus want, const char *sub)
{
	BxImage		img = (BxImage) 1;
	BxStatus st = Decode(data, len, opts, &img);
	bool		ok = st == want && img == NULL && errbuf[0] != '\0' &&
		(sub == NULL || strstr(errbuf, sub) != NULL) && CountingLive() == 0;

	if (!ok)
		TapDiag("%s: got %s \"%s\", live %ld", name, BxStatusName(st),
				errbuf, CountingLive());
	BxImageFree(st == BX_OK ? img : NULL);
	return TapOk(ok, "%s -> %s (%s)", name, BxStatusName(want), errbuf);
}

/* R = x gradient, G = y gradient, B constant: smooth, so JPEG is close */
uint8_t *
Pattern(int w, int h, int comps)
{
	uint8_t    *p = malloc((size_t) w * h * comps);
	int			x,
				y,
				c;

	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++)
			for (c = 0; c < comps; c++)
			{
				int			v = c == 0 ? x * 255 / (w > 1 ? w - 1 : 1) :
					c == 1 ? y * 255 / (h > 1 ? h - 1 : 1) : 128;

				p[((size_t) y * w + x) * comps + c] = (uint8_t) v;
			}
	return p;
}

double
MeanAbsDiff(const uint8_t *a, const uint8_t *b, size_t n)
{
	double		s = 0;
	size_t		i;

	for (i = 0; i < n; i++)
		s += abs((int) a[i] - (int) b[i]);
	return n ? s / (double) n : 0;
}

/* Decode, check size/channels/closeness to want, free, check leaks */
void
ExpectImage(const char *name, const void *data, size_t len,
			const BxImageOptions *opts, int w, int h, int ch,
			const uint8_t *want, double tol)
{
	BxImage		img = NULL;
	BxStatus st = Decode(data, len, opts, &img);
	double		d = -1;

	if (st != BX_OK)
	{
		TapOk(false, "%s decodes: %s %s", name, BxStatusName(st), errbuf);
		return;
	}
	if (img->width == w && img->height == h && img->channels == ch &&
		want != NULL)
		d = MeanAbsDiff(img->pixels, want, (size_t) w * h * ch);
	TapOk(img->width == w && img->height == h && img->channels == ch &&
		  img->stride == (size_t) w * ch && (want == NULL || (d >= 0 && d <= tol)),
		  "%s: %dx%dx%d (want %dx%dx%d), mean abs diff %.2f <= %.2f",
		  name, img->width, img->height, img->channels, w, h, ch, d, tol);
	BxImageFree(img);
	TapOk(CountingLive() == 0, "%s: no block left after BxImageFree", name);
}

/* Replace bytes [at, at+n) of a copy */
uint8_t    *
Patched(const uint8_t *src, size_t len, size_t at, const uint8_t *bytes, size_t n)
{
	uint8_t    *p = malloc(len);

	memcpy(p, src, len);
	memcpy(p + at, bytes, n);
	return p;
}

static void
TestDetectAndArgs(void)
{
	static const uint8_t jpg[] = {0xFF, 0xD8, 0xFF, 0xE0};
	static const uint8_t png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
	BxImageOptions o;
	BxImage		img;
	BxStatus st;
	char		small[6];

	TapOk(BxImageDetectFormat(jpg, 4) == BX_IMG_FORMAT_JPEG, "detect JPEG");
	TapOk(BxImageDetectFormat(png, 8) == BX_IMG_FORMAT_PNG, "detect PNG");
	TapOk(BxImageDetectFormat("P5 1", 4) == BX_IMG_FORMAT_PNM &&
		  BxImageDetectFormat("P3", 2) == BX_IMG_FORMAT_PNM, "detect PNM");
	TapOk(BxImageDetectFormat(png, 7) == BX_IMG_FORMAT_UNKNOWN &&
		  BxImageDetectFormat("P4", 2) == BX_IMG_FORMAT_UNKNOWN &&
		  BxImageDetectFormat(NULL, 0) == BX_IMG_FORMAT_UNKNOWN,
		  "short or other magic is unknown");

	ExpectFail("empty input", jpg, 0, NULL, BX_EFORMAT, "empty");
	ExpectFail("GIF", "GIF89a\x01\x00\x01\x00", 10, NULL, BX_EFORMAT, "GIF");
	ExpectFail("WebP", "RIFF\0\0\0\0WEBPVP8 ", 16, NULL, BX_EFORMAT, "WebP");
	ExpectFail("text", "hello, world", 12, NULL, BX_EFORMAT,
			   "unrecognised");
	BxImageDefaultOptions(&o);
	o.maxBytes = 3;
	ExpectFail("input over maxBytes", jpg, 4, &o, BX_ELIMIT, "4 bytes");
	BxImageDefaultOptions(&o);
	o.maxScans = 0;
	ExpectFail("maxScans 0", jpg, 4, &o, BX_EINVAL, "options");
	st = BxImageDecode(jpg, 4, NULL, NULL, errbuf, sizeof(errbuf));
	TapOk(st == BX_EINVAL, "NULL output pointer -> BX_EINVAL");
	st = BxImageDecode(NULL, 4, NULL, &img, errbuf, sizeof(errbuf));
	TapOk(st == BX_EINVAL && img == NULL, "NULL data -> BX_EINVAL");
	memset(small, 'x', sizeof(small));
	st = BxImageDecode("hello, world", 12, NULL, &img, small, 5);
	TapOk(st == BX_EFORMAT && strlen(small) == 4 && small[5] == 'x',
		  "a short error buffer is cut and NUL-terminated");
	st = BxImageDecode("hello, world", 12, NULL, &img, NULL, 0);
	TapOk(st == BX_EFORMAT, "no error buffer is fine");
	TapOk(strcmp(BxStatusName(BX_ELIMIT), "BX_ELIMIT") == 0 &&
		  strcmp(BxImageFormatName(BX_IMG_FORMAT_PNG), "PNG") == 0,
		  "status and format names");
	TapOk(BxImageCreate(0, 5, 3, NULL) == NULL &&
		  BxImageCreate(5, 5, 2, NULL) == NULL, "BxImageCreate checks sizes");
	BxImageFree(NULL);
}

static int	interruptCalls;
static int	interruptAt;

static int
InterruptAfter(void *arg)
{
	(void) arg;
	return ++interruptCalls >= interruptAt;
}

static void
ExpectInterrupt(const char *name, const void *data, size_t len)
{
	BxImageOptions o;

	BxImageDefaultOptions(&o);
	o.interrupt = InterruptAfter;
	interruptCalls = 0;
	interruptAt = 3;
	ExpectFail(name, data, len, &o, BX_EINTERRUPTED, "interrupted");
}

static void
TestInterrupt(void)
{
	JpegSpec	s;
	uint8_t    *px = Pattern(64, 48, 3);
	uint8_t    *data;
	size_t		len;
	PngSpec		ps;
	char		pnm[64];
	size_t		hdr;
	uint8_t    *p6;

	memset(&s, 0, sizeof(s));
	s.width = 64;
	s.height = 48;
	s.components = 3;
	data = WriteJpeg(&s, px, &len);
	ExpectInterrupt("interrupt during a baseline JPEG", data, len);
	free(data);
	s.progressive = true;
	data = WriteJpeg(&s, px, &len);
	ExpectInterrupt("interrupt during progressive scans", data, len);
	free(data);

	memset(&ps, 0, sizeof(ps));
	ps.width = 64;
	ps.height = 48;
	ps.colorType = PNG_COLOR_TYPE_RGB;
	ps.bitDepth = 8;
	ps.interlace = true;
	data = WritePng(&ps, px, 64 * 3, &len);
	ExpectInterrupt("interrupt during an interlaced PNG", data, len);
	free(data);

	hdr = (size_t) snprintf(pnm, sizeof(pnm), "P6\n64 48\n255\n");
	p6 = malloc(hdr + 64 * 48 * 3);
	memcpy(p6, pnm, hdr);
	memcpy(p6 + hdr, px, 64 * 48 * 3);
	ExpectInterrupt("interrupt during a PPM", p6, hdr + 64 * 48 * 3);
	free(p6);
	free(px);
}

/* Fail each allocation in turn: always ENOMEM, never a leak */
static void
SweepAllocFailures(const char *name, const void *data, size_t len)
{
	BxImageOptions o;
	BxImage		img = NULL;
	long		total,
				k;
	int			wrong = 0,
				leaks = 0;

	BxImageDefaultOptions(&o);
	o.allocator = CountingAllocator();
	CountingStart(0);
	if (BxImageDecode(data, len, &o, &img, errbuf, sizeof(errbuf)) != BX_OK)
	{
		TapOk(false, "%s decodes: %s", name, errbuf);
		return;
	}
	BxImageFree(img);
	total = CountingCalls();
	for (k = 1; k <= total; k++)
	{
		BxStatus st;

		CountingStart(k);
		img = NULL;
		st = BxImageDecode(data, len, &o, &img, errbuf, sizeof(errbuf));
		if (st != BX_ENOMEM || img != NULL || errbuf[0] == '\0')
		{
			if (wrong++ == 0)
				TapDiag("%s: allocation %ld failing gave %s: %s", name, k,
						BxStatusName(st), errbuf);
		}
		BxImageFree(img);
		if (CountingLive() != 0)
			leaks++;
	}
	TapOk(total > 0 && wrong == 0 && leaks == 0,
		  "%s: each of %ld allocations failing gives BX_ENOMEM, no leak",
		  name, total);
}

static void
TestAllocFailures(void)
{
	JpegSpec	s;
	uint8_t    *px = Pattern(40, 30, 4);
	uint8_t		exif[64];
	uint8_t    *data;
	size_t		len;
	PngSpec		ps;
	static const uint8_t pal[12] = {0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255};

	memset(&s, 0, sizeof(s));
	s.width = 40;
	s.height = 30;
	s.components = 3;
	s.app1 = exif;
	s.app1Len = MakeExif(exif, sizeof(exif), true, 6);
	data = WriteJpeg(&s, px, &len);
	SweepAllocFailures("JPEG with orientation 6", data, len);
	free(data);
	memset(&s, 0, sizeof(s));
	s.width = 40;
	s.height = 30;
	s.components = 4;
	data = WriteJpeg(&s, px, &len);
	SweepAllocFailures("CMYK JPEG", data, len);
	free(data);

	memset(&ps, 0, sizeof(ps));
	ps.width = 40;
	ps.height = 30;
	ps.colorType = PNG_COLOR_TYPE_PALETTE;
	ps.bitDepth = 2;
	ps.interlace = true;
	ps.palette = pal;
	ps.paletteLen = 4;
	data = WritePng(&ps, px, 10, &len);
	SweepAllocFailures("interlaced palette PNG", data, len);
	free(data);
	SweepAllocFailures("PGM", "P5 2 2 255\n\1\2\3\4", 15);
	free(px);
}

static void
TestPnm(void)
{
	static const uint8_t g4[4] = {0, 85, 170, 255};
	static const uint8_t rgb2[6] = {255, 0, 0, 0, 0, 255};
	static const uint8_t g4rgb[12] = {0, 0, 0, 85, 85, 85, 170, 170, 170, 255, 255, 255};
	BxImageOptions o;

	ExpectImage("P5 binary PGM", "P5 2 2 255\n\0\x55\xaa\xff", 15, NULL,
				2, 2, 1, g4, 0);
	ExpectImage("P5 with comments", "P5\n# made by hand\n2 # w\n2\n255\n\0\x55\xaa\xff",
				42, NULL, 2, 2, 1, g4, 0);
	ExpectImage("P5 maxval 3", "P5 2 2 3\n\0\1\2\3", 13, NULL, 2, 2, 1, g4, 0);
	ExpectImage("P5 16-bit", "P5 2 2 65535\n\0\0\x55\x55\xaa\xaa\xff\xff", 21,
				NULL, 2, 2, 1, g4, 0);
	ExpectImage("P2 plain PGM", "P2 2 2 255\n0 85\n170 255\n", 24, NULL,
				2, 2, 1, g4, 0);
	ExpectImage("P6 binary PPM", "P6 2 1 255\n\xff\0\0\0\0\xff", 17, NULL,
				2, 1, 3, rgb2, 0);
	ExpectImage("P3 plain PPM", "P3 2 1 255 255 0 0 0 0 255", 26, NULL,
				2, 1, 3, rgb2, 0);
	BxImageDefaultOptions(&o);
	o.forceRgb = true;
	ExpectImage("P5 with forceRgb", "P5 2 2 255\n\0\x55\xaa\xff", 15, &o,
				2, 2, 3, g4rgb, 0);
	ExpectImage("trailing bytes after the raster are ignored",
				"P5 2 2 255\n\0\x55\xaa\xffP5 1 1 255\n\0", 28, NULL,
				2, 2, 1, g4, 0);

	ExpectFail("P5 truncated raster", "P5 2 2 255\n\0\1\2", 14, NULL,
			   BX_EFORMAT, "truncated");
	ExpectFail("P5 header only", "P5 2 2 255", 10, NULL, BX_EFORMAT, NULL);
	ExpectFail("P5 no maxval", "P5 2 2\n", 7, NULL, BX_EFORMAT, "maxval");
	ExpectFail("P5 letters for width", "P5 ab 2 255\n", 12, NULL,
			   BX_EFORMAT, "header");
	ExpectFail("P5 width 0", "P5 0 2 255\n", 11, NULL, BX_EFORMAT, "zero");
	ExpectFail("P5 maxval 0", "P5 1 1 0\n\0", 10, NULL, BX_EFORMAT, "maxval");
	ExpectFail("P5 maxval 65536", "P5 1 1 65536\n\0\0", 16, NULL,
			   BX_EFORMAT, "maxval");
	ExpectFail("P5 sample above maxval", "P5 1 1 3\n\4", 10, NULL,
			   BX_EFORMAT, "exceeds maxval");
	ExpectFail("P2 sample above maxval", "P2 1 1 3 7", 10, NULL,
			   BX_EFORMAT, "exceeds maxval");
	ExpectFail("P3 truncated", "P3 2 1 255 255 0 0 0 0", 22, NULL,
			   BX_EFORMAT, "truncated");
	ExpectFail("P5 100000x100000", "P5 100000 100000 255\n", 21, NULL,
			   BX_ELIMIT, "largest supported");
	ExpectFail("P5 20000x20000", "P5 20000 20000 255\n", 19, NULL,
			   BX_ELIMIT, "exceeds the limit");
	ExpectFail("P5 with a 30-digit width",
			   "P5 999999999999999999999999999999 1 255\n", 40, NULL,
			   BX_ELIMIT, NULL);
	ExpectFail("P5 no whitespace before raster", "P5 1 1 255", 10, NULL,
			   BX_EFORMAT, NULL);
}

/* Random bytes, bare and behind each magic number */
static void
TestRandomBytes(void)
{
	static const char *const magic[] = {"", "\xff\xd8\xff", "\x89PNG\r\n\x1a\n", "P5 ", "P6\n8 8 255\n", "P3 "};
	int			fails = 0,
				leaks = 0,
				okCount = 0,
				i;

	for (i = 0; i < 1200; i++)
	{
		const char *m = magic[i % 6];
		size_t		ml = strlen(m) + (i % 6 == 2 ? 8 - strlen(m) : 0);
		size_t		len = ml + TestRandom() % 600;
		uint8_t    *buf = malloc(len + 1);
		BxImage		img = NULL;
		BxStatus st;
		size_t		k;

		memcpy(buf, m, ml);
		for (k = ml; k < len; k++)
			buf[k] = (uint8_t) TestRandom();
		st = Decode(buf, len, NULL, &img);
		if (st == BX_OK)
			okCount++;
		if (st == BX_OK ? img == NULL : (img != NULL || errbuf[0] == '\0'))
			fails++;
		BxImageFree(img);
		if (CountingLive() != 0)
			leaks++;
		free(buf);
	}
	TapOk(fails == 0 && leaks == 0,
		  "1200 random inputs (6 prefixes): consistent results, no leak "
		  "(%d decoded)", okCount);
}

static void
TestRealFiles(void)
{
	char		path[1024];
	int			s,
				i,
				n = 0,
				good = 0;
	char	  **files;

	snprintf(path, sizeof(path), "%s/faces/att_orl/s1/1.pgm", DataDir());
	if (access(path, R_OK) != 0)
		TapSkip("ORL images not found under %s/faces", DataDir());
	else
	{
		for (s = 1; s <= 40; s++)
			for (i = 1; i <= 10; i++)
			{
				size_t		len;
				void	   *data;
				BxImage		img = NULL;

				snprintf(path, sizeof(path), "%s/faces/att_orl/s%d/%d.pgm",
						 DataDir(), s, i);
				data = ReadWholeFile(path, &len);
				n++;
				if (data != NULL && Decode(data, len, NULL, &img) == BX_OK &&
					img->width == 92 && img->height == 112 && img->channels == 1)
					good++;
				BxImageFree(img);
				free(data);
			}
		TapOk(good == 400, "all 400 ORL PGMs decode to 92x112 grey (%d/%d)",
			  good, n);
	}

	snprintf(path, sizeof(path), "%s/faces/lfw_singletons/images", DataDir());
	n = ListSubdirFiles(path, ".jpg", &files);
	if (n == 0)
	{
		TapSkip("LFW images not found under %s/faces", DataDir());
		return;
	}
	good = 0;
	for (i = 0; i < n; i++)
	{
		size_t		len;
		void	   *data = ReadWholeFile(files[i], &len);
		BxImage		img = NULL;

		if (data != NULL && Decode(data, len, NULL, &img) == BX_OK &&
			img->width == 250 && img->height == 250 && img->channels == 3)
			good++;
		else
			TapDiag("%s: %s", files[i], errbuf);
		BxImageFree(img);
		free(data);
	}
	FreePaths(files, n);
	TapOk(good == n, "all %d LFW JPEGs decode to 250x250 RGB (%d ok)",
		  n, good);
}

int
main(void)
{
	TestDetectAndArgs();
	TestJpegDecode();
	TestJpegCmyk();
	TestJpegScale();
	TestOrientation();
	TestJpegBad();
	TestJpegScans();
	TestInterrupt();
	TestAllocFailures();
	TestPng();
	TestPngBad();
	TestPnm();
	TestRandomBytes();
	TestRealFiles();
	return TapDone();
}
