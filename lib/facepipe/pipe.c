/*-------------------------------------------------------------------------
 *
 * pipe.c
 *	  Create and free a face pipeline: check that the models are the ones
 *	  the pipeline decodes, allocate the work buffers once.
 *
 * The checks are by output name and shape, not by file hash (the caller
 * checks hashes): a detector must have YuNet's 12 outputs cls_/obj_/bbox_/
 * kps_ for strides 8, 16 and 32 with one anchor per grid cell of its input
 * size; an embedder a [1, 3, 112, 112] input and 128 outputs.
 *
 * lib/facepipe/pipe.c
 *
 *-------------------------------------------------------------------------
 */
#define _POSIX_C_SOURCE 199309L

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "facepipe_internal.h"

/* Map a failed NnModelRun() to our status */
BxStatus
FpRunStatus(BxStatus st, const char *what, const char *nnerr,
			char *errbuf, size_t errlen)
{
	if (st == BX_EINTERRUPTED)
		return BxSetError(errbuf, errlen, BX_EINTERRUPTED,
					   "%s interrupted", what);
	return BxSetError(errbuf, errlen, BX_EINTERNAL, "%s failed: %s (%s)",
				   what, nnerr, BxStatusName(st));
}

double
FpNowMs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec * 1e3 + (double) ts.tv_nsec * 1e-6;
}

void
BxFaceDefaultOptions(BxFaceOptions *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->scoreThreshold = 0.9f;
	opts->nmsThreshold = 0.3f;
	opts->padFraction = 0.0f;
	opts->retryPadFraction = 0.5f;
	opts->maxUpscale = 4.0f;
	opts->retryUpscale = 16.0f;
	opts->retryExposure = true;
	opts->retryRotation = 25.0f;
	opts->retryDenoise = 1.0f;
	opts->retryLowScore = 0.8f;
	opts->minEyeDistance = 0.0f;
	opts->rule = BX_FACE_RULE_SINGLE;
}

/* Find output "prefix_stride" with count elements; -1 if absent or wrong */
static int
FindOutput(NnModel m, const char *prefix, int stride, size_t count,
		   char *errbuf, size_t errlen)
{
	char		name[32];
	int			i;

	snprintf(name, sizeof(name), "%s_%d", prefix, stride);
	for (i = 0; i < NnModelNumOutputs(m); i++)
	{
		NnTensorInfo info;

		if (NnModelGetOutput(m, i, &info) != BX_OK ||
			strcmp(info.name, name) != 0)
			continue;
		if (info.count != count)
		{
			BxSetError(errbuf, errlen, BX_EMODEL,
					"detector output %s has %zu values, expected %zu",
					name, info.count, count);
			return -1;
		}
		return i;
	}
	BxSetError(errbuf, errlen, BX_EMODEL,
			"detector has no output %s (not a YuNet model?)", name);
	return -1;
}

static BxStatus
CheckDetector(BxFacePipe pipe, char *errbuf, size_t errlen)
{
	static const int strides[FP_NUM_STRIDES] = {8, 16, 32};
	NnTensorInfo in;
	int			k;

	if (NnModelNumInputs(pipe->detector) != 1 ||
		NnModelGetInput(pipe->detector, 0, &in) != BX_OK ||
		in.rank != 4 || in.dims[0] != 1 || in.dims[1] != 3 ||
		in.dims[2] < 32 || in.dims[3] < 32 ||
		in.dims[2] % 32 != 0 || in.dims[3] % 32 != 0)
		return BxSetError(errbuf, errlen, BX_EMODEL,
					   "detector input must be [1, 3, H, W] with H and W "
					   "multiples of 32");
	pipe->canvasH = (int) in.dims[2];
	pipe->canvasW = (int) in.dims[3];
	for (k = 0; k < FP_NUM_STRIDES; k++)
	{
		FpHead	   *h = &pipe->heads[k];
		size_t		n;

		h->stride = strides[k];
		h->rows = pipe->canvasH / h->stride;
		h->cols = pipe->canvasW / h->stride;
		n = (size_t) h->rows * (size_t) h->cols;
		if ((h->cls = FindOutput(pipe->detector, "cls", h->stride, n, errbuf, errlen)) < 0 ||
			(h->obj = FindOutput(pipe->detector, "obj", h->stride, n, errbuf, errlen)) < 0 ||
			(h->bbox = FindOutput(pipe->detector, "bbox", h->stride, 4 * n, errbuf, errlen)) < 0 ||
			(h->kps = FindOutput(pipe->detector, "kps", h->stride, 10 * n, errbuf, errlen)) < 0)
			return BX_EMODEL;
	}
	return BX_OK;
}

static BxStatus
CheckEmbedder(BxFacePipe pipe, char *errbuf, size_t errlen)
{
	NnTensorInfo in,
				out;

	if (NnModelNumInputs(pipe->embedder) != 1 ||
		NnModelGetInput(pipe->embedder, 0, &in) != BX_OK ||
		in.rank != 4 || in.dims[0] != 1 || in.dims[1] != 3 ||
		in.dims[2] != BX_FACE_ALIGNED_SIZE || in.dims[3] != BX_FACE_ALIGNED_SIZE)
		return BxSetError(errbuf, errlen, BX_EMODEL,
					   "embedder input must be [1, 3, 112, 112]");
	if (NnModelNumOutputs(pipe->embedder) != 1 ||
		NnModelGetOutput(pipe->embedder, 0, &out) != BX_OK ||
		out.count != BX_FACE_EMBEDDING_DIM)
		return BxSetError(errbuf, errlen, BX_EMODEL,
					   "embedder must have one output of %d values",
					   BX_FACE_EMBEDDING_DIM);
	pipe->embedOutput = 0;
	return BX_OK;
}

BxStatus
BxFacePipeCreate(NnModel detector, NnModel embedder,
				 const BxAllocator *allocator, BxFacePipe *pipe,
				 char *errbuf, size_t errlen)
{
	BxAllocator a = *BxMallocAllocator();
	BxFacePipe	p;
	BxStatus st;

	if (errbuf != NULL && errlen > 0)
		errbuf[0] = '\0';
	if (pipe == NULL)
		return BxSetError(errbuf, errlen, BX_EINVAL, "pipe pointer is NULL");
	*pipe = NULL;
	if (detector == NULL && embedder == NULL)
		return BxSetError(errbuf, errlen, BX_EINVAL,
					   "a pipe needs a detector, an embedder or both");
	if (allocator != NULL && allocator->alloc != NULL && allocator->free != NULL)
		a = *allocator;
	p = BxAlloc(&a, sizeof(*p));
	if (p == NULL)
		return BxSetError(errbuf, errlen, BX_ENOMEM,
					   "out of memory for the face pipeline");
	memset(p, 0, sizeof(*p));
	p->alloc = a;
	p->detector = detector;
	p->embedder = embedder;

	if (detector != NULL)
	{
		st = CheckDetector(p, errbuf, errlen);
		if (st != BX_OK)
			goto fail;
		p->canvas = BxAlloc(&a, sizeof(float) * 3 * (size_t) p->canvasW *
							(size_t) p->canvasH);
		p->candidates = BxAlloc(&a, sizeof(BxFace) * FP_MAX_CANDIDATES);
		p->suppressed = BxAlloc(&a, sizeof(bool) * FP_MAX_CANDIDATES);
		if (p->canvas == NULL || p->candidates == NULL || p->suppressed == NULL)
			goto nomem;
	}
	if (embedder != NULL)
	{
		st = CheckEmbedder(p, errbuf, errlen);
		if (st != BX_OK)
			goto fail;
		p->embedInput = BxAlloc(&a, sizeof(float) * 3 *
								BX_FACE_ALIGNED_SIZE * BX_FACE_ALIGNED_SIZE);
		p->aligned = BxAlloc(&a, 3 * BX_FACE_ALIGNED_SIZE * BX_FACE_ALIGNED_SIZE);
		if (p->embedInput == NULL || p->aligned == NULL)
			goto nomem;
	}
	*pipe = p;
	return BX_OK;

nomem:
	st = BxSetError(errbuf, errlen, BX_ENOMEM,
				 "out of memory for the face pipeline buffers");
fail:
	BxFacePipeFree(p);
	return st;
}

void
BxFacePipeFree(BxFacePipe pipe)
{
	BxAllocator a;

	if (pipe == NULL)
		return;
	a = pipe->alloc;
	BxFree(&a, pipe->canvas);
	BxFree(&a, pipe->candidates);
	BxFree(&a, pipe->suppressed);
	BxFree(&a, pipe->embedInput);
	BxFree(&a, pipe->aligned);
	BxFree(&a, pipe);
}

void
BxFaceDetectorLoadOptions(NnLoadOptions *opts, int size)
{
	opts->inputRank = 4;
	opts->inputDims[0] = 1;
	opts->inputDims[1] = 3;
	opts->inputDims[2] = size;
	opts->inputDims[3] = size;
}

double
BxFaceScore(const float *a, const float *b)
{
	double		s = 0;
	int			i;

	for (i = 0; i < BX_FACE_EMBEDDING_DIM; i++)
		s += (double) a[i] * b[i];
	return s;
}

