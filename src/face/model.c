/*-------------------------------------------------------------------------
 *
 * model.c
 *	  Load the face models from bxexit.model_path, check them against the
 *	  manifest, and keep them for the life of the backend.
 *
 * Model files are data, never part of the project: a DBA installs them
 * below bxexit.model_path (README, "Face models").  Before a file is parsed
 * its size and SHA-256 must match the manifest below, so a truncated,
 * altered or swapped file is refused with a clear error instead of being
 * fed to the ONNX reader (which is strict anyway).  A loaded model is
 * cached per backend and per path; changing bxexit.model_path reloads.
 *
 * The nn library allocates with malloc: a model lives as long as the
 * backend, and an allocation failure comes back as a status, never as a
 * longjmp through the library.
 *
 * src/face/model.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cryptohash.h"
#include "common/sha2.h"
#include "facepipe/facepipe.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "model.h"
#include "storage/fd.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

uint64		BxModelGeneration = 0;

/* The manifest: the model files this version of bxexit accepts. */
static const BxModelManifestEntry manifest[BX_MODEL_NKINDS] = {
	{BX_MODEL_DETECTOR, "yunet-2023mar", "yunet/face_detection_yunet_2023mar.onnx",
		232589, "8f2383e4dd3cfbb4553ea8718107fc0423210dc964f9f4280604804ed2552fa4",
	"opencv/opencv_zoo models/face_detection_yunet (MIT)"},
	{BX_MODEL_RECOGNIZER, "mobilefacenet-v1", "mobilefacenet/MobileFaceNet.onnx",
		3998070, "b7120c095d60094f28a4a54ba6a8bf51b297a6273fb40ef6350dfec1f63d9507",
	"foamliu/MobileFaceNet weights/MobileFaceNet.onnx (Apache-2.0)"},
};

typedef struct LoadedModel
{
	NnModel		model;
	char	   *path;			/* full path it was loaded from (malloc'd) */
	int			inputSize;		/* detector input side it was loaded at, else 0 */
} LoadedModel;

static LoadedModel loaded[BX_MODEL_NKINDS];

const BxModelManifestEntry *
BxModelManifest(BxModelKind kind)
{
	Assert(kind >= 0 && kind < BX_MODEL_NKINDS);
	return &manifest[kind];
}

/* bxexit.model_path, or its default: SHAREDIR/extension/bxexit_models */
char *
BxModelDirectory(void)
{
	char		sharepath[MAXPGPATH];

	if (bx_model_path != NULL && bx_model_path[0] != '\0')
		return pstrdup(bx_model_path);
	get_share_path(my_exec_path, sharepath);
	return psprintf("%s/extension/bxexit_models", sharepath);
}

static void
HexDigest(const uint8 *digest, char *hex)
{
	static const char digits[] = "0123456789abcdef";

	for (int i = 0; i < PG_SHA256_DIGEST_LENGTH; i++)
	{
		hex[2 * i] = digits[digest[i] >> 4];
		hex[2 * i + 1] = digits[digest[i] & 15];
	}
	hex[2 * PG_SHA256_DIGEST_LENGTH] = '\0';
}

/*
 * Read the file at path, which the manifest says has exactly size bytes;
 * ERROR if it is missing, unreadable, or of another size.
 */
static char *
ReadModelFile(const char *path, const BxModelManifestEntry *entry)
{
	struct stat st;
	int			fd;
	char	   *data;
	Size		done = 0;

	if (stat(path, &st) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open face model file \"%s\": %m", path),
				 errhint("Install %s as \"%s\" below the directory named by bxexit.model_path (see the README, \"Face models\").",
						 entry->source, entry->relpath)));
	if (!S_ISREG(st.st_mode) || st.st_size != entry->size)
		ereport(ERROR,
				(errcode(ERRCODE_CONFIG_FILE_ERROR),
				 errmsg("face model file \"%s\" has %lld bytes, expected %lld",
						path, (long long) st.st_size, (long long) entry->size),
				 errhint("The file is truncated or is not the model bxexit expects: %s.",
						 entry->source)));

	fd = OpenTransientFile(path, O_RDONLY | PG_BINARY);
	if (fd < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open face model file \"%s\": %m", path),
				 errhint("The server's operating-system user must be able to read it.")));
	data = palloc(entry->size);
	while (done < (Size) entry->size)
	{
		ssize_t		n = read(fd, data + done, entry->size - done);

		if (n < 0)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not read face model file \"%s\": %m", path)));
		if (n == 0)
			ereport(ERROR,
					(errcode(ERRCODE_CONFIG_FILE_ERROR),
					 errmsg("face model file \"%s\" ended after %zu bytes, expected %lld",
							path, done, (long long) entry->size)));
		done += n;
		CHECK_FOR_INTERRUPTS();
	}
	CloseTransientFile(fd);
	return data;
}

/* ERROR unless data has the manifest's SHA-256 */
static void
CheckDigest(const char *path, const char *data, const BxModelManifestEntry *entry)
{
	pg_cryptohash_ctx *ctx = pg_cryptohash_create(PG_SHA256);
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	char		hex[PG_SHA256_DIGEST_STRING_LENGTH];

	if (ctx == NULL ||
		pg_cryptohash_init(ctx) < 0 ||
		pg_cryptohash_update(ctx, (const uint8 *) data, entry->size) < 0 ||
		pg_cryptohash_final(ctx, digest, sizeof(digest)) < 0)
		elog(ERROR, "could not compute SHA-256 of \"%s\"", path);
	pg_cryptohash_free(ctx);
	HexDigest(digest, hex);
	if (strcmp(hex, entry->sha256) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_CONFIG_FILE_ERROR),
				 errmsg("face model file \"%s\" does not have the expected SHA-256", path),
				 errdetail("SHA-256 is %s, expected %s.", hex, entry->sha256),
				 errhint("The file was altered or is another model: install %s.", entry->source)));
}

/*
 * The model of the given kind, loaded from bxexit.model_path on first use
 * and cached; ERROR if the file is missing or not the manifest's.
 */
NnModel
BxModelGet(BxModelKind kind)
{
	const BxModelManifestEntry *entry = BxModelManifest(kind);
	char	   *dir = BxModelDirectory();
	char	   *path = psprintf("%s/%s", dir, entry->relpath);
	char	   *data;
	char		errbuf[256];
	NnModel		model;
	BxStatus	status;

	NnLoadOptions opts = {0};
	int			inputSize = kind == BX_MODEL_DETECTOR ? bx_detector_size : 0;

	if (loaded[kind].model != NULL && strcmp(loaded[kind].path, path) == 0 &&
		loaded[kind].inputSize == inputSize)
		return loaded[kind].model;

	/* the detector is fully convolutional: run it at the configured size */
	if (inputSize > 0)
		BxFaceDetectorLoadOptions(&opts, inputSize);
	data = ReadModelFile(path, entry);
	CheckDigest(path, data, entry);
	status = NnModelLoad(data, entry->size, &opts, &model, errbuf, sizeof(errbuf));
	pfree(data);
	if (status == BX_ENOMEM)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory loading face model \"%s\"", path),
				 errdetail_internal("%s", errbuf)));
	if (status != BX_OK)
		ereport(ERROR,
				(errcode(ERRCODE_CONFIG_FILE_ERROR),
				 errmsg("could not load face model \"%s\"", path),
				 errdetail_internal("%s: %s", BxStatusName(status), errbuf)));

	/* replace a model loaded from another path */
	if (loaded[kind].model != NULL)
	{
		NnModelFree(loaded[kind].model);
		free(loaded[kind].path);
	}
	loaded[kind].path = strdup(path);
	if (loaded[kind].path == NULL)
	{
		NnModelFree(model);
		loaded[kind].model = NULL;
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	}
	loaded[kind].model = model;
	loaded[kind].inputSize = inputSize;
	BxModelGeneration++;
	return model;
}

/*
 * bx_model_check(): load every model of the manifest and describe it; for
 * DBAs after installing the files, and for tests.
 */
PG_FUNCTION_INFO_V1(bx_model_check);
Datum
bx_model_check(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *dir = BxModelDirectory();

	InitMaterializedSRF(fcinfo, 0);
	for (int k = 0; k < BX_MODEL_NKINDS; k++)
	{
		const BxModelManifestEntry *entry = BxModelManifest((BxModelKind) k);
		NnModel		model = BxModelGet((BxModelKind) k);
		NnTensorInfo in;
		NnTensorInfo out;
		Datum		values[6];
		bool		nulls[6] = {0};
		StringInfoData shape;

		NnModelGetInput(model, 0, &in);
		NnModelGetOutput(model, 0, &out);
		initStringInfo(&shape);
		for (int d = 0; d < in.rank; d++)
			appendStringInfo(&shape, "%s%lld", d ? "x" : "", (long long) in.dims[d]);
		appendStringInfoString(&shape, " -> ");
		for (int d = 0; d < out.rank; d++)
			appendStringInfo(&shape, "%s%lld", d ? "x" : "", (long long) out.dims[d]);

		values[0] = CStringGetTextDatum(entry->name);
		values[1] = CStringGetTextDatum(psprintf("%s/%s", dir, entry->relpath));
		values[2] = Int64GetDatum(entry->size);
		values[3] = CStringGetTextDatum(entry->sha256);
		values[4] = CStringGetTextDatum(shape.data);
		values[5] = Int64GetDatum((int64) NnModelMemoryBytes(model));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
