/*-------------------------------------------------------------------------
 *
 * guc.c
 *	  Every configuration setting of bxexit is defined here.
 *
 * Extension-wide settings use the "bxexit." prefix; settings of the index
 * access method use "bxann." (pgvector's habit of naming them after the AM).
 *
 * src/guc.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "bx_guc.h"
#include "bxann.h"
#include "utils/memutils.h"
#include "utils/guc.h"

int			bxann_probes = BXANN_DEFAULT_PROBES;
int			bxann_ef_search = BXANN_DEFAULT_EF_SEARCH;
int			bxann_rerank = BXANN_DEFAULT_RERANK;
bool		bxann_iterative_scan = BXANN_DEFAULT_ITERATIVE_SCAN;
int			bxann_max_scan_tuples = BXANN_DEFAULT_MAX_SCAN_TUPLES;
int			bx_build_threads = BX_DEFAULT_BUILD_THREADS;
int			bx_build_two_level_lists = BX_DEFAULT_BUILD_TWO_LEVEL_LISTS;
char	   *bx_model_path = NULL;
int			bx_detector_size = BX_DEFAULT_DETECTOR_SIZE;
int			bx_max_image_bytes = BX_DEFAULT_MAX_IMAGE_BYTES;
int			bx_max_image_pixels = BX_DEFAULT_MAX_IMAGE_PIXELS;
int			bx_max_jpeg_scans = BX_DEFAULT_MAX_JPEG_SCANS;
int			bx_gate_max_image_pixels = BX_DEFAULT_GATE_MAX_IMAGE_PIXELS;
double		bx_face_score_threshold = BX_DEFAULT_FACE_SCORE_THRESHOLD;
double		bx_min_eye_distance = BX_DEFAULT_MIN_EYE_DISTANCE;
double		bx_quality_min_eye_distance = BX_DEFAULT_QUALITY_MIN_EYE_DISTANCE;
double		bx_quality_min_face_size = BX_DEFAULT_QUALITY_MIN_FACE_SIZE;
double		bx_quality_min_face_in_frame = BX_DEFAULT_QUALITY_MIN_FACE_IN_FRAME;
double		bx_quality_max_roll = BX_DEFAULT_QUALITY_MAX_ROLL;
double		bx_quality_max_yaw = BX_DEFAULT_QUALITY_MAX_YAW;
double		bx_quality_max_pitch = BX_DEFAULT_QUALITY_MAX_PITCH;
double		bx_quality_min_brightness = BX_DEFAULT_QUALITY_MIN_BRIGHTNESS;
double		bx_quality_max_brightness = BX_DEFAULT_QUALITY_MAX_BRIGHTNESS;
double		bx_quality_min_contrast = BX_DEFAULT_QUALITY_MIN_CONTRAST;
double		bx_quality_min_sharpness = BX_DEFAULT_QUALITY_MIN_SHARPNESS;
double		bx_quality_min_confidence = BX_DEFAULT_QUALITY_MIN_CONFIDENCE;
double		bx_quality_min_score = BX_DEFAULT_QUALITY_MIN_SCORE;
int			bx_citizen_photo_retention = BX_DEFAULT_CITIZEN_PHOTO_RETENTION;
int			bx_audit_writer_idle_timeout = BX_DEFAULT_AUDIT_WRITER_IDLE_TIMEOUT;
int			bx_gate_nomatch_limit = BX_DEFAULT_GATE_NOMATCH_LIMIT;
int			bx_gate_nomatch_window = BX_DEFAULT_GATE_NOMATCH_WINDOW;
int			bx_gate_departure_window = BX_DEFAULT_GATE_DEPARTURE_WINDOW;

static bool
CheckDetectorSize(int *newval, void **extra, GucSource source)
{
	if (*newval % 32 != 0)
	{
		GUC_check_errdetail("The detector's canvas must be a multiple of 32 pixels.");
		return false;
	}
	return true;
}

void
BxGucInit(void)
{
	/*
	 * Superuser only: the path names files the server reads, so a user who
	 * could set it could make the server parse any file it can read.
	 */
	DefineCustomStringVariable("bxexit.model_path",
							   "Directory holding the face model files.",
							   "Empty means SHAREDIR/extension/bxexit_models.",
							   &bx_model_path, "",
							   PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("bxann.probes",
							"Number of lists a bxann scan starts from.",
							"More probes find more entry points: higher recall, slower queries. "
							"0 uses what CREATE INDEX chose for the index (bxann_index_info's tuned_probes).",
							&bxann_probes, BXANN_DEFAULT_PROBES, 0, BXANN_MAX_LISTS,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("bxann.ef_search",
							"Size of the candidate list of the graph search.",
							"A larger list explores more of the graph: higher recall, slower queries. "
							"0 uses what CREATE INDEX chose for the index (bxann_index_info's tuned_ef_search).",
							&bxann_ef_search, BXANN_DEFAULT_EF_SEARCH, 0, 10000,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("bxann.rerank",
							"Number of best candidates re-ranked with exact distances.",
							"0 returns candidates in the order of their 8-bit codes.",
							&bxann_rerank, BXANN_DEFAULT_RERANK, 0, 10000,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomBoolVariable("bxann.iterative_scan",
							 "Keep searching when a filter rejects the rows found so far.",
							 "Later batches may be slightly out of order (relaxed order).",
							 &bxann_iterative_scan, BXANN_DEFAULT_ITERATIVE_SCAN,
							 PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("bxann.max_scan_tuples",
							"Stop an iterative scan after this many index tuples; -1 = never.",
							NULL,
							&bxann_max_scan_tuples, BXANN_DEFAULT_MAX_SCAN_TUPLES, -1, INT_MAX,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("bxexit.build_threads",
							"Threads of a bxann CREATE INDEX after it has read the table.",
							"0 uses one more than the parallel maintenance workers PostgreSQL "
							"gives the build (max_parallel_maintenance_workers), which read "
							"the table. Other work in a backend always uses one thread.",
							&bx_build_threads, BX_DEFAULT_BUILD_THREADS, 0, 64,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("bxexit.build_two_level_lists",
							"Lists from which a bxann CREATE INDEX trains them in two levels.",
							"Two-level k-means (sqrt(lists) coarse clusters, then each one's "
							"lists) costs far less than flat k-means at many lists, and gives "
							"somewhat looser lists: slower searches at the same recall.",
							&bx_build_two_level_lists, BX_DEFAULT_BUILD_TWO_LEVEL_LISTS, 2, 1 << 20,
							PGC_SUSET, 0, NULL, NULL, NULL);

	/* limits on untrusted photos: superuser settings, they guard the server */
	DefineCustomIntVariable("bxexit.max_image_bytes",
							"Largest photo accepted, in bytes.",
							NULL, &bx_max_image_bytes, BX_DEFAULT_MAX_IMAGE_BYTES, 1024, MaxAllocSize,
							PGC_SUSET, GUC_UNIT_BYTE, NULL, NULL, NULL);
	DefineCustomIntVariable("bxexit.max_image_pixels",
							"Largest declared width x height of a photo.",
							NULL, &bx_max_image_pixels, BX_DEFAULT_MAX_IMAGE_PIXELS, 1, INT_MAX,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("bxexit.max_jpeg_scans",
							"Most scans a progressive JPEG may have.",
							NULL, &bx_max_jpeg_scans, BX_DEFAULT_MAX_JPEG_SCANS, 1, 1000,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("bxexit.gate_max_image_pixels",
							"Largest declared width x height of a gate photo given to bx_match.",
							"bx_match applies the smaller of this and bxexit.max_image_pixels: "
							"gate cameras take far smaller photos than the general limit allows, "
							"and a small file declaring a huge image costs CPU on every call.",
							&bx_gate_max_image_pixels, BX_DEFAULT_GATE_MAX_IMAGE_PIXELS, 1, INT_MAX,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("bxexit.detector_size",
							"Side of the square canvas the face detector runs on (multiple of 32).",
							"320 finds faces of gate and document photos fastest; 640 finds smaller faces.",
							&bx_detector_size, BX_DEFAULT_DETECTOR_SIZE, 160, 1280,
							PGC_SUSET, 0, CheckDetectorSize, NULL, NULL);
	/*
	 * Superuser only, like the detector's size: they decide which face a
	 * photo yields, so a session that could set them would change what the
	 * IMMUTABLE bx_embed returns and steer bx_match's face choice.
	 */
	DefineCustomRealVariable("bxexit.face_score_threshold",
							 "Lowest detector score counted as a face.",
							 NULL, &bx_face_score_threshold, BX_DEFAULT_FACE_SCORE_THRESHOLD, 0.1, 1.0,
							 PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomRealVariable("bxexit.min_eye_distance",
							 "Faces whose eyes are closer than this many pixels are not embedded.",
							 NULL, &bx_min_eye_distance, BX_DEFAULT_MIN_EYE_DISTANCE, 0.0, 10000.0,
							 PGC_SUSET, 0, NULL, NULL, NULL);

	/*
	 * Superuser only, like the detection settings: a gate login that could
	 * lower them would have its poor captures matched instead of retaken.
	 * Units and calibration: lib/facepipe/quality.h, README "Capture
	 * quality".
	 */
	DefineCustomRealVariable("bxexit.quality_min_eye_distance",
							 "Fewest pixels between the eyes of a gate capture bx_match matches.",
							 "Below it bx_match answers poor_quality (eye_distance).",
							 &bx_quality_min_eye_distance, BX_DEFAULT_QUALITY_MIN_EYE_DISTANCE,
							 0.0, 10000.0, PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomRealVariable("bxexit.quality_min_face_size",
							 "Smallest face box height, as a fraction of the photo's height, bx_match matches.",
							 NULL, &bx_quality_min_face_size, BX_DEFAULT_QUALITY_MIN_FACE_SIZE,
							 0.0, 1.0, PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomRealVariable("bxexit.quality_min_face_in_frame",
							 "Smallest fraction of the face box inside the photo bx_match matches.",
							 NULL, &bx_quality_min_face_in_frame, BX_DEFAULT_QUALITY_MIN_FACE_IN_FRAME,
							 0.0, 1.0, PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomRealVariable("bxexit.quality_max_roll",
							 "Largest head roll (degrees, either way) bx_match matches.",
							 NULL, &bx_quality_max_roll, BX_DEFAULT_QUALITY_MAX_ROLL,
							 0.0, 180.0, PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomRealVariable("bxexit.quality_max_yaw",
							 "Largest head yaw (degrees, either way) bx_match matches.",
							 NULL, &bx_quality_max_yaw, BX_DEFAULT_QUALITY_MAX_YAW,
							 0.0, 90.0, PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomRealVariable("bxexit.quality_max_pitch",
							 "Largest head pitch (degrees, either way) bx_match matches.",
							 NULL, &bx_quality_max_pitch, BX_DEFAULT_QUALITY_MAX_PITCH,
							 0.0, 90.0, PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomRealVariable("bxexit.quality_min_brightness",
							 "Lowest mean grey level (0-255) of the face bx_match matches.",
							 "Below it bx_match answers poor_quality (under_exposure).",
							 &bx_quality_min_brightness, BX_DEFAULT_QUALITY_MIN_BRIGHTNESS,
							 0.0, 255.0, PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomRealVariable("bxexit.quality_max_brightness",
							 "Highest mean grey level (0-255) of the face bx_match matches.",
							 "Above it bx_match answers poor_quality (over_exposure).",
							 &bx_quality_max_brightness, BX_DEFAULT_QUALITY_MAX_BRIGHTNESS,
							 0.0, 255.0, PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomRealVariable("bxexit.quality_min_contrast",
							 "Lowest standard deviation of the face's grey levels bx_match matches.",
							 NULL, &bx_quality_min_contrast, BX_DEFAULT_QUALITY_MIN_CONTRAST,
							 0.0, 255.0, PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomRealVariable("bxexit.quality_min_sharpness",
							 "Lowest sharpness of the face bx_match matches.",
							 "Sharpness is the RMS spatial frequency of the aligned face: "
							 "sqrt(mean squared Laplacian / mean squared gradient).",
							 &bx_quality_min_sharpness, BX_DEFAULT_QUALITY_MIN_SHARPNESS,
							 0.0, 10.0, PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomRealVariable("bxexit.quality_min_confidence",
							 "Lowest detector score of a face bx_match matches.",
							 "The detection threshold bxexit.face_score_threshold applies first.",
							 &bx_quality_min_confidence, BX_DEFAULT_QUALITY_MIN_CONFIDENCE,
							 0.0, 1.0, PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomRealVariable("bxexit.quality_min_score",
							 "Lowest overall quality score (0-100) of a capture bx_match matches.",
							 NULL, &bx_quality_min_score, BX_DEFAULT_QUALITY_MIN_SCORE,
							 0.0, 100.0, PGC_SUSET, 0, NULL, NULL, NULL);

	/*
	 * Superuser only: a privacy policy, not a per-session preference.  The
	 * 12 hours are CBP's published limit for photos of US citizens.
	 */
	DefineCustomIntVariable("bxexit.citizen_photo_retention",
							"How long probe photos and templates of US citizens are kept.",
							"bx_apply_retention() removes older ones; decision records stay.",
							&bx_citizen_photo_retention, BX_DEFAULT_CITIZEN_PHOTO_RETENTION, 0, INT_MAX / 60,
							PGC_SUSET, GUC_UNIT_MIN, NULL, NULL, NULL);

	/*
	 * Superuser only: a gate that keeps getting no-matches on one flight is
	 * either broken or probing the gallery; past the limit bx_match answers
	 * rate_limited without looking at the photo.  Counted from the audit,
	 * which no rollback erases.
	 */
	DefineCustomIntVariable("bxexit.gate_nomatch_limit",
							"No-match decisions one login may get on one flight within bxexit.gate_nomatch_window.",
							"Past it bx_match answers no_match with reason rate_limited and processes no photo; 0 means no limit.",
							&bx_gate_nomatch_limit, BX_DEFAULT_GATE_NOMATCH_LIMIT, 0, 1000000,
							PGC_SUSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("bxexit.gate_nomatch_window",
							"Window over which bxexit.gate_nomatch_limit counts no-matches.",
							NULL,
							&bx_gate_nomatch_window, BX_DEFAULT_GATE_NOMATCH_WINDOW, 1, 7 * 24 * 60,
							PGC_SUSET, GUC_UNIT_MIN, NULL, NULL, NULL);

	/*
	 * Superuser only: a gate matches travellers of flights leaving now; a
	 * decision on last month's flight would record a departure that did not
	 * happen then.  One day either way absorbs time zones.
	 */
	DefineCustomIntVariable("bxexit.gate_departure_window",
							"Days before or after today a flight may depart for bx_match to process it.",
							"Other flights get no_match with reason flight_not_departing.",
							&bx_gate_departure_window, BX_DEFAULT_GATE_DEPARTURE_WINDOW, 0, 36500,
							PGC_SUSET, 0, NULL, NULL, NULL);

	/*
	 * Superuser only: each session that searches keeps a background worker
	 * (a max_worker_processes slot) while it is busy; this frees idle ones.
	 */
	DefineCustomIntVariable("bxexit.audit_writer_idle_timeout",
							"How long a session's idle audit writer waits before it exits.",
							"The writer commits every search's audit record in its own transaction; "
							"the next search starts a new one.",
							&bx_audit_writer_idle_timeout, BX_DEFAULT_AUDIT_WRITER_IDLE_TIMEOUT,
							1, 86400,
							PGC_SUSET, GUC_UNIT_S, NULL, NULL, NULL);

	/* reserve the prefixes so typos are reported */
	MarkGUCPrefixReserved("bxexit");
	MarkGUCPrefixReserved("bxann");
}
