/*-------------------------------------------------------------------------
 *
 * ops_elementwise.c
 *	  Relu, Clip, Sigmoid, Add, Mul, PRelu, BatchNormalization.
 *
 * Hot loops work on blocks of 8 floats with a fixed-count inner loop and
 * restrict pointers: gcc's default -O2 cost model ("very cheap") only
 * vectorises loops whose trip count is a known multiple of the vector
 * width, and this shape lets it (and clang) emit SSE code for the blocks.
 *
 * lib/nn/ops_elementwise.c
 *
 *-------------------------------------------------------------------------
 */
#include <float.h>
#include <math.h>
#include <string.h>

#include "nn_internal.h"

#define BLOCK 8

static const char *const noAttrs[] = {NULL};

/* y[i] = min(max(x[i], lo), hi); NaN stays NaN */
static void
ClampCopy(float *restrict y, const float *restrict x, size_t n, float lo,
		  float hi)
{
	size_t		i = 0;
	int			k;

	for (; i + BLOCK <= n; i += BLOCK)
		for (k = 0; k < BLOCK; k++)
		{
			float		v = x[i + k];

			v = v < lo ? lo : v;
			y[i + k] = v > hi ? hi : v;
		}
	for (; i < n; i++)
	{
		float		v = x[i];

		v = v < lo ? lo : v;
		y[i] = v > hi ? hi : v;
	}
}

void
NnClampInPlace(float *y, size_t n, float lo, float hi)
{
	size_t		i = 0;
	int			k;

	for (; i + BLOCK <= n; i += BLOCK)
		for (k = 0; k < BLOCK; k++)
		{
			float		v = y[i + k];

			v = v < lo ? lo : v;
			y[i + k] = v > hi ? hi : v;
		}
	for (; i < n; i++)
	{
		float		v = y[i];

		v = v < lo ? lo : v;
		y[i] = v > hi ? hi : v;
	}
}

/* y[i] += bias, then clamp if asked */
void
NnBiasClamp(float *y, size_t n, float bias, bool clamp, float lo, float hi)
{
	size_t		i = 0;
	int			k;

	if (!clamp)
	{
		if (bias == 0.0f)
			return;
		for (; i + BLOCK <= n; i += BLOCK)
			for (k = 0; k < BLOCK; k++)
				y[i + k] += bias;
		for (; i < n; i++)
			y[i] += bias;
		return;
	}
	for (; i + BLOCK <= n; i += BLOCK)
		for (k = 0; k < BLOCK; k++)
		{
			float		v = y[i + k] + bias;

			v = v < lo ? lo : v;
			y[i + k] = v > hi ? hi : v;
		}
	for (; i < n; i++)
	{
		float		v = y[i] + bias;

		v = v < lo ? lo : v;
		y[i] = v > hi ? hi : v;
	}
}

/* Shared prepare of one-input, same-shape float operators */
static BxStatus
PrepareUnary(NnBuild *b, NnNode *node)
{
	BxStatus	st;
	NnValue    *x = NnIn(b, node, 0);

	if ((st = NnCheckAttrNames(b, node, noAttrs)) != BX_OK ||
		(st = NnRequireFloat(b, node, 0)) != BX_OK)
		return st;
	return NnSetOutput(b, node, 0, ONNX_FLOAT, x->rank, x->dims);
}

static BxStatus
RunRelu(const NnNode *node, NnValue *const *in, NnValue *const *out,
		NnExec *ex)
{
	(void) node;
	(void) ex;
	ClampCopy(out[0]->data, in[0]->data, in[0]->count, 0.0f, INFINITY);
	return BX_OK;
}

const NnOpDef NnOpRelu = {"Relu", 1, 1, 1, true, PrepareUnary, RunRelu};

static BxStatus
RunSigmoid(const NnNode *node, NnValue *const *in, NnValue *const *out,
		   NnExec *ex)
{
	const float *x = in[0]->data;
	float	   *y = out[0]->data;
	size_t		n = in[0]->count;
	size_t		i;

	(void) node;
	(void) ex;
	for (i = 0; i < n; i++)
		y[i] = 1.0f / (1.0f + expf(-x[i]));
	return BX_OK;
}

const NnOpDef NnOpSigmoid = {"Sigmoid", 1, 1, 1, true, PrepareUnary, RunSigmoid};

/*
 * Clip.  Opset < 11 gives min/max as attributes, opset >= 11 as optional
 * scalar inputs.  Inputs computed at run time are read at run time.
 */
typedef struct ClipParams
{
	float		lo;
	float		hi;
	bool		dynamic;		/* a bound is read at run time */
} ClipParams;

static BxStatus
ClipBound(NnBuild *b, NnNode *node, int i, float *out, bool *dynamic)
{
	NnValue    *v = NnIn(b, node, i);
	BxStatus	st;

	if (v == NULL)
		return BX_OK;
	if ((st = NnRequireFloat(b, node, i)) != BX_OK)
		return st;
	if (v->count != 1 || v->rank > 1)
		return NnNodeError(b, node, BX_EFORMAT,
						   "input %d (%s) must be a scalar", i,
						   i == 1 ? "min" : "max");
	if (v->kind == NN_VALUE_CONST)
		*out = *(const float *) v->data;
	else
		*dynamic = true;
	return BX_OK;
}

static BxStatus
PrepareClip(NnBuild *b, NnNode *node)
{
	static const char *const oldAttrs[] = {"min", "max", NULL};
	ClipParams *p;
	NnValue    *x = NnIn(b, node, 0);
	BxStatus	st;

	p = NnArenaAlloc(b->arena, sizeof(ClipParams));
	if (p == NULL)
		return NnSetError(b->err, BX_ENOMEM, "out of memory");
	node->params = p;
	p->lo = -FLT_MAX;
	p->hi = FLT_MAX;
	if ((st = NnRequireFloat(b, node, 0)) != BX_OK)
		return st;
	if (b->opset < 11)
	{
		if (node->ninputs != 1)
			return NnNodeError(b, node, BX_EFORMAT,
							   "Clip before opset 11 takes one input");
		if ((st = NnCheckAttrNames(b, node, oldAttrs)) != BX_OK ||
			(st = NnAttrFloat(b, node, "min", -FLT_MAX, &p->lo)) != BX_OK ||
			(st = NnAttrFloat(b, node, "max", FLT_MAX, &p->hi)) != BX_OK)
			return st;
	}
	else
	{
		if ((st = NnCheckAttrNames(b, node, noAttrs)) != BX_OK ||
			(st = ClipBound(b, node, 1, &p->lo, &p->dynamic)) != BX_OK ||
			(st = ClipBound(b, node, 2, &p->hi, &p->dynamic)) != BX_OK)
			return st;
	}
	return NnSetOutput(b, node, 0, ONNX_FLOAT, x->rank, x->dims);
}

static BxStatus
RunClip(const NnNode *node, NnValue *const *in, NnValue *const *out,
		NnExec *ex)
{
	const ClipParams *p = node->params;
	float		lo = p->lo;
	float		hi = p->hi;

	(void) ex;
	if (p->dynamic)
	{
		if (node->ninputs > 1 && in[1] != NULL)
			lo = *(const float *) in[1]->data;
		if (node->ninputs > 2 && in[2] != NULL)
			hi = *(const float *) in[2]->data;
	}
	ClampCopy(out[0]->data, in[0]->data, in[0]->count, lo, hi);
	return BX_OK;
}

const NnOpDef NnOpClip = {"Clip", 1, 3, 1, true, PrepareClip, RunClip};

/*
 * If node is a Relu or a Clip with bounds known at load time, give its
 * bounds: a Conv can then apply it to its own output.
 */
bool
NnActivationBounds(const NnNode *node, float *lo, float *hi)
{
	if (node->op == &NnOpRelu)
	{
		*lo = 0.0f;
		*hi = INFINITY;
		return true;
	}
	if (node->op == &NnOpClip && !((const ClipParams *) node->params)->dynamic)
	{
		*lo = ((const ClipParams *) node->params)->lo;
		*hi = ((const ClipParams *) node->params)->hi;
		return true;
	}
	return false;
}

/* One row of a broadcast binary operation; sa, sb are 0 or element strides */
static void
BinaryRow(NnBinaryOp op, const float *restrict a, ptrdiff_t sa,
		  const float *restrict b, ptrdiff_t sb, float *restrict y, size_t n)
{
	size_t		i = 0;
	int			k;

	if (op == NN_BIN_COPY_B)
	{
		if (sb == 1)
			memcpy(y, b, n * sizeof(float));
		else
			for (i = 0; i < n; i++)
				y[i] = b[(ptrdiff_t) i * sb];
		return;
	}
	if (sa == 1 && sb == 1)
	{
		switch (op)
		{
			case NN_BIN_ADD:
				for (; i + BLOCK <= n; i += BLOCK)
					for (k = 0; k < BLOCK; k++)
						y[i + k] = a[i + k] + b[i + k];
				break;
			case NN_BIN_MUL:
				for (; i + BLOCK <= n; i += BLOCK)
					for (k = 0; k < BLOCK; k++)
						y[i + k] = a[i + k] * b[i + k];
				break;
			default:
				break;
		}
	}
	else if (sa == 1 && sb == 0)
	{
		float		s = b[0];

		switch (op)
		{
			case NN_BIN_ADD:
				for (; i + BLOCK <= n; i += BLOCK)
					for (k = 0; k < BLOCK; k++)
						y[i + k] = a[i + k] + s;
				break;
			case NN_BIN_MUL:
				for (; i + BLOCK <= n; i += BLOCK)
					for (k = 0; k < BLOCK; k++)
						y[i + k] = a[i + k] * s;
				break;
			case NN_BIN_PRELU:
				for (; i + BLOCK <= n; i += BLOCK)
					for (k = 0; k < BLOCK; k++)
						y[i + k] = a[i + k] < 0.0f ? a[i + k] * s : a[i + k];
				break;
			default:
				break;
		}
	}
	/* the remainder, and the less common stride patterns */
	for (; i < n; i++)
	{
		float		va = a[(ptrdiff_t) i * sa];
		float		vb = b[(ptrdiff_t) i * sb];

		switch (op)
		{
			case NN_BIN_ADD:
				y[i] = va + vb;
				break;
			case NN_BIN_MUL:
				y[i] = va * vb;
				break;
			case NN_BIN_PRELU:
				y[i] = va < 0.0f ? va * vb : va;
				break;
			case NN_BIN_COPY_B:
				y[i] = vb;
				break;
		}
	}
}

/*
 * y = a op b with numpy broadcasting; dimsY must be the broadcast shape.
 * For NN_BIN_COPY_B, a is not read and may be NULL.
 *
 * Dimensions of size 1 in y are dropped and neighbouring dimensions that
 * are contiguous in both operands are merged, so the common cases (equal
 * shapes, per-channel operand) become one or two long rows.
 */
void
NnBroadcastBinary(NnBinaryOp op,
				  const float *a, int rankA, const int64_t *dimsA,
				  const float *b, int rankB, const int64_t *dimsB,
				  float *y, int rankY, const int64_t *dimsY)
{
	int64_t		sa[NN_MAX_DIMS];
	int64_t		sb[NN_MAX_DIMS];
	int64_t		dy[NN_MAX_DIMS];
	int64_t		idx[NN_MAX_DIMS];
	int64_t		strideA = 1;
	int64_t		strideB = 1;
	int			rank = 0;
	int			d;
	float		zero = 0.0f;
	size_t		rows;
	size_t		r;
	int64_t		n;

	if (a == NULL)
	{
		/* only NN_BIN_COPY_B: a broadcast scalar that is never used */
		a = &zero;
		rankA = 0;
	}
	/* walk from the last dimension, computing broadcast strides */
	for (d = rankY - 1; d >= 0; d--)
	{
		int			ia = d - (rankY - rankA);
		int			ib = d - (rankY - rankB);
		int64_t		da = ia >= 0 ? dimsA[ia] : 1;
		int64_t		db = ib >= 0 ? dimsB[ib] : 1;
		int64_t		s_a = da == 1 ? 0 : strideA;
		int64_t		s_b = db == 1 ? 0 : strideB;

		strideA *= da;
		strideB *= db;
		if (dimsY[d] == 1)
			continue;
		if (rank > 0 &&
			sa[rank - 1] * dy[rank - 1] == s_a &&
			sb[rank - 1] * dy[rank - 1] == s_b)
		{
			/* contiguous with the dimension after it: merge */
			dy[rank - 1] *= dimsY[d];
			continue;
		}
		sa[rank] = s_a;
		sb[rank] = s_b;
		dy[rank] = dimsY[d];
		rank++;
	}
	if (rank == 0)
	{
		BinaryRow(op, a, 0, b, 0, y, 1);
		return;
	}
	/* dims were collected innermost first; index 0 is the row */
	n = dy[0];
	rows = 1;
	for (d = 1; d < rank; d++)
	{
		rows *= (size_t) dy[d];
		idx[d] = 0;
	}
	for (r = 0; r < rows; r++)
	{
		int64_t		offA = 0;
		int64_t		offB = 0;

		for (d = 1; d < rank; d++)
		{
			offA += idx[d] * sa[d];
			offB += idx[d] * sb[d];
		}
		BinaryRow(op, a + offA, (ptrdiff_t) sa[0], b + offB, (ptrdiff_t) sb[0],
				  y + r * (size_t) n, (size_t) n);
		for (d = 1; d < rank; d++)
		{
			if (++idx[d] < dy[d])
				break;
			idx[d] = 0;
		}
	}
}

static BxStatus
PrepareBinary(NnBuild *b, NnNode *node)
{
	NnValue    *x = NnIn(b, node, 0);
	NnValue    *z = NnIn(b, node, 1);
	int64_t		dims[NN_MAX_DIMS];
	int			rank;
	BxStatus	st;

	if ((st = NnCheckAttrNames(b, node, noAttrs)) != BX_OK ||
		(st = NnRequireFloat(b, node, 0)) != BX_OK ||
		(st = NnRequireFloat(b, node, 1)) != BX_OK)
		return st;
	if (!NnBroadcastShape(x->rank, x->dims, z->rank, z->dims, &rank, dims))
	{
		char		s1[96];
		char		s2[96];

		NnFormatDims(s1, sizeof(s1), x->rank, x->dims);
		NnFormatDims(s2, sizeof(s2), z->rank, z->dims);
		return NnNodeError(b, node, BX_EFORMAT,
						   "shapes %s and %s cannot be broadcast", s1, s2);
	}
	if (node->op == &NnOpPRelu &&
		(rank != x->rank ||
		 memcmp(dims, x->dims, sizeof(int64_t) * (size_t) rank) != 0))
		return NnNodeError(b, node, BX_EFORMAT,
						   "slope must broadcast to the shape of X");
	return NnSetOutput(b, node, 0, ONNX_FLOAT, rank, dims);
}

static BxStatus
RunBinary(const NnNode *node, NnValue *const *in, NnValue *const *out,
		  NnExec *ex)
{
	NnBinaryOp	op = node->op == &NnOpAdd ? NN_BIN_ADD :
		node->op == &NnOpMul ? NN_BIN_MUL : NN_BIN_PRELU;

	(void) ex;
	NnBroadcastBinary(op, in[0]->data, in[0]->rank, in[0]->dims,
					  in[1]->data, in[1]->rank, in[1]->dims,
					  out[0]->data, out[0]->rank, out[0]->dims);
	return BX_OK;
}

const NnOpDef NnOpAdd = {"Add", 2, 2, 1, true, PrepareBinary, RunBinary};
const NnOpDef NnOpMul = {"Mul", 2, 2, 1, true, PrepareBinary, RunBinary};
const NnOpDef NnOpPRelu = {"PRelu", 2, 2, 1, true, PrepareBinary, RunBinary};

/* BatchNormalization, inference form: y = (x - mean) / sqrt(var + eps) * scale + B */
typedef struct BatchNormParams
{
	float		epsilon;
} BatchNormParams;

static BxStatus
PrepareBatchNorm(NnBuild *b, NnNode *node)
{
	static const char *const attrs[] = {
		"epsilon", "momentum", "training_mode", "spatial", NULL
	};
	BatchNormParams *p;
	NnValue    *x = NnIn(b, node, 0);
	float		momentum;
	int64_t		training;
	int64_t		spatial;
	BxStatus	st;
	int			i;

	p = NnArenaAlloc(b->arena, sizeof(BatchNormParams));
	if (p == NULL)
		return NnSetError(b->err, BX_ENOMEM, "out of memory");
	node->params = p;
	if ((st = NnCheckAttrNames(b, node, attrs)) != BX_OK ||
		(st = NnAttrFloat(b, node, "epsilon", 1e-5f, &p->epsilon)) != BX_OK ||
		(st = NnAttrFloat(b, node, "momentum", 0.9f, &momentum)) != BX_OK ||
		(st = NnAttrInt(b, node, "training_mode", 0, &training)) != BX_OK ||
		(st = NnAttrInt(b, node, "spatial", 1, &spatial)) != BX_OK)
		return st;
	if (training != 0)
		return NnNodeError(b, node, BX_EUNSUPPORTED,
						   "training_mode=%lld is not supported",
						   (long long) training);
	if (spatial != 1)
		return NnNodeError(b, node, BX_EUNSUPPORTED,
						   "spatial=%lld is not supported", (long long) spatial);
	if (node->noutputs > 1)
		return NnNodeError(b, node, BX_EUNSUPPORTED,
						   "the training outputs (mean, var) are not supported");
	if (!(p->epsilon >= 0.0f))
		return NnNodeError(b, node, BX_EFORMAT, "epsilon must be >= 0");
	for (i = 0; i < 5; i++)
		if ((st = NnRequireFloat(b, node, i)) != BX_OK)
			return st;
	if (x->rank < 2)
		return NnNodeError(b, node, BX_EFORMAT, "X must have rank >= 2");
	for (i = 1; i < 5; i++)
	{
		NnValue    *v = NnIn(b, node, i);

		if (v->rank != 1 || v->dims[0] != x->dims[1])
			return NnNodeError(b, node, BX_EFORMAT,
							   "input %d must have shape [%lld]", i,
							   (long long) x->dims[1]);
	}
	return NnSetOutput(b, node, 0, ONNX_FLOAT, x->rank, x->dims);
}

static BxStatus
RunBatchNorm(const NnNode *node, NnValue *const *in, NnValue *const *out,
			 NnExec *ex)
{
	const BatchNormParams *p = node->params;
	const float *x = in[0]->data;
	const float *scale = in[1]->data;
	const float *bias = in[2]->data;
	const float *mean = in[3]->data;
	const float *var = in[4]->data;
	float	   *y = out[0]->data;
	size_t		nbatch = (size_t) in[0]->dims[0];
	size_t		channels = (size_t) in[0]->dims[1];
	size_t		inner = in[0]->count / (nbatch * channels);
	size_t		n;
	size_t		c;

	(void) ex;
	for (n = 0; n < nbatch; n++)
		for (c = 0; c < channels; c++)
		{
			double		a = scale[c] / sqrt((double) var[c] + p->epsilon);
			float		fa = (float) a;
			float		fb = (float) (bias[c] - mean[c] * a);
			size_t		off = (n * channels + c) * inner;
			size_t		i = 0;
			int			k;

			for (; i + BLOCK <= inner; i += BLOCK)
				for (k = 0; k < BLOCK; k++)
					y[off + i + k] = x[off + i + k] * fa + fb;
			for (; i < inner; i++)
				y[off + i] = x[off + i] * fa + fb;
		}
	return BX_OK;
}

const NnOpDef NnOpBatchNormalization = {
	"BatchNormalization", 5, 5, 5, true, PrepareBatchNorm, RunBatchNorm
};
