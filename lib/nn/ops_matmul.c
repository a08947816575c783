/*-------------------------------------------------------------------------
 *
 * ops_matmul.c
 *	  Gemm and MatMul on top of cblas_sgemm.
 *
 * lib/nn/ops_matmul.c
 *
 *-------------------------------------------------------------------------
 */
#include <cblas.h>
#include <string.h>

#include "nn_internal.h"

typedef struct GemmParams
{
	float		alpha;
	float		beta;
	bool		transA;
	bool		transB;
	int			m;
	int			n;
	int			k;
} GemmParams;

/* Gemm: Y = alpha * A' * B' + beta * C, C broadcast to [M, N] */
static BxStatus
PrepareGemm(NnBuild *b, NnNode *node)
{
	static const char *const attrs[] = {
		"alpha", "beta", "transA", "transB", NULL
	};
	NnValue    *a = NnIn(b, node, 0);
	NnValue    *bm = NnIn(b, node, 1);
	NnValue    *c = NnIn(b, node, 2);
	GemmParams *p;
	int64_t		transA;
	int64_t		transB;
	int64_t		dims[2];
	int64_t		k2;
	BxStatus	st;

	p = NnArenaAlloc(b->arena, sizeof(GemmParams));
	if (p == NULL)
		return NnSetError(b->err, BX_ENOMEM, "out of memory");
	node->params = p;
	if ((st = NnCheckAttrNames(b, node, attrs)) != BX_OK ||
		(st = NnAttrFloat(b, node, "alpha", 1.0f, &p->alpha)) != BX_OK ||
		(st = NnAttrFloat(b, node, "beta", 1.0f, &p->beta)) != BX_OK ||
		(st = NnAttrInt(b, node, "transA", 0, &transA)) != BX_OK ||
		(st = NnAttrInt(b, node, "transB", 0, &transB)) != BX_OK ||
		(st = NnRequireFloat(b, node, 0)) != BX_OK ||
		(st = NnRequireFloat(b, node, 1)) != BX_OK ||
		(c != NULL && (st = NnRequireFloat(b, node, 2)) != BX_OK))
		return st;
	if (a->rank != 2 || bm->rank != 2)
		return NnNodeError(b, node, BX_EFORMAT, "A and B must have rank 2");
	p->transA = transA != 0;
	p->transB = transB != 0;
	p->m = (int) (p->transA ? a->dims[1] : a->dims[0]);
	p->k = (int) (p->transA ? a->dims[0] : a->dims[1]);
	k2 = p->transB ? bm->dims[1] : bm->dims[0];
	p->n = (int) (p->transB ? bm->dims[0] : bm->dims[1]);
	if (k2 != p->k)
		return NnNodeError(b, node, BX_EFORMAT,
						   "inner dimensions differ (%d and %lld)", p->k,
						   (long long) k2);
	dims[0] = p->m;
	dims[1] = p->n;
	if (c != NULL)
	{
		int64_t		bdims[NN_MAX_DIMS];
		int			brank;

		if (c->rank > 2 ||
			!NnBroadcastShape(2, dims, c->rank, c->dims, &brank, bdims) ||
			bdims[0] != dims[0] || bdims[1] != dims[1])
			return NnNodeError(b, node, BX_EFORMAT,
							   "C cannot be broadcast to [%d, %d]", p->m, p->n);
	}
	if ((st = NnAddWork(b, node, (double) p->m * (double) p->n * (double) p->k)) != BX_OK)
		return st;
	return NnSetOutput(b, node, 0, ONNX_FLOAT, 2, dims);
}

static BxStatus
RunGemm(const NnNode *node, NnValue *const *in, NnValue *const *out,
		NnExec *ex)
{
	const GemmParams *p = node->params;
	NnValue    *c = node->ninputs > 2 ? in[2] : NULL;
	float	   *y = out[0]->data;
	float		beta = 0.0f;

	(void) ex;
	if (c != NULL && p->beta != 0.0f)
	{
		size_t		i;

		NnBroadcastBinary(NN_BIN_COPY_B, NULL, 0, NULL,
						  c->data, c->rank, c->dims,
						  y, out[0]->rank, out[0]->dims);
		if (p->beta != 1.0f)
			for (i = 0; i < out[0]->count; i++)
				y[i] *= p->beta;
		beta = 1.0f;
	}
	cblas_sgemm(CblasRowMajor, p->transA ? CblasTrans : CblasNoTrans,
				p->transB ? CblasTrans : CblasNoTrans,
				p->m, p->n, p->k, p->alpha,
				in[0]->data, (int) in[0]->dims[1],
				in[1]->data, (int) in[1]->dims[1],
				beta, y, p->n);
	return BX_OK;
}

const NnOpDef NnOpGemm = {"Gemm", 2, 3, 1, false, PrepareGemm, RunGemm};

/*
 * MatMul with numpy semantics: 1-D operands are promoted and the added
 * axis removed again, leading (batch) axes broadcast.
 */
typedef struct MatMulParams
{
	int			m;
	int			n;
	int			k;
	int			batchRank;
	int64_t		batch[NN_MAX_DIMS];
	int64_t		strideA[NN_MAX_DIMS];	/* in matrices, 0 if broadcast */
	int64_t		strideB[NN_MAX_DIMS];
	size_t		nbatch;
} MatMulParams;

static BxStatus
PrepareMatMul(NnBuild *b, NnNode *node)
{
	NnValue    *a = NnIn(b, node, 0);
	NnValue    *bm = NnIn(b, node, 1);
	static const char *const attrs[] = {NULL};
	MatMulParams *p;
	int64_t		ad[NN_MAX_DIMS + 1];
	int64_t		bd[NN_MAX_DIMS + 1];
	int			ar;
	int			br;
	int64_t		dims[NN_MAX_DIMS + 2];
	int			rank;
	int64_t		sa = 1;
	int64_t		sb = 1;
	int			d;
	BxStatus	st;

	p = NnArenaAlloc(b->arena, sizeof(MatMulParams));
	if (p == NULL)
		return NnSetError(b->err, BX_ENOMEM, "out of memory");
	node->params = p;
	if ((st = NnCheckAttrNames(b, node, attrs)) != BX_OK ||
		(st = NnRequireFloat(b, node, 0)) != BX_OK ||
		(st = NnRequireFloat(b, node, 1)) != BX_OK)
		return st;
	if (a->rank < 1 || bm->rank < 1)
		return NnNodeError(b, node, BX_EFORMAT, "operands must have rank >= 1");
	ar = a->rank;
	br = bm->rank;
	memcpy(ad, a->dims, sizeof(int64_t) * (size_t) ar);
	memcpy(bd, bm->dims, sizeof(int64_t) * (size_t) br);
	if (ar == 1)
	{
		ad[1] = ad[0];
		ad[0] = 1;
		ar = 2;
	}
	if (br == 1)
	{
		bd[1] = 1;
		br = 2;
	}
	p->m = (int) ad[ar - 2];
	p->k = (int) ad[ar - 1];
	p->n = (int) bd[br - 1];
	if (bd[br - 2] != p->k)
		return NnNodeError(b, node, BX_EFORMAT,
						   "inner dimensions differ (%d and %lld)", p->k,
						   (long long) bd[br - 2]);
	if (!NnBroadcastShape(ar - 2, ad, br - 2, bd, &p->batchRank, p->batch))
		return NnNodeError(b, node, BX_EFORMAT,
						   "batch dimensions cannot be broadcast");
	/* matrix strides of each batch axis, 0 where the operand broadcasts */
	p->nbatch = 1;
	for (d = p->batchRank - 1; d >= 0; d--)
	{
		int			ia = d - (p->batchRank - (ar - 2));
		int			ib = d - (p->batchRank - (br - 2));
		int64_t		da = ia >= 0 ? ad[ia] : 1;
		int64_t		db = ib >= 0 ? bd[ib] : 1;

		p->strideA[d] = da == 1 ? 0 : sa;
		p->strideB[d] = db == 1 ? 0 : sb;
		sa *= da;
		sb *= db;
		p->nbatch *= (size_t) p->batch[d];
	}
	rank = 0;
	for (d = 0; d < p->batchRank; d++)
		dims[rank++] = p->batch[d];
	if (a->rank > 1)
		dims[rank++] = p->m;
	if (bm->rank > 1)
		dims[rank++] = p->n;
	if ((st = NnAddWork(b, node, (double) p->nbatch * (double) p->m *
						(double) p->n * (double) p->k)) != BX_OK)
		return st;
	return NnSetOutput(b, node, 0, ONNX_FLOAT, rank, dims);
}

static BxStatus
RunMatMul(const NnNode *node, NnValue *const *in, NnValue *const *out,
		  NnExec *ex)
{
	const MatMulParams *p = node->params;
	const float *a = in[0]->data;
	const float *bm = in[1]->data;
	float	   *y = out[0]->data;
	size_t		sizeA = (size_t) p->m * (size_t) p->k;
	size_t		sizeB = (size_t) p->k * (size_t) p->n;
	size_t		sizeY = (size_t) p->m * (size_t) p->n;
	int64_t		idx[NN_MAX_DIMS] = {0};
	size_t		i;
	int			d;

	for (i = 0; i < p->nbatch; i++)
	{
		int64_t		offA = 0;
		int64_t		offB = 0;

		if (i % 64 == 0 && NnInterrupted(ex))
			return BX_EINTERRUPTED;
		for (d = 0; d < p->batchRank; d++)
		{
			offA += idx[d] * p->strideA[d];
			offB += idx[d] * p->strideB[d];
		}
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans,
					p->m, p->n, p->k, 1.0f,
					a + (size_t) offA * sizeA, p->k,
					bm + (size_t) offB * sizeB, p->n,
					0.0f, y + i * sizeY, p->n);
		for (d = p->batchRank - 1; d >= 0; d--)
		{
			if (++idx[d] < p->batch[d])
				break;
			idx[d] = 0;
		}
	}
	return BX_OK;
}

const NnOpDef NnOpMatMul = {"MatMul", 2, 2, 1, false, PrepareMatMul, RunMatMul};
