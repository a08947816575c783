/*-------------------------------------------------------------------------
 *
 * align.c
 *	  Face alignment: similarity transform from the detected landmarks to
 *	  MobileFaceNet's reference points, and the warp to a 112x112 crop.
 *
 * The transform is the least-squares similarity (Umeyama 1991 without
 * reflection).  In 2-D, with centred points s_i (source) and d_i
 * (destination), the optimal scaled rotation [a -b; b a] has the closed
 * form a = sum(s . d) / sum|s|^2, b = sum(s x d) / sum|s|^2, and the
 * translation maps the source centroid onto the destination centroid.
 * This equals Umeyama's SVD solution with the reflection excluded, which
 * matters: a mirrored face is another face.
 *
 * The warp samples the source bilinearly at each crop pixel's preimage,
 * zero outside the image (OpenCV's warpAffine with BORDER_CONSTANT).  When
 * the face is much larger than the crop, each crop pixel averages a k x k
 * grid of such samples over its footprint, so a 600-pixel face does not
 * alias into the 112-pixel crop.
 *
 * lib/facepipe/align.c
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <string.h>

#include "facepipe_internal.h"

/* The 96x112 reference of models/README.md, shifted by 8 px for 112x112 */
const float BxFaceReference[BX_FACE_LANDMARKS][2] = {
	{30.2946f + 8.0f, 51.6963f},
	{65.5318f + 8.0f, 51.5014f},
	{48.0252f + 8.0f, 71.7366f},
	{33.5493f + 8.0f, 92.3655f},
	{62.7299f + 8.0f, 92.2041f},
};

/* Most sub-samples per axis when shrinking */
#define FP_MAX_SUPERSAMPLE	4

BxStatus
BxFaceSimilarity(const float src[][2], const float dst[][2], int n,
				 double m[6])
{
	double		msx = 0,
				msy = 0,
				mdx = 0,
				mdy = 0,
				dot = 0,
				cross = 0,
				norm = 0,
				a,
				b;
	int			i;

	if (src == NULL || dst == NULL || m == NULL || n < 2)
		return BX_EINVAL;
	for (i = 0; i < n; i++)
	{
		msx += src[i][0];
		msy += src[i][1];
		mdx += dst[i][0];
		mdy += dst[i][1];
	}
	msx /= n;
	msy /= n;
	mdx /= n;
	mdy /= n;
	for (i = 0; i < n; i++)
	{
		double		sx = src[i][0] - msx,
					sy = src[i][1] - msy,
					dx = dst[i][0] - mdx,
					dy = dst[i][1] - mdy;

		dot += sx * dx + sy * dy;
		cross += sx * dy - sy * dx;
		norm += sx * sx + sy * sy;
	}
	/* also rejects NaN landmarks */
	if (!(norm > 1e-12))
		return BX_EINVAL;
	a = dot / norm;
	b = cross / norm;
	m[0] = a;
	m[1] = -b;
	m[2] = mdx - (a * msx - b * msy);
	m[3] = b;
	m[4] = a;
	m[5] = mdy - (b * msx + a * msy);
	return BX_OK;
}

/*
 * Bilinear sample at (x, y), added to acc[3]; neighbours outside the image
 * count as zero.  Grey images give the same value in all three channels.
 */
static inline void
Sample(const BxImageData *img, float x, float y, float acc[3])
{
	int			x0 = (int) floorf(x),
				y0 = (int) floorf(y);
	float		fx = x - x0,
				fy = y - y0;
	float		w[4] = {(1 - fx) * (1 - fy), fx * (1 - fy), (1 - fx) * fy, fx * fy};
	int			ch = img->channels;
	int			t;

	if (x0 >= 0 && y0 >= 0 && x0 + 1 < img->width && y0 + 1 < img->height)
	{
		/* the common case: all four neighbours inside */
		const uint8_t *p = img->pixels + (size_t) y0 * img->stride + (size_t) x0 * ch;
		const uint8_t *q = p + img->stride;

		if (ch == 3)
		{
			acc[0] += w[0] * p[0] + w[1] * p[3] + w[2] * q[0] + w[3] * q[3];
			acc[1] += w[0] * p[1] + w[1] * p[4] + w[2] * q[1] + w[3] * q[4];
			acc[2] += w[0] * p[2] + w[1] * p[5] + w[2] * q[2] + w[3] * q[5];
		}
		else
		{
			float		v = w[0] * p[0] + w[1] * p[1] + w[2] * q[0] + w[3] * q[1];

			acc[0] += v;
			acc[1] += v;
			acc[2] += v;
		}
		return;
	}
	for (t = 0; t < 4; t++)
	{
		int			xx = x0 + (t & 1),
					yy = y0 + (t >> 1);
		const uint8_t *p;

		if (xx < 0 || yy < 0 || xx >= img->width || yy >= img->height)
			continue;
		p = img->pixels + (size_t) yy * img->stride + (size_t) xx * ch;
		acc[0] += w[t] * p[0];
		acc[1] += w[t] * p[ch == 3 ? 1 : 0];
		acc[2] += w[t] * p[ch == 3 ? 2 : 0];
	}
}

BxStatus
BxFaceAlign(const BxImageData *image,
			const float landmarks[BX_FACE_LANDMARKS][2], uint8_t *out)
{
	double		m[6],
				det,
				ia,
				ib,
				scale;
	int			u,
				v,
				k,
				i,
				j,
				c;

	if (image == NULL || image->pixels == NULL || landmarks == NULL ||
		out == NULL || (image->channels != 1 && image->channels != 3) ||
		image->width <= 0 || image->height <= 0)
		return BX_EINVAL;
	if (BxFaceSimilarity(landmarks, BxFaceReference, BX_FACE_LANDMARKS, m) != BX_OK)
		return BX_EINVAL;

	/* inverse of [a -b; b a]: [a b; -b a] / (a^2 + b^2) */
	det = m[0] * m[0] + m[3] * m[3];
	ia = m[0] / det;
	ib = m[3] / det;
	scale = sqrt(det);			/* crop pixels per image pixel */
	k = scale >= 1.0 ? 1 : (int) ceil(1.0 / scale);
	if (k > FP_MAX_SUPERSAMPLE)
		k = FP_MAX_SUPERSAMPLE;

	for (v = 0; v < BX_FACE_ALIGNED_SIZE; v++)
		for (u = 0; u < BX_FACE_ALIGNED_SIZE; u++)
		{
			float		acc[3] = {0, 0, 0};

			for (i = 0; i < k; i++)
				for (j = 0; j < k; j++)
				{
					/* sub-sample positions spread over the crop pixel */
					double		uu = u + (j + 0.5) / k - 0.5 - m[2];
					double		vv = v + (i + 0.5) / k - 0.5 - m[5];

					Sample(image, (float) (ia * uu + ib * vv),
						   (float) (-ib * uu + ia * vv), acc);
				}
			for (c = 0; c < 3; c++)
			{
				float		val = acc[c] / (float) (k * k) + 0.5f;

				out[((size_t) v * BX_FACE_ALIGNED_SIZE + u) * 3 + c] =
					(uint8_t) (val < 0 ? 0 : val > 255 ? 255 : val);
			}
		}
	return BX_OK;
}
