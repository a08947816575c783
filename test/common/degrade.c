/*-------------------------------------------------------------------------
 *
 * degrade.c
 *	  Capture defects applied to a decoded photo (see degrade.h).
 *
 * test/common/degrade.c
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "degrade.h"
#include "helpers.h"
#include "imgutil.h"

static BxImage
SameShape(const BxImageData *img)
{
	if (img == NULL || img->width < 1 || img->height < 1)
		return NULL;
	return BxImageCreate(img->width, img->height, img->channels, NULL);
}

BxImage
DegradeBlur(const BxImageData *img, double sigma)
{
	BxImage		out = SameShape(img);
	int			r = (int) ceil(3 * sigma);
	double	   *k,
			   *tmp;
	int			w,
				h,
				ch,
				x,
				y,
				c,
				i;

	if (out == NULL || !(sigma > 0) || r > 200)
	{
		BxImageFree(out);
		return NULL;
	}
	w = img->width;
	h = img->height;
	ch = img->channels;
	k = malloc(sizeof(double) * (2 * r + 1));
	tmp = malloc(sizeof(double) * (size_t) w * h * ch);
	if (k == NULL || tmp == NULL)
	{
		free(k);
		free(tmp);
		BxImageFree(out);
		return NULL;
	}
	{
		double		sum = 0;

		for (i = -r; i <= r; i++)
			sum += k[i + r] = exp(-i * i / (2 * sigma * sigma));
		for (i = 0; i <= 2 * r; i++)
			k[i] /= sum;
	}
	/* rows, then columns; edges clamped */
	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++)
			for (c = 0; c < ch; c++)
			{
				double		s = 0;

				for (i = -r; i <= r; i++)
				{
					int			xx = x + i < 0 ? 0 : x + i >= w ? w - 1 : x + i;

					s += k[i + r] * img->pixels[(size_t) y * img->stride + (size_t) xx * ch + c];
				}
				tmp[((size_t) y * w + x) * ch + c] = s;
			}
	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++)
			for (c = 0; c < ch; c++)
			{
				double		s = 0;

				for (i = -r; i <= r; i++)
				{
					int			yy = y + i < 0 ? 0 : y + i >= h ? h - 1 : y + i;

					s += k[i + r] * tmp[((size_t) yy * w + x) * ch + c];
				}
				out->pixels[(size_t) y * out->stride + (size_t) x * ch + c] =
					(uint8_t) (s < 0 ? 0 : s > 255 ? 255 : s + 0.5);
			}
	free(k);
	free(tmp);
	return out;
}

BxImage
DegradeDark(const BxImageData *img, double gain, double gamma)
{
	BxImage		out = SameShape(img);
	uint8_t		lut[256];
	size_t		n,
				i;

	if (out == NULL || !(gamma > 0) || !(gain > 0) || gain > 1)
	{
		BxImageFree(out);
		return NULL;
	}
	for (i = 0; i < 256; i++)
		lut[i] = (uint8_t) (gain * 255.0 * pow(i / 255.0, gamma) + 0.5);
	n = (size_t) img->height * img->stride;
	for (i = 0; i < n; i++)
		out->pixels[i] = lut[img->pixels[i]];
	return out;
}

BxImage
DegradeRotate(const BxImageData *img, double degrees)
{
	BxImage		out = SameShape(img);
	double		a = degrees * 3.14159265358979323846 / 180.0;
	double		ca = cos(a),
				sa = sin(a);
	double		cx,
				cy;
	int			ch,
				x,
				y,
				c;

	if (out == NULL)
		return NULL;
	ch = img->channels;
	cx = (img->width - 1) / 2.0;
	cy = (img->height - 1) / 2.0;
	for (y = 0; y < img->height; y++)
		for (x = 0; x < img->width; x++)
		{
			/* inverse map, y down: a counter-clockwise turn as displayed */
			double		dx = x - cx,
						dy = y - cy;
			double		sx = cx + ca * dx - sa * dy;
			double		sy = cy + sa * dx + ca * dy;
			int			x0 = (int) floor(sx),
						y0 = (int) floor(sy);
			double		fx = sx - x0,
						fy = sy - y0;

			for (c = 0; c < ch; c++)
			{
				double		v = 128;	/* grey outside the photo */

				if (x0 >= 0 && y0 >= 0 && x0 + 1 < img->width && y0 + 1 < img->height)
				{
					const uint8_t *p = img->pixels + (size_t) y0 * img->stride + (size_t) x0 * ch + c;

					v = (1 - fy) * ((1 - fx) * p[0] + fx * p[ch]) +
						fy * ((1 - fx) * p[img->stride] + fx * p[img->stride + ch]);
				}
				out->pixels[(size_t) y * out->stride + (size_t) x * ch + c] = (uint8_t) (v + 0.5);
			}
		}
	return out;
}

BxImage
DegradeShrink(const BxImageData *img, int factor)
{
	BxImage		out;
	int			ch,
				x,
				y,
				c,
				i,
				j;

	if (img == NULL || factor < 1 || img->width / factor < 1 || img->height / factor < 1)
		return NULL;
	out = BxImageCreate(img->width / factor, img->height / factor, img->channels, NULL);
	if (out == NULL)
		return NULL;
	ch = img->channels;
	for (y = 0; y < out->height; y++)
		for (x = 0; x < out->width; x++)
			for (c = 0; c < ch; c++)
			{
				unsigned	s = 0;

				for (j = 0; j < factor; j++)
					for (i = 0; i < factor; i++)
						s += img->pixels[(size_t) (y * factor + j) * img->stride +
										 (size_t) (x * factor + i) * ch + c];
				out->pixels[(size_t) y * out->stride + (size_t) x * ch + c] =
					(uint8_t) ((s + factor * factor / 2) / (factor * factor));
			}
	return out;
}

/* Bilinear sample of channel c at (x, y), coordinates clamped to the image */
static double
SampleClamped(const BxImageData *img, double x, double y, int c)
{
	int			ch = img->channels,
				x0,
				y0,
				x1,
				y1;
	double		fx,
				fy;
	const uint8_t *p = img->pixels;

	x = x < 0 ? 0 : x > img->width - 1 ? img->width - 1 : x;
	y = y < 0 ? 0 : y > img->height - 1 ? img->height - 1 : y;
	x0 = (int) floor(x);
	y0 = (int) floor(y);
	x1 = x0 + 1 < img->width ? x0 + 1 : x0;
	y1 = y0 + 1 < img->height ? y0 + 1 : y0;
	fx = x - x0;
	fy = y - y0;
	return (1 - fy) * ((1 - fx) * p[(size_t) y0 * img->stride + (size_t) x0 * ch + c] +
					   fx * p[(size_t) y0 * img->stride + (size_t) x1 * ch + c]) +
		fy * ((1 - fx) * p[(size_t) y1 * img->stride + (size_t) x0 * ch + c] +
			  fx * p[(size_t) y1 * img->stride + (size_t) x1 * ch + c]);
}

BxImage
DegradeMotionBlur(const BxImageData *img, int length, double degrees)
{
	BxImage		out = SameShape(img);
	double		a = degrees * 3.14159265358979323846 / 180.0;
	double		dx = cos(a),
				dy = -sin(a);	/* y down: positive degrees point up-right */
	int			x,
				y,
				c,
				k;

	if (out == NULL || length < 1 || length > 400)
	{
		BxImageFree(out);
		return NULL;
	}
	for (y = 0; y < img->height; y++)
		for (x = 0; x < img->width; x++)
			for (c = 0; c < img->channels; c++)
			{
				double		s = 0;

				for (k = 0; k < length; k++)
				{
					double		t = k - (length - 1) / 2.0;

					s += SampleClamped(img, x + t * dx, y + t * dy, c);
				}
				s /= length;
				out->pixels[(size_t) y * out->stride + (size_t) x * img->channels + c] =
					(uint8_t) (s + 0.5);
			}
	return out;
}

BxImage
DegradeNoise(const BxImageData *img, double sigma, uint64_t seed)
{
	BxImage		out = SameShape(img);
	uint64_t	state = seed;
	int			x,
				y,
				c;

	if (out == NULL || !(sigma >= 0))
	{
		BxImageFree(out);
		return NULL;
	}
	for (y = 0; y < img->height; y++)
		for (x = 0; x < img->width; x++)
		{
			/* Box-Muller; u1 in (0, 1] so the log is finite */
			double		u1 = ((TestSplitMix64(&state) >> 11) + 1.0) / 9007199254740992.0;
			double		u2 = (TestSplitMix64(&state) >> 11) / 9007199254740992.0;
			double		n = sigma * sqrt(-2 * log(u1)) * cos(2 * 3.14159265358979323846 * u2);

			for (c = 0; c < img->channels; c++)
			{
				size_t		i = (size_t) y * img->stride + (size_t) x * img->channels + c;
				double		v = img->pixels[i] + n;

				out->pixels[i] = (uint8_t) (v < 0 ? 0 : v > 255 ? 255 : v + 0.5);
			}
		}
	return out;
}

BxImage
DegradeJpeg(const BxImageData *img, int quality)
{
	size_t		len = 0;
	uint8_t    *jpeg;
	BxImage		out = NULL;
	char		err[BX_ERRBUF_SIZE];

	if (img == NULL || quality < 1 || quality > 100)
		return NULL;
	jpeg = WriteJpegImage(img, quality, &len);
	if (jpeg == NULL)
		return NULL;
	if (BxImageDecode(jpeg, len, NULL, &out, err, sizeof(err)) != BX_OK)
		out = NULL;
	free(jpeg);
	return out;
}

/* Read and decode a photo file as bx_embed does (see degrade.h) */
BxImage
DecodePhotoFile(const char *path, int targetLongSide)
{
	char		err[BX_ERRBUF_SIZE];
	size_t		len;
	void	   *data = ReadWholeFile(path, &len);
	BxImageOptions io;
	BxImage		img = NULL;

	BxImageDefaultOptions(&io);
	io.targetLongSide = targetLongSide;
	if (data == NULL || BxImageDecode(data, len, &io, &img, err, sizeof(err)) != BX_OK)
	{
		fprintf(stderr, "%s: cannot decode\n", path);
		img = NULL;
	}
	free(data);
	return img;
}
