/*-------------------------------------------------------------------------
 *
 * test_reader.c
 *	  Malformed, oversized and unsupported models must be rejected cleanly.
 *
 * Every load here goes through the counting allocator: a rejected model
 * must leave no block behind, and its message must say what is wrong.
 * Random and mutated inputs check that nothing crashes (run these under
 * "make check-asan" too).
 *
 * test/nn/test_reader.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/nn.h"
#include "pbwriter.h"
#include "tap.h"
#include "testutil.h"

/* Deterministic xorshift generator for the fuzz loops */
static uint64_t rngState = 88172645463325252ULL;

uint64_t
TestRand(void)
{
	rngState ^= rngState << 13;
	rngState ^= rngState >> 7;
	rngState ^= rngState << 17;
	return rngState;
}

/* Weights of the tiny model */
const float tinyW[3 * 2 * 3 * 3] = {
	0.1f, -0.2f, 0.3f, 0.0f, 0.5f, -0.1f, 0.2f, 0.2f, -0.3f,
	-0.4f, 0.1f, 0.0f, 0.3f, -0.2f, 0.1f, 0.0f, 0.4f, 0.1f,
	0.2f, 0.0f, -0.1f, 0.1f, 0.1f, 0.1f, -0.2f, 0.3f, 0.0f,
	0.0f, 0.2f, 0.2f, -0.3f, 0.1f, 0.4f, 0.1f, -0.1f, 0.2f,
	0.3f, 0.3f, 0.0f, 0.1f, -0.5f, 0.2f, 0.0f, 0.1f, 0.1f,
	-0.1f, 0.0f, 0.2f, 0.2f, 0.1f, -0.2f, 0.3f, 0.0f, 0.1f
};
const float tinyB[3] = {0.05f, -0.1f, 0.2f};

/*
 * x[1,2,5,6] -> Conv(3x3, pads 1, tinyW, tinyB) -> Relu -> y[1,3,5,6].
 * inDims NULL means the shape above.
 */
Pb *
TinyModel(const int64_t *inDims)
{
	static const int64_t xdims[4] = {1, 2, 5, 6};
	static const int64_t ydims[4] = {1, 3, 5, 6};
	static const int64_t wdims[4] = {3, 2, 3, 3};
	static const int64_t bdims[1] = {3};
	static const int64_t pads[4] = {1, 1, 1, 1};
	Pb		   *attrs[] = {OnnxAttrInts("pads", 4, pads), NULL};
	Pb		   *nodes[] = {
		OnnxNode("Conv", "conv", "x,w,b", "c", attrs),
		OnnxNode("Relu", "relu", "c", "y", NULL), NULL
	};
	Pb		   *inits[] = {
		OnnxTensorF("w", 4, wdims, tinyW), OnnxTensorF("b", 1, bdims, tinyB),
		NULL
	};
	Pb		   *ins[] = {OnnxValueInfo("x", ONNX_T_FLOAT, 4, inDims ? inDims : xdims), NULL};
	/* with a given input shape, the output shape is left unknown */
	Pb		   *outs[] = {
		OnnxValueInfo("y", ONNX_T_FLOAT, inDims ? -1 : 4, inDims ? NULL : ydims),
		NULL
	};

	return OnnxModel(8, 13, OnnxGraph(nodes, inits, ins, outs));
}

/* Load bytes expecting failure with status want and substr in the message */
static void
ExpectBytes(const char *what, const void *data, size_t len, BxStatus want,
			const char *substr)
{
	char		err[BX_ERRBUF_SIZE];
	NnModel		m = NULL;
	BxStatus	st;
	bool		good;

	CountingStart(0);
	st = NnModelLoad(data, len, NULL, &m, err, sizeof(err));
	good = st == want && m == NULL && strstr(err, substr) != NULL &&
		CountingLive() == 0;
	if (!good)
		TapDiag("got %s \"%s\" (live %ld), want %s with \"%s\"", BxStatusName(st),
				err, CountingLive(), BxStatusName(want), substr);
	TapOk(good, "%s: %s", what, BxStatusName(want));
	NnModelFree(m);
}

static void
Expect(const char *what, const Pb *model, BxStatus want, const char *substr)
{
	ExpectBytes(what, model->buf, model->len, want, substr);
}

static void
TestWireFormat(void)
{
	Pb		   *pb;
	Pb		   *tiny = TinyModel(NULL);
	static const uint8_t overlong[] = {
		0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01
	};
	static const uint8_t tenth[] = {
		0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02
	};
	static const uint8_t badLen[] = {0x3a, 0xe8, 0x07, 0x01, 0x02};
	static const uint8_t group[] = {0x08, 0x08, 0x3b, 0x3c};
	static const uint8_t field0[] = {0x00, 0x01};
	static const uint8_t badKey[] = {0x08, 0x08, 0x80};

	ExpectBytes("empty input", "", 0, BX_EFORMAT, "empty input");
	ExpectBytes("varint longer than 10 bytes", overlong, sizeof(overlong),
				BX_EFORMAT, "bad or truncated varint");
	ExpectBytes("varint above 64 bits", tenth, sizeof(tenth), BX_EFORMAT,
				"bad or truncated varint");
	ExpectBytes("length beyond the buffer", badLen, sizeof(badLen),
				BX_EFORMAT, "exceeds the");
	ExpectBytes("protobuf group", group, sizeof(group), BX_EFORMAT,
				"unsupported wire type 3");
	ExpectBytes("field number 0", field0, sizeof(field0), BX_EFORMAT,
				"invalid field number");
	ExpectBytes("truncated key", badKey, sizeof(badKey), BX_EFORMAT,
				"truncated field key");
	ExpectBytes("text instead of protobuf", "hello, world\n", 13, BX_EFORMAT,
				"malformed model");

	/* ModelProto-level structure */
	pb = PbNew();
	PbInt(pb, 1, 8);
	Expect("no graph, no opset", pb, BX_EFORMAT, "no opset import");
	pb = PbNew();
	PbRaw(pb, tiny->buf, tiny->len);
	PbInt(pb, 1, 8);
	Expect("ir_version twice", pb, BX_EFORMAT, "'ir_version' appears twice");
	pb = PbNew();
	PbRaw(pb, tiny->buf, tiny->len);
	PbBytes(pb, 7, "", 0);
	Expect("graph twice", pb, BX_EFORMAT, "'graph' appears twice");
	pb = PbNew();
	PbInt(pb, 7, 5);
	Expect("graph with wrong wire type", pb, BX_EFORMAT, "wire type 0");
	{
		Pb		   *g = PbNew();
		Pb		   *m;

		PbStr(g, 2, "empty");
		m = OnnxModel(99, 13, g);
		Expect("IR version 99", m, BX_EUNSUPPORTED, "IR version 99");
		m = OnnxModel(8, 99, g);
		Expect("opset 99", m, BX_EUNSUPPORTED, "opset version 99");
		m = OnnxModel(8, 13, g);
		Expect("graph without outputs", m, BX_EFORMAT, "no outputs");
	}
	pb = PbNew();
	{
		Pb		   *os = PbNew();

		PbStr(os, 1, "");
		PbInt(os, 2, 13);
		PbMsg(pb, 8, os);
	}
	Expect("no ir_version", pb, BX_EFORMAT, "no ir_version");
}

static void
TestLimits(void)
{
	static const int64_t huge[1] = {(int64_t) 1 << 40};
	static const int64_t above[1] = {((int64_t) 1 << 24) + 1};
	static const int64_t cube[3] = {1 << 24, 1 << 24, 1 << 24};
	static const int64_t nine[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
	static const int64_t xd[4] = {1, 1, 4, 4};
	float		one = 1.0f;
	Pb		   *t;
	Pb		   *m;
	char	   *longName;

	/* tensors with absurd dims but tiny data: rejected before allocating */
	t = PbNew();
	PbInt(t, 1, huge[0]);
	PbInt(t, 2, 1);
	PbStr(t, 8, "w");
	PbBytes(t, 9, &one, 4);
	{
		Pb		   *inits[] = {t, NULL};

		m = OnnxOneNodeModel("Relu", "x", NULL, inits, 4, xd, 13);
		Expect("dimension 2^40", m, BX_ELIMIT, "a dimension is negative or above");
	}
	t = PbNew();
	PbInt(t, 1, above[0]);
	PbInt(t, 2, 1);
	PbStr(t, 8, "w");
	{
		Pb		   *inits[] = {t, NULL};

		m = OnnxOneNodeModel("Relu", "x", NULL, inits, 4, xd, 13);
		Expect("dimension 2^24+1", m, BX_ELIMIT, "above 16777216");
	}
	t = PbNew();
	PbInt(t, 1, cube[0]);
	PbInt(t, 1, cube[1]);
	PbInt(t, 1, cube[2]);
	PbInt(t, 2, 1);
	PbStr(t, 8, "w");
	{
		Pb		   *inits[] = {t, NULL};

		m = OnnxOneNodeModel("Relu", "x", NULL, inits, 4, xd, 13);
		Expect("2^72 elements", m, BX_ELIMIT, "elements");
	}
	{
		Pb		   *inits[] = {OnnxTensorF("w", 9, nine, &one), NULL};

		m = OnnxOneNodeModel("Relu", "x", NULL, inits, 4, xd, 13);
		Expect("rank 9 tensor", m, BX_ELIMIT, "9 dimensions");
	}
	{
		static const int64_t big[4] = {1, 1, 1 << 24, 1 << 24};

		m = OnnxOneNodeModel("Relu", "x", NULL, NULL, 4, big, 13);
		Expect("input of 2^48 elements", m, BX_ELIMIT, "exceeds the size limits");
	}
	{
		static const int64_t nineIn[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};

		m = OnnxOneNodeModel("Relu", "x", NULL, NULL, 9, nineIn, 13);
		Expect("input of rank 9", m, BX_ELIMIT, "more than 8 dimensions");
	}
	/* raw_data and dims disagree */
	t = PbNew();
	PbInt(t, 1, 4);
	PbInt(t, 2, 1);
	PbStr(t, 8, "w");
	PbBytes(t, 9, &one, 4);
	{
		Pb		   *inits[] = {t, NULL};

		m = OnnxOneNodeModel("Relu", "x", NULL, inits, 4, xd, 13);
		Expect("raw_data too short", m, BX_EFORMAT, "raw_data has 4 bytes, its dims need 16");
	}
	/* float_data count wrong */
	t = PbNew();
	PbInt(t, 1, 2);
	PbInt(t, 2, 1);
	PbStr(t, 8, "w");
	PbFloat(t, 4, 1.0f);
	{
		Pb		   *inits[] = {t, NULL};

		m = OnnxOneNodeModel("Relu", "x", NULL, inits, 4, xd, 13);
		Expect("float_data count", m, BX_EFORMAT, "has 1 values, its dims need 2");
	}

	/* constant folding output above the 256 MiB budget, from 64 KiB */
	{
		static const int64_t col[2] = {8192, 1};
		static const int64_t row[2] = {1, 8192};
		float	   *v = calloc(8192, sizeof(float));
		Pb		   *inits[3];
		Pb		   *nodes[3];
		Pb		   *ins[2];
		Pb		   *outs[2];

		inits[0] = OnnxTensorF("a", 2, col, v);
		inits[1] = OnnxTensorF("b", 2, row, v);
		inits[2] = NULL;
		nodes[0] = OnnxNode("Mul", "big", "a,b", "k", NULL);
		nodes[1] = OnnxNode("Add", "add", "x,k", "y", NULL);
		nodes[2] = NULL;
		ins[0] = OnnxValueInfo("x", ONNX_T_FLOAT, 2, row);
		ins[1] = NULL;
		outs[0] = OnnxValueInfo("y", ONNX_T_FLOAT, -1, NULL);
		outs[1] = NULL;
		m = OnnxModel(8, 13, OnnxGraph(nodes, inits, ins, outs));
		Expect("folded constant of 256 MiB", m, BX_ELIMIT, "limit of 256 MiB");
		free(v);
	}
	/* run-time buffers above the default 1 GiB: refused before allocating */
	{
		static const int64_t big[4] = {1, 1, 16384, 16384};
		Pb		   *nodes[] = {
			OnnxNode("Relu", "r1", "x", "h", NULL),
			OnnxNode("Relu", "r2", "h", "y", NULL), NULL
		};
		Pb		   *ins[] = {OnnxValueInfo("x", ONNX_T_FLOAT, 4, big), NULL};
		Pb		   *outs[] = {OnnxValueInfo("y", ONNX_T_FLOAT, -1, NULL), NULL};

		m = OnnxModel(8, 13, OnnxGraph(nodes, NULL, ins, outs));
		Expect("2 GiB of activations", m, BX_ELIMIT, "run-time buffers");
	}
	/* a cheap file describing an enormous amount of work */
	{
		static const int64_t big[4] = {1, 64, 2048, 2048};
		static const int64_t wd[4] = {64, 64, 3, 3};
		float	   *w = calloc(64 * 64 * 9, sizeof(float));
		Pb		   *inits[2];

		inits[0] = OnnxTensorF("w", 4, wd, w);
		inits[1] = NULL;
		m = OnnxOneNodeModel("Conv", "x,w", NULL, inits, 4, big, 13);
		Expect("a Conv of 1.5e11 multiply-adds", m, BX_ELIMIT, "operations per run");
		free(w);
	}
	/* too many nodes */
	{
		int			n = 10001;
		Pb		  **nodes = calloc((size_t) n + 1, sizeof(Pb *));
		Pb		   *ins[] = {OnnxValueInfo("x", ONNX_T_FLOAT, 4, xd), NULL};
		Pb		   *outs[] = {OnnxValueInfo("y", ONNX_T_FLOAT, -1, NULL), NULL};
		Pb		   *relu = OnnxNode("Relu", NULL, "x", "y", NULL);
		int			i;

		for (i = 0; i < n; i++)
			nodes[i] = relu;
		m = OnnxModel(8, 13, OnnxGraph(nodes, NULL, ins, outs));
		Expect("10001 nodes", m, BX_ELIMIT, "10001 nodes");
		free(nodes);
	}
	/* a 5000-byte name */
	longName = malloc(5001);
	memset(longName, 'a', 5000);
	longName[5000] = '\0';
	{
		Pb		   *nodes[] = {OnnxNode("Relu", longName, "x", "y", NULL), NULL};
		Pb		   *ins[] = {OnnxValueInfo("x", ONNX_T_FLOAT, 4, xd), NULL};
		Pb		   *outs[] = {OnnxValueInfo("y", ONNX_T_FLOAT, -1, NULL), NULL};

		m = OnnxModel(8, 13, OnnxGraph(nodes, NULL, ins, outs));
		Expect("5000-byte node name", m, BX_ELIMIT, "5000 bytes long");
	}
	free(longName);
	/* an INTS attribute of 70000 values */
	{
		int64_t    *vals = calloc(70000, sizeof(int64_t));
		Pb		   *attrs[2];

		attrs[0] = OnnxAttrInts("perm", 70000, vals);
		attrs[1] = NULL;
		m = OnnxOneNodeModel("Transpose", "x", attrs, NULL, 4, xd, 13);
		Expect("70000 attribute values", m, BX_ELIMIT, "more than 65536 values");
		free(vals);
	}
}

static void
TestUnsupported(void)
{
	static const int64_t xd[4] = {1, 2, 6, 6};
	static const int64_t wd[4] = {2, 2, 3, 3};
	float		w[36] = {0};
	Pb		   *m;

	{
		m = OnnxOneNodeModel("FooBar", "x", NULL, NULL, 4, xd, 13);
		Expect("unknown operator", m, BX_EUNSUPPORTED, "operator 'FooBar' is not supported");
	}
	{
		Pb		   *attrs[] = {OnnxAttrString("auto_pad", "SAME_UPPER"), NULL};
		Pb		   *inits[] = {OnnxTensorF("w", 4, wd, w), NULL};

		m = OnnxOneNodeModel("Conv", "x,w", attrs, inits, 4, xd, 13);
		Expect("Conv auto_pad SAME_UPPER", m, BX_EUNSUPPORTED, "auto_pad 'SAME_UPPER' is not supported");
	}
	{
		static const int64_t sd[1] = {4};
		static const float sc[4] = {1, 1, 2, 2};
		Pb		   *attrs[] = {OnnxAttrString("mode", "linear"), NULL};
		Pb		   *inits[] = {OnnxTensorF("s", 1, sd, sc), NULL};

		m = OnnxOneNodeModel("Resize", "x,,s", attrs, inits, 4, xd, 13);
		Expect("Resize mode linear", m, BX_EUNSUPPORTED, "mode 'linear' is not supported");
	}
	{
		static const int64_t sd[1] = {4};
		static const float sc[4] = {1, 1, 2, 2};
		Pb		   *attrs[] = {OnnxAttrString("mode", "nearest"), NULL};
		Pb		   *inits[] = {OnnxTensorF("s", 1, sd, sc), NULL};

		m = OnnxOneNodeModel("Resize", "x,,s", attrs, inits, 4, xd, 10);
		Expect("Resize-10", m, BX_EUNSUPPORTED, "Resize before opset 11");
	}
	{
		/* If with a GRAPH attribute */
		Pb		   *a = PbNew();
		Pb		   *attrs[2];

		PbStr(a, 1, "then_branch");
		PbInt(a, 20, 5);
		PbBytes(a, 6, "", 0);
		attrs[0] = a;
		attrs[1] = NULL;
		m = OnnxOneNodeModel("If", "x", attrs, NULL, 4, xd, 13);
		Expect("GRAPH attribute", m, BX_EUNSUPPORTED, "has type GRAPH, which is not supported");
	}
	{
		Pb		   *t = PbNew();
		Pb		   *inits[2];

		PbInt(t, 1, 1);
		PbInt(t, 2, ONNX_T_INT32);
		PbStr(t, 8, "k");
		PbInt(t, 5, 7);
		inits[0] = t;
		inits[1] = NULL;
		m = OnnxOneNodeModel("Relu", "x", NULL, inits, 4, xd, 13);
		Expect("INT32 initializer", m, BX_EUNSUPPORTED, "not supported (only FLOAT and INT64");
	}
	{
		Pb		   *t = PbNew();
		Pb		   *inits[2];

		PbInt(t, 1, 2);
		PbInt(t, 2, ONNX_T_INT32);
		PbStr(t, 8, "k");
		PbBytes(t, 9, "\1\0\0\0\2\0\0\0", 8);
		inits[0] = t;
		inits[1] = NULL;
		m = OnnxOneNodeModel("Relu", "x", NULL, inits, 4, xd, 13);
		Expect("INT32 raw initializer", m, BX_EUNSUPPORTED, "data type INT32");
	}
	{
		Pb		   *t = PbNew();
		Pb		   *inits[2];
		Pb		   *entry = PbNew();

		PbStr(entry, 1, "location");
		PbStr(entry, 2, "weights.bin");
		PbInt(t, 1, 1);
		PbInt(t, 2, 1);
		PbStr(t, 8, "w");
		PbMsg(t, 13, entry);
		PbInt(t, 14, 1);
		inits[0] = t;
		inits[1] = NULL;
		m = OnnxOneNodeModel("Relu", "x", NULL, inits, 4, xd, 13);
		Expect("external data", m, BX_EUNSUPPORTED, "external tensor data");
	}
	{
		Pb		   *g = PbNew();
		Pb		   *sparse = PbNew();

		PbMsg(g, 15, sparse);
		m = OnnxModel(8, 13, g);
		Expect("sparse initializer", m, BX_EUNSUPPORTED, "sparse initializers");
	}
	{
		static const int64_t sym[4] = {1, 2, -1, 6};

		m = OnnxOneNodeModel("Relu", "x", NULL, NULL, 4, sym, 13);
		Expect("symbolic height", m, BX_EUNSUPPORTED, "dimension 2 is symbolic ('d2')");
	}
	{
		m = OnnxOneNodeModel("Relu", "x", NULL, NULL, -1, NULL, 13);
		Expect("input without shape", m, BX_EUNSUPPORTED, "has no shape");
	}
	{
		Pb		   *nodes[] = {OnnxNode("Relu", "n", "x", "y", NULL), NULL};
		Pb		   *ins[] = {OnnxValueInfo("x", ONNX_T_INT64, 4, xd), NULL};
		Pb		   *outs[] = {OnnxValueInfo("y", ONNX_T_FLOAT, -1, NULL), NULL};

		m = OnnxModel(8, 13, OnnxGraph(nodes, NULL, ins, outs));
		Expect("INT64 graph input", m, BX_EUNSUPPORTED, "graph input 'x' has type INT64");
	}
	{
		/* a sequence-typed input: TypeProto field 4 */
		Pb		   *vi = PbNew();
		Pb		   *type = PbNew();
		Pb		   *seq = PbNew();
		Pb		   *nodes[] = {OnnxNode("Relu", "n", "x", "y", NULL), NULL};
		Pb		   *ins[2];
		Pb		   *outs[] = {OnnxValueInfo("y", ONNX_T_FLOAT, -1, NULL), NULL};

		PbMsg(type, 4, seq);
		PbStr(vi, 1, "x");
		PbMsg(vi, 2, type);
		ins[0] = vi;
		ins[1] = NULL;
		m = OnnxModel(8, 13, OnnxGraph(nodes, NULL, ins, outs));
		Expect("sequence input", m, BX_EUNSUPPORTED, "is not a tensor");
	}
	{
		/* Reshape whose shape is computed at run time */
		Pb		   *nodes[] = {
			OnnxNode("Relu", "r", "x", "h", NULL),
			OnnxNode("Reshape", "reshape", "x,h", "y", NULL), NULL
		};
		Pb		   *ins[] = {OnnxValueInfo("x", ONNX_T_FLOAT, 4, xd), NULL};
		Pb		   *outs[] = {OnnxValueInfo("y", ONNX_T_FLOAT, -1, NULL), NULL};

		m = OnnxModel(8, 13, OnnxGraph(nodes, NULL, ins, outs));
		Expect("dynamic Reshape shape", m, BX_EUNSUPPORTED, "dynamic shapes are not supported");
	}
	{
		Pb		   *nodes[] = {OnnxNode("Foo\nBar", "bad\001name", "x", "y", NULL), NULL};
		Pb		   *ins[] = {OnnxValueInfo("x", ONNX_T_FLOAT, 4, xd), NULL};
		Pb		   *outs[] = {OnnxValueInfo("y", ONNX_T_FLOAT, -1, NULL), NULL};

		m = OnnxModel(8, 13, OnnxGraph(nodes, NULL, ins, outs));
		Expect("control characters in names", m, BX_EUNSUPPORTED,
			   "operator 'Foo?Bar' is not supported (node 'bad?name' (Foo?Bar))");
	}
	{
		Pb		   *n = PbNew();
		Pb		   *nodes[2];
		Pb		   *ins[] = {OnnxValueInfo("x", ONNX_T_FLOAT, 4, xd), NULL};
		Pb		   *outs[] = {OnnxValueInfo("y", ONNX_T_FLOAT, -1, NULL), NULL};

		PbStr(n, 1, "x");
		PbBytes(n, 2, "y\0z", 3);
		PbStr(n, 4, "Relu");
		nodes[0] = n;
		nodes[1] = NULL;
		m = OnnxModel(8, 13, OnnxGraph(nodes, NULL, ins, outs));
		Expect("NUL inside a name", m, BX_EFORMAT, "contains NUL");
	}
	{
		Pb		   *attrs[] = {OnnxAttrInt("group", 1), OnnxAttrInt("group", 1), NULL};
		Pb		   *inits[] = {OnnxTensorF("w", 4, wd, w), NULL};

		m = OnnxOneNodeModel("Conv", "x,w", attrs, inits, 4, xd, 13);
		Expect("attribute twice", m, BX_EFORMAT, "attribute 'group' twice");
	}
	{
		Pb		   *attrs[] = {OnnxAttrFloat("group", 1.0f), NULL};
		Pb		   *inits[] = {OnnxTensorF("w", 4, wd, w), NULL};

		m = OnnxOneNodeModel("Conv", "x,w", attrs, inits, 4, xd, 13);
		Expect("attribute of the wrong type", m, BX_EFORMAT, "'group' must have type INT");
	}
	{
		Pb		   *a = PbNew();
		Pb		   *attrs[2];
		Pb		   *inits[] = {OnnxTensorF("w", 4, wd, w), NULL};

		/* declared INT but carrying a float */
		PbStr(a, 1, "group");
		PbInt(a, 20, 2);
		PbFloat(a, 2, 1.0f);
		attrs[0] = a;
		attrs[1] = NULL;
		m = OnnxOneNodeModel("Conv", "x,w", attrs, inits, 4, xd, 13);
		Expect("attribute type contradiction", m, BX_EFORMAT, "declares type INT but holds other values");
	}
	{
		static const int64_t bad[4] = {3, 2, 3, 3};
		Pb		   *attrs[] = {OnnxAttrInt("group", 2), NULL};
		float		w54[54] = {0};
		Pb		   *inits[] = {OnnxTensorF("w", 4, bad, w54), NULL};

		m = OnnxOneNodeModel("Conv", "x,w", attrs, inits, 4, xd, 13);
		Expect("group not dividing channels", m, BX_EFORMAT, "group 2 does not divide");
	}
	{
		static const int64_t empty[1] = {0};
		Pb		   *inits[] = {OnnxTensorF("e", 1, empty, w), NULL};

		m = OnnxOneNodeModel("Add", "x,e", NULL, inits, 4, xd, 13);
		Expect("empty tensor operand", m, BX_EUNSUPPORTED, "input 'e' is an empty tensor");
	}
	{
		static const int64_t big[4] = {2, 2, 9, 9};
		float		w324[324] = {0};
		Pb		   *inits[] = {OnnxTensorF("w", 4, big, w324), NULL};

		m = OnnxOneNodeModel("Conv", "x,w", NULL, inits, 4, xd, 13);
		Expect("kernel larger than input", m, BX_EFORMAT, "larger than the padded input");
	}
}

/* Every strict prefix of a valid model must be rejected */
static void
TestTruncation(void)
{
	Pb		   *tiny = TinyModel(NULL);
	char		err[BX_ERRBUF_SIZE];
	NnModel		m = NULL;
	size_t		len;
	int			bad = 0;
	BxStatus	st;

	CountingStart(0);
	st = NnModelLoad(tiny->buf, tiny->len, NULL, &m, err, sizeof(err));
	TapOk(st == BX_OK, "tiny model loads (%s %s)", BxStatusName(st), err);
	NnModelFree(m);
	for (len = 0; len < tiny->len; len++)
	{
		m = NULL;
		err[0] = '\0';
		st = NnModelLoad(tiny->buf, len, NULL, &m, err, sizeof(err));
		if (st == BX_OK || m != NULL || err[0] == '\0' || CountingLive() != 0)
		{
			if (bad++ < 3)
				TapDiag("prefix of %zu bytes: %s \"%s\"", len, BxStatusName(st), err);
			NnModelFree(m);
		}
	}
	TapOk(bad == 0, "all %zu strict prefixes of the tiny model are rejected", tiny->len);
}

/*
 * Random bytes, then random mutations of the tiny model: nothing may crash
 * or leak; failures carry a message; models that still load must run.
 */
static void
TestFuzz(void)
{
	Pb		   *tiny = TinyModel(NULL);
	uint8_t    *buf = malloc(tiny->len + 64);
	char		err[BX_ERRBUF_SIZE];
	float		x[60] = {0};
	const float *in[1] = {x};
	int			i;
	int			bad = 0;
	int			loaded = 0;
	NnLoadOptions opts;

	memset(&opts, 0, sizeof(opts));
	opts.maxRunBytes = (size_t) 64 << 20;
	for (i = 0; i < 3000; i++)
	{
		size_t		len = TestRand() % 200;
		size_t		j;
		NnModel		m = NULL;
		BxStatus	st;

		for (j = 0; j < len; j++)
			buf[j] = (uint8_t) TestRand();
		/* often start like a model, to get past the first field */
		if (i % 2 == 0 && len > 2)
		{
			buf[0] = 0x08;
			buf[1] = 0x08;
		}
		CountingStart(0);
		err[0] = '\0';
		st = NnModelLoad(buf, len, &opts, &m, err, sizeof(err));
		if (st == BX_OK || err[0] == '\0')
			bad++;
		NnModelFree(m);
		if (CountingLive() != 0)
			bad++;
	}
	TapOk(bad == 0, "3000 random byte strings are rejected with a message, no leaks");

	bad = 0;
	for (i = 0; i < 20000; i++)
	{
		size_t		len = tiny->len;
		int			k;
		int			edits = 1 + (int) (TestRand() % 4);
		NnModel		m = NULL;
		BxStatus	st;

		memcpy(buf, tiny->buf, len);
		for (k = 0; k < edits; k++)
		{
			size_t		pos = TestRand() % len;

			switch (TestRand() % 4)
			{
				case 0:			/* flip bits */
					buf[pos] ^= (uint8_t) (1 + TestRand() % 255);
					break;
				case 1:			/* interesting byte values */
					{
						static const uint8_t v[] = {0x00, 0x01, 0x7f, 0x80, 0xff, 0x08, 0x12};

						buf[pos] = v[TestRand() % sizeof(v)];
					}
					break;
				case 2:			/* delete a byte */
					memmove(buf + pos, buf + pos + 1, len - pos - 1);
					len--;
					break;
				default:		/* duplicate a byte */
					if (len < tiny->len + 60)
					{
						memmove(buf + pos + 1, buf + pos, len - pos);
						len++;
					}
					break;
			}
		}
		CountingStart(0);
		err[0] = '\0';
		st = NnModelLoad(buf, len, &opts, &m, err, sizeof(err));
		if (st == BX_OK)
		{
			NnTensorInfo info;

			loaded++;
			if (NnModelNumInputs(m) == 1 && NnModelGetInput(m, 0, &info) == BX_OK &&
				info.count <= 60)
			{
				const float *out[16];

				if (NnModelNumOutputs(m) <= 16 &&
					NnModelRun(m, in, out, NULL, NULL, err, sizeof(err)) != BX_OK)
					bad++;
			}
		}
		else if (err[0] == '\0' || m != NULL)
			bad++;
		NnModelFree(m);
		if (CountingLive() != 0)
			bad++;
	}
	TapDiag("%d of 20000 mutants still loaded", loaded);
	TapOk(bad == 0, "20000 mutants of the tiny model: no crash, no leak, errors explained");
	free(buf);
}

void
TestReader(void)
{
	NnSetAllocator(CountingAllocator());
	TestWireFormat();
	TestLimits();
	TestUnsupported();
	TestTruncation();
	TestFuzz();
	NnSetAllocator(NULL);
	PbFreeAll();
}
