/*-------------------------------------------------------------------------
 *
 * image_orient.c
 *	  EXIF orientation: read tag 0x0112 from an APP1 "Exif" segment and
 *	  turn the decoded pixels upright.
 *
 * Phones store the sensor's rows as they come and record the camera's
 * rotation in IFD0's Orientation tag; without it a portrait photo reaches
 * the face detector lying on its side.  The segment is untrusted: every
 * offset is checked against its length, and anything odd simply means
 * "no orientation" (1), never an error, since the pixels are still fine.
 *
 * Orientation values (TIFF 6.0 / EXIF 2.3): where the stored 0th row and
 * 0th column appear when displayed:
 *	1 top/left  2 top/right  3 bottom/right  4 bottom/left
 *	5 left/top  6 right/top  7 right/bottom  8 left/bottom
 *
 * lib/image/image_orient.c
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "image_internal.h"

#define EXIF_HEADER_LEN		6	/* "Exif\0\0" */
#define TIFF_TAG_ORIENTATION 0x0112
#define TIFF_TYPE_SHORT		3
#define IFD_ENTRY_LEN		12

static uint32_t
Get16(const uint8_t *p, bool bigEndian)
{
	return bigEndian ? ((uint32_t) p[0] << 8) | p[1]
		: ((uint32_t) p[1] << 8) | p[0];
}

static uint32_t
Get32(const uint8_t *p, bool bigEndian)
{
	return bigEndian
		? ((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16) |
		((uint32_t) p[2] << 8) | p[3]
		: ((uint32_t) p[3] << 24) | ((uint32_t) p[2] << 16) |
		((uint32_t) p[1] << 8) | p[0];
}

/*
 * Orientation 1..8 from an APP1 payload starting with "Exif\0\0"; 1 when
 * absent or malformed.
 */
int
BxImgExifOrientation(const uint8_t *data, size_t len)
{
	const uint8_t *tiff;
	size_t		tlen;
	bool		be;
	uint32_t	ifd;
	uint32_t	count;
	uint32_t	i;

	if (data == NULL || len < EXIF_HEADER_LEN + 8 ||
		memcmp(data, "Exif\0\0", EXIF_HEADER_LEN) != 0)
		return 1;
	tiff = data + EXIF_HEADER_LEN;
	tlen = len - EXIF_HEADER_LEN;
	if (tiff[0] == 'I' && tiff[1] == 'I')
		be = false;
	else if (tiff[0] == 'M' && tiff[1] == 'M')
		be = true;
	else
		return 1;
	if (Get16(tiff + 2, be) != 42)
		return 1;
	ifd = Get32(tiff + 4, be);
	if (ifd < 8 || ifd > tlen || tlen - ifd < 2)
		return 1;
	count = Get16(tiff + ifd, be);
	/* entries that don't fit are ignored, not trusted */
	if (count > (tlen - ifd - 2) / IFD_ENTRY_LEN)
		count = (uint32_t) ((tlen - ifd - 2) / IFD_ENTRY_LEN);
	for (i = 0; i < count; i++)
	{
		const uint8_t *e = tiff + ifd + 2 + (size_t) i * IFD_ENTRY_LEN;
		uint32_t	value;

		if (Get16(e, be) != TIFF_TAG_ORIENTATION)
			continue;
		if (Get16(e + 2, be) != TIFF_TYPE_SHORT || Get32(e + 4, be) != 1)
			return 1;
		/* a single SHORT sits left-justified in the 4-byte value field */
		value = Get16(e + 8, be);
		return (value >= 1 && value <= 8) ? (int) value : 1;
	}
	return 1;
}

/*
 * Replace *image by its upright version.  For each displayed pixel (x, y)
 * find the stored one: mirror first (2, 3, 4), or for 5..8, where stored
 * rows become displayed columns, transpose and then mirror.
 */
BxStatus
BxImgApplyOrientation(const BxImgCall *call, BxImage *image, int orientation)
{
	BxImage		src = *image;
	BxImage		dst;
	BxStatus status;
	bool		swap = orientation >= 5;
	int			w = swap ? src->height : src->width;
	int			h = swap ? src->width : src->height;
	int			ch = src->channels;
	int			x,
				y;

	if (orientation <= 1 || orientation > 8)
		return BX_OK;
	status = BxImgNewImage(call, w, h, ch, &dst);
	if (status != BX_OK)
		return status;

	for (y = 0; y < h; y++)
	{
		uint8_t    *out = dst->pixels + (size_t) y * dst->stride;

		for (x = 0; x < w; x++, out += ch)
		{
			int			sx,
						sy;

			switch (orientation)
			{
				case 2:			/* mirrored left-right */
					sx = w - 1 - x;
					sy = y;
					break;
				case 3:			/* upside down */
					sx = w - 1 - x;
					sy = h - 1 - y;
					break;
				case 4:			/* mirrored top-bottom */
					sx = x;
					sy = h - 1 - y;
					break;
				case 5:			/* transposed */
					sx = y;
					sy = x;
					break;
				case 6:			/* stored rotated 90 degrees counter-clockwise */
					sx = y;
					sy = w - 1 - x;
					break;
				case 7:			/* transverse */
					sx = h - 1 - y;
					sy = w - 1 - x;
					break;
				default:		/* 8: stored rotated 90 degrees clockwise */
					sx = h - 1 - y;
					sy = x;
					break;
			}
			memcpy(out, src->pixels + (size_t) sy * src->stride +
				   (size_t) sx * ch, (size_t) ch);
		}
	}
	dst->format = src->format;
	dst->fullWidth = swap ? src->fullHeight : src->fullWidth;
	dst->fullHeight = swap ? src->fullWidth : src->fullHeight;
	dst->orientation = orientation;
	BxImageFree(src);
	*image = dst;
	return BX_OK;
}
