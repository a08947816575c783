/*-------------------------------------------------------------------------
 *
 * plan.c
 *	  Prepare a checked graph for running: drop dead nodes, fuse
 *	  activations into convolutions, and lay out the run buffer.
 *
 * Every run-time tensor gets an offset in one run buffer, allocated once
 * and reused by every run.  Offsets are assigned in execution order, best
 * fit from a list of free blocks; a tensor's block returns to the list
 * after its last consumer has run (never before the consumer's own outputs
 * are placed, so no kernel reads and writes the same memory).  Tensors
 * whose lifetimes do not overlap therefore share memory.
 *
 * lib/nn/plan.c
 *
 *-------------------------------------------------------------------------
 */
#include "nn_internal.h"

#define RUN_ALIGN	64

typedef struct FreeBlock
{
	size_t		offset;
	size_t		size;
} FreeBlock;

/*
 * Drop nodes that no graph output depends on, and compute uses and last
 * uses of values over the nodes that will run.
 */
static void
MarkLiveNodes(NnModel m)
{
	int			i;
	int			j;

	for (i = 0; i < m->nvalues; i++)
	{
		m->values[i].nuses = 0;
		m->values[i].lastUse = -1;
	}
	/* walk backwards: a node is live if one of its outputs is needed */
	for (i = m->nnodes - 1; i >= 0; i--)
	{
		NnNode	   *node = &m->nodes[i];
		bool		needed = false;

		if (node->folded || node->skipped)
			continue;
		for (j = 0; j < node->noutputs; j++)
			if (node->outv[j] != NULL &&
				(node->outv[j]->isOutput || node->outv[j]->nuses > 0))
				needed = true;
		if (!needed)
		{
			node->skipped = true;
			continue;
		}
		for (j = 0; j < node->ninputs; j++)
		{
			NnValue    *v = node->inv[j];

			if (v == NULL)
				continue;
			v->nuses++;
			if (v->lastUse < i)
				v->lastUse = i;
		}
	}
}

/*
 * Fuse Relu or Clip into a preceding Conv when the Conv output feeds only
 * that node and is not a graph output.
 */
static void
FuseActivations(NnModel m)
{
	int			i;

	for (i = 0; i < m->nnodes; i++)
	{
		NnNode	   *conv = &m->nodes[i];
		NnNode	   *act;
		NnValue    *v;
		float		lo;
		float		hi;

		if (conv->op != &NnOpConv || conv->folded || conv->skipped)
			continue;
		v = conv->outv[0];
		if (v->isOutput || v->nuses != 1 || v->lastUse <= i)
			continue;
		act = &m->nodes[v->lastUse];
		if (act->folded || act->skipped || act->inv[0] != v ||
			!NnActivationBounds(act, &lo, &hi))
			continue;
		conv->hasAct = true;
		conv->actMin = lo;
		conv->actMax = hi;
		conv->outputs[0] = act->outputs[0];
		conv->outv[0] = act->outv[0];
		conv->outv[0]->producer = i;
		act->skipped = true;
		v->kind = NN_VALUE_DEAD;
		v->nuses = 0;
		v->lastUse = -1;
	}
}

/* Return [offset, size) to the sorted free list, merging neighbours */
static void
ReleaseBlock(FreeBlock *list, int *n, size_t offset, size_t size)
{
	int			pos = 0;
	int			k;

	while (pos < *n && list[pos].offset < offset)
		pos++;
	for (k = *n; k > pos; k--)
		list[k] = list[k - 1];
	list[pos].offset = offset;
	list[pos].size = size;
	(*n)++;
	if (pos + 1 < *n &&
		list[pos].offset + list[pos].size == list[pos + 1].offset)
	{
		list[pos].size += list[pos + 1].size;
		for (k = pos + 1; k + 1 < *n; k++)
			list[k] = list[k + 1];
		(*n)--;
	}
	if (pos > 0 && list[pos - 1].offset + list[pos - 1].size == list[pos].offset)
	{
		list[pos - 1].size += list[pos].size;
		for (k = pos; k + 1 < *n; k++)
			list[k] = list[k + 1];
		(*n)--;
	}
}

/* Best-fit from the free list, else grow the buffer at its end */
static size_t
TakeBlock(FreeBlock *list, int *n, size_t *top, size_t size)
{
	int			best = -1;
	int			k;
	size_t		offset;

	for (k = 0; k < *n; k++)
		if (list[k].size >= size &&
			(best < 0 || list[k].size < list[best].size))
			best = k;
	if (best >= 0)
	{
		offset = list[best].offset;
		list[best].offset += size;
		list[best].size -= size;
		if (list[best].size == 0)
		{
			for (k = best; k + 1 < *n; k++)
				list[k] = list[k + 1];
			(*n)--;
		}
		return offset;
	}
	/* a free block touching the end can be extended */
	if (*n > 0 && list[*n - 1].offset + list[*n - 1].size == *top)
	{
		offset = list[*n - 1].offset;
		(*n)--;
	}
	else
		offset = *top;
	*top = offset + size;
	return offset;
}

/*
 * Give every run-time tensor an offset in the run buffer, allocate it and
 * the shared workspace, and bind the tensors' data pointers.
 */
static BxStatus
PlanBuffers(NnBuild *b, size_t maxRunBytes)
{
	NnModel		m = b->model;
	FreeBlock  *list;
	int			nfree = 0;
	size_t		top = 0;
	size_t		workspace = 0;
	int			i;
	int			j;

	list = NnArenaAlloc(b->arena, sizeof(FreeBlock) * ((size_t) m->nvalues + 1));
	if (list == NULL)
		return NnSetError(b->err, BX_ENOMEM, "out of memory");
	for (i = 0; i < m->nnodes; i++)
	{
		NnNode	   *node = &m->nodes[i];

		if (node->folded || node->skipped)
			continue;
		if (node->workspace > workspace)
			workspace = node->workspace;
		for (j = 0; j < node->noutputs; j++)
		{
			NnValue    *v = node->outv[j];
			size_t		size;

			if (v == NULL)
				continue;
			size = v->count * NnElemSize(v->dtype);
			size = (size + RUN_ALIGN - 1) & ~(size_t) (RUN_ALIGN - 1);
			v->offset = TakeBlock(list, &nfree, &top, size);
			if (top > maxRunBytes)
				return NnSetError(b->err, BX_ELIMIT,
								  "the model needs more than %zu bytes of run-time buffers",
								  maxRunBytes);
		}
		/* inputs whose last use is this node, and unused outputs */
		for (j = 0; j < node->ninputs + node->noutputs; j++)
		{
			NnValue    *v = j < node->ninputs ? node->inv[j]
				: node->outv[j - node->ninputs];
			int			k;
			bool		dup = false;

			if (v == NULL || v->kind != NN_VALUE_ACT || v->isOutput)
				continue;
			if (j < node->ninputs ? v->lastUse != i : v->nuses != 0)
				continue;
			for (k = 0; k < j; k++)
				if ((k < node->ninputs ? node->inv[k]
					 : node->outv[k - node->ninputs]) == v)
					dup = true;
			if (dup)
				continue;
			ReleaseBlock(list, &nfree, v->offset,
						 (v->count * NnElemSize(v->dtype) + RUN_ALIGN - 1) &
						 ~(size_t) (RUN_ALIGN - 1));
		}
	}
	workspace = (workspace + RUN_ALIGN - 1) & ~(size_t) (RUN_ALIGN - 1);
	if (workspace > maxRunBytes - top)
		return NnSetError(b->err, BX_ELIMIT,
						  "the model needs more than %zu bytes of run-time buffers",
						  maxRunBytes);
	m->runBytes = top;
	m->workspaceBytes = workspace;
	if (top > 0)
	{
		m->runBuffer = NnArenaAlloc(b->arena, top);
		if (m->runBuffer == NULL)
			return NnSetError(b->err, BX_ENOMEM, "out of memory");
	}
	if (workspace > 0)
	{
		m->workspace = NnArenaAlloc(b->arena, workspace);
		if (m->workspace == NULL)
			return NnSetError(b->err, BX_ENOMEM, "out of memory");
	}
	for (i = 0; i < m->nvalues; i++)
		if (m->values[i].kind == NN_VALUE_ACT && m->values[i].producer >= 0 &&
			!m->nodes[m->values[i].producer].skipped)
			m->values[i].data = (char *) m->runBuffer + m->values[i].offset;
	return BX_OK;
}

/*
 * Plan the model after all nodes were built: see the file header.  Fails
 * with BX_ELIMIT if the run buffers would exceed maxRunBytes.
 */
BxStatus
NnPlanModel(NnBuild *b, size_t maxRunBytes)
{
	MarkLiveNodes(b->model);
	FuseActivations(b->model);
	return PlanBuffers(b, maxRunBytes);
}
