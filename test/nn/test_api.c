/*-------------------------------------------------------------------------
 *
 * test_api.c
 *	  The public API: argument checks, error buffers, queries, results,
 *	  interrupts, the allocator hook (including allocation failures),
 *	  load options and buffer sharing.
 *
 * test/nn/test_api.c
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn.h"
#include "pbwriter.h"
#include "tap.h"
#include "testutil.h"

/* Direct reference of the tiny model: relu(conv3x3(x, pads 1) + b) */
static void
TinyReference(const float *x, int h, int w, float *y)
{
	int			m;
	int			c;
	int			oy;
	int			ox;
	int			ky;
	int			kx;

	for (m = 0; m < 3; m++)
		for (oy = 0; oy < h; oy++)
			for (ox = 0; ox < w; ox++)
			{
				double		acc = tinyB[m];

				for (c = 0; c < 2; c++)
					for (ky = 0; ky < 3; ky++)
						for (kx = 0; kx < 3; kx++)
						{
							int			iy = oy + ky - 1;
							int			ix = ox + kx - 1;

							if (iy >= 0 && iy < h && ix >= 0 && ix < w)
								acc += (double) tinyW[((m * 2 + c) * 3 + ky) * 3 + kx] *
									x[(c * h + iy) * w + ix];
						}
				y[(m * h + oy) * w + ox] = acc > 0 ? (float) acc : 0.0f;
			}
}

static double
MaxDiff(const float *a, const float *b, size_t n)
{
	double		d = 0.0;
	size_t		i;

	for (i = 0; i < n; i++)
		if (fabs((double) a[i] - b[i]) > d)
			d = fabs((double) a[i] - b[i]);
	return d;
}

static int	interruptCalls;
static int	interruptAt;

static int
CountingInterrupt(void *arg)
{
	(void) arg;
	interruptCalls++;
	return interruptAt > 0 && interruptCalls >= interruptAt;
}

static void
TestArguments(const Pb *tiny)
{
	char		err[BX_ERRBUF_SIZE];
	char		small[8];
	NnModel		m = (NnModel) 1;
	NnTensorInfo info;
	BxStatus	st;
	int			s;
	bool		namesOk = true;

	st = NnModelLoad(tiny->buf, tiny->len, NULL, NULL, err, sizeof(err));
	TapOk(st == BX_EINVAL, "NULL model pointer: BX_EINVAL");
	st = NnModelLoad(NULL, 10, NULL, &m, err, sizeof(err));
	TapOk(st == BX_EINVAL && m == NULL, "NULL data: BX_EINVAL, *model set to NULL");
	st = NnModelLoad("junk", 4, NULL, &m, NULL, 0);
	TapOk(st == BX_EFORMAT && m == NULL, "no error buffer at all is fine");
	memset(small, 'x', sizeof(small));
	st = NnModelLoad("junk", 4, NULL, &m, small, 1);
	TapOk(st == BX_EFORMAT && small[0] == '\0' && small[1] == 'x',
		  "one-byte error buffer gets an empty string, nothing beyond");
	memset(small, 'x', sizeof(small));
	st = NnModelLoad("junk", 4, NULL, &m, small, sizeof(small));
	TapOk(st == BX_EFORMAT && strlen(small) == sizeof(small) - 1,
		  "long messages are truncated to the buffer (\"%s\")", small);

	TapOk(NnModelRun(NULL, NULL, NULL, NULL, NULL, err, sizeof(err)) == BX_EINVAL,
		  "NnModelRun(NULL): BX_EINVAL");
	TapOk(NnModelNumInputs(NULL) == 0 && NnModelNumOutputs(NULL) == 0 &&
		  NnModelMemoryBytes(NULL) == 0 &&
		  NnModelGetInput(NULL, 0, &info) == BX_EINVAL,
		  "queries on NULL are harmless");
	NnModelFree(NULL);

	st = NnModelLoad(tiny->buf, tiny->len, NULL, &m, err, sizeof(err));
	if (TapOk(st == BX_OK, "tiny model loads"))
	{
		const float *in[1] = {NULL};

		TapOk(NnModelRun(m, NULL, NULL, NULL, NULL, err, sizeof(err)) == BX_EINVAL,
			  "NULL inputs array: BX_EINVAL");
		TapOk(NnModelRun(m, in, NULL, NULL, NULL, err, sizeof(err)) == BX_EINVAL &&
			  strstr(err, "input 0") != NULL,
			  "NULL input pointer: BX_EINVAL (%s)", err);
		TapOk(NnModelGetInput(m, 1, &info) == BX_EINVAL &&
			  NnModelGetOutput(m, -1, &info) == BX_EINVAL,
			  "out-of-range input/output index: BX_EINVAL");
		NnModelFree(m);
	}
	for (s = BX_OK; s < BX_STATUS_COUNT; s++)
		if (strncmp(BxStatusName((BxStatus) s), "BX_", 3) != 0 ||
			strcmp(BxStatusName((BxStatus) s), "BX_E?") == 0)
			namesOk = false;
	TapOk(namesOk && strcmp(BxStatusName(BX_ELIMIT), "BX_ELIMIT") == 0 &&
		  strcmp(BxStatusName((BxStatus) BX_STATUS_COUNT), "BX_E?") == 0,
		  "BxStatusName names every status");
}

static void
TestRunAndQuery(const Pb *tiny)
{
	char		err[BX_ERRBUF_SIZE];
	NnModel		m = NULL;
	NnTensorInfo in;
	NnTensorInfo out;
	float		x[60];
	float		want[90];
	float		first[90];
	const float *outs[1];
	const float *ins[1] = {x};
	BxStatus	st;
	int			i;

	for (i = 0; i < 60; i++)
		x[i] = (float) ((i * 37) % 17) / 8.0f - 1.0f;
	TinyReference(x, 5, 6, want);

	st = NnModelLoad(tiny->buf, tiny->len, NULL, &m, err, sizeof(err));
	if (!TapOk(st == BX_OK, "tiny model loads (%s)", err))
		return;
	TapOk(NnModelNumInputs(m) == 1 && NnModelNumOutputs(m) == 1,
		  "one input, one output");
	NnModelGetInput(m, 0, &in);
	NnModelGetOutput(m, 0, &out);
	TapOk(strcmp(in.name, "x") == 0 && in.rank == 4 && in.dims[0] == 1 &&
		  in.dims[1] == 2 && in.dims[2] == 5 && in.dims[3] == 6 && in.count == 60,
		  "input 'x' [1, 2, 5, 6]");
	TapOk(strcmp(out.name, "y") == 0 && out.rank == 4 && out.dims[1] == 3 &&
		  out.count == 90, "output 'y' [1, 3, 5, 6]");
	st = NnModelRun(m, ins, outs, NULL, NULL, err, sizeof(err));
	TapOk(st == BX_OK && MaxDiff(outs[0], want, 90) < 1e-5,
		  "output matches a direct convolution (max diff %.2g)",
		  st == BX_OK ? MaxDiff(outs[0], want, 90) : -1.0);
	memcpy(first, outs[0], sizeof(first));

	/* interrupts: before the first node, then inside the run */
	interruptCalls = 0;
	interruptAt = 1;
	st = NnModelRun(m, ins, outs, CountingInterrupt, NULL, err, sizeof(err));
	TapOk(st == BX_EINTERRUPTED && strstr(err, "interrupted") != NULL &&
		  interruptCalls == 1,
		  "interrupt callback returning 1 stops the run: %s", BxStatusName(st));
	interruptCalls = 0;
	interruptAt = 0;
	st = NnModelRun(m, ins, outs, CountingInterrupt, NULL, err, sizeof(err));
	TapOk(st == BX_OK && interruptCalls >= 1, "callback returning 0 is called (%d times) and the run completes",
		  interruptCalls);
	interruptAt = interruptCalls;	/* stop at the last check */
	interruptCalls = 0;
	st = NnModelRun(m, ins, outs, CountingInterrupt, NULL, err, sizeof(err));
	TapOk(st == BX_EINTERRUPTED, "interrupt at the last check point also stops");
	st = NnModelRun(m, ins, outs, NULL, NULL, err, sizeof(err));
	TapOk(st == BX_OK && memcmp(outs[0], first, sizeof(first)) == 0,
		  "a run after an interrupted one gives the same output");
	NnModelFree(m);
}

/*
 * A model with several weight tensors above the arena's chunk size, so
 * that loading makes many allocations: x[1,8,32,32] -> Conv 3x3 (64) ->
 * Relu -> depthwise Conv -> Conv 1x1 (8) -> Add x -> y.
 */
static Pb *
AllocModel(void)
{
	static const int64_t xd[4] = {1, 8, 32, 32};
	static const int64_t w1d[4] = {64, 8, 3, 3};
	static const int64_t w2d[4] = {64, 1, 3, 3};
	static const int64_t w3d[4] = {8, 64, 1, 1};
	static const int64_t pads[4] = {1, 1, 1, 1};
	static float w[64 * 8 * 9];
	Pb		   *a1[] = {OnnxAttrInts("pads", 4, pads), NULL};
	Pb		   *a2[] = {OnnxAttrInts("pads", 4, pads), OnnxAttrInt("group", 64), NULL};
	Pb		   *nodes[] = {
		OnnxNode("Conv", "c1", "x,w1", "h1", a1),
		OnnxNode("Relu", "r1", "h1", "h2", NULL),
		OnnxNode("Conv", "c2", "h2,w2", "h3", a2),
		OnnxNode("Conv", "c3", "h3,w3", "h4", NULL),
		OnnxNode("Add", "add", "h4,x", "y", NULL), NULL
	};
	Pb		   *inits[4];
	Pb		   *ins[] = {OnnxValueInfo("x", ONNX_T_FLOAT, 4, xd), NULL};
	Pb		   *outs[] = {OnnxValueInfo("y", ONNX_T_FLOAT, 4, xd), NULL};
	size_t		i;

	for (i = 0; i < sizeof(w) / sizeof(w[0]); i++)
		w[i] = (float) (i % 7) * 0.01f;
	inits[0] = OnnxTensorF("w1", 4, w1d, w);
	inits[1] = OnnxTensorF("w2", 4, w2d, w);
	inits[2] = OnnxTensorF("w3", 4, w3d, w);
	inits[3] = NULL;
	return OnnxModel(8, 13, OnnxGraph(nodes, inits, ins, outs));
}

static void
TestAllocator(const Pb *tiny)
{
	const Pb   *multi = AllocModel();
	char		err[BX_ERRBUF_SIZE];
	NnModel		m = NULL;
	long		calls;
	long		k;
	int			bad = 0;
	int			i;
	BxStatus	st;

	NnSetAllocator(CountingAllocator());
	CountingStart(0);
	st = NnModelLoad(tiny->buf, tiny->len, NULL, &m, err, sizeof(err));
	calls = CountingCalls();
	TapOk(st == BX_OK && CountingLive() > 0 && NnModelMemoryBytes(m) > 0,
		  "loading goes through the allocator hook (%ld calls, %zu bytes)",
		  calls, NnModelMemoryBytes(m));
	/* the model keeps its allocator even if the hook changes */
	NnSetAllocator(NULL);
	NnModelFree(m);
	NnSetAllocator(CountingAllocator());
	TapOk(CountingLive() == 0, "NnModelFree returns every block to the allocator the model was loaded with");

	CountingStart(0);
	st = NnModelLoad(multi->buf, multi->len, NULL, &m, err, sizeof(err));
	calls = CountingCalls();
	TapOk(st == BX_OK && calls >= 4, "a model with large weights makes %ld allocations", calls);
	NnModelFree(m);
	for (k = 1; k <= calls; k++)
	{
		m = NULL;
		CountingStart(k);
		st = NnModelLoad(multi->buf, multi->len, NULL, &m, err, sizeof(err));
		if (st != BX_ENOMEM || m != NULL || CountingLive() != 0 ||
			strstr(err, "out of memory") == NULL)
		{
			if (bad++ < 3)
				TapDiag("failing allocation %ld: %s \"%s\", live %ld", k,
						BxStatusName(st), err, CountingLive());
			NnModelFree(m);
		}
	}
	TapOk(bad == 0, "failing each of the %ld allocations gives BX_ENOMEM and frees the rest", calls);

	CountingStart(0);
	for (i = 0; i < 100; i++)
	{
		if (NnModelLoad(tiny->buf, tiny->len, NULL, &m, err, sizeof(err)) == BX_OK)
			NnModelFree(m);
	}
	TapOk(CountingLive() == 0, "100 load/free cycles leave nothing behind");
	NnSetAllocator(NULL);
}

static void
TestOptions(void)
{
	static const int64_t sym[4] = {-1, 2, 5, 6};
	static const int64_t other[4] = {1, 2, 9, 11};
	char		err[BX_ERRBUF_SIZE];
	NnModel		m = NULL;
	NnLoadOptions opts;
	NnTensorInfo info;
	Pb		   *model;
	BxStatus	st;

	/* a symbolic batch dimension becomes 1 */
	model = TinyModel(sym);
	st = NnModelLoad(model->buf, model->len, NULL, &m, err, sizeof(err));
	TapOk(st == BX_OK && NnModelGetInput(m, 0, &info) == BX_OK &&
		  info.dims[0] == 1, "symbolic batch dimension is resolved to 1 (%s)", err);
	NnModelFree(m);

	/* an explicit input shape replaces the declared one */
	memset(&opts, 0, sizeof(opts));
	opts.inputRank = 4;
	memcpy(opts.inputDims, other, sizeof(other));
	model = TinyModel(NULL);
	st = NnModelLoad(model->buf, model->len, &opts, &m, err, sizeof(err));
	if (TapOk(st == BX_OK && NnModelGetOutput(m, 0, &info) == BX_OK &&
			  info.dims[2] == 9 && info.dims[3] == 11,
			  "input shape option gives output [1, 3, 9, 11] (%s)", err))
	{
		float		x[198];
		float		want[297];
		const float *ins[1] = {x};
		const float *outs[1];
		int			i;

		for (i = 0; i < 198; i++)
			x[i] = (float) ((i * 13) % 11) / 5.0f - 1.0f;
		TinyReference(x, 9, 11, want);
		st = NnModelRun(m, ins, outs, NULL, NULL, err, sizeof(err));
		TapOk(st == BX_OK && MaxDiff(outs[0], want, 297) < 1e-5,
			  "and computes the right values at that size");
	}
	NnModelFree(m);
	m = NULL;

	opts.inputRank = 3;
	st = NnModelLoad(model->buf, model->len, &opts, &m, err, sizeof(err));
	TapOk(st == BX_EINVAL && strstr(err, "rank") != NULL, "input shape of the wrong rank: BX_EINVAL (%s)", err);
	opts.inputRank = 4;
	opts.inputDims[2] = 0;
	st = NnModelLoad(model->buf, model->len, &opts, &m, err, sizeof(err));
	TapOk(st == BX_EUNSUPPORTED, "zero input dimension is refused (%s)", err);
	opts.inputRank = 99;
	st = NnModelLoad(model->buf, model->len, &opts, &m, err, sizeof(err));
	TapOk(st == BX_EINVAL, "inputRank 99: BX_EINVAL");

	memset(&opts, 0, sizeof(opts));
	opts.maxRunBytes = 100;
	st = NnModelLoad(model->buf, model->len, &opts, &m, err, sizeof(err));
	TapOk(st == BX_ELIMIT && strstr(err, "run-time buffers") != NULL,
		  "maxRunBytes below the need: BX_ELIMIT (%s)", err);
}

/* A chain of 64 Relus on a 1 MiB tensor needs only two live buffers */
static void
TestBufferSharing(void)
{
	static const int64_t dims[4] = {1, 4, 256, 256};
	Pb		   *nodes[65];
	Pb		   *ins[] = {OnnxValueInfo("x", ONNX_T_FLOAT, 4, dims), NULL};
	Pb		   *outs[] = {OnnxValueInfo("v64", ONNX_T_FLOAT, 4, dims), NULL};
	char		names[65][16];
	char		err[BX_ERRBUF_SIZE];
	NnModel		m = NULL;
	Pb		   *model;
	BxStatus	st;
	int			i;

	for (i = 0; i < 64; i++)
	{
		char		in[16];

		snprintf(in, sizeof(in), i == 0 ? "x" : "v%d", i);
		snprintf(names[i], sizeof(names[i]), "v%d", i + 1);
		nodes[i] = OnnxNode(i % 2 ? "Relu" : "Sigmoid", NULL, in, names[i], NULL);
	}
	nodes[64] = NULL;
	model = OnnxModel(8, 13, OnnxGraph(nodes, NULL, ins, outs));
	st = NnModelLoad(model->buf, model->len, NULL, &m, err, sizeof(err));
	TapOk(st == BX_OK && NnModelMemoryBytes(m) < ((size_t) 4 << 20),
		  "64 chained 1 MiB tensors share buffers: %zu bytes held",
		  NnModelMemoryBytes(m));
	if (st == BX_OK)
	{
		float	   *x = malloc(sizeof(float) * 262144);
		const float *ins2[1] = {x};
		const float *out[1];
		double		d = 0;
		int			j;

		for (j = 0; j < 262144; j++)
			x[j] = (float) (j % 97) / 48.0f - 1.0f;
		st = NnModelRun(m, ins2, out, NULL, NULL, err, sizeof(err));
		for (j = 0; st == BX_OK && j < 262144; j++)
		{
			double		v = x[j];

			for (i = 0; i < 64; i++)
				v = i % 2 ? (v > 0 ? v : 0) : 1.0 / (1.0 + exp(-v));
			if (fabs(v - out[0][j]) > d)
				d = fabs(v - out[0][j]);
		}
		TapOk(st == BX_OK && d < 1e-5, "and compute the right values (max diff %.2g)", d);
		free(x);
	}
	NnModelFree(m);
}

void
TestApi(void)
{
	Pb		   *tiny = TinyModel(NULL);

	TestArguments(tiny);
	TestRunAndQuery(tiny);
	TestAllocator(tiny);
	TestOptions();
	TestBufferSharing();
	PbFreeAll();
}
