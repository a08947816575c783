/*-------------------------------------------------------------------------
 *
 * test_quality.c
 *	  Unit tests of the capture quality components (lib/facepipe/quality.h).
 *
 * Without the models: pose from synthetic landmarks (frontal, rolled,
 * turned, tilted), the face's share of the frame, brightness, contrast and
 * sharpness of synthetic crops (flat, textured, the same texture blurred,
 * darker), the order of BxFaceQualityCheck and its NaN handling.
 *
 * With the models and photos: real LFW faces and captures made from them
 * with known defects (blurred, dark, 4x smaller, rotated): the clean ones
 * pass the default limits, and at least 90% of the blurred, dark and small
 * ones fail with the expected component (recall-style thresholds; which
 * photos fail is not pinned).  Rotated captures are only shown to move the
 * roll component the right way: YuNet's landmarks under-report an in-plane
 * rotation (a 30-degree turn measures 7 to 25 degrees on LFW) and most
 * faces turned beyond 30 degrees are not detected at all, so no default
 * roll limit that passes every clean photo refuses most of them.
 *
 * test/facepipe/test_quality.c
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "degrade.h"
#include "facepipe/facepipe.h"
#include "fptest.h"
#include "imgutil.h"
#include "tap.h"

#define CROP		BX_FACE_ALIGNED_SIZE

/* A face of the reference geometry scaled by s, rotated by deg, at (ox, oy) */
static void
MakeFace(BxFace *f, double s, double deg, double ox, double oy)
{
	double		a = deg * 3.14159265358979323846 / 180.0;
	int			k;

	memset(f, 0, sizeof(*f));
	for (k = 0; k < BX_FACE_LANDMARKS; k++)
	{
		double		x = (BxFaceReference[k][0] - 56) * s,
					y = (BxFaceReference[k][1] - 56) * s;

		/* the nose where YuNet puts it on a frontal face: pitch 0 */
		if (k == BX_FACE_NOSE)
			y = ((BxFaceReference[BX_FACE_RIGHT_EYE][1] - 56) +
				 BX_QUALITY_FRONTAL_NOSE * (BxFaceReference[BX_FACE_RIGHT_MOUTH][1] -
											BxFaceReference[BX_FACE_RIGHT_EYE][1])) * s;
		f->landmarks[k][0] = (float) (ox + cos(a) * x - sin(a) * y);
		f->landmarks[k][1] = (float) (oy + sin(a) * x + cos(a) * y);
	}
	f->x = (float) (ox - 50 * s);
	f->y = (float) (oy - 60 * s);
	f->width = (float) (100 * s);
	f->height = (float) (120 * s);
	f->score = 0.93f;
	f->eyeDistance = (float) (35.2 * s);
}

/* Deterministic texture: value noise at a few pixels' scale, mean 128 */
static void
TextureCrop(uint8_t *crop, double gain, double offset)
{
	uint64_t	state = 17;

	for (int i = 0; i < CROP * CROP; i++)
	{
		double		v;

		state = state * 6364136223846793005ULL + 1442695040888963407ULL;
		v = offset + gain * ((double) (state >> 40) / (double) (1 << 24) - 0.5) * 120;
		v = v < 0 ? 0 : v > 255 ? 255 : v;
		crop[3 * i] = crop[3 * i + 1] = crop[3 * i + 2] = (uint8_t) v;
	}
}

/* Box blur of a grey-in-RGB crop, radius r, in place */
static void
BlurCrop(uint8_t *crop, int r)
{
	static uint8_t tmp[CROP * CROP * 3];

	for (int pass = 0; pass < 2; pass++)
	{
		for (int y = 0; y < CROP; y++)
			for (int x = 0; x < CROP; x++)
			{
				int			s = 0,
							n = 0;

				for (int d = -r; d <= r; d++)
				{
					int			xx = pass == 0 ? x + d : x,
								yy = pass == 0 ? y : y + d;

					if (xx < 0 || yy < 0 || xx >= CROP || yy >= CROP)
						continue;
					s += crop[3 * (yy * CROP + xx)];
					n++;
				}
				tmp[3 * (y * CROP + x)] = tmp[3 * (y * CROP + x) + 1] =
					tmp[3 * (y * CROP + x) + 2] = (uint8_t) (s / n);
			}
		memcpy(crop, tmp, sizeof(tmp));
	}
}

void
TestQualityMeasures(void)
{
	static uint8_t crop[CROP * CROP * 3];
	BxFace		f;
	BxFaceQuality q,
				sharp,
				blurred,
				dark;
	BxQualityLimits lim;

	TextureCrop(crop, 1, 128);
	MakeFace(&f, 2, 0, 320, 240);
	BxFaceQualityMeasure(&f, 640, 480, crop, &sharp);
	/* MobileFaceNet's reference eyes are 0.2 pixels off level */
	TapOk(fabsf(sharp.roll) < 0.5f && fabsf(sharp.yaw) < 0.5f && fabsf(sharp.pitch) < 0.5f,
		  "reference landmarks: roll %.3f, yaw %.3f, pitch %.3f degrees", sharp.roll,
		  sharp.yaw, sharp.pitch);
	TapOk(sharp.eyeDistance == f.eyeDistance && fabsf(sharp.faceSize - 240.0f / 480) < 1e-6f &&
		  sharp.faceInFrame == 1.0f && sharp.confidence == f.score,
		  "eye distance, face size %.3f, in frame %.2f, confidence from the face",
		  sharp.faceSize, sharp.faceInFrame);

	MakeFace(&f, 2, 25, 320, 240);
	BxFaceQualityMeasure(&f, 640, 480, crop, &q);
	TapOk(fabsf(q.roll - sharp.roll - 25) < 0.01f && fabsf(q.yaw - sharp.yaw) < 0.01f &&
		  fabsf(q.pitch - sharp.pitch) < 0.01f,
		  "rolled 25 degrees: roll %.2f, yaw and pitch unchanged (%.3f, %.3f)", q.roll, q.yaw, q.pitch);

	/* the nose moved sideways by 0.6 eye distances is a 45-degree turn */
	MakeFace(&f, 2, 0, 320, 240);
	f.landmarks[BX_FACE_NOSE][0] += 0.6f * f.eyeDistance;
	BxFaceQualityMeasure(&f, 640, 480, crop, &q);
	TapOk(fabsf(q.yaw - 45) < 0.5f && q.roll == sharp.roll,
		  "nose 0.6 eye distances aside: yaw %.2f degrees", q.yaw);
	MakeFace(&f, 2, 0, 320, 240);
	f.landmarks[BX_FACE_NOSE][1] -= 0.3f * f.eyeDistance;
	BxFaceQualityMeasure(&f, 640, 480, crop, &q);
	TapOk(q.pitch > 20 && q.pitch < 30 && fabsf(q.yaw - sharp.yaw) < 0.5f,
		  "nose raised: pitch %.2f degrees up, no yaw", q.pitch);

	/* half the box off the left edge */
	MakeFace(&f, 2, 0, 0, 240);
	BxFaceQualityMeasure(&f, 640, 480, crop, &q);
	TapOk(fabsf(q.faceInFrame - 0.5f) < 1e-6f, "face half out of the frame: %.3f inside",
		  q.faceInFrame);
	MakeFace(&f, 2, 0, -200, 240);
	BxFaceQualityMeasure(&f, 640, 480, crop, &q);
	TapOk(q.faceInFrame == 0, "face outside the frame: 0 inside");

	/* photometry: flat, textured, blurred, darker */
	MakeFace(&f, 2, 0, 320, 240);
	memset(crop, 90, sizeof(crop));
	BxFaceQualityMeasure(&f, 640, 480, crop, &q);
	TapOk(fabsf(q.brightness - 90) < 0.01f && q.contrast < 0.01f && q.sharpness == 0,
		  "flat crop: brightness %.2f, contrast %.3f, sharpness %.3f", q.brightness,
		  q.contrast, q.sharpness);
	TextureCrop(crop, 1, 128);
	BlurCrop(crop, 4);
	BxFaceQualityMeasure(&f, 640, 480, crop, &blurred);
	TapOk(blurred.sharpness < sharp.sharpness / 1.5,
		  "blurred texture: sharpness %.3f, sharp %.3f", blurred.sharpness, sharp.sharpness);
	TextureCrop(crop, 0.25, 32);
	BxFaceQualityMeasure(&f, 640, 480, crop, &dark);
	TapOk(dark.brightness < 40 && dark.contrast < sharp.contrast / 3 &&
		  fabsf(dark.sharpness - sharp.sharpness) < 0.1f * sharp.sharpness,
		  "darker texture: brightness %.1f, contrast %.1f (%.1f), sharpness %.3f unchanged (%.3f)",
		  dark.brightness, dark.contrast, sharp.contrast, dark.sharpness, sharp.sharpness);
	TapOk(sharp.score > 90 && blurred.score < sharp.score && dark.score < sharp.score,
		  "overall score: sharp %.1f, blurred %.1f, dark %.1f", sharp.score, blurred.score,
		  dark.score);

	/* the check: first failing component in order; NaN fails */
	BxFaceQualityDefaultLimits(&lim);
	TapOk(BxFaceQualityCheck(&sharp, &lim) == BX_QC_COUNT, "the sharp textured face passes");
	q = sharp;
	q.sharpness = 0.2f;
	TapOk(BxFaceQualityCheck(&q, &lim) == BX_QC_SHARPNESS, "a blurred one: sharpness");
	TapOk(BxFaceQualityCheck(&dark, &lim) == BX_QC_UNDER_EXPOSURE, "the dark one: under_exposure");
	q = sharp;
	q.brightness = 250;
	TapOk(BxFaceQualityCheck(&q, &lim) == BX_QC_OVER_EXPOSURE, "a bright one: over_exposure");
	q = dark;
	q.eyeDistance = 5;
	q.roll = 80;
	TapOk(BxFaceQualityCheck(&q, &lim) == BX_QC_EYE_DISTANCE,
		  "several failures: the first in order (eye_distance) is reported");
	q = sharp;
	q.yaw = NAN;
	TapOk(BxFaceQualityCheck(&q, &lim) == BX_QC_YAW, "a NaN yaw fails");
	q = sharp;
	lim.minScore = 101;
	TapOk(BxFaceQualityCheck(&q, &lim) == BX_QC_SCORE, "an overall minimum above the score fails");
	TapOk(strcmp(BxFaceQualityComponentName(BX_QC_EYE_DISTANCE), "eye_distance") == 0 &&
		  strcmp(BxFaceQualityComponentName(BX_QC_SCORE), "score") == 0 &&
		  strcmp(BxFaceQualityComponentName(BX_QC_COUNT), "unknown") == 0,
		  "component names");
}

enum
{
	D_CLEAN, D_BLURRED, D_DARK, D_ROTATED, D_TINY, D_COUNT
};

/* Quality check of one capture; BX_QC_COUNT passes, -1 no face embedded */
static int
CheckCapture(BxFacePipe pipe, BxImage img, BxFaceQuality *q)
{
	BxFaceOptions o;
	BxQualityLimits lim;
	BxFaceResult r;
	float		emb[BX_FACE_EMBEDDING_DIM];

	if (img == NULL)
		return -1;
	BxFaceDefaultOptions(&o);
	o.rule = BX_FACE_RULE_LARGEST;	/* the gate's rule */
	BxFaceQualityDefaultLimits(&lim);
	if (BxFaceEmbed(pipe, img, &o, emb, &r, err, sizeof(err)) != BX_OK || !r.hasQuality)
		return -1;
	*q = r.quality;
	return BxFaceQualityCheck(&r.quality, &lim);
}

void
TestQualityDefects(BxFacePipe pipe, bool quick)
{
	static const char *const names[D_COUNT] = {"clean", "blurred", "dark", "rotated", "4x smaller"};
	static const BxQualityComponent expected[D_COUNT] = {
		BX_QC_COUNT, BX_QC_SHARPNESS, BX_QC_UNDER_EXPOSURE, BX_QC_ROLL, BX_QC_EYE_DISTANCE
	};
	char		dir[1024];
	char	  **files;
	int			n,
				used = 0,
				rollFollows = 0,
				embedded[D_COUNT] = {0},
				asExpected[D_COUNT] = {0};

	snprintf(dir, sizeof(dir), "%s/faces/lfw_singletons/images", DataDir());
	n = ListSubdirFiles(dir, ".jpg", &files);
	if (n == 0)
	{
		TapSkip("LFW photos not found under %s", dir);
		return;
	}
	for (int i = 0; i < n && used < (quick ? 6 : 40); i += 7)
	{
		size_t		len;
		void	   *data = ReadWholeFile(files[i], &len);
		BxImage		clean = NULL;

		if (data == NULL || BxImageDecode(data, len, NULL, &clean, err, sizeof(err)) != BX_OK)
		{
			TapDiag("%s: cannot decode", files[i]);
			free(data);
			continue;
		}
		free(data);
		used++;
		float		cleanRoll = NAN;

		for (int d = 0; d < D_COUNT; d++)
		{
			BxImage		img = d == D_CLEAN ? clean :
				d == D_BLURRED ? DegradeBlur(clean, 3.0) :
				d == D_DARK ? DegradeDark(clean, 0.4, 2.5) :
				d == D_ROTATED ? DegradeRotate(clean, 30) : DegradeShrink(clean, 4);
			BxFaceQuality q;
			int			c = CheckCapture(pipe, img, &q);

			if (c >= 0)
				embedded[d]++;
			if (c >= 0 && d == D_CLEAN)
				cleanRoll = q.roll;
			/* a counter-clockwise turn lowers the eye line's angle */
			if (c >= 0 && d == D_ROTATED && cleanRoll - q.roll >= 5)
				rollFollows++;
			if (c == (int) expected[d])
				asExpected[d]++;
			else if (c >= 0 && d != D_ROTATED)
				TapDiag("%s %s: %s (sharpness %.2f, brightness %.0f, roll %.1f, eyes %.1f)",
						names[d], files[i], BxFaceQualityComponentName(c), q.sharpness,
						q.brightness, q.roll, q.eyeDistance);
			if (img != clean)
				BxImageFree(img);
		}
		BxImageFree(clean);
	}
	FreePaths(files, n);
	TapOk(asExpected[D_CLEAN] == used, "every clean LFW capture passes (%d of %d)",
		  asExpected[D_CLEAN], used);
	TapOk(rollFollows * 10 >= embedded[D_ROTATED] * 9 && embedded[D_ROTATED] * 2 >= used,
		  "rotated 30 degrees: the roll measured turns the same way by 5 degrees or more on %d of %d "
		  "detected (%d refused for roll by the defaults)", rollFollows,
		  embedded[D_ROTATED], asExpected[D_ROTATED]);
	for (int d = 1; d < D_COUNT; d++)
		if (d != D_ROTATED)
			TapOk(asExpected[d] * 10 >= used * 9,
				  "%s captures refused for %s: %d of %d (%d embedded)", names[d],
				  BxFaceQualityComponentName(expected[d]), asExpected[d], used, embedded[d]);
}
