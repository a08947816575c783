/*-------------------------------------------------------------------------
 *
 * bxanntune.c
 *	  CREATE INDEX chooses the search settings of its own index.
 *
 * How many lists a scan must probe and how wide its graph walk must be
 * depend on the gallery: on 128-d templates with ten photos per person a
 * small search finds a person's photos, on 512-d templates with one to
 * three it misses them (bench/RESULTS.md, issue 14).  So after writing the
 * index, the build searches it with probes whose answer it knows and keeps
 * the cheapest settings that find them:
 *
 * 1. Sample rows and find the rows that look like the same person's: a
 *	  row's graph neighbours that stand BXANN_TUNE_MATE_GAP (cosine) above
 *	  its farthest one, when its nearest does.  When some sampled rows have
 *	  such siblings, those that show none look for them in all rows, in
 *	  one exact pass (the graph misses some siblings; SiblingsExact).
 * 2. Make a new photo of each sampled row's person, whose answer is all of
 *	  the person's rows.  A person seen in several rows: their mean plus a
 *	  random direction, at the cosine the person's rows show between them
 *	  (MakePersonProbe).  A row alone: the row plus a random direction, at
 *	  the cosine the index's mate_similarity option gives, else the one the
 *	  gallery's people show, else BXANN_TUNE_DEFAULT_MATE (MakeProbe).
 * 3. Search every probe with the settings of a ladder, cheapest first;
 *	  search the ones not found with the next; stop at the first level that
 *	  finds BXANN_TUNE_TARGET of them (found: the search's best candidate is
 *	  one of the answer's rows or a row closer still).  Later levels only see the
 *	  probes earlier ones missed, so the tuning costs a few seconds of a
 *	  build of tens; on data where even wide searches miss, it stops past a
 *	  budget of elements read (BXANN_TUNE_BUDGET) and keeps the last level
 *	  (tuned_found then says how far it got).
 * 4. At the probes chosen, narrow the walk while it still finds them
 *	  (NarrowerWalk).
 *
 * The searches themselves run in bxanntunesearch.c, on the leader and, when
 * the build has them, parallel workers.
 *
 * The choice is written to the metapage (tuned_*) and shown by
 * bxann_index_info; bxann.probes and bxann.ef_search override it.
 * Sampling and probes come from a fixed seed: the same rows give the same
 * choice.
 *
 * src/am/bxanntune.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "bx_bridge.h"
#include "bx_kernels.h"
#include "bxann.h"
#include "bxanngraph.h"
#include "bxexit.h"
#include "bxannrows.h"
#include "bxanntunesearch.h"
#include "common/pg_prng.h"
#include "miscadmin.h"
#include "utils/memutils.h"

/* probes searched (fewer when the index has fewer rows) */
#define BXANN_TUNE_SAMPLES		1000
/*
 * share of the probes the chosen settings must find, above issue 14's 0.99
 * of real new photos: measured against real ones (200,000 rows; bench/
 * RESULTS.md), the share a level finds is close to theirs, mostly below it
 * but not always: at probes 8, 128-d rows of 10 per person 99.3% against
 * real photos' 99.0%; at probes 24, 512-d of 3 per person 99.1% against
 * 99.2%; at probes 32, 256-d of 2 per person 98.3% against 99.2%.
 */
#define BXANN_TUNE_TARGET		0.995
/* a row has a mate when nearest - farthest graph neighbour >= this cosine */
#define BXANN_TUNE_MATE_GAP		0.2
/*
 * when this share of the sampled rows has a sibling in the graph, the
 * others look for theirs with an exact pass over all rows (in a gallery of
 * one photo per person nobody has one, and nobody looks)
 */
#define BXANN_TUNE_SOME_MATED	0.2
/* rows the exact pass hands FAISS at a time */
#define BXANN_TUNE_EXACT_CHUNK	16384
/* rows with a mate needed to trust the gallery's mate similarity */
#define BXANN_TUNE_MIN_MATED	0.05
/* mate similarity assumed without evidence (one photo per person) */
#define BXANN_TUNE_DEFAULT_MATE	0.6
/* probes closer than this are trivial, farther than this hopeless */
#define BXANN_TUNE_MIN_MATE		0.35
#define BXANN_TUNE_MAX_MATE		0.99
/*
 * elements the tuning's searches may read: BXANN_TUNE_BUDGET per row of the
 * index, at least BXANN_TUNE_BUDGET million (seconds of searching)
 */
#define BXANN_TUNE_BUDGET		100
#define BXANN_TUNE_SEED			UINT64CONST(0x6278616e6e74756e)

/*
 * widest walk of a ladder level.  Where a search needs hundreds of lists,
 * the lists find the answer, not the walk, and a walk of twice as many
 * entries cost more than they did: 1,000,000 512-d rows of one photo a
 * person, tuned to probes 1536 with ef_search 3072 (the narrowing could not
 * afford a step there), gave mated@1 1.000 at 10.4 q/s, and 1.000 at 22.5
 * q/s with ef_search 512 (0.999 at 25.1 with 128; bench/RESULTS.md).
 */
#define BXANN_TUNE_MAX_WALK		512

/*
 * probes a narrowing step hands the searchers at a time: enough to keep the
 * workers busy, few enough that a failing step (hardest probes first) does
 * not search many past the one that decided it
 */
#define BXANN_TUNE_NARROW_CHUNK	32

/*
 * the ladder: probes at each level (capped at the list count), ef = 2x up
 * to BXANN_TUNE_MAX_WALK; NarrowerWalk then tries the same values for ef
 */
static const int tune_probes[] = {
	4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024,
	1536, 2048, 3072, 4096, 6144, 8192, 12288, 16384, 24576, 32768
};

static double
Cosine(const float *a, const float *b, int dims)
{
	float		dot,
				na,
				nb;

	BxKernelCosineParts(a, b, dims, &dot, &na, &nb);
	if (na <= 0.0f || nb <= 0.0f)
		return 0.0;
	return dot / sqrt((double) na * nb);
}

/* standard normal deviate (Box-Muller) */
static double
Gaussian(pg_prng_state *rng)
{
	double		u = pg_prng_double(rng);
	double		v = pg_prng_double(rng);

	return sqrt(-2.0 * log(1.0 - u)) * cos(2.0 * M_PI * v);
}

/*
 * The rows that look like photos of sampled row r's person: r and its graph
 * neighbours at least BXANN_TUNE_MATE_GAP (cosine) above its farthest one,
 * when its nearest is.  Returns how many went to members[] (1: r alone).
 */
static int
PersonRows(const BxAnnRows *rows, const BxAnnGraph *graph, int64 r, int64 *members,
		   double *background, float *rbuf, float *buf)
{
	int			count = graph ? graph->count[r] : 0;
	const float *xr;
	double		farthest = 2.0,
				nearest = -2.0;
	double	   *cos;
	int			k = 0;

	members[k++] = r;
	*background = NAN;
	if (count < 2)
		return k;
	cos = palloc(sizeof(double) * count);
	xr = BxAnnRowsGet(rows, r, rbuf);
	for (int j = 0; j < count; j++)
	{
		cos[j] = Cosine(xr, BxAnnRowsGet(rows, graph->neighbors[r * graph->m + j], buf),
						rows->dims);
		nearest = Max(nearest, cos[j]);
		farthest = Min(farthest, cos[j]);
	}
	if (nearest - farthest >= BXANN_TUNE_MATE_GAP)
		for (int j = 0; j < count; j++)
			if (cos[j] >= farthest + BXANN_TUNE_MATE_GAP)
				members[k++] = graph->neighbors[r * graph->m + j];
	pfree(cos);
	*background = farthest;
	return k;
}

/*
 * The rows of the persons of the nr samples loner[] whose graph edges show
 * no sibling, by one exact pass over all rows (FAISS, a chunk of rows at a
 * time): each sample i's row members[i * maxk] and its nearest rows at
 * least BXANN_TUNE_MATE_GAP (cosine) above background[i] (the cosine of its
 * farthest graph neighbour), at most maxk, into members[i * maxk ..], and
 * their count into k[i], with nthreads BLAS threads.
 * The graph misses some siblings (a person's photos whose nearest lists do
 * not meet), and a row taken for a loner would be probed as one: with one
 * answer where a real new photo of its person has two or more.
 */
static void
SiblingsExact(const BxAnnRows *rows, const int *loner, int nr, const double *background,
			  int maxk, int64 *members, int *k, int nthreads)
{
	int			dims = rows->dims;
	int			nn = maxk + 1;	/* the row itself is among its nearest */
	float	   *queries;
	float	   *bestd;
	int64	   *besti;
	int32	   *labels;
	float	   *dist;
	float	   *chunk = NULL;
	float	   *buf;
	char		errbuf[256];

	if (nr == 0)
		return;
	queries = palloc(sizeof(float) * dims * nr);
	bestd = palloc(sizeof(float) * nn * nr);
	besti = palloc(sizeof(int64) * nn * nr);
	labels = palloc(sizeof(int32) * nn * nr);
	dist = palloc(sizeof(float) * nn * nr);
	buf = palloc(sizeof(float) * dims);
	/* 8-bit rows are decoded a chunk at a time (32 MB at 512-d) */
	if (rows->width != sizeof(float))
		chunk = palloc_extended(sizeof(float) * dims * BXANN_TUNE_EXACT_CHUNK, MCXT_ALLOC_HUGE);
	for (int j = 0; j < nr; j++)
		BxAnnRowsCopy(rows, members[(Size) loner[j] * maxk], queries + (Size) j * dims);
	for (int t = 0; t < nn * nr; t++)
	{
		bestd[t] = FLT_MAX;
		besti[t] = -1;
	}
	for (int64 first = 0; first < rows->n; first += BXANN_TUNE_EXACT_CHUNK)
	{
		int64		count = Min(rows->n - first, BXANN_TUNE_EXACT_CHUNK);
		const float *base = BxAnnRowsChunk(rows, first, count, chunk);

		BxAnnCheckBridge(BxNearest(dims, nr, queries, count, base, (int) Min(nn, count),
								   nthreads, labels, dist, BxInterruptPending,
								   errbuf, sizeof(errbuf)),
						 "bxann tuning", errbuf);
		/* merge this chunk's nearest into each row's best nn so far */
		for (int i = 0; i < nr; i++)
			for (int j = 0; j < Min(nn, count); j++)
			{
				int32		l = labels[i * Min(nn, count) + j];
				float		d = dist[i * Min(nn, count) + j];
				int			p = nn - 1;

				if (l < 0 || d >= bestd[i * nn + p])
					continue;
				while (p > 0 && bestd[i * nn + p - 1] > d)
				{
					bestd[i * nn + p] = bestd[i * nn + p - 1];
					besti[i * nn + p] = besti[i * nn + p - 1];
					p--;
				}
				bestd[i * nn + p] = d;
				besti[i * nn + p] = first + l;
			}
	}
	for (int i = 0; i < nr; i++)
	{
		int			s = loner[i];
		int64	   *m = members + (Size) s * maxk;

		k[s] = 1;
		for (int j = 0; j < nn && k[s] < maxk; j++)
		{
			int64		c = besti[i * nn + j];

			if (c < 0 || c == m[0])
				continue;
			if (Cosine(queries + (Size) i * dims, BxAnnRowsGet(rows, c, buf), dims) >=
				background[s] + BXANN_TUNE_MATE_GAP)
				m[k[s]++] = c;
		}
	}
	pfree(queries);
	pfree(bestd);
	pfree(besti);
	pfree(labels);
	pfree(dist);
	pfree(buf);
	if (chunk)
		pfree(chunk);
}

/*
 * A random unit vector u orthogonal to x (Gaussian, x's component taken
 * out): the direction in which a new photo differs from what is known.
 */
static void
RandomOrthogonal(const float *x, int dims, pg_prng_state *rng, float *u)
{
	double		xx = BxKernelInnerProduct(x, x, dims);
	double		ux = 0.0,
				uu = 0.0;

	for (int d = 0; d < dims; d++)
	{
		u[d] = (float) Gaussian(rng);
		ux += u[d] * x[d];
	}
	for (int d = 0; d < dims; d++)
	{
		u[d] -= (float) (ux / Max(xx, 1e-30) * x[d]);
		uu += (double) u[d] * u[d];
	}
	uu = sqrt(Max(uu, 1e-30));
	for (int d = 0; d < dims; d++)
		u[d] = (float) (u[d] / uu);
}

/*
 * A new photo of a person seen once: probe = c x + sqrt(1 - c^2) |x| u, u
 * random, unit and orthogonal to x: cosine c with x, as long as x.
 */
static void
MakeProbe(const float *x, int dims, double c, pg_prng_state *rng, float *probe)
{
	double		s = sqrt(Max(0.0, 1.0 - c * c)) * sqrt(BxKernelInnerProduct(x, x, dims));

	RandomOrthogonal(x, dims, rng, probe);
	for (int d = 0; d < dims; d++)
		probe[d] = (float) (c * x[d] + s * probe[d]);
}

/*
 * A new photo of a person seen in k >= 2 rows (members[]): their mean m,
 * plus t u, u random, unit and orthogonal to m, t the length that gives the
 * probe, on average over the rows, cosine pair (the person's mean cosine
 * between two of their rows, as two photos of one person show): with a
 * = mean_i (m . x_i / |x_i|), cos = a / |m + t u| = a / sqrt(|m|^2 + t^2).
 * Scaled to the rows' mean length (unit on a cosine index).
 */
static void
MakePersonProbe(const BxAnnRows *rows, const int64 *members, int k, double pair,
				pg_prng_state *rng, float *probe, float *buf)
{
	int			dims = rows->dims;
	double		mm,
				a = 0.0,
				len = 0.0,
				t,
				pp;
	float	   *u = palloc(sizeof(float) * dims);

	memset(probe, 0, sizeof(float) * dims);
	for (int i = 0; i < k; i++)
	{
		const float *x = BxAnnRowsGet(rows, members[i], buf);

		for (int d = 0; d < dims; d++)
			probe[d] += x[d] / k;
	}
	mm = BxKernelInnerProduct(probe, probe, dims);
	for (int i = 0; i < k; i++)
	{
		const float *x = BxAnnRowsGet(rows, members[i], buf);
		double		xx = sqrt(BxKernelInnerProduct(x, x, dims));

		len += xx / k;
		if (xx > 0.0)
			a += BxKernelInnerProduct(probe, x, dims) / xx / k;
	}
	pair = Max(BXANN_TUNE_MIN_MATE, Min(BXANN_TUNE_MAX_MATE, pair));
	t = sqrt(Max(0.0, (a / pair) * (a / pair) - mm));
	RandomOrthogonal(probe, dims, rng, u);
	for (int d = 0; d < dims; d++)
		probe[d] += (float) (t * u[d]);
	pp = BxKernelInnerProduct(probe, probe, dims);
	if (pp > 0.0)
		for (int d = 0; d < dims; d++)
			probe[d] = (float) (probe[d] * (len / sqrt(pp)));
	pfree(u);
}

/* mean cosine between the k rows of a person (k >= 2) */
static double
PairCosine(const BxAnnRows *rows, const int64 *members, int k, float *ibuf, float *jbuf)
{
	double		sum = 0.0;

	for (int i = 0; i < k; i++)
	{
		const float *xi = BxAnnRowsGet(rows, members[i], ibuf);

		for (int j = i + 1; j < k; j++)
			sum += Cosine(xi, BxAnnRowsGet(rows, members[j], jbuf), rows->dims);
	}
	return sum / (k * (k - 1) / 2);
}

/* foundat[] of two probes, the widest (or never found: -1) first */
static int
CompareFoundAt(const void *a, const void *b, void *arg)
{
	const int  *foundat = arg;
	int			i = *(const int *) a;
	int			j = *(const int *) b;
	int			fi = foundat[i] < 0 ? INT_MAX : foundat[i];
	int			fj = foundat[j] < 0 ? INT_MAX : foundat[j];

	if (fi != fj)
		return fi > fj ? -1 : 1;
	return i < j ? -1 : (i > j ? 1 : 0);
}

/*
 * The probes in the order NarrowerWalk searches them: those the ladder
 * found last (or never) first.  They are the ones a narrower walk loses, so
 * a step that fails learns it after a few searches instead of hundreds (on
 * 200,000 512-d rows of one photo a person its first step read 13 million
 * elements before it could stop).  The order changes what a step costs,
 * not whether it succeeds: a step stops only when it can no longer.
 */
static int *
HardestFirst(const int *foundat, int samples)
{
	int		   *order = palloc(sizeof(int) * samples);

	for (int i = 0; i < samples; i++)
		order[i] = i;
	qsort_arg(order, samples, sizeof(int), CompareFoundAt, (void *) foundat);
	return order;
}

/* probe i is known to be missed with a walk of width w (NarrowerWalk) */
static inline bool
ProbeLostAt(const int *foundat, const int *lostat, int i, int w)
{
	return foundat[i] < 0 || (lostat[i] > 0 && lostat[i] >= w);
}

/* probe i must be searched to know whether a walk of width w finds it */
static inline bool
ProbeUnknownAt(const int *foundat, const int *lostat, int i, int w)
{
	return !ProbeLostAt(foundat, lostat, i, w) && foundat[i] > w;
}

/*
 * The ladder widens the walk with the lists (ef_search = 2x probes, up to
 * BXANN_TUNE_MAX_WALK), but the walk's cost grows faster than the lists'
 * (each step of it reads elements at random pages, where a list is read a
 * page at a time; bench/RESULTS.md), and once the lists hold an entry near
 * the answer a narrower walk often finds it as well.  So at the probes
 * chosen, look for the narrowest walk (among the ladder's own values, by
 * bisection) that still finds BXANN_TUNE_TARGET of the probes.  What a
 * search learns is kept: a probe found with a walk of width w (foundat[]: at
 * first the width of the ladder level that found it, with fewer lists)
 * counts as found with any wider one, a probe missed with width w (lostat[])
 * as missed with any narrower one; only the others are searched again, and a
 * step stops as soon as it has missed too many to succeed.  *found becomes
 * the share found with the width returned.
 *
 * The narrowing has a budget of its own (budget elements read, counted in
 * *visits from zero): where the ladder climbs far it spends the whole of
 * its own, and sharing it left the narrowing none (1,000,000 512-d rows of
 * one photo a person: probes 1536 with ef_search 3072; bench/RESULTS.md).
 * A step is not started when the searches it needs, at persearch elements
 * each (what a search read at the ladder's last level), would take the
 * narrowing past that budget: a step stopped for the budget halfway would
 * decide nothing.  (On that gallery a step would read some 400 million
 * elements and is still skipped; BXANN_TUNE_MAX_WALK bounds the walk
 * there.)
 */
static int
NarrowerWalk(BxAnnTuneSearch ts, int samples, int *foundat, int p, int ef, int64 budget,
			 int64 persearch, int64 *visits, double *found)
{
	int		   *lostat = palloc0(sizeof(int) * samples);
	int		   *order = HardestFirst(foundat, samples);
	int		   *chunk = palloc(sizeof(int) * BXANN_TUNE_NARROW_CHUNK);
	bool	   *hit = palloc(sizeof(bool) * BXANN_TUNE_NARROW_CHUNK);
	int			widths[lengthof(tune_probes)];
	int			nwidths = 0;
	int			lo = 0;
	int			hi;
	int			chosen = ef;

	for (int level = 0; level < (int) lengthof(tune_probes); level++)
		if (tune_probes[level] >= BXANN_UNTUNED_EF_SEARCH && tune_probes[level] < ef)
			widths[nwidths++] = tune_probes[level];
	hi = nwidths - 1;
	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;
		int			w = widths[mid];
		int			nfound = 0;
		int			notfound = 0;
		int64		searches = 0;
		int			j = 0;

		for (int i = 0; i < samples; i++)
			if (ProbeUnknownAt(foundat, lostat, i, w))
				searches++;
		if (*visits + searches * persearch > budget)
		{
			elog(DEBUG1, "bxann tuning: narrowing stopped at ef_search %d: %lld searches of about %lld elements each would pass its budget",
				 chosen, (long long) searches, (long long) persearch);
			break;
		}

		/*
		 * Once too many are missed, the step has failed: stop searching.
		 * The searches go a chunk at a time (to the workers too); what they
		 * found is then taken in order, up to where a search of one probe
		 * after the other would have stopped, so what the step learns does
		 * not depend on the workers.
		 */
		while (j < samples && (double) (samples - notfound) / samples >= BXANN_TUNE_TARGET)
		{
			int			end = j;
			int			nchunk = 0;
			int			c = 0;

			while (end < samples && nchunk < BXANN_TUNE_NARROW_CHUNK)
			{
				int			i = order[end++];

				if (ProbeUnknownAt(foundat, lostat, i, w))
					chunk[nchunk++] = i;
			}
			if (nchunk > 0)
				*visits += BxAnnTuneSearchRun(ts, chunk, nchunk, p, w, hit);
			for (; j < end && (double) (samples - notfound) / samples >= BXANN_TUNE_TARGET; j++)
			{
				int			i = order[j];

				if (ProbeLostAt(foundat, lostat, i, w))
				{
					notfound++;
					continue;
				}
				if (foundat[i] > w)
				{
					Assert(chunk[c] == i);
					if (hit[c++])
						foundat[i] = w;
					else
					{
						lostat[i] = w;
						notfound++;
						continue;
					}
				}
				nfound++;
			}
		}
		elog(DEBUG1, "bxann tuning: probes %d, ef_search %d find %d of %d probes%s (%lld elements read)",
			 p, w, nfound, samples,
			 nfound + notfound < samples ? ", too few: stopped early" : "",
			 (long long) *visits);
		if ((double) nfound / samples >= BXANN_TUNE_TARGET)
		{
			chosen = w;
			*found = (double) nfound / samples;
			hi = mid - 1;
		}
		else
			lo = mid + 1;
	}
	pfree(lostat);
	pfree(order);
	pfree(chunk);
	pfree(hit);
	return chosen;
}

static int
CompareDouble(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return x < y ? -1 : (x > y ? 1 : 0);
}

/*
 * Choose the search settings of the index just written from its rows
 * (as indexed: normalised for cosine), the build's graph (NULL: no mate
 * evidence) and where[], each row's element in the index.  The index's
 * metapage is not changed here; the caller writes the result.
 */
void
BxAnnTune(Relation index, const BxAnnRows *rows,
		  const BxAnnGraph *graph, const ItemPointerData *where, int nthreads,
		  int nworkers, BxAnnTuning *tuning)
{
	MemoryContext tunectx = AllocSetContextCreate(CurrentMemoryContext, "bxann tuning",
												  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(tunectx);
	BxAnnCache	cache = BxAnnGetCache(index);
	BxAnnOptions *opts = BxAnnGetOptions(index);
	int64		n = rows->n;
	int			dims = rows->dims;
	float	   *buf1;
	float	   *buf2;
	int			nlists = cache->meta.nlists;
	int			maxk = (graph ? graph->m : 0) + 1;
	int			samples = (int) Min(n, (int64) BXANN_TUNE_SAMPLES);
	int64	   *members;		/* [samples][maxk] */
	int		   *k;
	double	   *pair;			/* a mated sample's mean cosine between its person's rows */
	double	   *mated;			/* those of the mated samples, one after the other */
	int			nmated = 0;
	double	   *similarity;		/* each probe's cosine to its nearest row */
	double	   *background;		/* cosine of a sampled row's farthest edge */
	float	   *probes;
	int		   *pending;
	int			npending;
	int		   *foundat;		/* ef of the level that found each probe, -1 */
	bool	   *hit;
	BxAnnTuneSearch ts;
	int64		budget = BXANN_TUNE_BUDGET * Max(n, (int64) 1000000);
	double		found = 0.0;
	int64		visits = 0;
	int64		persearch = 0;	/* elements a search read at the last level */
	pg_prng_state rng;

	memset(tuning, 0, sizeof(BxAnnTuning));
	if (samples == 0)
	{
		MemoryContextSwitchTo(old);
		MemoryContextDelete(tunectx);
		return;
	}
	pg_prng_seed(&rng, BXANN_TUNE_SEED);
	members = palloc(sizeof(int64) * samples * maxk);
	k = palloc(sizeof(int) * samples);
	pair = palloc(sizeof(double) * samples);
	mated = palloc(sizeof(double) * samples);
	similarity = palloc(sizeof(double) * samples);
	background = palloc(sizeof(double) * samples);
	probes = palloc(sizeof(float) * dims * samples);
	buf1 = palloc(sizeof(float) * dims);
	buf2 = palloc(sizeof(float) * dims);
	for (int i = 0; i < samples; i++)
	{
		int64		r = samples == n ? i : (int64) pg_prng_uint64_range(&rng, 0, n - 1);

		k[i] = PersonRows(rows, graph, r, members + (Size) i * maxk, &background[i],
						  buf1, buf2);
		if (k[i] > 1)
			mated[nmated++] = pair[i] =
				PairCosine(rows, members + (Size) i * maxk, k[i], buf1, buf2);
	}
	if (nmated >= samples * BXANN_TUNE_SOME_MATED)
	{
		int		   *loner = palloc(sizeof(int) * samples);
		int			nloners = 0;

		for (int i = 0; i < samples; i++)
			if (k[i] == 1 && !isnan(background[i]))
				loner[nloners++] = i;
		SiblingsExact(rows, loner, nloners, background, maxk, members, k, nthreads);
		for (int j = 0; j < nloners; j++)
		{
			int			i = loner[j];

			if (k[i] > 1)
				mated[nmated++] = pair[i] =
					PairCosine(rows, members + (Size) i * maxk, k[i], buf1, buf2);
		}
	}

	/*
	 * A person seen with several rows: a new photo from their rows.  A row
	 * alone: a new photo at the cosine the index was told, else at the
	 * cosine of a person seen with several (one drawn at random: a gallery
	 * where some people have one photo, others several), else at the
	 * default.
	 */
	for (int i = 0; i < samples; i++)
	{
		int64	   *m = members + (Size) i * maxk;
		float	   *q = probes + (Size) i * dims;

		if (k[i] > 1)
			MakePersonProbe(rows, m, k[i], pair[i], &rng, q, buf1);
		else
		{
			double		c = BXANN_TUNE_DEFAULT_MATE;

			if (opts && opts->mate_similarity > 0.0)
				c = opts->mate_similarity;
			else if (nmated >= Max(2, samples * BXANN_TUNE_MIN_MATED))
				c = mated[pg_prng_uint64_range(&rng, 0, nmated - 1)];
			c = Max(BXANN_TUNE_MIN_MATE, Min(BXANN_TUNE_MAX_MATE, c));
			/* as long as the row: a unit vector on a cosine index */
			MakeProbe(BxAnnRowsGet(rows, m[0], buf1), dims, c, &rng, q);
		}
		similarity[i] = -2.0;
		for (int j = 0; j < k[i]; j++)
			similarity[i] = Max(similarity[i], Cosine(q, BxAnnRowsGet(rows, m[j], buf1), dims));
	}

	pending = palloc(sizeof(int) * samples);
	foundat = palloc(sizeof(int) * samples);
	for (int i = 0; i < samples; i++)
	{
		pending[i] = i;
		foundat[i] = -1;
	}
	npending = samples;

	ts = BxAnnTuneSearchBegin(index, cache, rows, where, probes, samples, members, k, maxk,
							  Max(BXANN_UNTUNED_EF_SEARCH, BXANN_TUNE_MAX_WALK), nworkers);
	hit = palloc(sizeof(bool) * samples);
	for (int level = 0; level < (int) lengthof(tune_probes); level++)
	{
		int			p = Min(tune_probes[level], nlists);
		int			ef = Max(BXANN_UNTUNED_EF_SEARCH, Min(2 * p, BXANN_TUNE_MAX_WALK));
		int			missed = 0;
		int64		read = BxAnnTuneSearchRun(ts, pending, npending, p, ef, hit);

		for (int j = 0; j < npending; j++)
			if (hit[j])
				foundat[pending[j]] = ef;
			else
				pending[missed++] = pending[j];
		visits += read;
		persearch = npending > 0 ? (read + npending - 1) / npending : 0;
		npending = missed;
		found = 1.0 - (double) npending / samples;
		elog(DEBUG1, "bxann tuning: probes %d, ef_search %d find %d of %d probes (%lld elements read)",
			 p, ef, samples - npending, samples, (long long) visits);
		tuning->probes = p;
		tuning->ef_search = ef;
		if (found >= BXANN_TUNE_TARGET || p >= nlists || visits > budget)
			break;
	}
	if (found >= BXANN_TUNE_TARGET)
	{
		int64		narrowvisits = 0;	/* the narrowing's own count */

		tuning->ef_search = NarrowerWalk(ts, samples, foundat, tuning->probes,
										 tuning->ef_search, budget, persearch, &narrowvisits,
										 &found);
	}
	BxAnnTuneSearchEnd(ts);
	tuning->samples = samples;
	tuning->found = (float) found;
	qsort(similarity, samples, sizeof(double), CompareDouble);
	tuning->mate_similarity = (float) similarity[samples / 2];

	MemoryContextSwitchTo(old);
	MemoryContextDelete(tunectx);
}
