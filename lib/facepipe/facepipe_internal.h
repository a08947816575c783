/*-------------------------------------------------------------------------
 *
 * facepipe_internal.h
 *	  Declarations shared by the files of the face pipeline.
 *
 * lib/facepipe/facepipe_internal.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef FACEPIPE_INTERNAL_H
#define FACEPIPE_INTERNAL_H

#include <stdbool.h>

#include "facepipe.h"

/* YuNet's three heads */
#define FP_NUM_STRIDES		3

/* Widest smoothing of the denoising retry: 3 sigma, so sigma <= 5 */
#define FP_DENOISE_MAX_RADIUS	15

/* Upper bound on candidates kept before NMS (OpenCV's top_k) */
#define FP_MAX_CANDIDATES	5000

/* Output indices of one YuNet head */
typedef struct FpHead
{
	int			stride;
	int			rows;
	int			cols;
	int			cls;
	int			obj;
	int			bbox;
	int			kps;
} FpHead;

/* Geometry of the image inside the detector canvas */
typedef struct FpPlacement
{
	double		scale;			/* canvas pixels per image pixel */
	double		padX;			/* margin, in image pixels */
	double		padY;
	int			usedW;			/* canvas area the padded image covers */
	int			usedH;
} FpPlacement;

struct BxFacePipeData
{
	BxAllocator alloc;
	NnModel		detector;
	NnModel		embedder;

	/* detector */
	int			canvasW;
	int			canvasH;
	float	   *canvas;			/* 3 x H x W, BGR planes */
	FpHead		heads[FP_NUM_STRIDES];
	BxFace	   *candidates;		/* FP_MAX_CANDIDATES */
	bool	   *suppressed;

	/* embedder */
	int			embedOutput;	/* index of the 128-float output */
	float	   *embedInput;		/* 3 x 112 x 112 */
	uint8_t    *aligned;		/* 112 x 112 x 3 */
};

/* An in-plane turn of an image about its centre into a larger image */
typedef struct FpTurn
{
	double		cos;
	double		sin;
	double		cx;				/* centre of the source image */
	double		cy;
	double		ox;				/* centre of the turned image */
	double		oy;
} FpTurn;

/* pipe.c */
extern BxStatus FpRunStatus(BxStatus st, const char *what,
								const char *nnerr, char *errbuf,
								size_t errlen);
extern double FpNowMs(void);

/* resample.c */
extern BxStatus FpFillCanvas(BxFacePipe pipe, const BxImageData *image,
								 float padFraction, const BxFaceOptions *opts,
								 FpPlacement *place);

/* retry.c */
extern BxImage FpExposureImage(const BxAllocator *a, const BxImageData *img);
extern BxImage FpDenoisedImage(const BxAllocator *a, const BxImageData *img,
							   double sigma);
extern BxImage FpRotatedImage(const BxAllocator *a, const BxImageData *img,
							  double degrees, FpTurn *turn);
extern void FpTurnToSource(const FpTurn *turn, double x, double y,
						   double *sx, double *sy);
extern void FpTurnFaceBack(const FpTurn *turn, BxFace *f);

#endif							/* FACEPIPE_INTERNAL_H */
