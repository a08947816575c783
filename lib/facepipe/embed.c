/*-------------------------------------------------------------------------
 *
 * embed.c
 *	  Face embedding with MobileFaceNet, and BxFaceEmbed(): detect, pick
 *	  one face, align, embed, measure its quality, with per-stage timings.
 *
 * Preprocessing is the one MobileFaceNet was trained with (models/
 * README.md): RGB, value / 255, minus the ImageNet mean, divided by the
 * ImageNet standard deviation, NCHW.  The raw output is L2-normalised so
 * that the cosine similarity of two templates is their dot product, which
 * is what the face_embedding distance operators compute.
 *
 * lib/facepipe/embed.c
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <string.h>

#include "facepipe_internal.h"

static const float mean[3] = {0.485f, 0.456f, 0.406f};
static const float stdev[3] = {0.229f, 0.224f, 0.225f};

/* Most faces BxFaceEmbed() looks at when choosing one */
#define FP_EMBED_MAX_FACES	64

BxStatus
BxFaceEmbedAligned(BxFacePipe pipe, const uint8_t *aligned,
				   const BxFaceOptions *opts, float *embedding,
				   char *errbuf, size_t errlen)
{
	const size_t plane = BX_FACE_ALIGNED_SIZE * BX_FACE_ALIGNED_SIZE;
	const float *inputs[1];
	const float *outputs[1];
	char		nnerr[BX_ERRBUF_SIZE];
	BxStatus	nst;
	double		norm = 0;
	size_t		i;
	int			c;

	if (errbuf != NULL && errlen > 0)
		errbuf[0] = '\0';
	if (pipe == NULL || pipe->embedder == NULL || aligned == NULL ||
		embedding == NULL)
		return BxSetError(errbuf, errlen, BX_EINVAL,
					   "embedding needs a pipe with an embedder, a crop and "
					   "an output buffer");
	for (i = 0; i < plane; i++)
		for (c = 0; c < 3; c++)
			pipe->embedInput[c * plane + i] =
				(aligned[3 * i + c] / 255.0f - mean[c]) / stdev[c];

	inputs[0] = pipe->embedInput;
	nst = NnModelRun(pipe->embedder, inputs, outputs,
					 opts != NULL ? opts->interrupt : NULL,
					 opts != NULL ? opts->interruptArg : NULL,
					 nnerr, sizeof(nnerr));
	if (nst != BX_OK)
		return FpRunStatus(nst, "face embedder", nnerr, errbuf, errlen);

	for (i = 0; i < BX_FACE_EMBEDDING_DIM; i++)
		norm += (double) outputs[0][i] * outputs[0][i];
	norm = sqrt(norm);
	/* a zero or NaN vector cannot be normalised: a broken model or input */
	if (!(norm > 1e-12) || !isfinite(norm))
		return BxSetError(errbuf, errlen, BX_EINTERNAL,
					   "face embedder returned a zero or non-finite vector");
	for (i = 0; i < BX_FACE_EMBEDDING_DIM; i++)
		embedding[i] = (float) (outputs[0][i] / norm);
	return BX_OK;
}

void
BxFaceToPhotoPixels(const BxImageData *image, BxFace *face)
{
	float		sx = (float) image->fullWidth / image->width;
	float		sy = (float) image->fullHeight / image->height;
	int			k;

	face->x *= sx;
	face->y *= sy;
	face->width *= sx;
	face->height *= sy;
	for (k = 0; k < BX_FACE_LANDMARKS; k++)
	{
		face->landmarks[k][0] *= sx;
		face->landmarks[k][1] *= sy;
	}
	/* DCT scaling keeps the aspect ratio: one factor serves the distance */
	face->eyeDistance *= sx;
}

int
BxFaceDecodeLongSide(int detectorSize)
{
	return detectorSize * 2 > 640 ? detectorSize * 2 : 640;
}

/*
 * Pick the face to embed among n detections (already in photo pixels):
 * ignore those below the minimum eye distance, then apply the rule.
 * Returns the index of the face to embed, or -1 with the status in *st;
 * *shown gets the face to report either way (-1 when there is none).
 */
static int
ChooseFace(const BxFace *faces, int n, const BxFaceOptions *opts,
		   int *usable, int *shown, BxStatus *st, char *errbuf, size_t errlen)
{
	int			best = -1,
				widestSmall = -1,
				i;

	*usable = 0;
	for (i = 0; i < n; i++)
	{
		if (faces[i].eyeDistance < opts->minEyeDistance)
		{
			if (widestSmall < 0 || faces[i].eyeDistance > faces[widestSmall].eyeDistance)
				widestSmall = i;
			continue;
		}
		(*usable)++;
		if (best < 0 ||
			faces[i].width * faces[i].height > faces[best].width * faces[best].height)
			best = i;
	}
	*shown = best >= 0 ? best : widestSmall;
	if (n == 0)
	{
		*st = BxSetError(errbuf, errlen, BX_ENOFACE, "no face found");
		return -1;
	}
	if (*usable == 0)
	{
		*st = BxSetError(errbuf, errlen, BX_ETOOSMALL,
						 "face too small: eye distance %.1f pixels, minimum %.1f",
						 faces[widestSmall].eyeDistance, opts->minEyeDistance);
		return -1;
	}
	if (*usable > 1 && opts->rule == BX_FACE_RULE_SINGLE)
	{
		*st = BxSetError(errbuf, errlen, BX_EMULTIPLE,
						 "%d faces found, expected one", *usable);
		return -1;
	}
	*st = BX_OK;
	return best;
}

BxStatus
BxFaceEmbed(BxFacePipe pipe, const BxImageData *image,
			const BxFaceOptions *opts, float *embedding, BxFaceResult *result,
			char *errbuf, size_t errlen)
{
	BxFaceOptions defaults;
	BxFace		faces[FP_EMBED_MAX_FACES];	/* decoded image's pixels */
	BxFace		photo[FP_EMBED_MAX_FACES];	/* the photo's own pixels */
	BxFaceResult local;
	BxStatus	st;
	int			n,
				chosen,
				shown,
				i;
	double		t0,
				t1,
				t2,
				t3;

	if (errbuf != NULL && errlen > 0)
		errbuf[0] = '\0';
	if (result == NULL)
		result = &local;
	memset(result, 0, sizeof(*result));
	if (pipe == NULL || pipe->detector == NULL || pipe->embedder == NULL ||
		embedding == NULL || image == NULL)
		return BxSetError(errbuf, errlen, BX_EINVAL,
						  "embedding a photo needs a pipe with a detector and "
						  "an embedder, an image and an output buffer");
	if (opts == NULL)
	{
		BxFaceDefaultOptions(&defaults);
		opts = &defaults;
	}
	t0 = FpNowMs();
	st = BxFaceDetect(pipe, image, opts, faces, FP_EMBED_MAX_FACES, &n,
					  errbuf, errlen);
	if (st != BX_OK)
		return st;
	result->nFaces = n;
	if (n > FP_EMBED_MAX_FACES)
		n = FP_EMBED_MAX_FACES;
	/* the choice is made in the photo's pixels, the unit of the settings */
	for (i = 0; i < n; i++)
	{
		photo[i] = faces[i];
		BxFaceToPhotoPixels(image, &photo[i]);
	}
	chosen = ChooseFace(photo, n, opts, &result->nUsable, &shown, &st,
						errbuf, errlen);
	if (shown >= 0)
		result->face = photo[shown];
	t1 = FpNowMs();
	result->timings.detectMs = t1 - t0;
	if (chosen < 0)
		return st;

	/* align on the decoded image, with the landmarks in its pixels */
	if (BxFaceAlign(image, faces[chosen].landmarks, pipe->aligned) != BX_OK)
		return BxSetError(errbuf, errlen, BX_ENOFACE,
						  "face landmarks are degenerate");
	t2 = FpNowMs();
	st = BxFaceEmbedAligned(pipe, pipe->aligned, opts, embedding, errbuf, errlen);
	if (st != BX_OK)
		return st;
	/* photometry on the crop the embedder saw, geometry in the photo's frame */
	BxFaceQualityMeasure(&result->face, image->fullWidth, image->fullHeight,
						 pipe->aligned, &result->quality);
	result->hasQuality = true;
	t3 = FpNowMs();
	result->timings.alignMs = t2 - t1;
	result->timings.embedMs = t3 - t2;
	return BX_OK;
}
