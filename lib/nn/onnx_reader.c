/*-------------------------------------------------------------------------
 *
 * onnx_reader.c
 *	  Read an ONNX model with the protobuf-c code generated from ONNX's own
 *	  onnx.proto, and copy what the library understands into OnnxModel.
 *
 * The wire format is decoded by protobuf-c (onnx.pb-c.c, generated at
 * build time by lib/nn/onnx_proto.mk from the onnx.proto that Debian's
 * python3-onnx or libonnx-dev installs; ONNX is Apache-2.0).  The input is
 * untrusted, and protobuf-c 1.4 leaves four gaps that this file closes
 * before calling it, in one walk over the bytes driven by the generated
 * descriptors (CheckMessage):
 *
 *	- nesting: protobuf-c recurses once per nested message with no limit,
 *	  and ONNX's schema is recursive (a GRAPH attribute holds nodes holding
 *	  attributes...), so a few kilobytes could exhaust the stack.  The walk
 *	  refuses nesting deeper than NN_MAX_PROTO_DEPTH.
 *	- strictness: protobuf-c takes the last of a repeated singular scalar,
 *	  merges repeated singular messages, lets the last member of a oneof
 *	  win, truncates int32 varints to 32 bits, accepts a varint's 10th byte
 *	  above 1 and cuts strings at an embedded NUL.  All of these are
 *	  refused, as the library's earlier hand-written decoder did.
 *	- messages: protobuf-c only returns NULL; the walk says what is wrong
 *	  and at which byte.
 *	- wire types and framing are checked there too, so unpacking fails
 *	  afterwards only for memory.
 *
 * Memory: the input length is checked against NN_MAX_MODEL_BYTES first;
 * protobuf-c then allocates through the caller's BxAllocator, capped at
 * twice the input plus NN_DECODE_SLACK, so an input of many tiny messages
 * cannot blow up 100-fold in memory.  Its small blocks come from a scratch
 * NnArena, released in one go after mapping; its large ones (tensor data,
 * NN_DIRECT_BYTES) from the model's arena, where the mapped OnnxModel
 * points at them rather than copying them again.  Names and small tensors
 * are copied into the model's arena.
 *
 * Unknown fields (newer ONNX versions) are ignored; fields of features the
 * library lacks (segments, external data, sparse tensors, GRAPH attributes
 * and the like) are rejected with BX_EUNSUPPORTED when mapping.
 *
 * lib/nn/onnx_reader.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "nn_internal.h"
#include "onnx.pb-c.h"

/* Protobuf wire types */
#define WT_VARINT	0
#define WT_FIXED64	1
#define WT_LEN		2
#define WT_FIXED32	5

/*
 * Scratch memory protobuf-c may use beyond twice the input length.  A
 * weight-heavy model needs about 1.1 times its length; protobuf-c's worst
 * case is near 150 times (an empty submessage costs 2 bytes on the wire
 * and a struct plus bookkeeping in memory), and a repeated scalar written
 * unpacked, as proto2 does by default, costs it 64 bytes of bookkeeping
 * per value while unpacking: 65536 INTS values, the attribute limit, take
 * about 5 MiB.
 */
#define NN_DECODE_SLACK		((size_t) 64 << 20)

typedef struct Reader
{
	const uint8_t *base;		/* start of the whole model, for offsets */
	NnArena    *arena;			/* the caller's: the mapped model */
	NnErr	   *err;
	size_t		tensorBytes;
} Reader;

/*
 * protobuf-c blocks above this size are taken from the model's arena, not
 * the scratch arena: in an ONNX file they are nearly all tensor payloads
 * (raw_data, float_data, int64_data), which the model then keeps as they
 * are instead of copying them once more.  The few others (bookkeeping of
 * messages with over 256 fields, long doc strings) stay with the model
 * unused, within the budget below.
 */
#define NN_DIRECT_BYTES		((size_t) 8192)

/* protobuf-c's allocator: a capped scratch arena */
typedef struct Scratch
{
	NnArena		arena;			/* small blocks, released after mapping */
	NnArena    *model;			/* large blocks */
	size_t		used;			/* bytes given to protobuf-c */
	size_t		budget;
	bool		overBudget;
	bool		failed;
} Scratch;

static BxStatus
Malformed(Reader *rd, const uint8_t *at, const char *what, const char *fmt,...)
			__attribute__((format(printf, 4, 5)));
static BxStatus
Invalid(Reader *rd, const char *what, const char *fmt,...)
			__attribute__((format(printf, 3, 4)));

/*
 * Report malformed input found at byte 'at' while checking message 'what'.
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

/*
 * Report a well-framed model whose content is inconsistent; found after
 * unpacking, so without a byte offset.
 */
static BxStatus
Invalid(Reader *rd, const char *what, const char *fmt,...)
{
	char		detail[200];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	return NnSetError(rd->err, BX_EFORMAT, "malformed model: %s in %s",
					  detail, what);
}

static BxStatus
OutOfMemory(Reader *rd)
{
	return NnSetError(rd->err, BX_ENOMEM, "out of memory while reading model");
}

/*
 * Decode a varint at *p; false if truncated or longer than 64 bits
 * (protobuf-c would accept a 10th byte above 1 and drop the excess).
 */
static bool
PbVarint(const uint8_t **p, const uint8_t *end, uint64_t *value)
{
	uint64_t	result = 0;
	int			shift = 0;

	while (*p < end)
	{
		uint8_t		byte = *(*p)++;

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

/* The wire type a non-packed value of a field type uses */
static int
WireTypeOf(ProtobufCType type)
{
	switch (type)
	{
		case PROTOBUF_C_TYPE_FIXED32:
		case PROTOBUF_C_TYPE_SFIXED32:
		case PROTOBUF_C_TYPE_FLOAT:
			return WT_FIXED32;
		case PROTOBUF_C_TYPE_FIXED64:
		case PROTOBUF_C_TYPE_SFIXED64:
		case PROTOBUF_C_TYPE_DOUBLE:
			return WT_FIXED64;
		case PROTOBUF_C_TYPE_STRING:
		case PROTOBUF_C_TYPE_BYTES:
		case PROTOBUF_C_TYPE_MESSAGE:
			return WT_LEN;
		default:
			return WT_VARINT;
	}
}

/* protobuf-c keeps only the low 32 bits of an int32 or enum varint */
static bool
FitsInt32(ProtobufCType type, uint64_t v)
{
	int64_t		s = (int64_t) v;

	if (type != PROTOBUF_C_TYPE_INT32 && type != PROTOBUF_C_TYPE_ENUM)
		return true;
	return s >= INT32_MIN && s <= INT32_MAX;
}

/* Check the payload of a packed repeated scalar field */
static BxStatus
CheckPacked(Reader *rd, const ProtobufCFieldDescriptor *field,
			const uint8_t *start, const uint8_t *p, size_t len,
			const char *what)
{
	const uint8_t *end = p + len;
	uint64_t	v;

	switch (WireTypeOf(field->type))
	{
		case WT_FIXED32:
		case WT_FIXED64:
			{
				size_t		size = WireTypeOf(field->type) == WT_FIXED32 ? 4 : 8;

				if (len % size != 0)
					return Malformed(rd, start, what,
									 "packed field '%s' length %zu is not a multiple of %zu",
									 field->name, len, size);
				return BX_OK;
			}
		default:
			while (p < end)
			{
				if (!PbVarint(&p, end, &v))
					return Malformed(rd, start, what,
									 "bad packed varint in field '%s'",
									 field->name);
				if (!FitsInt32(field->type, v))
					return Malformed(rd, start, what,
									 "field '%s' out of int32 range",
									 field->name);
			}
			return BX_OK;
	}
}

/*
 * Check the framing of message desc in data[0..len) and, recursively, of
 * every nested message the schema knows, before protobuf-c sees it.
 *
 * Protobuf rules followed: fields in any order, unknown fields skipped,
 * repeated scalars packed or not (a packed field may be split).  Stricter
 * than protobuf: a singular field twice, two members of one oneof, groups
 * (wire types 3 and 4), field number 0, int32 values out of range and
 * strings with NUL are errors.  depth counts the enclosing messages.
 */
static BxStatus
CheckMessage(Reader *rd, const ProtobufCMessageDescriptor *desc,
			 const uint8_t *data, size_t len, int depth)
{
	const uint8_t *p = data;
	const uint8_t *end = data + len;
	const char *what = desc->short_name;
	uint64_t	seen = 0;
	BxStatus	st;

	if (depth > NN_MAX_PROTO_DEPTH)
		return NnSetError(rd->err, BX_ELIMIT,
						  "model messages are nested more than %d deep (at byte %zu, %s)",
						  NN_MAX_PROTO_DEPTH, (size_t) (data - rd->base), what);
	while (p < end)
	{
		const uint8_t *start = p;
		const ProtobufCFieldDescriptor *field;
		uint64_t	key;
		uint64_t	v = 0;
		uint32_t	number;
		int			wireType;
		const uint8_t *payload = NULL;
		size_t		plen = 0;
		unsigned	idx;

		if (!PbVarint(&p, end, &key))
			return Malformed(rd, start, what, "bad or truncated field key");
		if ((key >> 3) == 0 || (key >> 3) > 0x1fffffff)
			return Malformed(rd, start, what, "invalid field number");
		number = (uint32_t) (key >> 3);
		wireType = (int) (key & 7);
		switch (wireType)
		{
			case WT_VARINT:
				if (!PbVarint(&p, end, &v))
					return Malformed(rd, start, what, "bad or truncated varint");
				break;
			case WT_FIXED64:
				if (end - p < 8)
					return Malformed(rd, start, what, "truncated fixed64");
				p += 8;
				break;
			case WT_FIXED32:
				if (end - p < 4)
					return Malformed(rd, start, what, "truncated fixed32");
				p += 4;
				break;
			case WT_LEN:
				if (!PbVarint(&p, end, &v))
					return Malformed(rd, start, what, "bad or truncated length");
				if (v > (uint64_t) (end - p))
					return Malformed(rd, start, what,
									 "length %llu exceeds the %zu bytes left",
									 (unsigned long long) v, (size_t) (end - p));
				payload = p;
				plen = (size_t) v;
				p += plen;
				break;
			default:
				return Malformed(rd, start, what,
								 "unsupported wire type %d (field %u)",
								 wireType, number);
		}

		field = protobuf_c_message_descriptor_get_field(desc, number);
		if (field == NULL)
			continue;			/* unknown: protobuf-c keeps an inert copy */

		if (field->label == PROTOBUF_C_LABEL_REPEATED && wireType == WT_LEN &&
			WireTypeOf(field->type) != WT_LEN)
		{
			if ((st = CheckPacked(rd, field, start, payload, plen, what)) != BX_OK)
				return st;
			continue;
		}
		if (wireType != WireTypeOf(field->type))
			return Malformed(rd, start, what,
							 "field '%s' has wire type %d, expected %d",
							 field->name, wireType, WireTypeOf(field->type));
		if (wireType == WT_VARINT && !FitsInt32(field->type, v))
			return Malformed(rd, start, what, "field '%s' out of int32 range",
							 field->name);
		if (field->type == PROTOBUF_C_TYPE_STRING && plen > 0 &&
			memchr(payload, '\0', plen) != NULL)
			return Malformed(rd, start, what, "string field '%s' contains NUL",
							 field->name);
		if (field->type == PROTOBUF_C_TYPE_MESSAGE &&
			(st = CheckMessage(rd, field->descriptor, payload, plen,
							   depth + 1)) != BX_OK)
			return st;

		/* onnx.proto's messages have fewer than 64 fields */
		idx = (unsigned) (field - desc->fields);
		if (field->label == PROTOBUF_C_LABEL_REPEATED || idx >= 64)
			continue;
		if (seen & ((uint64_t) 1 << idx))
			return Malformed(rd, start, what, "field '%s' appears twice",
							 field->name);
		if (field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
		{
			unsigned	j;

			/* members of one oneof share their case member's offset */
			for (j = 0; j < desc->n_fields && j < 64; j++)
				if ((seen & ((uint64_t) 1 << j)) &&
					(desc->fields[j].flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
					desc->fields[j].quantifier_offset == field->quantifier_offset)
					return Malformed(rd, start, what,
									 "fields '%s' and '%s' both given, only one may be",
									 desc->fields[j].name, field->name);
		}
		seen |= (uint64_t) 1 << idx;
	}
	return BX_OK;
}

static void *
ScratchAlloc(void *arg, size_t size)
{
	Scratch    *s = arg;
	void	   *p;

	if (size > s->budget || s->used > s->budget - size)
	{
		s->overBudget = true;
		return NULL;
	}
	s->used += size;
	p = NnArenaAllocUninit(size > NN_DIRECT_BYTES ? s->model : &s->arena, size);
	if (p == NULL)
		s->failed = true;
	return p;
}

/* Blocks are returned all at once when the scratch arena is released */
static void
ScratchFree(void *arg, void *ptr)
{
	(void) arg;
	(void) ptr;
}

/* Copy a name-like string (NULL means absent: "") into the model's arena */
static BxStatus
TakeString(Reader *rd, const char *s, const char *what, const char *field,
		   const char **out)
{
	size_t		len;
	char	   *copy;

	if (s == NULL || s[0] == '\0')
	{
		*out = "";
		return BX_OK;
	}
	len = strlen(s);
	if (len > NN_MAX_NAME)
		return NnSetError(rd->err, BX_ELIMIT,
						  "string field '%s' in %s is %zu bytes long (limit %d)",
						  field, what, len, NN_MAX_NAME);
	copy = NnArenaStrndup(rd->arena, s, len);
	if (copy == NULL)
		return OutOfMemory(rd);
	*out = copy;
	return BX_OK;
}

/* The same for a bytes field holding text (AttributeProto.s) */
static BxStatus
TakeBytesString(Reader *rd, const ProtobufCBinaryData *b, const char *what,
				const char *field, const char **out)
{
	char	   *copy;

	if (b->len > NN_MAX_NAME)
		return NnSetError(rd->err, BX_ELIMIT,
						  "string field '%s' in %s is %zu bytes long (limit %d)",
						  field, what, b->len, NN_MAX_NAME);
	if (b->len > 0 && memchr(b->data, '\0', b->len) != NULL)
		return Invalid(rd, what, "string field '%s' contains NUL", field);
	copy = NnArenaStrndup(rd->arena, (const char *) b->data, b->len);
	if (copy == NULL)
		return OutOfMemory(rd);
	*out = copy;
	return BX_OK;
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define NN_LITTLE_ENDIAN 1
#else
#define NN_LITTLE_ENDIAN 0
#endif

/* Copy n elements of 4 or 8 bytes, stored little-endian, as native values */
static void
CopyLittleEndian(void *dst, const uint8_t *src, size_t n, size_t size)
{
#if NN_LITTLE_ENDIAN
	memcpy(dst, src, n * size);
#else
	size_t		i;
	size_t		k;

	for (i = 0; i < n; i++)
	{
		uint64_t	v = 0;

		for (k = 0; k < size; k++)
			v |= (uint64_t) src[i * size + k] << (8 * k);
		if (size == 4)
		{
			uint32_t	w = (uint32_t) v;

			memcpy((uint8_t *) dst + i * 4, &w, 4);
		}
		else
			memcpy((uint8_t *) dst + i * 8, &v, 8);
	}
#endif
}

/*
 * Map a TensorProto.  'what' names the context for messages.
 *
 * Accepts FLOAT and INT64 tensors whose data are either raw_data
 * (little-endian) or the matching typed field, with exactly as many values
 * as the dims say.  Counts the decoded bytes against NN_MAX_WEIGHT_BYTES.
 */
static BxStatus
MapTensor(Reader *rd, const Onnx__TensorProto *tp, const char *what,
		  OnnxTensor *t)
{
	BxStatus	st;
	const char *tmsg = "TensorProto";
	size_t		elemSize;
	size_t		bytes;
	size_t		nfloat = tp->n_float_data;
	size_t		nint64 = tp->n_int64_data;
	bool		raw = tp->has_raw_data;
	char		name[64];
	int			unsupported = 0;

	memset(t, 0, sizeof(*t));
	if (tp->segment != NULL)
		return NnSetError(rd->err, BX_EUNSUPPORTED,
						  "%s: segmented tensors are not supported", what);
	if (tp->n_external_data > 0 ||
		(tp->has_data_location &&
		 tp->data_location != ONNX__TENSOR_PROTO__DATA_LOCATION__DEFAULT))
		return NnSetError(rd->err, BX_EUNSUPPORTED,
						  "%s: external tensor data are not supported", what);
	if (tp->n_int32_data > 0)
		unsupported = 5;
	else if (tp->n_string_data > 0)
		unsupported = 6;
	else if (tp->n_double_data > 0)
		unsupported = 10;
	else if (tp->n_uint64_data > 0)
		unsupported = 11;
	if (unsupported != 0)
		return NnSetError(rd->err, BX_EUNSUPPORTED,
						  "%s: tensor data field %d is not supported (only FLOAT and INT64 tensors are)",
						  what, unsupported);
	if ((st = TakeString(rd, tp->name, tmsg, "name", &t->name)) != BX_OK)
		return st;

	NnSafeName(name, sizeof(name), t->name);
	if (!tp->has_data_type)
		return Invalid(rd, tmsg, "tensor '%s' has no data_type", name);
	t->dataType = tp->data_type;
	if (t->dataType != ONNX_FLOAT && t->dataType != ONNX_INT64)
		return NnSetError(rd->err, BX_EUNSUPPORTED,
						  "%s: tensor '%s' has data type %s; only FLOAT and INT64 are supported",
						  what, name, NnDataTypeName(t->dataType));
	if (tp->n_dims > NN_MAX_DIMS)
		return NnSetError(rd->err, BX_ELIMIT,
						  "%s: tensor '%s' has %zu dimensions (limit %d)",
						  what, name, tp->n_dims, NN_MAX_DIMS);
	t->rank = (int) tp->n_dims;
	if (t->rank > 0)
		memcpy(t->dims, tp->dims, sizeof(int64_t) * tp->n_dims);
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
		(raw && (nfloat > 0 || nint64 > 0)))
		return Invalid(rd, tmsg, "tensor '%s' has data in more than one field",
					   name);
	if (raw)
	{
		if (tp->raw_data.len != bytes)
			return Invalid(rd, tmsg,
						   "tensor '%s' raw_data has %zu bytes, its dims need %zu",
						   name, tp->raw_data.len, bytes);
	}
	else if ((t->dataType == ONNX_FLOAT ? nfloat : nint64) != t->count)
		return Invalid(rd, tmsg, "tensor '%s' has %zu values, its dims need %zu",
					   name, t->dataType == ONNX_FLOAT ? nfloat : nint64,
					   t->count);

	if (bytes > NN_MAX_WEIGHT_BYTES - rd->tensorBytes)
		return NnSetError(rd->err, BX_ELIMIT,
						  "model tensors exceed the limit of %zu MiB",
						  NN_MAX_WEIGHT_BYTES >> 20);
	rd->tensorBytes += bytes;
	if (t->count == 0)
		return BX_OK;

	/*
	 * Large payloads are already in the model's arena (ScratchAlloc), with
	 * the alignment of its large blocks: keep them.  raw_data is
	 * little-endian, so only on a little-endian host.
	 */
	if (bytes > NN_DIRECT_BYTES && (!raw || NN_LITTLE_ENDIAN))
	{
		t->data = raw ? (void *) tp->raw_data.data :
			t->dataType == ONNX_FLOAT ? (void *) tp->float_data :
			(void *) tp->int64_data;
		return BX_OK;
	}
	t->data = NnArenaAllocUninit(rd->arena, bytes);
	if (t->data == NULL)
		return OutOfMemory(rd);
	if (raw)
		CopyLittleEndian(t->data, tp->raw_data.data, t->count, elemSize);
	else if (t->dataType == ONNX_FLOAT)
		memcpy(t->data, tp->float_data, bytes);
	else
		memcpy(t->data, tp->int64_data, bytes);
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
 * Map an AttributeProto of the node described by nodeDesc.
 *
 * Supported types: FLOAT, INT, STRING, TENSOR, FLOATS, INTS.  The 'type'
 * field is authoritative when present; very old models omit it, and then
 * the single value field present decides.
 */
static BxStatus
MapAttr(Reader *rd, const Onnx__AttributeProto *ap, const char *nodeDesc,
		OnnxAttr *a)
{
	BxStatus	st;
	int			presentType = 0;
	int			npresent = 0;
	int			unsupported = 0;
	char		name[64];
	char		ctx[256];
	const char *amsg = "AttributeProto";

	memset(a, 0, sizeof(*a));
	if ((st = TakeString(rd, ap->name, amsg, "name", &a->name)) != BX_OK)
		return st;
	if (ap->has_f)
	{
		presentType = ONNX_ATTR_FLOAT;
		npresent++;
	}
	if (ap->has_i)
	{
		presentType = ONNX_ATTR_INT;
		npresent++;
	}
	if (ap->has_s)
	{
		presentType = ONNX_ATTR_STRING;
		npresent++;
	}
	if (ap->t != NULL)
	{
		presentType = ONNX_ATTR_TENSOR;
		npresent++;
	}
	if (ap->n_floats > 0)
	{
		presentType = ONNX_ATTR_FLOATS;
		npresent++;
	}
	if (ap->n_ints > 0)
	{
		presentType = ONNX_ATTR_INTS;
		npresent++;
	}
	if (ap->g != NULL)
		unsupported = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH;
	else if (ap->n_graphs > 0)
		unsupported = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPHS;
	else if (ap->n_strings > 0)
		unsupported = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS;
	else if (ap->n_tensors > 0)
		unsupported = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSORS;
	else if (ap->sparse_tensor != NULL)
		unsupported = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__SPARSE_TENSOR;
	else if (ap->n_sparse_tensors > 0)
		unsupported = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__SPARSE_TENSORS;
	else if (ap->tp != NULL)
		unsupported = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TYPE_PROTO;
	else if (ap->n_type_protos > 0)
		unsupported = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TYPE_PROTOS;

	NnSafeName(name, sizeof(name), a->name);
	snprintf(ctx, sizeof(ctx), "attribute '%s' of %s", name, nodeDesc);
	if (a->name[0] == '\0')
		return Invalid(rd, amsg, "attribute without a name in %s", nodeDesc);
	if (ap->ref_attr_name != NULL)
		return NnSetError(rd->err, BX_EUNSUPPORTED,
						  "%s refers to a function attribute; functions are not supported",
						  ctx);
	if (unsupported != 0)
		return NnSetError(rd->err, BX_EUNSUPPORTED,
						  "%s has type %s, which is not supported",
						  ctx, AttrTypeName(unsupported));
	if (ap->n_floats > NN_MAX_ATTR_VALUES || ap->n_ints > NN_MAX_ATTR_VALUES)
		return NnSetError(rd->err, BX_ELIMIT,
						  "%s has more than %d values", ctx, NN_MAX_ATTR_VALUES);

	if (ap->has_type)
	{
		int			type = (int) ap->type;

		if (type != ONNX_ATTR_FLOAT && type != ONNX_ATTR_INT &&
			type != ONNX_ATTR_STRING && type != ONNX_ATTR_TENSOR &&
			type != ONNX_ATTR_FLOATS && type != ONNX_ATTR_INTS)
			return NnSetError(rd->err, BX_EUNSUPPORTED,
							  "%s has type %s, which is not supported",
							  ctx, AttrTypeName(type));
		/* a value field of another type contradicts the declared type */
		if (npresent > 1 || (npresent == 1 && presentType != type))
			return Invalid(rd, amsg, "%s declares type %s but holds other values",
						   ctx, AttrTypeName(type));
		if (type == ONNX_ATTR_TENSOR && ap->t == NULL)
			return Invalid(rd, amsg, "%s has no tensor", ctx);
		a->type = type;
	}
	else
	{
		if (npresent != 1)
			return Invalid(rd, amsg, "%s has no type and %d value fields", ctx,
						   npresent);
		a->type = presentType;
	}

	switch (a->type)
	{
		case ONNX_ATTR_FLOAT:
			a->f = ap->f;
			break;
		case ONNX_ATTR_INT:
			a->i = ap->i;
			break;
		case ONNX_ATTR_STRING:
			return TakeBytesString(rd, &ap->s, amsg, "s", &a->s);
		case ONNX_ATTR_TENSOR:
			a->t = NnArenaAlloc(rd->arena, sizeof(OnnxTensor));
			if (a->t == NULL)
				return OutOfMemory(rd);
			return MapTensor(rd, ap->t, ctx, a->t);
		case ONNX_ATTR_FLOATS:
			a->nvalues = (int) ap->n_floats;
			a->floats = NnArenaAllocUninit(rd->arena, sizeof(float) * ap->n_floats);
			if (a->floats == NULL)
				return OutOfMemory(rd);
			/* an empty list is NULL in protobuf-c */
			if (ap->n_floats > 0)
				memcpy(a->floats, ap->floats, sizeof(float) * ap->n_floats);
			break;
		case ONNX_ATTR_INTS:
			a->nvalues = (int) ap->n_ints;
			a->ints = NnArenaAllocUninit(rd->arena, sizeof(int64_t) * ap->n_ints);
			if (a->ints == NULL)
				return OutOfMemory(rd);
			if (ap->n_ints > 0)
				memcpy(a->ints, ap->ints, sizeof(int64_t) * ap->n_ints);
			break;
	}
	return BX_OK;
}

/* Map a NodeProto; index is its position, for messages */
static BxStatus
MapNode(Reader *rd, const Onnx__NodeProto *np, int index, OnnxNode *node)
{
	BxStatus	st;
	char		desc[128];
	char		name[64];
	const char *nmsg = "NodeProto";
	int			i;

	memset(node, 0, sizeof(*node));
	if ((st = TakeString(rd, np->name, nmsg, "name", &node->name)) != BX_OK ||
		(st = TakeString(rd, np->op_type, nmsg, "op_type", &node->opType)) != BX_OK ||
		(st = TakeString(rd, np->domain, nmsg, "domain", &node->domain)) != BX_OK)
		return st;
	if (node->opType[0] == '\0')
		return Invalid(rd, nmsg, "node #%d has no op_type", index);
	snprintf(desc, sizeof(desc), "node #%d '%s'", index,
			 NnSafeName(name, sizeof(name), node->name));
	if (np->n_input > NN_MAX_NODE_INPUTS || np->n_output > NN_MAX_NODE_OUTPUTS ||
		np->n_attribute > NN_MAX_ATTRS)
		return NnSetError(rd->err, BX_ELIMIT,
						  "%s has %zu inputs, %zu outputs, %zu attributes (limits %d, %d, %d)",
						  desc, np->n_input, np->n_output, np->n_attribute,
						  NN_MAX_NODE_INPUTS, NN_MAX_NODE_OUTPUTS, NN_MAX_ATTRS);

	node->inputs = NnArenaAlloc(rd->arena, sizeof(char *) * np->n_input);
	node->outputs = NnArenaAlloc(rd->arena, sizeof(char *) * np->n_output);
	node->attrs = NnArenaAlloc(rd->arena, sizeof(OnnxAttr) * np->n_attribute);
	if (node->inputs == NULL || node->outputs == NULL || node->attrs == NULL)
		return OutOfMemory(rd);
	for (; node->ninputs < (int) np->n_input; node->ninputs++)
		if ((st = TakeString(rd, np->input[node->ninputs], nmsg, "input",
							 &node->inputs[node->ninputs])) != BX_OK)
			return st;
	for (; node->noutputs < (int) np->n_output; node->noutputs++)
		if ((st = TakeString(rd, np->output[node->noutputs], nmsg, "output",
							 &node->outputs[node->noutputs])) != BX_OK)
			return st;
	for (; node->nattrs < (int) np->n_attribute; node->nattrs++)
		if ((st = MapAttr(rd, np->attribute[node->nattrs], desc,
						  &node->attrs[node->nattrs])) != BX_OK)
			return st;
	for (i = 0; i < node->nattrs; i++)
	{
		int			j;

		for (j = 0; j < i; j++)
			if (strcmp(node->attrs[i].name, node->attrs[j].name) == 0)
				return Invalid(rd, nmsg, "%s has attribute '%s' twice", desc,
							   NnSafeName(name, sizeof(name), node->attrs[i].name));
	}
	return BX_OK;
}

/* Map TypeProto.Tensor.shape into vi */
static BxStatus
MapShape(Reader *rd, const Onnx__TensorShapeProto *sp, OnnxValueInfo *vi)
{
	BxStatus	st;
	char		name[64];
	const char *dmsg = "TensorShapeProto.Dimension";
	int			i;

	if (sp->n_dim > NN_MAX_DIMS)
		return NnSetError(rd->err, BX_ELIMIT,
						  "value '%s' has more than %d dimensions",
						  NnSafeName(name, sizeof(name), vi->name), NN_MAX_DIMS);
	for (i = 0; i < (int) sp->n_dim; i++)
	{
		const Onnx__TensorShapeProto__Dimension *d = sp->dim[i];

		vi->dims[i] = -1;
		vi->dimParams[i] = NULL;
		if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE)
		{
			if (d->dim_value < 0)
				return Invalid(rd, dmsg, "negative dimension %lld",
							   (long long) d->dim_value);
			if (d->dim_value > NN_MAX_DIM_VALUE)
				return NnSetError(rd->err, BX_ELIMIT,
								  "value '%s' dimension %d is %lld (limit %lld)",
								  NnSafeName(name, sizeof(name), vi->name), i,
								  (long long) d->dim_value,
								  (long long) NN_MAX_DIM_VALUE);
			vi->dims[i] = d->dim_value;
		}
		else if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM &&
				 (st = TakeString(rd, d->dim_param, dmsg, "dim_param",
								  &vi->dimParams[i])) != BX_OK)
			return st;
	}
	vi->hasShape = true;
	vi->rank = (int) sp->n_dim;
	return BX_OK;
}

/* Map a ValueInfoProto; only tensor types are described, others leave isTensor false */
static BxStatus
MapValueInfo(Reader *rd, const Onnx__ValueInfoProto *vp, OnnxValueInfo *vi)
{
	BxStatus	st;
	const Onnx__TypeProto *type = vp->type;

	memset(vi, 0, sizeof(*vi));
	if ((st = TakeString(rd, vp->name, "ValueInfoProto", "name", &vi->name)) != BX_OK)
		return st;
	if (vi->name[0] == '\0')
		return Invalid(rd, "ValueInfoProto", "value without a name");
	if (type == NULL || type->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE)
		return BX_OK;
	vi->isTensor = true;
	if (type->tensor_type->has_elem_type)
		vi->elemType = type->tensor_type->elem_type;
	if (type->tensor_type->shape != NULL)
		return MapShape(rd, type->tensor_type->shape, vi);
	return BX_OK;
}

static BxStatus
MapValueInfos(Reader *rd, size_t n, Onnx__ValueInfoProto *const *src,
			  OnnxValueInfo **out, int *nout)
{
	BxStatus	st;

	*out = NnArenaAlloc(rd->arena, sizeof(OnnxValueInfo) * n);
	if (*out == NULL)
		return OutOfMemory(rd);
	for (; *nout < (int) n; (*nout)++)
		if ((st = MapValueInfo(rd, src[*nout], &(*out)[*nout])) != BX_OK)
			return st;
	return BX_OK;
}

static BxStatus
MapGraph(Reader *rd, const Onnx__GraphProto *g, OnnxModel *m)
{
	BxStatus	st;

	if (g->n_sparse_initializer > 0)
		return NnSetError(rd->err, BX_EUNSUPPORTED,
						  "sparse initializers are not supported");
	if (g->n_node > NN_MAX_NODES || g->n_initializer > NN_MAX_LIST ||
		g->n_value_info > NN_MAX_LIST || g->n_input > NN_MAX_IO ||
		g->n_output > NN_MAX_IO)
		return NnSetError(rd->err, BX_ELIMIT,
						  "graph has %zu nodes, %zu initializers, %zu value_info, %zu inputs, %zu outputs (limits %d, %d, %d, %d, %d)",
						  g->n_node, g->n_initializer, g->n_value_info,
						  g->n_input, g->n_output,
						  NN_MAX_NODES, NN_MAX_LIST, NN_MAX_LIST, NN_MAX_IO,
						  NN_MAX_IO);

	m->nodes = NnArenaAlloc(rd->arena, sizeof(OnnxNode) * g->n_node);
	m->inits = NnArenaAlloc(rd->arena, sizeof(OnnxTensor) * g->n_initializer);
	if (m->nodes == NULL || m->inits == NULL)
		return OutOfMemory(rd);
	for (; m->nnodes < (int) g->n_node; m->nnodes++)
		if ((st = MapNode(rd, g->node[m->nnodes], m->nnodes,
						  &m->nodes[m->nnodes])) != BX_OK)
			return st;
	for (; m->ninits < (int) g->n_initializer; m->ninits++)
	{
		OnnxTensor *t = &m->inits[m->ninits];

		if ((st = MapTensor(rd, g->initializer[m->ninits], "initializer", t)) != BX_OK)
			return st;
		if (t->name[0] == '\0')
			return Invalid(rd, "GraphProto", "initializer without a name");
	}
	if ((st = MapValueInfos(rd, g->n_input, g->input, &m->inputs,
							&m->ninputs)) != BX_OK ||
		(st = MapValueInfos(rd, g->n_output, g->output, &m->outputs,
							&m->noutputs)) != BX_OK ||
		(st = MapValueInfos(rd, g->n_value_info, g->value_info, &m->valueInfos,
							&m->nvalueInfos)) != BX_OK)
		return st;
	return BX_OK;
}

/* Record the default domain's version from the opset imports */
static BxStatus
MapOpsets(Reader *rd, const Onnx__ModelProto *mp, OnnxModel *m)
{
	size_t		i;

	if (mp->n_opset_import > NN_MAX_OPSETS)
		return NnSetError(rd->err, BX_ELIMIT, "more than %d opset imports",
						  NN_MAX_OPSETS);
	for (i = 0; i < mp->n_opset_import; i++)
	{
		const Onnx__OperatorSetIdProto *os = mp->opset_import[i];
		const char *domain = os->domain != NULL ? os->domain : "";
		int64_t		version = os->version;

		/* other domains only matter if a node uses them; graph.c rejects that */
		if (domain[0] != '\0' && strcmp(domain, "ai.onnx") != 0)
			continue;
		if (m->opset != 0)
			return Invalid(rd, "OperatorSetIdProto",
						   "default domain imported twice");
		if (version < NN_MIN_OPSET || version > NN_MAX_OPSET)
			return NnSetError(rd->err, BX_EUNSUPPORTED,
							  "opset version %lld of the default domain is not supported (supported: %d to %d)",
							  (long long) version, NN_MIN_OPSET, NN_MAX_OPSET);
		m->opset = version;
	}
	return BX_OK;
}

/*
 * Decode the ModelProto in data[0..len) into *m, allocating in arena.
 *
 * On failure the error is set and the arena may hold partial results; the
 * caller releases it.  protobuf-c's own memory is released before return.
 */
BxStatus
NnOnnxParse(const uint8_t *data, size_t len, NnArena *arena, OnnxModel *m,
			NnErr *err)
{
	Reader		rd;
	Scratch		scratch;
	ProtobufCAllocator pbAlloc;
	Onnx__ModelProto *mp;
	BxStatus	st;

	memset(m, 0, sizeof(*m));
	rd.base = data;
	rd.arena = arena;
	rd.err = err;
	rd.tensorBytes = 0;

	if (len == 0)
		return NnSetError(err, BX_EFORMAT, "malformed model: empty input");
	if (len > NN_MAX_MODEL_BYTES)
		return NnSetError(err, BX_ELIMIT,
						  "model is %zu bytes long (limit %zu MiB)",
						  len, NN_MAX_MODEL_BYTES >> 20);
	if ((st = CheckMessage(&rd, &onnx__model_proto__descriptor, data, len,
						   0)) != BX_OK)
		return st;

	NnArenaInit(&scratch.arena, &arena->alloc);
	scratch.model = arena;
	scratch.used = 0;
	scratch.budget = 2 * len + NN_DECODE_SLACK;
	scratch.overBudget = false;
	scratch.failed = false;
	pbAlloc.alloc = ScratchAlloc;
	pbAlloc.free = ScratchFree;
	pbAlloc.allocator_data = &scratch;
	mp = onnx__model_proto__unpack(&pbAlloc, len, data);
	if (mp == NULL)
	{
		NnArenaRelease(&scratch.arena);
		if (scratch.overBudget)
			return NnSetError(err, BX_ELIMIT,
							  "decoding the model needs more than %zu MiB",
							  scratch.budget >> 20);
		if (scratch.failed)
			return OutOfMemory(&rd);
		/* CheckMessage accepted it: can't happen */
		return NnSetError(err, BX_EFORMAT,
						  "malformed model: protobuf-c could not decode the ModelProto");
	}

	if ((st = MapOpsets(&rd, mp, m)) != BX_OK)
		goto done;
	if (!mp->has_ir_version)
	{
		st = NnSetError(err, BX_EFORMAT,
						"malformed model: no ir_version (not an ONNX model?)");
		goto done;
	}
	m->irVersion = mp->ir_version;
	if (m->irVersion < NN_MIN_IR_VERSION || m->irVersion > NN_MAX_IR_VERSION)
	{
		st = NnSetError(err, BX_EUNSUPPORTED,
						"ONNX IR version %lld is not supported (supported: %d to %d)",
						(long long) m->irVersion, NN_MIN_IR_VERSION,
						NN_MAX_IR_VERSION);
		goto done;
	}
	if (m->opset == 0)
	{
		st = NnSetError(err, BX_EFORMAT,
						"malformed model: no opset import for the default ONNX domain");
		goto done;
	}
	if (mp->graph == NULL)
	{
		st = NnSetError(err, BX_EFORMAT, "malformed model: no graph");
		goto done;
	}
	if ((st = MapGraph(&rd, mp->graph, m)) != BX_OK)
		goto done;
	m->tensorBytes = rd.tensorBytes;

done:
	/* every block protobuf-c took is in the scratch arena */
	NnArenaRelease(&scratch.arena);
	return st;
}
