/*-------------------------------------------------------------------------
 *
 * cases.c
 *	  Run the test cases that the Python scripts describe in manifests.
 *
 * Each case names an ONNX file, input tensors and either the expected
 * outputs (computed independently: NumPy, the ONNX reference test data,
 * OpenCV) with a tolerance, or the error status and message substring the
 * load must fail with.  The format is documented in nncase.py.
 *
 * Every passing case also checks that two runs give identical outputs and
 * that freeing the model returns every block to the allocator.
 *
 * test/nn/cases.c
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn.h"
#include "tap.h"
#include "testutil.h"

#define MAX_TENSORS 64

typedef struct Tensor
{
	char		path[1024];
	int			rank;
	int64_t		dims[NN_MAX_DIMS];
} Tensor;

typedef struct Case
{
	char		name[1024];
	char		model[1024];
	bool		expectOk;
	char		status[1024];
	char		substring[2048];
	double		tol;
	int			ninputs;
	int			noutputs;
	Tensor		inputs[MAX_TENSORS];
	Tensor		outputs[MAX_TENSORS];
} Case;

static bool
ParseShape(const char *s, Tensor *t)
{
	char	   *end;

	t->rank = 0;
	if (strcmp(s, "-") == 0)
		return true;
	for (;;)
	{
		if (t->rank >= NN_MAX_DIMS)
			return false;
		t->dims[t->rank++] = strtoll(s, &end, 10);
		if (end == s)
			return false;
		if (*end == '\0')
			return true;
		if (*end != 'x')
			return false;
		s = end + 1;
	}
}

static size_t
Count(const Tensor *t)
{
	size_t		n = 1;
	int			i;

	for (i = 0; i < t->rank; i++)
		n *= (size_t) t->dims[i];
	return n;
}

static float *
LoadTensor(const Tensor *t)
{
	size_t		len;
	float	   *data = ReadWholeFile(t->path, &len);

	if (data != NULL && len != Count(t) * sizeof(float))
	{
		free(data);
		return NULL;
	}
	return data;
}

static bool
SameShape(const NnTensorInfo *info, const Tensor *t)
{
	return info->rank == t->rank &&
		memcmp(info->dims, t->dims, sizeof(int64_t) * (size_t) t->rank) == 0;
}

/* max|got - want| / max(max|want|, 1e-6); NaN anywhere gives +inf */
static double
RelError(const float *got, const float *want, size_t n)
{
	double		maxDiff = 0.0;
	double		maxRef = 0.0;
	size_t		i;

	for (i = 0; i < n; i++)
	{
		double		d = fabs((double) got[i] - (double) want[i]);

		if (isnan(got[i]) != isnan(want[i]) || isnan(d))
			return INFINITY;
		if (d > maxDiff)
			maxDiff = d;
		if (fabs(want[i]) > maxRef)
			maxRef = fabs(want[i]);
	}
	return maxDiff / (maxRef > 1e-6 ? maxRef : 1e-6);
}

static void
RunErrorCase(const Case *c, const void *data, size_t len)
{
	char		err[BX_ERRBUF_SIZE];
	NnModel		m = NULL;
	BxStatus	st;
	bool		good;

	CountingStart(0);
	st = NnModelLoad(data, len, NULL, &m, err, sizeof(err));
	good = st != BX_OK && m == NULL &&
		(strcmp(c->status, "any") == 0 || strcmp(c->status, BxStatusName(st)) == 0) &&
		strstr(err, c->substring) != NULL && CountingLive() == 0;
	if (!good)
		TapDiag("got %s \"%s\", want %s containing \"%s\" (live blocks %ld)",
				BxStatusName(st), err, c->status, c->substring, CountingLive());
	TapOk(good, "%s: rejected with %s", c->name, c->status);
	NnModelFree(m);
}

static void
RunOkCase(const Case *c, const void *data, size_t len)
{
	char		err[BX_ERRBUF_SIZE];
	NnModel		m = NULL;
	BxStatus	st;
	float	   *in[MAX_TENSORS] = {NULL};
	const float *out[MAX_TENSORS];
	float	   *first[MAX_TENSORS] = {NULL};
	double		worst = 0.0;
	int			worstAt = -1;
	bool		good = false;
	bool		repeat = true;
	int			i;

	CountingStart(0);
	st = NnModelLoad(data, len, NULL, &m, err, sizeof(err));
	if (st != BX_OK)
	{
		TapDiag("load failed: %s %s", BxStatusName(st), err);
		goto done;
	}
	if (NnModelNumInputs(m) != c->ninputs || NnModelNumOutputs(m) != c->noutputs)
	{
		TapDiag("model has %d inputs, %d outputs; case has %d, %d",
				NnModelNumInputs(m), NnModelNumOutputs(m), c->ninputs,
				c->noutputs);
		goto done;
	}
	for (i = 0; i < c->ninputs; i++)
	{
		NnTensorInfo info;

		NnModelGetInput(m, i, &info);
		in[i] = LoadTensor(&c->inputs[i]);
		if (in[i] == NULL || !SameShape(&info, &c->inputs[i]))
		{
			TapDiag("input %d: unreadable or shape mismatch", i);
			goto done;
		}
	}
	for (i = 0; i < c->noutputs; i++)
	{
		NnTensorInfo info;

		NnModelGetOutput(m, i, &info);
		if (!SameShape(&info, &c->outputs[i]))
		{
			TapDiag("output %d '%s': shape mismatch (rank %d vs %d)", i,
					info.name, info.rank, c->outputs[i].rank);
			goto done;
		}
	}
	st = NnModelRun(m, (const float *const *) in, out, NULL, NULL, err, sizeof(err));
	if (st != BX_OK)
	{
		TapDiag("run failed: %s %s", BxStatusName(st), err);
		goto done;
	}
	for (i = 0; i < c->noutputs; i++)
	{
		float	   *want = LoadTensor(&c->outputs[i]);
		size_t		n = Count(&c->outputs[i]);
		double		rel;

		if (want == NULL)
		{
			TapDiag("output %d: reference unreadable", i);
			goto done;
		}
		rel = RelError(out[i], want, n);
		if (rel > worst || worstAt < 0)
		{
			worst = rel;
			worstAt = i;
		}
		first[i] = malloc(n * sizeof(float) + 1);
		if (first[i] != NULL)
			memcpy(first[i], out[i], n * sizeof(float));
		free(want);
	}
	/* a second run must reproduce the first bit for bit */
	st = NnModelRun(m, (const float *const *) in, out, NULL, NULL, err, sizeof(err));
	for (i = 0; i < c->noutputs; i++)
		if (st != BX_OK || first[i] == NULL ||
			memcmp(first[i], out[i], Count(&c->outputs[i]) * sizeof(float)) != 0)
			repeat = false;
	if (!repeat)
		TapDiag("second run differs");
	TapDiag("%s: max relative error %.3g (output %d), tolerance %.3g",
			c->name, worst, worstAt, c->tol);
	good = repeat && worst <= c->tol;

done:
	NnModelFree(m);
	if (good && CountingLive() != 0)
	{
		TapDiag("%ld blocks not freed", CountingLive());
		good = false;
	}
	for (i = 0; i < MAX_TENSORS; i++)
	{
		free(in[i]);
		free(first[i]);
	}
	TapOk(good, "%s: outputs match the reference", c->name);
}

static void
RunCase(const Case *c)
{
	size_t		len;
	void	   *data = ReadWholeFile(c->model, &len);

	if (data == NULL)
	{
		TapOk(false, "%s: cannot read model %s", c->name, c->model);
		return;
	}
	if (c->expectOk)
		RunOkCase(c, data, len);
	else
		RunErrorCase(c, data, len);
	free(data);
}

/* Read and run every case of a manifest */
void
RunManifest(const char *path)
{
	FILE	   *f = fopen(path, "r");
	char		line[2048];
	Case	   *c = calloc(1, sizeof(Case));
	bool		inCase = false;
	int			lineno = 0;

	if (f == NULL || c == NULL)
	{
		TapOk(false, "manifest %s is readable", path);
		if (f)
			fclose(f);
		free(c);
		return;
	}
	NnSetAllocator(CountingAllocator());
	while (fgets(line, sizeof(line), f) != NULL)
	{
		char		key[32];
		char		a[1024];
		char		b[1024];
		int			n;

		lineno++;
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		n = sscanf(line, "%31s %1023s %1023s", key, a, b);
		if (strcmp(key, "skip") == 0 && n >= 2)
		{
			const char *reason = strchr(line + 5, ' ');

			TapSkip("%s: %s", a, reason ? reason + 1 : "");
		}
		else if (strcmp(key, "case") == 0 && n >= 2)
		{
			memset(c, 0, sizeof(*c));
			snprintf(c->name, sizeof(c->name), "%s", a);
			inCase = true;
		}
		else if (inCase && strcmp(key, "model") == 0 && n >= 2)
			snprintf(c->model, sizeof(c->model), "%s", a);
		else if (inCase && strcmp(key, "expect") == 0 && n >= 2)
		{
			c->expectOk = strcmp(a, "ok") == 0;
			if (!c->expectOk)
			{
				/* expect error STATUS SUBSTRING... */
				const char *rest;

				snprintf(c->status, sizeof(c->status), "%s", n >= 3 ? b : "any");
				rest = strstr(line, c->status);
				rest = rest ? rest + strlen(c->status) : "";
				while (*rest == ' ')
					rest++;
				snprintf(c->substring, sizeof(c->substring), "%s", rest);
			}
		}
		else if (inCase && strcmp(key, "tol") == 0 && n >= 2)
			c->tol = atof(a);
		else if (inCase && (strcmp(key, "input") == 0 || strcmp(key, "output") == 0) && n == 3)
		{
			bool		isIn = key[0] == 'i';
			int		   *cnt = isIn ? &c->ninputs : &c->noutputs;
			Tensor	   *t;

			if (*cnt >= MAX_TENSORS)
				break;
			t = isIn ? &c->inputs[*cnt] : &c->outputs[*cnt];
			snprintf(t->path, sizeof(t->path), "%s", a);
			if (!ParseShape(b, t))
				break;
			(*cnt)++;
		}
		else if (inCase && strcmp(key, "end") == 0)
		{
			RunCase(c);
			inCase = false;
		}
		else
			break;
	}
	if (!feof(f))
		TapOk(false, "manifest %s: bad line %d: %s", path, lineno, line);
	fclose(f);
	free(c);
	NnSetAllocator(NULL);
}
