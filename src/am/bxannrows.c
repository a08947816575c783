/*-------------------------------------------------------------------------
 *
 * bxannrows.c
 *	  The vectors a bxann build holds in memory: float4 while they fit in
 *	  maintenance_work_mem, 8-bit codes when they no longer do.
 *
 * Vectors are most of a build's memory (2 kB of the 2.3 kB a 512-d row
 * costs), so at 1,000,000 rows of 512 dimensions or 5,000,000 of 128 the
 * float4 rows alone outgrow a maintenance_work_mem of 2 GB.  Rather than
 * stop, the build then turns the rows it holds into 8-bit codes, in place,
 * and goes on: each dimension's range over the rows seen so far is cut
 * into 255 steps (the index's own SQ8 encoding; rows read later that fall
 * outside it saturate, as rows inserted after a build do).  The graph and
 * the lists are then computed from decoded codes, which differ from the
 * vectors by at most half a step per dimension; the index stores these same
 * codes, and scans re-rank with the heap's exact vectors.  The build says so
 * in a NOTICE; raising maintenance_work_mem keeps float4.
 *
 * src/am/bxannrows.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "bxann.h"
#include "bxannrows.h"
#include "miscadmin.h"
#include "utils/memutils.h"

/* rows a new set has room for before it first grows */
#define BXANN_ROWS_INITIAL		1024

void
BxAnnRowsInit(BxAnnRows *rows, int dims)
{
	memset(rows, 0, sizeof(BxAnnRows));
	rows->dims = dims;
	rows->width = sizeof(float);
	rows->capacity = BXANN_ROWS_INITIAL;
	rows->data = palloc_extended(BXANN_ROW_BYTES(dims, rows->width) * rows->capacity,
								 MCXT_ALLOC_HUGE);
}

/*
 * Each dimension's range over the rows as SQ8 wants it: min[d] and the
 * value of one of 255 steps (with no rows, [-1, 1]).  Rows held as codes
 * have theirs already.
 */
void
BxAnnRowsRange(const BxAnnRows *rows, float *min, float *step)
{
	int			dims = rows->dims;
	const float *x = (const float *) rows->data;

	if (rows->width != sizeof(float))
	{
		memcpy(min, rows->codemin, sizeof(float) * dims);
		memcpy(step, rows->codestep, sizeof(float) * dims);
		return;
	}
	/* row by row (the rows' order in memory), with each dimension's max in step */
	for (int d = 0; d < dims; d++)
	{
		min[d] = rows->n > 0 ? x[d] : -1.0f;
		step[d] = rows->n > 0 ? x[d] : 1.0f;
	}
	for (int64 i = 1; i < rows->n; i++)
	{
		const float *xi = x + i * dims;

		if ((i & 65535) == 0)
			CHECK_FOR_INTERRUPTS();
		for (int d = 0; d < dims; d++)
		{
			min[d] = Min(min[d], xi[d]);
			step[d] = Max(step[d], xi[d]);
		}
	}
	for (int d = 0; d < dims; d++)
	{
		float		hi = step[d];

		if (!(hi > min[d]))
			hi = min[d] + 1.0f;
		step[d] = (hi - min[d]) / 255.0f;
	}
}

/*
 * Each dimension's range for 4-bit codes: its mean +- BXANN_SQ4_CLIP
 * standard deviations over the rows, within its extremes, in 15 steps.
 * An SQ4 step over the whole range would be wasted on a few outliers: the
 * extremes of 200,000 rows lie 4.5 standard deviations out, and the rows
 * between would share 7 of the 16 levels.
 */
void
BxAnnRowsRange4(const BxAnnRows *rows, float *min, float *step)
{
	int			dims = rows->dims;
	double	   *sum = palloc0(sizeof(double) * dims);
	double	   *sumsq = palloc0(sizeof(double) * dims);
	float	   *buf = palloc(sizeof(float) * dims);

	/* the extremes, as for SQ8 */
	BxAnnRowsRange(rows, min, step);
	for (int64 i = 0; i < rows->n; i++)
	{
		const float *x = BxAnnRowsGet(rows, i, buf);

		if ((i & 65535) == 0)
			CHECK_FOR_INTERRUPTS();
		for (int d = 0; d < dims; d++)
		{
			sum[d] += x[d];
			sumsq[d] += (double) x[d] * x[d];
		}
	}
	for (int d = 0; d < dims; d++)
	{
		double		lo = min[d];
		double		hi = min[d] + 255.0 * step[d];

		if (rows->n > 1)
		{
			double		mean = sum[d] / rows->n;
			double		sd = sqrt(Max(sumsq[d] / rows->n - mean * mean, 0.0));

			lo = Max(lo, mean - BXANN_SQ4_CLIP * sd);
			hi = Min(hi, mean + BXANN_SQ4_CLIP * sd);
		}
		if (!(hi > lo))
			hi = lo + 1.0;
		min[d] = (float) lo;
		step[d] = (float) ((hi - lo) / 15.0);
	}
	pfree(sum);
	pfree(sumsq);
	pfree(buf);
}

/*
 * Turn the float4 rows into codes over each dimension's range, in place:
 * element j's code goes to byte j, which its float4 (bytes 4j .. 4j + 3)
 * has already been read from (BxAnnEncodeWith goes through a row in order).
 */
static void
RowsToCodes(BxAnnRows *rows)
{
	int			dims = rows->dims;
	const float *x = (const float *) rows->data;
	uint8	   *code = (uint8 *) rows->data;

	rows->codemin = palloc(sizeof(float) * dims);
	rows->codestep = palloc(sizeof(float) * dims);
	BxAnnRowsRange(rows, rows->codemin, rows->codestep);
	for (int64 i = 0; i < rows->n; i++)
	{
		if ((i & 65535) == 0)
			CHECK_FOR_INTERRUPTS();
		BxAnnEncodeWith(rows->codemin, rows->codestep, dims, 8, x + i * dims,
						code + i * dims);
	}
	rows->width = 1;
	rows->coded_from = rows->n;
	rows->data = repalloc_huge(rows->data, BXANN_ROW_BYTES(dims, 1) * Max(rows->capacity, 1));
}

/*
 * Make room for one more row, within budget bytes for the whole build,
 * which spends otherperrow bytes per row besides its vector.  Turns the
 * rows into codes when float4 no longer fits; false when not even codes do.
 */
bool
BxAnnRowsReserve(BxAnnRows *rows, Size budget, Size otherperrow)
{
	Size		perrow = otherperrow + BXANN_ROW_BYTES(rows->dims, rows->width);
	int64		newcap;

	if (rows->n < rows->capacity)
		return true;
	if ((Size) (rows->n + 1) * perrow > budget && rows->width == sizeof(float))
	{
		RowsToCodes(rows);
		perrow = otherperrow + BXANN_ROW_BYTES(rows->dims, rows->width);
	}
	if ((Size) (rows->n + 1) * perrow > budget)
		return false;
	newcap = rows->capacity * 2;
	if ((Size) newcap * perrow > budget)
		newcap = Max(rows->n + 1, (int64) (budget / perrow));
	rows->data = repalloc_huge(rows->data, BXANN_ROW_BYTES(rows->dims, rows->width) * newcap);
	rows->capacity = newcap;
	return true;
}

/* Append x (dims floats); the caller reserved room. */
void
BxAnnRowsAppend(BxAnnRows *rows, const float *x)
{
	int			dims = rows->dims;

	Assert(rows->n < rows->capacity);
	if (rows->width == sizeof(float))
		memcpy((float *) rows->data + rows->n * dims, x, sizeof(float) * dims);
	else
		BxAnnEncodeWith(rows->codemin, rows->codestep, dims, 8, x,
						(uint8 *) rows->data + rows->n * dims);
	rows->n++;
}

/*
 * Reorder n records of size bytes at data so that record i is the one that
 * was record perm[i], and the n records of extrasize bytes at extra (may
 * be NULL with extrasize 0) alike.  In place, following each cycle of the
 * permutation with one spare record; perm is used up (entries become -1).
 */
void
BxPermuteRecords(char *data, Size size, char *extra, Size extrasize, int64 n, int64 *perm)
{
	char	   *spare = palloc(size);
	char	   *spareextra = palloc(Max(extrasize, 1));

	for (int64 start = 0; start < n; start++)
	{
		int64		i = start;

		if (perm[start] < 0 || perm[start] == start)
			continue;
		if ((start & 4095) == 0)
			CHECK_FOR_INTERRUPTS();
		memcpy(spare, data + start * size, size);
		if (extrasize > 0)
			memcpy(spareextra, extra + start * extrasize, extrasize);
		for (;;)
		{
			int64		from = perm[i];
			bool		last = from == start;

			perm[i] = -1;
			memcpy(data + i * size, last ? spare : data + from * size, size);
			if (extrasize > 0)
				memcpy(extra + i * extrasize, last ? spareextra : extra + from * extrasize,
					   extrasize);
			if (last)
				break;
			i = from;
		}
	}
	pfree(spare);
	pfree(spareextra);
}

/* Reorder the rows (and extra, as BxPermuteRecords) so that row i was row perm[i]. */
void
BxAnnRowsPermute(BxAnnRows *rows, void *extra, Size extrasize, int64 *perm)
{
	BxPermuteRecords(rows->data, BXANN_ROW_BYTES(rows->dims, rows->width),
					 extra, extrasize, rows->n, perm);
}

/* Row i as float4 into out (dims floats). */
void
BxAnnRowsCopy(const BxAnnRows *rows, int64 i, float *out)
{
	int			dims = rows->dims;

	if (rows->width == sizeof(float))
		memcpy(out, (const float *) rows->data + i * dims, sizeof(float) * dims);
	else
		BxAnnDecodeWith(rows->codemin, rows->codestep, dims, 8,
						(const uint8 *) rows->data + i * dims, out);
}

/* Rows which[0 .. count) as float4 into out, one after the other. */
void
BxAnnRowsCopyMany(const BxAnnRows *rows, const int64 *which, int64 count, float *out)
{
	for (int64 t = 0; t < count; t++)
		BxAnnRowsCopy(rows, which[t], out + t * rows->dims);
}

/*
 * BxGatherFn (lib/bx_bridge.h) over a BxAnnRows passed as arg: rows
 * which[0 .. n) as float4 into out.  It only reads the rows, so the
 * bridge's threads may call it at once.
 */
void
BxAnnRowsGather(void *arg, const int32_t *which, int64_t n, float *out)
{
	const BxAnnRows *rows = (const BxAnnRows *) arg;

	for (int64 t = 0; t < n; t++)
		BxAnnRowsCopy(rows, which[t], out + t * rows->dims);
}

/*
 * Rows first .. first + count as float4, one after the other: in place when
 * the rows are float4, else decoded into buf (count * dims floats), which
 * is returned.
 */
const float *
BxAnnRowsChunk(const BxAnnRows *rows, int64 first, int64 count, float *buf)
{
	if (rows->width == sizeof(float))
		return (const float *) rows->data + first * rows->dims;
	for (int64 t = 0; t < count; t++)
		BxAnnRowsCopy(rows, first + t, buf + t * rows->dims);
	return buf;
}
