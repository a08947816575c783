/*-------------------------------------------------------------------------
 *
 * graph.c
 *	  Turn a decoded ONNX model into a runnable graph.
 *
 * NnModelLoad() checks the decoded model in one pass over the nodes, which
 * ONNX requires to be topologically sorted: every input must be a graph
 * input, an initializer or the output of an earlier node, and every value
 * is defined once.  For each node the operator's prepare function validates
 * attributes and input shapes and infers the output shapes, so after the
 * pass every tensor has a static shape.  A node whose inputs are all
 * constant is executed right away if its operator is cheap (constant
 * folding: Constant nodes, shape computations feeding Reshape, ...) and
 * its outputs become constants.
 *
 * Then shapes the model declares (graph outputs, value_info) are checked
 * against the inferred ones, and plan.c prepares the graph for running.
 *
 * lib/nn/graph.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <string.h>

#include "nn_internal.h"

static const NnOpDef *const opTable[] = {
	&NnOpAdd, &NnOpBatchNormalization, &NnOpClip, &NnOpConcat,
	&NnOpConstant, &NnOpConv, &NnOpFlatten, &NnOpGemm,
	&NnOpGlobalAveragePool, &NnOpMatMul, &NnOpMaxPool, &NnOpMul,
	&NnOpPRelu, &NnOpRelu, &NnOpReshape, &NnOpResize, &NnOpSigmoid,
	&NnOpTranspose
};

/*
 * Name -> value index, open addressing.  The hash is seeded per load (from
 * an address, so it varies with ASLR) to make collisions hard to craft.
 */
typedef struct NameTable
{
	int		   *slots;			/* -1 = empty */
	size_t		mask;
	uint64_t	seed;
} NameTable;

static uint64_t
HashName(const char *s, uint64_t seed)
{
	uint64_t	h = 1469598103934665603ULL ^ seed;

	while (*s)
	{
		h ^= (unsigned char) *s++;
		h *= 1099511628211ULL;
	}
	return h;
}

static int
LookupName(const NameTable *t, const NnValue *values, const char *name)
{
	size_t		i = (size_t) HashName(name, t->seed) & t->mask;

	while (t->slots[i] >= 0)
	{
		if (strcmp(values[t->slots[i]].name, name) == 0)
			return t->slots[i];
		i = (i + 1) & t->mask;
	}
	return -1;
}

static void
InsertName(NameTable *t, const NnValue *values, int index)
{
	size_t		i = (size_t) HashName(values[index].name, t->seed) & t->mask;

	while (t->slots[i] >= 0)
		i = (i + 1) & t->mask;
	t->slots[i] = index;
}
static const NnOpDef *
FindOp(const char *name)
{
	size_t		i;

	for (i = 0; i < sizeof(opTable) / sizeof(opTable[0]); i++)
		if (strcmp(opTable[i]->name, name) == 0)
			return opTable[i];
	return NULL;
}

/* Add a value named name; -1 and error if the name is taken */
static int
AddValue(NnBuild *b, NameTable *names, int *nvalues, const char *name,
		 NnValueKind kind)
{
	NnValue    *values = b->model->values;
	NnValue    *v;
	char		safe[64];

	if (LookupName(names, values, name) >= 0)
	{
		NnSetError(b->err, BX_EFORMAT,
				   "malformed model: value '%s' is defined more than once",
				   NnSafeName(safe, sizeof(safe), name));
		return -1;
	}
	v = &values[*nvalues];
	memset(v, 0, sizeof(*v));
	v->name = name;
	v->kind = kind;
	v->rank = -1;
	v->producer = -1;
	v->lastUse = -1;
	InsertName(names, values, *nvalues);
	return (*nvalues)++;
}

/* Shape of a graph input, from opts or from its declaration */
static BxStatus
InputShape(NnBuild *b, const OnnxValueInfo *vi, const NnLoadOptions *opts,
		   NnValue *v)
{
	char		name[64];
	int			d;

	NnSafeName(name, sizeof(name), vi->name);
	if (!vi->isTensor)
		return NnSetError(b->err, BX_EUNSUPPORTED,
						  "graph input '%s' is not a tensor", name);
	if (vi->elemType != ONNX_FLOAT)
		return NnSetError(b->err, BX_EUNSUPPORTED,
						  "graph input '%s' has type %s; only FLOAT inputs are supported",
						  name, NnDataTypeName(vi->elemType));
	if (opts != NULL && opts->inputRank > 0)
	{
		if (opts->inputRank > NN_MAX_DIMS)
			return NnSetError(b->err, BX_EINVAL,
							  "inputRank %d exceeds %d", opts->inputRank,
							  NN_MAX_DIMS);
		if (vi->hasShape && vi->rank != opts->inputRank)
			return NnSetError(b->err, BX_EINVAL,
							  "graph input '%s' has rank %d, options give rank %d",
							  name, vi->rank, opts->inputRank);
		v->rank = opts->inputRank;
		memcpy(v->dims, opts->inputDims, sizeof(int64_t) * (size_t) v->rank);
	}
	else
	{
		if (!vi->hasShape)
			return NnSetError(b->err, BX_EUNSUPPORTED,
							  "graph input '%s' has no shape; give it in NnLoadOptions",
							  name);
		v->rank = vi->rank;
		for (d = 0; d < vi->rank; d++)
		{
			if (vi->dims[d] >= 0)
				v->dims[d] = vi->dims[d];
			else if (d == 0)
				v->dims[d] = 1; /* batch */
			else
			{
				char		param[64];

				return NnSetError(b->err, BX_EUNSUPPORTED,
								  "graph input '%s' dimension %d is symbolic ('%s'); give the shape in NnLoadOptions",
								  name, d,
								  NnSafeName(param, sizeof(param),
											 vi->dimParams[d] ? vi->dimParams[d] : "?"));
			}
		}
	}
	for (d = 0; d < v->rank; d++)
		if (v->dims[d] < 1)
			return NnSetError(b->err, BX_EUNSUPPORTED,
							  "graph input '%s' dimension %d is %lld; dimensions must be at least 1",
							  name, d, (long long) v->dims[d]);
	if (!NnDimsCount(v->rank, v->dims, &v->count))
		return NnSetError(b->err, BX_ELIMIT,
						  "graph input '%s' exceeds the size limits", name);
	v->dtype = ONNX_FLOAT;
	return BX_OK;
}

/*
 * Compare an inferred value with its declaration.  Dimensions are compared
 * only when checkDims (not after an input shape override).
 */
static BxStatus
CheckDeclared(NnBuild *b, const OnnxValueInfo *vi, const NnValue *v,
			  bool checkDims, const char *what)
{
	char		name[64];
	char		inferred[128];
	char		declared[128];
	int			d;

	if (!vi->isTensor)
		return BX_OK;
	NnSafeName(name, sizeof(name), vi->name);
	if (vi->elemType != 0 && vi->elemType != v->dtype)
		return NnSetError(b->err, BX_EFORMAT,
						  "%s '%s' is declared %s but computed as %s",
						  what, name, NnDataTypeName(vi->elemType),
						  NnDataTypeName(v->dtype));
	if (!vi->hasShape)
		return BX_OK;
	NnFormatDims(inferred, sizeof(inferred), v->rank, v->dims);
	NnFormatDims(declared, sizeof(declared), vi->rank, vi->dims);
	if (vi->rank != v->rank)
		return NnSetError(b->err, BX_EFORMAT,
						  "%s '%s' is declared with shape %s but inferred as %s",
						  what, name, declared, inferred);
	if (checkDims)
		for (d = 0; d < vi->rank; d++)
			if (vi->dims[d] >= 0 && vi->dims[d] != v->dims[d])
				return NnSetError(b->err, BX_EFORMAT,
								  "%s '%s' is declared with shape %s but inferred as %s",
								  what, name, declared, inferred);
	return BX_OK;
}

/* Execute a node whose inputs are all constant; its outputs become constant */
static BxStatus
FoldNode(NnBuild *b, NnNode *node)
{
	NnExec		ex;
	int			i;
	BxStatus	st;

	memset(&ex, 0, sizeof(ex));
	for (i = 0; i < node->noutputs; i++)
	{
		NnValue    *v = node->outv[i];
		size_t		bytes;

		if (v == NULL)
			continue;
		bytes = v->count * NnElemSize(v->dtype);
		if (bytes > NN_MAX_WEIGHT_BYTES - b->constBytes)
			return NnNodeError(b, node, BX_ELIMIT,
							   "constant folding exceeds the limit of %zu MiB of constants",
							   NN_MAX_WEIGHT_BYTES >> 20);
		b->constBytes += bytes;
		v->data = NnArenaAlloc(b->arena, bytes);
		if (v->data == NULL)
			return NnSetError(b->err, BX_ENOMEM, "out of memory");
		v->kind = NN_VALUE_CONST;
	}
	if (node->workspace > 0)
	{
		if (node->workspace > NN_MAX_WEIGHT_BYTES - b->constBytes)
			return NnNodeError(b, node, BX_ELIMIT,
							   "constant folding needs too much scratch space");
		b->constBytes += node->workspace;
		ex.workspace = NnArenaAlloc(b->arena, node->workspace);
		if (ex.workspace == NULL)
			return NnSetError(b->err, BX_ENOMEM, "out of memory");
		ex.workspaceBytes = node->workspace;
	}
	st = NnRunNode(node, &ex);
	if (st != BX_OK)
		return NnNodeError(b, node, BX_EINTERNAL, "constant folding failed");
	node->folded = true;
	return BX_OK;
}

/* Create the NnNode for src, resolve its inputs, prepare and maybe fold */
static BxStatus
BuildNode(NnBuild *b, NameTable *names, int *nvalues, const OnnxNode *src,
		  int index)
{
	NnModel		m = b->model;
	NnNode	   *node = &m->nodes[index];
	const NnOpDef *op;
	char		name[64];
	char		opname[64];
	char		desc[128];
	bool		allConst = true;
	BxStatus	st;
	int			i;

	node->src = src;
	node->index = index;
	NnSafeName(opname, sizeof(opname), src->opType);
	if (src->domain[0] != '\0' && strcmp(src->domain, "ai.onnx") != 0)
	{
		char		domain[64];

		NnNodeDesc(node, desc, sizeof(desc));
		return NnSetError(b->err, BX_EUNSUPPORTED,
						  "operator '%s:%s' is not supported (%s): only the default ONNX domain is",
						  NnSafeName(domain, sizeof(domain), src->domain),
						  opname, desc);
	}
	NnNodeDesc(node, desc, sizeof(desc));
	op = FindOp(src->opType);
	if (op == NULL)
		return NnSetError(b->err, BX_EUNSUPPORTED,
						  "operator '%s' is not supported (%s)", opname, desc);
	node->op = op;
	if (src->ninputs < op->minInputs || src->ninputs > op->maxInputs)
		return NnSetError(b->err, BX_EFORMAT,
						  "%s has %d inputs; the operator takes %d to %d",
						  desc, src->ninputs, op->minInputs, op->maxInputs);
	if (src->noutputs < 1 || src->noutputs > op->maxOutputs)
		return NnSetError(b->err, src->noutputs < 1 ? BX_EFORMAT : BX_EUNSUPPORTED,
						  "%s has %d outputs; %d to %d supported",
						  desc, src->noutputs, 1, op->maxOutputs);

	node->ninputs = src->ninputs;
	node->noutputs = src->noutputs;
	node->inputs = NnArenaAlloc(b->arena, sizeof(int) * (size_t) node->ninputs);
	node->outputs = NnArenaAlloc(b->arena, sizeof(int) * (size_t) node->noutputs);
	node->inv = NnArenaAlloc(b->arena, sizeof(NnValue *) * (size_t) node->ninputs);
	node->outv = NnArenaAlloc(b->arena, sizeof(NnValue *) * (size_t) node->noutputs);
	if (node->inputs == NULL || node->outputs == NULL || node->inv == NULL ||
		node->outv == NULL)
		return NnSetError(b->err, BX_ENOMEM, "out of memory");

	for (i = 0; i < node->ninputs; i++)
	{
		const char *in = src->inputs[i];
		int			vi;

		if (in[0] == '\0')
		{
			if (i < op->minInputs)
				return NnSetError(b->err, BX_EFORMAT,
								  "%s: required input %d is empty", desc, i);
			node->inputs[i] = -1;
			node->inv[i] = NULL;
			continue;
		}
		vi = LookupName(names, m->values, in);
		if (vi < 0)
			return NnSetError(b->err, BX_EFORMAT,
							  "%s: input '%s' is not defined by an earlier node, an initializer or a graph input (nodes must be in topological order)",
							  desc, NnSafeName(name, sizeof(name), in));
		node->inputs[i] = vi;
		node->inv[i] = &m->values[vi];
		if (m->values[vi].kind != NN_VALUE_CONST)
			allConst = false;
		/* only shape-like inputs may be empty: Resize roi/scales/sizes, Reshape shape */
		if (m->values[vi].count == 0 && !(op == &NnOpResize && i > 0) &&
			!(op == &NnOpReshape && i == 1))
			return NnSetError(b->err, BX_EUNSUPPORTED,
							  "%s: input '%s' is an empty tensor; zero-sized tensors are not supported",
							  desc, NnSafeName(name, sizeof(name), in));
	}
	for (i = 0; i < node->noutputs; i++)
	{
		const char *out = src->outputs[i];
		int			vi;

		if (out[0] == '\0')
		{
			if (i == 0)
				return NnSetError(b->err, BX_EFORMAT,
								  "%s: output 0 is empty", desc);
			node->outputs[i] = -1;
			node->outv[i] = NULL;
			continue;
		}
		vi = AddValue(b, names, nvalues, out, NN_VALUE_ACT);
		if (vi < 0)
			return BX_EFORMAT;
		m->values[vi].producer = index;
		node->outputs[i] = vi;
		node->outv[i] = &m->values[vi];
	}

	if ((st = op->prepare(b, node)) != BX_OK)
		return st;
	for (i = 0; i < node->noutputs; i++)
	{
		if (node->outv[i] != NULL && node->outv[i]->rank < 0)
			return NnSetError(b->err, BX_EINTERNAL,
							  "%s: output %d has no inferred shape", desc, i);
		if (node->outv[i] != NULL &&
			(st = NnAddWork(b, node, (double) node->outv[i]->count)) != BX_OK)
			return st;
	}

	if (node->folded)
		return BX_OK;			/* prepare did it (Constant) */
	if (allConst && op->fold)
		return FoldNode(b, node);
	for (i = 0; i < node->noutputs; i++)
		if (node->outv[i] != NULL && node->outv[i]->dtype != ONNX_FLOAT)
			return NnSetError(b->err, BX_EUNSUPPORTED,
							  "%s: output %d has type %s, but only FLOAT tensors can be computed at run time",
							  desc, i, NnDataTypeName(node->outv[i]->dtype));
	return BX_OK;
}
static BxStatus
BuildGraph(NnBuild *b, const OnnxModel *om, const NnLoadOptions *opts)
{
	NnModel		m = b->model;
	NameTable	names;
	size_t		maxValues;
	size_t		tableSize;
	int			nvalues = 0;
	bool		override = opts != NULL && opts->inputRank > 0;
	size_t		maxRunBytes = NN_DEFAULT_RUN_BYTES;
	BxStatus	st;
	int			i;
	int			nreal = 0;

	if (opts != NULL && opts->maxRunBytes > 0)
		maxRunBytes = opts->maxRunBytes;
	if (opts != NULL && (opts->inputRank < 0 || opts->inputRank > NN_MAX_DIMS))
		return NnSetError(b->err, BX_EINVAL, "inputRank %d is out of range",
						  opts->inputRank);

	/* every value is an input, an initializer or a node output */
	maxValues = (size_t) om->ninputs + (size_t) om->ninits;
	for (i = 0; i < om->nnodes; i++)
		maxValues += (size_t) om->nodes[i].noutputs;
	if (maxValues > NN_MAX_VALUES)
		return NnSetError(b->err, BX_ELIMIT,
						  "graph has %zu named tensors (limit %d)",
						  maxValues, NN_MAX_VALUES);
	tableSize = 16;
	while (tableSize < 2 * maxValues)
		tableSize *= 2;
	m->values = NnArenaAlloc(b->arena, sizeof(NnValue) * (maxValues + 1));
	names.slots = NnArenaAlloc(b->arena, sizeof(int) * tableSize);
	m->nodes = NnArenaAlloc(b->arena, sizeof(NnNode) * ((size_t) om->nnodes + 1));
	m->inputs = NnArenaAlloc(b->arena, sizeof(int) * ((size_t) om->ninputs + 1));
	m->outputs = NnArenaAlloc(b->arena, sizeof(int) * ((size_t) om->noutputs + 1));
	if (m->values == NULL || names.slots == NULL || m->nodes == NULL ||
		m->inputs == NULL || m->outputs == NULL)
		return NnSetError(b->err, BX_ENOMEM, "out of memory");
	memset(names.slots, 0xff, sizeof(int) * tableSize);
	names.mask = tableSize - 1;
	names.seed = (uint64_t) (uintptr_t) names.slots * 0x9e3779b97f4a7c15ULL;

	b->constBytes = om->tensorBytes;
	for (i = 0; i < om->ninits; i++)
	{
		const OnnxTensor *t = &om->inits[i];
		int			vi = AddValue(b, &names, &nvalues, t->name, NN_VALUE_CONST);
		NnValue    *v;

		if (vi < 0)
			return BX_EFORMAT;
		v = &m->values[vi];
		v->dtype = t->dataType;
		v->rank = t->rank;
		memcpy(v->dims, t->dims, sizeof(v->dims));
		v->count = t->count;
		v->data = t->data;
	}

	for (i = 0; i < om->ninputs; i++)
	{
		int			k = LookupName(&names, m->values, om->inputs[i].name);

		if (k < 0 || m->values[k].kind != NN_VALUE_CONST)
			nreal++;
	}
	if (override && nreal != 1)
		return NnSetError(b->err, BX_EINVAL,
						  "an input shape was given but the model has %d inputs",
						  nreal);
	for (i = 0; i < om->ninputs; i++)
	{
		const OnnxValueInfo *vi = &om->inputs[i];
		int			k = LookupName(&names, m->values, vi->name);

		/* an input with an initializer is a constant with a default */
		if (k >= 0 && m->values[k].kind == NN_VALUE_CONST)
		{
			if ((st = CheckDeclared(b, vi, &m->values[k], true, "graph input")) != BX_OK)
				return st;
			continue;
		}
		k = AddValue(b, &names, &nvalues, vi->name, NN_VALUE_INPUT);
		if (k < 0)
			return BX_EFORMAT;
		if ((st = InputShape(b, vi, opts, &m->values[k])) != BX_OK)
			return st;
		m->inputs[m->ninputs++] = k;
	}

	m->nvalues = nvalues;
	for (i = 0; i < om->nnodes; i++)
	{
		st = BuildNode(b, &names, &nvalues, &om->nodes[i], i);
		m->nvalues = nvalues;
		if (st != BX_OK)
			return st;
		m->nnodes = i + 1;
	}

	if (om->noutputs == 0)
		return NnSetError(b->err, BX_EFORMAT, "malformed model: the graph has no outputs");
	for (i = 0; i < om->noutputs; i++)
	{
		const OnnxValueInfo *vi = &om->outputs[i];
		int			k = LookupName(&names, m->values, vi->name);
		char		name[64];

		if (k < 0)
			return NnSetError(b->err, BX_EFORMAT,
							  "graph output '%s' is not produced by any node",
							  NnSafeName(name, sizeof(name), vi->name));
		if (m->values[k].dtype != ONNX_FLOAT)
			return NnSetError(b->err, BX_EUNSUPPORTED,
							  "graph output '%s' has type %s; only FLOAT outputs are supported",
							  NnSafeName(name, sizeof(name), vi->name),
							  NnDataTypeName(m->values[k].dtype));
		if ((st = CheckDeclared(b, vi, &m->values[k], !override, "graph output")) != BX_OK)
			return st;
		m->values[k].isOutput = true;
		m->outputs[m->noutputs++] = k;
	}
	for (i = 0; i < om->nvalueInfos; i++)
	{
		int			k = LookupName(&names, m->values, om->valueInfos[i].name);

		if (k >= 0 &&
			(st = CheckDeclared(b, &om->valueInfos[i], &m->values[k],
								!override, "value")) != BX_OK)
			return st;
	}

	return NnPlanModel(b, maxRunBytes);
}

BxStatus
NnModelLoad(const void *data, size_t len, const NnLoadOptions *opts,
			NnModel *model, char *errbuf, size_t errlen)
{
	NnErr		err = {errbuf, errlen};
	BxAllocator alloc;
	NnArena		arena;
	OnnxModel	om;
	NnBuild		b;
	NnModel		m;
	BxStatus	st;

	if (errbuf != NULL && errlen > 0)
		errbuf[0] = '\0';
	if (model == NULL)
		return NnSetError(&err, BX_EINVAL, "model pointer is NULL");
	*model = NULL;
	if (data == NULL && len > 0)
		return NnSetError(&err, BX_EINVAL, "model data pointer is NULL");

	NnGetAllocator(&alloc);
	NnArenaInit(&arena, &alloc);
	st = NnOnnxParse(data, len, &arena, &om, &err);
	if (st != BX_OK)
	{
		NnArenaRelease(&arena);
		return st;
	}
	m = NnArenaAlloc(&arena, sizeof(struct NnModelData));
	if (m == NULL)
	{
		NnArenaRelease(&arena);
		return NnSetError(&err, BX_ENOMEM, "out of memory");
	}
	m->opset = om.opset;
	memset(&b, 0, sizeof(b));
	b.model = m;
	b.arena = &arena;
	b.err = &err;
	b.opset = om.opset;
	st = BuildGraph(&b, &om, opts);
	if (st != BX_OK)
	{
		NnArenaRelease(&arena);
		return st;
	}
	m->arena = arena;
	*model = m;
	return BX_OK;
}

void
NnModelFree(NnModel model)
{
	if (model != NULL)
		NnArenaRelease(&model->arena);
}

int
NnModelNumInputs(NnModel model)
{
	return model != NULL ? model->ninputs : 0;
}

int
NnModelNumOutputs(NnModel model)
{
	return model != NULL ? model->noutputs : 0;
}

static BxStatus
Describe(const NnValue *v, NnTensorInfo *info)
{
	memset(info, 0, sizeof(*info));
	info->name = v->name;
	info->rank = v->rank;
	memcpy(info->dims, v->dims, sizeof(int64_t) * (size_t) v->rank);
	info->count = v->count;
	return BX_OK;
}

BxStatus
NnModelGetInput(NnModel model, int index, NnTensorInfo *info)
{
	if (model == NULL || info == NULL || index < 0 || index >= model->ninputs)
		return BX_EINVAL;
	return Describe(&model->values[model->inputs[index]], info);
}

BxStatus
NnModelGetOutput(NnModel model, int index, NnTensorInfo *info)
{
	if (model == NULL || info == NULL || index < 0 || index >= model->noutputs)
		return BX_EINVAL;
	return Describe(&model->values[model->outputs[index]], info);
}

size_t
NnModelMemoryBytes(NnModel model)
{
	return model != NULL ? model->arena.total : 0;
}
