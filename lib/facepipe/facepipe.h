/*-------------------------------------------------------------------------
 *
 * facepipe.h
 *	  Public API of the face pipeline: detect faces with YuNet, align them
 *	  to a 112x112 crop, embed them with MobileFaceNet.
 *
 * No PostgreSQL headers and no fmgr types: the caller decodes the photo
 * (bx_image.h), loads the two models (nn.h) and turns statuses into
 * errors.  Failures are a BxStatus plus a NUL-terminated message in a
 * buffer the caller owns; the library never prints or exits.
 *
 * A BxFacePipe holds the two models (not owned: the caller frees them after
 * the pipe) and the work buffers sized for them, allocated once.  Like an
 * NnModel it may be used by one thread at a time.
 *
 * Coordinates are pixels of the image passed in, pixel centres at integer
 * positions (OpenCV's convention).  For a JPEG decoded with DCT scaling,
 * multiply by fullWidth / width to get coordinates in the full photo.
 *
 * Detection (YuNet, see models/README.md): the image, optionally framed by
 * a black margin (padFraction), is resized keeping its aspect ratio into
 * the detector's input canvas (whatever size the model was loaded with,
 * e.g. 640x640 or 320x320), top-left aligned, the rest zero; raw 0..255
 * BGR.  YuNet misses faces much larger than its biggest anchors.  Measured
 * on the 400 ORL images (92x112 tight crops) at score threshold 0.9, with
 * no margin: enlarged to fill a 640x640 canvas (5.7x) it found 32 faces;
 * enlarged at most 4x (maxUpscale, the default) 391; in a 320x320 canvas
 * all 400.  With a margin of half the image on each side (padFraction
 * 0.5) it found all 400 even in the 640 canvas.  So small images are
 * enlarged at most maxUpscale times, and when a pass finds nothing the
 * detector retries with the margin retryPadFraction (default 0.5), which
 * costs a second pass only on close-ups and on photos without a face.
 *
 * Alignment: least-squares similarity transform (rotation, uniform scale,
 * translation; no reflection) from the 5 landmarks to MobileFaceNet's
 * reference points, bilinear warp to 112x112 RGB, zero outside the image.
 *
 * Embedding: MobileFaceNet on the crop (RGB / 255, ImageNet mean and std,
 * NCHW), 128 floats, L2-normalised, so cosine similarity is a dot product.
 *
 * lib/facepipe/facepipe.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef FACEPIPE_H
#define FACEPIPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bx_runtime.h"
#include "image/bx_image.h"
#include "nn/nn.h"
#include "quality.h"

#ifdef __cplusplus
extern "C"
{
#endif

#define BX_FACE_EMBEDDING_DIM	128
#define BX_FACE_ALIGNED_SIZE	112 /* aligned crop: 112x112 RGB */
#define BX_FACE_LANDMARKS		5


/* Which face BxFaceEmbed() takes when the photo shows several */
typedef enum BxFaceRule
{
	BX_FACE_RULE_SINGLE = 0,	/* exactly one, else BX_EMULTIPLE */
	BX_FACE_RULE_LARGEST		/* the one with the largest box */
} BxFaceRule;

/* Landmark order, as YuNet reports them (image left/right) */
typedef enum BxFaceLandmark
{
	BX_FACE_RIGHT_EYE = 0,		/* the subject's right eye: image left */
	BX_FACE_LEFT_EYE,
	BX_FACE_NOSE,
	BX_FACE_RIGHT_MOUTH,
	BX_FACE_LEFT_MOUTH
} BxFaceLandmark;

/* One detected face, in pixels of the image given */
typedef struct BxFace
{
	float		x;				/* box: top-left corner and size */
	float		y;
	float		width;
	float		height;
	float		landmarks[BX_FACE_LANDMARKS][2];	/* (x, y) */
	float		score;			/* sqrt(cls * obj), 0..1 */
	float		eyeDistance;	/* between the two eye landmarks */
} BxFace;

/* Settings: fill with BxFaceDefaultOptions(), then adjust */
typedef struct BxFaceOptions
{
	float		scoreThreshold; /* keep detections scoring at least this */
	float		nmsThreshold;	/* suppress overlaps with IoU above this */

	/*
	 * Black margin added on every side before detection, as a fraction of
	 * the image's width (left/right) and height (top/bottom).  A margin
	 * shrinks the image in the canvas, so it costs resolution; it is only
	 * needed when a face is too large for YuNet's anchors (more than about
	 * 400 canvas pixels, e.g. a close-up filling a 640x640 canvas).
	 */
	float		padFraction;

	/*
	 * If the first pass finds no face and this is > 0, detect again with
	 * this margin: close-ups cost a second pass, other photos nothing.
	 */
	float		retryPadFraction;

	/*
	 * Largest enlargement of the (padded) image into the canvas.  Small
	 * images are not blown up to the full canvas beyond this factor.
	 */
	float		maxUpscale;

	/*
	 * Retries when the passes above find no face (each only then, in this
	 * order; 0 or false turns one off):
	 *
	 * retryUpscale: when maxUpscale limited the enlargement, detect again
	 * enlarged up to this factor (a small or distant face).
	 *
	 * retryExposure: detect again on the photo with its luminance stretched
	 * and its median taken to mid-grey (an underexposed capture).
	 *
	 * retryRotation: detect again on the photo turned by this many degrees,
	 * then by minus as many (a tilted head); the faces found are mapped
	 * back to the photo.
	 *
	 * retryDenoise: detect again on the photo smoothed by a Gaussian of
	 * this sigma in pixels (0 to 5), without and with retryPadFraction (a
	 * noisy capture: YuNet takes the noise of a small photo, enlarged into
	 * its canvas, for texture).  The face is still aligned and embedded
	 * from the photo itself.
	 *
	 * retryLowScore: last, detect again on the photo with this score
	 * threshold (0 to 1; only when below scoreThreshold), without and with
	 * retryPadFraction (motion-blurred and small faces score just under
	 * the usual 0.9).
	 * The face's confidence is what it scored: the quality's minimum
	 * confidence can still refuse it.
	 */
	float		retryUpscale;
	bool		retryExposure;
	float		retryRotation;
	float		retryDenoise;
	float		retryLowScore;

	float		minEyeDistance; /* pixels; smaller faces are not embedded */
	BxFaceRule	rule;

	BxInterruptFn interrupt;	/* polled by the networks; may be NULL */
	void	   *interruptArg;
} BxFaceOptions;

/* Wall-clock milliseconds per stage of one BxFaceEmbed() call */
typedef struct BxFaceTimings
{
	double		decodeMs;		/* not set by the library: for callers */
	double		detectMs;		/* canvas + network + decoding + NMS */
	double		alignMs;
	double		embedMs;		/* network + normalisation + quality */
} BxFaceTimings;

/*
 * What BxFaceEmbed() found, whatever its status.  Coordinates and the eye
 * distance are in the photo's own pixels (before any DCT scaling of the
 * decoder: image->fullWidth x fullHeight), the frame bxexit.min_eye_distance
 * and bx_detect() speak in.
 */
typedef struct BxFaceResult
{
	/*
	 * BX_OK: the face embedded.  BX_EMULTIPLE: the largest of the faces
	 * that counted.  BX_ETOOSMALL: the too-small face with the widest eyes.
	 * BX_ENOFACE: zeros.
	 */
	BxFace		face;
	int			nFaces;			/* faces detected, of any size */
	int			nUsable;		/* of those, eyes >= minEyeDistance apart */

	/*
	 * Capture quality of the face embedded (quality.h), measured on the
	 * photo's frame and the aligned crop; hasQuality is false unless the
	 * status is BX_OK.
	 */
	bool		hasQuality;
	BxFaceQuality quality;
	BxFaceTimings timings;
} BxFaceResult;

typedef struct BxFacePipeData *BxFacePipe;

/*
 * Fill *opts with the defaults: score 0.9 (OpenCV's), NMS 0.3, no margin, retry with
 * margin 0.5, upscale at most 4x, no minimum eye distance, rule single;
 * when no face is found, retries enlarged up to 16x, with the exposure
 * normalised, turned by +25 and -25 degrees, and smoothed (sigma 1).
 */
extern void BxFaceDefaultOptions(BxFaceOptions *opts);

/*
 * Check the models' shapes and allocate the work buffers.  detector (YuNet,
 * any input size that is a multiple of 32) or embedder (MobileFaceNet) may
 * be NULL when only the other is used.  allocator NULL means malloc/free;
 * it must return NULL on failure, not longjmp.
 */
extern BxStatus BxFacePipeCreate(NnModel detector, NnModel embedder,
									 const BxAllocator *allocator,
									 BxFacePipe *pipe,
									 char *errbuf, size_t errlen);

/* Free the pipe's buffers (not the models); NULL is a no-op */
extern void BxFacePipeFree(BxFacePipe pipe);

/*
 * Detect faces.  Up to maxFaces are stored in faces[], best score first;
 * *nFaces receives the number found (which may exceed maxFaces).  Finding
 * none is BX_OK with *nFaces = 0.  opts may be NULL.
 */
extern BxStatus BxFaceDetect(BxFacePipe pipe, const BxImageData *image,
								 const BxFaceOptions *opts,
								 BxFace *faces, int maxFaces, int *nFaces,
								 char *errbuf, size_t errlen);

/*
 * Warp image to the 112x112 RGB crop (out: 112 * 112 * 3 bytes) given the
 * 5 landmarks.  Grey images are replicated to 3 channels.
 */
extern BxStatus BxFaceAlign(const BxImageData *image,
								const float landmarks[BX_FACE_LANDMARKS][2],
								uint8_t *out);

/* Embed an aligned 112x112 RGB crop; embedding gets 128 unit-norm floats */
extern BxStatus BxFaceEmbedAligned(BxFacePipe pipe, const uint8_t *aligned,
									   const BxFaceOptions *opts,
									   float *embedding,
									   char *errbuf, size_t errlen);

/*
 * The face pipeline, the one every caller runs (the SQL functions, the
 * accuracy benchmark that calibrates the match thresholds, the tests):
 * detect, choose one face, align, embed, measure the capture quality of
 * the face embedded (result->quality).  Faces whose eyes are closer than
 * opts->minEyeDistance photo pixels do not count (not even as "several");
 * rule single wants exactly one face that counts (else BX_EMULTIPLE), rule
 * largest takes the largest box.  No face is BX_ENOFACE; faces that are all
 * too small are BX_ETOOSMALL.  result (may be NULL) is filled on every
 * status but errors of the caller or the models.  opts may be NULL.
 */
extern BxStatus BxFaceEmbed(BxFacePipe pipe, const BxImageData *image,
							const BxFaceOptions *opts, float *embedding,
							BxFaceResult *result,
							char *errbuf, size_t errlen);

/* Scale a face found in image to the photo's own pixels (see BxFaceResult) */
extern void BxFaceToPhotoPixels(const BxImageData *image, BxFace *face);

/*
 * Long side to which a decoder should DCT-scale a JPEG before detection on
 * a detectorSize canvas: about twice the canvas, at least 640 pixels, so
 * that a 4000x3000 photo is not decoded at full size for nothing.
 */
extern int	BxFaceDecodeLongSide(int detectorSize);

/*
 * Least-squares similarity transform (Umeyama, no reflection) taking
 * src[i] to dst[i] for n >= 2 points: x' = m[0] x + m[1] y + m[2],
 * y' = m[3] x + m[4] y + m[5], with m[4] = m[0] and m[3] = -m[1].  Returns
 * BX_EINVAL if the source points coincide.
 */
extern BxStatus BxFaceSimilarity(const float src[][2],
									 const float dst[][2], int n, double m[6]);

/*
 * Set opts to run the detector (YuNet, input 1x3xHxW) on a size x size
 * canvas; size must be a multiple of 32.  Other fields are left alone.
 */
extern void BxFaceDetectorLoadOptions(NnLoadOptions *opts, int size);

/*
 * Match score of two embeddings from BxFaceEmbed: their dot product, the
 * cosine similarity of unit vectors, in [-1, 1].
 */
extern double BxFaceScore(const float *a, const float *b);

/* MobileFaceNet's reference landmarks in the 112x112 crop */
extern const float BxFaceReference[BX_FACE_LANDMARKS][2];


#ifdef __cplusplus
}
#endif

#endif							/* FACEPIPE_H */
