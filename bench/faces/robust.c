/*-------------------------------------------------------------------------
 *
 * robust.c
 *	  Robustness of the face pipeline to gate capture defects (issue 17,
 *	  item 2): failure to acquire, FNMR at FMR 1e-3 and 1e-4 and rank-1
 *	  identification on degraded versions of the studio photos (ORL) and
 *	  of web photos with several photos per person, the LFW singletons as
 *	  impostors and distractors.
 *
 * Protocol (bench/faces/README.md, "Robustness protocol"): every photo is
 * decoded as bx_embed decodes it, embedded clean once (its enrolment
 * template) and once per condition after the defect is applied to the
 * decoded image (the probe), with the same BxFaceEmbed() call and options
 * as the accuracy bench (rule largest).  Verification pairs a degraded
 * probe with the clean templates of every other photo: same person mated,
 * other person (and every degraded LFW singleton against every template)
 * non-mated; the threshold of each condition is set on its own non-mated
 * scores.  Identification: gallery = the clean first photo (by path) of
 * each person plus the 629 clean LFW singletons; the other photos,
 * degraded, search it; a hit needs the mate strictly above every other
 * identity.  A failure to acquire scores below everything (generalised
 * error rates), so failures are never dropped.
 *
 * bench/faces/robust.c
 *
 *-------------------------------------------------------------------------
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "degrade.h"
#include "facepipe/facepipe.h"
#include "helpers.h"
#include "metrics.h"
#include "robust.h"

typedef enum CondKind
{
	COND_CLEAN,
	COND_SHRINK,
	COND_BLUR,
	COND_MOTION,
	COND_JPEG,
	COND_DARK,
	COND_ROTATE,
	COND_NOISE
} CondKind;

typedef struct Condition
{
	const char *key;			/* for --conditions */
	const char *label;
	CondKind	kind;
	double		a;
	double		b;
} Condition;

static const Condition conditions[] = {
	{"clean", "clean", COND_CLEAN, 0, 0},
	{"small", "4x downscaled (box filter)", COND_SHRINK, 4, 0},
	{"blur", "Gaussian blur sigma 2", COND_BLUR, 2, 0},
	{"motion", "motion blur 9 px at 30 degrees", COND_MOTION, 9, 30},
	{"jpeg", "JPEG quality 20", COND_JPEG, 20, 0},
	{"dark", "dark (gamma 2.5)", COND_DARK, 1.0, 2.5},
	{"darker", "darker (gain 0.4, gamma 2.5)", COND_DARK, 0.4, 2.5},
	{"rot10", "rotated 10 degrees", COND_ROTATE, 10, 0},
	{"rot20", "rotated 20 degrees", COND_ROTATE, 20, 0},
	{"rot30", "rotated 30 degrees", COND_ROTATE, 30, 0},
	{"noise", "Gaussian noise sigma 15", COND_NOISE, 15, 0},
};
#define N_CONDITIONS ((int) (sizeof(conditions) / sizeof(conditions[0])))

/* One photo set: paths sorted, person ids, the gallery photo of each */
typedef struct PhotoSet
{
	const char *name;
	int			n;
	char	  **paths;
	int		   *person;			/* 0..nPersons-1; singletons: all distinct */
	int			nPersons;
	bool	   *first;			/* the person's gallery photo */
	/* [0]: the pipeline without the retries (before), [1]: with them */
	float	   *clean[2];		/* n x 128 enrolment templates */
	bool	   *cleanOk[2];
	float	   *probe[2];		/* n x 128, this condition */
	bool	   *probeOk[2];
	bool	   *centred;		/* clean: the embedded face covers the centre */
	int			v;				/* which pipeline the rows look at */
} PhotoSet;

static void
AddPaths(PhotoSet *s, char **paths, int n, bool groupByFolder)
{
	int			i;

	s->paths = realloc(s->paths, sizeof(char *) * (size_t) (s->n + n));
	s->person = realloc(s->person, sizeof(int) * (size_t) (s->n + n));
	for (i = 0; i < n; i++)
	{
		char	   *slash = strrchr(paths[i], '/');
		bool		same = false;

		if (groupByFolder && s->n > 0)
		{
			const char *prev = s->paths[s->n - 1];
			const char *ps = strrchr(prev, '/');

			same = ps - prev == slash - paths[i] &&
				strncmp(prev, paths[i], (size_t) (slash - paths[i])) == 0;
		}
		s->paths[s->n] = paths[i];
		s->person[s->n] = same ? s->nPersons - 1 : s->nPersons++;
		s->n++;
	}
	free(paths);				/* the strings now belong to the set */
}

/* Drop people with a single photo (no mated pair) from a multi-photo set */
static void
KeepMultiPhoto(PhotoSet *s)
{
	int		   *count = calloc((size_t) s->nPersons + 1, sizeof(int));
	int		   *renum = malloc(sizeof(int) * ((size_t) s->nPersons + 1));
	int			i,
				k = 0,
				p = 0;

	for (i = 0; i < s->n; i++)
		count[s->person[i]]++;
	for (i = 0; i < s->nPersons; i++)
		renum[i] = count[i] >= 2 ? p++ : -1;
	for (i = 0; i < s->n; i++)
	{
		if (renum[s->person[i]] < 0)
		{
			free(s->paths[i]);
			continue;
		}
		s->paths[k] = s->paths[i];
		s->person[k++] = renum[s->person[i]];
	}
	s->n = k;
	s->nPersons = p;
	free(count);
	free(renum);
}

static void
Allocate(PhotoSet *s)
{
	int			i;

	s->first = calloc((size_t) s->n + 1, sizeof(bool));
	for (i = 0; i < 2; i++)
	{
		s->clean[i] = malloc(sizeof(float) * BX_FACE_EMBEDDING_DIM * ((size_t) s->n + 1));
		s->probe[i] = malloc(sizeof(float) * BX_FACE_EMBEDDING_DIM * ((size_t) s->n + 1));
		s->cleanOk[i] = calloc((size_t) s->n + 1, sizeof(bool));
		s->probeOk[i] = calloc((size_t) s->n + 1, sizeof(bool));
	}
	s->centred = calloc((size_t) s->n + 1, sizeof(bool));
	for (i = 0; i < s->n; i++)
		s->first[i] = i == 0 || s->person[i] != s->person[i - 1];
}

static void
FreeSet(PhotoSet *s)
{
	FreePaths(s->paths, s->n);
	free(s->person);
	free(s->first);
	for (int i = 0; i < 2; i++)
	{
		free(s->clean[i]);
		free(s->probe[i]);
		free(s->cleanOk[i]);
		free(s->probeOk[i]);
	}
	free(s->centred);
}

static int
CompareNames(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/*
 * The web set: every folder F of dir holds one folder per person
 * (F/PERSON/NAME.jpg), e.g. lfw7/ and deepface/ of get_web_faces.sh.
 */
static void
LoadWeb(PhotoSet *s, const char *dir)
{
	DIR		   *d = opendir(dir);
	struct dirent *e;
	char	  **tops = NULL;
	int			nTops = 0,
				i;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL)
	{
		if (e->d_name[0] == '.')
			continue;
		tops = realloc(tops, sizeof(char *) * (size_t) (nTops + 1));
		tops[nTops] = malloc(strlen(dir) + strlen(e->d_name) + 2);
		sprintf(tops[nTops++], "%s/%s", dir, e->d_name);
	}
	closedir(d);
	if (nTops > 0)
		qsort(tops, (size_t) nTops, sizeof(char *), CompareNames);
	for (i = 0; i < nTops; i++)
	{
		char	  **paths = NULL;
		int			n = ListSubdirFiles(tops[i], ".jpg", &paths);

		if (n > 0)
			AddPaths(s, paths, n, true);
		else
			free(paths);
	}
	FreePaths(tops, nTops);
	KeepMultiPhoto(s);
}

/* The degraded image of a condition; NULL when out of memory */
static BxImage
Degrade(const Condition *c, const BxImageData *img, int index)
{
	switch (c->kind)
	{
		case COND_CLEAN:
			return NULL;
		case COND_SHRINK:
			return DegradeShrink(img, (int) c->a);
		case COND_BLUR:
			return DegradeBlur(img, c->a);
		case COND_MOTION:
			return DegradeMotionBlur(img, (int) c->a, c->b);
		case COND_JPEG:
			return DegradeJpeg(img, (int) c->a);
		case COND_DARK:
			return DegradeDark(img, c->a, c->b);
		case COND_ROTATE:
			/* alternate the sense: both occur at a gate */
			return DegradeRotate(img, index % 2 ? -c->a : c->a);
		case COND_NOISE:
			return DegradeNoise(img, c->a, 8381 + (uint64_t) index);
	}
	return NULL;
}

/* Decode as bx_embed does, degrade, embed; false if no face embedded */
static bool
EmbedPhoto(BxFacePipe pipe, const RobustConfig *cfg, const BxFaceOptions *opts,
		   const char *path, const Condition *c, int index, float *emb,
		   BxStatus *status, bool *centred)
{
	char		err[BX_ERRBUF_SIZE];
	BxImage		img = DecodePhotoFile(path, cfg->target),
				bad = NULL;
	BxFaceResult found;

	*status = BX_EINVAL;
	if (img == NULL)
		return false;
	if (c->kind != COND_CLEAN)
	{
		bad = Degrade(c, img, index);
		if (bad == NULL)
		{
			fprintf(stderr, "faces_bench: %s: cannot degrade (%s)\n", path, c->key);
			exit(2);
		}
	}
	*status = BxFaceEmbed(pipe, bad != NULL ? bad : img, opts, emb, &found,
						  err, sizeof(err));
	*centred = *status == BX_OK &&
		found.face.x <= img->fullWidth / 2.0f &&
		img->fullWidth / 2.0f <= found.face.x + found.face.width &&
		found.face.y <= img->fullHeight / 2.0f &&
		img->fullHeight / 2.0f <= found.face.y + found.face.height;
	BxImageFree(bad);
	BxImageFree(img);
	return *status == BX_OK;
}

static int
CountCentred(const PhotoSet *s)
{
	int			i,
				n = 0;

	for (i = 0; i < s->n; i++)
		n += s->centred[i];
	return n;
}

/*
 * Embed every photo of s in condition c, with the pipeline without the
 * retries (cfg->before) and with them (cfg->face).  The retries run only
 * when the passes before them found no face, so a photo embedded without
 * them gives the same template with them: only the failures are embedded
 * a second time (the clean rows check it against a build without the
 * retries, bench/faces/README.md).
 */
static void
EmbedSet(BxFacePipe pipe, const RobustConfig *cfg, PhotoSet *s,
		 const Condition *c, bool clean)
{
	int			i;

	for (i = 0; i < s->n; i++)
	{
		size_t		off = (size_t) i * BX_FACE_EMBEDDING_DIM;
		float	   *e0 = (clean ? s->clean[0] : s->probe[0]) + off;
		float	   *e1 = (clean ? s->clean[1] : s->probe[1]) + off;
		BxStatus	st;
		bool		centred,
					ok0,
					ok1;

		ok0 = EmbedPhoto(pipe, cfg, cfg->before, s->paths[i], c, i, e0, &st, &centred);
		if (ok0)
		{
			memcpy(e1, e0, sizeof(float) * BX_FACE_EMBEDDING_DIM);
			ok1 = true;
		}
		else
		{
			bool		centred1;

			ok1 = EmbedPhoto(pipe, cfg, cfg->face, s->paths[i], c, i, e1, &st, &centred1);
		}
		if (clean)
		{
			s->cleanOk[0][i] = ok0;
			s->cleanOk[1][i] = ok1;
			s->centred[i] = centred;
		}
		else
		{
			s->probeOk[0][i] = ok0;
			s->probeOk[1][i] = ok1;
		}
	}
}

static double
PairScore(const float *a, bool aOk, const float *b, bool bOk)
{
	return aOk && bOk ? BxFaceScore(a, b) : BENCH_FAILED_SCORE;
}

/* The name of the folder holding path (the person, in LFW's layout) */
static const char *
FolderName(const char *path, size_t *len)
{
	const char *end = strrchr(path, '/'),
			   *start = end;

	while (start != NULL && start > path && start[-1] != '/')
		start--;
	*len = start != NULL ? (size_t) (end - start) : 0;
	return start != NULL ? start : path;
}

/*
 * The singletons that may serve as impostors and distractors of set s:
 * centred (the embedded face is the named person) and not named like one
 * of s's people (the shared LFW "singletons" hold one photo of each of
 * Colin Powell, Hugo Chavez and others who have their own folder in the
 * web set's LFW part).
 */
static bool *
UsableSingletons(const PhotoSet *s, const PhotoSet *lfw, int *nUsable)
{
	bool	   *use = calloc((size_t) lfw->n + 1, sizeof(bool));
	int			i,
				j;

	*nUsable = 0;
	for (i = 0; i < lfw->n; i++)
	{
		size_t		li;
		const char *ln = FolderName(lfw->paths[i], &li);

		use[i] = lfw->centred[i];
		for (j = 0; j < s->n && use[i]; j++)
		{
			size_t		lj;
			const char *sn = FolderName(s->paths[j], &lj);

			if (s->first[j] && li == lj && strncmp(ln, sn, li) == 0)
				use[i] = false;
		}
		*nUsable += use[i];
	}
	return use;
}

#define EMB(set, which, i) ((set)->which[(set)->v] + (size_t) (i) * BX_FACE_EMBEDDING_DIM)
#define OK(set, which, i) ((set)->which##Ok[(set)->v][i])

/* FTA cell: "1.25% (5/400)" plus the statuses of the failures */
static void
PrintFta(const PhotoSet *s)
{
	int			fails = 0,
				i;

	for (i = 0; i < s->n; i++)
		fails += !OK(s, probe, i);
	printf(" %.2f%% (%d/%d) |", 100.0 * fails / (s->n ? s->n : 1), fails, s->n);
}

/*
 * One row: verification and identification of set s in this condition,
 * the degraded singletons lfw as extra impostors, the clean ones as
 * distractors.
 */
static void
SetRow(const Condition *c, const PhotoSet *s, const PhotoSet *lfw)
{
	size_t		nm = 0,
				nn = 0,
				capM = 0,
				capN;
	double	   *mated,
			   *non,
				t3,
				t4,
				f3,
				f4;
	int			i,
				j,
				hits = 0,
				searches = 0,
				nUse;
	bool	   *use = UsableSingletons(s, lfw, &nUse);

	for (i = 0; i < s->n; i++)
		for (j = 0; j < s->n; j++)
			capM += i != j && s->person[i] == s->person[j];
	capN = (size_t) s->n * (size_t) s->n + (size_t) lfw->n * (size_t) s->n;
	mated = malloc(sizeof(double) * (capM + 1));
	non = malloc(sizeof(double) * (capN + 1));
	for (i = 0; i < s->n; i++)
		for (j = 0; j < s->n; j++)
		{
			double		sc;

			if (i == j)
				continue;
			sc = PairScore(EMB(s, probe, i), OK(s, probe, i), EMB(s, clean, j), OK(s, clean, j));
			if (s->person[i] == s->person[j])
				mated[nm++] = sc;
			else
				non[nn++] = sc;
		}
	for (i = 0; i < lfw->n; i++)
		for (j = 0; j < s->n && use[i]; j++)
			non[nn++] = PairScore(EMB(lfw, probe, i), OK(lfw, probe, i),
								  EMB(s, clean, j), OK(s, clean, j));
	f3 = FnmrAtFmr(mated, nm, non, nn, 1e-3, &t3);
	f4 = FnmrAtFmr(mated, nm, non, nn, 1e-4, &t4);

	/* identification: first photo of each person + singletons */
	for (i = 0; i < s->n; i++)
	{
		double		mate = BENCH_FAILED_SCORE,
					other = BENCH_FAILED_SCORE;

		if (s->first[i])
			continue;
		searches++;
		if (!OK(s, probe, i))
			continue;
		for (j = 0; j < s->n; j++)
		{
			double		sc;

			if (!s->first[j])
				continue;
			sc = PairScore(EMB(s, probe, i), true, EMB(s, clean, j), OK(s, clean, j));
			if (s->person[j] == s->person[i])
				mate = sc;
			else
				other = fmax(other, sc);
		}
		for (j = 0; j < lfw->n; j++)
			if (use[j])
				other = fmax(other, PairScore(EMB(s, probe, i), true,
										  EMB(lfw, clean, j), OK(lfw, clean, j)));
		hits += mate > other && mate > BENCH_FAILED_SCORE;
	}
	printf("| %s | %s | %s |", c->label, s->name, s->v ? "after" : "before");
	PrintFta(s);
	printf(" %.2f%% (t=%.3f) | %.2f%% (t=%.3f) | %zu / %zu | %.2f%% (%d/%d) | %d |\n",
		   100 * f3, t3, 100 * f4, t4, nm, nn,
		   100.0 * hits / (searches ? searches : 1), hits, searches, nUse);
	free(use);
	free(mated);
	free(non);
}

static bool
Wanted(const char *list, const char *key)
{
	size_t		k = strlen(key);
	const char *p = list;

	if (list == NULL || list[0] == '\0')
		return true;
	while ((p = strstr(p, key)) != NULL)
	{
		if ((p == list || p[-1] == ',') && (p[k] == '\0' || p[k] == ','))
			return true;
		p += k;
	}
	return false;
}

void
Robustness(BxFacePipe pipe, const RobustConfig *cfg)
{
	PhotoSet	orl,
				web,
				lfw;
	char		path[1024];
	char	  **files = NULL;
	int			n,
				k,
				v;
	struct timespec t0,
				t1;

	memset(&orl, 0, sizeof(orl));
	memset(&web, 0, sizeof(web));
	memset(&lfw, 0, sizeof(lfw));
	orl.name = "studio (ORL)";
	web.name = "web";
	lfw.name = "LFW singletons";

	snprintf(path, sizeof(path), "%s/faces/att_orl", cfg->dataDir);
	n = ListSubdirFiles(path, ".pgm", &files);
	AddPaths(&orl, files, n, true);
	snprintf(path, sizeof(path), "%s/faces/lfw_singletons/images", cfg->dataDir);
	n = ListSubdirFiles(path, ".jpg", &files);
	AddPaths(&lfw, files, n, false);
	if (cfg->webDir != NULL)
		LoadWeb(&web, cfg->webDir);
	Allocate(&orl);
	Allocate(&web);
	Allocate(&lfw);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	EmbedSet(pipe, cfg, &orl, &conditions[0], true);
	EmbedSet(pipe, cfg, &web, &conditions[0], true);
	EmbedSet(pipe, cfg, &lfw, &conditions[0], true);

	printf("\n### Robustness to capture defects (rule largest)\n\n");
	printf("Studio: %d ORL photos of %d people. ", orl.n, orl.nPersons);
	if (web.n > 0)
		printf("Web: %d photos of %d people with at least two photos, from %s. ",
			   web.n, web.nPersons, cfg->webDir);
	else
		printf("Web set absent (%s): skipped; bench/faces/get_web_faces.sh "
			   "makes it. ", cfg->webDir != NULL ? cfg->webDir : "not set");
	printf("Impostors and distractors: the %d of %d LFW singletons whose clean "
		   "embedded (largest) face covers the photo centre (the named person; "
		   "the others show someone else, who may be a web-set person), less "
		   "those named like a person of the set (the shared singletons hold one "
		   "photo of several web-set people); the table gives the number used. "
		   "Probes degraded, "
		   "enrolment templates clean; verification pairs every degraded probe "
		   "with every other photo's clean template (mated / non-mated counts "
		   "in the table; the degraded singletons against every template are "
		   "non-mated too), threshold set per condition; rank-1: gallery = "
		   "the clean first photo of each person + the clean singletons, "
		   "searches = the other photos, degraded. FTA: degraded photos "
		   "without a face embedded (all %d singletons count).\n\n", CountCentred(&lfw), lfw.n, lfw.n);


	printf("| condition | set | pipeline | FTA | FNMR @ FMR 1e-3 | FNMR @ FMR 1e-4 | "
		   "mated / non-mated pairs | rank-1 | singletons used |\n"
		   "|---|---|---|---|---|---|---|---|---|\n");
	for (k = 0; k < N_CONDITIONS; k++)
	{
		const Condition *c = &conditions[k];

		if (!Wanted(cfg->conditions, c->key))
			continue;
		EmbedSet(pipe, cfg, &orl, c, false);
		EmbedSet(pipe, cfg, &web, c, false);
		EmbedSet(pipe, cfg, &lfw, c, false);
		for (v = 0; v < 2; v++)
		{
			orl.v = web.v = lfw.v = v;
			SetRow(c, &orl, &lfw);
			if (web.n > 0)
				SetRow(c, &web, &lfw);
			printf("| %s | %s | %s |", c->label, lfw.name, v ? "after" : "before");
			PrintFta(&lfw);
			printf(" - | - | - | - | - |\n");
		}
		fflush(stdout);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("\n%.0f s.\n", (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9);
	FreeSet(&orl);
	FreeSet(&web);
	FreeSet(&lfw);
}
