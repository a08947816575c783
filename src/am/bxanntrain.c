/*-------------------------------------------------------------------------
 *
 * bxanntrain.c
 *	  The list centroids of a bxann build: k-means, flat or in two levels.
 *
 * Flat k-means over a sample of 40 rows a list costs samples x lists x
 * dims per iteration, so it grows as the square of the table: 3.1 s of a
 * 16 s build at 200,000 512-d rows (1,000 lists), by its flop count about
 * 80 s of 204 s at 1,000,000 (5,000 lists), and hours at 10M.  From
 * bxexit.build_two_level_lists lists on (8,192: tables of 1.6M rows and
 * more at the automatic list count), the build trains in two levels
 * instead, as FAISS's two-level IVF training does: sqrt(lists) coarse
 * centroids over the whole sample, then within each coarse cluster as many
 * fine centroids as its share of the sample earns, by k-means over its own
 * rows only.  That is about 2 x sqrt(lists) instead of lists distances per
 * sample row and iteration.  Every row is then assigned to its nearest
 * lists over all of them (bxannbuild.c).
 *
 * Why not from fewer lists: the lists come out looser, and searches pay
 * for it.  Measured with two levels from 256 lists (bench/RESULTS.md,
 * sixth round): 200,000 rows of one 512-d photo a person, 64 q/s instead
 * of 118 at mated@1 1.000 (the tuning needed a walk of 768 instead of
 * 128); 1,000,000 rows of three, 160 q/s instead of 288, for a build of
 * 123 s instead of 204.  Where flat k-means still costs seconds, the
 * search matters more.
 *
 * src/am/bxanntrain.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "bx_bridge.h"
#include "bxann.h"
#include "bx_guc.h"
#include "bxannrows.h"
#include "bxanntrain.h"
#include "bxexit.h"
#include "miscadmin.h"
#include "utils/memutils.h"

/* k-means iterations, at either level */
#define BXANN_KMEANS_ITERATIONS	10

/* the seed of every k-means: a build is deterministic */
#define BXANN_KMEANS_SEED		1234

static void
Kmeans(const float *x, int64 n, int dims, int k, bool spherical, int nthreads,
	   float *centroids)
{
	char		errbuf[BX_ERRBUF_SIZE];

	Assert(n >= k && k >= 1);
	if (n == k)
	{
		/* as many rows as centroids: the rows themselves */
		memcpy(centroids, x, sizeof(float) * dims * k);
		return;
	}
	BxAnnCheckBridge(BxKmeans(dims, n, k, x, BXANN_KMEANS_ITERATIONS, BXANN_KMEANS_SEED,
							  spherical, nthreads, centroids, BxInterruptPending,
							  errbuf, sizeof(errbuf)),
					 "bxann k-means", errbuf);
}

/*
 * Fine centroids of each of the ncoarse clusters of count[c] rows, nlists
 * in all: in proportion to the rows (largest remainders), at least one for
 * a cluster that has rows, never more than its rows.
 */
static void
ShareLists(const int64 *count, int ncoarse, int64 n, int nlists, int *share)
{
	int			given = 0;

	for (int c = 0; c < ncoarse; c++)
	{
		share[c] = count[c] == 0 ? 0 :
			(int) Max(1, Min(count[c], (int64) ((double) nlists * count[c] / n)));
		given += share[c];
	}
	/* hand out or take back one list at a time where it matters most */
	while (given != nlists)
	{
		int			best = -1;
		double		bestscore = 0;

		for (int c = 0; c < ncoarse; c++)
		{
			/* rows per fine centroid after the change */
			double		score;

			if (given < nlists)
			{
				if (share[c] >= count[c])
					continue;
				score = (double) count[c] / (share[c] + 1);
				if (best < 0 || score > bestscore)
					best = c, bestscore = score;
			}
			else
			{
				if (share[c] <= 1)
					continue;
				score = (double) count[c] / (share[c] - 1);
				if (best < 0 || score < bestscore)
					best = c, bestscore = score;
			}
		}
		if (best < 0)
			elog(ERROR, "bxann k-means: cannot share %d lists among %d clusters", nlists, ncoarse);
		share[best] += given < nlists ? 1 : -1;
		given += given < nlists ? 1 : -1;
	}
}

/*
 * Train nlists centroids (dims floats each, into centroids) on the n rows
 * of sample, n >= nlists; spherical: normalised centroids (cosine and inner
 * product).  The sample is reordered.
 */
void
BxAnnTrainLists(float *sample, int64 n, int dims, int nlists, bool spherical,
				int nthreads, float *centroids)
{
	int			ncoarse;
	float	   *coarse;
	int32	   *assign;
	int64	   *count;
	int64	   *start;
	int64	   *perm;
	int		   *share;
	int			done = 0;
	char		errbuf[BX_ERRBUF_SIZE];

	if (nlists < bx_build_two_level_lists)
	{
		Kmeans(sample, n, dims, nlists, spherical, nthreads, centroids);
		return;
	}

	/* level 1: sqrt(lists) clusters of the whole sample */
	ncoarse = (int) ceil(sqrt((double) nlists));
	coarse = palloc(sizeof(float) * dims * ncoarse);
	Kmeans(sample, n, dims, ncoarse, spherical, nthreads, coarse);
	assign = palloc_extended(sizeof(int32) * n, MCXT_ALLOC_HUGE);
	BxAnnCheckBridge(BxNearest(dims, n, sample, ncoarse, coarse, 1, nthreads, assign,
							   NULL, BxInterruptPending, errbuf, sizeof(errbuf)),
					 "bxann k-means", errbuf);
	pfree(coarse);

	/* the sample grouped by cluster */
	count = palloc0(sizeof(int64) * ncoarse);
	start = palloc0(sizeof(int64) * (ncoarse + 1));
	for (int64 i = 0; i < n; i++)
		count[assign[i]]++;
	for (int c = 0; c < ncoarse; c++)
		start[c + 1] = start[c] + count[c];
	perm = palloc_extended(sizeof(int64) * n, MCXT_ALLOC_HUGE);
	{
		int64	   *fill = palloc0(sizeof(int64) * ncoarse);

		for (int64 i = 0; i < n; i++)
			perm[start[assign[i]] + fill[assign[i]]++] = i;
		pfree(fill);
	}
	pfree(assign);
	BxPermuteRecords((char *) sample, sizeof(float) * dims, NULL, 0, n, perm);
	pfree(perm);

	/* level 2: each cluster's share of the lists, from its own rows */
	share = palloc(sizeof(int) * ncoarse);
	ShareLists(count, ncoarse, n, nlists, share);
	for (int c = 0; c < ncoarse; c++)
	{
		CHECK_FOR_INTERRUPTS();
		if (share[c] == 0)
			continue;
		Kmeans(sample + start[c] * dims, count[c], dims, share[c], spherical, nthreads,
			   centroids + (int64) done * dims);
		done += share[c];
	}
	Assert(done == nlists);
	pfree(share);
	pfree(start);
	pfree(count);
}
