/*-------------------------------------------------------------------------
 *
 * nn_util.c
 *	  Error messages, the allocator hook and the arena of the nn library.
 *
 * lib/nn/nn_util.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn_internal.h"

/* Small allocations are carved from chunks of this size */
#define NN_CHUNK_SIZE		((size_t) 64 * 1024)
/* Requests above this get a chunk of their own */
#define NN_BIG_ALLOC		((size_t) 8 * 1024)
#define NN_SMALL_ALIGN		16
#define NN_BIG_ALIGN		64

struct NnArenaChunk
{
	NnArenaChunk *next;
};

static BxAllocator currentAllocator;

void
NnSetAllocator(const BxAllocator *allocator)
{
	if (allocator == NULL || allocator->alloc == NULL ||
		allocator->free == NULL)
		currentAllocator = *BxMallocAllocator();
	else
		currentAllocator = *allocator;
}

void
NnGetAllocator(BxAllocator *out)
{
	if (currentAllocator.alloc == NULL)
		currentAllocator = *BxMallocAllocator();
	*out = currentAllocator;
}

/*
 * Format a message into the caller's error buffer and return status.
 *
 * A NULL or zero-length buffer is allowed; long messages are truncated.
 */
BxStatus
NnSetError(NnErr *err, BxStatus status, const char *fmt,...)
{
	va_list		ap;

	if (err == NULL || err->buf == NULL || err->len == 0)
		return status;
	va_start(ap, fmt);
	vsnprintf(err->buf, err->len, fmt, ap);
	va_end(ap);
	return status;
}

/*
 * Copy a model-supplied name into out for use in a message.
 *
 * Names come from untrusted bytes, so anything but printable ASCII becomes
 * '?', and long names are shortened with "...".
 */
const char *
NnSafeName(char *out, size_t outlen, const char *name)
{
	size_t		i;
	size_t		n;

	if (outlen == 0)
		return "";
	if (name == NULL)
		name = "";
	n = strlen(name);
	for (i = 0; i < n && i + 1 < outlen; i++)
	{
		unsigned char c = (unsigned char) name[i];

		out[i] = (c >= 0x20 && c < 0x7f) ? (char) c : '?';
	}
	out[i] = '\0';
	if (i < n && outlen >= 4)
		memcpy(out + outlen - 4, "...", 4);
	return out;
}

/* Write dims as "[1, 3, 640, 640]" */
void
NnFormatDims(char *out, size_t outlen, int rank, const int64_t *dims)
{
	size_t		pos = 0;
	int			i;

	if (outlen == 0)
		return;
	out[0] = '\0';
	pos += (size_t) snprintf(out, outlen, "[");
	for (i = 0; i < rank && pos < outlen; i++)
		pos += (size_t) snprintf(out + pos, outlen - pos, "%s%lld",
								 i > 0 ? ", " : "", (long long) dims[i]);
	if (pos < outlen)
		snprintf(out + pos, outlen - pos, "]");
}

const char *
NnDataTypeName(int32_t dataType)
{
	static const char *const names[] = {
		"UNDEFINED", "FLOAT", "UINT8", "INT8", "UINT16", "INT16", "INT32",
		"INT64", "STRING", "BOOL", "FLOAT16", "DOUBLE", "UINT32", "UINT64",
		"COMPLEX64", "COMPLEX128", "BFLOAT16", "FLOAT8E4M3FN",
		"FLOAT8E4M3FNUZ", "FLOAT8E5M2", "FLOAT8E5M2FNUZ", "UINT4", "INT4"
	};

	if (dataType >= 0 && dataType < (int32_t) (sizeof(names) / sizeof(names[0])))
		return names[dataType];
	return "unknown";
}

/* a * b without overflow; false if it would overflow */
bool
NnMulSize(size_t a, size_t b, size_t *result)
{
	if (a != 0 && b > SIZE_MAX / a)
		return false;
	*result = a * b;
	return true;
}

/*
 * Number of elements of a shape, 1 for rank 0.
 *
 * Returns false if a dimension is negative or above NN_MAX_DIM_VALUE or the
 * product exceeds NN_MAX_ELEMENTS.
 */
bool
NnDimsCount(int rank, const int64_t *dims, size_t *count)
{
	int64_t		n = 1;
	int			i;

	if (rank < 0 || rank > NN_MAX_DIMS)
		return false;
	for (i = 0; i < rank; i++)
	{
		if (dims[i] < 0 || dims[i] > NN_MAX_DIM_VALUE)
			return false;
		/* both factors are <= 2^28, so the product fits in int64 */
		n *= dims[i];
		if (n > NN_MAX_ELEMENTS)
			return false;
	}
	*count = (size_t) n;
	return true;
}

void
NnArenaInit(NnArena *arena, const BxAllocator *alloc)
{
	memset(arena, 0, sizeof(*arena));
	arena->alloc = *alloc;
}

/* Get a chunk able to hold size bytes at the given alignment */
static char *
NewChunk(NnArena *arena, size_t size, size_t align)
{
	size_t		total;
	NnArenaChunk *chunk;
	uintptr_t	p;

	if (size > SIZE_MAX - sizeof(NnArenaChunk) - align)
		return NULL;
	total = size + sizeof(NnArenaChunk) + align;
	chunk = arena->alloc.alloc(arena->alloc.arg, total);
	if (chunk == NULL)
		return NULL;
	chunk->next = arena->chunks;
	arena->chunks = chunk;
	arena->total += total;
	p = (uintptr_t) (chunk + 1);
	p = (p + align - 1) & ~(uintptr_t) (align - 1);
	return (char *) p;
}

/*
 * Allocate size zeroed bytes that live until NnArenaRelease().
 *
 * Small requests are 16-byte aligned, large ones 64-byte aligned.  Returns
 * NULL if the allocator fails.
 */
void *
NnArenaAlloc(NnArena *arena, size_t size)
{
	char	   *p;

	if (size == 0)
		size = 1;
	if (size > NN_BIG_ALLOC)
	{
		p = NewChunk(arena, size, NN_BIG_ALIGN);
		if (p != NULL)
			memset(p, 0, size);
		return p;
	}
	size = (size + NN_SMALL_ALIGN - 1) & ~(size_t) (NN_SMALL_ALIGN - 1);
	if (arena->cur == NULL || arena->left < size)
	{
		p = NewChunk(arena, NN_CHUNK_SIZE, NN_SMALL_ALIGN);
		if (p == NULL)
			return NULL;
		arena->cur = p;
		arena->left = NN_CHUNK_SIZE;
	}
	p = arena->cur;
	arena->cur += size;
	arena->left -= size;
	memset(p, 0, size);
	return p;
}

/* Copy len bytes of s plus a terminating NUL into the arena */
char *
NnArenaStrndup(NnArena *arena, const char *s, size_t len)
{
	char	   *p;

	if (len >= SIZE_MAX)
		return NULL;
	p = NnArenaAlloc(arena, len + 1);
	if (p == NULL)
		return NULL;
	if (len > 0)
		memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/*
 * Free every chunk of the arena.
 *
 * The arena struct itself may live inside one of the chunks (a model's
 * does), so it is copied first.
 */
void
NnArenaRelease(NnArena *arena)
{
	NnArena		copy = *arena;
	NnArenaChunk *chunk = copy.chunks;

	while (chunk != NULL)
	{
		NnArenaChunk *next = chunk->next;

		copy.alloc.free(copy.alloc.arg, chunk);
		chunk = next;
	}
}
