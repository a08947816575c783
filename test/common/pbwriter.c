/*-------------------------------------------------------------------------
 *
 * pbwriter.c
 *	  A tiny protobuf writer for building ONNX models in the C tests.
 *
 * Field numbers follow onnx/onnx.proto.  Fields are written in the order a
 * protobuf serializer would use, except where tests want otherwise.
 *
 * test/common/pbwriter.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pbwriter.h"

static Pb  *allPbs = NULL;

Pb *
PbNew(void)
{
	Pb		   *pb = calloc(1, sizeof(Pb));

	if (pb == NULL)
		abort();
	pb->next = allPbs;
	allPbs = pb;
	return pb;
}

void
PbFreeAll(void)
{
	while (allPbs != NULL)
	{
		Pb		   *next = allPbs->next;

		free(allPbs->buf);
		free(allPbs);
		allPbs = next;
	}
}

void
PbRaw(Pb *pb, const void *data, size_t len)
{
	if (pb->len + len > pb->cap)
	{
		size_t		cap = pb->cap ? pb->cap : 64;

		while (cap < pb->len + len)
			cap *= 2;
		pb->buf = realloc(pb->buf, cap);
		if (pb->buf == NULL)
			abort();
		pb->cap = cap;
	}
	if (len > 0)
		memcpy(pb->buf + pb->len, data, len);
	pb->len += len;
}

void
PbVarint(Pb *pb, uint64_t v)
{
	uint8_t		b[10];
	int			n = 0;

	do
	{
		b[n] = (uint8_t) (v & 0x7f);
		v >>= 7;
		if (v)
			b[n] |= 0x80;
		n++;
	} while (v);
	PbRaw(pb, b, (size_t) n);
}

void
PbKey(Pb *pb, int field, int wireType)
{
	PbVarint(pb, ((uint64_t) field << 3) | (uint64_t) wireType);
}

void
PbInt(Pb *pb, int field, int64_t v)
{
	PbKey(pb, field, 0);
	PbVarint(pb, (uint64_t) v);
}

void
PbFloat(Pb *pb, int field, float f)
{
	uint32_t	u;
	uint8_t		b[4];

	memcpy(&u, &f, 4);
	b[0] = (uint8_t) u;
	b[1] = (uint8_t) (u >> 8);
	b[2] = (uint8_t) (u >> 16);
	b[3] = (uint8_t) (u >> 24);
	PbKey(pb, field, 5);
	PbRaw(pb, b, 4);
}

void
PbBytes(Pb *pb, int field, const void *data, size_t len)
{
	PbKey(pb, field, 2);
	PbVarint(pb, len);
	PbRaw(pb, data, len);
}

void
PbStr(Pb *pb, int field, const char *s)
{
	PbBytes(pb, field, s, strlen(s));
}

void
PbMsg(Pb *pb, int field, const Pb *sub)
{
	PbBytes(pb, field, sub->buf, sub->len);
}

static Pb *
Tensor(const char *name, int type, int rank, const int64_t *dims,
	   const void *data, size_t elemSize)
{
	Pb		   *t = PbNew();
	size_t		n = 1;
	int			i;
	uint8_t    *raw;

	for (i = 0; i < rank; i++)
	{
		PbInt(t, 1, dims[i]);
		n *= (size_t) dims[i];
	}
	PbInt(t, 2, type);
	PbStr(t, 8, name);
	/* little-endian raw_data, as exporters write it */
	raw = malloc(n * elemSize + 1);
	if (raw == NULL)
		abort();
	for (i = 0; (size_t) i < n * elemSize; i++)
	{
		size_t		e = (size_t) i / elemSize;
		size_t		byte = (size_t) i % elemSize;
		uint64_t	bits = 0;

		memcpy(&bits, (const uint8_t *) data + e * elemSize, elemSize);
		raw[i] = (uint8_t) (bits >> (8 * byte));
	}
	PbBytes(t, 9, raw, n * elemSize);
	free(raw);
	return t;
}

Pb *
OnnxTensorF(const char *name, int rank, const int64_t *dims, const float *data)
{
	return Tensor(name, ONNX_T_FLOAT, rank, dims, data, 4);
}

Pb *
OnnxTensorI64(const char *name, int rank, const int64_t *dims,
			  const int64_t *data)
{
	return Tensor(name, ONNX_T_INT64, rank, dims, data, 8);
}

Pb *
OnnxValueInfo(const char *name, int elemType, int rank, const int64_t *dims)
{
	Pb		   *vi = PbNew();
	Pb		   *type = PbNew();
	Pb		   *tensor = PbNew();
	Pb		   *shape = PbNew();
	int			i;

	PbInt(tensor, 1, elemType);
	for (i = 0; i < rank; i++)
	{
		Pb		   *dim = PbNew();

		if (dims[i] >= 0)
			PbInt(dim, 1, dims[i]);
		else
		{
			char		param[16];

			snprintf(param, sizeof(param), "d%d", i);
			PbStr(dim, 2, param);
		}
		PbMsg(shape, 1, dim);
	}
	if (rank >= 0)
		PbMsg(tensor, 2, shape);
	PbMsg(type, 1, tensor);
	PbStr(vi, 1, name);
	PbMsg(vi, 2, type);
	return vi;
}

static Pb *
Attr(const char *name, int type)
{
	Pb		   *a = PbNew();

	PbStr(a, 1, name);
	PbInt(a, 20, type);
	return a;
}

Pb *
OnnxAttrInt(const char *name, int64_t v)
{
	Pb		   *a = Attr(name, 2);

	PbInt(a, 3, v);
	return a;
}

Pb *
OnnxAttrInts(const char *name, int n, const int64_t *v)
{
	Pb		   *a = Attr(name, 7);
	int			i;

	for (i = 0; i < n; i++)
		PbInt(a, 8, v[i]);
	return a;
}

Pb *
OnnxAttrFloat(const char *name, float f)
{
	Pb		   *a = Attr(name, 1);

	PbFloat(a, 2, f);
	return a;
}

Pb *
OnnxAttrString(const char *name, const char *s)
{
	Pb		   *a = Attr(name, 3);

	PbStr(a, 4, s);
	return a;
}

Pb *
OnnxAttrTensor(const char *name, const Pb *tensor)
{
	Pb		   *a = Attr(name, 4);

	PbMsg(a, 5, tensor);
	return a;
}

/* Write each comma-separated name of list as field 'field' */
static void
Names(Pb *pb, int field, const char *list)
{
	const char *p = list;

	if (list == NULL || list[0] == '\0')
		return;
	for (;;)
	{
		const char *comma = strchr(p, ',');
		size_t		len = comma ? (size_t) (comma - p) : strlen(p);

		PbBytes(pb, field, p, len);
		if (comma == NULL)
			break;
		p = comma + 1;
	}
}

Pb *
OnnxNode(const char *op, const char *name, const char *inputs,
		 const char *outputs, Pb *const *attrs)
{
	Pb		   *n = PbNew();

	Names(n, 1, inputs);
	Names(n, 2, outputs);
	if (name != NULL)
		PbStr(n, 3, name);
	PbStr(n, 4, op);
	while (attrs != NULL && *attrs != NULL)
		PbMsg(n, 5, *attrs++);
	return n;
}

Pb *
OnnxGraph(Pb *const *nodes, Pb *const *inits, Pb *const *inputs,
		  Pb *const *outputs)
{
	Pb		   *g = PbNew();

	while (nodes != NULL && *nodes != NULL)
		PbMsg(g, 1, *nodes++);
	PbStr(g, 2, "test");
	while (inits != NULL && *inits != NULL)
		PbMsg(g, 5, *inits++);
	while (inputs != NULL && *inputs != NULL)
		PbMsg(g, 11, *inputs++);
	while (outputs != NULL && *outputs != NULL)
		PbMsg(g, 12, *outputs++);
	return g;
}

Pb *
OnnxModel(int64_t irVersion, int64_t opset, const Pb *graph)
{
	Pb		   *m = PbNew();
	Pb		   *os = PbNew();

	PbStr(os, 1, "");
	PbInt(os, 2, opset);
	PbInt(m, 1, irVersion);
	PbStr(m, 2, "bxexit-test");
	/* opset before graph, so that any strict prefix lacks a complete graph */
	PbMsg(m, 8, os);
	PbMsg(m, 7, graph);
	return m;
}

Pb *
OnnxOneNodeModel(const char *op, const char *inputs, Pb *const *attrs,
				 Pb *const *inits, int rank, const int64_t *xdims, int64_t opset)
{
	Pb		   *nodes[] = {OnnxNode(op, "n", inputs, "y", attrs), NULL};
	Pb		   *ins[] = {OnnxValueInfo("x", ONNX_T_FLOAT, rank, xdims), NULL};
	Pb		   *outs[] = {OnnxValueInfo("y", ONNX_T_FLOAT, -1, NULL), NULL};

	return OnnxModel(8, opset, OnnxGraph(nodes, inits, ins, outs));
}
