/*-------------------------------------------------------------------------
 *
 * faces_bench.c
 *	  Accuracy and speed of the server-independent face pipeline
 *	  (lib/image + lib/facepipe + lib/nn), no PostgreSQL involved.
 *
 *	faces_bench accuracy [options]   ORL verification/identification, LFW,
 *									 boarding-gate operating point
 *	faces_bench speed [options]      per-stage times on generated photos
 *	faces_bench quality [options]    capture quality components of every
 *									 ORL and LFW photo, and how many each
 *									 default limit refuses
 *	faces_bench robust [options]     FTA, FNMR and rank-1 on degraded studio
 *									 and web photos (robust.c)
 *
 * Options: --data DIR (BX_DATA_DIR), --models DIR (BX_MODEL_DIR),
 * --det-size N (detector canvas N x N, default 640), --pad F, --upscale F,
 * --retry-upscale F, --retry-exposure 0|1, --retry-rotation DEGREES,
 * --retry-denoise SIGMA, --retry-low-score F (the detector's retries when
 * no face is found; 0 turns one off),
 * --threshold F, --rule single|largest, --runs N, --target N (JPEG DCT
 * scaling hint), --photos DIR (write the generated speed photos there),
 * --gate-splits N (random galleries of the boarding-gate point, default 20),
 * --web DIR (BX_WEB_DIR: the web photos of the robustness table),
 * --conditions LIST (keys of robust.c's conditions, comma-separated).
 *
 * The accuracy protocol is the one of data/faces/README.md; see
 * bench/faces/README.md for the definitions used.  Output is markdown.
 *
 * bench/faces/faces_bench.c
 *
 *-------------------------------------------------------------------------
 */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "image/bx_image.h"
#include "degrade.h"
#include "facepipe/facepipe.h"
#include "helpers.h"
#include "imgutil.h"
#include "metrics.h"
#include "nn/nn.h"
#include "robust.h"

#define YUNET_PATH	"yunet/face_detection_yunet_2023mar.onnx"
#define MFN_PATH	"mobilefacenet/MobileFaceNet.onnx"
#define ORL_SUBJECTS 40
#define ORL_IMAGES	10
#define ORL_N		(ORL_SUBJECTS * ORL_IMAGES)

/*
 * Boarding-gate operating point, NIST FRVT Part 7 (NISTIR 8381): galleries
 * of 420 expected travellers, threshold set at FPIR 0.003.  The seed is
 * arbitrary but fixed, so every run draws the same galleries.
 */
#define GATE_GALLERY 420
#define GATE_FPIR	0.003
#define GATE_SEED	8381
#define GATE_SCALE	1000		/* threshold grid: three decimals */

typedef struct Config
{
	const char *dataDir;
	const char *modelDir;
	const char *photoDir;
	int			detSize;
	int			runs;
	int			target;
	int			gateSplits;
	const char *scoresPath;		/* --scores: write the ORL scores here */
	const char *webDir;			/* --web: web photos of the robustness table */
	const char *conditions;		/* --conditions: robustness conditions */
	BxFaceOptions face;
} Config;

typedef struct Sample
{
	int			subject;		/* ORL subject 1..40, 0 for LFW */
	bool		ok;
	BxStatus status;
	int			nFaces;
	float		eyeDistance;
	bool		centred;		/* the embedded face covers the photo centre */
	float		quality;		/* overall capture quality 0..100, if ok */
	bool		poor;			/* below the default bxexit.quality_* limits */
	float		emb[BX_FACE_EMBEDDING_DIM];
} Sample;

/* OpenBLAS extension, not in every cblas.h */
extern char *openblas_get_corename(void);

static double
NowMs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec * 1e3 + (double) ts.tv_nsec * 1e-6;
}

static NnModel
LoadModel(const Config *cfg, const char *rel, int size)
{
	char		path[1024],
				err[BX_ERRBUF_SIZE];
	size_t		len;
	void	   *data;
	NnModel		m = NULL;
	NnLoadOptions o;

	snprintf(path, sizeof(path), "%s/%s", cfg->modelDir, rel);
	data = ReadWholeFile(path, &len);
	if (data == NULL)
	{
		fprintf(stderr, "faces_bench: cannot read %s\n", path);
		exit(2);
	}
	memset(&o, 0, sizeof(o));
	if (size > 0)
		BxFaceDetectorLoadOptions(&o, size);
	if (NnModelLoad(data, len, &o, &m, err, sizeof(err)) != BX_OK)
	{
		fprintf(stderr, "faces_bench: %s: %s\n", path, err);
		exit(2);
	}
	free(data);
	return m;
}

static double
Score(const Sample *a, const Sample *b)
{
	return a->ok && b->ok ? BxFaceScore(a->emb, b->emb) : BENCH_FAILED_SCORE;
}

static bool
Covers(const BxFace *f, float x, float y)
{
	return f->x <= x && x <= f->x + f->width && f->y <= y && y <= f->y + f->height;
}

/*
 * Decode one file as bx_embed does and run the face pipeline on it, the
 * same BxFaceEmbed() call the SQL functions make, with the rule of the
 * configuration.  The face counts are kept so that both rules can be
 * scored from one pass: with rule largest, rule single would have failed
 * the photo when more than one face counted.
 */
static void
EmbedFile(BxFacePipe pipe, const Config *cfg, const char *path, double blur,
		  Sample *s)
{
	char		err[BX_ERRBUF_SIZE];
	BxImage		img = DecodePhotoFile(path, cfg->target);
	BxFaceResult found;

	s->ok = false;
	s->centred = true;
	s->nFaces = 0;
	s->status = BX_EINVAL;
	if (img == NULL)
		return;
	if (blur > 0)
	{
		BxImage		b = DegradeBlur(img, blur);

		if (b == NULL)
		{
			fprintf(stderr, "faces_bench: out of memory\n");
			exit(2);
		}
		BxImageFree(img);
		img = b;
	}
	s->status = BxFaceEmbed(pipe, img, &cfg->face, s->emb, &found, err, sizeof(err));
	s->quality = 0;
	s->poor = true;
	if (found.hasQuality)
	{
		BxQualityLimits lim;

		BxFaceQualityDefaultLimits(&lim);
		s->quality = found.quality.score;
		s->poor = BxFaceQualityCheck(&found.quality, &lim) != BX_QC_COUNT;
	}
	s->nFaces = found.nFaces;
	s->eyeDistance = found.face.eyeDistance;
	if (found.nFaces > 0)
		s->centred = Covers(&found.face, img->fullWidth / 2.0f, img->fullHeight / 2.0f);
	s->ok = s->status == BX_OK;
	BxImageFree(img);
}

/* One row of the failure-to-acquire table */
static int
PrintFailures(const char *what, const Sample *s, int n)
{
	int			counts[BX_EINTERNAL + 1] = {0};
	int			total = 0,
				none = 0,
				several = 0,
				i;

	for (i = 0; i < n; i++)
	{
		none += s[i].nFaces == 0;
		several += s[i].nFaces > 1;
		if (!s[i].ok)
		{
			counts[s[i].status]++;
			total++;
		}
	}
	printf("| %s | %d | %d | %d | %d | %.2f%% |", what, n, none, several,
		   total, 100.0 * total / n);
	for (i = 0; i <= BX_EINTERNAL; i++)
		if (counts[i] > 0)
			printf(" %s: %d", BxStatusName((BxStatus) i), counts[i]);
	printf(" |\n");
	return total;
}

static void
Verification(const char *label, const double *mated, size_t nm,
			 const double *non, size_t nn)
{
	static const double fmrs[] = {1e-2, 1e-3, 1e-4, 1e-5};
	double	   *work = malloc(sizeof(double) * nn);
	double		t,
				eer;
	size_t		k;

	printf("| %s | %zu | %zu |", label, nm, nn);
	for (k = 0; k < sizeof(fmrs) / sizeof(fmrs[0]); k++)
	{
		double		fnmr;

		if (fmrs[k] * (double) nn < 1.0)
		{
			printf(" - |");
			continue;
		}
		memcpy(work, non, sizeof(double) * nn);
		fnmr = FnmrAtFmr(mated, nm, work, nn, fmrs[k], &t);
		printf(" %.2f%% (t=%.3f) |", 100 * fnmr, t);
	}
	eer = EqualErrorRate(mated, nm, non, nn, &t);
	printf(" %.2f%% (t=%.3f) |\n", 100 * eer, t);
	free(work);
}

/*
 * The ORL comparison scores, one "m <score>" or "n <score>" line each, in
 * full precision: test/calibration_bench.sh feeds them to the SQL
 * calibration functions and compares their figures with the table above.
 */
static void
WriteScores(const char *path, const double *mated, size_t nm,
			const double *non, size_t nn)
{
	FILE	   *f = fopen(path, "w");
	size_t		i;

	if (f == NULL)
	{
		perror(path);
		exit(1);
	}
	for (i = 0; i < nm; i++)
		fprintf(f, "m %.17g\n", mated[i]);
	for (i = 0; i < nn; i++)
		fprintf(f, "n %.17g\n", non[i]);
	if (fclose(f) != 0)
	{
		perror(path);
		exit(1);
	}
}

/*
 * Cosine similarity of every pair of photos, so that the random galleries
 * below only look scores up: each embedding is compared once, however
 * many splits.  Index order: ORL (subject-major, as in Accuracy), then
 * LFW, then the blurred ORL photos (same order as ORL).
 */
static double *
SimilarityMatrix(const Sample **all, int n)
{
	int			i,
				j;
	double	   *sim = malloc(sizeof(double) * (size_t) n * (size_t) n);

	for (i = 0; i < n; i++)
		for (j = i; j < n; j++)
			sim[(size_t) i * n + j] = sim[(size_t) j * n + i] = Score(all[i], all[j]);
	return sim;
}

/* Fisher-Yates (the modulo bias is below 1e-16 for n < 1000) */
static void
Shuffle(int *v, int n, uint64_t *state)
{
	int			i;

	for (i = n - 1; i > 0; i--)
	{
		int			j = (int) (TestSplitMix64(state) % (uint64_t) (i + 1));
		int			tmp = v[i];

		v[i] = v[j];
		v[j] = tmp;
	}
}

/*
 * How a person with several enrolled templates is scored.  GATE_MAX is what
 * bx_decide_exit does (a person scores by their best template); the others
 * are the uses of enrolment quality (issue 17, item 3) measured against it.
 */
typedef enum GateFusion
{
	GATE_MAX,					/* best score over the templates */
	GATE_ENROLLED_ONLY,			/* the same, but templates below the default
								 * bxexit.quality_* limits were never enrolled
								 * (bx_enroll refuses them) */
	GATE_BEST_QUALITY,			/* the score of the highest-quality template
								 * only (ties: the better score) */
	GATE_QUALITY_MEAN,			/* mean score weighted by capture quality */
	GATE_FUSION_COUNT
} GateFusion;

static const char *const gateFusionNames[GATE_FUSION_COUNT] = {
	"best template (today)", "best template, poor photos not enrolled",
	"best-quality template only", "quality-weighted mean"
};

/* Blur of the "one poor enrolment photo" rows: DegradedRows' blur */
#define GATE_BLUR	3.0

typedef struct GateScheme
{
	int			perSubject;		/* ORL images 1..perSubject enrolled */
	bool		blurLast;		/* image perSubject enrolled blurred */
	GateFusion	fusion;
} GateScheme;

/* The similarity matrix and the samples behind its indices */
typedef struct GateData
{
	const double *sim;
	const Sample **samples;
	int			n;				/* matrix order */
	int			blurBase;		/* index of the first blurred ORL photo */
} GateData;

/*
 * A search's score for ORL subject g, given the search's row of the
 * similarity matrix: g's enrolled templates fused as the scheme says.  A
 * photo that failed to acquire leaves no template; a subject without any
 * scores below everything (a mated search for it is a miss).
 */
static double
IdentityScore(const GateData *d, const double *row, int g, const GateScheme *sc)
{
	double		best = BENCH_FAILED_SCORE,
				bestQScore = BENCH_FAILED_SCORE,
				bestQ = -1,
				wsum = 0,
				ssum = 0;
	int			i,
				used = 0;

	for (i = 0; i < sc->perSubject; i++)
	{
		int			t = g * ORL_IMAGES + i;
		const Sample *smp;
		double		s;

		if (sc->blurLast && i == sc->perSubject - 1)
			t += d->blurBase;
		smp = d->samples[t];
		if (!smp->ok || (sc->fusion == GATE_ENROLLED_ONLY && smp->poor))
			continue;
		s = row[t];
		used++;
		best = fmax(best, s);
		wsum += smp->quality;
		ssum += smp->quality * s;
		if (smp->quality > bestQ || (smp->quality == bestQ && s > bestQScore))
		{
			bestQ = smp->quality;
			bestQScore = s;
		}
	}
	if (used == 0)
		return BENCH_FAILED_SCORE;
	switch (sc->fusion)
	{
		case GATE_BEST_QUALITY:
			return bestQScore;
		case GATE_QUALITY_MEAN:
			/* every template of quality 0: no weights, take the best */
			return wsum > 0 ? ssum / wsum : best;
		default:
			return best;
	}
}

/* Top score of a search over the whole gallery, leaving out one subject */
static double
TopScore(const GateData *d, const double *row, const GateScheme *sc,
		 const int *galLfw, int nGal, int skipSubject)
{
	double		top = BENCH_FAILED_SCORE;
	int			g;

	for (g = 0; g < ORL_SUBJECTS; g++)
		if (g != skipSubject)
			top = fmax(top, IdentityScore(d, row, g, sc));
	for (g = 0; g < nGal; g++)
		top = fmax(top, row[ORL_N + galLfw[g]]);
	return top;
}

/*
 * One split: the gallery holds ORL images 1..perSubject of every subject
 * (the last one blurred if the scheme says so) and the LFW singletons
 * perm[0..nGal-1]; the other ORL images, unblurred, are the mated
 * searches, perm[nGal..nPool-1] the non-mated ones.  Appends to nonTop
 * and mateTop (see metrics.h), advancing both pointers.
 */
static void
GateSplit(const GateData *d, const GateScheme *sc, const int *perm, int nPool,
		  int nGal, double **nonTop, double **mateTop)
{
	int			s,
				i;

	for (s = 0; s < ORL_SUBJECTS; s++)
		for (i = sc->perSubject; i < ORL_IMAGES; i++)
		{
			const double *row = d->sim + (size_t) (s * ORL_IMAGES + i) * d->n;
			double		mate = IdentityScore(d, row, s, sc);

			/* a tie with another identity is no positive identification */
			*(*mateTop)++ = mate > TopScore(d, row, sc, perm, nGal, s) ?
				mate : BENCH_FAILED_SCORE;
		}
	for (i = nGal; i < nPool; i++)
		*(*nonTop)++ = TopScore(d, d->sim + (size_t) (ORL_N + perm[i]) * d->n,
								sc, perm, nGal, -1);
}

/* "0.0028 (14/4980)" */
static void
PrintRate(size_t k, size_t n)
{
	printf(" %.4f (%zu/%zu) |", n ? (double) k / (double) n : 0.0, k, n);
}

/*
 * One row of the boarding-gate table: splits random galleries drawn from
 * the LFW singletons pool[0..nPool-1], their threshold at FPIR 0.003 and
 * the errors there and at the threshold rounded up to 0.01.  Every row
 * sets its own threshold: a fusion that moves the scores moves it too.
 */
static void
GateRow(const GateData *d, const GateScheme *sc, const int *pool, int nPool,
		const char *poolName, int splits)
{
	int			nGal = GATE_GALLERY - ORL_SUBJECTS;
	size_t		nNon = (size_t) splits * (size_t) (nPool - nGal),
				nMated = (size_t) splits * ORL_SUBJECTS * (ORL_IMAGES - sc->perSubject),
				fp,
				miss;
	double	   *nonTop = malloc(sizeof(double) * nNon),
			   *mateTop = malloc(sizeof(double) * nMated),
			   *nonEnd = nonTop,
			   *mateEnd = mateTop,
				q;
	int		   *perm = malloc(sizeof(int) * (size_t) nPool);
	uint64_t	state = GATE_SEED;	/* rows of one pool draw the same splits */
	long		g,
				g2;
	int			r;

	for (r = 0; r < splits; r++)
	{
		memcpy(perm, pool, sizeof(int) * (size_t) nPool);
		Shuffle(perm, nPool, &state);
		GateSplit(d, sc, perm, nPool, nGal, &nonEnd, &mateEnd);
	}
	g = ThresholdAtFpir(nonTop, nNon, GATE_FPIR, GATE_SCALE, &q);
	printf("| %d | %d%s | %s | %d %s | %d | %zu | %zu | %.4f | %.3f |", GATE_GALLERY,
		   sc->perSubject, sc->blurLast ? " (last one blurred)" : "",
		   gateFusionNames[sc->fusion], nPool, poolName, splits, nNon, nMated, q,
		   (double) g / GATE_SCALE);
	OpenSetErrors(nonTop, nNon, mateTop, nMated, (double) g / GATE_SCALE, &fp, &miss);
	PrintRate(fp, nNon);
	PrintRate(miss, nMated);
	/* what an operator would configure: t rounded up, never below it */
	g2 = (long) ceil((double) g / (GATE_SCALE / 100));
	printf(" %.2f |", (double) g2 / 100);
	OpenSetErrors(nonTop, nNon, mateTop, nMated, (double) g2 / 100, &fp, &miss);
	PrintRate(fp, nNon);
	PrintRate(miss, nMated);
	printf("\n");
	free(perm);
	free(nonTop);
	free(mateTop);
}

/*
 * FNIR at FPIR 0.003 on galleries of 420, the threshold bx_match is meant
 * to use: 40 ORL subjects plus 380 LFW singletons drawn afresh for each of
 * cfg->gateSplits splits, with one, two and three images per ORL subject,
 * and for two and three with the last enrolled image blurred (a poor
 * enrolment photo), each scored by the person's best template (what the
 * gate does) and by the uses of enrolment quality of GateFusion.
 *
 * LFW centres every photo on the named person.  A photo whose embedded
 * (largest) face misses the centre shows someone else, who may have an
 * LFW photo of his own: Kelly and Sharon Osbourne are one photograph, and
 * both embed the same face.  Such pairs are mated searches among the
 * non-mated ones and would set the threshold alone, so those photos are
 * left out; the last row shows what they do.  Photos without a face stay
 * (failures to acquire).
 */
static void
GateOperatingPoint(const Sample *orl, const Sample *lfw, int nLfw,
				   const Sample *orlBlur, const Config *cfg)
{
	int			nGal = GATE_GALLERY - ORL_SUBJECTS,
				nCentred = 0,
				n = 2 * ORL_N + nLfw,
				poorBlur = 0,
				poorClean = 0,
				i,
				k,
				f;
	int		   *all = malloc(sizeof(int) * (size_t) (nLfw > 0 ? nLfw : 1)),
			   *centred = malloc(sizeof(int) * (size_t) (nLfw > 0 ? nLfw : 1));
	const Sample **samples = malloc(sizeof(Sample *) * (size_t) n);
	double		qClean = 0,
				qBlur = 0;
	GateData	d;
	GateScheme	sc;

	for (i = 0; i < nLfw; i++)
	{
		all[i] = i;
		if (lfw[i].centred)
			centred[nCentred++] = i;
	}
	printf("\n### Boarding-gate operating point (NIST FRVT Part 7: galleries of %d, "
		   "FPIR %.3f)\n\n", GATE_GALLERY, GATE_FPIR);
	if (nCentred <= nGal)
	{
		printf("Needs more than %d LFW singletons, found %d.\n", nGal, nCentred);
		free(all);
		free(centred);
		free(samples);
		return;
	}
	for (i = 0; i < ORL_N; i++)
	{
		samples[i] = &orl[i];
		samples[ORL_N + nLfw + i] = &orlBlur[i];
		poorClean += orl[i].poor;
		poorBlur += orlBlur[i].poor;
		qClean += orl[i].quality;
		qBlur += orlBlur[i].quality;
	}
	for (i = 0; i < nLfw; i++)
		samples[ORL_N + i] = &lfw[i];
	printf("Each split: the %d ORL subjects and %d LFW singletons drawn at random "
		   "(splitmix64, seed %d) form the gallery; the other singletons are the "
		   "non-mated searches, the ORL images not enrolled the mated ones. "
		   "Enrolled photos: ORL images 1..k of each subject; \"last one blurred\": "
		   "image k enrolled after a Gaussian blur of sigma %.0f (a poor enrolment "
		   "photo; the searches stay unblurred). Identity score by template use: "
		   "best template = best cosine over its templates (what bx_match does); "
		   "poor photos not enrolled = the same without the templates below the "
		   "default bxexit.quality_* limits (bx_enroll refuses them); best-quality "
		   "template only = the cosine of its template of highest overall quality; "
		   "quality-weighted mean = sum(quality x cosine) / sum(quality). Search "
		   "score: best identity. A non-mated "
		   "search is a false positive when its score is >= t; a mated search is a "
		   "miss unless its mate is the sole rank-1 candidate with a score >= t. "
		   "q = the (floor(%.3f x non-mated searches)+1)-th highest non-mated score; "
		   "t = the smallest multiple of 0.001 above q, set for each row. Centred: "
		   "the %d LFW photos whose embedded face covers the photo centre (the "
		   "named person); %d show someone else. ORL overall quality: mean %.1f, "
		   "%d of %d below the default limits; blurred: mean %.1f, %d of %d below "
		   "them.\n\n",
		   ORL_SUBJECTS, nGal, GATE_SEED, GATE_BLUR, GATE_FPIR, nCentred,
		   nLfw - nCentred, qClean / ORL_N, poorClean, ORL_N, qBlur / ORL_N,
		   poorBlur, ORL_N);
	printf("| gallery | enrolled photos per ORL subject | template use | "
		   "LFW singletons | splits | "
		   "non-mated searches | mated searches | q | t | FPIR at t | FNIR at t | "
		   "t rounded up to 0.01 | FPIR there | FNIR there |\n"
		   "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
	d.samples = samples;
	d.n = n;
	d.blurBase = ORL_N + nLfw;
	d.sim = SimilarityMatrix(samples, n);

	/* one photo: every use of quality is the best template */
	for (k = 1; k <= 3; k++)
		for (f = 0; f < GATE_FUSION_COUNT; f++)
		{
			if ((k == 1 && f != GATE_MAX) || f == GATE_ENROLLED_ONLY)
				continue;		/* no clean ORL photo is below the limits */
			sc.perSubject = k;
			sc.blurLast = false;
			sc.fusion = (GateFusion) f;
			GateRow(&d, &sc, centred, nCentred, "centred", cfg->gateSplits);
		}
	for (k = 2; k <= 3; k++)
		for (f = 0; f < GATE_FUSION_COUNT; f++)
		{
			sc.perSubject = k;
			sc.blurLast = true;
			sc.fusion = (GateFusion) f;
			GateRow(&d, &sc, centred, nCentred, "centred", cfg->gateSplits);
		}
	sc.perSubject = 1;
	sc.blurLast = false;
	sc.fusion = GATE_MAX;
	GateRow(&d, &sc, all, nLfw, "(all)", cfg->gateSplits);
	free((void *) d.sim);
	free(samples);
	free(all);
	free(centred);
}

static void
Accuracy(BxFacePipe pipe, const Config *cfg)
{
	Sample		orl[ORL_SUBJECTS * ORL_IMAGES],
				orlBlur[ORL_SUBJECTS * ORL_IMAGES];
	Sample	   *lfw = NULL;
	char	  **files = NULL;
	char		path[1024];
	int			nLfw,
				i,
				j,
				s;
	double	   *mated,
			   *non,
			   *big;
	size_t		nm = 0,
				nn = 0,
				nb = 0;
	double		t0 = NowMs();

	for (s = 0; s < ORL_SUBJECTS; s++)
		for (i = 0; i < ORL_IMAGES; i++)
		{
			snprintf(path, sizeof(path), "%s/faces/att_orl/s%d/%d.pgm",
					 cfg->dataDir, s + 1, i + 1);
			orl[s * ORL_IMAGES + i].subject = s + 1;
			EmbedFile(pipe, cfg, path, 0, &orl[s * ORL_IMAGES + i]);
		}
	snprintf(path, sizeof(path), "%s/faces/lfw_singletons/images", cfg->dataDir);
	nLfw = ListSubdirFiles(path, ".jpg", &files);
	lfw = calloc((size_t) (nLfw > 0 ? nLfw : 1), sizeof(Sample));
	for (i = 0; i < nLfw; i++)
		EmbedFile(pipe, cfg, files[i], 0, &lfw[i]);

	printf("\n### Failure to acquire (%.1f s for %d photos)\n\n", (NowMs() - t0) / 1000,
		   ORL_SUBJECTS * ORL_IMAGES + nLfw);
	printf("| set | photos | no face | several faces | failed (rule %s) | "
		   "FTA rate | by status |\n|---|---|---|---|---|---|---|\n",
		   cfg->face.rule == BX_FACE_RULE_LARGEST ? "largest" : "single");
	PrintFailures("ORL", orl, ORL_SUBJECTS * ORL_IMAGES);
	if (nLfw > 0)
		PrintFailures("LFW singletons", lfw, nLfw);

	/* verification: every pair once; failures score below everything */
	mated = malloc(sizeof(double) * 1800);
	non = malloc(sizeof(double) * 80000);
	for (i = 0; i < ORL_SUBJECTS * ORL_IMAGES; i++)
		for (j = i + 1; j < ORL_SUBJECTS * ORL_IMAGES; j++)
		{
			double		sc = Score(&orl[i], &orl[j]);

			if (orl[i].subject == orl[j].subject)
				mated[nm++] = sc;
			else
				non[nn++] = sc;
		}
	{
		double		sm = 0,
					sn = 0;

		for (i = 0; i < (int) nm; i++)
			sm += mated[i];
		for (i = 0; i < (int) nn; i++)
			sn += non[i];
		printf("\n### Verification (cosine similarity; failures count as "
			   "non-matches)\n\nORL mean score: same person %.3f, different "
			   "people %.3f.\n\n", sm / nm, sn / nn);
	}
	printf("| impostors | mated pairs | non-mated pairs | FNMR @ FMR 1e-2 | "
		   "@ 1e-3 | @ 1e-4 | @ 1e-5 | EER |\n|---|---|---|---|---|---|---|---|\n");
	Verification("ORL", mated, nm, non, nn);
	if (cfg->scoresPath != NULL)
		WriteScores(cfg->scoresPath, mated, nm, non, nn);

	/* large impostor set: ORL + LFW-LFW + ORL-LFW pairs */
	if (nLfw > 0)
	{
		size_t		cap = nn + (size_t) nLfw * (nLfw - 1) / 2 +
			(size_t) nLfw * ORL_SUBJECTS * ORL_IMAGES;

		big = malloc(sizeof(double) * cap);
		memcpy(big, non, sizeof(double) * nn);
		nb = nn;
		for (i = 0; i < nLfw; i++)
		{
			for (j = i + 1; j < nLfw; j++)
				big[nb++] = Score(&lfw[i], &lfw[j]);
			for (j = 0; j < ORL_SUBJECTS * ORL_IMAGES; j++)
				big[nb++] = Score(&lfw[i], &orl[j]);
		}
		Verification("ORL + LFW singletons", mated, nm, big, nb);
		free(big);
	}

	/*
	 * Identification: gallery = image 1 of each subject, probes 2..10.
	 * Non-mated searches: each probe against the gallery without its own
	 * subject, and each LFW singleton against the whole gallery.
	 */
	{
		int			nProbe = ORL_SUBJECTS * (ORL_IMAGES - 1);
		double	   *mateScore = malloc(sizeof(double) * nProbe);
		bool	   *rank1 = malloc(sizeof(bool) * nProbe);
		bool	   *rank1d = malloc(sizeof(bool) * nProbe);
		double	   *nonTop = malloc(sizeof(double) * (nProbe + nLfw + 1));
		int			nNon = 0,
					hits = 0,
					hitsD = 0,
					p = 0,
					misses;
		double		t;

		for (s = 0; s < ORL_SUBJECTS; s++)
			for (i = 1; i < ORL_IMAGES; i++, p++)
			{
				const Sample *probe = &orl[s * ORL_IMAGES + i];
				double		best = BENCH_FAILED_SCORE - 1,
							bestOther = BENCH_FAILED_SCORE,
							mate = Score(probe, &orl[s * ORL_IMAGES]);
				int			g;

				for (g = 0; g < ORL_SUBJECTS; g++)
				{
					double		sc = Score(probe, &orl[g * ORL_IMAGES]);

					if (g != s && sc > bestOther)
						bestOther = sc;
					if (sc > best)
						best = sc;
				}
				mateScore[p] = mate;
				rank1[p] = probe->ok && orl[s * ORL_IMAGES].ok && mate > bestOther;
				nonTop[nNon++] = bestOther;
				/* the same with the LFW singletons as distractors */
				rank1d[p] = rank1[p];
				for (g = 0; g < nLfw && rank1d[p]; g++)
					if (Score(probe, &lfw[g]) >= mate)
						rank1d[p] = false;
				hits += rank1[p];
				hitsD += rank1d[p];
			}
		for (i = 0; i < nLfw; i++)
		{
			double		best = BENCH_FAILED_SCORE;

			for (s = 0; s < ORL_SUBJECTS; s++)
			{
				double		sc = Score(&lfw[i], &orl[s * ORL_IMAGES]);

				if (sc > best)
					best = sc;
			}
			nonTop[nNon++] = best;
		}
		/* FPIR 0.003: at most that share of non-mated searches above t */
		FnmrAtFmr(mateScore, 0, nonTop, (size_t) nNon, 0.003, &t);
		misses = 0;
		for (p = 0; p < nProbe; p++)
			if (!rank1[p] || !(mateScore[p] > t))
				misses++;
		printf("\n### Identification (gallery: image 1 of each of the 40 "
			   "subjects; 360 mated searches with images 2..10)\n\n");
		printf("| measure | value |\n|---|---|\n");
		printf("| rank-1 identification rate | %.2f%% (%d/%d) |\n",
			   100.0 * hits / nProbe, hits, nProbe);
		printf("| rank-1 with %d LFW distractors in the gallery | %.2f%% (%d/%d) |\n",
			   nLfw, 100.0 * hitsD / nProbe, hitsD, nProbe);
		printf("| FNIR @ FPIR 0.003 (%d non-mated searches, t=%.3f) | %.2f%% (%d/%d) |\n",
			   nNon, t, 100.0 * misses / nProbe, misses, nProbe);
		free(mateScore);
		free(rank1);
		free(rank1d);
		free(nonTop);
	}
	/* the poor enrolment photos of the gate table: ORL blurred */
	for (s = 0; s < ORL_SUBJECTS; s++)
		for (i = 0; i < ORL_IMAGES; i++)
		{
			snprintf(path, sizeof(path), "%s/faces/att_orl/s%d/%d.pgm",
					 cfg->dataDir, s + 1, i + 1);
			orlBlur[s * ORL_IMAGES + i].subject = s + 1;
			EmbedFile(pipe, cfg, path, GATE_BLUR, &orlBlur[s * ORL_IMAGES + i]);
		}
	GateOperatingPoint(orl, lfw, nLfw, orlBlur, cfg);
	free(mated);
	free(non);
	free(lfw);
	FreePaths(files, nLfw);
}

/* Bilinear resize of an RGB image (bench photo synthesis only) */
static void
PasteScaled(const BxImageData *src, BxImage dst, int x0, int y0, int size)
{
	int			x,
				y,
				c;

	for (y = 0; y < size; y++)
		for (x = 0; x < size; x++)
		{
			double		sx = (x + 0.5) * src->width / size - 0.5;
			double		sy = (y + 0.5) * src->height / size - 0.5;
			int			ix = (int) floor(sx),
						iy = (int) floor(sy);
			double		fx = sx - ix,
						fy = sy - iy;
			int			ix1 = ix + 1 < src->width ? ix + 1 : src->width - 1;
			int			iy1 = iy + 1 < src->height ? iy + 1 : src->height - 1;
			uint8_t    *out;

			if (ix < 0)
				ix = 0;
			if (iy < 0)
				iy = 0;
			if (x0 + x >= dst->width || y0 + y >= dst->height)
				continue;
			out = dst->pixels + (size_t) (y0 + y) * dst->stride + (size_t) (x0 + x) * 3;
			for (c = 0; c < 3; c++)
			{
				double		v00 = src->pixels[(size_t) iy * src->stride + ix * 3 + c];
				double		v01 = src->pixels[(size_t) iy * src->stride + ix1 * 3 + c];
				double		v10 = src->pixels[(size_t) iy1 * src->stride + ix * 3 + c];
				double		v11 = src->pixels[(size_t) iy1 * src->stride + ix1 * 3 + c];
				double		v = (1 - fy) * ((1 - fx) * v00 + fx * v01) +
					fy * ((1 - fx) * v10 + fx * v11);

				out[c] = (uint8_t) (v + 0.5);
			}
		}
}

/*
 * A w x h photo: a textured background (gradient plus noise, no faces)
 * with a real LFW photo enlarged to faceSize x faceSize in the middle.
 */
static uint8_t *
MakePhoto(const BxImageData *face, int w, int h, int faceSize, size_t *len)
{
	BxImage		img = BxImageCreate(w, h, 3, NULL);
	uint8_t    *jpeg;
	int			x,
				y;

	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++)
		{
			uint8_t    *p = img->pixels + (size_t) y * img->stride + (size_t) x * 3;
			int			noise = (int) (TestRandom() % 25);

			p[0] = (uint8_t) (90 + 80 * x / w + noise);
			p[1] = (uint8_t) (110 + 60 * y / h + noise);
			p[2] = (uint8_t) (120 + noise);
		}
	PasteScaled(face, img, (w - faceSize) / 2, (h - faceSize) / 2, faceSize);
	jpeg = WriteJpegImage(img, 90, len);
	BxImageFree(img);
	return jpeg;
}

static void
TimePhoto(BxFacePipe pipe, const Config *cfg, const char *label,
		  const uint8_t *jpeg, size_t len)
{
	int			runs = cfg->runs,
				r,
				k,
				warm = 5,
				failures = 0;
	double	   *t[5];
	BxImageOptions io;
	BxFaceResult found = {0};
	int			decW = 0,
				decH = 0;
	static const char *names[5] = {"decode", "detect", "align", "embed", "total"};

	for (k = 0; k < 5; k++)
		t[k] = malloc(sizeof(double) * (size_t) runs);
	BxImageDefaultOptions(&io);
	io.targetLongSide = cfg->target;
	for (r = -warm; r < runs; r++)
	{
		char		err[BX_ERRBUF_SIZE];
		float		emb[BX_FACE_EMBEDDING_DIM];
		BxImage		img = NULL;
		double		a = NowMs(),
					b;

		if (BxImageDecode(jpeg, len, &io, &img, err, sizeof(err)) != BX_OK)
		{
			fprintf(stderr, "faces_bench: %s: %s\n", label, err);
			exit(2);
		}
		b = NowMs();
		decW = img->width;
		decH = img->height;
		if (BxFaceEmbed(pipe, img, &cfg->face, emb, &found, err, sizeof(err)) != BX_OK)
		{
			failures++;
			found.timings.detectMs = found.timings.alignMs = found.timings.embedMs = 0;
			if (failures == 1)
				fprintf(stderr, "faces_bench: %s: %s\n", label, err);
		}
		BxImageFree(img);
		if (r < 0)
			continue;
		t[0][r] = b - a;
		t[1][r] = found.timings.detectMs;
		t[2][r] = found.timings.alignMs;
		t[3][r] = found.timings.embedMs;
		t[4][r] = NowMs() - a;
	}
	printf("| %s (%zu bytes, decoded %dx%d, eye distance %.0f px) | %d |",
		   label, len, decW, decH, found.face.eyeDistance, runs);
	for (k = 0; k < 5; k++)
	{
		double		med = Percentile(t[k], (size_t) runs, 50);
		double		p99 = Percentile(t[k], (size_t) runs, 99);

		printf(" %.2f / %.2f |", med, p99);
		free(t[k]);
	}
	printf("%s\n", failures ? " FAILED" : "");
	(void) names;
}

static void
Speed(BxFacePipe pipe, const Config *cfg)
{
	char		path[1024];
	char	  **files = NULL;
	int			n,
				i;
	size_t		len;
	void	   *data;
	BxImage		face = NULL;
	char		err[BX_ERRBUF_SIZE];
	static const struct
	{
		int			w,
					h,
					faceSize;
	}			photos[] = {{640, 480, 360}, {4000, 3000, 2200}};
	size_t		k;

	snprintf(path, sizeof(path), "%s/faces/lfw_singletons/images", cfg->dataDir);
	n = ListSubdirFiles(path, ".jpg", &files);
	/* the first LFW photo showing exactly one face */
	for (i = 0; i < n && face == NULL; i++)
	{
		BxFace		f[2];
		int			nf = 0;

		if ((data = ReadWholeFile(files[i], &len)) == NULL)
			continue;
		if (BxImageDecode(data, len, NULL, &face, err, sizeof(err)) != BX_OK ||
			BxFaceDetect(pipe, face, &cfg->face, f, 2, &nf, err, sizeof(err)) != BX_OK ||
			nf != 1)
		{
			BxImageFree(face);
			face = NULL;
		}
		free(data);
	}
	if (face == NULL)
	{
		fprintf(stderr, "faces_bench: no LFW photo with one face under %s\n", path);
		exit(2);
	}
	i--;
	printf("\n### Speed (one thread; ms median / p99; photos made from %s)\n\n",
		   strrchr(files[i], '/') + 1);
	printf("| photo | runs | decode | detect | align | embed | total |\n"
		   "|---|---|---|---|---|---|---|\n");
	for (k = 0; k < sizeof(photos) / sizeof(photos[0]); k++)
	{
		char		label[64];
		uint8_t    *jpeg = MakePhoto(face, photos[k].w, photos[k].h,
									 photos[k].faceSize, &len);

		snprintf(label, sizeof(label), "%dx%d JPEG", photos[k].w, photos[k].h);
		if (cfg->photoDir != NULL)
		{
			FILE	   *f;

			snprintf(path, sizeof(path), "%s/photo-%dx%d.jpg", cfg->photoDir,
					 photos[k].w, photos[k].h);
			if ((f = fopen(path, "wb")) != NULL)
			{
				fwrite(jpeg, 1, len, f);
				fclose(f);
			}
		}
		TimePhoto(pipe, cfg, label, jpeg, len);
		free(jpeg);
	}
	BxImageFree(face);
	FreePaths(files, n);
}

/* Embed a decoded image and keep its quality; false if no face embedded */
static bool
QualityImage(BxFacePipe pipe, const Config *cfg, const BxImageData *img, BxFaceQuality *q)
{
	char		err[BX_ERRBUF_SIZE];
	BxFaceResult found;
	float		emb[BX_FACE_EMBEDDING_DIM];

	if (img == NULL ||
		BxFaceEmbed(pipe, img, &cfg->face, emb, &found, err, sizeof(err)) != BX_OK ||
		!found.hasQuality)
		return false;
	*q = found.quality;
	return true;
}

/* Embed one file as bx_embed does and keep its quality; false if no face */
static bool
QualityFile(BxFacePipe pipe, const Config *cfg, const char *path, BxFaceQuality *q)
{
	BxImage		img = DecodePhotoFile(path, cfg->target);
	bool		ok;

	if (img == NULL)
		return false;
	ok = QualityImage(pipe, cfg, img, q);
	BxImageFree(img);
	return ok;
}

/* One set's rows of the quality table */
static void
QualityRows(const char *set, const BxFaceQuality *q, int n)
{
	static const char *const names[] = {
		"eye_distance", "face_size", "face_in_frame", "abs(roll)", "abs(yaw)",
		"abs(pitch)", "brightness", "contrast", "sharpness", "confidence", "score"
	};
	BxQualityLimits lim;
	double	   *v = malloc(sizeof(double) * (n > 0 ? n : 1));
	int			refusedBy[BX_QC_COUNT] = {0};
	int			refused = 0,
				c,
				i;

	BxFaceQualityDefaultLimits(&lim);
	for (i = 0; i < n; i++)
	{
		BxQualityComponent f = BxFaceQualityCheck(&q[i], &lim);

		if (f != BX_QC_COUNT)
		{
			refusedBy[f]++;
			refused++;
			fprintf(stderr, "faces_bench: %s photo %d refused: %s\n", set, i,
					BxFaceQualityComponentName(f));
		}
	}
	for (c = 0; c < (int) (sizeof(names) / sizeof(names[0])); c++)
	{
		/* the default limits of the row: below lo or above hi is refused */
		const double lo[] = {
			lim.minEyeDistance, lim.minFaceSize, lim.minFaceInFrame, -1, -1, -1,
			lim.minBrightness, lim.minContrast, lim.minSharpness, lim.minConfidence, lim.minScore
		};
		const double hi[] = {
			INFINITY, INFINITY, INFINITY, lim.maxRoll, lim.maxYaw, lim.maxPitch,
			lim.maxBrightness, INFINITY, INFINITY, INFINITY, INFINITY
		};
		char		limit[64];
		int			alone = 0;

		for (i = 0; i < n; i++)
		{
			const BxFaceQuality *x = &q[i];
			const float all[] = {
				x->eyeDistance, x->faceSize, x->faceInFrame, fabsf(x->roll),
				fabsf(x->yaw), fabsf(x->pitch), x->brightness, x->contrast,
				x->sharpness, x->confidence, x->score
			};

			v[i] = all[c];
			if (!(v[i] >= lo[c] && v[i] <= hi[c]))
				alone++;
		}
		if (isinf(hi[c]))
			snprintf(limit, sizeof(limit), ">= %g", lo[c]);
		else if (lo[c] < 0)
			snprintf(limit, sizeof(limit), "<= %g", hi[c]);
		else
			snprintf(limit, sizeof(limit), "%g .. %g", lo[c], hi[c]);
		printf("| %s | %s | %d | %.3g | %.3g | %.3g | %.3g | %.3g | %.3g | %s | %d |\n", set,
			   names[c], n, Percentile(v, n, 0), Percentile(v, n, 1), Percentile(v, n, 5),
			   Percentile(v, n, 50), Percentile(v, n, 99), Percentile(v, n, 100), limit, alone);
	}
	printf("\n%s: %d of %d photos refused by the default limits", set, refused, n);
	for (c = 0; c < BX_QC_COUNT; c++)
		if (refusedBy[c] > 0)
			printf("; %s %d", BxFaceQualityComponentName(c), refusedBy[c]);
	printf(".\n\n");
	free(v);
}

enum
{
	DG_BLURRED, DG_DARK, DG_SMALL, DG_ROTATED, DG_COUNT
};

/*
 * The capture defects of the quality tests (test/common/degrade.c, the
 * same parameters as test/facepipe/test_quality.c and the captures of
 * sql/quality.sql) applied to every photo of a set (decoded at full size,
 * then embedded as bx_embed does): how many are embedded, refused by the
 * default limits, and refused for the component the defect is about.
 */
static void
DegradedRows(BxFacePipe pipe, const Config *cfg, const char *set, char **files, int n)
{
	static const char *const names[DG_COUNT] = {
		"blurred (Gaussian sigma 3)", "dark (gain 0.4, gamma 2.5)", "4x smaller",
		"rotated 30 degrees"
	};
	static const BxQualityComponent expected[DG_COUNT] = {
		BX_QC_SHARPNESS, BX_QC_UNDER_EXPOSURE, BX_QC_EYE_DISTANCE, BX_QC_ROLL
	};
	int			embedded[DG_COUNT] = {0},
				refused[DG_COUNT] = {0},
				asExpected[DG_COUNT] = {0};
	BxQualityLimits lim;
	int			d,
				i;

	BxFaceQualityDefaultLimits(&lim);
	for (i = 0; i < n; i++)
	{
		char		err[BX_ERRBUF_SIZE];
		size_t		len;
		void	   *data = ReadWholeFile(files[i], &len);
		BxImage		img = NULL;

		if (data == NULL || BxImageDecode(data, len, NULL, &img, err, sizeof(err)) != BX_OK)
		{
			free(data);
			continue;
		}
		free(data);
		for (d = 0; d < DG_COUNT; d++)
		{
			BxImage		x = d == DG_BLURRED ? DegradeBlur(img, 3.0) :
				d == DG_DARK ? DegradeDark(img, 0.4, 2.5) :
				d == DG_SMALL ? DegradeShrink(img, 4) : DegradeRotate(img, 30);
			BxFaceQuality q;

			if (QualityImage(pipe, cfg, x, &q))
			{
				BxQualityComponent f = BxFaceQualityCheck(&q, &lim);

				embedded[d]++;
				refused[d] += f != BX_QC_COUNT;
				asExpected[d] += f == expected[d];
			}
			BxImageFree(x);
		}
		BxImageFree(img);
	}
	for (d = 0; d < DG_COUNT; d++)
		printf("| %s | %s | %d | %d | %d | %d (%s) |\n", set, names[d], n, embedded[d],
			   refused[d], asExpected[d], BxFaceQualityComponentName(expected[d]));
}

/*
 * What the quality measures add to bx_embed: BxFaceQualityMeasure() on the
 * face and the aligned crop of one photo, timed over many calls (the crop
 * is the same 112x112 whatever the photo, so one photo tells).
 */
static void
QualityCost(BxFacePipe pipe, const Config *cfg, const char *path)
{
	char		err[BX_ERRBUF_SIZE];
	size_t		len;
	void	   *data = ReadWholeFile(path, &len);
	BxImage		img = NULL;
	BxFaceResult found;
	float		emb[BX_FACE_EMBEDDING_DIM];
	uint8_t    *crop = malloc(3 * BX_FACE_ALIGNED_SIZE * BX_FACE_ALIGNED_SIZE);
	BxFaceQuality q;
	double		t0,
				sink = 0;
	int			runs = 20000,
				i;

	if (data != NULL && crop != NULL &&
		BxImageDecode(data, len, NULL, &img, err, sizeof(err)) == BX_OK &&
		BxFaceEmbed(pipe, img, &cfg->face, emb, &found, err, sizeof(err)) == BX_OK)
	{
		BxFace		face = found.face;	/* photo pixels = decoded pixels here */

		BxFaceAlign(img, face.landmarks, crop);
		t0 = NowMs();
		for (i = 0; i < runs; i++)
		{
			BxFaceQualityMeasure(&face, img->fullWidth, img->fullHeight, crop, &q);
			sink += q.score;
		}
		printf("\nQuality measures: %.1f us per face (mean of %d calls of "
			   "BxFaceQualityMeasure; embedding stage %.2f ms in the same BxFaceEmbed call; checksum %.0f).\n",
			   (NowMs() - t0) * 1000.0 / runs, runs, found.timings.embedMs, sink / runs);
	}
	BxImageFree(img);
	free(data);
	free(crop);
}

/*
 * The quality components of every ORL and LFW photo the pipeline embeds
 * (decoded and embedded as bx_embed does), their distribution per set, and
 * how many photos the default limits (quality.h) would refuse: the
 * calibration of those defaults, which must refuse no studio photo.
 */
static void
Quality(BxFacePipe pipe, const Config *cfg)
{
	BxFaceQuality orl[ORL_N];
	BxFaceQuality *lfw;
	char	  **files = NULL;
	char		path[1024];
	int			nOrl = 0,
				nLfw,
				got = 0,
				i;

	for (i = 0; i < ORL_N; i++)
	{
		snprintf(path, sizeof(path), "%s/faces/att_orl/s%d/%d.pgm",
				 cfg->dataDir, i / ORL_IMAGES + 1, i % ORL_IMAGES + 1);
		if (QualityFile(pipe, cfg, path, &orl[nOrl]))
			nOrl++;
	}
	snprintf(path, sizeof(path), "%s/faces/lfw_singletons/images", cfg->dataDir);
	nLfw = ListSubdirFiles(path, ".jpg", &files);
	lfw = calloc((size_t) (nLfw > 0 ? nLfw : 1), sizeof(BxFaceQuality));
	for (i = 0; i < nLfw; i++)
		if (QualityFile(pipe, cfg, files[i], &lfw[got]))
			got++;
	printf("\n### Capture quality of the photos embedded (%d of %d ORL, %d of %d LFW)\n\n",
		   nOrl, ORL_N, got, nLfw);
	printf("| set | component | photos | min | 1%% | 5%% | median | 99%% | max | default limit | "
		   "refused by it alone |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
	QualityRows("ORL", orl, nOrl);
	printf("| set | component | photos | min | 1%% | 5%% | median | 99%% | max | default limit | "
		   "refused by it alone |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
	QualityRows("LFW", lfw, got);
	free(lfw);

	printf("### Captures with known defects, default limits\n\n"
		   "| set | defect | photos | embedded | refused | refused for the defect's component |\n"
		   "|---|---|---|---|---|---|\n");
	{
		char	  **orlFiles = NULL;
		int			nOrlFiles;

		snprintf(path, sizeof(path), "%s/faces/att_orl", cfg->dataDir);
		nOrlFiles = ListSubdirFiles(path, ".pgm", &orlFiles);
		DegradedRows(pipe, cfg, "ORL", orlFiles, nOrlFiles);
		FreePaths(orlFiles, nOrlFiles);
	}
	DegradedRows(pipe, cfg, "LFW", files, nLfw);
	if (nLfw > 0)
		QualityCost(pipe, cfg, files[0]);
	FreePaths(files, nLfw);
}

static const char *
EnvOr(const char *name, const char *dflt)
{
	const char *v = getenv(name);

	return v != NULL && v[0] != '\0' ? v : dflt;
}

static void
Usage(void)
{
	fprintf(stderr, "usage: faces_bench accuracy|speed|quality|robust [--data DIR] [--models DIR] "
			"[--det-size N] [--pad F] [--retry-pad F] [--upscale F] [--retry-upscale F] "
			"[--retry-exposure 0|1] [--retry-rotation DEGREES] [--retry-denoise SIGMA] "
			"[--retry-low-score F] [--threshold F] "
			"[--rule single|largest] [--runs N] [--target N] [--photos DIR] "
			"[--gate-splits N] [--scores FILE] [--web DIR] [--conditions LIST]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	Config		cfg;
	NnModel		det,
				emb;
	BxFacePipe	pipe;
	char		err[BX_ERRBUF_SIZE];
	int			i;
	const char *mode;

	if (argc < 2)
		Usage();
	mode = argv[1];
	memset(&cfg, 0, sizeof(cfg));
	cfg.dataDir = EnvOr("BX_DATA_DIR", "../shared/data");
	cfg.modelDir = EnvOr("BX_MODEL_DIR", "../shared/models");
	cfg.detSize = 640;
	cfg.runs = 200;
	cfg.target = 0;				/* 0: as bx_embed decodes, BxFaceDecodeLongSide() */
	cfg.gateSplits = 20;
	cfg.webDir = getenv("BX_WEB_DIR");
	BxFaceDefaultOptions(&cfg.face);
	for (i = 2; i < argc; i++)
	{
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (v == NULL)
			Usage();
		if (strcmp(argv[i], "--data") == 0)
			cfg.dataDir = v;
		else if (strcmp(argv[i], "--models") == 0)
			cfg.modelDir = v;
		else if (strcmp(argv[i], "--photos") == 0)
			cfg.photoDir = v;
		else if (strcmp(argv[i], "--det-size") == 0)
			cfg.detSize = atoi(v);
		else if (strcmp(argv[i], "--runs") == 0)
			cfg.runs = atoi(v);
		else if (strcmp(argv[i], "--target") == 0)
			cfg.target = atoi(v);
		else if (strcmp(argv[i], "--gate-splits") == 0)
			cfg.gateSplits = atoi(v);
		else if (strcmp(argv[i], "--scores") == 0)
			cfg.scoresPath = v;
		else if (strcmp(argv[i], "--web") == 0)
			cfg.webDir = v;
		else if (strcmp(argv[i], "--conditions") == 0)
			cfg.conditions = v;
		else if (strcmp(argv[i], "--pad") == 0)
			cfg.face.padFraction = (float) atof(v);
		else if (strcmp(argv[i], "--retry-pad") == 0)
			cfg.face.retryPadFraction = (float) atof(v);
		else if (strcmp(argv[i], "--upscale") == 0)
			cfg.face.maxUpscale = (float) atof(v);
		else if (strcmp(argv[i], "--retry-upscale") == 0)
			cfg.face.retryUpscale = (float) atof(v);
		else if (strcmp(argv[i], "--retry-exposure") == 0)
			cfg.face.retryExposure = atoi(v) != 0;
		else if (strcmp(argv[i], "--retry-rotation") == 0)
			cfg.face.retryRotation = (float) atof(v);
		else if (strcmp(argv[i], "--retry-denoise") == 0)
			cfg.face.retryDenoise = (float) atof(v);
		else if (strcmp(argv[i], "--retry-low-score") == 0)
			cfg.face.retryLowScore = (float) atof(v);
		else if (strcmp(argv[i], "--threshold") == 0)
			cfg.face.scoreThreshold = (float) atof(v);
		else if (strcmp(argv[i], "--rule") == 0)
			cfg.face.rule = strcmp(v, "largest") == 0 ? BX_FACE_RULE_LARGEST :
				BX_FACE_RULE_SINGLE;
		else
			Usage();
		i++;
	}
	if (cfg.detSize < 32 || cfg.detSize % 32 != 0 || cfg.runs < 1 ||
		cfg.gateSplits < 1)
		Usage();

	det = LoadModel(&cfg, YUNET_PATH, cfg.detSize);
	emb = LoadModel(&cfg, MFN_PATH, 0);
	if (BxFacePipeCreate(det, emb, NULL, &pipe, err, sizeof(err)) != BX_OK)
	{
		fprintf(stderr, "faces_bench: %s\n", err);
		return 2;
	}
	if (cfg.target == 0)
		cfg.target = BxFaceDecodeLongSide(cfg.detSize);
	printf("\nSettings: detector %dx%d, pad %.2f, retry pad %.2f, max upscale %.1f, "
		   "retries upscale %.1f, exposure %s, rotation %.0f, denoise %.1f, low score %.2f, score "
		   "threshold %.2f, NMS %.2f, rule %s, JPEG target long side %d; "
		   "OpenBLAS core %s, OPENBLAS_NUM_THREADS=%s.\n",
		   cfg.detSize, cfg.detSize, cfg.face.padFraction,
		   cfg.face.retryPadFraction, cfg.face.maxUpscale, cfg.face.retryUpscale,
		   cfg.face.retryExposure ? "on" : "off", cfg.face.retryRotation,
		   cfg.face.retryDenoise, cfg.face.retryLowScore,
		   cfg.face.scoreThreshold, cfg.face.nmsThreshold,
		   cfg.face.rule == BX_FACE_RULE_LARGEST ? "largest" : "single",
		   cfg.target, openblas_get_corename(), EnvOr("OPENBLAS_NUM_THREADS", "unset"));
	if (strcmp(mode, "accuracy") == 0)
		Accuracy(pipe, &cfg);
	else if (strcmp(mode, "speed") == 0)
		Speed(pipe, &cfg);
	else if (strcmp(mode, "quality") == 0)
		Quality(pipe, &cfg);
	else if (strcmp(mode, "robust") == 0)
	{
		RobustConfig rc;
		BxFaceOptions before = cfg.face;

		before.retryUpscale = 0;
		before.retryExposure = false;
		before.retryRotation = 0;
		before.retryDenoise = 0;
		before.retryLowScore = 0;
		rc.before = &before;
		rc.dataDir = cfg.dataDir;
		rc.webDir = cfg.webDir;
		rc.conditions = cfg.conditions;
		rc.target = cfg.target;
		rc.face = &cfg.face;
		Robustness(pipe, &rc);
	}
	else
		Usage();
	BxFacePipeFree(pipe);
	NnModelFree(det);
	NnModelFree(emb);
	return 0;
}
