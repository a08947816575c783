/*-------------------------------------------------------------------------
 *
 * runner.c
 *	  Execute a loaded model.
 *
 * All shapes and buffers were fixed at load time, so a run only binds the
 * caller's input pointers and calls the kernels in order, asking the
 * interrupt callback before each node (kernels with long loops ask it
 * again inside).
 *
 * lib/nn/runner.c
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "nn_internal.h"

/* Ask the caller's interrupt callback; true means stop */
bool
NnInterrupted(NnExec *ex)
{
	return ex->interrupt != NULL && ex->interrupt(ex->interruptArg) != 0;
}

/* Run one node's kernel on its bound values */
BxStatus
NnRunNode(const NnNode *node, NnExec *ex)
{
	return node->op->run(node, node->inv, node->outv, ex);
}

BxStatus
NnModelRun(NnModel model, const float *const *inputs, const float **outputs,
		   BxInterruptFn interrupt, void *interruptArg,
		   char *errbuf, size_t errlen)
{
	NnErr		err = {errbuf, errlen};
	NnExec		ex;
	int			i;

	if (errbuf != NULL && errlen > 0)
		errbuf[0] = '\0';
	if (model == NULL)
		return NnSetError(&err, BX_EINVAL, "model is NULL");
	if (model->ninputs > 0 && inputs == NULL)
		return NnSetError(&err, BX_EINVAL, "inputs is NULL");
	for (i = 0; i < model->ninputs; i++)
	{
		if (inputs[i] == NULL)
			return NnSetError(&err, BX_EINVAL, "input %d is NULL", i);
		/* kernels only read inputs */
		model->values[model->inputs[i]].data = (void *) (uintptr_t) inputs[i];
	}

	memset(&ex, 0, sizeof(ex));
	ex.workspace = model->workspace;
	ex.workspaceBytes = model->workspaceBytes;
	ex.interrupt = interrupt;
	ex.interruptArg = interruptArg;

	for (i = 0; i < model->nnodes; i++)
	{
		const NnNode *node = &model->nodes[i];
		BxStatus	st;

		if (node->folded || node->skipped)
			continue;
		if (NnInterrupted(&ex))
			return NnSetError(&err, BX_EINTERRUPTED, "interrupted");
		st = NnRunNode(node, &ex);
		if (st != BX_OK)
			return NnSetError(&err, st, "interrupted");
	}

	if (outputs != NULL)
		for (i = 0; i < model->noutputs; i++)
			outputs[i] = model->values[model->outputs[i]].data;
	for (i = 0; i < model->ninputs; i++)
		if (!model->values[model->inputs[i]].isOutput)
			model->values[model->inputs[i]].data = NULL;
	return BX_OK;
}
