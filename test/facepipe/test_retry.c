/*-------------------------------------------------------------------------
 *
 * test_retry.c
 *	  The detector's retries when no face is found (lib/facepipe/retry.c):
 *	  tilted heads, dark captures, small faces and noisy captures made at
 *	  test time from the shared LFW and ORL photos (test/common/degrade.c),
 *	  each detected with the retries off and on.  The noisy ones (Gaussian
 *	  noise sigma 15) are detected with the other retries on and the
 *	  smoothing retry off, then on: the others rescue few of them.
 *
 * Thresholds are counts, never timings: with the retries, at least 95% of
 * the degraded captures yield a face, every capture found without them is
 * still found, at least one missed without them is found with them (else
 * the test would not exercise the retry), and on the turned photos the
 * eyes land where the turn puts the eyes of the upright photo (within 0.3
 * eye distances on 85%: YuNet's landmarks of a tilted head are less exact,
 * and a few turned photos yield a bystander's face as the largest).
 *
 * test/facepipe/test_retry.c
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "degrade.h"
#include "fptest.h"
#include "helpers.h"
#include "tap.h"

static void
NoRetries(BxFaceOptions *o)
{
	BxFaceDefaultOptions(o);
	o->rule = BX_FACE_RULE_LARGEST;
	o->retryUpscale = 0;
	o->retryExposure = false;
	o->retryRotation = 0;
	o->retryDenoise = 0;
	o->retryLowScore = 0;
}

/* Largest face of img, or false; with the given options */
static bool
Largest(BxFacePipe pipe, const BxImageData *img, const BxFaceOptions *o, BxFace *face)
{
	BxFace		faces[16];
	int			n = 0,
				i,
				best = 0;

	if (img == NULL ||
		BxFaceDetect(pipe, img, o, faces, 16, &n, err, sizeof(err)) != BX_OK || n == 0)
		return false;
	for (i = 1; i < n && i < 16; i++)
		if (faces[i].width * faces[i].height > faces[best].width * faces[best].height)
			best = i;
	*face = faces[best];
	return true;
}

/*
 * Where DegradeRotate(img, degrees) puts the point (x, y) of img: it samples
 * the source at R(a) (q - c) + c, so q = R(-a) (p - c) + c.
 */
static void
Turned(const BxImageData *img, double degrees, double x, double y, double *qx, double *qy)
{
	double		a = degrees * 3.14159265358979323846 / 180.0;
	double		cx = (img->width - 1) / 2.0,
				cy = (img->height - 1) / 2.0;

	*qx = cx + cos(a) * (x - cx) + sin(a) * (y - cy);
	*qy = cy - sin(a) * (x - cx) + cos(a) * (y - cy);
}

typedef struct Tally
{
	int			tried;
	int			foundOff;
	int			foundOn;
	int			lost;			/* found without the retries, not with them */
	int			rescued;		/* found only with them */
} Tally;

static void
Count(Tally *t, bool off, bool on)
{
	t->tried++;
	t->foundOff += off;
	t->foundOn += on;
	t->lost += off && !on;
	t->rescued += on && !off;
}

/* quick (the sanitizer run) sees too few photos to be sure of a rescue */
static void
Report(const Tally *t, const char *what, bool quick)
{
	TapOk(t->tried > 0 && t->foundOn * 100 >= t->tried * 95 && t->lost == 0 &&
		  (t->rescued > 0 || quick),
		  "%s: a face in %d of %d with the retries, %d without them "
		  "(%d found only with them, %d lost)", what, t->foundOn, t->tried,
		  t->foundOff, t->rescued, t->lost);
}

void
TestDetectorRetries(BxFacePipe pipe, bool quick)
{
	char		dir[1024];
	char	  **files;
	int			n,
				used = 0,
				eyesChecked = 0,
				eyesClose = 0;
	BxFaceOptions on,
				off;
	Tally		turned = {0},
				dark = {0},
				small = {0},
				noisy = {0},
				blurred = {0};
	BxFaceOptions rough,
				strict;
	int			blurEyes = 0,
				blurEyesClose = 0;

	NoRetries(&off);
	BxFaceDefaultOptions(&on);
	on.rule = BX_FACE_RULE_LARGEST;
	TapOk(on.retryRotation > 0 && on.retryExposure && on.retryUpscale > on.maxUpscale &&
		  on.retryDenoise > 0,
		  "the retries are on by default (turn %.0f degrees, exposure, upscale %.0fx, "
		  "smoothing sigma %.1f)", on.retryRotation, on.retryUpscale, on.retryDenoise);
	{
		BxImage		grey = BxImageCreate(64, 64, 1, NULL);
		BxFaceOptions wide = on,
					neg = on;
		BxFace		f;
		int			nf;

		memset(grey->pixels, 128, grey->stride * 64);
		wide.retryDenoise = 5.5f;	/* a kernel wider than retry.c keeps */
		neg.retryDenoise = -1;
		TapOk(BxFaceDetect(pipe, grey, &wide, &f, 1, &nf, err, sizeof(err)) == BX_EINVAL &&
			  BxFaceDetect(pipe, grey, &neg, &f, 1, &nf, err, sizeof(err)) == BX_EINVAL &&
			  BxFaceDetect(pipe, grey, &on, &f, 1, &nf, err, sizeof(err)) == BX_OK && nf == 0,
			  "a retry smoothing outside 0..5 -> BX_EINVAL; a flat image smoothed has no face");
		wide = on;
		wide.retryLowScore = 1.5f;
		neg = on;
		neg.retryLowScore = -0.1f;
		TapOk(on.retryLowScore > 0 && on.retryLowScore < on.scoreThreshold &&
			  BxFaceDetect(pipe, grey, &wide, &f, 1, &nf, err, sizeof(err)) == BX_EINVAL &&
			  BxFaceDetect(pipe, grey, &neg, &f, 1, &nf, err, sizeof(err)) == BX_EINVAL,
			  "the low-score retry is on by default (%.2f under %.2f); outside 0..1 -> BX_EINVAL",
			  on.retryLowScore, on.scoreThreshold);
		BxImageFree(grey);
	}
	/* the noisy captures are measured against the other retries alone */
	rough = on;
	rough.retryDenoise = 0;
	/* the motion-blurred ones against every retry but the low score */
	strict = on;
	strict.retryLowScore = 0;

	snprintf(dir, sizeof(dir), "%s/faces/lfw_singletons/images", DataDir());
	n = ListSubdirFiles(dir, ".jpg", &files);
	if (n == 0)
	{
		TapSkip("LFW photos not found under %s", dir);
		return;
	}
	for (int i = 0; i < n && used < (quick ? 12 : 90); i += 5)
	{
		size_t		len;
		void	   *data = ReadWholeFile(files[i], &len);
		BxImage		clean = NULL;
		BxFace		upright,
					f;
		bool		hasUpright;

		if (data == NULL || BxImageDecode(data, len, NULL, &clean, err, sizeof(err)) != BX_OK)
		{
			free(data);
			continue;
		}
		free(data);
		used++;
		hasUpright = Largest(pipe, clean, &off, &upright);
		for (int s = -1; s <= 1; s += 2)
		{
			double		deg = s * 30.0;
			BxImage		img = DegradeRotate(clean, deg);
			bool		a = Largest(pipe, img, &off, &f);
			bool		b = Largest(pipe, img, &on, &f);

			Count(&turned, a, b);
			/* the eyes found on the turned photo against the upright ones, turned */
			if (b && !a && hasUpright)
			{
				double		worst = 0;

				for (int k = BX_FACE_RIGHT_EYE; k <= BX_FACE_LEFT_EYE; k++)
				{
					double		qx,
								qy;

					Turned(clean, deg, upright.landmarks[k][0], upright.landmarks[k][1], &qx, &qy);
					worst = fmax(worst, hypot(f.landmarks[k][0] - qx, f.landmarks[k][1] - qy));
				}
				eyesChecked++;
				eyesClose += worst <= 0.3 * upright.eyeDistance;
			}
			BxImageFree(img);
		}
		BxImageFree(clean);
	}
	FreePaths(files, n);
	Report(&turned, "LFW photos turned by 30 degrees both ways", quick);
	TapOk(eyesChecked > 0 && eyesClose * 100 >= eyesChecked * 85,
		  "faces found only by the turned retry: both eyes within 0.3 eye distances of "
		  "the upright photo's eyes, turned, on %d of %d", eyesClose, eyesChecked);

	/* a small face: ORL shrunk 4x (23x28 pixels); a dark one: gain 0.4, gamma 2.5 */
	for (int s = 1; s <= (quick ? 10 : 40); s++)
		for (int k = 1; k <= (quick ? 2 : 10); k++)
		{
			char		path[1024];
			size_t		len;
			void	   *data;
			BxImage		img = NULL,
						tiny;
			BxFace		f;

			snprintf(path, sizeof(path), "%s/faces/att_orl/s%d/%d.pgm", DataDir(), s, k);
			data = ReadWholeFile(path, &len);
			if (data == NULL || BxImageDecode(data, len, NULL, &img, err, sizeof(err)) != BX_OK)
			{
				free(data);
				continue;
			}
			free(data);
			tiny = DegradeShrink(img, 4);
			Count(&small, Largest(pipe, tiny, &off, &f), Largest(pipe, tiny, &on, &f));
			BxImageFree(tiny);
			tiny = DegradeDark(img, 0.4, 2.5);
			Count(&dark, Largest(pipe, tiny, &off, &f), Largest(pipe, tiny, &on, &f));
			BxImageFree(tiny);
			tiny = DegradeNoise(img, 15, 8381 + (uint64_t) (s * 10 + k));
			Count(&noisy, Largest(pipe, tiny, &rough, &f), Largest(pipe, tiny, &on, &f));
			BxImageFree(tiny);
			tiny = DegradeMotionBlur(img, 9, 30);
			{
				bool		a = Largest(pipe, tiny, &strict, &f);
				bool		b = Largest(pipe, tiny, &on, &f);
				BxFace		sharp;

				Count(&blurred, a, b);
				/*
				 * a face only the low score found: the clean photo's subject
				 * (eyes within half an eye distance: the blur moves the
				 * landmarks by up to 0.35 of it; a face elsewhere is far off)
				 */
				if (b && !a && Largest(pipe, img, &on, &sharp))
				{
					double		worst = 0;

					for (int e = BX_FACE_RIGHT_EYE; e <= BX_FACE_LEFT_EYE; e++)
						worst = fmax(worst, hypot(f.landmarks[e][0] - sharp.landmarks[e][0],
												  f.landmarks[e][1] - sharp.landmarks[e][1]));
					blurEyes++;
					blurEyesClose += worst <= 0.5 * sharp.eyeDistance;
				}
			}
			BxImageFree(tiny);
			BxImageFree(img);
		}
	Report(&small, "ORL photos shrunk 4x", quick);
	Report(&dark, "ORL photos darkened (gain 0.4, gamma 2.5)", quick);
	Report(&noisy, "ORL photos with Gaussian noise sigma 15 (the smoothing retry "
		   "against the others alone)", quick);
	Report(&blurred, "ORL photos with motion blur 9 px at 30 degrees (the low-score retry "
		   "against the others alone)", quick);
	TapOk(blurEyes == blurEyesClose,
		  "faces found only by the low-score retry: both eyes within 0.5 eye distances of "
		  "the clean photo's, on %d of %d", blurEyesClose, blurEyes);
}
