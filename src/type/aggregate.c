/*-------------------------------------------------------------------------
 *
 * aggregate.c
 *	  avg(face_embedding): template fusion of several enrollments.
 *
 * The transition state is an internal struct holding the running count, the
 * model tag and float8 sums (float8 so that averaging many float4 templates
 * neither overflows nor loses precision).  serialize/deserialize/combine
 * make the aggregate parallel-safe.  Inputs must be comparable: the same
 * dimension and not tagged with two different models.
 *
 * src/type/aggregate.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "face_embedding.h"
#include "libpq/pqformat.h"
#include "utils/float.h"

typedef struct EmbeddingAvgStateData
{
	int64		count;
	int			dim;
	int			taglen;
	char		tag[BX_MAX_TAG_LEN];
	float8		sum[FLEXIBLE_ARRAY_MEMBER];
} EmbeddingAvgStateData;

typedef EmbeddingAvgStateData *EmbeddingAvgState;

static EmbeddingAvgState
NewState(MemoryContext aggcontext, int dim, const char *tag, int taglen)
{
	EmbeddingAvgState state;

	state = MemoryContextAllocZero(aggcontext,
								   offsetof(EmbeddingAvgStateData, sum) +
								   sizeof(float8) * dim);
	state->dim = dim;
	state->taglen = taglen;
	memcpy(state->tag, tag, taglen);
	return state;
}

static MemoryContext
GetAggContext(FunctionCallInfo fcinfo, const char *fname)
{
	MemoryContext aggcontext;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "%s called in non-aggregate context", fname);
	return aggcontext;
}

/*
 * ERROR unless the state can absorb values of dimension dim and tag; adopt
 * the tag if the state had none so far.
 */
static void
StateCheckComparable(EmbeddingAvgState state, int dim, const char *tag, int taglen)
{
	if (state->dim != dim)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("different face_embedding dimensions %d and %d",
						state->dim, dim)));
	if (taglen == 0)
		return;
	if (state->taglen == 0)
	{
		memcpy(state->tag, tag, taglen);
		state->taglen = taglen;
	}
	else if (state->taglen != taglen || memcmp(state->tag, tag, taglen) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("cannot average face embeddings of different models \"%s\" and \"%s\"",
						pnstrdup(state->tag, state->taglen), pnstrdup(tag, taglen)),
				 errdetail("Embeddings made by different face models are not comparable.")));
}

PG_FUNCTION_INFO_V1(face_embedding_avg_accum);
Datum
face_embedding_avg_accum(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = GetAggContext(fcinfo, "face_embedding_avg_accum");
	EmbeddingAvgState state = PG_ARGISNULL(0) ? NULL :
		(EmbeddingAvgState) PG_GETARG_POINTER(0);
	FaceEmbedding e;
	float4	   *x;

	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(state);
	e = PG_GETARG_FACE_EMBEDDING_P(1);
	if (state == NULL)
		state = NewState(aggcontext, e->dim, FE_TAG(e), e->taglen);
	else
		StateCheckComparable(state, e->dim, FE_TAG(e), e->taglen);

	x = FE_X(e);
	for (int i = 0; i < e->dim; i++)
		state->sum[i] += x[i];
	state->count++;
	PG_FREE_IF_COPY(e, 1);
	PG_RETURN_POINTER(state);
}

PG_FUNCTION_INFO_V1(face_embedding_avg_combine);
Datum
face_embedding_avg_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = GetAggContext(fcinfo, "face_embedding_avg_combine");
	EmbeddingAvgState s1 = PG_ARGISNULL(0) ? NULL :
		(EmbeddingAvgState) PG_GETARG_POINTER(0);
	EmbeddingAvgState s2 = PG_ARGISNULL(1) ? NULL :
		(EmbeddingAvgState) PG_GETARG_POINTER(1);

	if (s2 == NULL)
		PG_RETURN_POINTER(s1);
	if (s1 == NULL)
	{
		/* copy: the result must live in the aggregate context */
		s1 = NewState(aggcontext, s2->dim, s2->tag, s2->taglen);
		s1->count = s2->count;
		memcpy(s1->sum, s2->sum, sizeof(float8) * s2->dim);
		PG_RETURN_POINTER(s1);
	}
	StateCheckComparable(s1, s2->dim, s2->tag, s2->taglen);
	for (int i = 0; i < s1->dim; i++)
		s1->sum[i] += s2->sum[i];
	s1->count += s2->count;
	PG_RETURN_POINTER(s1);
}

PG_FUNCTION_INFO_V1(face_embedding_avg_final);
Datum
face_embedding_avg_final(PG_FUNCTION_ARGS)
{
	EmbeddingAvgState state;
	FaceEmbedding result;
	float4	   *x;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	state = (EmbeddingAvgState) PG_GETARG_POINTER(0);
	result = BxEmbeddingNew(state->dim, state->tag, state->taglen);
	x = FE_X(result);
	for (int i = 0; i < state->dim; i++)
	{
		float8		mean = state->sum[i] / (float8) state->count;

		/* a mean of finite float4 values is finite unless the sum overflowed */
		if (isinf(mean) || isnan(mean))
			float_overflow_error();
		x[i] = (float4) mean;
	}
	PG_RETURN_FACE_EMBEDDING_P(result);
}

/* serialised state: int64 count, int32 dim, uint8 taglen, tag, dim float8 */
PG_FUNCTION_INFO_V1(face_embedding_avg_serialize);
Datum
face_embedding_avg_serialize(PG_FUNCTION_ARGS)
{
	EmbeddingAvgState state;
	StringInfoData buf;

	GetAggContext(fcinfo, "face_embedding_avg_serialize");
	state = (EmbeddingAvgState) PG_GETARG_POINTER(0);
	pq_begintypsend(&buf);
	pq_sendint64(&buf, state->count);
	pq_sendint32(&buf, state->dim);
	pq_sendint8(&buf, state->taglen);
	pq_sendbytes(&buf, state->tag, state->taglen);
	for (int i = 0; i < state->dim; i++)
		pq_sendfloat8(&buf, state->sum[i]);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(face_embedding_avg_deserialize);
Datum
face_embedding_avg_deserialize(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = GetAggContext(fcinfo, "face_embedding_avg_deserialize");
	bytea	   *serial = PG_GETARG_BYTEA_PP(0);
	StringInfoData buf;
	EmbeddingAvgState state;
	int64		count;
	int			dim;
	int			taglen;
	const char *tag;

	/* read in place: the pq_getmsg functions never write to the buffer */
	buf.data = VARDATA_ANY(serial);
	buf.len = VARSIZE_ANY_EXHDR(serial);
	buf.maxlen = buf.len;
	buf.cursor = 0;
	count = pq_getmsgint64(&buf);
	dim = pq_getmsgint(&buf, 4);
	taglen = pq_getmsgint(&buf, 1);
	if (dim < 1 || dim > BX_MAX_DIM || taglen > BX_MAX_TAG_LEN)
		elog(ERROR, "invalid serialized face_embedding average state");
	tag = pq_getmsgbytes(&buf, taglen);
	state = NewState(aggcontext, dim, tag, taglen);
	state->count = count;
	for (int i = 0; i < dim; i++)
		state->sum[i] = pq_getmsgfloat8(&buf);
	pq_getmsgend(&buf);
	PG_RETURN_POINTER(state);
}
