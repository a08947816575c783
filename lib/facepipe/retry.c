/*-------------------------------------------------------------------------
 *
 * retry.c
 *	  The images of the detector's retries when a photo yields no face: the
 *	  photo with its exposure normalised, turned in-plane, or smoothed.
 *
 * All run only after the ordinary passes found nothing, so a photo with a
 * face found at once never pays for them (BxFaceDetect in detect.c).  What
 * each retry brings was measured by the robustness bench (bench/faces,
 * faces_bench robust) before it was kept; bench/RESULTS.md has the figures.
 *
 * Exposure: YuNet misses many faces of underexposed captures (a gamma-2.5
 * darkening fails about one LFW photo in ten).  The retry stretches the
 * luminance between its 1st and 99th percentiles to the full range, then
 * applies the gamma that takes the median to mid-grey, one lookup table for
 * every channel, so hues stay.
 *
 * Rotation: YuNet is trained on roughly upright faces and misses heads
 * tilted by 25-30 degrees.  The retry turns the photo about its centre into
 * an image large enough to hold all of it (black outside, like the margin
 * of the other retry), and the caller maps the faces found back through the
 * inverse turn: landmarks exactly, boxes as the bounds of the turned box.
 * Alignment then works from the landmarks, whatever the roll.
 *
 * Smoothing: on a noisy capture (Gaussian noise of sigma 15 on 0..255)
 * YuNet finds no face in about one small photo in five (92x112 ORL, 125x125
 * LFW): enlarged into the canvas, the noise becomes blobs that break the
 * face's pattern.  A Gaussian of sigma 1 pixel before detection finds
 * almost all of them; 3x3 and 5x5 medians missed more, and wider Gaussians
 * erase the small faces (sigma 2 found 353 of 400 noisy ORL photos in one
 * pass, sigma 1 398; bench/RESULTS.md).  The face is then aligned and
 * embedded from the photo itself: embedding the smoothed crop instead was
 * measured too and did not lower FNMR consistently.
 *
 * lib/facepipe/retry.c
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "facepipe_internal.h"

#define FP_PI	3.14159265358979323846

/* Luminance of pixel i of a row (grey, or (R + 2G + B) / 4) */
static int
Luma(const uint8_t *p, int channels)
{
	return channels == 1 ? p[0] : (p[0] + 2 * p[1] + p[2] + 2) / 4;
}

BxImage
FpExposureImage(const BxAllocator *a, const BxImageData *img)
{
	size_t		hist[256] = {0};
	size_t		total = (size_t) img->width * (size_t) img->height,
				acc = 0;
	int			lo = -1,
				hi = -1,
				med = -1,
				v,
				x,
				y;
	double		gamma,
				m;
	uint8_t		lut[256];
	BxImage		out;
	bool		identity = true;

	for (y = 0; y < img->height; y++)
	{
		const uint8_t *row = img->pixels + (size_t) y * img->stride;

		for (x = 0; x < img->width; x++)
			hist[Luma(row + (size_t) x * img->channels, img->channels)]++;
	}
	for (v = 0; v < 256; v++)
	{
		acc += hist[v];
		if (lo < 0 && acc * 100 >= total)
			lo = v;
		if (med < 0 && acc * 2 >= total)
			med = v;
		if (hi < 0 && acc * 100 >= total * 99)
			hi = v;
	}
	if (hi - lo < 8)
		return NULL;			/* a flat image: nothing to find */
	m = (med - lo + 0.5) / (hi - lo + 1.0);
	m = m < 0.02 ? 0.02 : m > 0.98 ? 0.98 : m;
	gamma = log(0.5) / log(m);
	gamma = gamma < 0.25 ? 0.25 : gamma > 4.0 ? 4.0 : gamma;
	for (v = 0; v < 256; v++)
	{
		double		t = (v - lo) / (double) (hi - lo);

		t = t < 0 ? 0 : t > 1 ? 1 : t;
		lut[v] = (uint8_t) (255.0 * pow(t, gamma) + 0.5);
		identity &= abs(lut[v] - v) <= 8;
	}
	if (identity)
		return NULL;			/* well exposed already: the retry would repeat a pass */
	out = BxImageCreate(img->width, img->height, img->channels, a);
	if (out == NULL)
		return NULL;
	for (y = 0; y < img->height; y++)
	{
		const uint8_t *s = img->pixels + (size_t) y * img->stride;
		uint8_t    *d = out->pixels + (size_t) y * out->stride;

		for (x = 0; x < img->width * img->channels; x++)
			d[x] = lut[s[x]];
	}
	return out;
}

/*
 * The image smoothed by a Gaussian of sigma pixels (separable, borders
 * clamped); NULL when out of memory.  The sums run in integers with weights
 * of 14 fractional bits that add up to exactly one, so the result is the
 * same whatever the compiler does with floating point.
 */
BxImage
FpDenoisedImage(const BxAllocator *a, const BxImageData *img, double sigma)
{
	int			radius = (int) ceil(3.0 * sigma),
				ch = img->channels,
				total = 0,
				k,
				x,
				y,
				c;
	size_t		rowLen = (size_t) img->width * (size_t) ch;
	double		g[2 * FP_DENOISE_MAX_RADIUS + 1],
				sum = 0;
	int32_t		w[2 * FP_DENOISE_MAX_RADIUS + 1];
	int32_t    *tmp;
	BxImage		out;

	if (!(sigma > 0) || radius > FP_DENOISE_MAX_RADIUS)
		return NULL;			/* BxFaceDetect checked the option */
	for (k = -radius; k <= radius; k++)
		sum += g[k + radius] = exp(-0.5 * k * k / (sigma * sigma));
	for (k = -radius; k <= radius; k++)
		total += w[k + radius] = (int32_t) (16384.0 * g[k + radius] / sum + 0.5);
	w[radius] += 16384 - total;
	out = BxImageCreate(img->width, img->height, ch, a);
	tmp = BxAlloc(a, sizeof(int32_t) * rowLen * (size_t) img->height);
	if (out == NULL || tmp == NULL)
	{
		BxImageFree(out);
		BxFree(a, tmp);
		return NULL;
	}
	/* along the rows into tmp (14 fractional bits), then down the columns */
	for (y = 0; y < img->height; y++)
	{
		const uint8_t *s = img->pixels + (size_t) y * img->stride;
		int32_t    *t = tmp + (size_t) y * rowLen;

		for (x = 0; x < img->width; x++)
			for (c = 0; c < ch; c++)
			{
				int32_t		acc = 0;

				for (k = -radius; k <= radius; k++)
				{
					int			sx = x + k < 0 ? 0 : x + k >= img->width ? img->width - 1 : x + k;

					acc += w[k + radius] * s[(size_t) sx * ch + c];
				}
				t[(size_t) x * ch + c] = acc;
			}
	}
	for (y = 0; y < img->height; y++)
	{
		uint8_t    *d = out->pixels + (size_t) y * out->stride;

		for (x = 0; x < (int) rowLen; x++)
		{
			int64_t		acc = 0;

			for (k = -radius; k <= radius; k++)
			{
				int			sy = y + k < 0 ? 0 : y + k >= img->height ? img->height - 1 : y + k;

				acc += (int64_t) w[k + radius] * tmp[(size_t) sy * rowLen + x];
			}
			d[x] = (uint8_t) ((acc + (1 << 27)) >> 28);
		}
	}
	BxFree(a, tmp);
	return out;
}

BxImage
FpRotatedImage(const BxAllocator *a, const BxImageData *img, double degrees,
			   FpTurn *turn)
{
	double		r = degrees * FP_PI / 180.0;
	double		ca = cos(r),
				sa = sin(r);
	int			w = (int) ceil(fabs(ca) * img->width + fabs(sa) * img->height),
				h = (int) ceil(fabs(sa) * img->width + fabs(ca) * img->height),
				ch = img->channels,
				x,
				y,
				c;
	BxImage		out = BxImageCreate(w, h, ch, a);

	if (out == NULL)
		return NULL;
	turn->cos = ca;
	turn->sin = sa;
	turn->cx = (img->width - 1) / 2.0;
	turn->cy = (img->height - 1) / 2.0;
	turn->ox = (w - 1) / 2.0;
	turn->oy = (h - 1) / 2.0;
	for (y = 0; y < h; y++)
	{
		uint8_t    *d = out->pixels + (size_t) y * out->stride;

		for (x = 0; x < w; x++, d += ch)
		{
			double		sx,
						sy,
						fx,
						fy;
			int			x0,
						y0;

			FpTurnToSource(turn, x, y, &sx, &sy);
			x0 = (int) floor(sx);
			y0 = (int) floor(sy);
			if (x0 < 0 || y0 < 0 || x0 + 1 >= img->width || y0 + 1 >= img->height)
			{
				memset(d, 0, (size_t) ch);
				continue;
			}
			fx = sx - x0;
			fy = sy - y0;
			for (c = 0; c < ch; c++)
			{
				const uint8_t *p = img->pixels + (size_t) y0 * img->stride + (size_t) x0 * ch + c;
				double		v = (1 - fy) * ((1 - fx) * p[0] + fx * p[ch]) +
					fy * ((1 - fx) * p[img->stride] + fx * p[img->stride + ch]);

				d[c] = (uint8_t) (v + 0.5);
			}
		}
	}
	return out;
}

void
FpTurnToSource(const FpTurn *turn, double x, double y, double *sx, double *sy)
{
	double		dx = x - turn->ox,
				dy = y - turn->oy;

	*sx = turn->cx + turn->cos * dx - turn->sin * dy;
	*sy = turn->cy + turn->sin * dx + turn->cos * dy;
}

void
FpTurnFaceBack(const FpTurn *turn, BxFace *f)
{
	double		cx[4] = {f->x, f->x + f->width, f->x, f->x + f->width};
	double		cy[4] = {f->y, f->y, f->y + f->height, f->y + f->height};
	double		minX = INFINITY,
				minY = INFINITY,
				maxX = -INFINITY,
				maxY = -INFINITY;
	int			k;

	for (k = 0; k < 4; k++)
	{
		double		sx,
					sy;

		FpTurnToSource(turn, cx[k], cy[k], &sx, &sy);
		minX = fmin(minX, sx);
		minY = fmin(minY, sy);
		maxX = fmax(maxX, sx);
		maxY = fmax(maxY, sy);
	}
	/* the turned box's bounds would overstate the face: keep its size */
	f->x = (float) ((minX + maxX - f->width) / 2);
	f->y = (float) ((minY + maxY - f->height) / 2);
	for (k = 0; k < BX_FACE_LANDMARKS; k++)
	{
		double		sx,
					sy;

		FpTurnToSource(turn, f->landmarks[k][0], f->landmarks[k][1], &sx, &sy);
		f->landmarks[k][0] = (float) sx;
		f->landmarks[k][1] = (float) sy;
	}
}
