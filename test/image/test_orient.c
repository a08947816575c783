/*-------------------------------------------------------------------------
 *
 * test_orient.c
 *	  EXIF orientation tests.
 *
 * test/image/test_orient.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/bx_image.h"
#include "imgtest.h"
#include "imgutil.h"
#include "tap.h"

/*
 * EXIF orientation, checked against the meaning of the tag rather than
 * against rotation formulas: the table says on which displayed side the
 * stored 0th row and 0th column lie.  A stored corner then appears where
 * its row's side meets its column's side.
 */
enum Side
{
	TOP, BOTTOM, LEFT, RIGHT
};

static const enum Side rowSide[9] = {0, TOP, TOP, BOTTOM, BOTTOM, LEFT, RIGHT, RIGHT, LEFT};
static const enum Side colSide[9] = {0, LEFT, RIGHT, RIGHT, LEFT, TOP, TOP, BOTTOM, BOTTOM};

static enum Side
Opposite(enum Side s)
{
	return s == TOP ? BOTTOM : s == BOTTOM ? TOP : s == LEFT ? RIGHT : LEFT;
}

/* Pixel 3 px inside the displayed corner where sides a and b meet */
static const uint8_t *
CornerPixel(BxImage img, enum Side a, enum Side b)
{
	bool		bottom = a == BOTTOM || b == BOTTOM;
	bool		right = a == RIGHT || b == RIGHT;
	int			x = right ? img->width - 4 : 3;
	int			y = bottom ? img->height - 4 : 3;

	return img->pixels + (size_t) y * img->stride + (size_t) x * 3;
}

static bool
Near(const uint8_t *px, const uint8_t *want)
{
	return abs(px[0] - want[0]) < 40 && abs(px[1] - want[1]) < 40 &&
		abs(px[2] - want[2]) < 40;
}

void
TestOrientation(void)
{
	static const uint8_t red[3] = {255, 0, 0},
				green[3] = {0, 255, 0},
				blue[3] = {0, 0, 255},
				white[3] = {255, 255, 255};
	int			w = 48,
				h = 32,
				x,
				y,
				o;
	uint8_t    *px = malloc((size_t) w * h * 3);
	uint8_t		exif[64];
	JpegSpec	s;
	int			be;

	/* stored quadrants: TL red, TR green, BL blue, BR white */
	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++)
			memcpy(px + ((size_t) y * w + x) * 3,
				   y < h / 2 ? (x < w / 2 ? red : green) :
				   (x < w / 2 ? blue : white), 3);
	memset(&s, 0, sizeof(s));
	s.width = w;
	s.height = h;
	s.components = 3;
	s.quality = 95;
	s.app1 = exif;

	for (be = 0; be <= 1; be++)
		for (o = 1; o <= 8; o++)
		{
			uint8_t    *jpeg;
			size_t		len;
			BxImage		img = NULL;
			BxStatus st;
			bool		ok;

			s.app1Len = MakeExif(exif, sizeof(exif), be, o);
			jpeg = WriteJpeg(&s, px, &len);
			st = Decode(jpeg, len, NULL, &img);
			ok = st == BX_OK && img->orientation == o &&
				img->width == (o >= 5 ? h : w) && img->height == (o >= 5 ? w : h) &&
				img->fullWidth == img->width &&
				Near(CornerPixel(img, rowSide[o], colSide[o]), red) &&
				Near(CornerPixel(img, rowSide[o], Opposite(colSide[o])), green) &&
				Near(CornerPixel(img, Opposite(rowSide[o]), colSide[o]), blue) &&
				Near(CornerPixel(img, Opposite(rowSide[o]), Opposite(colSide[o])), white);
			TapOk(ok, "EXIF orientation %d (%s): upright %dx%d, corners as "
				  "the tag says", o, be ? "big-endian" : "little-endian",
				  img ? img->width : 0, img ? img->height : 0);
			BxImageFree(img);
			TapOk(CountingLive() == 0, "orientation %d: no leak", o);
			free(jpeg);
		}

	/* orientation 6 ignored on request */
	{
		BxImageOptions opt;
		uint8_t    *jpeg;
		size_t		len;
		BxImage		img = NULL;

		BxImageDefaultOptions(&opt);
		opt.ignoreOrientation = true;
		s.app1Len = MakeExif(exif, sizeof(exif), false, 6);
		jpeg = WriteJpeg(&s, px, &len);
		TapOk(Decode(jpeg, len, &opt, &img) == BX_OK && img->width == w &&
			  img->orientation == 1, "ignoreOrientation keeps stored layout");
		BxImageFree(img);
		free(jpeg);

		/* orientation with DCT scaling: both applied, sizes consistent */
		{
			uint8_t    *big = Pattern(800, 400, 3);
			JpegSpec	s2 = s;

			s2.width = 800;
			s2.height = 400;
			jpeg = WriteJpeg(&s2, big, &len);
			BxImageDefaultOptions(&opt);
			opt.targetLongSide = 200;
			img = NULL;
			TapOk(Decode(jpeg, len, &opt, &img) == BX_OK &&
				  img->width == 100 && img->height == 200 &&
				  img->fullWidth == 400 && img->fullHeight == 800,
				  "orientation 6 + 2/8 scaling: 100x200 of 400x800");
			BxImageFree(img);
			free(jpeg);
			free(big);
		}
	}

	/* malformed Exif never fails the decode, it just means orientation 1 */
	{
		struct
		{
			const char *what;
			int			offset;	/* byte to patch in the payload */
			uint8_t		value;
			size_t		cut;	/* payload length, 0: full */
			int			want;	/* orientation expected */
		}			bad[] = {
			{"IFD offset past the end", 10, 0x7F, 0, 1},
			{"entry count 65535: the entry that fits is used", 14, 0xFF, 0, 6},
			{"type LONG", 18, 4, 0, 1},
			{"value 9", 24, 9, 0, 1},
			{"truncated entry", 0, 0, 20, 1},
			{"bad byte order", 6, 'X', 0, 1},
			{"payload of 8 bytes", 0, 0, 8, 1},
		};
		size_t		k;

		for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++)
		{
			uint8_t    *jpeg;
			size_t		len;
			BxImage		img = NULL;
			size_t		n = MakeExif(exif, sizeof(exif), false, 6);

			if (bad[k].cut)
				n = bad[k].cut;
			else
			{
				exif[bad[k].offset] = bad[k].value;
				if (bad[k].offset == 14)
					exif[15] = 0xFF;
			}
			s.app1Len = n;
			jpeg = WriteJpeg(&s, px, &len);
			TapOk(Decode(jpeg, len, NULL, &img) == BX_OK &&
				  img->orientation == bad[k].want &&
				  img->width == (bad[k].want == 6 ? h : w),
				  "malformed Exif (%s): decoded with orientation %d",
				  bad[k].what, bad[k].want);
			BxImageFree(img);
			free(jpeg);
		}
	}
	free(px);
}

