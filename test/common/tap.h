/*-------------------------------------------------------------------------
 *
 * tap.h
 *	  Minimal TAP producer for the C tests (nn, image, facepipe, kernels,
 *	  binary_io): "ok N - text" lines that scripts/test.sh counts.
 *
 * test/common/tap.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BX_TAP_H
#define BX_TAP_H

#include <stdbool.h>

/* Report one test; returns cond */
extern bool TapOk(bool cond, const char *fmt,...)
			__attribute__((format(printf, 2, 3)));

/* Report a skipped test ("ok N # SKIP reason") */
extern void TapSkip(const char *fmt,...)
			__attribute__((format(printf, 1, 2)));

/* Print a diagnostic line ("# ...") */
extern void TapDiag(const char *fmt,...)
			__attribute__((format(printf, 1, 2)));

/* Print the plan "1..N"; returns the exit status (1 if any test failed) */
extern int	TapDone(void);

#endif							/* BX_TAP_H */
