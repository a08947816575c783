/*-------------------------------------------------------------------------
 *
 * detect.c
 *	  Face detection with YuNet: canvas, forward pass, decoding of the
 *	  three heads, non-maximum suppression, mapping back to the image.
 *
 * Decoding follows OpenCV's FaceDetectorYN (objdetect/src/face_detect.cpp,
 * postProcess) for the 2023mar model, as models/README.md describes: one
 * anchor per grid cell of stride s; score = sqrt(clamp(cls) * clamp(obj));
 * box centre (col + dx) * s, (row + dy) * s, size exp(dw) * s, exp(dh) * s;
 * landmarks (col + kx) * s, (row + ky) * s.  Then greedy NMS by score.
 *
 * lib/facepipe/detect.c
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "facepipe_internal.h"

static float
Clamp01(float v)
{
	return v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v);
}

static int
CompareScore(const void *a, const void *b)
{
	float		x = ((const BxFace *) a)->score;
	float		y = ((const BxFace *) b)->score;

	return x > y ? -1 : (x < y ? 1 : 0);
}

static float
IoU(const BxFace *a, const BxFace *b)
{
	float		ix = fminf(a->x + a->width, b->x + b->width) - fmaxf(a->x, b->x);
	float		iy = fminf(a->y + a->height, b->y + b->height) - fmaxf(a->y, b->y);
	float		inter,
				uni;

	if (ix <= 0 || iy <= 0)
		return 0.0f;
	inter = ix * iy;
	uni = a->width * a->height + b->width * b->height - inter;
	return uni > 0 ? inter / uni : 0.0f;
}

/* Collect the candidates of one head above the threshold */
static int
DecodeHead(const FpHead *h, const float *const *out, float threshold,
		   BxFace *cand, int n)
{
	const float *cls = out[h->cls];
	const float *obj = out[h->obj];
	const float *bbox = out[h->bbox];
	const float *kps = out[h->kps];
	float		s = (float) h->stride;
	int			r,
				c,
				k;

	for (r = 0; r < h->rows; r++)
		for (c = 0; c < h->cols; c++)
		{
			size_t		i = (size_t) r * h->cols + c;
			float		score = sqrtf(Clamp01(cls[i]) * Clamp01(obj[i]));
			const float *bb = bbox + 4 * i;
			const float *kp = kps + 10 * i;
			BxFace	   *f;
			float		cx,
						cy,
						w,
						hh;

			/* NaN scores fail this test too */
			if (!(score >= threshold) || n >= FP_MAX_CANDIDATES)
				continue;
			f = &cand[n++];
			cx = (c + bb[0]) * s;
			cy = (r + bb[1]) * s;
			w = expf(bb[2]) * s;
			hh = expf(bb[3]) * s;
			f->x = cx - w / 2;
			f->y = cy - hh / 2;
			f->width = w;
			f->height = hh;
			for (k = 0; k < BX_FACE_LANDMARKS; k++)
			{
				f->landmarks[k][0] = (kp[2 * k] + c) * s;
				f->landmarks[k][1] = (kp[2 * k + 1] + r) * s;
			}
			f->score = score;
		}
	return n;
}

/* Canvas coordinates to image coordinates (pixel centres) */
static void
ToImage(const FpPlacement *pl, BxFace *f)
{
	double		inv = 1.0 / pl->scale;
	int			k;

	f->x = (float) ((f->x + 0.5) * inv - 0.5 - pl->padX);
	f->y = (float) ((f->y + 0.5) * inv - 0.5 - pl->padY);
	f->width = (float) (f->width * inv);
	f->height = (float) (f->height * inv);
	for (k = 0; k < BX_FACE_LANDMARKS; k++)
	{
		f->landmarks[k][0] = (float) ((f->landmarks[k][0] + 0.5) * inv - 0.5 - pl->padX);
		f->landmarks[k][1] = (float) ((f->landmarks[k][1] + 0.5) * inv - 0.5 - pl->padY);
	}
	f->eyeDistance = hypotf(f->landmarks[BX_FACE_LEFT_EYE][0] - f->landmarks[BX_FACE_RIGHT_EYE][0],
							f->landmarks[BX_FACE_LEFT_EYE][1] - f->landmarks[BX_FACE_RIGHT_EYE][1]);
}

static bool
ValidImage(const BxImageData *img)
{
	return img != NULL && img->pixels != NULL && img->width > 0 &&
		img->height > 0 && (img->channels == 1 || img->channels == 3) &&
		img->stride >= (size_t) img->width * (size_t) img->channels;
}

/*
 * One detection pass with the given margin: canvas, network, decoding, NMS;
 * survivors (up to maxFaces) go to faces[] in image coordinates.
 */
static BxStatus
DetectPass(BxFacePipe pipe, const BxImageData *image,
		   const BxFaceOptions *opts, float padFraction,
		   BxFace *faces, int maxFaces, int *nFaces,
		   char *errbuf, size_t errlen)
{
	FpPlacement place;
	const float *inputs[1];
	const float *outputs[4 * FP_NUM_STRIDES];
	char		nnerr[BX_ERRBUF_SIZE];
	BxStatus	nst;
	BxStatus st;
	int			n = 0,
				kept = 0,
				i,
				j,
				k;

	st = FpFillCanvas(pipe, image, padFraction, opts, &place);
	if (st == BX_EINTERRUPTED)
		return BxSetError(errbuf, errlen, st, "face detection interrupted");
	if (st != BX_OK)
		return BxSetError(errbuf, errlen, st,
					   "out of memory while resizing the image");
	inputs[0] = pipe->canvas;
	nst = NnModelRun(pipe->detector, inputs, outputs, opts->interrupt,
					 opts->interruptArg, nnerr, sizeof(nnerr));
	if (nst != BX_OK)
		return FpRunStatus(nst, "face detector", nnerr, errbuf, errlen);

	for (k = 0; k < FP_NUM_STRIDES; k++)
		n = DecodeHead(&pipe->heads[k], outputs, opts->scoreThreshold,
					   pipe->candidates, n);
	qsort(pipe->candidates, (size_t) n, sizeof(BxFace), CompareScore);

	/* greedy NMS, best first */
	memset(pipe->suppressed, 0, sizeof(bool) * (size_t) n);
	for (i = 0; i < n; i++)
	{
		if (pipe->suppressed[i])
			continue;
		for (j = i + 1; j < n; j++)
			if (!pipe->suppressed[j] &&
				IoU(&pipe->candidates[i], &pipe->candidates[j]) > opts->nmsThreshold)
				pipe->suppressed[j] = true;
		if (kept < maxFaces)
		{
			faces[kept] = pipe->candidates[i];
			ToImage(&place, &faces[kept]);
		}
		kept++;
	}
	*nFaces = kept;
	return BX_OK;
}

/*
 * One pass at the ordinary margin, and if it found nothing a second at the
 * retry margin (retryPadFraction, when set and different).
 */
static BxStatus
DetectBothMargins(BxFacePipe pipe, const BxImageData *image,
				  const BxFaceOptions *opts, BxFace *faces, int maxFaces,
				  int *nFaces, char *errbuf, size_t errlen)
{
	BxStatus	st = DetectPass(pipe, image, opts, opts->padFraction, faces,
								maxFaces, nFaces, errbuf, errlen);

	if (st == BX_OK && *nFaces == 0 && opts->retryPadFraction > 0 &&
		opts->retryPadFraction != opts->padFraction)
		st = DetectPass(pipe, image, opts, opts->retryPadFraction, faces,
						maxFaces, nFaces, errbuf, errlen);
	return st;
}

/*
 * The retries of a photo in which the ordinary passes found no face
 * (retry.c): enlarged beyond maxUpscale, exposure normalised, turned both
 * ways, smoothed (without and with the retry margin, like the ordinary
 * passes), then the photo with the lower score threshold retryLowScore
 * (both margins too).  Each runs only if the one before found nothing;
 * faces found on a turned image are mapped back to the photo, those found
 * on the smoothed one are the photo's as they are (same geometry: the face
 * is aligned and embedded from the photo, as after every retry).
 */
static BxStatus
DetectRetries(BxFacePipe pipe, const BxImageData *image,
			  const BxFaceOptions *opts, BxFace *faces, int maxFaces,
			  int *nFaces, char *errbuf, size_t errlen)
{
	BxStatus	st = BX_OK;
	int			sign,
				k;

	/* a small image the first pass did not enlarge to the full canvas */
	if (opts->maxUpscale > 0 && opts->retryUpscale > opts->maxUpscale)
	{
		double		fill = fmin((double) pipe->canvasW / image->width,
								(double) pipe->canvasH / image->height);

		if (fill > opts->maxUpscale)
		{
			BxFaceOptions big = *opts;

			big.maxUpscale = opts->retryUpscale;
			st = DetectPass(pipe, image, &big, opts->padFraction, faces,
							maxFaces, nFaces, errbuf, errlen);
			if (st != BX_OK || *nFaces > 0)
				return st;
		}
	}
	if (opts->retryExposure)
	{
		BxImage		lit = FpExposureImage(&pipe->alloc, image);

		if (lit != NULL)
		{
			st = DetectPass(pipe, lit, opts, opts->padFraction, faces,
							maxFaces, nFaces, errbuf, errlen);
			BxImageFree(lit);
			if (st != BX_OK || *nFaces > 0)
				return st;
		}
	}
	if (opts->retryRotation > 0 && opts->retryRotation < 90)
		for (sign = 1; sign >= -1; sign -= 2)
		{
			FpTurn		turn;
			BxImage		turned = FpRotatedImage(&pipe->alloc, image,
												sign * opts->retryRotation, &turn);

			if (turned == NULL)
				return BxSetError(errbuf, errlen, BX_ENOMEM,
								  "out of memory while turning the image");
			st = DetectPass(pipe, turned, opts, opts->padFraction, faces,
							maxFaces, nFaces, errbuf, errlen);
			BxImageFree(turned);
			if (st != BX_OK)
				return st;
			if (*nFaces > 0)
			{
				for (k = 0; k < *nFaces && k < maxFaces; k++)
				{
					FpTurnFaceBack(&turn, &faces[k]);
					faces[k].eyeDistance =
						hypotf(faces[k].landmarks[BX_FACE_LEFT_EYE][0] - faces[k].landmarks[BX_FACE_RIGHT_EYE][0],
							   faces[k].landmarks[BX_FACE_LEFT_EYE][1] - faces[k].landmarks[BX_FACE_RIGHT_EYE][1]);
				}
				return BX_OK;
			}
		}
	/*
	 * Last, so that a photo another retry finds keeps the template it had
	 * (the bench shows those rows unchanged).
	 */
	if (opts->retryDenoise > 0)
	{
		BxImage		smooth = FpDenoisedImage(&pipe->alloc, image, opts->retryDenoise);

		if (smooth == NULL)
			return BxSetError(errbuf, errlen, BX_ENOMEM,
							  "out of memory while smoothing the image");
		st = DetectBothMargins(pipe, smooth, opts, faces, maxFaces, nFaces,
							   errbuf, errlen);
		BxImageFree(smooth);
	}

	/*
	 * The lowest bar last: on the studio bench's motion-blurred and 4x
	 * downscaled photos the faces every other pass missed scored between
	 * 0.8 and 0.9, and at 0.8 all of them were found, each its photo's
	 * true subject (FNMR and rank-1 improved; bench/RESULTS.md).
	 */
	if (st == BX_OK && *nFaces == 0 && opts->retryLowScore > 0 &&
		opts->retryLowScore < opts->scoreThreshold)
	{
		BxFaceOptions low = *opts;

		low.scoreThreshold = opts->retryLowScore;
		st = DetectBothMargins(pipe, image, &low, faces, maxFaces, nFaces,
							   errbuf, errlen);
	}
	return st;
}

BxStatus
BxFaceDetect(BxFacePipe pipe, const BxImageData *image,
			 const BxFaceOptions *opts, BxFace *faces, int maxFaces,
			 int *nFaces, char *errbuf, size_t errlen)
{
	BxFaceOptions defaults;
	BxStatus st;

	if (errbuf != NULL && errlen > 0)
		errbuf[0] = '\0';
	if (nFaces != NULL)
		*nFaces = 0;
	if (pipe == NULL || pipe->detector == NULL || nFaces == NULL ||
		(faces == NULL && maxFaces > 0) || maxFaces < 0)
		return BxSetError(errbuf, errlen, BX_EINVAL,
					   "face detection needs a pipe with a detector and an "
					   "output count");
	if (!ValidImage(image))
		return BxSetError(errbuf, errlen, BX_EINVAL, "invalid image");
	if (opts == NULL)
	{
		BxFaceDefaultOptions(&defaults);
		opts = &defaults;
	}
	if (!(opts->padFraction >= 0.0f && opts->padFraction <= 4.0f) ||
		!(opts->retryPadFraction >= 0.0f && opts->retryPadFraction <= 4.0f) ||
		!(opts->maxUpscale >= 0.0f) || !(opts->retryUpscale >= 0.0f) ||
		!(opts->retryRotation >= 0.0f) || !(opts->scoreThreshold >= 0.0f) ||
		!(opts->nmsThreshold >= 0.0f) ||
		!(opts->retryDenoise >= 0.0f && opts->retryDenoise <= FP_DENOISE_MAX_RADIUS / 3) ||
		!(opts->retryLowScore >= 0.0f && opts->retryLowScore <= 1.0f))
		return BxSetError(errbuf, errlen, BX_EINVAL,
					   "invalid face options: margins must be within 0..4, "
					   "the retry smoothing within 0..5, the retry score within "
					   "0..1, thresholds, upscales and the retry rotation not "
					   "negative");

	st = DetectBothMargins(pipe, image, opts, faces, maxFaces, nFaces,
						   errbuf, errlen);
	if (st == BX_OK && *nFaces == 0)
		st = DetectRetries(pipe, image, opts, faces, maxFaces, nFaces,
						   errbuf, errlen);
	return st;
}
