/*-------------------------------------------------------------------------
 *
 * embed.c
 *	  SQL entry points from photo to face template: bx_detect, bx_embed,
 *	  bx_embed_quality.
 *
 * The work is done by two server-free libraries (lib/image: decoding
 * untrusted bytes under limits; lib/facepipe: detection, alignment,
 * embedding); this file maps their statuses to SQLSTATEs, passes the
 * limits from the settings, and keeps the models and the pipe for the life
 * of the backend (model.c).  The libraries allocate with malloc and never
 * longjmp; every buffer they return is freed here on every path, inside
 * PG_TRY where an ereport could intervene.
 *
 * src/face/photo.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "image/bx_image.h"
#include "bxexit.h"
#include "catalog/pg_type.h"
#include "face_embedding.h"
#include "facepipe/facepipe.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "model.h"
#include "utils/array.h"
#include "utils/builtins.h"

/* limits of untrusted photos (guc.c) */
int			bx_max_image_bytes = 20 * 1024 * 1024;
int			bx_max_image_pixels = 50 * 1000 * 1000;
int			bx_max_jpeg_scans = 100;
double		bx_face_score_threshold = 0.9;
double		bx_min_eye_distance = 0;

#define MAX_FACES	64

/* the pipe over the current models, rebuilt when a model is reloaded */
static BxFacePipe facePipe = NULL;
static uint64 facePipeGeneration = 0;

static BxFacePipe
GetPipe(void)
{
	NnModel		detector = BxModelGet(BX_MODEL_DETECTOR);
	NnModel		embedder = BxModelGet(BX_MODEL_RECOGNIZER);
	char		errbuf[BX_ERRBUF_SIZE];
	BxStatus status;

	if (facePipe != NULL && facePipeGeneration == BxModelGeneration)
		return facePipe;
	BxFacePipeFree(facePipe);
	facePipe = NULL;
	status = BxFacePipeCreate(detector, embedder, NULL, &facePipe, errbuf, sizeof(errbuf));
	if (status == BX_ENOMEM)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory preparing the face pipeline")));
	if (status != BX_OK)
		ereport(ERROR,
				(errcode(ERRCODE_CONFIG_FILE_ERROR),
				 errmsg("face models do not fit the face pipeline"),
				 errdetail_internal("%s: %s", BxStatusName(status), errbuf)));
	facePipeGeneration = BxModelGeneration;
	return facePipe;
}

/*
 * Decode a photo under the configured limits.  Returns NULL with *status and
 * errbuf set when the image is bad and raise is false; otherwise bad images
 * are ERRORs.
 */
static BxImage
DecodePhoto(bytea *photo, bool raise, BxStatus *status, char *errbuf, size_t errlen)
{
	BxImageOptions opts;
	BxImage		image = NULL;
	Size		len = VARSIZE_ANY_EXHDR(photo);

	BxImageDefaultOptions(&opts);
	opts.maxBytes = bx_max_image_bytes;
	opts.maxPixels = bx_max_image_pixels;
	opts.maxScans = bx_max_jpeg_scans;
	/* decode big JPEGs straight down to about twice the detector's canvas */
	opts.targetLongSide = Max(640, 2 * bx_detector_size);
	opts.interrupt = BxInterruptPending;

	*status = BxImageDecode(VARDATA_ANY(photo), len, &opts, &image, errbuf, errlen);
	if (*status == BX_OK)
		return image;
	if (*status == BX_EINTERRUPTED)
		CHECK_FOR_INTERRUPTS();
	if (*status == BX_ENOMEM)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory decoding a photo of %zu bytes", len)));
	if (!raise)
		return NULL;
	if (*status == BX_ELIMIT)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("photo exceeds a size limit"),
				 errdetail_internal("%s", errbuf),
				 errhint("The limits are bxexit.max_image_bytes, bxexit.max_image_pixels and bxexit.max_jpeg_scans.")));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid photo"),
			 errdetail_internal("%s", errbuf)));
	return NULL;				/* keep compiler quiet */
}

static void
FillFaceOptions(BxFaceOptions *opts, BxFaceRule rule)
{
	BxFaceDefaultOptions(opts);
	opts->scoreThreshold = (float) bx_face_score_threshold;
	opts->minEyeDistance = (float) bx_min_eye_distance;
	opts->rule = rule;
	opts->interrupt = BxInterruptPending;
}

static BxFaceRule
ParseRule(text *rule)
{
	char	   *r = text_to_cstring(rule);

	if (strcmp(r, "single") == 0)
		return BX_FACE_RULE_SINGLE;
	if (strcmp(r, "largest") == 0)
		return BX_FACE_RULE_LARGEST;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid face rule \"%s\"", r),
			 errhint("The rule is \"single\" (exactly one face) or \"largest\".")));
	return BX_FACE_RULE_SINGLE;	/* keep compiler quiet */
}

/* ERROR for a face status that is not a property of the photo */
static void
CheckFaceStatus(BxStatus status, const char *errbuf)
{
	switch (status)
	{
		case BX_OK:
		case BX_ENOFACE:
		case BX_EMULTIPLE:
		case BX_ETOOSMALL:
			return;
		case BX_EINTERRUPTED:
			CHECK_FOR_INTERRUPTS();
			ereport(ERROR, (errcode(ERRCODE_QUERY_CANCELED), errmsg("canceling face embedding")));
			break;
		case BX_ENOMEM:
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory in the face pipeline")));
			break;
		default:
			ereport(ERROR,
					(errcode(ERRCODE_INTERNAL_ERROR),
					 errmsg("face pipeline failed"),
					 errdetail_internal("%s: %s", BxStatusName(status), errbuf)));
	}
}

/* the 128 floats as a face_embedding tagged with the recognizer's name */
static FaceEmbedding
MakeEmbedding(const float *x)
{
	const char *tag = BxModelManifest(BX_MODEL_RECOGNIZER)->name;
	FaceEmbedding e = BxEmbeddingNew(BX_FACE_EMBEDDING_DIM, tag, strlen(tag));

	memcpy(FE_X(e), x, sizeof(float) * BX_FACE_EMBEDDING_DIM);
	return e;
}

/*
 * Choose the face to embed among those detected: faces whose eyes are
 * closer than bxexit.min_eye_distance (in the photo's own pixels) do not
 * count; "single" wants exactly one, "largest" takes the largest box.
 */
static BxStatus
ChooseFace(const BxFace *faces, int nfaces, double scale, BxFaceRule rule, int *chosen)
{
	int			usable = 0;

	*chosen = -1;
	for (int i = 0; i < Min(nfaces, MAX_FACES); i++)
	{
		if (faces[i].eyeDistance * scale < bx_min_eye_distance)
			continue;
		usable++;
		if (*chosen < 0 ||
			faces[i].width * faces[i].height > faces[*chosen].width * faces[*chosen].height)
			*chosen = i;
	}
	if (nfaces == 0)
		return BX_ENOFACE;
	if (usable == 0)
	{
		*chosen = 0;			/* report the best one */
		return BX_ETOOSMALL;
	}
	if (rule == BX_FACE_RULE_SINGLE && usable > 1)
		return BX_EMULTIPLE;
	return BX_OK;
}

/*
 * Detect once, choose, align and embed; the image is freed whatever
 * happens.  *face gets the chosen (or best) face in the photo's pixels.
 */
static BxStatus
EmbedPhoto(BxImage image, BxFaceRule rule, float *embedding, BxFace *face,
		   int *nfaces, char *errbuf, size_t errlen)
{
	BxFacePipe	p = GetPipe();
	BxFaceOptions opts;
	BxStatus status = BX_OK;
	BxFace		faces[MAX_FACES];
	uint8		aligned[BX_FACE_ALIGNED_SIZE * BX_FACE_ALIGNED_SIZE * 3];
	double		scale = (double) image->fullWidth / image->width;
	int			chosen = -1;

	FillFaceOptions(&opts, rule);
	*face = (BxFace) {0};
	PG_TRY();
	{
		CheckFaceStatus(BxFaceDetect(p, image, &opts, faces, MAX_FACES, nfaces,
									 errbuf, errlen), errbuf);
		status = ChooseFace(faces, *nfaces, scale, rule, &chosen);
		if (status == BX_OK)
		{
			CheckFaceStatus(BxFaceAlign(image, faces[chosen].landmarks, aligned), "");
			CheckFaceStatus(BxFaceEmbedAligned(p, aligned, &opts, embedding, errbuf, errlen),
							errbuf);
		}
	}
	PG_FINALLY();
	{
		BxImageFree(image);
	}
	PG_END_TRY();
	if (chosen >= 0)
	{
		*face = faces[chosen];
		face->eyeDistance *= scale;
	}
	return status;
}

/*
 * bx_embed(photo bytea, rule text DEFAULT 'single'): the face template of
 * the one face in the photo, or an ERROR saying why there is none.
 */
PG_FUNCTION_INFO_V1(bx_embed);
Datum
bx_embed(PG_FUNCTION_ARGS)
{
	bytea	   *photo = PG_GETARG_BYTEA_PP(0);
	BxFaceRule	rule = ParseRule(PG_GETARG_TEXT_PP(1));
	char		errbuf[BX_ERRBUF_SIZE];
	BxStatus imgstatus;
	BxImage		image = DecodePhoto(photo, true, &imgstatus, errbuf, sizeof(errbuf));
	float		embedding[BX_FACE_EMBEDDING_DIM];
	BxFace		face;
	int			nfaces = 0;
	BxStatus status = EmbedPhoto(image, rule, embedding, &face, &nfaces,
									 errbuf, sizeof(errbuf));

	if (status == BX_ENOFACE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("no face found in the photo"),
				 errhint("bxexit.face_score_threshold is %g.", bx_face_score_threshold)));
	if (status == BX_EMULTIPLE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%d faces found in the photo, expected one", nfaces),
				 errhint("Use bx_embed(photo, 'largest') to take the largest face.")));
	if (status == BX_ETOOSMALL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("face too small in the photo"),
				 errdetail("Its eyes are %.1f pixels apart; bxexit.min_eye_distance is %g.",
						   face.eyeDistance, bx_min_eye_distance)));
	PG_RETURN_POINTER(MakeEmbedding(embedding));
}

/*
 * bx_embed_quality(photo, rule): like bx_embed but never raises for a photo
 * it cannot use: returns (embedding, status, faces, score, eye_distance,
 * detail) with a NULL embedding and the reason in status.  Configuration
 * problems (models missing) still raise.
 */
PG_FUNCTION_INFO_V1(bx_embed_quality);
Datum
bx_embed_quality(PG_FUNCTION_ARGS)
{
	bytea	   *photo = PG_GETARG_BYTEA_PP(0);
	BxFaceRule	rule = ParseRule(PG_GETARG_TEXT_PP(1));
	TupleDesc	tupdesc;
	Datum		values[6];
	bool		nulls[6] = {0};
	char		errbuf[BX_ERRBUF_SIZE];
	BxStatus imgstatus;
	BxImage		image;
	float		embedding[BX_FACE_EMBEDDING_DIM];
	BxFace		face = {0};
	int			nfaces = 0;
	BxStatus status;
	const char *name;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	errbuf[0] = '\0';
	image = DecodePhoto(photo, false, &imgstatus, errbuf, sizeof(errbuf));
	if (image == NULL)
	{
		name = imgstatus == BX_ELIMIT ? "image_too_large" : "invalid_image";
		status = BX_EINVAL;
	}
	else
	{
		status = EmbedPhoto(image, rule, embedding, &face, &nfaces, errbuf, sizeof(errbuf));
		name = status == BX_OK ? "ok" :
			status == BX_ENOFACE ? "no_face" :
			status == BX_EMULTIPLE ? "several_faces" : "face_too_small";
	}
	if (status == BX_OK)
		values[0] = PointerGetDatum(MakeEmbedding(embedding));
	else
		nulls[0] = true;
	values[1] = CStringGetTextDatum(name);
	values[2] = Int32GetDatum(nfaces);
	values[3] = Float4GetDatum(face.score);
	values[4] = Float4GetDatum(face.eyeDistance);
	nulls[3] = nulls[4] = (nfaces == 0);
	if (errbuf[0] != '\0' && status != BX_OK)
		values[5] = CStringGetTextDatum(errbuf);
	else
		nulls[5] = true;
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/*
 * bx_detect(photo): every face found, best score first, in the photo's own
 * pixel coordinates (before any DCT scaling of the decoder).
 */
PG_FUNCTION_INFO_V1(bx_detect);
Datum
bx_detect(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	bytea	   *photo = PG_GETARG_BYTEA_PP(0);
	char		errbuf[BX_ERRBUF_SIZE];
	BxStatus imgstatus;
	BxImage		image;
	BxFace		faces[MAX_FACES];
	int			nfaces = 0;
	BxFaceOptions opts;
	BxFacePipe	p;
	double		sx,
				sy;

	InitMaterializedSRF(fcinfo, 0);
	p = GetPipe();
	image = DecodePhoto(photo, true, &imgstatus, errbuf, sizeof(errbuf));
	sx = (double) image->fullWidth / image->width;
	sy = (double) image->fullHeight / image->height;
	FillFaceOptions(&opts, BX_FACE_RULE_LARGEST);
	PG_TRY();
	{
		CheckFaceStatus(BxFaceDetect(p, image, &opts, faces, MAX_FACES, &nfaces,
									 errbuf, sizeof(errbuf)), errbuf);
	}
	PG_FINALLY();
	{
		BxImageFree(image);
	}
	PG_END_TRY();

	for (int i = 0; i < Min(nfaces, MAX_FACES); i++)
	{
		Datum		values[8];
		bool		nulls[8] = {0};
		Datum		lm[BX_FACE_LANDMARKS * 2];

		for (int k = 0; k < BX_FACE_LANDMARKS; k++)
		{
			lm[2 * k] = Float4GetDatum((float4) (faces[i].landmarks[k][0] * sx));
			lm[2 * k + 1] = Float4GetDatum((float4) (faces[i].landmarks[k][1] * sy));
		}
		values[0] = Int32GetDatum(i + 1);
		values[1] = Float4GetDatum((float4) (faces[i].x * sx));
		values[2] = Float4GetDatum((float4) (faces[i].y * sy));
		values[3] = Float4GetDatum((float4) (faces[i].width * sx));
		values[4] = Float4GetDatum((float4) (faces[i].height * sy));
		values[5] = Float4GetDatum(faces[i].score);
		values[6] = Float4GetDatum((float4) (faces[i].eyeDistance * sx));
		values[7] = PointerGetDatum(construct_array(lm, BX_FACE_LANDMARKS * 2, FLOAT4OID,
													sizeof(float4), true, TYPALIGN_INT));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
