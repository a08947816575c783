/*-------------------------------------------------------------------------
 *
 * embedding.c
 *	  face_embedding input/output, typmod, model tags and array casts.
 *
 * Text form:	[1,2.5,-3]				untagged
 *				mobilefacenet-v1:[1,2.5,-3]	tagged with the model that made it
 *
 * Binary form (send/recv): uint16 dim, uint8 taglen, uint8 reserved (0),
 * taglen bytes of tag, then dim float4 in network order.
 *
 * Both forms are parsed by lib/embedding_parse.c, which has no PostgreSQL
 * dependency so that test/fuzz can exercise it; this file turns its
 * status codes into the errors of the SQL interface.
 *
 * src/type/embedding.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "bxexit.h"
#include "catalog/pg_type.h"
#include "common/shortest_dec.h"
#include "face_embedding.h"
#include "embedding_parse.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"

/*
 * Allocate a zeroed embedding with the given dimension and tag.  The caller
 * fills the elements.  Limits are the caller's to check.
 */
FaceEmbedding
BxEmbeddingNew(int dim, const char *tag, int taglen)
{
	Size		size = FACE_EMBEDDING_SIZE(dim, taglen);
	FaceEmbedding result = (FaceEmbedding) palloc0(size);

	SET_VARSIZE(result, size);
	result->dim = (uint16) dim;
	result->taglen = (uint8) taglen;
	if (taglen > 0)
		memcpy(FE_TAG(result), tag, taglen);
	return result;
}

/*
 * Raise the error of a failed parse (lib/embedding_parse.h).  input is
 * the text form, for the syntax errors that quote it.  The messages and
 * SQLSTATEs are part of the SQL interface: the regression tests pin them.
 */
static void
ReportParseError(BxEmbStatus status, const BxEmbParsed *parsed,
				 const char *input)
{
	switch (status)
	{
		case BX_EMB_OK:
			return;
		case BX_EMB_ESYNTAX:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid input syntax for type face_embedding: \"%s\"", input),
					 errdetail("Expected \"[x1,x2,...]\" or \"model:[x1,x2,...]\".")));
			break;
		case BX_EMB_EJUNK:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid input syntax for type face_embedding: \"%s\"", input),
					 errdetail("Junk after closing right bracket.")));
			break;
		case BX_EMB_ETAGCHAR:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid face_embedding model tag \"%s\"",
							pnstrdup(parsed->errToken, parsed->errTokenLen)),
					 errdetail("A model tag consists of ASCII letters, digits, '.', '_' and '-', and starts with a letter or digit.")));
			break;
		case BX_EMB_ETAGLEN:
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("face_embedding model tag cannot be longer than %d bytes",
							BX_MAX_TAG_LEN)));
			break;
		case BX_EMB_EEMPTY:
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("face_embedding must have at least 1 dimension")));
			break;
		case BX_EMB_EDIMLIMIT:
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("face_embedding cannot have more than %d dimensions",
							BX_MAX_DIM)));
			break;
		case BX_EMB_ENAN:
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("NaN not allowed in face_embedding")));
			break;
		case BX_EMB_EINF:
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("infinite value not allowed in face_embedding")));
			break;
		case BX_EMB_ERANGE:
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("\"%s\" is out of range for type face_embedding",
							pnstrdup(parsed->errToken, parsed->errTokenLen))));
			break;
		case BX_EMB_ESHORT:
			/* what pq_getmsgint() and pq_getmsgbytes() raise */
			ereport(ERROR,
					(errcode(ERRCODE_PROTOCOL_VIOLATION),
					 errmsg("insufficient data left in message")));
			break;
		case BX_EMB_ERESERVED:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("invalid face_embedding binary format: reserved byte is %d, not 0",
							(int) parsed->errValue)));
			break;
		case BX_EMB_ELENGTH:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("invalid face_embedding binary format: %d bytes of elements for %d dimensions",
							(int) parsed->errValue, parsed->dim)));
			break;
		case BX_EMB_EBUFFER:
			/* the caller sized the element buffer wrongly: a bug */
			break;
	}
	elog(ERROR, "face_embedding parser failed with status %s",
		 BxEmbStatusName(status));
}

/* ERROR unless dim is a dimension a face_embedding can have */
void
BxEmbeddingCheckDim(int dim)
{
	ReportParseError(BxEmbCheckDim(dim), NULL, NULL);
}

/*
 * ERROR unless tag[0..taglen) is a valid model tag: 1 to BX_MAX_TAG_LEN
 * ASCII letters, digits, '.', '_' or '-', starting with a letter or digit.
 * The character set keeps the text form unambiguous (no ':' or '[').
 */
void
BxEmbeddingCheckTag(const char *tag, int taglen)
{
	BxEmbParsed parsed = {0};

	parsed.errToken = tag;
	parsed.errTokenLen = taglen;
	ReportParseError(BxEmbCheckTag(tag, taglen), &parsed, NULL);
}

/* ERROR if value is NaN or infinite */
void
BxEmbeddingCheckElement(float4 value)
{
	ReportParseError(BxEmbCheckElement(value), NULL, NULL);
}

/*
 * ERROR unless a and b can be compared: same dimension, and not tagged with
 * two different models.
 */
void
BxEmbeddingCheckComparable(FaceEmbedding a, FaceEmbedding b)
{
	if (a->dim != b->dim)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("different face_embedding dimensions %d and %d",
						a->dim, b->dim)));
	if (a->taglen > 0 && b->taglen > 0 &&
		(a->taglen != b->taglen || memcmp(FE_TAG(a), FE_TAG(b), a->taglen) != 0))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("cannot compare face embeddings of different models \"%s\" and \"%s\"",
						pnstrdup(FE_TAG(a), a->taglen),
						pnstrdup(FE_TAG(b), b->taglen)),
				 errdetail("Embeddings made by different face models are not comparable."),
				 errhint("Compute both embeddings with the same model.")));
}

/* ERROR unless e fits the declared dimension typmod (-1 = any) */
void
BxEmbeddingCheckTypmod(FaceEmbedding e, int32 typmod)
{
	if (typmod != -1 && e->dim != typmod)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("expected %d dimensions, not %d", typmod, e->dim)));
}

/*
 * face_embedding_typanalyze: ANALYZE gathers no statistics on face_embedding
 * columns, nor on index expressions of the type.  Their most common values
 * and histogram bounds would be whole templates (biometric data) copied
 * into pg_statistic, readable in pg_stats and out of reach of retention;
 * and no estimate of the planner needs them (the distance operators are
 * used for ordering, and equality falls back to the default selectivity).
 */
PG_FUNCTION_INFO_V1(face_embedding_typanalyze);
Datum
face_embedding_typanalyze(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(false);
}

/*
 * Parse the text form (lib/embedding_parse.c).  The element buffer is sized
 * by the commas of the input, at most BX_MAX_DIM floats, so input can never
 * make us allocate more than that.
 */
PG_FUNCTION_INFO_V1(face_embedding_in);
Datum
face_embedding_in(PG_FUNCTION_ARGS)
{
	char	   *input = PG_GETARG_CSTRING(0);
	int32		typmod = PG_GETARG_INT32(2);
	int			capacity = BxEmbTextCapacity(input);
	float4	   *x = palloc(sizeof(float4) * capacity);
	BxEmbParsed parsed;
	FaceEmbedding result;

	ReportParseError(BxEmbParseText(input, x, capacity, &parsed), &parsed,
					 input);
	result = BxEmbeddingNew(parsed.dim, parsed.tag, parsed.taglen);
	memcpy(FE_X(result), x, sizeof(float4) * parsed.dim);
	pfree(x);
	BxEmbeddingCheckTypmod(result, typmod);
	PG_RETURN_FACE_EMBEDDING_P(result);
}

PG_FUNCTION_INFO_V1(face_embedding_out);
Datum
face_embedding_out(PG_FUNCTION_ARGS)
{
	FaceEmbedding e = PG_GETARG_FACE_EMBEDDING_P(0);
	float4	   *x = FE_X(e);
	StringInfoData buf;

	/* tag, brackets, and at most FLOAT_SHORTEST_DECIMAL_LEN + ',' per element */
	initStringInfo(&buf);
	enlargeStringInfo(&buf, e->taglen + 3 + (FLOAT_SHORTEST_DECIMAL_LEN + 1) * e->dim);
	if (e->taglen > 0)
	{
		appendBinaryStringInfo(&buf, FE_TAG(e), e->taglen);
		appendStringInfoChar(&buf, ':');
	}
	appendStringInfoChar(&buf, '[');
	for (int i = 0; i < e->dim; i++)
	{
		if (i > 0)
			buf.data[buf.len++] = ',';
		/* shortest text that reads back as the same float4 */
		buf.len += float_to_shortest_decimal_bufn(x[i], buf.data + buf.len);
	}
	appendStringInfoChar(&buf, ']');
	PG_FREE_IF_COPY(e, 0);
	PG_RETURN_CSTRING(buf.data);
}

PG_FUNCTION_INFO_V1(face_embedding_typmod_in);
Datum
face_embedding_typmod_in(PG_FUNCTION_ARGS)
{
	ArrayType  *ta = PG_GETARG_ARRAYTYPE_P(0);
	int32	   *tl;
	int			n;

	tl = ArrayGetIntegerTypmods(ta, &n);
	if (n != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid type modifier"),
				 errdetail("face_embedding takes one modifier, the number of dimensions.")));
	if (tl[0] < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("dimensions for type face_embedding must be at least 1")));
	if (tl[0] > BX_MAX_DIM)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("dimensions for type face_embedding cannot exceed %d",
						BX_MAX_DIM)));
	PG_RETURN_INT32(tl[0]);
}

PG_FUNCTION_INFO_V1(face_embedding_typmod_out);
Datum
face_embedding_typmod_out(PG_FUNCTION_ARGS)
{
	int32		typmod = PG_GETARG_INT32(0);

	PG_RETURN_CSTRING(typmod < 0 ? pstrdup("") : psprintf("(%d)", typmod));
}

/* length coercion: face_embedding -> face_embedding(n) */
PG_FUNCTION_INFO_V1(face_embedding_typmod_coerce);
Datum
face_embedding_typmod_coerce(PG_FUNCTION_ARGS)
{
	FaceEmbedding e = PG_GETARG_FACE_EMBEDDING_P(0);
	int32		typmod = PG_GETARG_INT32(1);

	BxEmbeddingCheckTypmod(e, typmod);
	PG_RETURN_FACE_EMBEDDING_P(e);
}

/*
 * Binary input (lib/embedding_parse.c): the message must hold exactly one
 * value, checked before anything of its declared size is allocated.
 */
PG_FUNCTION_INFO_V1(face_embedding_recv);
Datum
face_embedding_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int32		typmod = PG_GETARG_INT32(2);
	BxEmbParsed parsed;
	FaceEmbedding result;

	ReportParseError(BxEmbParseBinary(buf->data + buf->cursor,
									  buf->len - buf->cursor, &parsed),
					 &parsed, NULL);
	result = BxEmbeddingNew(parsed.dim, parsed.tag, parsed.taglen);
	ReportParseError(BxEmbBinaryElements(&parsed, FE_X(result)), &parsed,
					 NULL);
	/* the whole message is consumed, as the callers check */
	buf->cursor = buf->len;
	BxEmbeddingCheckTypmod(result, typmod);
	PG_RETURN_FACE_EMBEDDING_P(result);
}

PG_FUNCTION_INFO_V1(face_embedding_send);
Datum
face_embedding_send(PG_FUNCTION_ARGS)
{
	FaceEmbedding e = PG_GETARG_FACE_EMBEDDING_P(0);
	float4	   *x = FE_X(e);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendint16(&buf, e->dim);
	pq_sendint8(&buf, e->taglen);
	pq_sendint8(&buf, 0);
	pq_sendbytes(&buf, FE_TAG(e), e->taglen);
	for (int i = 0; i < e->dim; i++)
		pq_sendfloat4(&buf, x[i]);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/*
 * Convert a one-dimensional array of real, double precision, numeric or
 * integer to an untagged face_embedding.
 */
PG_FUNCTION_INFO_V1(array_to_face_embedding);
Datum
array_to_face_embedding(PG_FUNCTION_ARGS)
{
	ArrayType  *array = PG_GETARG_ARRAYTYPE_P(0);
	int32		typmod = PG_GETARG_INT32(1);
	Oid			elemtype = ARR_ELEMTYPE(array);
	int16		typlen;
	bool		typbyval;
	char		typalign;
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	FaceEmbedding result;
	float4	   *x;

	if (ARR_NDIM(array) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("array must be one-dimensional")));
	/* check the count before deconstructing a huge array */
	BxEmbeddingCheckDim(ArrayGetNItems(ARR_NDIM(array), ARR_DIMS(array)));

	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	deconstruct_array(array, elemtype, typlen, typbyval, typalign,
					  &elems, &nulls, &n);

	result = BxEmbeddingNew(n, NULL, 0);
	x = FE_X(result);
	for (int i = 0; i < n; i++)
	{
		double		v;

		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("array must not contain nulls")));
		switch (elemtype)
		{
			case FLOAT4OID:
				v = DatumGetFloat4(elems[i]);
				break;
			case FLOAT8OID:
				v = DatumGetFloat8(elems[i]);
				break;
			case NUMERICOID:
				v = DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow,
													   elems[i]));
				break;
			case INT4OID:
				v = DatumGetInt32(elems[i]);
				break;
			default:
				ereport(ERROR,
						(errcode(ERRCODE_DATA_EXCEPTION),
						 errmsg("unsupported array element type %s",
								format_type_be(elemtype))));
				v = 0;			/* keep compiler quiet */
		}
		if (!isnan(v) && !isinf(v) && (v > FLT_MAX || v < -FLT_MAX))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("value %g is out of range for type face_embedding", v)));
		x[i] = (float4) v;
		BxEmbeddingCheckElement(x[i]);
	}
	BxEmbeddingCheckTypmod(result, typmod);
	PG_RETURN_FACE_EMBEDDING_P(result);
}

static ArrayType *
EmbeddingToArray(FaceEmbedding e, Oid elemtype)
{
	float4	   *x = FE_X(e);
	Datum	   *d = palloc(sizeof(Datum) * e->dim);

	for (int i = 0; i < e->dim; i++)
	{
		switch (elemtype)
		{
			case FLOAT4OID:
				d[i] = Float4GetDatum(x[i]);
				break;
			case FLOAT8OID:
				d[i] = Float8GetDatum((float8) x[i]);
				break;
			case NUMERICOID:
				d[i] = DirectFunctionCall1(float4_numeric, Float4GetDatum(x[i]));
				break;
			default:
				elog(ERROR, "unexpected element type %u", elemtype);
		}
	}
	if (elemtype == FLOAT4OID)
		return construct_array(d, e->dim, FLOAT4OID, sizeof(float4), true, TYPALIGN_INT);
	if (elemtype == FLOAT8OID)
		return construct_array(d, e->dim, FLOAT8OID, sizeof(float8),
							   FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
	return construct_array(d, e->dim, NUMERICOID, -1, false, TYPALIGN_INT);
}

PG_FUNCTION_INFO_V1(face_embedding_to_float4);
Datum
face_embedding_to_float4(PG_FUNCTION_ARGS)
{
	PG_RETURN_ARRAYTYPE_P(EmbeddingToArray(PG_GETARG_FACE_EMBEDDING_P(0), FLOAT4OID));
}

PG_FUNCTION_INFO_V1(face_embedding_to_float8);
Datum
face_embedding_to_float8(PG_FUNCTION_ARGS)
{
	PG_RETURN_ARRAYTYPE_P(EmbeddingToArray(PG_GETARG_FACE_EMBEDDING_P(0), FLOAT8OID));
}

PG_FUNCTION_INFO_V1(face_embedding_to_numeric);
Datum
face_embedding_to_numeric(PG_FUNCTION_ARGS)
{
	PG_RETURN_ARRAYTYPE_P(EmbeddingToArray(PG_GETARG_FACE_EMBEDDING_P(0), NUMERICOID));
}

/* bx_model(e): the model tag, or NULL for an untagged embedding */
PG_FUNCTION_INFO_V1(bx_model);
Datum
bx_model(PG_FUNCTION_ARGS)
{
	FaceEmbedding e = PG_GETARG_FACE_EMBEDDING_P(0);

	if (e->taglen == 0)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text_with_len(FE_TAG(e), e->taglen));
}

/* bx_set_model(e, tag): a copy of e carrying tag; '' removes the tag */
PG_FUNCTION_INFO_V1(bx_set_model);
Datum
bx_set_model(PG_FUNCTION_ARGS)
{
	FaceEmbedding e = PG_GETARG_FACE_EMBEDDING_P(0);
	text	   *tagtext = PG_GETARG_TEXT_PP(1);
	const char *tag = VARDATA_ANY(tagtext);
	int			taglen = VARSIZE_ANY_EXHDR(tagtext);
	FaceEmbedding result;

	BxEmbeddingCheckTag(tag, taglen);
	result = BxEmbeddingNew(e->dim, tag, taglen);
	memcpy(FE_X(result), FE_X(e), sizeof(float4) * e->dim);
	PG_RETURN_FACE_EMBEDDING_P(result);
}

/* bx_dims(e): number of dimensions */
PG_FUNCTION_INFO_V1(bx_dims);
Datum
bx_dims(PG_FUNCTION_ARGS)
{
	FaceEmbedding e = PG_GETARG_FACE_EMBEDDING_P(0);

	PG_RETURN_INT32(e->dim);
}
