/*-------------------------------------------------------------------------
 *
 * nn_test.c
 *	  TAP test driver of the nn library.
 *
 * Usage: nn_test [MANIFEST...]
 *
 * Runs the C unit tests (protobuf reader, malformed input, API, real-model
 * robustness) and then every case of the given manifests, written by the
 * Python reference scripts.  Prints TAP; exits 1 if a test failed.
 *
 * test/nn/nn_test.c
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "tap.h"
#include "testutil.h"

int
main(int argc, char **argv)
{
	int			i;
	bool		unit = true;

	for (i = 1; i < argc; i++)
	{
		if (strcmp(argv[i], "--no-unit") == 0)
		{
			unit = false;
			continue;
		}
		RunManifest(argv[i]);
	}
	if (unit)
	{
		TestReader();
		TestApi();
		TestRealModels();
	}
	return TapDone();
}
