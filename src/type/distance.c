/*-------------------------------------------------------------------------
 *
 * distance.c
 *	  Distances, norms and btree support for face_embedding.
 *
 * The arithmetic lives in kernels.c (vectorised); this file checks that the
 * two operands are comparable, calls the kernel and turns a float overflow
 * or an undefined cosine into an ERROR instead of a silent NaN or infinity.
 *
 * src/type/distance.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "bx_kernels.h"
#include "face_embedding.h"
#include "utils/float.h"

/* the pair of arguments, detoasted once and checked comparable */
#define GET_COMPARABLE_ARGS(a, b) \
	FaceEmbedding a = PG_GETARG_FACE_EMBEDDING_P(0); \
	FaceEmbedding b = PG_GETARG_FACE_EMBEDDING_P(1); \
	BxEmbeddingCheckComparable(a, b)

static inline float8
CheckFinite(float8 value)
{
	if (unlikely(isinf(value) || isnan(value)))
		float_overflow_error();
	return value;
}

/*
 * Cosine similarity in [-1, 1].  A zero vector has no direction, so its
 * cosine is undefined: ERROR rather than the NaN pgvector returns, because a
 * NaN silently sorts last and hides the bad template.
 */
static float8
CosineSimilarity(FaceEmbedding a, FaceEmbedding b)
{
	float		dot,
				norma,
				normb;
	float8		similarity;

	BxKernelCosineParts(FE_X(a), FE_X(b), a->dim, &dot, &norma, &normb);
	CheckFinite(dot);
	CheckFinite(norma);
	CheckFinite(normb);
	if (!BxEmbeddingCosineUsable(norma) || !BxEmbeddingCosineUsable(normb))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("cosine distance is undefined for a face_embedding of norm %g",
						sqrt(Min(BxEmbeddingSquaredNorm(a), BxEmbeddingSquaredNorm(b)))),
				 errdetail("Cosine distance compares vectors of norm %g or more.",
						   BX_MIN_COSINE_NORM)));
	similarity = (float8) dot / sqrt((float8) norma * (float8) normb);
	/* rounding can leave the range slightly */
	if (similarity > 1.0)
		similarity = 1.0;
	else if (similarity < -1.0)
		similarity = -1.0;
	return similarity;
}

PG_FUNCTION_INFO_V1(bx_l2_distance);
Datum
bx_l2_distance(PG_FUNCTION_ARGS)
{
	GET_COMPARABLE_ARGS(a, b);

	PG_RETURN_FLOAT8(CheckFinite(sqrt((float8) BxKernelL2Squared(FE_X(a), FE_X(b), a->dim))));
}

/* squared Euclidean distance: cheaper, same order; used by the index */
PG_FUNCTION_INFO_V1(bx_l2_squared_distance);
Datum
bx_l2_squared_distance(PG_FUNCTION_ARGS)
{
	GET_COMPARABLE_ARGS(a, b);

	PG_RETURN_FLOAT8(CheckFinite(BxKernelL2Squared(FE_X(a), FE_X(b), a->dim)));
}

PG_FUNCTION_INFO_V1(bx_inner_product);
Datum
bx_inner_product(PG_FUNCTION_ARGS)
{
	GET_COMPARABLE_ARGS(a, b);

	PG_RETURN_FLOAT8(CheckFinite(BxKernelInnerProduct(FE_X(a), FE_X(b), a->dim)));
}

/* the <#> operator: smaller is more similar, as ORDER BY ... LIMIT wants */
PG_FUNCTION_INFO_V1(bx_negative_inner_product);
Datum
bx_negative_inner_product(PG_FUNCTION_ARGS)
{
	GET_COMPARABLE_ARGS(a, b);

	PG_RETURN_FLOAT8(-CheckFinite(BxKernelInnerProduct(FE_X(a), FE_X(b), a->dim)));
}

PG_FUNCTION_INFO_V1(bx_cosine_distance);
Datum
bx_cosine_distance(PG_FUNCTION_ARGS)
{
	GET_COMPARABLE_ARGS(a, b);

	PG_RETURN_FLOAT8(1.0 - CosineSimilarity(a, b));
}

PG_FUNCTION_INFO_V1(bx_similarity);
Datum
bx_similarity(PG_FUNCTION_ARGS)
{
	GET_COMPARABLE_ARGS(a, b);

	PG_RETURN_FLOAT8(CosineSimilarity(a, b));
}

PG_FUNCTION_INFO_V1(bx_norm);
Datum
bx_norm(PG_FUNCTION_ARGS)
{
	FaceEmbedding e = PG_GETARG_FACE_EMBEDDING_P(0);

	PG_RETURN_FLOAT8(CheckFinite(sqrt((float8) BxKernelInnerProduct(FE_X(e), FE_X(e), e->dim))));
}

float8
BxEmbeddingSquaredNorm(FaceEmbedding e)
{
	const float4 *x = FE_X(e);
	float8		sum = 0.0;

	for (int i = 0; i < e->dim; i++)
		sum += (float8) x[i] * (float8) x[i];
	return sum;
}

/*
 * bx_cosine_usable(e): whether cosine distance can compare e (see
 * BxEmbeddingCosineUsable); for CHECK constraints and gallery filters.
 */
PG_FUNCTION_INFO_V1(bx_cosine_usable);
Datum
bx_cosine_usable(PG_FUNCTION_ARGS)
{
	FaceEmbedding e = PG_GETARG_FACE_EMBEDDING_P(0);

	PG_RETURN_BOOL(BxEmbeddingCosineUsable(BxEmbeddingSquaredNorm(e)));
}

/* bx_normalize(e): e scaled to unit length, keeping its model tag */
PG_FUNCTION_INFO_V1(bx_normalize);
Datum
bx_normalize(PG_FUNCTION_ARGS)
{
	FaceEmbedding e = PG_GETARG_FACE_EMBEDDING_P(0);
	FaceEmbedding result = BxEmbeddingNew(e->dim, FE_TAG(e), e->taglen);
	float4	   *x = FE_X(e);
	float4	   *y = FE_X(result);
	float8		norm = 0.0;

	/* double accumulation: no overflow for any finite float4 input */
	for (int i = 0; i < e->dim; i++)
		norm += (float8) x[i] * (float8) x[i];
	norm = sqrt(norm);
	if (norm == 0.0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("cannot normalize a face_embedding of norm 0")));
	for (int i = 0; i < e->dim; i++)
		y[i] = (float4) (x[i] / norm);
	PG_RETURN_FACE_EMBEDDING_P(result);
}

/*
 * Total order for btree (DISTINCT, GROUP BY, ORDER BY, UNIQUE): by dimension,
 * then element by element, then by model tag.  Unlike the distances this
 * never raises for different models, so a column mixing models still sorts.
 * Elements are never NaN, and -0 equals 0 here as in float4 comparison.
 */
static int
EmbeddingCmp(FaceEmbedding a, FaceEmbedding b)
{
	float4	   *ax = FE_X(a);
	float4	   *bx = FE_X(b);
	int			c;

	if (a->dim != b->dim)
		return a->dim < b->dim ? -1 : 1;
	for (int i = 0; i < a->dim; i++)
	{
		if (ax[i] != bx[i])
			return ax[i] < bx[i] ? -1 : 1;
	}
	c = memcmp(FE_TAG(a), FE_TAG(b), Min(a->taglen, b->taglen));
	if (c != 0)
		return c < 0 ? -1 : 1;
	if (a->taglen != b->taglen)
		return a->taglen < b->taglen ? -1 : 1;
	return 0;
}

#define CMP_ARGS() \
	EmbeddingCmp(PG_GETARG_FACE_EMBEDDING_P(0), PG_GETARG_FACE_EMBEDDING_P(1))

PG_FUNCTION_INFO_V1(face_embedding_cmp);
Datum
face_embedding_cmp(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(CMP_ARGS());
}

PG_FUNCTION_INFO_V1(face_embedding_lt);
Datum
face_embedding_lt(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(CMP_ARGS() < 0);
}

PG_FUNCTION_INFO_V1(face_embedding_le);
Datum
face_embedding_le(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(CMP_ARGS() <= 0);
}

PG_FUNCTION_INFO_V1(face_embedding_eq);
Datum
face_embedding_eq(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(CMP_ARGS() == 0);
}

PG_FUNCTION_INFO_V1(face_embedding_ne);
Datum
face_embedding_ne(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(CMP_ARGS() != 0);
}

PG_FUNCTION_INFO_V1(face_embedding_ge);
Datum
face_embedding_ge(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(CMP_ARGS() >= 0);
}

PG_FUNCTION_INFO_V1(face_embedding_gt);
Datum
face_embedding_gt(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(CMP_ARGS() > 0);
}
