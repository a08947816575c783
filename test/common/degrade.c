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
#include <stdlib.h>
#include <string.h>

#include "degrade.h"

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
