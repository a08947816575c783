/*-------------------------------------------------------------------------
 *
 * bxanngraph.c
 *	  The k-nearest-neighbour graph of a bxann build.
 *
 * Exact k-NN over all rows costs n^2; bxann gets a near-exact graph in two
 * steps measured on face-like data (README, "bxann design"):
 *
 *	1. Spill: every row joins the `spill` lists whose centroids are nearest
 *	   to it.  Within each list, FAISS computes the exact k-NN of the
 *	   members among the members (BLAS, batched).  Two samples of one
 *	   identity share at least one of their nearest lists far more often
 *	   than they share their single nearest one, so this finds most true
 *	   neighbours.  On the 200k reference set: 54% of ideal edges.
 *	2. One round of NN-descent: neighbours of neighbours (and reverse
 *	   neighbours) are compared and kept when closer.  It brings the graph
 *	   to 94% of ideal edges; further rounds add less than 1%.
 *
 * Everything here runs in the backend's memory, bounded by the caller's
 * check against maintenance_work_mem.
 *
 * src/bxanngraph.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "bx_bridge.h"
#include "bx_kernels.h"
#include "bxanngraph.h"
#include "bxann.h"
#include "miscadmin.h"
#include "portability/instr_time.h"
#include "utils/memutils.h"

/* Insert neighbour j at distance d into row i's sorted list; true if kept. */
static bool
GraphOffer(BxAnnGraph *g, int64 i, int32 j, float d)
{
	int			m = g->m;
	int32	   *nb = g->neighbors + i * m;
	float	   *nd = g->distances + i * m;
	uint8	   *nw = g->isnew + i * m;
	int			count = g->count[i];
	int			p;

	if (j == i || (count == m && d >= nd[m - 1]))
		return false;
	for (int k = 0; k < count; k++)
		if (nb[k] == j)
			return false;
	p = count < m ? count++ : m - 1;
	while (p > 0 && nd[p - 1] > d)
	{
		nb[p] = nb[p - 1];
		nd[p] = nd[p - 1];
		nw[p] = nw[p - 1];
		p--;
	}
	nb[p] = j;
	nd[p] = d;
	nw[p] = 1;
	g->count[i] = count;
	return true;
}

Size
BxAnnGraphMemory(int64 n, int m)
{
	/* neighbours, distances, flags, reverse lists, counts */
	return (Size) n * m * (sizeof(int32) * 2 + sizeof(float) + 1) + (Size) n * 8;
}

/* Step 1: exact k-NN within each list of the spilled partition. */
static void
GraphFromSpill(BxAnnGraph *g, const float *x, int dims, const int32 *spill,
			   int spillk, int nlists, int nthreads)
{
	int64		n = g->n;
	int64	   *start = palloc0(sizeof(int64) * (nlists + 1));
	int64	   *fill = palloc0(sizeof(int64) * nlists);
	int64	   *members;
	int64		maxsize = 0;
	float	   *buf;
	int32	   *labels;
	float	   *dist;
	char		errbuf[256];

	for (int64 t = 0; t < n * spillk; t++)
		if (spill[t] >= 0)
			start[spill[t] + 1]++;
	for (int l = 0; l < nlists; l++)
	{
		maxsize = Max(maxsize, start[l + 1]);
		start[l + 1] += start[l];
	}
	members = palloc_extended(sizeof(int64) * Max(start[nlists], 1), MCXT_ALLOC_HUGE);
	for (int64 t = 0; t < n * spillk; t++)
		if (spill[t] >= 0)
			members[start[spill[t]] + fill[spill[t]]++] = t / spillk;

	buf = palloc_extended(sizeof(float) * dims * Max(maxsize, 1), MCXT_ALLOC_HUGE);
	labels = palloc_extended(sizeof(int32) * (g->m + 1) * Max(maxsize, 1), MCXT_ALLOC_HUGE);
	dist = palloc_extended(sizeof(float) * (g->m + 1) * Max(maxsize, 1), MCXT_ALLOC_HUGE);

	for (int l = 0; l < nlists; l++)
	{
		int64		size = start[l + 1] - start[l];
		int			k = (int) Min((int64) g->m + 1, size);
		int64	   *mem = members + start[l];

		CHECK_FOR_INTERRUPTS();
		if (size < 2)
			continue;
		for (int64 i = 0; i < size; i++)
			memcpy(buf + i * dims, x + mem[i] * dims, sizeof(float) * dims);
		BxAnnCheckBridge(BxNearest(dims, size, buf, size, buf, k, nthreads,
								   labels, dist, BxAnnInterruptPending,
								   errbuf, sizeof(errbuf)),
						 "bxann graph construction", errbuf);
		for (int64 i = 0; i < size; i++)
			for (int j = 0; j < k; j++)
			{
				int32		lab = labels[i * k + j];

				if (lab >= 0)
					GraphOffer(g, mem[i], (int32) mem[lab], dist[i * k + j]);
			}
	}
	pfree(buf);
	pfree(labels);
	pfree(dist);
	pfree(members);
	pfree(start);
	pfree(fill);
}

/* true if rows u and w were members of a common spilled list */
static inline bool
SharedList(const int32 *spill, int spillk, int32 u, int32 w)
{
	const int32 *su = spill + (int64) u * spillk;
	const int32 *sw = spill + (int64) w * spillk;

	for (int a = 0; a < spillk; a++)
		for (int b = 0; b < spillk; b++)
			if (su[a] == sw[b] && su[a] >= 0)
				return true;
	return false;
}

/*
 * Step 2: one NN-descent round.  For every row, all pairs among its
 * neighbours and reverse neighbours (at least one of them new) are compared
 * and offered to each other, except pairs that shared a spilled list: step 1
 * compared those already.  On the reference set that skips about half the
 * distance computations.
 */
static void
GraphDescend(BxAnnGraph *g, const float *x, int dims, const int32 *spill, int spillk)
{
	int64		n = g->n;
	int			m = g->m;
	int32	   *rev = palloc_extended(sizeof(int32) * n * m, MCXT_ALLOC_HUGE);
	int32	   *revcount = palloc_extended(sizeof(int32) * n, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	int32	   *cand = palloc(sizeof(int32) * 2 * m);
	uint8	   *candnew = palloc(2 * m);

	for (int64 i = 0; i < n; i++)
		for (int k = 0; k < g->count[i]; k++)
		{
			int32		j = g->neighbors[i * m + k];

			if (revcount[j] < m)
				rev[(int64) j * m + revcount[j]++] = (int32) i;
		}

	for (int64 v = 0; v < n; v++)
	{
		int			nc = 0;

		if ((v & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
		for (int k = 0; k < g->count[v]; k++)
		{
			cand[nc] = g->neighbors[v * m + k];
			candnew[nc++] = g->isnew[v * m + k];
			g->isnew[v * m + k] = 0;
		}
		for (int k = 0; k < revcount[v]; k++)
		{
			cand[nc] = rev[v * m + k];
			candnew[nc++] = 1;
		}
		for (int a = 0; a < nc; a++)
			for (int b = a + 1; b < nc; b++)
			{
				int32		u = cand[a],
							w = cand[b];
				float		d;

				if (u == w || (!candnew[a] && !candnew[b]) ||
					SharedList(spill, spillk, u, w))
					continue;
				d = BxKernelL2Squared(x + (int64) u * dims, x + (int64) w * dims, dims);
				GraphOffer(g, u, w, d);
				GraphOffer(g, w, u, d);
			}
	}
	pfree(rev);
	pfree(revcount);
	pfree(cand);
	pfree(candnew);
}

/*
 * Build the graph of the n vectors x (row-major, dims each), whose nearest
 * lists are spill[n][spillk] (-1 where a row has fewer).
 */
BxAnnGraph *
BxAnnGraphBuild(const float *x, int64 n, int dims, int m,
				const int32 *spill, int spillk, int nlists, int nthreads)
{
	BxAnnGraph *g = palloc0(sizeof(BxAnnGraph));
	instr_time	start,
				mid,
				end;

	g->n = n;
	g->m = m;
	g->neighbors = palloc_extended(sizeof(int32) * Max(n * m, 1), MCXT_ALLOC_HUGE);
	g->distances = palloc_extended(sizeof(float) * Max(n * m, 1), MCXT_ALLOC_HUGE);
	g->isnew = palloc_extended(Max(n * m, 1), MCXT_ALLOC_HUGE);
	g->count = palloc_extended(sizeof(int32) * Max(n, 1), MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	if (n < 2)
		return g;
	INSTR_TIME_SET_CURRENT(start);
	GraphFromSpill(g, x, dims, spill, spillk, nlists, nthreads);
	INSTR_TIME_SET_CURRENT(mid);
	GraphDescend(g, x, dims, spill, spillk);
	INSTR_TIME_SET_CURRENT(end);
	INSTR_TIME_SUBTRACT(end, mid);
	INSTR_TIME_SUBTRACT(mid, start);
	elog(DEBUG1, "bxann graph: k-NN in spilled lists %.3f s, NN-descent %.3f s",
		 INSTR_TIME_GET_DOUBLE(mid), INSTR_TIME_GET_DOUBLE(end));
	return g;
}
