/*-------------------------------------------------------------------------
 *
 * ops_shape.c
 *	  Constant, Reshape, Flatten, Transpose, Concat, Resize.
 *
 * The data-movement operators handle FLOAT and INT64 tensors alike (by
 * element size) so that shape computations on constants can be folded at
 * load time; at run time only FLOAT tensors flow.  Shape inputs (Reshape's
 * shape, Resize's scales/sizes) must be constants: the library plans every
 * buffer at load time.
 *
 * lib/nn/ops_shape.c
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <string.h>

#include "nn_internal.h"

/* Copy n elements of size elemSize */
static void
CopyElems(void *dst, const void *src, size_t n, size_t elemSize)
{
	if (n > 0)
		memcpy(dst, src, n * elemSize);
}

static BxStatus
RunCopy(const NnNode *node, NnValue *const *in, NnValue *const *out,
		NnExec *ex)
{
	(void) node;
	(void) ex;
	CopyElems(out[0]->data, in[0]->data, in[0]->count,
			  NnElemSize(in[0]->dtype));
	return BX_OK;
}

/*
 * Constant: the value becomes a constant tensor at load time.  Supports the
 * attributes value, value_float(s) and value_int(s).
 */
static BxStatus
PrepareConstant(NnBuild *b, NnNode *node)
{
	static const char *const attrs[] = {
		"value", "value_float", "value_floats", "value_int", "value_ints",
		NULL
	};
	NnValue    *v = NnOut(b, node, 0);
	const OnnxAttr *a;
	BxStatus	st;
	size_t		bytes;

	if ((st = NnCheckAttrNames(b, node, attrs)) != BX_OK)
	{
		/* name the usual suspects precisely */
		if (NnFindAttr(node, "sparse_value") || NnFindAttr(node, "value_string") ||
			NnFindAttr(node, "value_strings"))
			return NnNodeError(b, node, BX_EUNSUPPORTED,
							   "only FLOAT and INT64 dense constants are supported");
		return st;
	}
	if (node->src->nattrs != 1)
		return NnNodeError(b, node, BX_EFORMAT,
						   "exactly one value attribute is required");
	a = &node->src->attrs[0];
	v->kind = NN_VALUE_CONST;
	if (strcmp(a->name, "value") == 0)
	{
		if (a->type != ONNX_ATTR_TENSOR)
			return NnNodeError(b, node, BX_EFORMAT,
							   "attribute 'value' must be a TENSOR");
		v->dtype = a->t->dataType;
		v->rank = a->t->rank;
		memcpy(v->dims, a->t->dims, sizeof(v->dims));
		v->count = a->t->count;
		v->data = a->t->data;	/* bytes already counted by the reader */
		node->folded = true;
		return BX_OK;
	}
	if (strcmp(a->name, "value_float") == 0 || strcmp(a->name, "value_int") == 0)
	{
		bool		isFloat = a->name[6] == 'f';

		if (a->type != (isFloat ? ONNX_ATTR_FLOAT : ONNX_ATTR_INT))
			return NnNodeError(b, node, BX_EFORMAT,
							   "attribute '%s' has the wrong type", a->name);
		v->dtype = isFloat ? ONNX_FLOAT : ONNX_INT64;
		v->rank = 0;
		v->count = 1;
	}
	else
	{
		bool		isFloat = a->name[6] == 'f';

		if (a->type != (isFloat ? ONNX_ATTR_FLOATS : ONNX_ATTR_INTS))
			return NnNodeError(b, node, BX_EFORMAT,
							   "attribute '%s' has the wrong type", a->name);
		v->dtype = isFloat ? ONNX_FLOAT : ONNX_INT64;
		v->rank = 1;
		v->dims[0] = a->nvalues;
		v->count = (size_t) a->nvalues;
	}
	bytes = v->count * NnElemSize(v->dtype);
	if (bytes > NN_MAX_WEIGHT_BYTES - b->constBytes)
		return NnNodeError(b, node, BX_ELIMIT, "constants exceed the limit");
	b->constBytes += bytes;
	v->data = NnArenaAlloc(b->arena, bytes);
	if (v->data == NULL)
		return NnSetError(b->err, BX_ENOMEM, "out of memory");
	if (a->type == ONNX_ATTR_FLOAT)
		*(float *) v->data = a->f;
	else if (a->type == ONNX_ATTR_INT)
		*(int64_t *) v->data = a->i;
	else if (a->type == ONNX_ATTR_FLOATS)
		CopyElems(v->data, a->floats, v->count, sizeof(float));
	else
		CopyElems(v->data, a->ints, v->count, sizeof(int64_t));
	node->folded = true;
	return BX_OK;
}

static BxStatus
RunConstant(const NnNode *node, NnValue *const *in, NnValue *const *out,
			NnExec *ex)
{
	(void) node;
	(void) in;
	(void) out;
	(void) ex;
	return BX_OK;				/* folded in prepare */
}

const NnOpDef NnOpConstant = {"Constant", 0, 0, 1, true, PrepareConstant, RunConstant};

/* Reshape: shape from a constant INT64 input; 0 copies, -1 infers */
static BxStatus
PrepareReshape(NnBuild *b, NnNode *node)
{
	static const char *const attrs[] = {"allowzero", NULL};
	NnValue    *x = NnIn(b, node, 0);
	NnValue    *shape = NnIn(b, node, 1);
	int64_t		dims[NN_MAX_DIMS];
	int64_t		allowZero;
	int64_t		known = 1;
	int			inferAt = -1;
	const int64_t *s;
	size_t		i;
	BxStatus	st;

	if (b->opset < 5)
		return NnNodeError(b, node, BX_EUNSUPPORTED, "Reshape-1 is not supported");
	if ((st = NnCheckAttrNames(b, node, attrs)) != BX_OK ||
		(st = NnAttrInt(b, node, "allowzero", 0, &allowZero)) != BX_OK ||
		(st = NnRequireConst(b, node, 1)) != BX_OK)
		return st;
	if (shape->dtype != ONNX_INT64 || shape->rank != 1)
		return NnNodeError(b, node, BX_EFORMAT,
						   "shape must be a 1-D INT64 tensor");
	if (shape->count > NN_MAX_DIMS)
		return NnNodeError(b, node, BX_ELIMIT,
						   "target rank %zu exceeds %d", shape->count,
						   NN_MAX_DIMS);
	s = shape->data;
	for (i = 0; i < shape->count; i++)
	{
		if (s[i] == -1)
		{
			if (inferAt >= 0)
				return NnNodeError(b, node, BX_EFORMAT,
								   "shape has more than one -1");
			inferAt = (int) i;
			dims[i] = 1;
			continue;
		}
		if (s[i] == 0)
		{
			if (allowZero != 0)
				return NnNodeError(b, node, BX_EUNSUPPORTED,
								   "allowzero=1 with a 0 in the shape (an empty tensor) is not supported");
			if ((int) i >= x->rank)
				return NnNodeError(b, node, BX_EFORMAT,
								   "shape[%zu] is 0 but the input has rank %d",
								   i, x->rank);
			dims[i] = x->dims[i];
		}
		else if (s[i] < 0 || s[i] > NN_MAX_DIM_VALUE)
			return NnNodeError(b, node, BX_EFORMAT,
							   "shape[%zu] = %lld is invalid", i,
							   (long long) s[i]);
		else
			dims[i] = s[i];
		known *= dims[i];		/* both <= 2^28 after the checks below */
		if (known > NN_MAX_ELEMENTS)
			return NnNodeError(b, node, BX_EFORMAT,
							   "shape does not match the %zu input elements",
							   x->count);
	}
	if (inferAt >= 0)
	{
		if ((size_t) known == 0 || x->count % (size_t) known != 0)
			return NnNodeError(b, node, BX_EFORMAT,
							   "cannot infer -1: %zu elements are not divisible by %lld",
							   x->count, (long long) known);
		dims[inferAt] = (int64_t) (x->count / (size_t) known);
		known *= dims[inferAt];
	}
	if ((size_t) known != x->count)
		return NnNodeError(b, node, BX_EFORMAT,
						   "shape does not match the %zu input elements",
						   x->count);
	return NnSetOutput(b, node, 0, x->dtype, (int) shape->count, dims);
}

const NnOpDef NnOpReshape = {"Reshape", 2, 2, 1, true, PrepareReshape, RunCopy};

static BxStatus
PrepareFlatten(NnBuild *b, NnNode *node)
{
	static const char *const attrs[] = {"axis", NULL};
	NnValue    *x = NnIn(b, node, 0);
	int64_t		axis;
	int64_t		dims[2] = {1, 1};
	int			d;
	BxStatus	st;

	if ((st = NnCheckAttrNames(b, node, attrs)) != BX_OK ||
		(st = NnAttrInt(b, node, "axis", 1, &axis)) != BX_OK)
		return st;
	if (axis < -x->rank || axis > x->rank)
		return NnNodeError(b, node, BX_EFORMAT,
						   "axis %lld is out of range for rank %d",
						   (long long) axis, x->rank);
	if (axis < 0)
		axis += x->rank;
	for (d = 0; d < x->rank; d++)
		dims[d < axis ? 0 : 1] *= x->dims[d];
	return NnSetOutput(b, node, 0, x->dtype, 2, dims);
}

const NnOpDef NnOpFlatten = {"Flatten", 1, 1, 1, true, PrepareFlatten, RunCopy};

typedef struct TransposeParams
{
	int			perm[NN_MAX_DIMS];
} TransposeParams;

static BxStatus
PrepareTranspose(NnBuild *b, NnNode *node)
{
	static const char *const attrs[] = {"perm", NULL};
	NnValue    *x = NnIn(b, node, 0);
	TransposeParams *p;
	int64_t		perm[NN_MAX_DIMS];
	int64_t		dims[NN_MAX_DIMS];
	bool		used[NN_MAX_DIMS] = {false};
	bool		present;
	int			n;
	int			d;
	BxStatus	st;

	p = NnArenaAlloc(b->arena, sizeof(TransposeParams));
	if (p == NULL)
		return NnSetError(b->err, BX_ENOMEM, "out of memory");
	node->params = p;
	if ((st = NnCheckAttrNames(b, node, attrs)) != BX_OK ||
		(st = NnAttrInts(b, node, "perm", NN_MAX_DIMS, perm, &n, &present)) != BX_OK)
		return st;
	if (!present)
	{
		n = x->rank;
		for (d = 0; d < n; d++)
			perm[d] = n - 1 - d;
	}
	if (n != x->rank)
		return NnNodeError(b, node, BX_EFORMAT,
						   "perm has %d values for an input of rank %d",
						   n, x->rank);
	for (d = 0; d < n; d++)
	{
		if (perm[d] < 0 || perm[d] >= n || used[perm[d]])
			return NnNodeError(b, node, BX_EFORMAT,
							   "perm is not a permutation");
		used[perm[d]] = true;
		p->perm[d] = (int) perm[d];
		dims[d] = x->dims[perm[d]];
	}
	return NnSetOutput(b, node, 0, x->dtype, n, dims);
}

static BxStatus
RunTranspose(const NnNode *node, NnValue *const *in, NnValue *const *out,
			 NnExec *ex)
{
	const TransposeParams *p = node->params;
	int			rank = in[0]->rank;
	int64_t		inStride[NN_MAX_DIMS];
	int64_t		stride[NN_MAX_DIMS];	/* input stride of output dim d */
	int64_t		idx[NN_MAX_DIMS] = {0};
	const int64_t *od = out[0]->dims;
	size_t		esize = NnElemSize(in[0]->dtype);
	const char *src = in[0]->data;
	char	   *dst = out[0]->data;
	size_t		total = out[0]->count;
	size_t		i;
	int64_t		off = 0;
	int			d;

	(void) ex;
	if (rank == 0)
	{
		memcpy(dst, src, esize);
		return BX_OK;
	}
	inStride[rank - 1] = 1;
	for (d = rank - 2; d >= 0; d--)
		inStride[d] = inStride[d + 1] * in[0]->dims[d + 1];
	for (d = 0; d < rank; d++)
		stride[d] = inStride[p->perm[d]];

	/* walk the output in order; off tracks the input element */
	for (i = 0; i < total; i++)
	{
		memcpy(dst + i * esize, src + (size_t) off * esize, esize);
		for (d = rank - 1; d >= 0; d--)
		{
			off += stride[d];
			if (++idx[d] < od[d])
				break;
			off -= stride[d] * od[d];
			idx[d] = 0;
		}
	}
	return BX_OK;
}

const NnOpDef NnOpTranspose = {"Transpose", 1, 1, 1, true, PrepareTranspose, RunTranspose};

typedef struct ConcatParams
{
	int			axis;
} ConcatParams;

static BxStatus
PrepareConcat(NnBuild *b, NnNode *node)
{
	static const char *const attrs[] = {"axis", NULL};
	NnValue    *first = NnIn(b, node, 0);
	ConcatParams *p;
	int64_t		axis;
	int64_t		dims[NN_MAX_DIMS];
	int			i;
	int			d;
	BxStatus	st;

	p = NnArenaAlloc(b->arena, sizeof(ConcatParams));
	if (p == NULL)
		return NnSetError(b->err, BX_ENOMEM, "out of memory");
	node->params = p;
	if ((st = NnCheckAttrNames(b, node, attrs)) != BX_OK)
		return st;
	if (NnFindAttr(node, "axis") == NULL)
		return NnNodeError(b, node, BX_EFORMAT, "attribute 'axis' is required");
	if ((st = NnAttrInt(b, node, "axis", 0, &axis)) != BX_OK)
		return st;
	if (first->rank == 0 || axis < -first->rank || axis >= first->rank)
		return NnNodeError(b, node, BX_EFORMAT,
						   "axis %lld is out of range for rank %d",
						   (long long) axis, first->rank);
	if (axis < 0)
		axis += first->rank;
	p->axis = (int) axis;
	memcpy(dims, first->dims, sizeof(dims));
	for (i = 1; i < node->ninputs; i++)
	{
		NnValue    *v = NnIn(b, node, i);

		if (v == NULL)
			return NnNodeError(b, node, BX_EFORMAT, "input %d is empty", i);
		if (v->dtype != first->dtype || v->rank != first->rank)
			return NnNodeError(b, node, BX_EFORMAT,
							   "input %d differs in type or rank", i);
		for (d = 0; d < v->rank; d++)
			if (d != p->axis && v->dims[d] != first->dims[d])
				return NnNodeError(b, node, BX_EFORMAT,
								   "input %d differs in dimension %d", i, d);
		dims[p->axis] += v->dims[p->axis];
		if (dims[p->axis] > NN_MAX_DIM_VALUE)
			return NnNodeError(b, node, BX_ELIMIT, "output is too large");
	}
	return NnSetOutput(b, node, 0, first->dtype, first->rank, dims);
}

static BxStatus
RunConcat(const NnNode *node, NnValue *const *in, NnValue *const *out,
		  NnExec *ex)
{
	const ConcatParams *p = node->params;
	size_t		esize = NnElemSize(out[0]->dtype);
	size_t		outer = 1;
	size_t		inner = 1;
	size_t		rowOut;
	size_t		pos = 0;
	int			d;
	int			i;

	(void) ex;
	for (d = 0; d < p->axis; d++)
		outer *= (size_t) out[0]->dims[d];
	for (d = p->axis + 1; d < out[0]->rank; d++)
		inner *= (size_t) out[0]->dims[d];
	rowOut = (size_t) out[0]->dims[p->axis] * inner * esize;
	for (i = 0; i < node->ninputs; i++)
	{
		size_t		row = (size_t) in[i]->dims[p->axis] * inner * esize;
		size_t		o;

		for (o = 0; o < outer && row > 0; o++)
			memcpy((char *) out[0]->data + o * rowOut + pos,
				   (const char *) in[i]->data + o * row, row);
		pos += row;
	}
	return BX_OK;
}

const NnOpDef NnOpConcat = {"Concat", 1, NN_MAX_NODE_INPUTS, 1, true, PrepareConcat, RunConcat};

/*
 * Resize, mode 'nearest' only, on the two spatial axes of an NCHW tensor.
 * The source row/column of every output row/column is computed at load
 * time following the ONNX definition: x_original from the coordinate
 * transformation mode, then nearest_mode rounding, clamped to the input.
 */
typedef enum CoordMode
{
	COORD_HALF_PIXEL,
	COORD_PYTORCH_HALF_PIXEL,
	COORD_ALIGN_CORNERS,
	COORD_ASYMMETRIC,
	COORD_TF_HALF_PIXEL_FOR_NEAREST
} CoordMode;

typedef enum NearestMode
{
	NEAREST_ROUND_PREFER_FLOOR,
	NEAREST_ROUND_PREFER_CEIL,
	NEAREST_FLOOR,
	NEAREST_CEIL
} NearestMode;

typedef struct ResizeParams
{
	int32_t    *rowMap;
	int32_t    *colMap;
} ResizeParams;

static int
LookupWord(const char *s, const char *const *words)
{
	int			i;

	for (i = 0; words[i] != NULL; i++)
		if (strcmp(s, words[i]) == 0)
			return i;
	return -1;
}

/* Source index of output index x along one axis */
static int32_t
NearestSource(int64_t x, int64_t in, int64_t out, double scale,
			  CoordMode cm, NearestMode nm)
{
	double		xo;
	double		f;
	double		r;

	switch (cm)
	{
		case COORD_HALF_PIXEL:
			xo = (x + 0.5) / scale - 0.5;
			break;
		case COORD_PYTORCH_HALF_PIXEL:
			xo = out > 1 ? (x + 0.5) / scale - 0.5 : -0.5;
			break;
		case COORD_ALIGN_CORNERS:
			xo = out == 1 ? 0.0 : (double) x * (double) (in - 1) / (double) (out - 1);
			break;
		case COORD_TF_HALF_PIXEL_FOR_NEAREST:
			xo = (x + 0.5) / scale;
			break;
		case COORD_ASYMMETRIC:
		default:
			xo = x / scale;
			break;
	}
	f = floor(xo);
	switch (nm)
	{
		case NEAREST_FLOOR:
			r = f;
			break;
		case NEAREST_CEIL:
			r = ceil(xo);
			break;
		case NEAREST_ROUND_PREFER_CEIL:
			r = (xo - f >= 0.5) ? f + 1.0 : f;
			break;
		case NEAREST_ROUND_PREFER_FLOOR:
		default:
			r = (xo - f > 0.5) ? f + 1.0 : f;
			break;
	}
	if (r < 0.0)
		r = 0.0;
	if (r > (double) (in - 1))
		r = (double) (in - 1);
	return (int32_t) r;
}

static BxStatus
PrepareResize(NnBuild *b, NnNode *node)
{
	static const char *const attrs[] = {
		"mode", "coordinate_transformation_mode", "nearest_mode",
		"cubic_coeff_a", "exclude_outside", "extrapolation_value",
		"antialias", "keep_aspect_ratio_policy", NULL
	};
	static const char *const coordModes[] = {
		"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric",
		"tf_half_pixel_for_nearest", NULL
	};
	static const char *const nearestModes[] = {
		"round_prefer_floor", "round_prefer_ceil", "floor", "ceil", NULL
	};
	NnValue    *x = NnIn(b, node, 0);
	NnValue    *scales = NnIn(b, node, 2);
	NnValue    *sizes = NnIn(b, node, 3);
	ResizeParams *p;
	const char *mode;
	const char *coord;
	const char *nearest;
	const char *policy;
	int64_t		antialias;
	int64_t		exclude;
	float		dummy;
	double		scale[4];
	int64_t		dims[4];
	int			cm;
	int			nm;
	int			d;
	int64_t		i;
	char		safe[48];
	BxStatus	st;

	if (b->opset < 11)
		return NnNodeError(b, node, BX_EUNSUPPORTED,
						   "Resize before opset 11 is not supported");
	if (NnFindAttr(node, "axes") != NULL)
		return NnNodeError(b, node, BX_EUNSUPPORTED,
						   "attribute 'axes' is not supported");
	if ((st = NnCheckAttrNames(b, node, attrs)) != BX_OK ||
		(st = NnAttrString(b, node, "mode", "nearest", &mode)) != BX_OK ||
		(st = NnAttrString(b, node, "coordinate_transformation_mode",
						   "half_pixel", &coord)) != BX_OK ||
		(st = NnAttrString(b, node, "nearest_mode", "round_prefer_floor",
						   &nearest)) != BX_OK ||
		(st = NnAttrString(b, node, "keep_aspect_ratio_policy", "stretch",
						   &policy)) != BX_OK ||
		(st = NnAttrInt(b, node, "antialias", 0, &antialias)) != BX_OK ||
		(st = NnAttrInt(b, node, "exclude_outside", 0, &exclude)) != BX_OK ||
		(st = NnAttrFloat(b, node, "cubic_coeff_a", -0.75f, &dummy)) != BX_OK ||
		(st = NnAttrFloat(b, node, "extrapolation_value", 0.0f, &dummy)) != BX_OK)
		return st;
	if (strcmp(mode, "nearest") != 0)
		return NnNodeError(b, node, BX_EUNSUPPORTED,
						   "mode '%s' is not supported (only 'nearest')",
						   NnSafeName(safe, sizeof(safe), mode));
	if ((cm = LookupWord(coord, coordModes)) < 0)
		return NnNodeError(b, node, BX_EUNSUPPORTED,
						   "coordinate_transformation_mode '%s' is not supported",
						   NnSafeName(safe, sizeof(safe), coord));
	if ((nm = LookupWord(nearest, nearestModes)) < 0)
		return NnNodeError(b, node, BX_EUNSUPPORTED,
						   "nearest_mode '%s' is not supported",
						   NnSafeName(safe, sizeof(safe), nearest));
	if (strcmp(policy, "stretch") != 0)
		return NnNodeError(b, node, BX_EUNSUPPORTED,
						   "keep_aspect_ratio_policy '%s' is not supported",
						   NnSafeName(safe, sizeof(safe), policy));
	if (antialias != 0)
		return NnNodeError(b, node, BX_EUNSUPPORTED,
						   "antialias is not supported");
	if ((st = NnRequireFloat(b, node, 0)) != BX_OK)
		return st;
	if (x->rank != 4)
		return NnNodeError(b, node, BX_EUNSUPPORTED,
						   "only 4-D (NCHW) input is supported");
	if (scales != NULL && scales->count == 0)
		scales = NULL;
	if (sizes != NULL && sizes->count == 0)
		sizes = NULL;
	if ((scales == NULL) == (sizes == NULL))
		return NnNodeError(b, node, BX_EFORMAT,
						   "exactly one of scales and sizes must be given");
	if (scales != NULL)
	{
		const float *s;

		if ((st = NnRequireConst(b, node, 2)) != BX_OK)
			return st;
		if (scales->dtype != ONNX_FLOAT || scales->count != 4)
			return NnNodeError(b, node, BX_EFORMAT,
							   "scales must be 4 FLOAT values");
		s = scales->data;
		for (d = 0; d < 4; d++)
		{
			double		o;

			if (!(s[d] > 0.0f) || !isfinite(s[d]))
				return NnNodeError(b, node, BX_EFORMAT,
								   "scales must be positive");
			scale[d] = s[d];
			o = floor((double) x->dims[d] * scale[d]);
			if (o < 1.0 || o > (double) NN_MAX_DIM_VALUE)
				return NnNodeError(b, node, BX_ELIMIT,
								   "output dimension %d would be %.0f", d, o);
			dims[d] = (int64_t) o;
		}
	}
	else
	{
		const int64_t *s;

		if ((st = NnRequireConst(b, node, 3)) != BX_OK)
			return st;
		if (sizes->dtype != ONNX_INT64 || sizes->count != 4)
			return NnNodeError(b, node, BX_EFORMAT,
							   "sizes must be 4 INT64 values");
		s = sizes->data;
		for (d = 0; d < 4; d++)
		{
			if (s[d] < 1 || s[d] > NN_MAX_DIM_VALUE)
				return NnNodeError(b, node, BX_EFORMAT,
								   "sizes[%d] = %lld is invalid", d,
								   (long long) s[d]);
			dims[d] = s[d];
			scale[d] = (double) dims[d] / (double) x->dims[d];
		}
	}
	if (dims[0] != x->dims[0] || dims[1] != x->dims[1])
		return NnNodeError(b, node, BX_EUNSUPPORTED,
						   "only the two spatial axes can be resized");

	p = NnArenaAlloc(b->arena, sizeof(ResizeParams));
	if (p == NULL)
		return NnSetError(b->err, BX_ENOMEM, "out of memory");
	node->params = p;
	p->rowMap = NnArenaAlloc(b->arena, sizeof(int32_t) * (size_t) dims[2]);
	p->colMap = NnArenaAlloc(b->arena, sizeof(int32_t) * (size_t) dims[3]);
	if (p->rowMap == NULL || p->colMap == NULL)
		return NnSetError(b->err, BX_ENOMEM, "out of memory");
	for (i = 0; i < dims[2]; i++)
		p->rowMap[i] = NearestSource(i, x->dims[2], dims[2], scale[2],
									 (CoordMode) cm, (NearestMode) nm);
	for (i = 0; i < dims[3]; i++)
		p->colMap[i] = NearestSource(i, x->dims[3], dims[3], scale[3],
									 (CoordMode) cm, (NearestMode) nm);
	return NnSetOutput(b, node, 0, ONNX_FLOAT, 4, dims);
}

static BxStatus
RunResize(const NnNode *node, NnValue *const *in, NnValue *const *out,
		  NnExec *ex)
{
	const ResizeParams *p = node->params;
	size_t		planes = (size_t) (in[0]->dims[0] * in[0]->dims[1]);
	int64_t		ih = in[0]->dims[2];
	int64_t		iw = in[0]->dims[3];
	int64_t		oh = out[0]->dims[2];
	int64_t		ow = out[0]->dims[3];
	size_t		pl;
	int64_t		oy;
	int64_t		ox;

	(void) ex;
	for (pl = 0; pl < planes; pl++)
	{
		const float *x = (const float *) in[0]->data + pl * (size_t) (ih * iw);
		float	   *y = (float *) out[0]->data + pl * (size_t) (oh * ow);

		for (oy = 0; oy < oh; oy++)
		{
			const float *src = x + (int64_t) p->rowMap[oy] * iw;
			float	   *dst = y + oy * ow;

			for (ox = 0; ox < ow; ox++)
				dst[ox] = src[p->colMap[ox]];
		}
	}
	return BX_OK;
}

const NnOpDef NnOpResize = {"Resize", 1, 4, 1, true, PrepareResize, RunResize};
