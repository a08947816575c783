/*-------------------------------------------------------------------------
 *
 * degrade.h
 *	  Test helpers: the capture defects of a gate (blur, darkness, in-plane
 *	  rotation, a small face) applied to a decoded photo, so the quality
 *	  tests can make captures of known defects from a real face at test
 *	  time instead of storing face images.
 *
 * Each returns a new image (malloc allocator) or NULL when out of memory
 * or given nonsense; the input is not changed.
 *
 * test/common/degrade.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BX_DEGRADE_H
#define BX_DEGRADE_H

#include "image/bx_image.h"

/*
 * Read and decode the photo file at path, its long side scaled to at most
 * targetLongSide (0: as stored), the photo the defects apply to; NULL with
 * a line on stderr if it cannot.
 */
extern BxImage DecodePhotoFile(const char *path, int targetLongSide);

/* Gaussian blur of standard deviation sigma pixels (separable, clamped edges) */
extern BxImage DegradeBlur(const BxImageData *img, double sigma);

/*
 * Darken: v' = gain 255 (v / 255)^gamma; gain < 1 and gamma > 1 darken (an
 * underexposed capture)
 */
extern BxImage DegradeDark(const BxImageData *img, double gain, double gamma);

/* Rotate by degrees (counter-clockwise as displayed) about the centre, same size, grey fill */
extern BxImage DegradeRotate(const BxImageData *img, double degrees);

/* Shrink by an integer factor (box filter): a face farther from the camera */
extern BxImage DegradeShrink(const BxImageData *img, int factor);

/*
 * Linear motion blur: the mean of length samples (bilinear, edges clamped)
 * along a line through each pixel at degrees from the horizontal (a
 * traveller walking past, a shaking camera)
 */
extern BxImage DegradeMotionBlur(const BxImageData *img, int length, double degrees);

/*
 * Additive Gaussian noise of standard deviation sigma grey levels, the same
 * on every channel of a pixel (sensor noise of a dim capture); the noise
 * comes from seed, so a given (image, sigma, seed) always gives the same image
 */
extern BxImage DegradeNoise(const BxImageData *img, double sigma, uint64_t seed);

/* Re-encode as a baseline JPEG of the given quality (1..100) and decode it again */
extern BxImage DegradeJpeg(const BxImageData *img, int quality);

#endif							/* BX_DEGRADE_H */
