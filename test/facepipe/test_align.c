/*-------------------------------------------------------------------------
 *
 * test_align.c
 *	  Alignment tests that need no model: the similarity transform
 *	  (known transforms recovered, least squares, no reflection) and the
 *	  warp (exact on linear colour ramps, supersampling, outside black).
 *
 * test/facepipe/test_align.c
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/bx_image.h"
#include "facepipe/facepipe.h"
#include "fptest.h"
#include "imgutil.h"
#include "tap.h"

#define TEST_PI 3.14159265358979323846

static double
Rand01(void)
{
	return TestRandom() / 4294967296.0;
}

/* Apply m (2x3) to a point */
static void
Apply(const double m[6], double x, double y, double *ox, double *oy)
{
	*ox = m[0] * x + m[1] * y + m[2];
	*oy = m[3] * x + m[4] * y + m[5];
}

void
TestSimilarity(void)
{
	float		src[5][2],
				dst[5][2];
	double		m[6];
	int			trial,
				i,
				bad = 0;

	/* exact recovery of random similarities, both ways round */
	for (trial = 0; trial < 200; trial++)
	{
		double		ang = (Rand01() - 0.5) * 2 * TEST_PI;
		double		sc = 0.05 + 5 * Rand01();
		double		tx = (Rand01() - 0.5) * 1000,
					ty = (Rand01() - 0.5) * 1000;
		double		a = sc * cos(ang),
					b = sc * sin(ang);
		double		err1 = 0;

		for (i = 0; i < 5; i++)
		{
			src[i][0] = (float) (Rand01() * 300);
			src[i][1] = (float) (Rand01() * 300);
			dst[i][0] = (float) (a * src[i][0] - b * src[i][1] + tx);
			dst[i][1] = (float) (b * src[i][0] + a * src[i][1] + ty);
		}
		if (BxFaceSimilarity(src, dst, 5, m) != BX_OK)
		{
			bad++;
			continue;
		}
		err1 = fmax(fabs(m[0] - a), fabs(m[3] - b));
		err1 = fmax(err1, fmax(fabs(m[2] - tx), fabs(m[5] - ty)) / 1000);
		if (err1 > 1e-4 || m[4] != m[0] || m[1] != -m[3])
			bad++;
	}
	TapOk(bad == 0, "200 random similarities recovered exactly (%d off)", bad);

	/* least squares with noise: the residual is at a minimum */
	{
		double		r0 = 0,
					worse = 0;
		int			p;

		for (i = 0; i < 5; i++)
		{
			src[i][0] = BxFaceReference[i][0] * 2 + 40;
			src[i][1] = BxFaceReference[i][1] * 2 + 10;
			dst[i][0] = BxFaceReference[i][0] + (float) (Rand01() * 4 - 2);
			dst[i][1] = BxFaceReference[i][1] + (float) (Rand01() * 4 - 2);
		}
		BxFaceSimilarity(src, dst, 5, m);
		for (i = 0; i < 5; i++)
		{
			double		x,
						y;

			Apply(m, src[i][0], src[i][1], &x, &y);
			r0 += (x - dst[i][0]) * (x - dst[i][0]) + (y - dst[i][1]) * (y - dst[i][1]);
		}
		/* nudging any of the 4 free parameters increases the residual */
		for (p = 0; p < 8; p++)
		{
			double		mm[6];
			double		r = 0,
						d = (p & 1) ? 1e-3 : -1e-3;

			memcpy(mm, m, sizeof(mm));
			switch (p / 2)
			{
				case 0:
					mm[0] += d;
					mm[4] += d;
					break;
				case 1:
					mm[1] += d;
					mm[3] -= d;
					break;
				case 2:
					mm[2] += d * 100;
					break;
				default:
					mm[5] += d * 100;
					break;
			}
			for (i = 0; i < 5; i++)
			{
				double		x,
							y;

				Apply(mm, src[i][0], src[i][1], &x, &y);
				r += (x - dst[i][0]) * (x - dst[i][0]) + (y - dst[i][1]) * (y - dst[i][1]);
			}
			if (r <= r0)
				worse++;
		}
		TapOk(worse == 0, "noisy fit is a least-squares minimum (residual %.3f)", r0);
	}

	/* a mirrored configuration is not fitted with a reflection */
	for (i = 0; i < 5; i++)
	{
		src[i][0] = 200 - BxFaceReference[i][0];
		src[i][1] = BxFaceReference[i][1];
	}
	BxFaceSimilarity(src, BxFaceReference, 5, m);
	{
		double		x,
					y,
					r = 0;

		for (i = 0; i < 5; i++)
		{
			Apply(m, src[i][0], src[i][1], &x, &y);
			r += hypot(x - BxFaceReference[i][0], y - BxFaceReference[i][1]);
		}
		TapOk(m[0] * m[4] - m[1] * m[3] > 0 && r > 10,
			  "mirrored landmarks: determinant positive, no exact fit "
			  "(mean error %.1f px)", r / 5);
	}

	for (i = 0; i < 5; i++)
		src[i][0] = src[i][1] = 7;
	TapOk(BxFaceSimilarity(src, BxFaceReference, 5, m) == BX_EINVAL,
		  "coincident source points -> BX_EINVAL");
	src[0][0] = NAN;
	src[1][0] = 9;
	TapOk(BxFaceSimilarity(src, BxFaceReference, 5, m) == BX_EINVAL,
		  "NaN landmark -> BX_EINVAL");
	TapOk(BxFaceSimilarity(src, BxFaceReference, 1, m) == BX_EINVAL,
		  "one point -> BX_EINVAL");
}

/* Linear colour functions: bilinear interpolation reproduces them exactly */
static double
Lin(int c, double x, double y)
{
	return c == 0 ? 0.12 * x + 0.1 * y + 10 :
		c == 1 ? 0.05 * x + 0.24 * y + 5 : 230 - 0.1 * x - 0.1 * y;
}

/*
 * Align an image of linear ramps with landmarks placed by a known
 * similarity T (image -> crop); each crop pixel must equal the ramps at
 * T^-1(u, v), within rounding.  scale < 1 exercises the supersampling.
 */
static void
CheckWarp(double scale, double angle, bool grey)
{
	int			w = 1000,
				h = 800,
				x,
				y,
				c,
				i;
	BxImage		img = BxImageCreate(w, h, grey ? 1 : 3, NULL);
	float		lm[5][2];
	uint8_t		crop[112 * 112 * 3];
	double		a = scale * cos(angle),
				b = scale * sin(angle);
	double		tx = 56 - (a * 500 - b * 400),
				ty = 56 - (b * 500 + a * 400);	/* image (500,400) -> crop centre */
	double		maxErr = 0,
				det = a * a + b * b;
	BxStatus st;

	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++)
			for (c = 0; c < img->channels; c++)
				img->pixels[(size_t) y * img->stride + (size_t) x * img->channels + c] =
					(uint8_t) lround(Lin(c, x, y));
	/* landmarks = T^-1(reference) */
	for (i = 0; i < 5; i++)
	{
		double		u = BxFaceReference[i][0] - tx,
					v = BxFaceReference[i][1] - ty;

		lm[i][0] = (float) ((a * u + b * v) / det);
		lm[i][1] = (float) ((-b * u + a * v) / det);
	}
	st = BxFaceAlign(img, lm, crop);
	for (y = 0; y < 112 && st == BX_OK; y++)
		for (x = 0; x < 112; x++)
		{
			double		u = x - tx,
						v = y - ty;
			double		sx = (a * u + b * v) / det,
						sy = (-b * u + a * v) / det;

			for (c = 0; c < 3; c++)
			{
				double		want = Lin(grey ? 0 : c, sx, sy);

				maxErr = fmax(maxErr, fabs(crop[(y * 112 + x) * 3 + c] - want));
			}
		}
	TapOk(st == BX_OK && maxErr <= 1.01,
		  "warp of %s linear ramps, scale %.2f, angle %.0f deg: max error %.2f",
		  grey ? "grey" : "RGB", scale, angle * 180 / TEST_PI, maxErr);
	BxImageFree(img);
}

void
TestAlign(void)
{
	BxImage		img;
	float		lm[5][2];
	uint8_t		crop[112 * 112 * 3];
	int			i,
				zeros = 0;

	CheckWarp(1.5, 0.3, false);
	CheckWarp(0.9, -0.5, false);
	CheckWarp(0.3, 1.0, false);		/* 3x3 sub-samples */
	CheckWarp(2.0, 0.0, true);

	/* landmarks near the image corner: the crop's outside part is black */
	img = BxImageCreate(100, 100, 3, NULL);
	memset(img->pixels, 200, img->stride * 100);
	for (i = 0; i < 5; i++)
	{
		lm[i][0] = BxFaceReference[i][0] - 56;
		lm[i][1] = BxFaceReference[i][1] - 56;
	}
	TapOk(BxFaceAlign(img, lm, crop) == BX_OK &&
		  crop[(10 * 112 + 10) * 3] == 0 && crop[(100 * 112 + 100) * 3] == 200,
		  "outside the image is zero, inside is the image");
	for (i = 0; i < 112 * 112 * 3; i++)
		zeros += crop[i] == 0;
	TapOk(zeros > 112 * 112 * 3 / 2 && zeros < 112 * 112 * 3,
		  "about three quarters of that crop is outside (%d zero bytes)", zeros);
	TapOk(BxFaceAlign(NULL, lm, crop) == BX_EINVAL &&
		  BxFaceAlign(img, NULL, crop) == BX_EINVAL &&
		  BxFaceAlign(img, lm, NULL) == BX_EINVAL,
		  "BxFaceAlign checks its arguments");
	BxImageFree(img);
}

