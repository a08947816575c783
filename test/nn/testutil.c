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

void *
ReadFile(const char *path, size_t *len)
{
	FILE	   *f = fopen(path, "rb");
	char	   *buf;
	long		n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
		fseek(f, 0, SEEK_SET) != 0)
	{
		fclose(f);
		return NULL;
	}
	buf = malloc(n > 0 ? (size_t) n : 1);
	if (buf == NULL || fread(buf, 1, (size_t) n, f) != (size_t) n)
	{
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	*len = (size_t) n;
	return buf;
}

static long live = 0;
static long calls = 0;
static long failAt = 0;

static void *
CountingAlloc(void *arg, size_t size)
{
	void	   *p;

	(void) arg;
	calls++;
	if (failAt > 0 && calls == failAt)
		return NULL;
	p = malloc(size);
	if (p != NULL)
		live++;
	return p;
}

static void
CountingFree(void *arg, void *ptr)
{
	(void) arg;
	if (ptr != NULL)
		live--;
	free(ptr);
}

void
CountingInstall(void)
{
	BxAllocator a = {CountingAlloc, CountingFree, NULL};

	NnSetAllocator(&a);
}

void
CountingReset(long fail)
{
	calls = 0;
	failAt = fail;
}

long
CountingLive(void)
{
	return live;
}

long
CountingCalls(void)
{
	return calls;
}

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
