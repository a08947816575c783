/*-------------------------------------------------------------------------
 *
 * bx_guc.h
 *	  Every setting of bxexit: its variable and its default, in one place.
 *
 * src/guc.c defines the variables (initialised to these defaults) and
 * registers them; the rest of the glue reads them through this header and
 * never writes them.  The defaults are macros so that registration and
 * initialisation cannot disagree.
 *
 * include/bx_guc.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BX_GUC_H
#define BX_GUC_H

#include "postgres.h"

#include "facepipe/quality.h"

/* bxann query settings (USERSET), see README "Tuning bxann" */
#define BXANN_DEFAULT_PROBES		0	/* 0: what the index's build chose */
#define BXANN_DEFAULT_EF_SEARCH		0	/* 0: what the index's build chose */
#define BXANN_DEFAULT_RERANK		12
#define BXANN_DEFAULT_ITERATIVE_SCAN true
#define BXANN_DEFAULT_MAX_SCAN_TUPLES (-1)	/* never stop */

extern int	bxann_probes;
extern int	bxann_ef_search;
extern int	bxann_rerank;
extern bool bxann_iterative_scan;
extern int	bxann_max_scan_tuples;

/*
 * threads of BLAS inside CREATE INDEX (SUSET); 0: one more than the
 * parallel workers PostgreSQL would give the build (bxannbuild.c)
 */
#define BX_DEFAULT_BUILD_THREADS	0
extern int	bx_build_threads;
#define BX_DEFAULT_BUILD_TWO_LEVEL_LISTS	8192
extern int	bx_build_two_level_lists;

/* face models (SUSET: they name files the server reads, and shape templates) */
#define BX_DEFAULT_DETECTOR_SIZE	320
extern char *bx_model_path;
extern int	bx_detector_size;

/* limits on untrusted photos (SUSET: they guard the server) */
#define BX_DEFAULT_MAX_IMAGE_BYTES	(20 * 1024 * 1024)
#define BX_DEFAULT_MAX_IMAGE_PIXELS (50 * 1000 * 1000)
#define BX_DEFAULT_MAX_JPEG_SCANS	100
extern int	bx_max_image_bytes;
extern int	bx_max_image_pixels;
extern int	bx_max_jpeg_scans;
#define BX_DEFAULT_GATE_MAX_IMAGE_PIXELS (16 * 1000 * 1000)
extern int	bx_gate_max_image_pixels;

/* face detection (SUSET: they change what bx_embed returns) */
#define BX_DEFAULT_FACE_SCORE_THRESHOLD 0.9
#define BX_DEFAULT_MIN_EYE_DISTANCE 0.0
extern double bx_face_score_threshold;
extern double bx_min_eye_distance;

/*
 * capture quality a gate photo must reach to be matched (SUSET: they change
 * what bx_match decides); see lib/facepipe/quality.h for the components,
 * their units and the calibration of these defaults
 */
#define BX_DEFAULT_QUALITY_MIN_EYE_DISTANCE	BX_QUALITY_DEFAULT_MIN_EYE_DISTANCE
#define BX_DEFAULT_QUALITY_MIN_FACE_SIZE	BX_QUALITY_DEFAULT_MIN_FACE_SIZE
#define BX_DEFAULT_QUALITY_MIN_FACE_IN_FRAME BX_QUALITY_DEFAULT_MIN_FACE_IN_FRAME
#define BX_DEFAULT_QUALITY_MAX_ROLL		BX_QUALITY_DEFAULT_MAX_ROLL
#define BX_DEFAULT_QUALITY_MAX_YAW		BX_QUALITY_DEFAULT_MAX_YAW
#define BX_DEFAULT_QUALITY_MAX_PITCH	BX_QUALITY_DEFAULT_MAX_PITCH
#define BX_DEFAULT_QUALITY_MIN_BRIGHTNESS BX_QUALITY_DEFAULT_MIN_BRIGHTNESS
#define BX_DEFAULT_QUALITY_MAX_BRIGHTNESS BX_QUALITY_DEFAULT_MAX_BRIGHTNESS
#define BX_DEFAULT_QUALITY_MIN_CONTRAST	BX_QUALITY_DEFAULT_MIN_CONTRAST
#define BX_DEFAULT_QUALITY_MIN_SHARPNESS BX_QUALITY_DEFAULT_MIN_SHARPNESS
#define BX_DEFAULT_QUALITY_MIN_CONFIDENCE BX_QUALITY_DEFAULT_MIN_CONFIDENCE
#define BX_DEFAULT_QUALITY_MIN_SCORE	BX_QUALITY_DEFAULT_MIN_SCORE
extern double bx_quality_min_eye_distance;
extern double bx_quality_min_face_size;
extern double bx_quality_min_face_in_frame;
extern double bx_quality_max_roll;
extern double bx_quality_max_yaw;
extern double bx_quality_max_pitch;
extern double bx_quality_min_brightness;
extern double bx_quality_max_brightness;
extern double bx_quality_min_contrast;
extern double bx_quality_min_sharpness;
extern double bx_quality_min_confidence;
extern double bx_quality_min_score;

/* privacy: minutes probe photos of US citizens are kept (CBP's 12 hours) */
#define BX_DEFAULT_CITIZEN_PHOTO_RETENTION (12 * 60)
extern int	bx_citizen_photo_retention;

/*
 * gates (SUSET): no-match decisions one login may get on one flight within
 * the window before bx_match stops processing its photos (0: no limit)
 */
#define BX_DEFAULT_GATE_NOMATCH_LIMIT	20
#define BX_DEFAULT_GATE_NOMATCH_WINDOW	60	/* minutes */
extern int	bx_gate_nomatch_limit;
extern int	bx_gate_nomatch_window;

/* gates (SUSET): days around today a flight must depart on for bx_match */
#define BX_DEFAULT_GATE_DEPARTURE_WINDOW 1
extern int	bx_gate_departure_window;

/* seconds an idle audit writer (src/records/durable.c) waits before it exits */
#define BX_DEFAULT_AUDIT_WRITER_IDLE_TIMEOUT 60
extern int	bx_audit_writer_idle_timeout;

/* register every setting; called once from _PG_init() */
extern void BxGucInit(void);

#endif							/* BX_GUC_H */
