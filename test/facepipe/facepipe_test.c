/*-------------------------------------------------------------------------
 *
 * facepipe_test.c
 *	  Unit tests of the face pipeline (lib/facepipe, lib/facepipe/facepipe.h).
 *
 * Without the models: the alignment math and the warp (test_align.c), the
 * capture quality measures (test_quality.c).
 * With them: argument and model-shape checks, allocation failures.
 *
 * With the models ($BX_MODEL_DIR) and photos ($BX_DATA_DIR), skipped when
 * absent: exactly one face on every ORL image and a centred face on LFW
 * photos, none on synthetic images without faces, two on side-by-side
 * composites, the rules (single, largest, minimum eye distance), the retry
 * with a margin, coordinates consistent under scaling and margins, stable
 * and unit-norm embeddings, same-person ORL pairs scoring higher than
 * different-person pairs, DCT-scaled decoding end to end, interrupts, the
 * quality components of captures with known defects (test_quality.c).
 *
 * The detector runs at 320x320 (fast; the accuracy benchmark covers 640).
 * BX_FACE_TEST_QUICK=1 (set by check-asan) uses fewer photos.
 *
 * test/facepipe/facepipe_test.c
 *
 *-------------------------------------------------------------------------
 */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image/bx_image.h"
#include "facepipe/facepipe.h"
#include "imgutil.h"
#include "nn/nn.h"
#include "fptest.h"
#include "tap.h"

#ifndef BX_TEST_MODEL_DIR
#define BX_TEST_MODEL_DIR "../shared/models"
#endif

#define YUNET_PATH	"yunet/face_detection_yunet_2023mar.onnx"
#define MFN_PATH	"mobilefacenet/MobileFaceNet.onnx"

char		err[BX_ERRBUF_SIZE];
static bool quick;

static const char *
ModelDir(void)
{
	const char *d = getenv("BX_MODEL_DIR");

	return d != NULL && d[0] != '\0' ? d : BX_TEST_MODEL_DIR;
}

/* Load a model, optionally at a square input size; NULL if absent */
static NnModel
LoadModel(const char *rel, int size)
{
	char		path[1024],
				nnerr[BX_ERRBUF_SIZE];
	size_t		len;
	void	   *data;
	NnModel		m = NULL;
	NnLoadOptions o;

	snprintf(path, sizeof(path), "%s/%s", ModelDir(), rel);
	data = ReadWholeFile(path, &len);
	if (data == NULL)
		return NULL;
	memset(&o, 0, sizeof(o));
	if (size > 0)
		BxFaceDetectorLoadOptions(&o, size);
	if (NnModelLoad(data, len, &o, &m, nnerr, sizeof(nnerr)) != BX_OK)
	{
		TapDiag("%s: %s", path, nnerr);
		m = NULL;
	}
	free(data);
	return m;
}

static void
TestPipeArgs(NnModel det, NnModel emb)
{
	BxFacePipe	pipe = (BxFacePipe) 1;
	long		total,
				k;
	int			wrong = 0,
				leaks = 0;

	TapOk(BxFacePipeCreate(NULL, NULL, NULL, &pipe, err, sizeof(err)) == BX_EINVAL &&
		  pipe == NULL, "a pipe without models -> BX_EINVAL");
	TapOk(BxFacePipeCreate(emb, NULL, NULL, &pipe, err, sizeof(err)) == BX_EMODEL &&
		  pipe == NULL && strstr(err, "detector") != NULL,
		  "MobileFaceNet as detector -> BX_EMODEL (%s)", err);
	TapOk(BxFacePipeCreate(NULL, det, NULL, &pipe, err, sizeof(err)) == BX_EMODEL &&
		  strstr(err, "embedder") != NULL,
		  "YuNet as embedder -> BX_EMODEL (%s)", err);
	BxFacePipeFree(NULL);

	/* each allocation of create + detect failing in turn */
	CountingStart(0);
	if (BxFacePipeCreate(det, emb, CountingAllocator(), &pipe, err, sizeof(err)) != BX_OK)
	{
		TapOk(false, "pipe with counting allocator: %s", err);
		return;
	}
	BxFacePipeFree(pipe);
	total = CountingCalls();
	for (k = 1; k <= total; k++)
	{
		CountingStart(k);
		pipe = (BxFacePipe) 1;
		if (BxFacePipeCreate(det, emb, CountingAllocator(), &pipe, err, sizeof(err)) != BX_ENOMEM ||
			pipe != NULL)
			wrong++;
		if (CountingLive() != 0)
			leaks++;
	}
	TapOk(total > 0 && wrong == 0 && leaks == 0,
		  "BxFacePipeCreate: each of %ld allocations failing gives "
		  "BX_ENOMEM, no leak", total);

	{
		BxImage		img = BxImageCreate(200, 150, 3, NULL);
		BxFace		f[4];
		int			n;
		long		base;

		memset(img->pixels, 90, img->stride * 150);
		CountingStart(0);
		BxFacePipeCreate(det, emb, CountingAllocator(), &pipe, err, sizeof(err));
		base = CountingCalls();
		BxFaceDetect(pipe, img, NULL, f, 4, &n, err, sizeof(err));
		total = CountingCalls() - base;
		wrong = leaks = 0;
		for (k = 1; k <= total; k++)
		{
			CountingStart(k);
			if (BxFaceDetect(pipe, img, NULL, f, 4, &n, err, sizeof(err)) != BX_ENOMEM)
				wrong++;
			if (CountingLive() != 0)
				leaks++;
		}
		/* the pipe's own blocks were counted before the restart */
		TapOk(total > 0 && wrong == 0 && leaks == 0,
			  "BxFaceDetect: each of %ld per-call allocations failing gives "
			  "BX_ENOMEM, no leak", total);
		CountingStart(0);
		BxFacePipeFree(pipe);
		BxImageFree(img);
	}
}

static BxImage
LoadImage(const char *path)
{
	size_t		len;
	void	   *data = ReadWholeFile(path, &len);
	BxImage		img = NULL;
	char		e[BX_ERRBUF_SIZE];

	if (data != NULL && BxImageDecode(data, len, NULL, &img, e, sizeof(e)) != BX_OK)
		img = NULL;
	free(data);
	return img;
}

static BxImage
LoadOrl(int subject, int image)
{
	char		path[1024];

	snprintf(path, sizeof(path), "%s/faces/att_orl/s%d/%d.pgm", DataDir(),
			 subject, image);
	return LoadImage(path);
}

/* Place images side by side on a black canvas (grey or RGB) */
static BxImage
SideBySide(BxImage a, BxImage b, int gap)
{
	int			ch = a->channels > b->channels ? a->channels : b->channels;
	int			h = a->height > b->height ? a->height : b->height;
	BxImage		out = BxImageCreate(a->width + gap + b->width, h, ch, NULL);
	int			k,
				y,
				x,
				c;

	memset(out->pixels, 0, out->stride * (size_t) h);
	for (k = 0; k < 2; k++)
	{
		BxImage		src = k == 0 ? a : b;
		int			x0 = k == 0 ? 0 : a->width + gap;

		for (y = 0; y < src->height; y++)
			for (x = 0; x < src->width; x++)
				for (c = 0; c < ch; c++)
					out->pixels[(size_t) y * out->stride + (size_t) (x0 + x) * ch + c] =
						src->pixels[(size_t) y * src->stride + (size_t) x * src->channels +
									(src->channels == 3 ? c : 0)];
	}
	return out;
}

/* Enlarge by an integer factor (nearest neighbour) */
static BxImage
Enlarge(BxImage src, int f)
{
	BxImage		out = BxImageCreate(src->width * f, src->height * f, src->channels, NULL);
	int			x,
				y;

	for (y = 0; y < out->height; y++)
		for (x = 0; x < out->width; x++)
			memcpy(out->pixels + (size_t) y * out->stride + (size_t) x * out->channels,
				   src->pixels + (size_t) (y / f) * src->stride + (size_t) (x / f) * src->channels,
				   (size_t) src->channels);
	return out;
}

static void
TestDetectOrl(BxFacePipe pipe)
{
	int			s,
				i,
				one = 0,
				total = 0,
				sane = 0;
	double		eyeSum = 0;

	for (s = 1; s <= 40; s++)
		for (i = 1; i <= 10; i++)
		{
			BxImage		img;
			BxFace		f[4];
			int			n = -1;

			if (quick && i > 2)
				continue;
			img = LoadOrl(s, i);
			total++;
			if (img != NULL &&
				BxFaceDetect(pipe, img, NULL, f, 4, &n, err, sizeof(err)) == BX_OK &&
				n == 1)
			{
				const float (*l)[2] = f[0].landmarks;

				one++;
				eyeSum += f[0].eyeDistance;
				/* image-left eye first; eyes above nose above mouth; all
				 * inside the box */
				if (l[0][0] < l[1][0] && l[3][0] < l[4][0] &&
					l[2][1] > fmaxf(l[0][1], l[1][1]) &&
					fminf(l[3][1], l[4][1]) > l[2][1] &&
					f[0].x < l[0][0] && l[1][0] < f[0].x + f[0].width &&
					f[0].score >= 0.6f && f[0].score <= 1.0f)
					sane++;
			}
			else if (n != 1)
				TapDiag("ORL s%d/%d: %d faces %s", s, i, n, err);
			BxImageFree(img);
		}
	TapOk(one == total, "exactly one face on each of %d ORL images (%d)",
		  total, one);
	TapOk(sane == one, "landmarks in anatomical order on all of them (%d)", sane);
	TapDiag("mean ORL eye distance %.1f px", one ? eyeSum / one : 0);
}

static void
TestDetectLfw(BxFacePipe pipe)
{
	char		dir[1024];
	char	  **files;
	int			n,
				i,
				found = 0,
				centred = 0,
				used = 0;

	snprintf(dir, sizeof(dir), "%s/faces/lfw_singletons/images", DataDir());
	n = ListSubdirFiles(dir, ".jpg", &files);
	if (n == 0)
	{
		TapSkip("LFW photos not found under %s", dir);
		return;
	}
	for (i = 0; i < n; i++)
	{
		BxImage		img;
		BxFace		f[16];
		int			nf = 0,
					k,
					best = 0;

		if (quick ? i % 20 != 0 : i % 3 != 0)
			continue;
		used++;
		img = LoadImage(files[i]);
		if (img == NULL ||
			BxFaceDetect(pipe, img, NULL, f, 16, &nf, err, sizeof(err)) != BX_OK ||
			nf == 0)
		{
			TapDiag("%s: no face", files[i]);
			BxImageFree(img);
			continue;
		}
		found++;
		for (k = 1; k < nf && k < 16; k++)
			if (f[k].width * f[k].height > f[best].width * f[best].height)
				best = k;
		/* LFW crops are centred on the subject's face */
		if (fabsf(f[best].x + f[best].width / 2 - 125) < 30 &&
			fabsf(f[best].y + f[best].height / 2 - 125) < 40)
			centred++;
		else
			TapDiag("%s: largest face at (%.0f, %.0f)", files[i],
					f[best].x + f[best].width / 2, f[best].y + f[best].height / 2);
		BxImageFree(img);
	}
	TapOk(found == used, "a face on each of %d LFW photos (%d)", used, found);
	TapOk(centred >= used * 98 / 100,
		  "the largest face is the centred subject on %d of %d", centred, used);
	FreePaths(files, n);
}

static void
TestNoFace(BxFacePipe pipe)
{
	static const char *what[3] = {"black", "flat grey", "gradient with noise"};
	int			k;

	for (k = 0; k < 3; k++)
	{
		BxImage		img = BxImageCreate(640, 480, 3, NULL);
		BxFace		f[4];
		float		emb[BX_FACE_EMBEDDING_DIM];
		int			n = -1,
					x,
					y;
		BxStatus st;

		for (y = 0; y < 480; y++)
			for (x = 0; x < 640; x++)
			{
				uint8_t    *p = img->pixels + (size_t) y * img->stride + (size_t) x * 3;

				p[0] = k == 0 ? 0 : k == 1 ? 128 : (uint8_t) (x / 4 + TestRandom() % 30);
				p[1] = k == 0 ? 0 : k == 1 ? 128 : (uint8_t) (y / 3 + TestRandom() % 30);
				p[2] = k == 0 ? 0 : k == 1 ? 128 : (uint8_t) (100 + TestRandom() % 60);
			}
		st = BxFaceDetect(pipe, img, NULL, f, 4, &n, err, sizeof(err));
		TapOk(st == BX_OK && n == 0, "no face on a %s image (%d)", what[k], n);
		st = BxFaceEmbed(pipe, img, NULL, emb, NULL, err, sizeof(err));
		TapOk(st == BX_ENOFACE && strstr(err, "no face") != NULL,
			  "BxFaceEmbed on it -> BX_ENOFACE (%s)", err);
		BxImageFree(img);
	}
}

static void
TestComposites(BxFacePipe pipe)
{
	BxImage		a = LoadOrl(3, 1),
				b = LoadOrl(17, 4),
				big,
				comp,
				comp2;
	BxFace		f[8];
	BxFaceResult chosen;
	float		emb[BX_FACE_EMBEDDING_DIM],
				embAlone[BX_FACE_EMBEDDING_DIM];
	BxFaceOptions o;
	int			n = 0;
	BxStatus st;

	comp = SideBySide(a, b, 20);
	st = BxFaceDetect(pipe, comp, NULL, f, 8, &n, err, sizeof(err));
	TapOk(st == BX_OK && n == 2, "two faces on two ORL images side by side (%d)", n);
	if (n == 2)
	{
		float		lx = fminf(f[0].x, f[1].x),
					rx = fmaxf(f[0].x, f[1].x);

		TapOk(lx < 46 && rx > 112, "one face in each half (x %.0f and %.0f)", lx, rx);
	}
	st = BxFaceEmbed(pipe, comp, NULL, emb, NULL, err, sizeof(err));
	TapOk(st == BX_EMULTIPLE && strstr(err, "2 faces") != NULL,
		  "rule single: BX_EMULTIPLE (%s)", err);

	/* the second face twice as large: rule largest takes it */
	big = Enlarge(b, 2);
	comp2 = SideBySide(a, big, 20);
	BxFaceDefaultOptions(&o);
	o.rule = BX_FACE_RULE_LARGEST;
	st = BxFaceEmbed(pipe, comp2, &o, emb, &chosen, err, sizeof(err));
	TapOk(st == BX_OK && chosen.face.x > 92 && chosen.nFaces == 2 &&
		  chosen.nUsable == 2, "rule largest takes the enlarged "
		  "face (x %.0f) of the %d found: %s", chosen.face.x, chosen.nFaces, err);
	st = BxFaceEmbed(pipe, big, NULL, embAlone, NULL, err, sizeof(err));
	TapOk(st == BX_OK && BxFaceScore(emb, embAlone) > 0.9,
		  "its embedding matches the face alone (cosine %.3f)", BxFaceScore(emb, embAlone));

	/* minimum eye distance: the small face is ignored, then both are */
	o.rule = BX_FACE_RULE_SINGLE;
	o.minEyeDistance = chosen.face.eyeDistance * 0.75f;
	st = BxFaceEmbed(pipe, comp2, &o, emb, &chosen, err, sizeof(err));
	TapOk(st == BX_OK && chosen.face.x > 92 && chosen.nUsable == 1,
		  "rule single with minEyeDistance %.0f: the small face does not count",
		  o.minEyeDistance);
	o.minEyeDistance = 500;
	st = BxFaceEmbed(pipe, comp2, &o, emb, NULL, err, sizeof(err));
	TapOk(st == BX_ETOOSMALL && strstr(err, "too small") != NULL,
		  "minEyeDistance 500 -> BX_ETOOSMALL (%s)", err);

	/* two LFW photos side by side: at least the two subjects */
	{
		char		dir[1024];
		char	  **files;
		int			nf = 0,
					i,
					got = 0;
		BxImage		l[2] = {NULL, NULL};

		snprintf(dir, sizeof(dir), "%s/faces/lfw_singletons/images", DataDir());
		nf = ListSubdirFiles(dir, ".jpg", &files);
		/* the first two photos that show exactly one face each */
		for (i = 0; i < nf && got < 2; i++)
		{
			BxImage		img = LoadImage(files[i]);
			int			k = 0;

			if (img != NULL &&
				BxFaceDetect(pipe, img, NULL, f, 8, &k, err, sizeof(err)) == BX_OK &&
				k == 1)
				l[got++] = img;
			else
				BxImageFree(img);
		}
		if (got == 2)
		{
			BxImage		c = SideBySide(l[0], l[1], 0);

			st = BxFaceDetect(pipe, c, NULL, f, 8, &n, err, sizeof(err));
			TapOk(st == BX_OK && n == 2,
				  "two faces on two one-face LFW photos side by side (%d)", n);
			BxImageFree(c);
		}
		else
			TapSkip("fewer than two one-face LFW photos");
		BxImageFree(l[0]);
		BxImageFree(l[1]);
		FreePaths(files, nf);
	}
	BxImageFree(a);
	BxImageFree(b);
	BxImageFree(big);
	BxImageFree(comp);
	BxImageFree(comp2);
}

/*
 * Landmarks follow the image: a 2x enlargement gives 2x coordinates (up to
 * the detector's jitter), and the virtual margin gives exactly what the
 * same margin painted into the image gives, shifted back.
 */
static void
TestCoordinates(BxFacePipe pipe, BxFacePipe pipe640)
{
	BxImage		a = LoadOrl(8, 2),
				big = Enlarge(a, 2),
				framed = BxImageCreate(a->width * 2, a->height * 2, 1, NULL);
	BxFace		f1,
				f2,
				f3,
				f4;
	BxFaceOptions o;
	int			n1 = 0,
				n2 = 0,
				n3 = 0,
				n4 = 0,
				k,
				y;
	double		d2 = 0,
				d3 = 0;

	memset(framed->pixels, 0, framed->stride * (size_t) framed->height);
	for (y = 0; y < a->height; y++)
		memcpy(framed->pixels + (size_t) (y + a->height / 2) * framed->stride + a->width / 2,
			   a->pixels + (size_t) y * a->stride, (size_t) a->width);
	BxFaceDefaultOptions(&o);
	BxFaceDetect(pipe, a, &o, &f1, 1, &n1, err, sizeof(err));
	BxFaceDetect(pipe, big, &o, &f2, 1, &n2, err, sizeof(err));
	BxFaceDetect(pipe, framed, &o, &f4, 1, &n4, err, sizeof(err));
	o.padFraction = 0.5f;
	BxFaceDetect(pipe, a, &o, &f3, 1, &n3, err, sizeof(err));
	for (k = 0; k < 5 && n1 == 1 && n2 == 1 && n3 == 1 && n4 == 1; k++)
	{
		/* nearest-neighbour 2x: pixel centre x maps to 2x + 0.5 */
		d2 = fmax(d2, hypot(f2.landmarks[k][0] - (2 * f1.landmarks[k][0] + 0.5),
							f2.landmarks[k][1] - (2 * f1.landmarks[k][1] + 0.5)));
		d3 = fmax(d3, hypot(f3.landmarks[k][0] - (f4.landmarks[k][0] - a->width / 2),
							f3.landmarks[k][1] - (f4.landmarks[k][1] - a->height / 2)));
	}
	TapOk(n1 == 1 && n2 == 1 && d2 < 3.0,
		  "landmarks of a 2x enlarged image are 2x (max deviation %.2f px)", d2);
	TapOk(n3 == 1 && n4 == 1 && d3 < 0.01,
		  "a 50%% margin gives the landmarks of the image framed in black, "
		  "shifted back (max deviation %.4f px)", d3);
	BxImageFree(big);
	BxImageFree(framed);

	/*
	 * The retry: a close-up enlarged to fill the 640 canvas is too big for
	 * YuNet's anchors; the second pass with a margin finds it.
	 */
	if (pipe640 != NULL)
	{
		int			s,
					missed = 0,
					rescued = 0,
					tried = 0;

		BxFaceDefaultOptions(&o);
		o.maxUpscale = 0;		/* fill the canvas */
		o.retryExposure = false;	/* only the margin's retry here */
		o.retryRotation = 0;
		o.retryDenoise = 0;
		o.retryLowScore = 0;
		for (s = 1; s <= 5; s++)
		{
			int			i;

			for (i = 1; i <= 10; i++)
			{
				BxImage		img = LoadOrl(s, i);
				int			n = 0;

				o.retryPadFraction = 0;
				BxFaceDetect(pipe640, img, &o, &f1, 1, &n, err, sizeof(err));
				tried++;
				if (n == 0)
				{
					missed++;
					o.retryPadFraction = 0.5f;
					BxFaceDetect(pipe640, img, &o, &f1, 1, &n, err, sizeof(err));
					rescued += n == 1;
				}
				BxImageFree(img);
				if (missed > 0 && quick)
					break;
			}
			if (missed > 0 && quick)
				break;
		}
		if (missed == 0)
			TapSkip("no ORL image missed without a margin at 640");
		else
			TapOk(rescued == missed,
				  "retry with a margin finds the %d ORL faces that fill the 640 "
				  "canvas and were missed", missed);
	}
	BxImageFree(a);
}

static void
TestEmbeddings(BxFacePipe pipe)
{
	int			subjects = quick ? 4 : 10,
				per = quick ? 4 : 10;
	float	   *emb = calloc((size_t) subjects * per, sizeof(float) * BX_FACE_EMBEDDING_DIM);
	bool	   *ok = calloc((size_t) subjects * per, sizeof(bool));
	double		same = 0,
				diff = 0;
	int			ns = 0,
				nd = 0,
				i,
				j,
				good = 0;
	BxImage		img = LoadOrl(1, 1);
	float		e1[BX_FACE_EMBEDDING_DIM],
				e2[BX_FACE_EMBEDDING_DIM];
	double		norm = 0;

	TapOk(BxFaceEmbed(pipe, img, NULL, e1, NULL, err, sizeof(err)) == BX_OK &&
		  BxFaceEmbed(pipe, img, NULL, e2, NULL, err, sizeof(err)) == BX_OK &&
		  memcmp(e1, e2, sizeof(e1)) == 0,
		  "two embeddings of the same image are bit for bit equal");
	for (i = 0; i < BX_FACE_EMBEDDING_DIM; i++)
		norm += (double) e1[i] * e1[i];
	TapOk(fabs(sqrt(norm) - 1) < 1e-5, "the embedding has unit norm (%.7f)", sqrt(norm));
	BxImageFree(img);

	for (i = 0; i < subjects * per; i++)
	{
		BxFaceResult r;

		img = LoadOrl(i / per + 1, i % per + 1);
		ok[i] = img != NULL &&
			BxFaceEmbed(pipe, img, NULL, emb + (size_t) i * BX_FACE_EMBEDDING_DIM,
						&r, err, sizeof(err)) == BX_OK &&
			r.timings.detectMs > 0 && r.timings.embedMs > 0 && r.timings.alignMs >= 0;
		good += ok[i];
		BxImageFree(img);
	}
	TapOk(good == subjects * per, "%d ORL faces embedded, timings filled in (%d)",
		  subjects * per, good);
	for (i = 0; i < subjects * per; i++)
		for (j = i + 1; j < subjects * per; j++)
		{
			double		c;

			if (!ok[i] || !ok[j])
				continue;
			c = BxFaceScore(emb + (size_t) i * BX_FACE_EMBEDDING_DIM, emb + (size_t) j * BX_FACE_EMBEDDING_DIM);
			if (i / per == j / per)
			{
				same += c;
				ns++;
			}
			else
			{
				diff += c;
				nd++;
			}
		}
	same /= ns ? ns : 1;
	diff /= nd ? nd : 1;
	TapOk(same > diff + 0.4,
		  "same-person ORL pairs score higher than different-person pairs on "
		  "average (%.3f vs %.3f, %d and %d pairs)", same, diff, ns, nd);
	free(emb);
	free(ok);
}

/* A JPEG 4x the size, decoded with DCT scaling, embeds like the original */
static void
TestDctScaledEmbedding(BxFacePipe pipe)
{
	char		dir[1024];
	char	  **files;
	int			n;
	BxImage		img,
				big;
	uint8_t    *jpeg;
	size_t		len;
	BxImageOptions io;
	BxImage		dec = NULL;
	float		e1[BX_FACE_EMBEDDING_DIM],
				e2[BX_FACE_EMBEDDING_DIM];
	BxFaceOptions o;
	BxStatus s1,
				s2;

	snprintf(dir, sizeof(dir), "%s/faces/lfw_singletons/images", DataDir());
	n = ListSubdirFiles(dir, ".jpg", &files);
	if (n == 0)
	{
		TapSkip("LFW photos not found");
		return;
	}
	img = LoadImage(files[n / 2]);
	big = Enlarge(img, 4);
	jpeg = WriteJpegImage(big, 92, &len);
	BxImageDefaultOptions(&io);
	io.targetLongSide = 640;
	BxFaceDefaultOptions(&o);
	o.rule = BX_FACE_RULE_LARGEST;
	s1 = BxFaceEmbed(pipe, img, &o, e1, NULL, err, sizeof(err));
	s2 = BxImageDecode(jpeg, len, &io, &dec, err, sizeof(err)) == BX_OK
		? BxFaceEmbed(pipe, dec, &o, e2, NULL, err, sizeof(err)) : BX_EINVAL;
	TapOk(s1 == BX_OK && s2 == BX_OK && dec->width == 750 &&
		  BxFaceScore(e1, e2) > 0.85,
		  "1000x1000 JPEG decoded at 6/8 scale embeds like the 250x250 "
		  "original (cosine %.3f)", s2 == BX_OK ? BxFaceScore(e1, e2) : 0);

	/*
	 * The face is reported, and the minimum eye distance applied, in the
	 * photo's own pixels (1000x1000), not the decoded 750x750: the frame
	 * bx_detect and bxexit.min_eye_distance speak in.
	 */
	if (s2 == BX_OK)
	{
		BxFaceResult r;
		BxFace		raw[8];
		int			nraw = 0,
					largest = 0,
					k;
		float		scale = (float) dec->fullWidth / dec->width,
					widest = 0;

		s2 = BxFaceDetect(pipe, dec, &o, raw, 8, &nraw, err, sizeof(err));
		for (k = 0; k < nraw && k < 8; k++)
		{
			if (raw[k].width * raw[k].height > raw[largest].width * raw[largest].height)
				largest = k;
			if (raw[k].eyeDistance > widest)
				widest = raw[k].eyeDistance;
		}
		o.minEyeDistance = nraw ? raw[largest].eyeDistance * 1.2f : 0;
		s1 = BxFaceEmbed(pipe, dec, &o, e2, &r, err, sizeof(err));
		TapOk(s2 == BX_OK && nraw >= 1 && dec->fullWidth == 1000 && s1 == BX_OK &&
			  fabsf(r.face.eyeDistance - raw[largest].eyeDistance * scale) < 0.01f * r.face.eyeDistance &&
			  fabsf(r.face.x + r.face.width - (raw[largest].x + raw[largest].width) * scale) < 1,
			  "BxFaceEmbed reports the face in photo pixels (eyes %.1f px apart in "
			  "the 750x750 decoded image, %.1f in the 1000x1000 photo) and a "
			  "minimum of %.1f photo pixels keeps it (%s)",
			  nraw ? raw[largest].eyeDistance : 0, r.face.eyeDistance,
			  o.minEyeDistance, err);
		o.minEyeDistance = widest * scale * 1.1f;
		s1 = BxFaceEmbed(pipe, dec, &o, e2, &r, err, sizeof(err));
		TapOk(s1 == BX_ETOOSMALL && r.nFaces == nraw && r.nUsable == 0 &&
			  fabsf(r.face.eyeDistance - widest * scale) < 0.01f * widest * scale,
			  "a minimum above every face in photo pixels: BX_ETOOSMALL, the "
			  "widest-eyed face reported (%s)", err);
	}
	BxImageFree(dec);
	free(jpeg);
	BxImageFree(big);
	BxImageFree(img);
	FreePaths(files, n);
}

static int	stopAfter;

static int
StopNow(void *arg)
{
	(void) arg;
	return --stopAfter <= 0;
}

static void
TestInterrupt(BxFacePipe pipe)
{
	BxImage		img = LoadOrl(2, 2);
	BxFaceOptions o;
	BxFace		f;
	int			n;
	float		emb[BX_FACE_EMBEDDING_DIM];
	uint8_t		crop[112 * 112 * 3] = {0};

	BxFaceDefaultOptions(&o);
	o.interrupt = StopNow;
	stopAfter = 3;
	TapOk(BxFaceDetect(pipe, img, &o, &f, 1, &n, err, sizeof(err)) == BX_EINTERRUPTED &&
		  strstr(err, "detection interrupted") != NULL,
		  "detection interrupted while resizing (%s)", err);
	/* the resize polls once per 32 canvas rows: 10 times here */
	stopAfter = 13;
	TapOk(BxFaceDetect(pipe, img, &o, &f, 1, &n, err, sizeof(err)) == BX_EINTERRUPTED &&
		  strstr(err, "detector interrupted") != NULL,
		  "detection interrupted in the network (%s)", err);
	stopAfter = 3;
	TapOk(BxFaceEmbedAligned(pipe, crop, &o, emb, err, sizeof(err)) == BX_EINTERRUPTED,
		  "embedding interrupted (%s)", err);
	o.interrupt = NULL;
	TapOk(BxFaceEmbed(pipe, img, &o, emb, NULL, err, sizeof(err)) == BX_OK,
		  "the pipe works after an interrupt");
	TapOk(BxFaceDetect(pipe, NULL, &o, &f, 1, &n, err, sizeof(err)) == BX_EINVAL &&
		  BxFaceDetect(pipe, img, &o, &f, 1, NULL, err, sizeof(err)) == BX_EINVAL,
		  "BxFaceDetect checks its arguments");
	o.padFraction = -1;
	TapOk(BxFaceDetect(pipe, img, &o, &f, 1, &n, err, sizeof(err)) == BX_EINVAL,
		  "negative margin -> BX_EINVAL (%s)", err);
	TapOk(strcmp(BxStatusName(BX_EMULTIPLE), "BX_EMULTIPLE") == 0,
		  "status names");
	BxImageFree(img);
}

int
main(void)
{
	NnModel		det,
				det640,
				emb;
	BxFacePipe	pipe = NULL,
				pipe640 = NULL;
	char		probe[1024];
	const char *q = getenv("BX_FACE_TEST_QUICK");

	quick = q != NULL && q[0] == '1';
	TestSimilarity();
	TestAlign();
	TestQualityMeasures();

	det = LoadModel(YUNET_PATH, 320);
	det640 = LoadModel(YUNET_PATH, 0);
	emb = LoadModel(MFN_PATH, 0);
	if (det == NULL || emb == NULL || det640 == NULL)
	{
		TapSkip("models not found under %s (set BX_MODEL_DIR)", ModelDir());
		NnModelFree(det);
		NnModelFree(det640);
		NnModelFree(emb);
		return TapDone();
	}
	TestPipeArgs(det, emb);
	if (BxFacePipeCreate(det, emb, NULL, &pipe, err, sizeof(err)) != BX_OK ||
		BxFacePipeCreate(det640, NULL, NULL, &pipe640, err, sizeof(err)) != BX_OK)
	{
		TapOk(false, "pipes created: %s", err);
		return TapDone();
	}
	TestNoFace(pipe);
	snprintf(probe, sizeof(probe), "%s/faces/att_orl/s1/1.pgm", DataDir());
	if (access(probe, R_OK) != 0)
		TapSkip("face photos not found under %s (set BX_DATA_DIR)", DataDir());
	else
	{
		TestDetectOrl(pipe);
		TestDetectLfw(pipe);
		TestComposites(pipe);
		TestCoordinates(pipe, pipe640);
		TestEmbeddings(pipe);
		TestDctScaledEmbedding(pipe);
		TestInterrupt(pipe);
		TestQualityDefects(pipe, quick);
		TestDetectorRetries(pipe, quick);
	}
	BxFacePipeFree(pipe);
	BxFacePipeFree(pipe640);
	NnModelFree(det);
	NnModelFree(det640);
	NnModelFree(emb);
	return TapDone();
}
