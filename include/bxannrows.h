/*-------------------------------------------------------------------------
 *
 * bxannrows.h
 *	  The vectors a bxann build holds in memory (src/am/bxannrows.c).
 *
 * A build keeps every row's vector until the index is written.  It keeps
 * them as float4 while they fit in maintenance_work_mem, and otherwise as
 * 8-bit codes over the range of each dimension seen so far: a quarter of
 * the memory, the precision the index itself stores (its elements are SQ8
 * codes, and its scans re-rank with the heap's exact vectors).
 *
 * include/bxannrows.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BXANNROWS_H
#define BXANNROWS_H

#include "postgres.h"

typedef struct BxAnnRows
{
	int			dims;
	int64		n;				/* rows held */
	int64		capacity;		/* rows data has room for */
	int			width;			/* bytes per element: 4 (float4) or 1 (code) */
	char	   *data;			/* [capacity][dims] elements of width bytes */
	float	   *codemin;		/* width 1: value of code 0, per dimension */
	float	   *codestep;		/* width 1: value of one code step */
	int64		coded_from;		/* width 1: rows before this were float4 once */
} BxAnnRows;

extern void BxAnnRowsInit(BxAnnRows *rows, int dims);
extern bool BxAnnRowsReserve(BxAnnRows *rows, Size budget, Size otherperrow);
extern void BxAnnRowsAppend(BxAnnRows *rows, const float *x);
extern void BxAnnRowsCopy(const BxAnnRows *rows, int64 i, float *out);
extern void BxAnnRowsCopyMany(const BxAnnRows *rows, const int64 *which, int64 count,
							  float *out);
extern void BxAnnRowsGather(void *arg, const int32_t *which, int64_t n, float *out);
extern const float *BxAnnRowsChunk(const BxAnnRows *rows, int64 first, int64 count,
								   float *buf);
extern void BxPermuteRecords(char *data, Size size, char *extra, Size extrasize,
							 int64 n, int64 *perm);
extern void BxAnnRowsPermute(BxAnnRows *rows, void *extra, Size extrasize, int64 *perm);
extern void BxAnnRowsRange(const BxAnnRows *rows, float *min, float *step);
extern void BxAnnRowsRange4(const BxAnnRows *rows, float *min, float *step);

/* bytes one row costs in rows of this width */
#define BXANN_ROW_BYTES(dims, width)	((Size) (dims) * (width))

/*
 * Row i as float4: in place when the rows are float4, else decoded into
 * buf (dims floats), which is returned.
 */
static inline const float *
BxAnnRowsGet(const BxAnnRows *rows, int64 i, float *buf)
{
	if (rows->width == sizeof(float))
		return (const float *) rows->data + i * rows->dims;
	BxAnnRowsCopy(rows, i, buf);
	return buf;
}

#endif							/* BXANNROWS_H */
