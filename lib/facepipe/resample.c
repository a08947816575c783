/*-------------------------------------------------------------------------
 *
 * resample.c
 *	  Fill the detector canvas: the image, framed by an optional black
 *	  margin, resized keeping its aspect ratio, top-left aligned, as raw
 *	  0..255 BGR float planes; the rest of the canvas is zero.
 *
 * The resize is separable with a triangle (bilinear) kernel whose support
 * widens with the reduction factor, i.e. it averages when shrinking (a
 * 4000-pixel PNG to 640 must not alias into noise that looks like texture
 * to the detector) and interpolates bilinearly when enlarging.  The margin
 * is never materialised: its samples are zero, so they only count in the
 * kernel's normalisation.  The horizontal pass is computed per source row
 * on demand into a small ring of rows, enough for one vertical window, so
 * memory stays small for any image size.
 *
 * Pixel centres sit at integer coordinates: canvas pixel c covers the
 * source coordinate (c + 0.5) / scale - 0.5 - margin.
 *
 * lib/facepipe/resample.c
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <string.h>

#include "facepipe_internal.h"

/* Kernel taps of every output position along one axis */
typedef struct Taps
{
	int			n;				/* output positions */
	int			maxTaps;		/* per position, allocated */
	int		   *first;			/* first source index used */
	int		   *count;			/* taps kept (inside the image) */
	float	   *weight;			/* n * maxTaps */
} Taps;

static void
FreeTaps(const BxAllocator *a, Taps *t)
{
	BxFree(a, t->first);
	BxFree(a, t->count);
	BxFree(a, t->weight);
}

/*
 * Weights for n outputs mapping to source positions
 * (i + 0.5) / scale - 0.5 - pad over a source of size len.
 */
static bool
MakeTaps(const BxAllocator *a, Taps *t, int n, double scale, double pad,
		 int len)
{
	double		radius = scale < 1.0 ? 1.0 / scale : 1.0;
	int			i;

	memset(t, 0, sizeof(*t));
	t->n = n;
	t->maxTaps = (int) ceil(2.0 * radius) + 1;
	t->first = BxAlloc(a, sizeof(int) * (size_t) n);
	t->count = BxAlloc(a, sizeof(int) * (size_t) n);
	t->weight = BxAlloc(a, sizeof(float) * (size_t) n * (size_t) t->maxTaps);
	if (t->first == NULL || t->count == NULL || t->weight == NULL)
		return false;

	for (i = 0; i < n; i++)
	{
		double		u = (i + 0.5) / scale - 0.5 - pad;
		int			lo = (int) ceil(u - radius);
		int			hi = (int) floor(u + radius);
		double		total = 0;
		int			j,
					k = 0;
		float	   *w = t->weight + (size_t) i * t->maxTaps;

		if (hi - lo + 1 > t->maxTaps)
			hi = lo + t->maxTaps - 1;
		for (j = lo; j <= hi; j++)
			total += fmax(0.0, 1.0 - fabs(j - u) / radius);
		if (!(total > 0))
			total = 1;
		/*
		 * Keep the taps inside the image with nonzero weight (the triangle's
		 * ends can be exactly zero, e.g. at scale 1 where one tap remains):
		 * samples in the margin are zero, counted above, then dropped.
		 */
		if (lo < 0)
			lo = 0;
		if (hi > len - 1)
			hi = len - 1;
		while (lo <= hi && 1.0 - fabs(lo - u) / radius <= 0.0)
			lo++;
		while (hi >= lo && 1.0 - fabs(hi - u) / radius <= 0.0)
			hi--;
		t->first[i] = lo <= hi ? lo : 0;
		for (j = lo; j <= hi; j++)
			w[k++] = (float) ((1.0 - fabs(j - u) / radius) / total);
		t->count[i] = k;
	}
	return true;
}

/* Horizontal pass of one source row into out (n * channels floats) */
static void
ResampleRow(const uint8_t *src, int channels, const Taps *h, float *out)
{
	int			i,
				k;

	if (channels == 1)
	{
		for (i = 0; i < h->n; i++)
		{
			const float *w = h->weight + (size_t) i * h->maxTaps;
			const uint8_t *s = src + h->first[i];
			float		a = 0;

			for (k = 0; k < h->count[i]; k++)
				a += w[k] * s[k];
			out[i] = a;
		}
		return;
	}
	for (i = 0; i < h->n; i++)
	{
		const float *w = h->weight + (size_t) i * h->maxTaps;
		const uint8_t *s = src + (size_t) h->first[i] * 3;
		float		r = 0,
					g = 0,
					b = 0;

		for (k = 0; k < h->count[i]; k++, s += 3)
		{
			r += w[k] * s[0];
			g += w[k] * s[1];
			b += w[k] * s[2];
		}
		out[3 * i] = r;
		out[3 * i + 1] = g;
		out[3 * i + 2] = b;
	}
}

/* Vertical pass: weighted sum of the window's rows into the BGR planes */
static void
CombineRows(const float *const *rows, const float *w, int count, int n,
			int channels, float *b, float *g, float *r)
{
	int			x,
				k;

	if (channels == 1)
	{
		for (x = 0; x < n; x++)
		{
			float		a = 0;

			for (k = 0; k < count; k++)
				a += w[k] * rows[k][x];
			b[x] = g[x] = r[x] = a;
		}
		return;
	}
	for (x = 0; x < n; x++)
	{
		float		rr = 0,
					gg = 0,
					bb = 0;

		for (k = 0; k < count; k++)
		{
			const float *p = rows[k] + 3 * x;

			rr += w[k] * p[0];
			gg += w[k] * p[1];
			bb += w[k] * p[2];
		}
		r[x] = rr;
		g[x] = gg;
		b[x] = bb;
	}
}

BxStatus
FpFillCanvas(BxFacePipe pipe, const BxImageData *image, float padFraction,
			 const BxFaceOptions *opts, FpPlacement *place)
{
	const BxAllocator *a = &pipe->alloc;
	int			W = pipe->canvasW,
				H = pipe->canvasH;
	int			ch = image->channels;
	double		pw,
				ph,
				scale;
	Taps		hx,
				vy;
	float	   *ring = NULL;
	int		   *ringRow = NULL;
	const float **rows = NULL;
	int			ringLen,
				y,
				k;
	size_t		plane = (size_t) W * (size_t) H;
	BxStatus st = BX_OK;

	place->padX = padFraction * image->width;
	place->padY = padFraction * image->height;
	pw = image->width + 2 * place->padX;
	ph = image->height + 2 * place->padY;
	scale = fmin(W / pw, H / ph);
	if (opts->maxUpscale > 0 && scale > opts->maxUpscale)
		scale = opts->maxUpscale;
	place->scale = scale;
	place->usedW = (int) fmin((double) W, ceil(pw * scale));
	place->usedH = (int) fmin((double) H, ceil(ph * scale));

	/* zero what the resize won't write: right of and below the image */
	for (k = 0; k < 3; k++)
	{
		float	   *p = pipe->canvas + k * plane;

		for (y = 0; y < place->usedH; y++)
			memset(p + (size_t) y * W + place->usedW, 0,
				   sizeof(float) * (size_t) (W - place->usedW));
		memset(p + (size_t) place->usedH * W, 0,
			   sizeof(float) * (size_t) (H - place->usedH) * (size_t) W);
	}
	memset(&hx, 0, sizeof(hx));
	memset(&vy, 0, sizeof(vy));
	if (!MakeTaps(a, &hx, place->usedW, scale, place->padX, image->width) ||
		!MakeTaps(a, &vy, place->usedH, scale, place->padY, image->height))
	{
		st = BX_ENOMEM;
		goto done;
	}
	ringLen = vy.maxTaps;
	ring = BxAlloc(a, sizeof(float) * (size_t) ringLen * (size_t) hx.n * (size_t) ch);
	ringRow = BxAlloc(a, sizeof(int) * (size_t) ringLen);
	rows = BxAlloc(a, sizeof(float *) * (size_t) ringLen);
	if (ring == NULL || ringRow == NULL || rows == NULL)
	{
		st = BX_ENOMEM;
		goto done;
	}
	for (k = 0; k < ringLen; k++)
		ringRow[k] = -1;

	for (y = 0; y < vy.n; y++)
	{
		float	   *b = pipe->canvas + (size_t) y * W;

		/* a huge image takes a while to shrink: let the caller cancel */
		if (y % 32 == 0 && opts->interrupt != NULL &&
			opts->interrupt(opts->interruptArg) != 0)
		{
			st = BX_EINTERRUPTED;
			goto done;
		}

		/* the window of source rows, each computed once into the ring */
		for (k = 0; k < vy.count[y]; k++)
		{
			int			sy = vy.first[y] + k;
			int			slot = sy % ringLen;
			float	   *row = ring + (size_t) slot * hx.n * ch;

			if (ringRow[slot] != sy)
			{
				ResampleRow(image->pixels + (size_t) sy * image->stride, ch,
							&hx, row);
				ringRow[slot] = sy;
			}
			rows[k] = row;
		}
		CombineRows(rows, vy.weight + (size_t) y * vy.maxTaps, k, hx.n, ch,
					b, b + plane, b + 2 * plane);
	}

done:
	FreeTaps(a, &hx);
	FreeTaps(a, &vy);
	BxFree(a, ring);
	BxFree(a, ringRow);
	BxFree(a, rows);
	return st;
}
