/*-------------------------------------------------------------------------
 *
 * quality.c
 *	  Capture quality components of a face, its overall score, and the
 *	  check against limits (see quality.h for the components and units).
 *
 * Pose from five landmarks.  The landmarks are first rotated by minus the
 * roll about the eyes' midpoint, so yaw and pitch are read in the face's
 * upright frame.  A head turned by yaw t moves the nose tip, which stands
 * about d = 0.6 inter-eye distances in front of the eye-mouth plane, by
 * d sin t sideways while the eye distance shrinks to cos t of its frontal
 * value: offset / eye distance = 0.6 tan t, so t = atan(offset / (0.6
 * eye distance)).  Pitch is read the same way from the nose's height
 * between the eye line and the mouth line, relative to its frontal
 * position (BX_QUALITY_FRONTAL_NOSE).
 * These are estimates, not a 3-D fit: good to tell a frontal face from a
 * turned one, which is what a gate needs.
 *
 * lib/facepipe/quality.c
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <string.h>

#include "facepipe.h"
#include "quality.h"

#define RAD2DEG				57.29577951308232	/* 180 / pi: C11 has no M_PI */

/* nose depth in front of the eye-mouth plane, in inter-eye distances */
#define NOSE_DEPTH			0.6

/*
 * The face inside the 112x112 crop over which the photometric components
 * are measured: from above the eyebrows (the eyes are at y = 51.6) to the
 * chin (the mouth is at y = 92.2), between the cheeks, so that neither the
 * background nor the black outside a photo's edge counts.
 */
#define ROI_X0				24
#define ROI_X1				88
#define ROI_Y0				36
#define ROI_Y1				104

static const char *const componentNames[BX_QC_COUNT] = {
	"eye_distance", "face_size", "face_in_frame", "roll", "yaw", "pitch",
	"under_exposure", "over_exposure", "contrast", "sharpness", "confidence",
	"score"
};

void
BxFaceQualityDefaultLimits(BxQualityLimits *lim)
{
	lim->minEyeDistance = BX_QUALITY_DEFAULT_MIN_EYE_DISTANCE;
	lim->minFaceSize = BX_QUALITY_DEFAULT_MIN_FACE_SIZE;
	lim->minFaceInFrame = BX_QUALITY_DEFAULT_MIN_FACE_IN_FRAME;
	lim->maxRoll = BX_QUALITY_DEFAULT_MAX_ROLL;
	lim->maxYaw = BX_QUALITY_DEFAULT_MAX_YAW;
	lim->maxPitch = BX_QUALITY_DEFAULT_MAX_PITCH;
	lim->minBrightness = BX_QUALITY_DEFAULT_MIN_BRIGHTNESS;
	lim->maxBrightness = BX_QUALITY_DEFAULT_MAX_BRIGHTNESS;
	lim->minContrast = BX_QUALITY_DEFAULT_MIN_CONTRAST;
	lim->minSharpness = BX_QUALITY_DEFAULT_MIN_SHARPNESS;
	lim->minConfidence = BX_QUALITY_DEFAULT_MIN_CONFIDENCE;
	lim->minScore = BX_QUALITY_DEFAULT_MIN_SCORE;
}

const char *
BxFaceQualityComponentName(BxQualityComponent c)
{
	if ((int) c < 0 || c >= BX_QC_COUNT)
		return "unknown";
	return componentNames[c];
}

/* Roll, yaw and pitch in degrees from the five landmarks */
static void
MeasurePose(const BxFace *face, BxFaceQuality *q)
{
	const float (*lm)[2] = face->landmarks;
	double		ex = (lm[BX_FACE_RIGHT_EYE][0] + lm[BX_FACE_LEFT_EYE][0]) / 2.0;
	double		ey = (lm[BX_FACE_RIGHT_EYE][1] + lm[BX_FACE_LEFT_EYE][1]) / 2.0;
	double		dx = lm[BX_FACE_LEFT_EYE][0] - lm[BX_FACE_RIGHT_EYE][0];
	double		dy = lm[BX_FACE_LEFT_EYE][1] - lm[BX_FACE_RIGHT_EYE][1];
	double		ied = sqrt(dx * dx + dy * dy);
	double		roll = atan2(dy, dx);
	double		c = cos(-roll),
				s = sin(-roll);
	double		u[BX_FACE_LANDMARKS],
				v[BX_FACE_LANDMARKS];
	double		mouthX,
				mouthY,
				height,
				frontal;
	int			k;

	q->roll = (float) (roll * RAD2DEG);
	if (!(ied > 0))
	{
		/* coincident eyes: no frame to read the pose in */
		q->yaw = q->pitch = NAN;
		return;
	}
	/* the landmarks in the upright frame, origin between the eyes */
	for (k = 0; k < BX_FACE_LANDMARKS; k++)
	{
		double		x = lm[k][0] - ex,
					y = lm[k][1] - ey;

		u[k] = c * x - s * y;
		v[k] = s * x + c * y;
	}
	mouthX = (u[BX_FACE_RIGHT_MOUTH] + u[BX_FACE_LEFT_MOUTH]) / 2.0;
	mouthY = (v[BX_FACE_RIGHT_MOUTH] + v[BX_FACE_LEFT_MOUTH]) / 2.0;
	height = mouthY;
	if (!(height > 0))
	{
		/* mouth level with or above the eyes: not a face the model knows */
		q->yaw = q->pitch = NAN;
		return;
	}
	/* offset of the nose from the midline (eyes' midpoint to mouth's) */
	q->yaw = (float) (atan2(u[BX_FACE_NOSE] - mouthX * v[BX_FACE_NOSE] / height,
							NOSE_DEPTH * ied) * RAD2DEG);
	frontal = BX_QUALITY_FRONTAL_NOSE;
	/* nose higher than frontal (smaller v) is a head tilted up: positive */
	q->pitch = (float) (atan2(frontal * height - v[BX_FACE_NOSE], NOSE_DEPTH * ied) * RAD2DEG);
}

/* Fraction of the face box inside the frame */
static float
InFrame(const BxFace *face, int frameWidth, int frameHeight)
{
	double		x0 = face->x > 0 ? face->x : 0;
	double		y0 = face->y > 0 ? face->y : 0;
	double		x1 = face->x + face->width < frameWidth ? face->x + face->width : frameWidth;
	double		y1 = face->y + face->height < frameHeight ? face->y + face->height : frameHeight;
	double		area = (double) face->width * face->height;

	if (!(area > 0) || x1 <= x0 || y1 <= y0)
		return 0;
	return (float) ((x1 - x0) * (y1 - y0) / area);
}

/* Brightness, contrast and sharpness of the face in the aligned crop */
static void
MeasurePhotometry(const uint8_t *aligned, BxFaceQuality *q)
{
	enum
	{
		W = ROI_X1 - ROI_X0, H = ROI_Y1 - ROI_Y0
	};
	double		sum = 0,
				sum2 = 0,
				lap2 = 0,
				grad2 = 0,
				mean;
	int			x,
				y,
				n = W * H;

	{
		float		g[H][W];	/* 17 kB on the stack: bounded, no allocation */

		for (y = 0; y < H; y++)
			for (x = 0; x < W; x++)
			{
				const uint8_t *p = aligned + 3 * ((size_t) (y + ROI_Y0) * BX_FACE_ALIGNED_SIZE + x + ROI_X0);

				/* ITU-R BT.601 luma, as JPEG stores it */
				g[y][x] = 0.299f * p[0] + 0.587f * p[1] + 0.114f * p[2];
				sum += g[y][x];
				sum2 += (double) g[y][x] * g[y][x];
			}
		for (y = 1; y < H - 1; y++)
			for (x = 1; x < W - 1; x++)
			{
				double		l = g[y - 1][x] + g[y + 1][x] + g[y][x - 1] + g[y][x + 1] - 4.0 * g[y][x];
				double		gx = (g[y][x + 1] - g[y][x - 1]) / 2.0;
				double		gy = (g[y + 1][x] - g[y - 1][x]) / 2.0;

				lap2 += l * l;
				grad2 += gx * gx + gy * gy;
			}
	}
	mean = sum / n;
	q->brightness = (float) mean;
	q->contrast = (float) sqrt(fmax(sum2 / n - mean * mean, 0.0));
	/* a flat face has no detail at any frequency: sharpness 0 */
	q->sharpness = grad2 > 1e-9 ? (float) sqrt(lap2 / grad2) : 0.0f;
}

/* Utility of a value on a linear ramp from bad (0) to good (1) */
static double
Ramp(double value, double bad, double good)
{
	double		t;

	if (isnan(value))
		return 0;
	t = (value - bad) / (good - bad);
	return t < 0 ? 0 : t > 1 ? 1 : t;
}

/*
 * Overall score: 100 x the geometric mean of the component utilities.  The
 * ramps run from a value that makes a capture useless to one beyond which
 * more does not help the embedder (e.g. eye distance 35 pixels, the
 * crop's own); they are fixed here so that the score means the same on
 * every installation.
 */
static float
OverallScore(const BxFaceQuality *q)
{
	double		u[] = {
		Ramp(q->eyeDistance, 8, 35),
		Ramp(q->faceSize, 0.02, 0.15),
		Ramp(q->faceInFrame, 0.5, 0.9),
		Ramp(fabs(q->roll), 45, 15),
		Ramp(fabs(q->yaw), 60, 20),
		Ramp(fabs(q->pitch), 50, 20),
		fmin(Ramp(q->brightness, 15, 70), Ramp(q->brightness, 250, 200)),
		Ramp(q->contrast, 4, 30),
		Ramp(q->sharpness, 0.15, 0.6),
		Ramp(q->confidence, 0.5, 0.95)
	};
	double		logsum = 0;
	size_t		i;

	for (i = 0; i < sizeof(u) / sizeof(u[0]); i++)
	{
		if (u[i] <= 0)
			return 0;
		logsum += log(u[i]);
	}
	return (float) (100.0 * exp(logsum / (sizeof(u) / sizeof(u[0]))));
}

void
BxFaceQualityMeasure(const BxFace *face, int frameWidth, int frameHeight,
					 const uint8_t *aligned, BxFaceQuality *q)
{
	memset(q, 0, sizeof(*q));
	q->eyeDistance = face->eyeDistance;
	q->faceSize = frameHeight > 0 ? face->height / frameHeight : 0;
	q->faceInFrame = InFrame(face, frameWidth, frameHeight);
	q->confidence = face->score;
	MeasurePose(face, q);
	MeasurePhotometry(aligned, q);
	q->score = OverallScore(q);
}

/* value >= min, false for NaN */
static inline int
AtLeast(float value, float min)
{
	return value >= min;
}

BxQualityComponent
BxFaceQualityCheck(const BxFaceQuality *q, const BxQualityLimits *lim)
{
	if (!AtLeast(q->eyeDistance, lim->minEyeDistance))
		return BX_QC_EYE_DISTANCE;
	if (!AtLeast(q->faceSize, lim->minFaceSize))
		return BX_QC_FACE_SIZE;
	if (!AtLeast(q->faceInFrame, lim->minFaceInFrame))
		return BX_QC_FACE_IN_FRAME;
	if (!AtLeast(lim->maxRoll, fabsf(q->roll)))
		return BX_QC_ROLL;
	if (!AtLeast(lim->maxYaw, fabsf(q->yaw)))
		return BX_QC_YAW;
	if (!AtLeast(lim->maxPitch, fabsf(q->pitch)))
		return BX_QC_PITCH;
	if (!AtLeast(q->brightness, lim->minBrightness))
		return BX_QC_UNDER_EXPOSURE;
	if (!AtLeast(lim->maxBrightness, q->brightness))
		return BX_QC_OVER_EXPOSURE;
	if (!AtLeast(q->contrast, lim->minContrast))
		return BX_QC_CONTRAST;
	if (!AtLeast(q->sharpness, lim->minSharpness))
		return BX_QC_SHARPNESS;
	if (!AtLeast(q->confidence, lim->minConfidence))
		return BX_QC_CONFIDENCE;
	if (!AtLeast(q->score, lim->minScore))
		return BX_QC_SCORE;
	return BX_QC_COUNT;
}
