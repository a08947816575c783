/*-------------------------------------------------------------------------
 *
 * node.c
 *	  Helpers for the operators' prepare functions: attribute access with
 *	  type checks, input/output access, output shapes, broadcasting, node
 *	  error messages and the per-run work estimate.
 *
 * lib/nn/node.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "nn_internal.h"

/* Describe a node for messages: "node 'conv1' (Conv)" or "node #3 (Conv)" */
void
NnNodeDesc(const NnNode *node, char *out, size_t outlen)
{
	char		name[64];
	char		op[40];

	NnSafeName(op, sizeof(op), node->src->opType);
	if (node->src->name[0] != '\0')
		snprintf(out, outlen, "node '%s' (%s)",
				 NnSafeName(name, sizeof(name), node->src->name), op);
	else
		snprintf(out, outlen, "node #%d (%s)", node->index, op);
}

BxStatus
NnNodeError(NnBuild *b, const NnNode *node, BxStatus status,
			const char *fmt,...)
{
	char		desc[128];
	char		detail[192];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	NnNodeDesc(node, desc, sizeof(desc));
	return NnSetError(b->err, status, "%s: %s", desc, detail);
}

const OnnxAttr *
NnFindAttr(const NnNode *node, const char *name)
{
	int			i;

	for (i = 0; i < node->src->nattrs; i++)
		if (strcmp(node->src->attrs[i].name, name) == 0)
			return &node->src->attrs[i];
	return NULL;
}

/* Reject attributes not in the NULL-terminated list allowed */
BxStatus
NnCheckAttrNames(NnBuild *b, const NnNode *node, const char *const *allowed)
{
	int			i;

	for (i = 0; i < node->src->nattrs; i++)
	{
		const char *const *a;
		char		name[64];

		for (a = allowed; *a != NULL; a++)
			if (strcmp(node->src->attrs[i].name, *a) == 0)
				break;
		if (*a == NULL)
			return NnNodeError(b, node, BX_EUNSUPPORTED,
							   "attribute '%s' is not supported",
							   NnSafeName(name, sizeof(name),
										  node->src->attrs[i].name));
	}
	return BX_OK;
}

static BxStatus
AttrTypeError(NnBuild *b, const NnNode *node, const char *name,
			  const char *type)
{
	return NnNodeError(b, node, BX_EFORMAT,
					   "attribute '%s' must have type %s", name, type);
}

BxStatus
NnAttrInt(NnBuild *b, const NnNode *node, const char *name, int64_t defval,
		  int64_t *out)
{
	const OnnxAttr *a = NnFindAttr(node, name);

	*out = defval;
	if (a == NULL)
		return BX_OK;
	if (a->type != ONNX_ATTR_INT)
		return AttrTypeError(b, node, name, "INT");
	*out = a->i;
	return BX_OK;
}

BxStatus
NnAttrFloat(NnBuild *b, const NnNode *node, const char *name, float defval,
			float *out)
{
	const OnnxAttr *a = NnFindAttr(node, name);

	*out = defval;
	if (a == NULL)
		return BX_OK;
	if (a->type != ONNX_ATTR_FLOAT)
		return AttrTypeError(b, node, name, "FLOAT");
	*out = a->f;
	return BX_OK;
}

BxStatus
NnAttrString(NnBuild *b, const NnNode *node, const char *name,
			 const char *defval, const char **out)
{
	const OnnxAttr *a = NnFindAttr(node, name);

	*out = defval;
	if (a == NULL)
		return BX_OK;
	if (a->type != ONNX_ATTR_STRING)
		return AttrTypeError(b, node, name, "STRING");
	*out = a->s;
	return BX_OK;
}

/*
 * Read an INTS attribute into out[0..maxvalues).  *present tells whether
 * the attribute exists; more than maxvalues values is an error.
 */
BxStatus
NnAttrInts(NnBuild *b, const NnNode *node, const char *name, int maxvalues,
		   int64_t *out, int *nout, bool *present)
{
	const OnnxAttr *a = NnFindAttr(node, name);

	*nout = 0;
	*present = false;
	if (a == NULL)
		return BX_OK;
	if (a->type != ONNX_ATTR_INTS)
		return AttrTypeError(b, node, name, "INTS");
	if (a->nvalues > maxvalues)
		return NnNodeError(b, node, BX_EUNSUPPORTED,
						   "attribute '%s' has %d values (at most %d supported)",
						   name, a->nvalues, maxvalues);
	memcpy(out, a->ints, sizeof(int64_t) * (size_t) a->nvalues);
	*nout = a->nvalues;
	*present = true;
	return BX_OK;
}

/* Input i of node, NULL if omitted or beyond the node's inputs */
NnValue *
NnIn(NnBuild *b, const NnNode *node, int i)
{
	(void) b;
	if (i < 0 || i >= node->ninputs)
		return NULL;
	return node->inv[i];
}

NnValue *
NnOut(NnBuild *b, const NnNode *node, int i)
{
	(void) b;
	if (i < 0 || i >= node->noutputs)
		return NULL;
	return node->outv[i];
}

BxStatus
NnRequireFloat(NnBuild *b, const NnNode *node, int i)
{
	NnValue    *v = NnIn(b, node, i);
	char		name[64];

	if (v == NULL)
		return NnNodeError(b, node, BX_EFORMAT, "input %d is missing", i);
	if (v->dtype != ONNX_FLOAT)
		return NnNodeError(b, node, BX_EUNSUPPORTED,
						   "input '%s' has type %s; only FLOAT is supported",
						   NnSafeName(name, sizeof(name), v->name),
						   NnDataTypeName(v->dtype));
	return BX_OK;
}

BxStatus
NnRequireConst(NnBuild *b, const NnNode *node, int i)
{
	NnValue    *v = NnIn(b, node, i);
	char		name[64];

	if (v == NULL)
		return NnNodeError(b, node, BX_EFORMAT, "input %d is missing", i);
	if (v->kind != NN_VALUE_CONST)
		return NnNodeError(b, node, BX_EUNSUPPORTED,
						   "input '%s' is computed at run time; it must be a constant (dynamic shapes are not supported)",
						   NnSafeName(name, sizeof(name), v->name));
	return BX_OK;
}

/*
 * Set dtype and shape of output i.  Zero-sized dimensions and tensors above
 * the element limit are rejected.
 */
BxStatus
NnSetOutput(NnBuild *b, const NnNode *node, int i, int32_t dtype, int rank,
			const int64_t *dims)
{
	NnValue    *v = NnOut(b, node, i);
	int			d;

	if (v == NULL)
		return BX_OK;			/* omitted optional output */
	if (rank < 0 || rank > NN_MAX_DIMS)
		return NnNodeError(b, node, BX_ELIMIT,
						   "output would have rank %d (limit %d)",
						   rank, NN_MAX_DIMS);
	for (d = 0; d < rank; d++)
		if (dims[d] <= 0)
			return NnNodeError(b, node, BX_EUNSUPPORTED,
							   "output would have an empty dimension; zero-sized tensors are not supported");
	if (!NnDimsCount(rank, dims, &v->count))
	{
		char		buf[128];

		NnFormatDims(buf, sizeof(buf), rank, dims);
		return NnNodeError(b, node, BX_ELIMIT,
						   "output shape %s exceeds the size limits", buf);
	}
	v->dtype = dtype;
	v->rank = rank;
	memcpy(v->dims, dims, sizeof(int64_t) * (size_t) rank);
	return BX_OK;
}

/* Numpy-style multidirectional broadcast of two shapes */
bool
NnBroadcastShape(int rankA, const int64_t *dimsA, int rankB,
				 const int64_t *dimsB, int *rankOut, int64_t *dimsOut)
{
	int			rank = rankA > rankB ? rankA : rankB;
	int			i;

	for (i = 0; i < rank; i++)
	{
		int			ia = i - (rank - rankA);
		int			ib = i - (rank - rankB);
		int64_t		da = ia >= 0 ? dimsA[ia] : 1;
		int64_t		db = ib >= 0 ? dimsB[ib] : 1;

		if (da != db && da != 1 && db != 1)
			return false;
		dimsOut[i] = da == 1 ? db : da;
	}
	*rankOut = rank;
	return true;
}

/*
 * Count ops (multiply-adds or elements produced) towards the per-run work
 * limit.  The limit bounds load-time folding and the length of a single
 * BLAS call, which cannot be interrupted.
 */
BxStatus
NnAddWork(NnBuild *b, const NnNode *node, double ops)
{
	b->work += ops;
	if (b->work > NN_MAX_WORK)
		return NnNodeError(b, node, BX_ELIMIT,
						   "the graph needs more than %.0e operations per run",
						   NN_MAX_WORK);
	return BX_OK;
}

bool
NnSameShape(const NnValue *a, const NnValue *b)
{
	return a->rank == b->rank &&
		memcmp(a->dims, b->dims, sizeof(int64_t) * (size_t) a->rank) == 0;
}
