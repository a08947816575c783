/*-------------------------------------------------------------------------
 *
 * helpers.c
 *	  Test helpers with no image or model in them: read a file, list a data
 *	  directory, find the data directory, count allocations (and fail the
 *	  n-th), deterministic random numbers.  Shared by every C test and
 *	  bench/faces; imgutil.c (image writers) includes its header.
 *
 * test/common/helpers.c
 *
 *-------------------------------------------------------------------------
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

void *
ReadWholeFile(const char *path, size_t *len)
{
	FILE	   *f = fopen(path, "rb");
	long		n;
	void	   *buf;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
		fseek(f, 0, SEEK_SET) != 0)
	{
		fclose(f);
		return NULL;
	}
	buf = malloc((size_t) n + 1);
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

static int
ComparePaths(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

int
ListSubdirFiles(const char *dir, const char *suffix, char ***paths)
{
	DIR		   *top = opendir(dir);
	struct dirent *e;
	char	  **out = NULL;
	int			n = 0,
				cap = 0;
	size_t		sl = strlen(suffix);

	*paths = NULL;
	if (top == NULL)
		return 0;
	while ((e = readdir(top)) != NULL)
	{
		char		sub[2048];
		DIR		   *d;
		struct dirent *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", dir, e->d_name);
		if ((d = opendir(sub)) == NULL)
			continue;
		while ((f = readdir(d)) != NULL)
		{
			size_t		fl = strlen(f->d_name);
			char	   *p;

			if (f->d_name[0] == '.' || fl < sl ||
				strcmp(f->d_name + fl - sl, suffix) != 0)
				continue;
			if (n == cap)
			{
				cap = cap ? cap * 2 : 64;
				out = realloc(out, sizeof(char *) * (size_t) cap);
			}
			p = malloc(strlen(sub) + fl + 2);
			sprintf(p, "%s/%s", sub, f->d_name);
			out[n++] = p;
		}
		closedir(d);
	}
	closedir(top);
	if (n > 0)
		qsort(out, (size_t) n, sizeof(char *), ComparePaths);
	*paths = out;
	return n;
}

void
FreePaths(char **paths, int n)
{
	int			i;

	for (i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
}

#ifndef BX_TEST_DATA_DIR
#define BX_TEST_DATA_DIR "../shared/data"
#endif

const char *
DataDir(void)
{
	const char *d = getenv("BX_DATA_DIR");

	return d != NULL && d[0] != '\0' ? d : BX_TEST_DATA_DIR;
}

/* Counting allocator: a size header before each block */
#define HDR 16

static long live,
			calls,
			failAt;
static size_t curBytes,
			peakBytes;

static void *
CountAlloc(void *arg, size_t size)
{
	uint8_t    *p;

	(void) arg;
	calls++;
	if (failAt > 0 && calls == failAt)
		return NULL;
	p = malloc(size + HDR);
	if (p == NULL)
		return NULL;
	memcpy(p, &size, sizeof(size));
	live++;
	curBytes += size;
	if (curBytes > peakBytes)
		peakBytes = curBytes;
	return p + HDR;
}

static void
CountFree(void *arg, void *ptr)
{
	uint8_t    *p;
	size_t		size;

	(void) arg;
	if (ptr == NULL)
		return;
	p = (uint8_t *) ptr - HDR;
	memcpy(&size, p, sizeof(size));
	live--;
	curBytes -= size;
	free(p);
}

static const BxAllocator counting = {CountAlloc, CountFree, NULL};

const BxAllocator *
CountingAllocator(void)
{
	return &counting;
}

void
CountingStart(long fail)
{
	live = 0;
	calls = 0;
	curBytes = peakBytes = 0;
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

size_t
CountingPeakBytes(void)
{
	return peakBytes;
}

/* splitmix64: portable and fixed, unlike rand(), for reproducible draws */
uint64_t
TestSplitMix64(uint64_t *state)
{
	uint64_t	z = (*state += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

uint32_t
TestRandom(void)
{
	static uint64_t state = 0x9E3779B97F4A7C15ULL;

	state ^= state << 13;
	state ^= state >> 7;
	state ^= state << 17;
	return (uint32_t) (state >> 32);
}
