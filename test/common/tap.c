/*-------------------------------------------------------------------------
 *
 * tap.c
 *	  Minimal TAP producer for the C tests.
 *
 * The plan is printed at the end, which TAP allows, because the number of
 * cases can come from files written at test time (the nn manifests).
 *
 * test/common/tap.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stdio.h>

#include "tap.h"

static int	ntests = 0;
static int	nfailed = 0;

bool
TapOk(bool cond, const char *fmt,...)
{
	va_list		ap;

	ntests++;
	if (!cond)
		nfailed++;
	printf("%sok %d - ", cond ? "" : "not ", ntests);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	return cond;
}

void
TapSkip(const char *fmt,...)
{
	va_list		ap;

	ntests++;
	printf("ok %d # SKIP ", ntests);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

void
TapDiag(const char *fmt,...)
{
	va_list		ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

int
TapDone(void)
{
	printf("1..%d\n", ntests);
	if (nfailed > 0)
		printf("# %d of %d tests failed\n", nfailed, ntests);
	fflush(stdout);
	return nfailed > 0 ? 1 : 0;
}
