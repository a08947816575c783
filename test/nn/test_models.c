/*-------------------------------------------------------------------------
 *
 * test_models.c
 *	  Robustness checks on the real models (YuNet, MobileFaceNet): their
 *	  interface, truncated and mutated copies, interrupts, other input
 *	  sizes.  Numerical agreement is checked by the manifest cases.
 *
 * Skipped (TAP "# SKIP") when $BX_MODEL_DIR does not hold the models.
 *
 * test/nn/test_models.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn.h"
#include "tap.h"
#include "testutil.h"

#define YUNET "yunet/face_detection_yunet_2023mar.onnx"
#define MOBILEFACENET "mobilefacenet/MobileFaceNet.onnx"

static int	interruptCalls;

static int
StopAt(void *arg)
{
	return ++interruptCalls >= *(int *) arg;
}

static bool
HasShape(const NnTensorInfo *info, const char *name, int rank, const int64_t *dims)
{
	return strcmp(info->name, name) == 0 && info->rank == rank &&
		memcmp(info->dims, dims, sizeof(int64_t) * (size_t) rank) == 0;
}

/* Every sampled strict prefix must be rejected, without leaks */
static void
Truncations(const char *what, const uint8_t *data, size_t len, int samples)
{
	char		err[BX_ERRBUF_SIZE];
	int			bad = 0;
	int			i;

	for (i = 0; i < samples; i++)
	{
		/* evenly spread, plus the very end */
		size_t		cut = i < samples - 3 ? (len / (size_t) samples) * (size_t) i
			: len - (size_t) (samples - i);
		NnModel		m = NULL;
		BxStatus	st;

		CountingStart(0);
		err[0] = '\0';
		st = NnModelLoad(data, cut, NULL, &m, err, sizeof(err));
		if (st == BX_OK || err[0] == '\0' || CountingLive() != 0)
		{
			if (bad++ < 3)
				TapDiag("prefix %zu: %s %s", cut, BxStatusName(st), err);
			NnModelFree(m);
		}
	}
	TapOk(bad == 0, "%s: %d truncated copies are rejected, no leaks", what, samples);
}

/* Random byte mutations: no crash, no leak; if it loads, it runs */
static void
Mutations(const char *what, const uint8_t *data, size_t len, int count,
		  int maxRuns)
{
	uint8_t    *buf = malloc(len);
	char		err[BX_ERRBUF_SIZE];
	int			bad = 0;
	int			loaded = 0;
	int			runs = 0;
	NnLoadOptions opts;
	int			i;

	memset(&opts, 0, sizeof(opts));
	opts.maxRunBytes = (size_t) 256 << 20;
	for (i = 0; i < count; i++)
	{
		NnModel		m = NULL;
		BxStatus	st;
		int			k;

		memcpy(buf, data, len);
		/*
		 * Hit the nodes (serialized first) and the input/output/value_info
		 * records (last) more often than the weights in between.
		 */
		for (k = 0; k < 1 + (int) (TestRand() % 3); k++)
		{
			size_t		span = len < 20000 ? len : 20000;
			size_t		pos;

			switch (TestRand() % 3)
			{
				case 0:
					pos = TestRand() % span;
					break;
				case 1:
					pos = len - 1 - TestRand() % span;
					break;
				default:
					pos = TestRand() % len;
					break;
			}
			buf[pos] ^= (uint8_t) (1 + TestRand() % 255);
		}
		CountingStart(0);
		err[0] = '\0';
		st = NnModelLoad(buf, len, &opts, &m, err, sizeof(err));
		if (st == BX_OK)
		{
			loaded++;
			if (runs < maxRuns && NnModelNumInputs(m) == 1)
			{
				NnTensorInfo info;
				float	   *x;
				const float *ins[1];

				NnModelGetInput(m, 0, &info);
				x = calloc(info.count, sizeof(float));
				ins[0] = x;
				if (x == NULL || NnModelRun(m, ins, NULL, NULL, NULL, err, sizeof(err)) != BX_OK)
					bad++;
				free(x);
				runs++;
			}
		}
		else if (err[0] == '\0' || m != NULL)
			bad++;
		NnModelFree(m);
		if (CountingLive() != 0)
			bad++;
	}
	TapDiag("%s: %d of %d mutants loaded, %d of them run", what, loaded, count, runs);
	TapOk(bad == 0, "%s: %d mutated copies: no crash, no leak, errors explained", what, count);
	free(buf);
}

static void
TestYunet(void)
{
	static const int64_t in640[4] = {1, 3, 640, 640};
	static const char *const heads[4] = {"cls", "obj", "bbox", "kps"};
	static const int64_t widths[4] = {1, 1, 4, 10};
	const char *path = ModelPath(YUNET);
	char		err[BX_ERRBUF_SIZE];
	uint8_t    *data;
	size_t		len;
	NnModel		m = NULL;
	NnTensorInfo info;
	NnLoadOptions opts;
	BxStatus	st;
	bool		good = true;
	int			i;

	if (path == NULL)
	{
		TapSkip("YuNet not found in %s (set BX_MODEL_DIR)", ModelDir());
		return;
	}
	data = ReadWholeFile(path, &len);
	CountingStart(0);
	st = NnModelLoad(data, len, NULL, &m, err, sizeof(err));
	if (!TapOk(st == BX_OK, "YuNet loads (%s)", err))
	{
		free(data);
		return;
	}
	NnModelGetInput(m, 0, &info);
	TapOk(NnModelNumInputs(m) == 1 && HasShape(&info, "input", 4, in640),
		  "YuNet input 'input' [1, 3, 640, 640]");
	for (i = 0; i < 12; i++)
	{
		char		name[16];
		int64_t		dims[3];

		snprintf(name, sizeof(name), "%s_%d", heads[i / 3], 8 << (i % 3));
		dims[0] = 1;
		dims[1] = 6400 >> (2 * (i % 3));
		dims[2] = widths[i / 3];
		if (NnModelGetOutput(m, i, &info) != BX_OK || !HasShape(&info, name, 3, dims))
			good = false;
	}
	TapOk(NnModelNumOutputs(m) == 12 && good, "YuNet has the 12 outputs cls/obj/bbox/kps x 8/16/32");
	TapDiag("YuNet holds %zu bytes (weights + buffers)", NnModelMemoryBytes(m));

	{
		float	   *x = calloc(3 * 640 * 640, sizeof(float));
		const float *ins[1] = {x};
		int			stopAt = 1000000;

		interruptCalls = 0;
		st = NnModelRun(m, ins, NULL, StopAt, &stopAt, err, sizeof(err));
		TapOk(st == BX_OK && interruptCalls > 100,
			  "YuNet run polls the interrupt callback %d times", interruptCalls);
		stopAt = interruptCalls / 2;
		interruptCalls = 0;
		st = NnModelRun(m, ins, NULL, StopAt, &stopAt, err, sizeof(err));
		TapOk(st == BX_EINTERRUPTED && interruptCalls == stopAt,
			  "YuNet run stops at the %d-th poll", stopAt);
		free(x);
	}
	NnModelFree(m);
	m = NULL;
	TapOk(CountingLive() == 0, "YuNet frees everything");

	/* fully convolutional: runs at 320x320 with 1600/400/100 anchors */
	memset(&opts, 0, sizeof(opts));
	opts.inputRank = 4;
	opts.inputDims[0] = 1;
	opts.inputDims[1] = 3;
	opts.inputDims[2] = 320;
	opts.inputDims[3] = 320;
	st = NnModelLoad(data, len, &opts, &m, err, sizeof(err));
	if (TapOk(st == BX_OK && NnModelGetOutput(m, 2, &info) == BX_OK &&
			  info.dims[1] == 100, "YuNet loads for 320x320 input (%s)", err))
	{
		float	   *x = calloc(3 * 320 * 320, sizeof(float));
		const float *ins[1] = {x};

		TapOk(NnModelRun(m, ins, NULL, NULL, NULL, err, sizeof(err)) == BX_OK,
			  "and runs");
		free(x);
	}
	NnModelFree(m);

	/* every allocation of a YuNet load failing in turn */
	{
		long		calls;
		long		k;
		int			bad = 0;

		CountingStart(0);
		st = NnModelLoad(data, len, NULL, &m, err, sizeof(err));
		calls = CountingCalls();
		NnModelFree(m);
		m = NULL;
		for (k = 1; k <= calls; k++)
		{
			CountingStart(k);
			st = NnModelLoad(data, len, NULL, &m, err, sizeof(err));
			if (st != BX_ENOMEM || m != NULL || CountingLive() != 0)
			{
				bad++;
				NnModelFree(m);
				m = NULL;
			}
		}
		TapOk(calls > 10 && bad == 0,
			  "YuNet: failing each of its %ld allocations gives BX_ENOMEM, no leak", calls);
	}

	Truncations("YuNet", data, len, 200);
	Mutations("YuNet", data, len, 300, 10);
	free(data);
}

static void
TestMobileFaceNet(void)
{
	static const int64_t in112[4] = {1, 3, 112, 112};
	static const int64_t out128[2] = {1, 128};
	const char *path = ModelPath(MOBILEFACENET);
	char		err[BX_ERRBUF_SIZE];
	uint8_t    *data;
	size_t		len;
	NnModel		m = NULL;
	NnTensorInfo in;
	NnTensorInfo out;
	BxStatus	st;

	if (path == NULL)
	{
		TapSkip("MobileFaceNet not found in %s (set BX_MODEL_DIR)", ModelDir());
		return;
	}
	data = ReadWholeFile(path, &len);
	CountingStart(0);
	st = NnModelLoad(data, len, NULL, &m, err, sizeof(err));
	if (TapOk(st == BX_OK, "MobileFaceNet loads (%s)", err))
	{
		NnModelGetInput(m, 0, &in);
		NnModelGetOutput(m, 0, &out);
		TapOk(NnModelNumInputs(m) == 1 && NnModelNumOutputs(m) == 1 &&
			  HasShape(&in, "input0", 4, in112) && HasShape(&out, "output0", 2, out128),
			  "MobileFaceNet maps input0 [1, 3, 112, 112] to output0 [1, 128]");
		TapDiag("MobileFaceNet holds %zu bytes (weights + buffers)", NnModelMemoryBytes(m));
	}
	NnModelFree(m);
	TapOk(CountingLive() == 0, "MobileFaceNet frees everything");
	Truncations("MobileFaceNet", data, len, 100);
	Mutations("MobileFaceNet", data, len, 200, 10);
	free(data);
}

void
TestRealModels(void)
{
	NnSetAllocator(CountingAllocator());
	TestYunet();
	TestMobileFaceNet();
	NnSetAllocator(NULL);
}
