/*-------------------------------------------------------------------------
 *
 * model.h
 *	  Face models: the manifest bxexit ships, and loading a model file from
 *	  bxexit.model_path once per backend.
 *
 * include/model.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BX_MODEL_H
#define BX_MODEL_H

#include "postgres.h"

#include "bx_guc.h"

#include "nn/nn.h"

typedef enum BxModelKind
{
	BX_MODEL_DETECTOR = 0,		/* YuNet face detector */
	BX_MODEL_RECOGNIZER,		/* MobileFaceNet embedding network */
	BX_MODEL_NKINDS
} BxModelKind;

/* one entry of the manifest: what a model file must be */
typedef struct BxModelManifestEntry
{
	BxModelKind kind;
	const char *name;			/* model tag of its embeddings, e.g. "mobilefacenet-v1" */
	const char *relpath;		/* below bxexit.model_path */
	int64		size;			/* bytes */
	const char *sha256;			/* lower-case hex */
	const char *source;			/* where users get it (README has details) */
} BxModelManifestEntry;

extern uint64 BxModelGeneration;	/* bumped whenever a model is (re)loaded */

extern const BxModelManifestEntry *BxModelManifest(BxModelKind kind);
extern NnModel BxModelGet(BxModelKind kind);
extern char *BxModelDirectory(void);

#endif							/* BX_MODEL_H */
