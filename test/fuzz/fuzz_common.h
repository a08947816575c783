/*-------------------------------------------------------------------------
 *
 * fuzz_common.h
 *	  Shared by the libFuzzer harnesses: invariant checks that crash.
 *
 * A harness reports a broken invariant by aborting, which libFuzzer
 * records as a crash with the input that caused it, like a sanitizer
 * report.  FUZZ_CHECK stays on whatever the build flags (never assert()).
 *
 * test/fuzz/fuzz_common.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BX_FUZZ_COMMON_H
#define BX_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define FUZZ_CHECK(cond, ...) \
	do { \
		if (!(cond)) \
		{ \
			fprintf(stderr, "%s:%d: invariant failed: %s: ", \
					__FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__); \
			fputc('\n', stderr); \
			abort(); \
		} \
	} while (0)

/* FNV-1a: a deterministic choice of options from the input itself */
static inline uint32_t
FuzzHash(const uint8_t *data, size_t size)
{
	uint32_t	h = 2166136261u;

	for (size_t i = 0; i < size; i++)
	{
		h ^= data[i];
		h *= 16777619u;
	}
	return h;
}

/* True if buf[0..len) holds a NUL (a message must be terminated) */
static inline int
FuzzTerminated(const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (buf[i] == '\0')
			return 1;
	return 0;
}

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif							/* BX_FUZZ_COMMON_H */
