/*-------------------------------------------------------------------------
 *
 * quality.h
 *	  Capture quality of a face: the components ISO/IEC 29794-5 describes
 *	  that a 5-landmark detector and the aligned crop can measure, an
 *	  overall score, and the check of a capture against minimums.
 *
 * Components and their native units (measured by BxFaceQualityMeasure on
 * the face BxFaceEmbed chose, in the photo's own pixels, and on the
 * 112x112 crop the embedder saw):
 *
 *	eye_distance	pixels between the eye landmarks, in the photo
 *	face_size		face box height / photo height
 *	face_in_frame	fraction of the face box inside the photo (1 = whole)
 *	roll			degrees the eye line is tilted (signed)
 *	yaw				degrees the head is turned left/right (signed),
 *					estimated from the nose's offset to the eye-mouth
 *					midline, assuming the nose tip stands 0.6 inter-eye
 *					distances in front of the eye-mouth plane
 *	pitch			degrees the head is tilted up/down (signed, up > 0),
 *					from the nose's height between eye line and mouth line
 *					relative to BX_QUALITY_FRONTAL_NOSE, with the same depth
 *					assumption
 *	brightness		mean grey level (0..255) of the face in the crop:
 *					exposure (under- and over-exposure)
 *	contrast		standard deviation of that grey level
 *	sharpness		sqrt(mean squared Laplacian / mean squared gradient) of
 *					the face in the crop: the RMS spatial frequency of the
 *					face, which blur lowers; a ratio, so exposure and
 *					contrast do not change it
 *	confidence		the detector's score, 0..1
 *
 * The photometric components are measured on the aligned crop because that
 * is the picture the embedder sees: a blur that the crop's resampling hides
 * does not matter to it, and a face too small for the crop looks blurred,
 * which it is, to the embedder.
 *
 * The overall score (0..100) is 100 times the geometric mean of one utility
 * per component, each mapped linearly from 0 at a "bad" value to 1 at a
 * "good" value (quality.c; fixed, independent of the settings), so that
 * any component at its bad end makes the score 0 and the score does not
 * move with the minimums an operator chooses.
 *
 * lib/facepipe/quality.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BX_FACE_QUALITY_H
#define BX_FACE_QUALITY_H

#include <stdint.h>

#ifdef __cplusplus
extern "C"
{
#endif

struct BxFace;

/*
 * Height of YuNet's nose landmark between the eye line (0) and the mouth
 * line (1) on a frontal face: the median over ORL and LFW (MobileFaceNet's
 * reference points put it at 0.495; YuNet's nose tip sits lower, and with
 * that value both sets had a median pitch of -7 degrees).
 */
#define BX_QUALITY_FRONTAL_NOSE		0.56

/*
 * The components, in the order BxFaceQualityCheck() tries them: framing
 * and resolution first, then pose, then the photometric ones, then the
 * detector's confidence and the overall score.  A capture that fails
 * several is reported with the first, the most specific thing a gate can
 * tell the traveller (step closer, face the camera, more light).
 */
typedef enum BxQualityComponent
{
	BX_QC_EYE_DISTANCE = 0,
	BX_QC_FACE_SIZE,
	BX_QC_FACE_IN_FRAME,
	BX_QC_ROLL,
	BX_QC_YAW,
	BX_QC_PITCH,
	BX_QC_UNDER_EXPOSURE,		/* brightness below its minimum */
	BX_QC_OVER_EXPOSURE,		/* brightness above its maximum */
	BX_QC_CONTRAST,
	BX_QC_SHARPNESS,
	BX_QC_CONFIDENCE,
	BX_QC_SCORE,				/* the overall score */
	BX_QC_COUNT
} BxQualityComponent;

/* Measured components; see the file header for the units */
typedef struct BxFaceQuality
{
	float		eyeDistance;
	float		faceSize;
	float		faceInFrame;
	float		roll;
	float		yaw;
	float		pitch;
	float		brightness;
	float		contrast;
	float		sharpness;
	float		confidence;
	float		score;			/* overall, 0..100 */
} BxFaceQuality;

/*
 * Minimums (maximums for pose and brightness) a capture must meet to be
 * matched.  A field at 0 (or, for maxima, at its largest value) checks
 * nothing.
 */
typedef struct BxQualityLimits
{
	float		minEyeDistance;
	float		minFaceSize;
	float		minFaceInFrame;
	float		maxRoll;		/* absolute degrees */
	float		maxYaw;
	float		maxPitch;
	float		minBrightness;
	float		maxBrightness;
	float		minContrast;
	float		minSharpness;
	float		minConfidence;
	float		minScore;
} BxQualityLimits;

/*
 * Default limits, calibrated so that no photo of the shared studio (ORL)
 * and web (LFW) sets is refused (bench/RESULTS.md, "Capture quality"),
 * while captures 4x smaller, darkened or blurred are.  The glue's settings
 * default to these (include/bx_guc.h).  The detector's confidence has no
 * minimum of its own by default: the detection threshold (0.9 at the gate)
 * already is one.
 */
#define BX_QUALITY_DEFAULT_MIN_EYE_DISTANCE	16.0
#define BX_QUALITY_DEFAULT_MIN_FACE_SIZE	0.05
#define BX_QUALITY_DEFAULT_MIN_FACE_IN_FRAME	0.6
#define BX_QUALITY_DEFAULT_MAX_ROLL			25.0
#define BX_QUALITY_DEFAULT_MAX_YAW			60.0
#define BX_QUALITY_DEFAULT_MAX_PITCH		35.0
#define BX_QUALITY_DEFAULT_MIN_BRIGHTNESS	50.0
#define BX_QUALITY_DEFAULT_MAX_BRIGHTNESS	235.0
#define BX_QUALITY_DEFAULT_MIN_CONTRAST		10.0
#define BX_QUALITY_DEFAULT_MIN_SHARPNESS	0.5
#define BX_QUALITY_DEFAULT_MIN_CONFIDENCE	0.0
#define BX_QUALITY_DEFAULT_MIN_SCORE		40.0

/* Fill *lim with the defaults above */
extern void BxFaceQualityDefaultLimits(BxQualityLimits *lim);

/*
 * Measure a face.  face is in the photo's own pixels (BxFaceResult.face),
 * frameWidth x frameHeight the photo's size, aligned the 112x112 RGB crop
 * BxFaceAlign() made of it.  Bounded work: a fixed 112x112 crop and five
 * landmarks, whatever the photo.
 */
extern void BxFaceQualityMeasure(const struct BxFace *face, int frameWidth,
								 int frameHeight, const uint8_t *aligned,
								 BxFaceQuality *quality);

/*
 * The first component (in enum order) the capture fails, or BX_QC_COUNT
 * when it meets every limit.  A NaN measure fails its check.
 */
extern BxQualityComponent BxFaceQualityCheck(const BxFaceQuality *quality,
											 const BxQualityLimits *limits);

/* Name of a component as SQL shows it: "eye_distance", "sharpness", ... */
extern const char *BxFaceQualityComponentName(BxQualityComponent c);

#ifdef __cplusplus
}
#endif

#endif							/* BX_FACE_QUALITY_H */
