/*-------------------------------------------------------------------------
 *
 * robust.h
 *	  The robustness table of faces_bench (robust.c): accuracy on degraded
 *	  studio and web photos.
 *
 * bench/faces/robust.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BENCH_ROBUST_H
#define BENCH_ROBUST_H

#include "facepipe/facepipe.h"

typedef struct RobustConfig
{
	const char *dataDir;		/* the shared data: faces/att_orl, lfw_singletons */
	const char *webDir;			/* web set (get_web_faces.sh); NULL or absent: skipped */
	const char *conditions;		/* comma-separated keys; NULL: all */
	int			target;			/* JPEG DCT scaling hint, as bx_embed */
	const BxFaceOptions *face;	/* the pipeline measured ("after") */
	const BxFaceOptions *before;	/* the same without the retries */
} RobustConfig;

/* Print the robustness table (markdown) */
extern void Robustness(BxFacePipe pipe, const RobustConfig *cfg);

#endif							/* BENCH_ROBUST_H */
