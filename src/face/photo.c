/*-------------------------------------------------------------------------
 *
 * photo.c
 *	  SQL entry points from photo to face template: bx_detect, bx_embed,
 *	  bx_embed_quality.
 *
 * The work is done by two server-free libraries: lib/image decodes
 * untrusted bytes under limits; lib/facepipe runs the one face pipeline
 * (detect, choose a face, align, embed), the same call the accuracy
 * benchmark that calibrates the match thresholds makes.  This file maps
 * their statuses to SQLSTATEs, passes the limits from the settings, and
 * keeps the models and the pipe for the life of the backend (model.c).  The libraries allocate with malloc and never
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
DecodePhoto(bytea *photo, bool raise, int64 maxPixels, BxStatus *status,
			char *errbuf, size_t errlen)
{
	BxImageOptions opts;
	BxImage		image = NULL;
	Size		len = VARSIZE_ANY_EXHDR(photo);

	BxImageDefaultOptions(&opts);
	opts.maxBytes = bx_max_image_bytes;
	opts.maxPixels = Min(maxPixels, (int64) bx_max_image_pixels);
	opts.maxScans = bx_max_jpeg_scans;
	/* decode big JPEGs straight down to about twice the detector's canvas */
	opts.targetLongSide = BxFaceDecodeLongSide(bx_detector_size);
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
 * Run the face pipeline (lib/facepipe: detect, choose, align, embed) on a
 * decoded photo, which is freed whatever happens.  result gets the chosen
 * (or best) face in the photo's own pixels and the face counts.
 */
static BxStatus
EmbedPhoto(BxImage image, BxFaceRule rule, float *embedding,
		   BxFaceResult *result, char *errbuf, size_t errlen)
{
	BxFacePipe	p = GetPipe();
	BxFaceOptions opts;
	BxStatus	status = BX_OK;

	FillFaceOptions(&opts, rule);
	memset(result, 0, sizeof(*result));
	PG_TRY();
	{
		status = BxFaceEmbed(p, image, &opts, embedding, result, errbuf, errlen);
		CheckFaceStatus(status, errbuf);
	}
	PG_FINALLY();
	{
		BxImageFree(image);
	}
	PG_END_TRY();
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
	BxImage		image = DecodePhoto(photo, true, bx_max_image_pixels, &imgstatus,
									errbuf, sizeof(errbuf));
	float		embedding[BX_FACE_EMBEDDING_DIM];
	BxFaceResult found;
	BxStatus	status = EmbedPhoto(image, rule, embedding, &found,
									errbuf, sizeof(errbuf));

	if (status == BX_ENOFACE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("no face found in the photo"),
				 errhint("bxexit.face_score_threshold is %g.", bx_face_score_threshold)));
	if (status == BX_EMULTIPLE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%d faces found in the photo, expected one", found.nUsable),
				 errhint("Use bx_embed(photo, 'largest') to take the largest face.")));
	if (status == BX_ETOOSMALL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("face too small in the photo"),
				 errdetail("Its eyes are %.1f pixels apart; bxexit.min_eye_distance is %g.",
						   found.face.eyeDistance, bx_min_eye_distance)));
	PG_RETURN_POINTER(MakeEmbedding(embedding));
}

/* the quality limits of the bxexit.quality_* settings */
static void
FillQualityLimits(BxQualityLimits *lim)
{
	lim->minEyeDistance = (float) bx_quality_min_eye_distance;
	lim->minFaceSize = (float) bx_quality_min_face_size;
	lim->minFaceInFrame = (float) bx_quality_min_face_in_frame;
	lim->maxRoll = (float) bx_quality_max_roll;
	lim->maxYaw = (float) bx_quality_max_yaw;
	lim->maxPitch = (float) bx_quality_max_pitch;
	lim->minBrightness = (float) bx_quality_min_brightness;
	lim->maxBrightness = (float) bx_quality_max_brightness;
	lim->minContrast = (float) bx_quality_min_contrast;
	lim->minSharpness = (float) bx_quality_min_sharpness;
	lim->minConfidence = (float) bx_quality_min_confidence;
	lim->minScore = (float) bx_quality_min_score;
}

/* columns of bx_embed_quality: 0.1.0's six, then 0.2.0's quality columns */
#define EQ_V1_COLUMNS		6
#define EQ_COLUMNS			16

/*
 * Body of both C entry points of bx_embed_quality: fills the first six
 * columns (embedding, status, faces, score, eye_distance, detail) and,
 * when the declared row has them, the quality columns (quality,
 * quality_failure, sharpness, brightness, contrast, roll, yaw, pitch,
 * face_size, face_in_frame).  Never raises for a photo it cannot use: the
 * embedding is NULL and status says why.  Configuration problems (models
 * missing) still raise.
 */
static Datum
EmbedQuality(FunctionCallInfo fcinfo, int ncolumns)
{
	bytea	   *photo = PG_GETARG_BYTEA_PP(0);
	BxFaceRule	rule = ParseRule(PG_GETARG_TEXT_PP(1));
	TupleDesc	tupdesc;
	Datum		values[EQ_COLUMNS];
	bool		nulls[EQ_COLUMNS] = {0};
	char		errbuf[BX_ERRBUF_SIZE];
	BxStatus imgstatus;
	BxImage		image;
	float		embedding[BX_FACE_EMBEDDING_DIM];
	BxFaceResult found = {0};
	BxStatus	status;
	const char *name;
	int64		maxPixels;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	if (tupdesc->natts != ncolumns)
		elog(ERROR, "bx_embed_quality must return %d columns, not %d",
			 ncolumns, tupdesc->natts);
	errbuf[0] = '\0';
	/* bx_match passes the gate's lower pixel limit as a third argument */
	maxPixels = PG_NARGS() > 2 && !PG_ARGISNULL(2) ? PG_GETARG_INT64(2) : bx_max_image_pixels;
	image = DecodePhoto(photo, false, maxPixels, &imgstatus, errbuf, sizeof(errbuf));
	if (image == NULL)
	{
		name = imgstatus == BX_ELIMIT ? "image_too_large" : "invalid_image";
		status = BX_EINVAL;
	}
	else
	{
		status = EmbedPhoto(image, rule, embedding, &found, errbuf, sizeof(errbuf));
		name = status == BX_OK ? "ok" :
			status == BX_ENOFACE ? "no_face" :
			status == BX_EMULTIPLE ? "several_faces" : "face_too_small";
	}
	if (status == BX_OK)
		values[0] = PointerGetDatum(MakeEmbedding(embedding));
	else
		nulls[0] = true;
	values[1] = CStringGetTextDatum(name);
	values[2] = Int32GetDatum(found.nFaces);
	values[3] = Float4GetDatum(found.face.score);
	values[4] = Float4GetDatum(found.face.eyeDistance);
	nulls[3] = nulls[4] = (found.nFaces == 0);
	if (errbuf[0] != '\0' && status != BX_OK)
		values[5] = CStringGetTextDatum(errbuf);
	else
		nulls[5] = true;

	if (ncolumns > EQ_V1_COLUMNS)
	{
		const BxFaceQuality *q = &found.quality;

		/* only an embedded face has a crop to measure */
		if (status == BX_OK && found.hasQuality)
		{
			BxQualityLimits lim;
			BxQualityComponent failed;

			FillQualityLimits(&lim);
			failed = BxFaceQualityCheck(q, &lim);
			values[6] = Float4GetDatum(q->score);
			if (failed == BX_QC_COUNT)
				nulls[7] = true;
			else
				values[7] = CStringGetTextDatum(BxFaceQualityComponentName(failed));
			values[8] = Float4GetDatum(q->sharpness);
			values[9] = Float4GetDatum(q->brightness);
			values[10] = Float4GetDatum(q->contrast);
			values[11] = Float4GetDatum(q->roll);
			values[12] = Float4GetDatum(q->yaw);
			values[13] = Float4GetDatum(q->pitch);
			values[14] = Float4GetDatum(q->faceSize);
			values[15] = Float4GetDatum(q->faceInFrame);
		}
		else
			memset(nulls + EQ_V1_COLUMNS, true, EQ_COLUMNS - EQ_V1_COLUMNS);
	}
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/*
 * bx_embed_quality(photo, rule [, max_pixels]) of 0.1.0: (embedding,
 * status, faces, score, eye_distance, detail).  Kept for databases not yet
 * updated to 0.2.0, whose SQL definition still names this symbol.
 */
PG_FUNCTION_INFO_V1(bx_embed_quality);
Datum
bx_embed_quality(PG_FUNCTION_ARGS)
{
	return EmbedQuality(fcinfo, EQ_V1_COLUMNS);
}

/*
 * bx_embed_quality of 0.2.0: the six columns of 0.1.0, then the capture
 * quality of the embedded face (lib/facepipe/quality.h): the overall score,
 * the first component below the bxexit.quality_* settings (NULL when it
 * meets them all: the failing component bx_match reports as poor_quality),
 * and the components not already among the six (score is the detector's
 * confidence, eye_distance the inter-eye distance).
 */
PG_FUNCTION_INFO_V1(bx_embed_quality_0_2);
Datum
bx_embed_quality_0_2(PG_FUNCTION_ARGS)
{
	return EmbedQuality(fcinfo, EQ_COLUMNS);
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

	InitMaterializedSRF(fcinfo, 0);
	p = GetPipe();
	image = DecodePhoto(photo, true, bx_max_image_pixels, &imgstatus, errbuf, sizeof(errbuf));
	FillFaceOptions(&opts, BX_FACE_RULE_LARGEST);
	PG_TRY();
	{
		CheckFaceStatus(BxFaceDetect(p, image, &opts, faces, MAX_FACES, &nfaces,
									 errbuf, sizeof(errbuf)), errbuf);
		for (int i = 0; i < Min(nfaces, MAX_FACES); i++)
			BxFaceToPhotoPixels(image, &faces[i]);
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
			lm[2 * k] = Float4GetDatum(faces[i].landmarks[k][0]);
			lm[2 * k + 1] = Float4GetDatum(faces[i].landmarks[k][1]);
		}
		values[0] = Int32GetDatum(i + 1);
		values[1] = Float4GetDatum(faces[i].x);
		values[2] = Float4GetDatum(faces[i].y);
		values[3] = Float4GetDatum(faces[i].width);
		values[4] = Float4GetDatum(faces[i].height);
		values[5] = Float4GetDatum(faces[i].score);
		values[6] = Float4GetDatum(faces[i].eyeDistance);
		values[7] = PointerGetDatum(construct_array(lm, BX_FACE_LANDMARKS * 2, FLOAT4OID,
													sizeof(float4), true, TYPALIGN_INT));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
