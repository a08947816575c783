/*-------------------------------------------------------------------------
 *
 * onnx_reader.c
 *	  Strict decoder of the ONNX protobuf wire format (no protobuf library).
 *
 * The input is untrusted.  Every varint, length and count is checked
 * against the bytes left and against the limits of nn_internal.h before it
 * is used.  The decoder is not recursive in the data: it only descends the
 * fixed chain ModelProto > GraphProto > NodeProto > AttributeProto >
 * TensorProto (and ValueInfoProto > TypeProto > Tensor > Shape > Dimension),
 * and rejects subgraph attributes and nested non-tensor types without
 * looking inside them, so nesting depth is bounded by construction.
 *
 * Protobuf rules followed: fields may come in any order; unknown fields are
 * skipped; repeated scalars may be packed or not, and a packed field may be
 * split in several records.  Stricter than protobuf: a singular field that
 * appears twice is an error (protobuf would merge or take the last), as
 * are groups (wire types 3 and 4) and field number 0.
 *
 * Messages needing arrays are read twice: once to validate the framing and
 * count the repeated fields, then again to fill exactly sized arrays.
 *
 * lib/nn/onnx_reader.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "nn_internal.h"

/* Protobuf wire types */
#define WT_VARINT	0
#define WT_FIXED64	1
#define WT_LEN		2
#define WT_FIXED32	5

typedef struct Reader
{
	const uint8_t *base;		/* start of the whole model, for offsets */
	NnArena    *arena;
	NnErr	   *err;
	size_t		tensorBytes;
} Reader;

/* A byte range being decoded */
typedef struct PbBuf
{
	const uint8_t *p;
	const uint8_t *end;
} PbBuf;

/* One decoded field record */
typedef struct PbField
{
	uint32_t	number;
	int			wireType;
	const uint8_t *start;		/* where the record begins */
	uint64_t	varint;			/* WT_VARINT */
	uint32_t	fixed32;		/* WT_FIXED32 */
	const uint8_t *data;		/* WT_LEN */
	size_t		len;
} PbField;

static BxStatus
Malformed(Reader *rd, const uint8_t *at, const char *what, const char *fmt,...)
			__attribute__((format(printf, 4, 5)));

/*
 * Report malformed input found at byte 'at' while decoding message 'what'.
 */
static BxStatus
Malformed(Reader *rd, const uint8_t *at, const char *what, const char *fmt,...)
{
	char		detail[160];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	return NnSetError(rd->err, BX_EFORMAT,
					  "malformed model: %s at byte %zu in %s",
					  detail, (size_t) (at - rd->base), what);
}

static BxStatus
OutOfMemory(Reader *rd)
{
	return NnSetError(rd->err, BX_ENOMEM, "out of memory while reading model");
}

/* Decode a varint; false if truncated or longer than 64 bits */
static bool
PbVarint(PbBuf *buf, uint64_t *value)
{
	uint64_t	result = 0;
	int			shift = 0;

	while (buf->p < buf->end)
	{
		uint8_t		byte = *buf->p++;

		/* the tenth byte may only contribute the 64th bit */
		if (shift == 63 && byte > 1)
			return false;
		result |= (uint64_t) (byte & 0x7f) << shift;
		if ((byte & 0x80) == 0)
		{
			*value = result;
			return true;
		}
		shift += 7;
		if (shift > 63)
			return false;
	}
	return false;
}

static uint32_t
LoadLe32(const uint8_t *p)
{
	return (uint32_t) p[0] | ((uint32_t) p[1] << 8) |
		((uint32_t) p[2] << 16) | ((uint32_t) p[3] << 24);
}

static uint64_t
LoadLe64(const uint8_t *p)
{
	return (uint64_t) LoadLe32(p) | ((uint64_t) LoadLe32(p + 4) << 32);
}

static float
Le32ToFloat(uint32_t bits)
{
	float		f;

	memcpy(&f, &bits, sizeof(f));
	return f;
}

/*
 * Read the next field record of buf into f.
 *
 * Returns 1 if a field was read, 0 at the end of buf, -1 on malformed input
 * (with the error set).
 */
static int
PbNext(Reader *rd, PbBuf *buf, PbField *f, const char *what)
{
	uint64_t	key;
	uint64_t	len;

	if (buf->p >= buf->end)
		return 0;
	f->start = buf->p;
	if (!PbVarint(buf, &key))
	{
		Malformed(rd, f->start, what, "bad or truncated field key");
		return -1;
	}
	if ((key >> 3) == 0 || (key >> 3) > 0x1fffffff)
	{
		Malformed(rd, f->start, what, "invalid field number");
		return -1;
	}
	f->number = (uint32_t) (key >> 3);
	f->wireType = (int) (key & 7);
	switch (f->wireType)
	{
		case WT_VARINT:
			if (!PbVarint(buf, &f->varint))
			{
				Malformed(rd, f->start, what, "bad or truncated varint");
				return -1;
			}
			break;
		case WT_FIXED64:
			if (buf->end - buf->p < 8)
			{
				Malformed(rd, f->start, what, "truncated fixed64");
				return -1;
			}
			buf->p += 8;
			break;
		case WT_FIXED32:
			if (buf->end - buf->p < 4)
			{
				Malformed(rd, f->start, what, "truncated fixed32");
				return -1;
			}
			f->fixed32 = LoadLe32(buf->p);
			buf->p += 4;
			break;
		case WT_LEN:
			if (!PbVarint(buf, &len))
			{
				Malformed(rd, f->start, what, "bad or truncated length");
				return -1;
			}
			if (len > (uint64_t) (buf->end - buf->p))
			{
				Malformed(rd, f->start, what,
						  "length %llu exceeds the %zu bytes left",
						  (unsigned long long) len,
						  (size_t) (buf->end - buf->p));
				return -1;
			}
			f->data = buf->p;
			f->len = (size_t) len;
			buf->p += len;
			break;
		default:
			Malformed(rd, f->start, what,
					  "unsupported wire type %d (field %u)",
					  f->wireType, f->number);
			return -1;
	}
	return 1;
}

static BxStatus
ExpectWire(Reader *rd, const PbField *f, int wireType, const char *what,
		   const char *field)
{
	if (f->wireType != wireType)
		return Malformed(rd, f->start, what,
						 "field '%s' has wire type %d, expected %d",
						 field, f->wireType, wireType);
	return BX_OK;
}

/* Reject a second occurrence of a singular field; seen is a bit mask */
static BxStatus
Once(Reader *rd, const PbField *f, uint32_t *seen, int bit, const char *what,
	 const char *field)
{
	if (*seen & (1u << bit))
		return Malformed(rd, f->start, what, "field '%s' appears twice",
						 field);
	*seen |= 1u << bit;
	return BX_OK;
}

/* Copy a string field; rejects NULs and overlong strings */
static BxStatus
ReadString(Reader *rd, const PbField *f, const char *what, const char *field,
		   const char **out)
{
	BxStatus	st;
	char	   *s;

	if ((st = ExpectWire(rd, f, WT_LEN, what, field)) != BX_OK)
		return st;
	if (f->len > NN_MAX_NAME)
		return NnSetError(rd->err, BX_ELIMIT,
						  "string field '%s' in %s is %zu bytes long (limit %d)",
						  field, what, f->len, NN_MAX_NAME);
	if (f->len > 0 && memchr(f->data, '\0', f->len) != NULL)
		return Malformed(rd, f->start, what, "string field '%s' contains NUL",
						 field);
	s = NnArenaStrndup(rd->arena, (const char *) f->data, f->len);
	if (s == NULL)
		return OutOfMemory(rd);
	*out = s;
	return BX_OK;
}

static BxStatus
ReadInt64(Reader *rd, const PbField *f, const char *what, const char *field,
		  int64_t *out)
{
	BxStatus	st;

	if ((st = ExpectWire(rd, f, WT_VARINT, what, field)) != BX_OK)
		return st;
	*out = (int64_t) f->varint;
	return BX_OK;
}

/* An int32/enum field: protobuf sign-extends negatives to 64 bits */
static BxStatus
ReadInt32(Reader *rd, const PbField *f, const char *what, const char *field,
		  int32_t *out)
{
	BxStatus	st;
	int64_t		v;

	if ((st = ReadInt64(rd, f, what, field, &v)) != BX_OK)
		return st;
	if (v < INT32_MIN || v > INT32_MAX)
		return Malformed(rd, f->start, what, "field '%s' out of int32 range",
						 field);
	*out = (int32_t) v;
	return BX_OK;
}

/*
 * Count the values of a repeated varint field record, packed or not, and
 * validate the packed payload.
 */
static BxStatus
CountVarints(Reader *rd, const PbField *f, const char *what,
			 const char *field, size_t *count)
{
	PbBuf		b;
	uint64_t	dummy;

	if (f->wireType == WT_VARINT)
	{
		*count += 1;
		return BX_OK;
	}
	if (f->wireType != WT_LEN)
		return Malformed(rd, f->start, what,
						 "field '%s' has wire type %d", field, f->wireType);
	b.p = f->data;
	b.end = f->data + f->len;
	while (b.p < b.end)
	{
		if (!PbVarint(&b, &dummy))
			return Malformed(rd, f->start, what,
							 "bad packed varint in field '%s'", field);
		*count += 1;
	}
	return BX_OK;
}

/* Append the values of a counted varint record to out[*n..] */
static void
TakeVarints(const PbField *f, int64_t *out, size_t *n)
{
	PbBuf		b;
	uint64_t	v;

	if (f->wireType == WT_VARINT)
	{
		out[(*n)++] = (int64_t) f->varint;
		return;
	}
	b.p = f->data;
	b.end = f->data + f->len;
	/* validated by CountVarints */
	while (b.p < b.end && PbVarint(&b, &v))
		out[(*n)++] = (int64_t) v;
}

static BxStatus
CountFixed32s(Reader *rd, const PbField *f, const char *what,
			  const char *field, size_t *count)
{
	if (f->wireType == WT_FIXED32)
	{
		*count += 1;
		return BX_OK;
	}
	if (f->wireType != WT_LEN)
		return Malformed(rd, f->start, what,
						 "field '%s' has wire type %d", field, f->wireType);
	if (f->len % 4 != 0)
		return Malformed(rd, f->start, what,
						 "packed field '%s' length %zu is not a multiple of 4",
						 field, f->len);
	*count += f->len / 4;
	return BX_OK;
}

static void
TakeFloats(const PbField *f, float *out, size_t *n)
{
	size_t		i;

	if (f->wireType == WT_FIXED32)
	{
		out[(*n)++] = Le32ToFloat(f->fixed32);
		return;
	}
	for (i = 0; i + 4 <= f->len; i += 4)
		out[(*n)++] = Le32ToFloat(LoadLe32(f->data + i));
}

/*
 * Decode a TensorProto.  'what' names the context for messages.
 *
 * Accepts FLOAT and INT64 tensors whose data are either raw_data
 * (little-endian) or the matching typed field, with exactly as many values
 * as the dims say.  Counts the decoded bytes against NN_MAX_WEIGHT_BYTES.
 */
static BxStatus
ParseTensor(Reader *rd, const uint8_t *data, size_t len, const char *what,
			OnnxTensor *t)
{
	PbBuf		buf = {data, data + len};
	PbField		f;
	int			r;
	BxStatus	st;
	uint32_t	seen = 0;
	size_t		ndims = 0;
	size_t		nfloat = 0;
	size_t		nint64 = 0;
	const uint8_t *raw = NULL;
	size_t		rawLen = 0;
	bool		hasType = false;
	size_t		elemSize;
	size_t		bytes;
	int64_t		dims64[NN_MAX_DIMS];
	char		name[64];
	const char *tmsg = "TensorProto";

	memset(t, 0, sizeof(*t));
	t->name = "";

	/* pass 1: framing, singular fields, counts */
	while ((r = PbNext(rd, &buf, &f, tmsg)) == 1)
	{
		switch (f.number)
		{
			case 1:				/* dims */
				if ((st = CountVarints(rd, &f, tmsg, "dims", &ndims)) != BX_OK)
					return st;
				break;
			case 2:				/* data_type */
				if ((st = Once(rd, &f, &seen, 2, tmsg, "data_type")) != BX_OK ||
					(st = ReadInt32(rd, &f, tmsg, "data_type", &t->dataType)) != BX_OK)
					return st;
				hasType = true;
				break;
			case 3:
				return NnSetError(rd->err, BX_EUNSUPPORTED,
								  "%s: segmented tensors are not supported",
								  what);
			case 4:				/* float_data */
				if ((st = CountFixed32s(rd, &f, tmsg, "float_data", &nfloat)) != BX_OK)
					return st;
				break;
			case 7:				/* int64_data */
				if ((st = CountVarints(rd, &f, tmsg, "int64_data", &nint64)) != BX_OK)
					return st;
				break;
			case 8:				/* name */
				if ((st = Once(rd, &f, &seen, 8, tmsg, "name")) != BX_OK ||
					(st = ReadString(rd, &f, tmsg, "name", &t->name)) != BX_OK)
					return st;
				break;
			case 9:				/* raw_data */
				if ((st = Once(rd, &f, &seen, 9, tmsg, "raw_data")) != BX_OK ||
					(st = ExpectWire(rd, &f, WT_LEN, tmsg, "raw_data")) != BX_OK)
					return st;
				raw = f.data;
				rawLen = f.len;
				break;
			case 13:			/* external_data */
				return NnSetError(rd->err, BX_EUNSUPPORTED,
								  "%s: external tensor data are not supported",
								  what);
			case 14:			/* data_location */
				{
					int32_t		loc;

					if ((st = ReadInt32(rd, &f, tmsg, "data_location", &loc)) != BX_OK)
						return st;
					if (loc != 0)
						return NnSetError(rd->err, BX_EUNSUPPORTED,
										  "%s: external tensor data are not supported",
										  what);
				}
				break;
			case 5:				/* int32_data */
			case 6:				/* string_data */
			case 10:			/* double_data */
			case 11:			/* uint64_data */
				return NnSetError(rd->err, BX_EUNSUPPORTED,
								  "%s: tensor data field %u is not supported (only FLOAT and INT64 tensors are)",
								  what, f.number);
			default:
				break;			/* doc_string, metadata, future fields */
		}
	}
	if (r < 0)
		return BX_EFORMAT;

	NnSafeName(name, sizeof(name), t->name);
	if (!hasType)
		return Malformed(rd, data, tmsg, "tensor '%s' has no data_type", name);
	if (t->dataType != ONNX_FLOAT && t->dataType != ONNX_INT64)
		return NnSetError(rd->err, BX_EUNSUPPORTED,
						  "%s: tensor '%s' has data type %s; only FLOAT and INT64 are supported",
						  what, name, NnDataTypeName(t->dataType));
	if (ndims > NN_MAX_DIMS)
		return NnSetError(rd->err, BX_ELIMIT,
						  "%s: tensor '%s' has %zu dimensions (limit %d)",
						  what, name, ndims, NN_MAX_DIMS);

	/* pass 2: dims and data */
	t->rank = (int) ndims;
	if (ndims > 0)
	{
		size_t		n = 0;

		buf.p = data;
		while (PbNext(rd, &buf, &f, tmsg) == 1)
			if (f.number == 1)
				TakeVarints(&f, dims64, &n);
		memcpy(t->dims, dims64, sizeof(int64_t) * ndims);
	}
	if (!NnDimsCount(t->rank, t->dims, &t->count))
	{
		char		dims[128];

		NnFormatDims(dims, sizeof(dims), t->rank, t->dims);
		return NnSetError(rd->err, BX_ELIMIT,
						  "%s: tensor '%s' has dims %s: a dimension is negative or above %lld, or more than %lld elements",
						  what, name, dims, (long long) NN_MAX_DIM_VALUE,
						  (long long) NN_MAX_ELEMENTS);
	}

	elemSize = NnElemSize(t->dataType);
	bytes = t->count * elemSize;	/* <= 2^31, no overflow */
	if ((t->dataType == ONNX_FLOAT && nint64 > 0) ||
		(t->dataType == ONNX_INT64 && nfloat > 0) ||
		(raw != NULL && (nfloat > 0 || nint64 > 0)))
		return Malformed(rd, data, tmsg,
						 "tensor '%s' has data in more than one field", name);
	if (raw != NULL)
	{
		if (rawLen != bytes)
			return Malformed(rd, data, tmsg,
							 "tensor '%s' raw_data has %zu bytes, its dims need %zu",
							 name, rawLen, bytes);
	}
	else if ((t->dataType == ONNX_FLOAT ? nfloat : nint64) != t->count)
		return Malformed(rd, data, tmsg,
						 "tensor '%s' has %zu values, its dims need %zu",
						 name, t->dataType == ONNX_FLOAT ? nfloat : nint64,
						 t->count);

	if (bytes > NN_MAX_WEIGHT_BYTES - rd->tensorBytes)
		return NnSetError(rd->err, BX_ELIMIT,
						  "model tensors exceed the limit of %zu MiB",
						  NN_MAX_WEIGHT_BYTES >> 20);
	rd->tensorBytes += bytes;
	if (t->count == 0)
		return BX_OK;

	t->data = NnArenaAlloc(rd->arena, bytes);
	if (t->data == NULL)
		return OutOfMemory(rd);
	if (raw != NULL)
	{
		size_t		i;

		/* decode little-endian explicitly: no alignment or host assumption */
		if (t->dataType == ONNX_FLOAT)
		{
			float	   *out = t->data;

			for (i = 0; i < t->count; i++)
				out[i] = Le32ToFloat(LoadLe32(raw + 4 * i));
		}
		else
		{
			int64_t    *out = t->data;

			for (i = 0; i < t->count; i++)
				out[i] = (int64_t) LoadLe64(raw + 8 * i);
		}
	}
	else
	{
		size_t		n = 0;

		buf.p = data;
		while (PbNext(rd, &buf, &f, tmsg) == 1)
		{
			if (t->dataType == ONNX_FLOAT && f.number == 4)
				TakeFloats(&f, t->data, &n);
			else if (t->dataType == ONNX_INT64 && f.number == 7)
				TakeVarints(&f, t->data, &n);
		}
	}
	return BX_OK;
}

/* Name of an attribute type for messages */
static const char *
AttrTypeName(int type)
{
	static const char *const names[] = {
		"UNDEFINED", "FLOAT", "INT", "STRING", "TENSOR", "GRAPH", "FLOATS",
		"INTS", "STRINGS", "TENSORS", "GRAPHS", "SPARSE_TENSOR",
		"SPARSE_TENSORS", "TYPE_PROTO", "TYPE_PROTOS"
	};

	if (type >= 0 && type < (int) (sizeof(names) / sizeof(names[0])))
		return names[type];
	return "unknown";
}

/*
 * Decode an AttributeProto of the node described by nodeDesc.
 *
 * Supported types: FLOAT, INT, STRING, TENSOR, FLOATS, INTS.  The 'type'
 * field is authoritative when present; very old models omit it, and then
 * the single value field present decides.
 */
static BxStatus
ParseAttr(Reader *rd, const uint8_t *data, size_t len, const char *nodeDesc,
		  OnnxAttr *a)
{
	PbBuf		buf = {data, data + len};
	PbField		f;
	int			r;
	BxStatus	st;
	uint32_t	seen = 0;
	int32_t		type = 0;
	bool		hasType = false;
	int			presentType = 0;
	int			npresent = 0;
	size_t		nfloats = 0;
	size_t		nints = 0;
	const uint8_t *tdata = NULL;
	size_t		tlen = 0;
	const PbField *unsupported = NULL;
	PbField		unsupportedField;
	char		name[64];
	char		ctx[256];
	const char *amsg = "AttributeProto";

	memset(a, 0, sizeof(*a));
	a->name = "";
	while ((r = PbNext(rd, &buf, &f, amsg)) == 1)
	{
		switch (f.number)
		{
			case 1:
				if ((st = Once(rd, &f, &seen, 1, amsg, "name")) != BX_OK ||
					(st = ReadString(rd, &f, amsg, "name", &a->name)) != BX_OK)
					return st;
				break;
			case 20:
				if ((st = Once(rd, &f, &seen, 20, amsg, "type")) != BX_OK ||
					(st = ReadInt32(rd, &f, amsg, "type", &type)) != BX_OK)
					return st;
				hasType = true;
				break;
			case 2:
				if ((st = Once(rd, &f, &seen, 2, amsg, "f")) != BX_OK ||
					(st = ExpectWire(rd, &f, WT_FIXED32, amsg, "f")) != BX_OK)
					return st;
				a->f = Le32ToFloat(f.fixed32);
				presentType = ONNX_ATTR_FLOAT;
				npresent++;
				break;
			case 3:
				if ((st = Once(rd, &f, &seen, 3, amsg, "i")) != BX_OK ||
					(st = ReadInt64(rd, &f, amsg, "i", &a->i)) != BX_OK)
					return st;
				presentType = ONNX_ATTR_INT;
				npresent++;
				break;
			case 4:
				if ((st = Once(rd, &f, &seen, 4, amsg, "s")) != BX_OK ||
					(st = ReadString(rd, &f, amsg, "s", &a->s)) != BX_OK)
					return st;
				presentType = ONNX_ATTR_STRING;
				npresent++;
				break;
			case 5:
				if ((st = Once(rd, &f, &seen, 5, amsg, "t")) != BX_OK ||
					(st = ExpectWire(rd, &f, WT_LEN, amsg, "t")) != BX_OK)
					return st;
				tdata = f.data;
				tlen = f.len;
				presentType = ONNX_ATTR_TENSOR;
				npresent++;
				break;
			case 7:
				if (!(seen & (1u << 7)))
				{
					seen |= 1u << 7;
					presentType = ONNX_ATTR_FLOATS;
					npresent++;
				}
				if ((st = CountFixed32s(rd, &f, amsg, "floats", &nfloats)) != BX_OK)
					return st;
				break;
			case 8:
				if (!(seen & (1u << 8)))
				{
					seen |= 1u << 8;
					presentType = ONNX_ATTR_INTS;
					npresent++;
				}
				if ((st = CountVarints(rd, &f, amsg, "ints", &nints)) != BX_OK)
					return st;
				break;
			case 6:				/* g */
			case 9:				/* strings */
			case 10:			/* tensors */
			case 11:			/* graphs */
			case 14:			/* tp */
			case 15:			/* type_protos */
			case 21:			/* ref_attr_name */
			case 22:			/* sparse_tensor */
			case 23:			/* sparse_tensors */
				unsupportedField = f;
				unsupported = &unsupportedField;
				break;
			default:
				break;			/* doc_string, future fields */
		}
	}
	if (r < 0)
		return BX_EFORMAT;

	NnSafeName(name, sizeof(name), a->name);
	snprintf(ctx, sizeof(ctx), "attribute '%s' of %s", name, nodeDesc);
	if (a->name[0] == '\0')
		return Malformed(rd, data, amsg, "attribute without a name in %s",
						 nodeDesc);
	if (unsupported != NULL)
	{
		static const int fieldType[24] = {
			[6] = 5,[9] = 8,[10] = 9,[11] = 10,[14] = 13,[15] = 14,
			[22] = 11,[23] = 12
		};

		if (unsupported->number == 21)
			return NnSetError(rd->err, BX_EUNSUPPORTED,
							  "%s refers to a function attribute; functions are not supported",
							  ctx);
		return NnSetError(rd->err, BX_EUNSUPPORTED,
						  "%s has type %s, which is not supported",
						  ctx, AttrTypeName(fieldType[unsupported->number]));
	}
	if (nfloats > NN_MAX_ATTR_VALUES || nints > NN_MAX_ATTR_VALUES)
		return NnSetError(rd->err, BX_ELIMIT,
						  "%s has more than %d values", ctx, NN_MAX_ATTR_VALUES);

	if (hasType)
	{
		if (type != ONNX_ATTR_FLOAT && type != ONNX_ATTR_INT &&
			type != ONNX_ATTR_STRING && type != ONNX_ATTR_TENSOR &&
			type != ONNX_ATTR_FLOATS && type != ONNX_ATTR_INTS)
			return NnSetError(rd->err, BX_EUNSUPPORTED,
							  "%s has type %s, which is not supported",
							  ctx, AttrTypeName(type));
		/* a value field of another type contradicts the declared type */
		if (npresent > 1 || (npresent == 1 && presentType != type))
			return Malformed(rd, data, amsg,
							 "%s declares type %s but holds other values",
							 ctx, AttrTypeName(type));
		if (type == ONNX_ATTR_TENSOR && tdata == NULL)
			return Malformed(rd, data, amsg, "%s has no tensor", ctx);
		a->type = type;
	}
	else
	{
		if (npresent != 1)
			return Malformed(rd, data, amsg,
							 "%s has no type and %d value fields", ctx,
							 npresent);
		a->type = presentType;
	}

	if (a->type == ONNX_ATTR_STRING && a->s == NULL)
		a->s = "";
	if (a->type == ONNX_ATTR_TENSOR)
	{
		a->t = NnArenaAlloc(rd->arena, sizeof(OnnxTensor));
		if (a->t == NULL)
			return OutOfMemory(rd);
		if ((st = ParseTensor(rd, tdata, tlen, ctx, a->t)) != BX_OK)
			return st;
	}
	if (a->type == ONNX_ATTR_FLOATS || a->type == ONNX_ATTR_INTS)
	{
		size_t		n = 0;

		a->nvalues = (int) (a->type == ONNX_ATTR_FLOATS ? nfloats : nints);
		if (a->type == ONNX_ATTR_FLOATS)
			a->floats = NnArenaAlloc(rd->arena, sizeof(float) * nfloats);
		else
			a->ints = NnArenaAlloc(rd->arena, sizeof(int64_t) * nints);
		if (a->floats == NULL && a->ints == NULL)
			return OutOfMemory(rd);
		buf.p = data;
		while (PbNext(rd, &buf, &f, amsg) == 1)
		{
			if (a->type == ONNX_ATTR_FLOATS && f.number == 7)
				TakeFloats(&f, a->floats, &n);
			else if (a->type == ONNX_ATTR_INTS && f.number == 8)
				TakeVarints(&f, a->ints, &n);
		}
	}
	return BX_OK;
}

/* Decode a NodeProto; index is its position, for messages */
static BxStatus
ParseNode(Reader *rd, const uint8_t *data, size_t len, int index,
		  OnnxNode *node)
{
	PbBuf		buf = {data, data + len};
	PbField		f;
	int			r;
	BxStatus	st;
	uint32_t	seen = 0;
	size_t		nin = 0;
	size_t		nout = 0;
	size_t		nattr = 0;
	char		desc[128];
	char		name[64];
	const char *nmsg = "NodeProto";
	int			i;

	memset(node, 0, sizeof(*node));
	node->name = "";
	node->domain = "";
	while ((r = PbNext(rd, &buf, &f, nmsg)) == 1)
	{
		switch (f.number)
		{
			case 1:
				if ((st = ExpectWire(rd, &f, WT_LEN, nmsg, "input")) != BX_OK)
					return st;
				nin++;
				break;
			case 2:
				if ((st = ExpectWire(rd, &f, WT_LEN, nmsg, "output")) != BX_OK)
					return st;
				nout++;
				break;
			case 3:
				if ((st = Once(rd, &f, &seen, 3, nmsg, "name")) != BX_OK ||
					(st = ReadString(rd, &f, nmsg, "name", &node->name)) != BX_OK)
					return st;
				break;
			case 4:
				if ((st = Once(rd, &f, &seen, 4, nmsg, "op_type")) != BX_OK ||
					(st = ReadString(rd, &f, nmsg, "op_type", &node->opType)) != BX_OK)
					return st;
				break;
			case 5:
				if ((st = ExpectWire(rd, &f, WT_LEN, nmsg, "attribute")) != BX_OK)
					return st;
				nattr++;
				break;
			case 7:
				if ((st = Once(rd, &f, &seen, 7, nmsg, "domain")) != BX_OK ||
					(st = ReadString(rd, &f, nmsg, "domain", &node->domain)) != BX_OK)
					return st;
				break;
			default:
				break;			/* doc_string, overload, metadata */
		}
	}
	if (r < 0)
		return BX_EFORMAT;
	if (node->opType == NULL || node->opType[0] == '\0')
		return Malformed(rd, data, nmsg, "node #%d has no op_type", index);
	snprintf(desc, sizeof(desc), "node #%d '%s'", index,
			 NnSafeName(name, sizeof(name), node->name));
	if (nin > NN_MAX_NODE_INPUTS || nout > NN_MAX_NODE_OUTPUTS ||
		nattr > NN_MAX_ATTRS)
		return NnSetError(rd->err, BX_ELIMIT,
						  "%s has %zu inputs, %zu outputs, %zu attributes (limits %d, %d, %d)",
						  desc, nin, nout, nattr, NN_MAX_NODE_INPUTS,
						  NN_MAX_NODE_OUTPUTS, NN_MAX_ATTRS);

	node->inputs = NnArenaAlloc(rd->arena, sizeof(char *) * nin);
	node->outputs = NnArenaAlloc(rd->arena, sizeof(char *) * nout);
	node->attrs = NnArenaAlloc(rd->arena, sizeof(OnnxAttr) * nattr);
	if (node->inputs == NULL || node->outputs == NULL || node->attrs == NULL)
		return OutOfMemory(rd);

	buf.p = data;
	while (PbNext(rd, &buf, &f, nmsg) == 1)
	{
		switch (f.number)
		{
			case 1:
				if ((st = ReadString(rd, &f, nmsg, "input",
									 &node->inputs[node->ninputs++])) != BX_OK)
					return st;
				break;
			case 2:
				if ((st = ReadString(rd, &f, nmsg, "output",
									 &node->outputs[node->noutputs++])) != BX_OK)
					return st;
				break;
			case 5:
				if ((st = ParseAttr(rd, f.data, f.len, desc,
									&node->attrs[node->nattrs++])) != BX_OK)
					return st;
				break;
			default:
				break;
		}
	}
	for (i = 0; i < node->nattrs; i++)
	{
		int			j;

		for (j = 0; j < i; j++)
			if (strcmp(node->attrs[i].name, node->attrs[j].name) == 0)
				return Malformed(rd, data, nmsg,
								 "%s has attribute '%s' twice", desc,
								 NnSafeName(name, sizeof(name), node->attrs[i].name));
	}
	return BX_OK;
}

/* Decode TensorShapeProto.Dimension number i of vi */
static BxStatus
ParseDim(Reader *rd, const uint8_t *data, size_t len, OnnxValueInfo *vi,
		 int i)
{
	PbBuf		buf = {data, data + len};
	PbField		f;
	int			r;
	BxStatus	st;
	uint32_t	seen = 0;
	const char *dmsg = "TensorShapeProto.Dimension";

	vi->dims[i] = -1;
	vi->dimParams[i] = NULL;
	while ((r = PbNext(rd, &buf, &f, dmsg)) == 1)
	{
		if (f.number == 1)
		{
			int64_t		v;

			if ((st = Once(rd, &f, &seen, 1, dmsg, "dim_value")) != BX_OK ||
				(st = ReadInt64(rd, &f, dmsg, "dim_value", &v)) != BX_OK)
				return st;
			if (v < 0)
				return Malformed(rd, f.start, dmsg, "negative dimension %lld",
								 (long long) v);
			if (v > NN_MAX_DIM_VALUE)
			{
				char		name[64];

				return NnSetError(rd->err, BX_ELIMIT,
								  "value '%s' dimension %d is %lld (limit %lld)",
								  NnSafeName(name, sizeof(name), vi->name), i,
								  (long long) v, (long long) NN_MAX_DIM_VALUE);
			}
			vi->dims[i] = v;
		}
		else if (f.number == 2)
		{
			if ((st = Once(rd, &f, &seen, 2, dmsg, "dim_param")) != BX_OK ||
				(st = ReadString(rd, &f, dmsg, "dim_param", &vi->dimParams[i])) != BX_OK)
				return st;
		}
	}
	if (r < 0)
		return BX_EFORMAT;
	if ((seen & 6) == 6)
		return Malformed(rd, data, dmsg, "dimension has both value and param");
	return BX_OK;
}

static BxStatus
ParseShape(Reader *rd, const uint8_t *data, size_t len, OnnxValueInfo *vi)
{
	PbBuf		buf = {data, data + len};
	PbField		f;
	int			r;
	BxStatus	st;
	int			n = 0;
	const char *smsg = "TensorShapeProto";

	while ((r = PbNext(rd, &buf, &f, smsg)) == 1)
	{
		if (f.number != 1)
			continue;
		if ((st = ExpectWire(rd, &f, WT_LEN, smsg, "dim")) != BX_OK)
			return st;
		if (n >= NN_MAX_DIMS)
		{
			char		name[64];

			return NnSetError(rd->err, BX_ELIMIT,
							  "value '%s' has more than %d dimensions",
							  NnSafeName(name, sizeof(name), vi->name),
							  NN_MAX_DIMS);
		}
		if ((st = ParseDim(rd, f.data, f.len, vi, n)) != BX_OK)
			return st;
		n++;
	}
	if (r < 0)
		return BX_EFORMAT;
	vi->hasShape = true;
	vi->rank = n;
	return BX_OK;
}

/* TypeProto.Tensor */
static BxStatus
ParseTensorType(Reader *rd, const uint8_t *data, size_t len,
				OnnxValueInfo *vi)
{
	PbBuf		buf = {data, data + len};
	PbField		f;
	int			r;
	BxStatus	st;
	uint32_t	seen = 0;
	const char *tmsg = "TypeProto.Tensor";

	while ((r = PbNext(rd, &buf, &f, tmsg)) == 1)
	{
		if (f.number == 1)
		{
			if ((st = Once(rd, &f, &seen, 1, tmsg, "elem_type")) != BX_OK ||
				(st = ReadInt32(rd, &f, tmsg, "elem_type", &vi->elemType)) != BX_OK)
				return st;
		}
		else if (f.number == 2)
		{
			if ((st = Once(rd, &f, &seen, 2, tmsg, "shape")) != BX_OK ||
				(st = ExpectWire(rd, &f, WT_LEN, tmsg, "shape")) != BX_OK ||
				(st = ParseShape(rd, f.data, f.len, vi)) != BX_OK)
				return st;
		}
	}
	return r < 0 ? BX_EFORMAT : BX_OK;
}

/* TypeProto: only tensor types are decoded; others leave isTensor false */
static BxStatus
ParseType(Reader *rd, const uint8_t *data, size_t len, OnnxValueInfo *vi)
{
	PbBuf		buf = {data, data + len};
	PbField		f;
	int			r;
	BxStatus	st;
	int			nvalue = 0;
	const char *tmsg = "TypeProto";

	while ((r = PbNext(rd, &buf, &f, tmsg)) == 1)
	{
		switch (f.number)
		{
			case 1:				/* tensor_type */
				if ((st = ExpectWire(rd, &f, WT_LEN, tmsg, "tensor_type")) != BX_OK ||
					(st = ParseTensorType(rd, f.data, f.len, vi)) != BX_OK)
					return st;
				vi->isTensor = true;
				nvalue++;
				break;
			case 4:				/* sequence_type */
			case 5:				/* map_type */
			case 8:				/* sparse_tensor_type */
			case 9:				/* optional_type */
				nvalue++;
				break;
			default:
				break;
		}
	}
	if (r < 0)
		return BX_EFORMAT;
	if (nvalue > 1)
		return Malformed(rd, data, tmsg, "more than one type given");
	return BX_OK;
}

static BxStatus
ParseValueInfo(Reader *rd, const uint8_t *data, size_t len,
			   OnnxValueInfo *vi)
{
	PbBuf		buf = {data, data + len};
	PbField		f;
	int			r;
	BxStatus	st;
	uint32_t	seen = 0;
	const char *vmsg = "ValueInfoProto";

	memset(vi, 0, sizeof(*vi));
	vi->name = "";
	while ((r = PbNext(rd, &buf, &f, vmsg)) == 1)
	{
		if (f.number == 1)
		{
			if ((st = Once(rd, &f, &seen, 1, vmsg, "name")) != BX_OK ||
				(st = ReadString(rd, &f, vmsg, "name", &vi->name)) != BX_OK)
				return st;
		}
		else if (f.number == 2)
		{
			if ((st = Once(rd, &f, &seen, 2, vmsg, "type")) != BX_OK ||
				(st = ExpectWire(rd, &f, WT_LEN, vmsg, "type")) != BX_OK ||
				(st = ParseType(rd, f.data, f.len, vi)) != BX_OK)
				return st;
		}
	}
	if (r < 0)
		return BX_EFORMAT;
	if (vi->name[0] == '\0')
		return Malformed(rd, data, vmsg, "value without a name");
	return BX_OK;
}

static BxStatus
ParseGraph(Reader *rd, const uint8_t *data, size_t len, OnnxModel *m)
{
	PbBuf		buf = {data, data + len};
	PbField		f;
	int			r;
	BxStatus	st;
	size_t		nnodes = 0;
	size_t		ninits = 0;
	size_t		ninputs = 0;
	size_t		noutputs = 0;
	size_t		nvi = 0;
	const char *gmsg = "GraphProto";

	while ((r = PbNext(rd, &buf, &f, gmsg)) == 1)
	{
		size_t	   *counter = NULL;
		const char *field = NULL;

		switch (f.number)
		{
			case 1:
				counter = &nnodes;
				field = "node";
				break;
			case 5:
				counter = &ninits;
				field = "initializer";
				break;
			case 11:
				counter = &ninputs;
				field = "input";
				break;
			case 12:
				counter = &noutputs;
				field = "output";
				break;
			case 13:
				counter = &nvi;
				field = "value_info";
				break;
			case 15:
				return NnSetError(rd->err, BX_EUNSUPPORTED,
								  "sparse initializers are not supported");
			default:
				break;			/* name, doc_string, quantization, metadata */
		}
		if (counter != NULL)
		{
			if ((st = ExpectWire(rd, &f, WT_LEN, gmsg, field)) != BX_OK)
				return st;
			(*counter)++;
		}
	}
	if (r < 0)
		return BX_EFORMAT;
	if (nnodes > NN_MAX_NODES || ninits > NN_MAX_LIST || nvi > NN_MAX_LIST ||
		ninputs > NN_MAX_IO || noutputs > NN_MAX_IO)
		return NnSetError(rd->err, BX_ELIMIT,
						  "graph has %zu nodes, %zu initializers, %zu value_info, %zu inputs, %zu outputs (limits %d, %d, %d, %d, %d)",
						  nnodes, ninits, nvi, ninputs, noutputs,
						  NN_MAX_NODES, NN_MAX_LIST, NN_MAX_LIST, NN_MAX_IO,
						  NN_MAX_IO);

	m->nodes = NnArenaAlloc(rd->arena, sizeof(OnnxNode) * nnodes);
	m->inits = NnArenaAlloc(rd->arena, sizeof(OnnxTensor) * ninits);
	m->inputs = NnArenaAlloc(rd->arena, sizeof(OnnxValueInfo) * ninputs);
	m->outputs = NnArenaAlloc(rd->arena, sizeof(OnnxValueInfo) * noutputs);
	m->valueInfos = NnArenaAlloc(rd->arena, sizeof(OnnxValueInfo) * nvi);
	if (m->nodes == NULL || m->inits == NULL || m->inputs == NULL ||
		m->outputs == NULL || m->valueInfos == NULL)
		return OutOfMemory(rd);

	buf.p = data;
	while (PbNext(rd, &buf, &f, gmsg) == 1)
	{
		switch (f.number)
		{
			case 1:
				st = ParseNode(rd, f.data, f.len, m->nnodes,
							   &m->nodes[m->nnodes]);
				m->nnodes++;
				break;
			case 5:
				st = ParseTensor(rd, f.data, f.len, "initializer",
								 &m->inits[m->ninits]);
				if (st == BX_OK && m->inits[m->ninits].name[0] == '\0')
					st = Malformed(rd, f.start, gmsg,
								   "initializer without a name");
				m->ninits++;
				break;
			case 11:
				st = ParseValueInfo(rd, f.data, f.len,
									&m->inputs[m->ninputs++]);
				break;
			case 12:
				st = ParseValueInfo(rd, f.data, f.len,
									&m->outputs[m->noutputs++]);
				break;
			case 13:
				st = ParseValueInfo(rd, f.data, f.len,
									&m->valueInfos[m->nvalueInfos++]);
				break;
			default:
				st = BX_OK;
				break;
		}
		if (st != BX_OK)
			return st;
	}
	return BX_OK;
}

/* Decode OperatorSetIdProto and record the default domain's version */
static BxStatus
ParseOpset(Reader *rd, const uint8_t *data, size_t len, OnnxModel *m)
{
	PbBuf		buf = {data, data + len};
	PbField		f;
	int			r;
	BxStatus	st;
	uint32_t	seen = 0;
	const char *domain = "";
	int64_t		version = 0;
	const char *omsg = "OperatorSetIdProto";

	while ((r = PbNext(rd, &buf, &f, omsg)) == 1)
	{
		if (f.number == 1)
		{
			if ((st = Once(rd, &f, &seen, 1, omsg, "domain")) != BX_OK ||
				(st = ReadString(rd, &f, omsg, "domain", &domain)) != BX_OK)
				return st;
		}
		else if (f.number == 2)
		{
			if ((st = Once(rd, &f, &seen, 2, omsg, "version")) != BX_OK ||
				(st = ReadInt64(rd, &f, omsg, "version", &version)) != BX_OK)
				return st;
		}
	}
	if (r < 0)
		return BX_EFORMAT;
	if (domain[0] == '\0' || strcmp(domain, "ai.onnx") == 0)
	{
		if (m->opset != 0)
			return Malformed(rd, data, omsg,
							 "default domain imported twice");
		if (version < NN_MIN_OPSET || version > NN_MAX_OPSET)
			return NnSetError(rd->err, BX_EUNSUPPORTED,
							  "opset version %lld of the default domain is not supported (supported: %d to %d)",
							  (long long) version, NN_MIN_OPSET, NN_MAX_OPSET);
		m->opset = version;
	}
	/* other domains only matter if a node uses them; graph.c rejects that */
	return BX_OK;
}

/*
 * Decode the ModelProto in data[0..len) into *m, allocating in arena.
 *
 * On failure the error is set and the arena may hold partial results; the
 * caller releases it.
 */
BxStatus
NnOnnxParse(const uint8_t *data, size_t len, NnArena *arena, OnnxModel *m,
			NnErr *err)
{
	Reader		rd;
	PbBuf		buf = {data, data + len};
	PbField		f;
	int			r;
	BxStatus	st;
	uint32_t	seen = 0;
	const uint8_t *graph = NULL;
	size_t		graphLen = 0;
	size_t		nopsets = 0;
	const char *mmsg = "ModelProto";

	memset(m, 0, sizeof(*m));
	rd.base = data;
	rd.arena = arena;
	rd.err = err;
	rd.tensorBytes = 0;

	if (len == 0)
		return NnSetError(err, BX_EFORMAT, "malformed model: empty input");
	while ((r = PbNext(&rd, &buf, &f, mmsg)) == 1)
	{
		switch (f.number)
		{
			case 1:
				if ((st = Once(&rd, &f, &seen, 1, mmsg, "ir_version")) != BX_OK ||
					(st = ReadInt64(&rd, &f, mmsg, "ir_version", &m->irVersion)) != BX_OK)
					return st;
				break;
			case 7:
				if ((st = Once(&rd, &f, &seen, 7, mmsg, "graph")) != BX_OK ||
					(st = ExpectWire(&rd, &f, WT_LEN, mmsg, "graph")) != BX_OK)
					return st;
				graph = f.data;
				graphLen = f.len;
				break;
			case 8:
				if ((st = ExpectWire(&rd, &f, WT_LEN, mmsg, "opset_import")) != BX_OK)
					return st;
				if (++nopsets > NN_MAX_OPSETS)
					return NnSetError(err, BX_ELIMIT,
									  "more than %d opset imports",
									  NN_MAX_OPSETS);
				if ((st = ParseOpset(&rd, f.data, f.len, m)) != BX_OK)
					return st;
				break;
			default:
				break;			/* producer, doc, metadata, functions, ... */
		}
	}
	if (r < 0)
		return BX_EFORMAT;
	if (!(seen & (1u << 1)))
		return NnSetError(err, BX_EFORMAT,
						  "malformed model: no ir_version (not an ONNX model?)");
	if (m->irVersion < NN_MIN_IR_VERSION || m->irVersion > NN_MAX_IR_VERSION)
		return NnSetError(err, BX_EUNSUPPORTED,
						  "ONNX IR version %lld is not supported (supported: %d to %d)",
						  (long long) m->irVersion, NN_MIN_IR_VERSION,
						  NN_MAX_IR_VERSION);
	if (m->opset == 0)
		return NnSetError(err, BX_EFORMAT,
						  "malformed model: no opset import for the default ONNX domain");
	if (graph == NULL)
		return NnSetError(err, BX_EFORMAT, "malformed model: no graph");
	if ((st = ParseGraph(&rd, graph, graphLen, m)) != BX_OK)
		return st;
	m->tensorBytes = rd.tensorBytes;
	return BX_OK;
}
