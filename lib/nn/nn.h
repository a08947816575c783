/*-------------------------------------------------------------------------
 *
 * nn.h
 *	  Public API of the nn library: a small ONNX inference engine.
 *
 * The library loads an ONNX model (protobuf bytes held by the caller),
 * checks it strictly, infers every tensor shape for the fixed input shape,
 * plans all intermediate buffers once, and then runs forward passes in
 * float32 on the calling thread.  It has no PostgreSQL dependency: it
 * reports failures as an BxStatus plus a message written into a buffer the
 * caller owns, never prints, never exits, and allocates only through the
 * allocator set with NnSetAllocator().
 *
 * Supported: ONNX IR 3..11, default-domain opset 7..21, float32 NCHW
 * tensors, the operators Add, BatchNormalization, Clip, Concat, Constant,
 * Conv, Flatten, Gemm, GlobalAveragePool, MatMul, MaxPool, Mul, PRelu,
 * Relu, Reshape, Resize (nearest), Sigmoid, Transpose.  INT64 tensors may
 * appear only where they are folded at load time (shape inputs).  Anything
 * else is rejected with BX_EUNSUPPORTED and a message naming it.
 *
 * The model bytes are untrusted: every length and count is checked, and
 * loading fails with BX_ELIMIT beyond these limits: rank 8, 2^24 per
 * dimension, 2^28 elements per tensor, 256 MiB of weights and folded
 * constants, 10000 nodes, 1e11 operations per run, and run-time buffers
 * of NnLoadOptions.maxRunBytes (1 GiB by default).
 *
 * Threads: a model may be run by one thread at a time (its buffers are
 * reused by every run); distinct models are independent.  NnSetAllocator()
 * changes process-wide state and must not race with loads.  The library
 * starts no threads itself; BLAS calls use OpenBLAS's own thread setting
 * (OPENBLAS_NUM_THREADS) and OpenBLAS's own memory, outside the hook.
 *
 * lib/nn/nn.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef NN_H
#define NN_H

#include <stddef.h>
#include <stdint.h>

#include "bx_runtime.h"
#ifdef __cplusplus
extern "C"
{
#endif

/* Largest tensor rank the library handles */
#define NN_MAX_DIMS			8



/* Opaque handle of a loaded model */
typedef struct NnModelData *NnModel;



/* Optional settings for NnModelLoad(); zero-initialise, then fill in */
typedef struct NnLoadOptions
{
	/*
	 * Shape of the (single) graph input, replacing the declared one, e.g.
	 * {1, 3, 320, 320} to run a fully convolutional detector at another
	 * size.  inputRank 0 means: use the declared shape, where a symbolic
	 * first (batch) dimension becomes 1 and any other symbolic dimension is
	 * an error.
	 */
	int			inputRank;
	int64_t		inputDims[NN_MAX_DIMS];

	/*
	 * Upper bound in bytes for the buffers a run needs (activations plus
	 * scratch space), checked before allocating them.  0 means 1 GiB.
	 */
	size_t		maxRunBytes;
} NnLoadOptions;

/* Description of a model input or output */
typedef struct NnTensorInfo
{
	const char *name;			/* owned by the model */
	int			rank;
	int64_t		dims[NN_MAX_DIMS];
	size_t		count;			/* number of float elements */
} NnTensorInfo;

/*
 * Set the process-wide allocator used by later loads; NULL restores
 * malloc/free.
 */
extern void NnSetAllocator(const BxAllocator *allocator);

/*
 * Load a model from the ONNX protobuf bytes data[0..len).  The bytes may be
 * freed after the call: weights are copied.  opts may be NULL.  On success
 * returns BX_OK and sets *model; otherwise *model is NULL, nothing is
 * leaked, and errbuf (errlen bytes, may be 0) holds a NUL-terminated
 * message.
 */
extern BxStatus NnModelLoad(const void *data, size_t len,
							const NnLoadOptions *opts, NnModel *model,
							char *errbuf, size_t errlen);

/* Free a loaded model and everything it owns; NULL is a no-op */
extern void NnModelFree(NnModel model);

/* Number of graph inputs (initializers excluded) and outputs */
extern int	NnModelNumInputs(NnModel model);
extern int	NnModelNumOutputs(NnModel model);

/* Describe input/output number index; BX_EINVAL if out of range */
extern BxStatus NnModelGetInput(NnModel model, int index, NnTensorInfo *info);
extern BxStatus NnModelGetOutput(NnModel model, int index, NnTensorInfo *info);

/* Bytes the model holds: weights, folded constants, run buffers, metadata */
extern size_t NnModelMemoryBytes(NnModel model);

/*
 * Run one forward pass.  inputs[i] points to the float32 data of input i in
 * row-major order with the shape NnModelGetInput() reports; the data are
 * only read.  If outputs is not NULL, outputs[j] receives a pointer to
 * output j, owned by the model and valid until the next run or free.
 * interrupt may be NULL.  Returns BX_OK, BX_EINVAL or BX_EINTERRUPTED (the
 * outputs are then undefined), with a message in errbuf.  Input values are
 * not checked: NaN or Inf simply propagate.
 */
extern BxStatus NnModelRun(NnModel model, const float *const *inputs,
						   const float **outputs,
						   BxInterruptFn interrupt, void *interruptArg,
						   char *errbuf, size_t errlen);


#ifdef __cplusplus
}
#endif

#endif							/* NN_H */
