/*-------------------------------------------------------------------------
 *
 * bx_kernels.h
 *	  Distance kernels over float4 arrays, shared by the scalar operators,
 *	  the index and the face pipeline.  No PostgreSQL headers: the kernels
 *	  are plain C so the server-free libraries and unit tests can use them.
 *
 * lib/bx_kernels.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BX_KERNELS_H
#define BX_KERNELS_H

/* sum of (a[i] - b[i])^2 */
extern float BxKernelL2Squared(const float *a, const float *b, int n);

/* sum of a[i] * b[i] */
extern float BxKernelInnerProduct(const float *a, const float *b, int n);

/* a.b, |a|^2 and |b|^2 in one pass over both arrays */
extern void BxKernelCosineParts(const float *a, const float *b, int n,
								float *dot, float *norma, float *normb);

/* SQ8 codes: sum of (qa[i] - scale[i] * code[i])^2 */
extern float BxKernelSq8L2(const float *qa, const float *scale,
						   const unsigned char *code, int n);

/* SQ8 codes: sum of w[i] * code[i] */
extern float BxKernelSq8Dot(const float *w, const unsigned char *code, int n);

/*
 * SQ4 codes (two dimensions a byte: byte i holds dimension i in its low
 * nibble, dimension (n + 1) / 2 + i in its high one): as the SQ8 kernels
 */
extern float BxKernelSq4L2(const float *qa, const float *scale,
						   const unsigned char *code, int n);
extern float BxKernelSq4Dot(const float *w, const unsigned char *code, int n);

/* name of the variant the dynamic dispatcher picked, for diagnostics */
extern const char *BxKernelVariant(void);

#endif							/* BX_KERNELS_H */
