/*-------------------------------------------------------------------------
 *
 * pbwriter.h
 *	  A tiny protobuf writer for building ONNX models in the C tests
 *	  (test/nn) and the fuzz seeds (test/fuzz/make_seeds.c).
 *
 * Every Pb returned is owned by a global list and freed by PbFreeAll(),
 * so tests can nest builders without bookkeeping.  Out-of-memory aborts:
 * this is test code.
 *
 * test/common/pbwriter.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BX_PBWRITER_H
#define BX_PBWRITER_H

#include <stddef.h>
#include <stdint.h>

typedef struct Pb
{
	uint8_t    *buf;
	size_t		len;
	size_t		cap;
	struct Pb  *next;			/* allocation list */
} Pb;

/* wire level */
extern Pb  *PbNew(void);
extern void PbFreeAll(void);
extern void PbRaw(Pb *pb, const void *data, size_t len);
extern void PbVarint(Pb *pb, uint64_t v);
extern void PbKey(Pb *pb, int field, int wireType);
extern void PbInt(Pb *pb, int field, int64_t v);
extern void PbFloat(Pb *pb, int field, float f);
extern void PbBytes(Pb *pb, int field, const void *data, size_t len);
extern void PbStr(Pb *pb, int field, const char *s);
extern void PbMsg(Pb *pb, int field, const Pb *sub);

/* ONNX messages; NULL-terminated Pb* lists */
#define ONNX_T_FLOAT 1
#define ONNX_T_INT32 6
#define ONNX_T_INT64 7

extern Pb  *OnnxTensorF(const char *name, int rank, const int64_t *dims,
						const float *data);
extern Pb  *OnnxTensorI64(const char *name, int rank, const int64_t *dims,
						  const int64_t *data);
/* dims[i] < 0 becomes dim_param "d<i>"; rank < 0 means no shape */
extern Pb  *OnnxValueInfo(const char *name, int elemType, int rank,
						  const int64_t *dims);
extern Pb  *OnnxAttrInt(const char *name, int64_t v);
extern Pb  *OnnxAttrInts(const char *name, int n, const int64_t *v);
extern Pb  *OnnxAttrFloat(const char *name, float f);
extern Pb  *OnnxAttrString(const char *name, const char *s);
extern Pb  *OnnxAttrTensor(const char *name, const Pb *tensor);
/* inputs/outputs: comma-separated names ("a,,b" has an empty input) */
extern Pb  *OnnxNode(const char *op, const char *name, const char *inputs,
					 const char *outputs, Pb *const *attrs);
extern Pb  *OnnxGraph(Pb *const *nodes, Pb *const *inits, Pb *const *inputs,
					  Pb *const *outputs);
extern Pb  *OnnxModel(int64_t irVersion, int64_t opset, const Pb *graph);
/* a model of one node: float x (rank, xdims) -> op(inputs, attrs) -> float y */
extern Pb  *OnnxOneNodeModel(const char *op, const char *inputs, Pb *const *attrs,
							 Pb *const *inits, int rank, const int64_t *xdims, int64_t opset);

#endif							/* BX_PBWRITER_H */
