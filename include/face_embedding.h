/*-------------------------------------------------------------------------
 *
 * embedding.h
 *	  The face_embedding varlena: on-disk layout and accessors.
 *
 * A face_embedding is a float4 vector that remembers which face model made
 * it.  Embeddings of two different models live in unrelated spaces, so every
 * comparison checks the tags first (comparing them anyway is a classic bug of
 * biometric systems).  An empty tag means "untagged": imported from elsewhere,
 * provenance unknown; it may be compared with anything.
 *
 * Layout (all integers in host order, as for every varlena on disk):
 *
 *	int32	vl_len_		varlena header (always 4-byte: see FACE_EMBEDDING_SIZE)
 *	uint16	dim			number of elements, 1 .. BX_MAX_DIM
 *	uint8	taglen		length of the model tag in bytes, 0 .. BX_MAX_TAG_LEN
 *	uint8	unused		always 0, reserved for a future element type
 *	char	tag[]		model tag, not NUL-terminated, padded with zeros
 *						to a multiple of 4 bytes so that x[] is float-aligned
 *	float4	x[dim]		the elements, never NaN or infinite
 *
 * The padding is part of the value: two equal embeddings are byte-equal.
 *
 * include/face_embedding.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BX_EMBEDDING_H
#define BX_EMBEDDING_H

#include "postgres.h"

#include <math.h>

#include "fmgr.h"

/* BX_MAX_DIM and BX_MAX_TAG_LEN, shared with the server-free parsers */
#include "embedding_parse.h"

typedef struct FaceEmbeddingData
{
	int32		vl_len_;		/* varlena header (do not touch directly!) */
	uint16		dim;			/* number of dimensions */
	uint8		taglen;			/* bytes of model tag, 0 = untagged */
	uint8		unused;			/* reserved, always 0 */
	char		data[FLEXIBLE_ARRAY_MEMBER];	/* tag, padding, then floats */
} FaceEmbeddingData;

typedef FaceEmbeddingData *FaceEmbedding;

/* bytes the tag takes including its padding */
#define BX_TAG_PADDED(taglen)	(((taglen) + 3) & ~3)

#define FACE_EMBEDDING_SIZE(dim, taglen) \
	(offsetof(FaceEmbeddingData, data) + BX_TAG_PADDED(taglen) + \
	 sizeof(float4) * (Size) (dim))

#define FE_TAG(e)			((e)->data)
#define FE_X(e)				((float4 *) ((e)->data + BX_TAG_PADDED((e)->taglen)))

#define DatumGetFaceEmbedding(d)	((FaceEmbedding) PG_DETOAST_DATUM(d))
#define PG_GETARG_FACE_EMBEDDING_P(n)	DatumGetFaceEmbedding(PG_GETARG_DATUM(n))
#define PG_RETURN_FACE_EMBEDDING_P(x)	PG_RETURN_POINTER(x)

extern FaceEmbedding BxEmbeddingNew(int dim, const char *tag, int taglen);
extern void BxEmbeddingCheckDim(int dim);
extern void BxEmbeddingCheckTag(const char *tag, int taglen);
extern void BxEmbeddingCheckElement(float4 value);
extern void BxEmbeddingCheckComparable(FaceEmbedding a, FaceEmbedding b);
extern void BxEmbeddingCheckTypmod(FaceEmbedding e, int32 typmod);

/*
 * The one rule for what cosine distance can compare: a vector whose norm is
 * below BX_MIN_COSINE_NORM (squared: below BX_MIN_COSINE_SQNORM) has no
 * direction worth the name.  Face models emit unit vectors; a template of
 * norm 1e-30 is a corrupt or hostile one.  Distances raise 22000 for it,
 * bxann's cosine indexes refuse it, and the records layer keeps it out of
 * enrollments and galleries through bx_cosine_usable().
 */
#define BX_MIN_COSINE_NORM		1e-6
#define BX_MIN_COSINE_SQNORM	(BX_MIN_COSINE_NORM * BX_MIN_COSINE_NORM)

static inline bool
BxEmbeddingCosineUsable(float8 sqnorm)
{
	return sqnorm >= BX_MIN_COSINE_SQNORM && isfinite(sqnorm);
}

/* Squared norm of e, in float8 */
extern float8 BxEmbeddingSquaredNorm(FaceEmbedding e);

#endif							/* BX_EMBEDDING_H */
