/*-------------------------------------------------------------------------
 *
 * testutil.c
 *	  Helpers shared by the nn tests.
 *
 * test/nn/testutil.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn.h"
#include "testutil.h"

/* the Makefile passes its default; this is for a bare compile */
#ifndef NN_TEST_MODEL_DIR
#define NN_TEST_MODEL_DIR "../shared/models"
#endif

const char *
ModelDir(void)
{
	const char *d = getenv("BX_MODEL_DIR");

	return d != NULL && d[0] != '\0' ? d : NN_TEST_MODEL_DIR;
}

const char *
ModelPath(const char *rel)
{
	static char path[4096];
	FILE	   *f;

	snprintf(path, sizeof(path), "%s/%s", ModelDir(), rel);
	f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	fclose(f);
	return path;
}
