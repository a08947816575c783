/*-------------------------------------------------------------------------
 *
 * fuzz_onnx.c
 *	  libFuzzer harness of the nn library's model loading (lib/nn): the
 *	  ONNX protobuf reader, graph construction, attribute checks, shape
 *	  inference, constant folding and buffer planning, on arbitrary bytes.
 *
 * NnModelLoad() enforces the library's own limits (rank 8, 2^28 elements
 * per tensor, 256 MiB of constants, 10,000 nodes, 1e11 operations); the
 * harness lowers the run-time buffer cap to 16 MiB so that no input can
 * make it allocate activations of gigabytes.
 *
 * A model that loads is then run twice, to catch kernels disagreeing with
 * the shapes their prepare functions inferred, writing into their inputs,
 * or depending on what the previous run left in the buffers; but only when
 * it is small (inputs and outputs of at most 1 Mi floats, at most 64 MiB
 * of model memory) and under an interrupt callback that stops it after 256
 * polls or 50 ms: a valid model may legitimately ask for 1e11 operations,
 * which is not a bug.  The poll budget keeps most runs deterministic; the
 * time cap only matters for inputs that are slow anyway.
 *
 * A hash of the input decides whether to override the input shape (the
 * NnLoadOptions path the face detector uses) and, for one input in eight,
 * makes the allocator fail its n-th call, so that the cleanup of every
 * stage is exercised; a crash replays.  The allocator also counts blocks:
 * after NnModelFree() (or a failed load) none may be left.
 *
 * Checked: status of the enum, model NULL iff failure, terminated message,
 * input/output descriptions consistent with their counts, outputs readable
 * over their whole size (ASan sees the buffers), inputs unchanged and
 * outputs reproducible by a second run.
 *
 * test/fuzz/fuzz_onnx.c
 *
 *-------------------------------------------------------------------------
 */
/* clock_gettime() under -std=c11 */
#define _POSIX_C_SOURCE 200809L

#include <string.h>
#include <time.h>

#include "fuzz_common.h"
#include "nn/nn.h"

#define FUZZ_RUN_BYTES		((size_t) 16 << 20)
#define FUZZ_MAX_INPUT		((size_t) 1 << 20)
#define FUZZ_MAX_MODEL		((size_t) 64 << 20)
#define FUZZ_MAX_POLLS		256
#define FUZZ_MAX_NSEC		(50 * 1000 * 1000L)

/* malloc/free that counts live blocks and can fail the failAt-th call */
typedef struct CountingState
{
	long		calls;
	long		failAt;			/* 0: never */
	long		live;
} CountingState;

static CountingState counting;

static void *
CountingAlloc(void *arg, size_t size)
{
	void	   *p;

	(void) arg;
	if (++counting.calls == counting.failAt)
		return NULL;
	p = malloc(size);
	if (p != NULL)
		counting.live++;
	return p;
}

static void
CountingFree(void *arg, void *ptr)
{
	(void) arg;
	if (ptr != NULL)
	{
		counting.live--;
		free(ptr);
	}
}

static const BxAllocator countingAllocator = {CountingAlloc, CountingFree, NULL};

typedef struct RunBudget
{
	int			polls;
	struct timespec start;
} RunBudget;

static long
ElapsedNs(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) * 1000000000L +
		(now.tv_nsec - start->tv_nsec);
}

static int
StopRun(void *arg)
{
	RunBudget  *b = arg;

	return ++b->polls > FUZZ_MAX_POLLS || ElapsedNs(&b->start) > FUZZ_MAX_NSEC;
}

static void
CheckInfo(const NnTensorInfo *info, const char *what, int i)
{
	size_t		count = 1;

	FUZZ_CHECK(info->name != NULL, "%s %d has no name", what, i);
	FUZZ_CHECK(info->rank >= 0 && info->rank <= NN_MAX_DIMS,
			   "%s %d has rank %d", what, i, info->rank);
	for (int d = 0; d < info->rank; d++)
	{
		FUZZ_CHECK(info->dims[d] >= 1, "%s %d dim %d is %lld", what, i, d,
				   (long long) info->dims[d]);
		count *= (size_t) info->dims[d];
	}
	FUZZ_CHECK(count == info->count, "%s %d: count %zu, dims give %zu",
			   what, i, info->count, count);
}

/* The harness's input values: element k of every input */
static inline float
InputValue(size_t k)
{
	return (float) ((int) (k % 17) - 8) * 0.125f;
}

/* One run under the budget; BX_OK or BX_EINTERRUPTED */
static BxStatus
RunOnce(NnModel m, float *const *inputs, const float **outputs)
{
	char		err[BX_ERRBUF_SIZE];
	RunBudget	budget;
	BxStatus	st;

	budget.polls = 0;
	clock_gettime(CLOCK_MONOTONIC, &budget.start);
	memset(err, 0x7f, sizeof(err));
	st = NnModelRun(m, (const float *const *) inputs, outputs, StopRun,
					&budget, err, sizeof(err));
	FUZZ_CHECK(FuzzTerminated(err, sizeof(err)), "unterminated run message");
	FUZZ_CHECK(st == BX_OK || st == BX_EINTERRUPTED, "run gave %s: %s",
			   BxStatusName(st), err);
	return st;
}

/*
 * Run a small model twice.  The first run must leave the inputs untouched
 * (kernels only read them) and give outputs readable over their whole
 * size; the second must reproduce them bit for bit, which catches kernels
 * that depend on what an earlier run left in the shared buffers.
 */
static void
RunSmallModel(NnModel m)
{
	int			nin = NnModelNumInputs(m);
	int			nout = NnModelNumOutputs(m);
	float	   *inputs[256];
	const float *outputs[256];
	float	   *copies[256];
	size_t		total = 0;
	size_t		totalOut = 0;
	NnTensorInfo info;

	if (nin > (int) (sizeof(inputs) / sizeof(inputs[0])) ||
		nout > (int) (sizeof(outputs) / sizeof(outputs[0])) ||
		NnModelMemoryBytes(m) > FUZZ_MAX_MODEL)
		return;
	for (int i = 0; i < nin; i++)
	{
		NnModelGetInput(m, i, &info);
		total += info.count;
	}
	for (int j = 0; j < nout; j++)
	{
		NnModelGetOutput(m, j, &info);
		totalOut += info.count;
	}
	if (total > FUZZ_MAX_INPUT || totalOut > FUZZ_MAX_INPUT)
		return;

	for (int i = 0; i < nin; i++)
	{
		NnModelGetInput(m, i, &info);
		/* exactly the size the model reports, so ASan sees overreads */
		inputs[i] = malloc(sizeof(float) * info.count);
		FUZZ_CHECK(inputs[i] != NULL, "out of memory");
		for (size_t k = 0; k < info.count; k++)
			inputs[i][k] = InputValue(k);
	}

	if (RunOnce(m, inputs, outputs) == BX_OK)
	{
		for (int i = 0; i < nin; i++)
		{
			NnModelGetInput(m, i, &info);
			for (size_t k = 0; k < info.count; k++)
				FUZZ_CHECK(memcmp(&inputs[i][k], &(float) {InputValue(k)},
								  sizeof(float)) == 0,
						   "the run wrote into input %d at %zu", i, k);
		}
		for (int j = 0; j < nout; j++)
		{
			NnModelGetOutput(m, j, &info);
			FUZZ_CHECK(outputs[j] != NULL, "output %d is NULL", j);
			copies[j] = malloc(sizeof(float) * info.count + 1);
			FUZZ_CHECK(copies[j] != NULL, "out of memory");
			/* reads the whole output: ASan sees a short buffer */
			memcpy(copies[j], outputs[j], sizeof(float) * info.count);
		}
		if (RunOnce(m, inputs, outputs) == BX_OK)
		{
			for (int j = 0; j < nout; j++)
			{
				NnModelGetOutput(m, j, &info);
				FUZZ_CHECK(memcmp(copies[j], outputs[j],
								  sizeof(float) * info.count) == 0,
						   "output %d differs between two runs", j);
			}
		}
		for (int j = 0; j < nout; j++)
			free(copies[j]);
	}
	for (int i = 0; i < nin; i++)
		free(inputs[i]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	NnLoadOptions opts;
	NnModel		m = NULL;
	BxStatus	st;
	char		err[BX_ERRBUF_SIZE];
	uint32_t	h = FuzzHash(data, size);
	NnTensorInfo info;

	NnSetAllocator(&countingAllocator);
	memset(&counting, 0, sizeof(counting));
	if (((h >> 13) & 7) == 1)
		counting.failAt = 1 + (long) ((h >> 16) % 24);

	memset(&opts, 0, sizeof(opts));
	opts.maxRunBytes = FUZZ_RUN_BYTES;
	if ((h & 7) == 0)
	{
		/* override a 4-D input as the face detector does, small */
		opts.inputRank = 4;
		opts.inputDims[0] = 1;
		opts.inputDims[1] = 1 + (h >> 3) % 3;
		opts.inputDims[2] = 1 + (h >> 5) % 16;
		opts.inputDims[3] = 1 + (h >> 9) % 16;
	}

	memset(err, 0x7f, sizeof(err));
	st = NnModelLoad(data, size, &opts, &m, err, sizeof(err));
	FUZZ_CHECK(FuzzTerminated(err, sizeof(err)), "unterminated message");
	if (st != BX_OK)
	{
		FUZZ_CHECK(m == NULL, "%s with a model", BxStatusName(st));
		FUZZ_CHECK(st == BX_EFORMAT || st == BX_EUNSUPPORTED ||
				   st == BX_ELIMIT || st == BX_EINVAL ||
				   (st == BX_ENOMEM && counting.failAt > 0),
				   "load gave %s: %s", BxStatusName(st), err);
		FUZZ_CHECK(err[0] != '\0', "%s without a message", BxStatusName(st));
		FUZZ_CHECK(counting.live == 0, "failed load leaked %ld blocks",
				   counting.live);
		return 0;
	}

	FUZZ_CHECK(m != NULL, "BX_OK without a model");
	FUZZ_CHECK(NnModelNumOutputs(m) >= 1, "a model without outputs");
	for (int i = 0; i < NnModelNumInputs(m); i++)
	{
		FUZZ_CHECK(NnModelGetInput(m, i, &info) == BX_OK, "input %d", i);
		CheckInfo(&info, "input", i);
	}
	for (int j = 0; j < NnModelNumOutputs(m); j++)
	{
		FUZZ_CHECK(NnModelGetOutput(m, j, &info) == BX_OK, "output %d", j);
		CheckInfo(&info, "output", j);
	}
	FUZZ_CHECK(NnModelGetInput(m, NnModelNumInputs(m), &info) == BX_EINVAL,
			   "input index past the end accepted");
	RunSmallModel(m);
	NnModelFree(m);
	FUZZ_CHECK(counting.live == 0, "NnModelFree left %ld blocks", counting.live);
	return 0;
}
