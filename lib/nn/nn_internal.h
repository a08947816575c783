/*-------------------------------------------------------------------------
 *
 * nn_internal.h
 *	  Types and helpers shared by the files of the nn library.
 *
 * Loading happens in three stages:
 *
 *	1. onnx_reader.c decodes the protobuf bytes into the OnnxModel structs
 *	   below (a faithful, bounds-checked copy of the parts of ModelProto we
 *	   understand; unknown fields are skipped, unsupported ones rejected).
 *	2. graph.c turns that into NnValue/NnNode arrays: it checks that nodes
 *	   are topologically sorted, calls each operator's prepare function
 *	   (which validates attributes and infers output shapes, with the
 *	   helpers of node.c) and evaluates nodes whose inputs are all constant.
 *	3. plan.c drops dead nodes, fuses Conv+Relu/Clip and lays out one
 *	   buffer for all activations.
 *	4. runner.c executes the remaining nodes in order.
 *
 * Everything a model owns lives in one NnArena, freed in one go.
 *
 * lib/nn/nn_internal.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef NN_INTERNAL_H
#define NN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nn.h"

/*
 * Limits.  Every size read from the model is checked against these before
 * it is used for arithmetic or allocation.
 */
#define NN_MAX_DIM_VALUE	((int64_t) 1 << 24) /* any single dimension */
#define NN_MAX_ELEMENTS		((int64_t) 1 << 28) /* elements of one tensor */
#define NN_MAX_WEIGHT_BYTES ((size_t) 256 << 20)	/* all constant tensors */
#define NN_DEFAULT_RUN_BYTES ((size_t) 1 << 30) /* activations + scratch */
#define NN_MAX_NODES		10000
#define NN_MAX_LIST			20000	/* initializers, value_info entries */
#define NN_MAX_IO			256		/* graph inputs, graph outputs */
#define NN_MAX_NODE_INPUTS	1024
#define NN_MAX_NODE_OUTPUTS 16
#define NN_MAX_ATTRS		64
#define NN_MAX_ATTR_VALUES	65536	/* elements of an INTS/FLOATS attribute */
#define NN_MAX_NAME			4096	/* bytes of any name or string */
#define NN_MAX_OPSETS		64
#define NN_MAX_VALUES		65536	/* named tensors in a graph */
#define NN_MAX_WORK			1e11	/* multiply-adds + elements per run */
#define NN_MIN_IR_VERSION	3
#define NN_MAX_IR_VERSION	11
#define NN_MIN_OPSET		7
#define NN_MAX_OPSET		21

/* TensorProto.DataType codes the library handles */
#define ONNX_FLOAT			1
#define ONNX_INT64			7

/* AttributeProto.AttributeType codes */
#define ONNX_ATTR_FLOAT		1
#define ONNX_ATTR_INT		2
#define ONNX_ATTR_STRING	3
#define ONNX_ATTR_TENSOR	4
#define ONNX_ATTR_FLOATS	6
#define ONNX_ATTR_INTS		7

/* Error sink: the caller's buffer */
typedef struct NnErr
{
	char	   *buf;
	size_t		len;
} NnErr;

/* Chunked bump allocator on top of an BxAllocator */
typedef struct NnArenaChunk NnArenaChunk;

typedef struct NnArena
{
	BxAllocator alloc;
	NnArenaChunk *chunks;
	char	   *cur;			/* free space in the current small chunk */
	size_t		left;
	size_t		total;			/* bytes obtained from alloc */
} NnArena;

/*
 * Decoded ModelProto.  Strings are NUL-terminated copies (names with
 * embedded NULs are rejected); tensor data are decoded to native floats or
 * int64s.
 */
typedef struct OnnxTensor
{
	const char *name;
	int32_t		dataType;		/* ONNX_FLOAT or ONNX_INT64 */
	int			rank;
	int64_t		dims[NN_MAX_DIMS];
	size_t		count;			/* product of dims, 1 for a scalar */
	void	   *data;			/* NULL iff count == 0 */
} OnnxTensor;

typedef struct OnnxAttr
{
	const char *name;
	int			type;			/* ONNX_ATTR_* */
	float		f;
	int64_t		i;
	const char *s;
	OnnxTensor *t;
	int			nvalues;		/* FLOATS / INTS */
	float	   *floats;
	int64_t    *ints;
} OnnxAttr;

typedef struct OnnxNode
{
	const char *name;			/* "" if the model gives none */
	const char *opType;
	const char *domain;			/* "" for the default domain */
	int			ninputs;
	int			noutputs;
	int			nattrs;
	const char **inputs;		/* "" marks an omitted optional input */
	const char **outputs;
	OnnxAttr   *attrs;
} OnnxNode;

typedef struct OnnxValueInfo
{
	const char *name;
	bool		isTensor;		/* false: no type, or a non-tensor type */
	int32_t		elemType;		/* 0 if unknown */
	bool		hasShape;
	int			rank;
	int64_t		dims[NN_MAX_DIMS];	/* -1: symbolic or unknown */
	const char *dimParams[NN_MAX_DIMS]; /* name of a symbolic dim, or NULL */
} OnnxValueInfo;

typedef struct OnnxModel
{
	int64_t		irVersion;
	int64_t		opset;			/* version of the default domain */
	int			nnodes;
	int			ninits;
	int			ninputs;
	int			noutputs;
	int			nvalueInfos;
	OnnxNode   *nodes;
	OnnxTensor *inits;
	OnnxValueInfo *inputs;
	OnnxValueInfo *outputs;
	OnnxValueInfo *valueInfos;
	size_t		tensorBytes;	/* bytes of all decoded tensors */
} OnnxModel;

/* Runtime graph */
typedef enum NnValueKind
{
	NN_VALUE_INPUT,				/* graph input, bound at each run */
	NN_VALUE_CONST,				/* initializer or folded at load time */
	NN_VALUE_ACT,				/* computed at run time, in the run buffer */
	NN_VALUE_DEAD				/* removed by fusion */
} NnValueKind;

typedef struct NnValue
{
	const char *name;
	NnValueKind kind;
	int32_t		dtype;			/* ONNX_FLOAT or ONNX_INT64 */
	int			rank;
	int64_t		dims[NN_MAX_DIMS];
	size_t		count;
	void	   *data;
	int			producer;		/* node index, -1 if none */
	int			lastUse;		/* last consuming node, -1 if none */
	int			nuses;
	bool		isOutput;
	size_t		offset;			/* NN_VALUE_ACT: offset in the run buffer */
} NnValue;

typedef struct NnBuild NnBuild;
typedef struct NnExec NnExec;
typedef struct NnNode NnNode;

typedef struct NnOpDef
{
	const char *name;
	int			minInputs;
	int			maxInputs;
	int			maxOutputs;

	/*
	 * Evaluate at load time when all inputs are constant.  Only operators
	 * whose cost is linear in their output fold; the others (Conv, Gemm,
	 * MatMul, MaxPool) then run at run time, where they can be interrupted.
	 */
	bool		fold;

	/*
	 * Validate attributes and input types/shapes, store parsed parameters
	 * in node->params, set the dtype and shape of every output, and set
	 * node->workspace.  Must not touch input data except of inputs that are
	 * NN_VALUE_CONST.
	 */
	BxStatus	(*prepare) (NnBuild *b, NnNode *node);

	/* Compute; fails only with BX_EINTERRUPTED */
	BxStatus	(*run) (const NnNode *node, NnValue *const *in,
						NnValue *const *out, NnExec *ex);
} NnOpDef;

struct NnNode
{
	const NnOpDef *op;
	const OnnxNode *src;
	int			index;			/* position in the graph */
	int			ninputs;
	int			noutputs;
	int		   *inputs;			/* value indices, -1 for omitted ones */
	int		   *outputs;
	NnValue   **inv;			/* the same as pointers, NULL if omitted */
	NnValue   **outv;
	void	   *params;
	size_t		workspace;		/* scratch bytes run() needs */
	bool		folded;			/* evaluated at load time */
	bool		skipped;		/* fused into its producer */
	bool		hasAct;			/* apply clamp(actMin, actMax) to output */
	float		actMin;
	float		actMax;
};

struct NnModelData
{
	NnArena		arena;			/* must stay first: owns this struct */
	int64_t		opset;
	int			nvalues;
	NnValue    *values;
	int			nnodes;
	NnNode	   *nodes;
	int			ninputs;
	int		   *inputs;			/* value indices */
	int			noutputs;
	int		   *outputs;
	void	   *runBuffer;		/* all NN_VALUE_ACT tensors */
	size_t		runBytes;
	float	   *workspace;		/* shared scratch space */
	size_t		workspaceBytes;
};

/* Load-time context handed to prepare functions */
struct NnBuild
{
	NnModel		model;
	NnArena    *arena;
	NnErr	   *err;
	int64_t		opset;
	size_t		constBytes;		/* initializers + folded tensors */
	double		work;			/* estimated operations per run */
};

/* Run-time context handed to kernels */
struct NnExec
{
	float	   *workspace;
	size_t		workspaceBytes;
	BxInterruptFn interrupt;
	void	   *interruptArg;
};

/* nn_util.c */
extern BxStatus NnSetError(NnErr *err, BxStatus status, const char *fmt,...)
			__attribute__((format(printf, 3, 4)));
extern const char *NnSafeName(char *out, size_t outlen, const char *name);
extern void NnFormatDims(char *out, size_t outlen, int rank,
						 const int64_t *dims);
extern const char *NnDataTypeName(int32_t dataType);
extern void NnGetAllocator(BxAllocator *out);
extern void NnArenaInit(NnArena *arena, const BxAllocator *alloc);
extern void *NnArenaAlloc(NnArena *arena, size_t size);
extern char *NnArenaStrndup(NnArena *arena, const char *s, size_t len);
extern void NnArenaRelease(NnArena *arena);
extern bool NnMulSize(size_t a, size_t b, size_t *result);
extern bool NnDimsCount(int rank, const int64_t *dims, size_t *count);

/* onnx_reader.c */
extern BxStatus NnOnnxParse(const uint8_t *data, size_t len, NnArena *arena,
							OnnxModel *model, NnErr *err);

/* plan.c */
extern BxStatus NnPlanModel(NnBuild *b, size_t maxRunBytes);

/* node.c: helpers for prepare functions */
extern void NnNodeDesc(const NnNode *node, char *out, size_t outlen);
extern BxStatus NnNodeError(NnBuild *b, const NnNode *node, BxStatus status,
							const char *fmt,...)
			__attribute__((format(printf, 4, 5)));
extern BxStatus NnCheckAttrNames(NnBuild *b, const NnNode *node,
								 const char *const *allowed);
extern const OnnxAttr *NnFindAttr(const NnNode *node, const char *name);
extern BxStatus NnAttrInt(NnBuild *b, const NnNode *node, const char *name,
						  int64_t defval, int64_t *out);
extern BxStatus NnAttrFloat(NnBuild *b, const NnNode *node, const char *name,
							float defval, float *out);
extern BxStatus NnAttrString(NnBuild *b, const NnNode *node,
							 const char *name, const char *defval,
							 const char **out);
extern BxStatus NnAttrInts(NnBuild *b, const NnNode *node, const char *name,
						   int maxvalues, int64_t *out, int *nout,
						   bool *present);
extern NnValue *NnIn(NnBuild *b, const NnNode *node, int i);
extern NnValue *NnOut(NnBuild *b, const NnNode *node, int i);
extern BxStatus NnRequireFloat(NnBuild *b, const NnNode *node, int i);
extern BxStatus NnRequireConst(NnBuild *b, const NnNode *node, int i);
extern BxStatus NnSetOutput(NnBuild *b, const NnNode *node, int i,
							int32_t dtype, int rank, const int64_t *dims);
extern bool NnBroadcastShape(int rankA, const int64_t *dimsA,
							 int rankB, const int64_t *dimsB,
							 int *rankOut, int64_t *dimsOut);
extern bool NnSameShape(const NnValue *a, const NnValue *b);
extern BxStatus NnAddWork(NnBuild *b, const NnNode *node, double ops);

/* ops_elementwise.c: bounds of a Relu or constant-bounded Clip node */
extern bool NnActivationBounds(const NnNode *node, float *lo, float *hi);

/* runner.c */
extern bool NnInterrupted(NnExec *ex);
extern BxStatus NnRunNode(const NnNode *node, NnExec *ex);

/* ops_elementwise.c: broadcasting helper shared with ops_matmul.c */
typedef enum NnBinaryOp
{
	NN_BIN_ADD,
	NN_BIN_MUL,
	NN_BIN_PRELU,				/* a < 0 ? a * b : a */
	NN_BIN_COPY_B				/* b, broadcast to the output shape */
} NnBinaryOp;

extern void NnBroadcastBinary(NnBinaryOp op,
							  const float *a, int rankA, const int64_t *dimsA,
							  const float *b, int rankB, const int64_t *dimsB,
							  float *y, int rankY, const int64_t *dimsY);
extern void NnClampInPlace(float *y, size_t n, float lo, float hi);
extern void NnBiasClamp(float *y, size_t n, float bias, bool clamp,
						float lo, float hi);

/* Operator definitions (ops_*.c) */
extern const NnOpDef NnOpConv;
extern const NnOpDef NnOpMaxPool;
extern const NnOpDef NnOpGlobalAveragePool;
extern const NnOpDef NnOpRelu;
extern const NnOpDef NnOpClip;
extern const NnOpDef NnOpSigmoid;
extern const NnOpDef NnOpAdd;
extern const NnOpDef NnOpMul;
extern const NnOpDef NnOpPRelu;
extern const NnOpDef NnOpBatchNormalization;
extern const NnOpDef NnOpTranspose;
extern const NnOpDef NnOpReshape;
extern const NnOpDef NnOpFlatten;
extern const NnOpDef NnOpConcat;
extern const NnOpDef NnOpConstant;
extern const NnOpDef NnOpResize;
extern const NnOpDef NnOpGemm;
extern const NnOpDef NnOpMatMul;

/* Byte size of one element of an internal dtype */
static inline size_t
NnElemSize(int32_t dtype)
{
	return dtype == ONNX_INT64 ? sizeof(int64_t) : sizeof(float);
}

#endif							/* NN_INTERNAL_H */
