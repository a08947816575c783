/*-------------------------------------------------------------------------
 *
 * image_pnm.c
 *	  Decode Netpbm PGM and PPM: binary P5/P6 and plain (ASCII) P2/P3.
 *
 * The ORL face database is PGM, and PGM/PPM are what tools emit when they
 * want no codec at all.  The header is parsed strictly (netpbm's grammar:
 * magic, whitespace, width, height, maxval, '#' comments to end of line,
 * then exactly one whitespace character before a binary raster), numbers
 * are bounded while they are read, dimensions are checked against the
 * limits before the image is allocated, and the raster must be complete.
 * Samples are rescaled from 1..65535 (maxval) to 0..255; a sample above
 * maxval is an error.  Bytes after the raster (a second image) are ignored.
 *
 * lib/image/image_pnm.c
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "image_internal.h"

/* Numbers are read up to this; larger ones are clamped (then too big) */
#define PNM_NUMBER_CAP		((uint64_t) 1 << 32)
#define PNM_MAX_MAXVAL		65535

typedef struct PnmReader
{
	const uint8_t *p;
	size_t		len;
	size_t		pos;
} PnmReader;

static bool
IsSpace(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
		c == '\v' || c == '\f';
}

/* Skip whitespace and comments; false at end of data */
static bool
SkipSpace(PnmReader *r, bool comments)
{
	while (r->pos < r->len)
	{
		uint8_t		c = r->p[r->pos];

		if (IsSpace(c))
			r->pos++;
		else if (c == '#' && comments)
		{
			while (r->pos < r->len && r->p[r->pos] != '\n' &&
				   r->p[r->pos] != '\r')
				r->pos++;
		}
		else
			return true;
	}
	return false;
}

/*
 * Read an unsigned decimal number after optional whitespace; values above
 * PNM_NUMBER_CAP are clamped to it, so any length of digits is safe.
 */
static bool
ReadNumber(PnmReader *r, bool comments, uint64_t *value)
{
	uint64_t	v = 0;
	size_t		start;

	if (!SkipSpace(r, comments))
		return false;
	start = r->pos;
	while (r->pos < r->len && r->p[r->pos] >= '0' && r->p[r->pos] <= '9')
	{
		v = v * 10 + (uint64_t) (r->p[r->pos] - '0');
		if (v > PNM_NUMBER_CAP)
			v = PNM_NUMBER_CAP;
		r->pos++;
	}
	if (r->pos == start)
		return false;
	/* a number must end at whitespace, a comment, or the end of data */
	if (r->pos < r->len && !IsSpace(r->p[r->pos]) &&
		!(comments && r->p[r->pos] == '#'))
		return false;
	*value = v;
	return true;
}

/* Map a sample 0..maxval to 0..255, rounding */
static uint8_t
Scale(uint32_t v, uint32_t maxval)
{
	if (maxval == 255)
		return (uint8_t) v;
	return (uint8_t) (((uint64_t) v * 255 + maxval / 2) / maxval);
}

BxStatus
BxImgDecodePnm(const BxImgCall *call, const uint8_t *data, size_t len,
			   BxImage *image)
{
	PnmReader	r = {data, len, 2};
	char		kind = (char) data[1];
	bool		plain = (kind == '2' || kind == '3');
	int			inChannels = (kind == '3' || kind == '6') ? 3 : 1;
	int			outChannels;
	uint64_t	width,
				height,
				maxval;
	size_t		bps,
				need;
	BxStatus status;
	BxImage		img;
	int			x,
				y,
				c;

	*image = NULL;
	if (!ReadNumber(&r, true, &width) || !ReadNumber(&r, true, &height) ||
		!ReadNumber(&r, true, &maxval))
		return BxImgError(call, BX_EFORMAT,
						  "invalid PNM header: expected width, height and "
						  "maxval after P%c", kind);
	status = BxImgCheckSize(call, "PNM", width, height);
	if (status != BX_OK)
		return status;
	if (maxval == 0 || maxval > PNM_MAX_MAXVAL)
		return BxImgError(call, BX_EFORMAT,
						  "invalid PNM maxval %llu (must be 1..65535)",
						  (unsigned long long) maxval);

	bps = maxval > 255 ? 2 : 1;
	if (!plain)
	{
		/* exactly one whitespace character separates header and raster */
		if (r.pos >= len || !IsSpace(data[r.pos]))
			return BxImgError(call, BX_EFORMAT,
							  "invalid PNM header: no whitespace before "
							  "the raster");
		r.pos++;
		need = (size_t) width * (size_t) height * (size_t) inChannels * bps;
		if (len - r.pos < need)
			return BxImgError(call, BX_EFORMAT,
							  "PNM raster is truncated: %zu of %zu bytes",
							  len - r.pos, need);
	}

	outChannels = (inChannels == 1 && !call->opts->forceRgb) ? 1 : 3;
	status = BxImgNewImage(call, (int) width, (int) height, outChannels,
						   image);
	if (status != BX_OK)
		return status;
	img = *image;
	img->format = BX_IMG_FORMAT_PNM;

	for (y = 0; y < img->height; y++)
	{
		uint8_t    *out = img->pixels + (size_t) y * img->stride;

		if (BxImgInterrupted(call))
		{
			status = BxImgError(call, BX_EINTERRUPTED,
								"PNM decoding interrupted");
			goto fail;
		}
		for (x = 0; x < img->width; x++)
		{
			uint8_t		px[3];

			for (c = 0; c < inChannels; c++)
			{
				uint64_t	v;

				if (plain)
				{
					if (!ReadNumber(&r, false, &v))
					{
						status = BxImgError(call, BX_EFORMAT,
											"plain PNM raster is truncated "
											"or not numeric at row %d", y);
						goto fail;
					}
				}
				else if (bps == 1)
					v = data[r.pos++];
				else
				{
					v = ((uint64_t) data[r.pos] << 8) | data[r.pos + 1];
					r.pos += 2;
				}
				if (v > maxval)
				{
					status = BxImgError(call, BX_EFORMAT,
										"PNM sample %llu exceeds maxval %llu",
										(unsigned long long) v,
										(unsigned long long) maxval);
					goto fail;
				}
				px[c] = Scale((uint32_t) v, (uint32_t) maxval);
			}
			if (inChannels == 1)
				px[1] = px[2] = px[0];
			memcpy(out, px, (size_t) outChannels);
			out += outChannels;
		}
	}
	return BX_OK;

fail:
	BxImageFree(img);
	*image = NULL;
	return status;
}
