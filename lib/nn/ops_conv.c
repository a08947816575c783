/*-------------------------------------------------------------------------
 *
 * ops_conv.c
 *	  Conv (2-D, NCHW), MaxPool, GlobalAveragePool.
 *
 * Conv takes one of three paths, chosen at load time:
 *
 *	depthwise	group == C == M: a direct loop per channel and output row.
 *				The kernel taps whose input row lies inside the image are
 *				collected as row pointers (rows in the padding contribute
 *				zero and are skipped), the columns where every tap is inside
 *				the row are computed in blocks of 8 outputs, and the few
 *				border columns one by one with bounds checks.
 *	1x1			1x1 kernel, stride 1, no padding: the input of a group already
 *				is the [C/group, H*W] matrix, so cblas_sgemm runs on it
 *				directly, in column tiles.
 *	im2col		everything else: a tile of output rows is unfolded into a
 *				[C/group*kh*kw, rows*OW] matrix and multiplied by the weights
 *				with cblas_sgemm.  Tiling bounds the scratch space.
 *
 * Bias and a fused Relu/Clip are applied to each tile while it is still in
 * cache.
 *
 * lib/nn/ops_conv.c
 *
 *-------------------------------------------------------------------------
 */
#include <cblas.h>
#include <float.h>
#include <math.h>
#include <string.h>

#include "nn_internal.h"

#define BLOCK 8

/* Target bytes of an im2col tile, and of an output tile of the 1x1 path */
#define TILE_BYTES	((size_t) 512 * 1024)

typedef enum ConvKind
{
	CONV_DEPTHWISE,
	CONV_1X1,
	CONV_IM2COL
} ConvKind;

/* Geometry shared by Conv and MaxPool */
typedef struct Window
{
	int64_t		kh,
				kw;				/* kernel */
	int64_t		sh,
				sw;				/* strides */
	int64_t		dh,
				dw;				/* dilations */
	int64_t		pt,
				pl,
				pb,
				pr;				/* pads: top, left, bottom, right */
	int64_t		h,
				w;				/* input */
	int64_t		oh,
				ow;				/* output */
	/* output columns [oxl, oxr) have every tap inside the input row */
	int64_t		oxl,
				oxr;
} Window;

typedef struct ConvParams
{
	Window		win;
	ConvKind	kind;
	int64_t		group;
	int64_t		cg;				/* input channels per group */
	int64_t		mg;				/* output channels per group */
	int64_t		tileRows;		/* im2col: output rows per tile */
	int64_t		tileCols;		/* 1x1: output pixels per tile */
} ConvParams;

/* floor(a / b) for b > 0 */
static int64_t
FloorDiv(int64_t a, int64_t b)
{
	int64_t		q = a / b;

	if ((a % b != 0) && (a < 0))
		q--;
	return q;
}

/* ceil(a / b) for b > 0 */
static int64_t
CeilDiv(int64_t a, int64_t b)
{
	return -FloorDiv(-a, b);
}

/*
 * Read kernel_shape/strides/dilations/pads/auto_pad into win and compute
 * the output size.  kh/kw must be preset when kernel_shape is optional
 * (Conv takes them from W); pool says kernel_shape is required.
 */
static BxStatus
ReadWindow(NnBuild *b, NnNode *node, bool pool, Window *win)
{
	int64_t		vals[4];
	int			n;
	bool		present;
	const char *autoPad;
	BxStatus	st;
	int			i;

	if ((st = NnAttrInts(b, node, "kernel_shape", 2, vals, &n, &present)) != BX_OK)
		return st;
	if (present && n != 2)
		return NnNodeError(b, node, BX_EUNSUPPORTED,
						   "kernel_shape must have 2 values (only 2-D is supported)");
	if (pool && !present)
		return NnNodeError(b, node, BX_EFORMAT,
						   "attribute 'kernel_shape' is required");
	if (present)
	{
		if (!pool && (vals[0] != win->kh || vals[1] != win->kw))
			return NnNodeError(b, node, BX_EFORMAT,
							   "kernel_shape [%lld, %lld] does not match the weights",
							   (long long) vals[0], (long long) vals[1]);
		win->kh = vals[0];
		win->kw = vals[1];
	}
	if (win->kh < 1 || win->kw < 1 || win->kh > NN_MAX_DIM_VALUE ||
		win->kw > NN_MAX_DIM_VALUE)
		return NnNodeError(b, node, BX_EFORMAT, "invalid kernel size");

	win->sh = win->sw = 1;
	if ((st = NnAttrInts(b, node, "strides", 2, vals, &n, &present)) != BX_OK)
		return st;
	if (present)
	{
		if (n != 2 || vals[0] < 1 || vals[1] < 1 ||
			vals[0] > NN_MAX_DIM_VALUE || vals[1] > NN_MAX_DIM_VALUE)
			return NnNodeError(b, node, BX_EFORMAT,
							   "strides must be 2 values >= 1");
		win->sh = vals[0];
		win->sw = vals[1];
	}
	win->dh = win->dw = 1;
	if ((st = NnAttrInts(b, node, "dilations", 2, vals, &n, &present)) != BX_OK)
		return st;
	if (present)
	{
		if (n != 2 || vals[0] < 1 || vals[1] < 1 ||
			vals[0] > NN_MAX_DIM_VALUE || vals[1] > NN_MAX_DIM_VALUE)
			return NnNodeError(b, node, BX_EFORMAT,
							   "dilations must be 2 values >= 1");
		win->dh = vals[0];
		win->dw = vals[1];
	}
	win->pt = win->pl = win->pb = win->pr = 0;
	if ((st = NnAttrInts(b, node, "pads", 4, vals, &n, &present)) != BX_OK)
		return st;
	if (present)
	{
		if (n != 4)
			return NnNodeError(b, node, BX_EFORMAT, "pads must have 4 values");
		for (i = 0; i < 4; i++)
			if (vals[i] < 0 || vals[i] > NN_MAX_DIM_VALUE)
				return NnNodeError(b, node, BX_EFORMAT,
								   "pads must be >= 0 and <= %lld",
								   (long long) NN_MAX_DIM_VALUE);
		win->pt = vals[0];
		win->pl = vals[1];
		win->pb = vals[2];
		win->pr = vals[3];
	}
	if ((st = NnAttrString(b, node, "auto_pad", "NOTSET", &autoPad)) != BX_OK)
		return st;
	if (strcmp(autoPad, "VALID") == 0)
	{
		if (win->pt || win->pl || win->pb || win->pr)
			return NnNodeError(b, node, BX_EFORMAT,
							   "auto_pad 'VALID' cannot be combined with pads");
	}
	else if (strcmp(autoPad, "NOTSET") != 0)
	{
		char		safe[40];

		return NnNodeError(b, node, BX_EUNSUPPORTED,
						   "auto_pad '%s' is not supported (only NOTSET and VALID; export with explicit pads)",
						   NnSafeName(safe, sizeof(safe), autoPad));
	}

	/* all values <= 2^24, so these products fit in int64 */
	{
		int64_t		ekh = win->dh * (win->kh - 1) + 1;
		int64_t		ekw = win->dw * (win->kw - 1) + 1;
		int64_t		ph = win->h + win->pt + win->pb;
		int64_t		pw = win->w + win->pl + win->pr;

		if (ph < ekh || pw < ekw)
			return NnNodeError(b, node, BX_EFORMAT,
							   "kernel %lldx%lld is larger than the padded input %lldx%lld",
							   (long long) ekh, (long long) ekw,
							   (long long) ph, (long long) pw);
		if (pool && (win->pt >= ekh || win->pb >= ekh || win->pl >= ekw ||
					 win->pr >= ekw))
			return NnNodeError(b, node, BX_EUNSUPPORTED,
							   "pads must be smaller than the kernel");
		win->oh = (ph - ekh) / win->sh + 1;
		win->ow = (pw - ekw) / win->sw + 1;
		/* interior columns: ox*sw - pl >= 0 and ox*sw - pl + ekw - 1 <= w - 1 */
		win->oxl = CeilDiv(win->pl, win->sw);
		win->oxr = FloorDiv(win->w - ekw + win->pl, win->sw) + 1;
		if (win->oxl > win->ow)
			win->oxl = win->ow;
		if (win->oxr > win->ow)
			win->oxr = win->ow;
		if (win->oxr < win->oxl)
			win->oxr = win->oxl;
	}
	return BX_OK;
}

static BxStatus
PrepareConv(NnBuild *b, NnNode *node)
{
	static const char *const attrs[] = {
		"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides",
		NULL
	};
	NnValue    *x = NnIn(b, node, 0);
	NnValue    *w = NnIn(b, node, 1);
	NnValue    *bias = NnIn(b, node, 2);
	ConvParams *p;
	int64_t		dims[4];
	int64_t		c;
	int64_t		m;
	BxStatus	st;

	p = NnArenaAlloc(b->arena, sizeof(ConvParams));
	if (p == NULL)
		return NnSetError(b->err, BX_ENOMEM, "out of memory");
	node->params = p;
	if ((st = NnCheckAttrNames(b, node, attrs)) != BX_OK ||
		(st = NnRequireFloat(b, node, 0)) != BX_OK ||
		(st = NnRequireFloat(b, node, 1)) != BX_OK ||
		(bias != NULL && (st = NnRequireFloat(b, node, 2)) != BX_OK))
		return st;
	if (x->rank != 4)
		return NnNodeError(b, node, BX_EUNSUPPORTED,
						   "input has rank %d; only 2-D convolution (rank 4, NCHW) is supported",
						   x->rank);
	if (w->rank != 4)
		return NnNodeError(b, node, BX_EFORMAT, "weights must have rank 4");
	if ((st = NnAttrInt(b, node, "group", 1, &p->group)) != BX_OK)
		return st;
	c = x->dims[1];
	m = w->dims[0];
	if (p->group < 1 || c % p->group != 0 || m % p->group != 0)
		return NnNodeError(b, node, BX_EFORMAT,
						   "group %lld does not divide the %lld input and %lld output channels",
						   (long long) p->group, (long long) c, (long long) m);
	p->cg = c / p->group;
	p->mg = m / p->group;
	if (w->dims[1] != p->cg)
		return NnNodeError(b, node, BX_EFORMAT,
						   "weights have %lld input channels, expected %lld",
						   (long long) w->dims[1], (long long) p->cg);
	if (bias != NULL && (bias->rank != 1 || bias->dims[0] != m))
		return NnNodeError(b, node, BX_EFORMAT,
						   "bias must have shape [%lld]", (long long) m);
	p->win.kh = w->dims[2];
	p->win.kw = w->dims[3];
	p->win.h = x->dims[2];
	p->win.w = x->dims[3];
	if ((st = ReadWindow(b, node, false, &p->win)) != BX_OK)
		return st;

	if (p->group == c && p->mg == 1)
		p->kind = CONV_DEPTHWISE;
	else if (p->win.kh == 1 && p->win.kw == 1 && p->win.sh == 1 &&
			 p->win.sw == 1 && p->win.pt == 0 && p->win.pl == 0 &&
			 p->win.pb == 0 && p->win.pr == 0)
		p->kind = CONV_1X1;
	else
		p->kind = CONV_IM2COL;

	node->workspace = 0;
	if (p->kind == CONV_1X1)
	{
		p->tileCols = (int64_t) (TILE_BYTES / ((size_t) p->mg * sizeof(float)));
		if (p->tileCols < 64)
			p->tileCols = 64;
	}
	else if (p->kind == CONV_DEPTHWISE)
	{
		/* offsets and weights of the taps */
		size_t		taps = (size_t) (p->win.kh * p->win.kw);

		if (p->win.kh * p->win.kw > 65536)
			return NnNodeError(b, node, BX_EUNSUPPORTED,
							   "depthwise kernel is too large");
		node->workspace = taps * (2 * sizeof(ptrdiff_t) + sizeof(float));
	}
	else
	{
		/* K = cg*kh*kw <= 2^24 * 2^24 * 2^24 would overflow: bound it */
		size_t		k;
		size_t		bytes;

		if (p->cg * p->win.kh > NN_MAX_ELEMENTS ||
			p->cg * p->win.kh * p->win.kw > NN_MAX_ELEMENTS)
			return NnNodeError(b, node, BX_ELIMIT,
							   "kernel is too large to unfold");
		k = (size_t) (p->cg * p->win.kh * p->win.kw);
		p->tileRows = (int64_t) (TILE_BYTES / (k * (size_t) p->win.ow * sizeof(float)));
		if (p->tileRows < 1)
			p->tileRows = 1;
		if (p->tileRows > p->win.oh)
			p->tileRows = p->win.oh;
		bytes = k * (size_t) (p->tileRows * p->win.ow) * sizeof(float);
		if (bytes > NN_DEFAULT_RUN_BYTES)
			return NnNodeError(b, node, BX_ELIMIT,
							   "unfolded input tile is too large");
		node->workspace = bytes;
	}
	/* gemm arguments are int */
	if (p->win.oh * p->win.ow > INT32_MAX || p->win.h * p->win.w > INT32_MAX)
		return NnNodeError(b, node, BX_ELIMIT, "image too large");

	dims[0] = x->dims[0];
	dims[1] = m;
	dims[2] = p->win.oh;
	dims[3] = p->win.ow;
	if ((st = NnAddWork(b, node, (double) dims[0] * (double) m *
						(double) (p->win.oh * p->win.ow) *
						(double) (p->cg * p->win.kh * p->win.kw))) != BX_OK)
		return st;
	return NnSetOutput(b, node, 0, ONNX_FLOAT, 4, dims);
}

/*
 * One output row of a depthwise channel: y[ox] = bias + sum over taps,
 * then the activation clamp.  tapOff/tapCol/tapW are scratch arrays of
 * kh*kw entries.
 */
static void
DepthwiseRow(const Window *win, const float *x, const float *wt, float bias,
			 int64_t oy, float *restrict y, ptrdiff_t *tapOff,
			 ptrdiff_t *tapCol, float *tapW, bool act, float lo, float hi)
{
	int			ntaps = 0;
	int64_t		ky;
	int64_t		kx;
	int64_t		ox;
	int			t;
	int			k;

	if (!act)
	{
		lo = -INFINITY;
		hi = INFINITY;
	}

	/*
	 * Taps whose input row exists.  The input element of output ox is
	 * x[tapOff[t] + ox * sw], in column tapCol[t] + ox * sw of its row.
	 */
	for (ky = 0; ky < win->kh; ky++)
	{
		int64_t		iy = oy * win->sh - win->pt + ky * win->dh;

		if (iy < 0 || iy >= win->h)
			continue;
		for (kx = 0; kx < win->kw; kx++)
		{
			tapCol[ntaps] = (ptrdiff_t) (kx * win->dw - win->pl);
			tapOff[ntaps] = (ptrdiff_t) (iy * win->w) + tapCol[ntaps];
			tapW[ntaps] = wt[ky * win->kw + kx];
			ntaps++;
		}
	}

	/* border columns: check every tap */
	for (ox = 0; ox < win->ow; ox++)
	{
		float		acc = bias;

		if (ox == win->oxl)
		{
			ox = win->oxr;
			if (ox >= win->ow)
				break;
		}
		for (t = 0; t < ntaps; t++)
		{
			int64_t		col = ox * win->sw + tapCol[t];

			if (col >= 0 && col < win->w)
				acc += tapW[t] * x[tapOff[t] + ox * win->sw];
		}
		acc = acc < lo ? lo : acc;
		y[ox] = acc > hi ? hi : acc;
	}

	/* interior columns: every tap inside its row */
	ox = win->oxl;
	if (win->kh == 3 && win->kw == 3 && win->sw == 1 && win->dw == 1)
	{
		/*
		 * The common 3x3 case with the nine weights in registers.  A row
		 * in the padding gets zero weights and a valid dummy pointer.
		 */
		const float *r[3];
		float		w9[9];

		for (ky = 0; ky < 3; ky++)
		{
			int64_t		iy = oy * win->sh - win->pt + ky * win->dh;
			bool		valid = iy >= 0 && iy < win->h;

			r[ky] = x + (valid ? iy * win->w : 0);
			for (kx = 0; kx < 3; kx++)
				w9[ky * 3 + kx] = valid ? wt[ky * 3 + kx] : 0.0f;
		}
		for (; ox + BLOCK <= win->oxr; ox += BLOCK)
		{
			const float *a = r[0] + ox - win->pl;
			const float *b = r[1] + ox - win->pl;
			const float *c = r[2] + ox - win->pl;

			for (k = 0; k < BLOCK; k++)
			{
				float		v = bias +
					w9[0] * a[k] + w9[1] * a[k + 1] + w9[2] * a[k + 2] +
					w9[3] * b[k] + w9[4] * b[k + 1] + w9[5] * b[k + 2] +
					w9[6] * c[k] + w9[7] * c[k + 1] + w9[8] * c[k + 2];

				v = v < lo ? lo : v;
				y[ox + k] = v > hi ? hi : v;
			}
		}
	}
	else if (win->sw == 1)
	{
		for (; ox + BLOCK <= win->oxr; ox += BLOCK)
		{
			float		acc[BLOCK];

			for (k = 0; k < BLOCK; k++)
				acc[k] = bias;
			for (t = 0; t < ntaps; t++)
			{
				const float *src = x + tapOff[t] + ox;
				float		wv = tapW[t];

				for (k = 0; k < BLOCK; k++)
					acc[k] += wv * src[k];
			}
			for (k = 0; k < BLOCK; k++)
			{
				float		v = acc[k] < lo ? lo : acc[k];

				y[ox + k] = v > hi ? hi : v;
			}
		}
	}
	for (; ox < win->oxr; ox++)
	{
		float		acc = bias;

		for (t = 0; t < ntaps; t++)
			acc += tapW[t] * x[tapOff[t] + ox * win->sw];
		acc = acc < lo ? lo : acc;
		y[ox] = acc > hi ? hi : acc;
	}
}

/*
 * Unfold output rows [oy0, oy1) of one group into col, a
 * [cg*kh*kw, (oy1-oy0)*ow] row-major matrix.
 */
static void
Im2col(const Window *win, const float *x, int64_t cg, int64_t oy0,
	   int64_t oy1, float *restrict col)
{
	int64_t		ncols = (oy1 - oy0) * win->ow;
	int64_t		c;
	int64_t		ky;
	int64_t		kx;
	int64_t		oy;
	int64_t		ox;

	for (c = 0; c < cg; c++)
		for (ky = 0; ky < win->kh; ky++)
			for (kx = 0; kx < win->kw; kx++)
			{
				int64_t		off = kx * win->dw - win->pl;

				/* columns ox with 0 <= ox*sw + off < w */
				int64_t		lo = CeilDiv(-off, win->sw);
				int64_t		hi = FloorDiv(win->w - 1 - off, win->sw) + 1;
				float	   *dst = col + ((c * win->kh + ky) * win->kw + kx) * ncols;

				if (lo < 0)
					lo = 0;
				if (hi > win->ow)
					hi = win->ow;
				if (hi < lo)
					hi = lo;
				for (oy = oy0; oy < oy1; oy++, dst += win->ow)
				{
					int64_t		iy = oy * win->sh - win->pt + ky * win->dh;
					int64_t		base;

					if (iy < 0 || iy >= win->h)
					{
						memset(dst, 0, sizeof(float) * (size_t) win->ow);
						continue;
					}
					/* input column of output ox is base + ox*sw */
					base = (c * win->h + iy) * win->w + off;
					for (ox = 0; ox < lo; ox++)
						dst[ox] = 0.0f;
					if (win->sw == 1)
					{
						if (hi > lo)
							memcpy(dst + lo, x + base + lo,
								   sizeof(float) * (size_t) (hi - lo));
					}
					else
						for (ox = lo; ox < hi; ox++)
							dst[ox] = x[base + ox * win->sw];
					for (ox = hi; ox < win->ow; ox++)
						dst[ox] = 0.0f;
				}
			}
}

static BxStatus
RunConv(const NnNode *node, NnValue *const *in, NnValue *const *out,
		NnExec *ex)
{
	const ConvParams *p = node->params;
	const Window *win = &p->win;
	const float *bias = (node->ninputs > 2 && in[2] != NULL) ? in[2]->data : NULL;
	const float *weights = in[1]->data;
	int64_t		nbatch = in[0]->dims[0];
	int64_t		c = in[0]->dims[1];
	int64_t		m = out[0]->dims[1];
	int64_t		hw = win->h * win->w;
	int64_t		ohw = win->oh * win->ow;
	int64_t		k = p->cg * win->kh * win->kw;
	bool		act = node->hasAct;
	int64_t		n;
	int64_t		g;

	for (n = 0; n < nbatch; n++)
	{
		const float *x = (const float *) in[0]->data + n * c * hw;
		float	   *y = (float *) out[0]->data + n * m * ohw;

		if (p->kind == CONV_DEPTHWISE)
		{
			ptrdiff_t  *tapOff = (ptrdiff_t *) (void *) ex->workspace;
			ptrdiff_t  *tapCol = tapOff + win->kh * win->kw;
			float	   *tapW = (float *) (tapCol + win->kh * win->kw);
			int64_t		ch;
			int64_t		oy;

			for (ch = 0; ch < c; ch++)
			{
				if (ch % 16 == 0 && NnInterrupted(ex))
					return BX_EINTERRUPTED;
				for (oy = 0; oy < win->oh; oy++)
					DepthwiseRow(win, x + ch * hw, weights + ch * win->kh * win->kw,
								 bias ? bias[ch] : 0.0f, oy,
								 y + ch * ohw + oy * win->ow, tapOff, tapCol, tapW,
								 act, node->actMin, node->actMax);
			}
			continue;
		}
		for (g = 0; g < p->group; g++)
		{
			const float *wg = weights + g * p->mg * k;
			float	   *yg = y + g * p->mg * ohw;
			int64_t		mi;

			if (p->kind == CONV_1X1)
			{
				const float *xg = x + g * p->cg * hw;
				int64_t		col;

				for (col = 0; col < ohw; col += p->tileCols)
				{
					int64_t		ncols = ohw - col < p->tileCols ? ohw - col : p->tileCols;

					if (NnInterrupted(ex))
						return BX_EINTERRUPTED;
					cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans,
								(int) p->mg, (int) ncols, (int) p->cg, 1.0f,
								wg, (int) p->cg, xg + col, (int) hw, 0.0f,
								yg + col, (int) ohw);
					for (mi = 0; mi < p->mg; mi++)
						NnBiasClamp(yg + mi * ohw + col, (size_t) ncols,
									bias ? bias[g * p->mg + mi] : 0.0f,
									act, node->actMin, node->actMax);
				}
			}
			else
			{
				int64_t		oy;

				for (oy = 0; oy < win->oh; oy += p->tileRows)
				{
					int64_t		oy1 = oy + p->tileRows < win->oh ? oy + p->tileRows : win->oh;
					int64_t		ncols = (oy1 - oy) * win->ow;

					if (NnInterrupted(ex))
						return BX_EINTERRUPTED;
					Im2col(win, x + g * p->cg * hw, p->cg, oy, oy1, ex->workspace);
					cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans,
								(int) p->mg, (int) ncols, (int) k, 1.0f,
								wg, (int) k, ex->workspace, (int) ncols, 0.0f,
								yg + oy * win->ow, (int) ohw);
					for (mi = 0; mi < p->mg; mi++)
						NnBiasClamp(yg + mi * ohw + oy * win->ow, (size_t) ncols,
									bias ? bias[g * p->mg + mi] : 0.0f,
									act, node->actMin, node->actMax);
				}
			}
		}
	}
	return BX_OK;
}

const NnOpDef NnOpConv = {"Conv", 2, 3, 1, false, PrepareConv, RunConv};

/* MaxPool: 2-D, floor mode, no Indices output */
static BxStatus
PrepareMaxPool(NnBuild *b, NnNode *node)
{
	static const char *const attrs[] = {
		"auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads",
		"storage_order", "strides", NULL
	};
	NnValue    *x = NnIn(b, node, 0);
	Window	   *win;
	int64_t		ceilMode;
	int64_t		storageOrder;
	int64_t		dims[4];
	BxStatus	st;

	win = NnArenaAlloc(b->arena, sizeof(Window));
	if (win == NULL)
		return NnSetError(b->err, BX_ENOMEM, "out of memory");
	node->params = win;
	if ((st = NnCheckAttrNames(b, node, attrs)) != BX_OK ||
		(st = NnRequireFloat(b, node, 0)) != BX_OK ||
		(st = NnAttrInt(b, node, "ceil_mode", 0, &ceilMode)) != BX_OK ||
		(st = NnAttrInt(b, node, "storage_order", 0, &storageOrder)) != BX_OK)
		return st;
	if (node->noutputs > 1)
		return NnNodeError(b, node, BX_EUNSUPPORTED,
						   "the Indices output is not supported");
	if (ceilMode != 0)
		return NnNodeError(b, node, BX_EUNSUPPORTED,
						   "ceil_mode=%lld is not supported", (long long) ceilMode);
	if (storageOrder != 0)
		return NnNodeError(b, node, BX_EUNSUPPORTED,
						   "storage_order=%lld is not supported",
						   (long long) storageOrder);
	if (x->rank != 4)
		return NnNodeError(b, node, BX_EUNSUPPORTED,
						   "input has rank %d; only 2-D pooling (rank 4, NCHW) is supported",
						   x->rank);
	win->h = x->dims[2];
	win->w = x->dims[3];
	if ((st = ReadWindow(b, node, true, win)) != BX_OK)
		return st;
	dims[0] = x->dims[0];
	dims[1] = x->dims[1];
	dims[2] = win->oh;
	dims[3] = win->ow;
	if ((st = NnAddWork(b, node, (double) (dims[0] * dims[1]) *
						(double) (win->oh * win->ow) *
						(double) (win->kh * win->kw))) != BX_OK)
		return st;
	return NnSetOutput(b, node, 0, ONNX_FLOAT, 4, dims);
}

static BxStatus
RunMaxPool(const NnNode *node, NnValue *const *in, NnValue *const *out,
		   NnExec *ex)
{
	const Window *win = node->params;
	size_t		planes = (size_t) (in[0]->dims[0] * in[0]->dims[1]);
	size_t		pl;
	int64_t		oy;
	int64_t		ox;

	for (pl = 0; pl < planes; pl++)
	{
		const float *x = (const float *) in[0]->data + pl * (size_t) (win->h * win->w);
		float	   *y = (float *) out[0]->data + pl * (size_t) (win->oh * win->ow);

		if (pl % 64 == 0 && NnInterrupted(ex))
			return BX_EINTERRUPTED;
		if (win->kh == 2 && win->kw == 2 && win->sh == 2 && win->sw == 2 &&
			win->dh == 1 && win->dw == 1 && win->pt == 0 && win->pl == 0)
		{
			/* the common 2x2/2 pooling; windows never leave the input */
			for (oy = 0; oy < win->oh; oy++)
			{
				const float *r0 = x + 2 * oy * win->w;
				const float *r1 = r0 + win->w;
				float	   *yr = y + oy * win->ow;

				for (ox = 0; ox < win->ow; ox++)
				{
					float		a = r0[2 * ox] > r0[2 * ox + 1] ? r0[2 * ox] : r0[2 * ox + 1];
					float		b = r1[2 * ox] > r1[2 * ox + 1] ? r1[2 * ox] : r1[2 * ox + 1];

					yr[ox] = a > b ? a : b;
				}
			}
			continue;
		}
		for (oy = 0; oy < win->oh; oy++)
			for (ox = 0; ox < win->ow; ox++)
			{
				float		best = -INFINITY;
				int64_t		ky;
				int64_t		kx;

				for (ky = 0; ky < win->kh; ky++)
				{
					int64_t		iy = oy * win->sh - win->pt + ky * win->dh;

					if (iy < 0 || iy >= win->h)
						continue;
					for (kx = 0; kx < win->kw; kx++)
					{
						int64_t		ix = ox * win->sw - win->pl + kx * win->dw;
						float		v;

						if (ix < 0 || ix >= win->w)
							continue;
						v = x[iy * win->w + ix];
						best = v > best ? v : best;
					}
				}
				y[oy * win->ow + ox] = best;
			}
	}
	return BX_OK;
}

const NnOpDef NnOpMaxPool = {"MaxPool", 1, 1, 2, false, PrepareMaxPool, RunMaxPool};

static BxStatus
PrepareGlobalAveragePool(NnBuild *b, NnNode *node)
{
	static const char *const attrs[] = {NULL};
	NnValue    *x = NnIn(b, node, 0);
	int64_t		dims[NN_MAX_DIMS];
	int			d;
	BxStatus	st;

	if ((st = NnCheckAttrNames(b, node, attrs)) != BX_OK ||
		(st = NnRequireFloat(b, node, 0)) != BX_OK)
		return st;
	if (x->rank < 3)
		return NnNodeError(b, node, BX_EFORMAT, "input must have rank >= 3");
	dims[0] = x->dims[0];
	dims[1] = x->dims[1];
	for (d = 2; d < x->rank; d++)
		dims[d] = 1;
	return NnSetOutput(b, node, 0, ONNX_FLOAT, x->rank, dims);
}

static BxStatus
RunGlobalAveragePool(const NnNode *node, NnValue *const *in,
					 NnValue *const *out, NnExec *ex)
{
	size_t		planes = (size_t) (in[0]->dims[0] * in[0]->dims[1]);
	size_t		inner = in[0]->count / planes;
	const float *x = in[0]->data;
	float	   *y = out[0]->data;
	size_t		pl;
	size_t		i;

	(void) node;
	(void) ex;
	for (pl = 0; pl < planes; pl++)
	{
		double		sum = 0.0;

		for (i = 0; i < inner; i++)
			sum += x[pl * inner + i];
		y[pl] = (float) (sum / (double) inner);
	}
	return BX_OK;
}

const NnOpDef NnOpGlobalAveragePool = {
	"GlobalAveragePool", 1, 1, 1, true, PrepareGlobalAveragePool, RunGlobalAveragePool
};
