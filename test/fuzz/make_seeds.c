/*-------------------------------------------------------------------------
 *
 * make_seeds.c
 *	  Write the seed corpora of the fuzz harnesses: small valid inputs of
 *	  every kind each parser accepts, so that the fuzzer starts deep in the
 *	  code instead of rediscovering magic numbers.
 *
 *	  usage: make_seeds image|onnx|embedding OUTDIR
 *
 * Everything is generated here with the same writers the unit tests use
 * (test/common/imgutil.c: libjpeg and libpng; test/common/pbwriter.c: ONNX
 * protobuf), so no binary file is stored in the repository.  The ONNX
 * seeds are checked to load; the Makefile adds the operator conformance
 * models of test/nn/gen_op_cases.py when python3-onnx is installed.
 *
 * test/fuzz/make_seeds.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>

#include "image/bx_image.h"
#include "embedding_parse.h"
#include "imgutil.h"
#include "nn/nn.h"
#include "pbwriter.h"

static const char *outDir;
static int	nwritten;
static int	nfailed;

static void
WriteSeed(const char *name, const void *data, size_t len)
{
	char		path[4096];
	FILE	   *f;

	snprintf(path, sizeof(path), "%s/%s", outDir, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0)
	{
		fprintf(stderr, "make_seeds: cannot write %s\n", path);
		exit(1);
	}
	nwritten++;
}

static void
TextSeed(const char *name, const char *text)
{
	WriteSeed(name, text, strlen(text));
}

/* A smooth test pattern, so that JPEG and PNG encode it compactly */
static uint8_t *
Pattern(int width, int height, int channels)
{
	uint8_t    *px = malloc((size_t) width * height * channels);

	for (int y = 0; y < height; y++)
		for (int x = 0; x < width; x++)
			for (int c = 0; c < channels; c++)
				px[((size_t) y * width + x) * channels + c] =
					(uint8_t) (x * 255 / width + c * 60 + (y * 3) % 40);
	return px;
}

static void
Jpeg(const char *name, int width, int height, int components,
	 bool progressive, bool ycck, int quality, const uint8_t *app1,
	 size_t app1Len)
{
	JpegSpec	s;
	uint8_t    *px = Pattern(width, height, components);
	uint8_t    *jpeg;
	size_t		len;

	memset(&s, 0, sizeof(s));
	s.width = width;
	s.height = height;
	s.components = components;
	s.progressive = progressive;
	s.ycck = ycck;
	s.quality = quality;
	s.app1 = app1;
	s.app1Len = app1Len;
	jpeg = WriteJpeg(&s, px, &len);
	WriteSeed(name, jpeg, len);
	free(jpeg);
	free(px);
}

static void
Png(const char *name, int width, int height, int colorType, int depth,
	bool interlace, const uint8_t *palette, int paletteLen,
	const uint8_t *trans, int transLen, size_t ztxt)
{
	PngSpec		s;
	int			channels;
	size_t		rowBytes;
	uint8_t    *rows;
	uint8_t    *png;
	size_t		len;

	switch (colorType)
	{
		case PNG_COLOR_TYPE_RGB:
			channels = 3;
			break;
		case PNG_COLOR_TYPE_RGB_ALPHA:
			channels = 4;
			break;
		case PNG_COLOR_TYPE_GRAY_ALPHA:
			channels = 2;
			break;
		default:
			channels = 1;
			break;
	}
	rowBytes = ((size_t) width * channels * depth + 7) / 8;
	rows = malloc(rowBytes * height);
	for (size_t i = 0; i < rowBytes * height; i++)
		rows[i] = (uint8_t) (i * 37 + i / rowBytes);
	/* palette indices must stay below the palette length */
	if (colorType == PNG_COLOR_TYPE_PALETTE)
		memset(rows, 0x1b, rowBytes * height);
	memset(&s, 0, sizeof(s));
	s.width = width;
	s.height = height;
	s.colorType = colorType;
	s.bitDepth = depth;
	s.interlace = interlace;
	s.palette = palette;
	s.paletteLen = paletteLen;
	s.trans = trans;
	s.transLen = transLen;
	s.ztxtBytes = ztxt;
	png = WritePng(&s, rows, rowBytes, &len);
	WriteSeed(name, png, len);
	free(png);
	free(rows);
}

/* Binary PGM/PPM: header text, then maxval-sized samples */
static void
Pnm(const char *name, const char *header, int samples, int maxval)
{
	size_t		hlen = strlen(header);
	int			bps = maxval > 255 ? 2 : 1;
	uint8_t    *buf = malloc(hlen + (size_t) samples * bps);

	memcpy(buf, header, hlen);
	for (int i = 0; i < samples; i++)
	{
		int			v = (i * 7919) % (maxval + 1);

		if (bps == 2)
		{
			buf[hlen + 2 * i] = (uint8_t) (v >> 8);
			buf[hlen + 2 * i + 1] = (uint8_t) v;
		}
		else
			buf[hlen + i] = (uint8_t) v;
	}
	WriteSeed(name, buf, hlen + (size_t) samples * bps);
	free(buf);
}

static void
ImageSeeds(void)
{
	static const uint8_t palette[12] = {0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255};
	static const uint8_t trans[2] = {0, 128};
	uint8_t		exif[32];
	size_t		exifLen;
	JpegSpec	s;
	uint8_t    *px;
	uint8_t    *jpeg;
	uint8_t    *many;
	size_t		len,
				manyLen;

	/* JPEG: baseline, progressive, grey, CMYK, YCCK, odd sizes, Exif */
	Jpeg("jpeg_rgb_16x16.jpg", 16, 16, 3, false, false, 75, NULL, 0);
	Jpeg("jpeg_rgb_23x9.jpg", 23, 9, 3, false, false, 50, NULL, 0);
	Jpeg("jpeg_grey_16x8.jpg", 16, 8, 1, false, false, 75, NULL, 0);
	Jpeg("jpeg_prog_rgb_24x24.jpg", 24, 24, 3, true, false, 60, NULL, 0);
	Jpeg("jpeg_prog_grey_17x17.jpg", 17, 17, 1, true, false, 60, NULL, 0);
	Jpeg("jpeg_cmyk_8x8.jpg", 8, 8, 4, false, false, 50, NULL, 0);
	Jpeg("jpeg_ycck_8x8.jpg", 8, 8, 4, false, true, 50, NULL, 0);
	exifLen = MakeExif(exif, sizeof(exif), true, 6);
	Jpeg("jpeg_exif6_be_16x8.jpg", 16, 8, 3, false, false, 50, exif, exifLen);
	exifLen = MakeExif(exif, sizeof(exif), false, 7);
	Jpeg("jpeg_exif7_le_grey_8x16.jpg", 8, 16, 1, false, false, 50, exif,
		 exifLen);
	/* large enough for DCT scaling to pick M/8 < 1 with targetLongSide 64 */
	Jpeg("jpeg_rgb_160x120.jpg", 160, 120, 3, false, false, 20, NULL, 0);

	/* a progressive JPEG whose AC scan repeats past the 100-scan limit */
	memset(&s, 0, sizeof(s));
	s.width = 8;
	s.height = 8;
	s.components = 1;
	s.fullAcScans = true;
	s.quality = 50;
	px = Pattern(8, 8, 1);
	jpeg = WriteJpeg(&s, px, &len);
	WriteSeed("jpeg_two_scans_8x8.jpg", jpeg, len);
	many = RepeatSecondScan(jpeg, len, 110, &manyLen);
	if (many != NULL)
		WriteSeed("jpeg_scans_111.jpg", many, manyLen);
	free(many);
	free(jpeg);
	free(px);

	/* PNG: every colour type and the depths libpng expands or scales */
	Png("png_rgb_8x8.png", 8, 8, PNG_COLOR_TYPE_RGB, 8, false, NULL, 0, NULL, 0, 0);
	Png("png_grey_9x7.png", 9, 7, PNG_COLOR_TYPE_GRAY, 8, false, NULL, 0, NULL, 0, 0);
	Png("png_grey1_13x5.png", 13, 5, PNG_COLOR_TYPE_GRAY, 1, false, NULL, 0, NULL, 0, 0);
	Png("png_grey4_6x6.png", 6, 6, PNG_COLOR_TYPE_GRAY, 4, false, NULL, 0, NULL, 0, 0);
	Png("png_palette2_trns_8x4.png", 8, 4, PNG_COLOR_TYPE_PALETTE, 2, false,
		palette, 4, trans, 2, 0);
	Png("png_rgb16_5x5.png", 5, 5, PNG_COLOR_TYPE_RGB, 16, false, NULL, 0, NULL, 0, 0);
	Png("png_rgba_6x6.png", 6, 6, PNG_COLOR_TYPE_RGB_ALPHA, 8, false, NULL, 0, NULL, 0, 0);
	Png("png_greya_6x6.png", 6, 6, PNG_COLOR_TYPE_GRAY_ALPHA, 8, false, NULL, 0, NULL, 0, 0);
	Png("png_interlaced_rgb_11x9.png", 11, 9, PNG_COLOR_TYPE_RGB, 8, true, NULL, 0, NULL, 0, 0);
	Png("png_ztxt_4x4.png", 4, 4, PNG_COLOR_TYPE_GRAY, 8, false, NULL, 0, NULL, 0, 300);

	/* PGM/PPM: binary and plain, comments, 16-bit and tiny maxvals */
	Pnm("pnm_p5_8x8.pgm", "P5\n8 8\n255\n", 64, 255);
	Pnm("pnm_p6_4x3.ppm", "P6 4 3 255\n", 36, 255);
	Pnm("pnm_p5_16bit_3x3.pgm", "P5\n# sixteen bits\n3 3\n65535\n", 9, 65535);
	Pnm("pnm_p6_maxval3_2x2.ppm", "P6\n2 2\n3\n", 12, 3);
	TextSeed("pnm_p2_3x2.pgm", "P2\n# plain\n3 2\n15\n0 1 2\n3 4 15\n");
	TextSeed("pnm_p3_2x1.ppm", "P3 2 1 255 255 0 0 0 255 128\n");
}

/* Load a generated model to make sure the seed is valid */
static void
OnnxSeed(const char *name, const Pb *model)
{
	char		err[BX_ERRBUF_SIZE];
	NnModel		m = NULL;

	if (NnModelLoad(model->buf, model->len, NULL, &m, err, sizeof(err)) != BX_OK)
	{
		fprintf(stderr, "make_seeds: seed %s does not load: %s\n", name, err);
		nfailed++;
	}
	NnModelFree(m);
	WriteSeed(name, model->buf, model->len);
}

static void
OnnxSeeds(void)
{
	static const int64_t x4[4] = {1, 2, 5, 6};
	static const int64_t x2[2] = {2, 6};
	static const float w[3 * 2 * 3 * 3] = {
		0.1f, -0.2f, 0.3f, 0.05f, 0.5f, -0.1f, 0.2f, 0.0f, -0.3f,
		0.4f, 0.1f, -0.2f, 0.3f, -0.4f, 0.2f, 0.1f, 0.0f, 0.6f,
		-0.5f, 0.2f, 0.1f, 0.0f, 0.3f, 0.2f, -0.1f, 0.4f, 0.1f,
		0.2f, 0.2f, 0.2f, -0.2f, -0.2f, -0.2f, 0.1f, 0.1f, 0.1f,
		0.3f, 0.0f, -0.3f, 0.1f, 0.0f, -0.1f, 0.2f, 0.3f, 0.4f,
		-0.1f, -0.2f, -0.3f, 0.5f, 0.5f, 0.5f, 0.0f, 0.1f, 0.0f
	};
	static const float b[3] = {0.1f, -0.1f, 0.0f};
	static const float gamma[2] = {1.0f, 0.5f};
	static const float beta[2] = {0.0f, 0.1f};
	static const float mean[2] = {0.2f, -0.1f};
	static const float var[2] = {1.0f, 2.0f};
	static const float slope[2] = {0.25f, 0.1f};
	static const float gw[6 * 4] = {
		1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1, 1, 1, 1, -1, 1, -1, 1
	};
	static const float scales[4] = {1, 1, 2, 2};
	static const int64_t wdims[4] = {3, 2, 3, 3};
	static const int64_t one[1] = {1};
	static const int64_t two[1] = {2};
	static const int64_t three[1] = {3};
	static const int64_t four[1] = {4};
	static const int64_t gwdims[2] = {6, 4};
	static const int64_t shape[2] = {1, -1};
	static const int64_t pads[4] = {1, 1, 1, 1};
	static const int64_t k2[2] = {2, 2};
	static const int64_t perm[4] = {0, 2, 3, 1};

	{
		Pb		   *attrs[] = {OnnxAttrInts("pads", 4, pads), NULL};
		Pb		   *nodes[] = {
			OnnxNode("Conv", "conv", "x,w,b", "c", attrs),
			OnnxNode("Relu", "relu", "c", "y", NULL), NULL
		};
		Pb		   *inits[] = {
			OnnxTensorF("w", 4, wdims, w), OnnxTensorF("b", 1, three, b), NULL
		};
		Pb		   *ins[] = {OnnxValueInfo("x", ONNX_T_FLOAT, 4, x4), NULL};
		Pb		   *outs[] = {OnnxValueInfo("y", ONNX_T_FLOAT, -1, NULL), NULL};

		OnnxSeed("conv_relu.onnx",
				 OnnxModel(8, 13, OnnxGraph(nodes, inits, ins, outs)));
	}
	{
		Pb		   *inits[] = {
			OnnxTensorF("g", 1, two, gamma), OnnxTensorF("bb", 1, two, beta),
			OnnxTensorF("m", 1, two, mean), OnnxTensorF("v", 1, two, var), NULL
		};

		OnnxSeed("batchnorm.onnx",
				 OnnxOneNodeModel("BatchNormalization", "x,g,bb,m,v", NULL, inits, 4, x4, 13));
	}
	{
		Pb		   *attrs[] = {OnnxAttrInts("kernel_shape", 2, k2),
		OnnxAttrInts("strides", 2, k2), NULL};

		OnnxSeed("maxpool.onnx", OnnxOneNodeModel("MaxPool", "x", attrs, NULL, 4, x4, 13));
	}
	OnnxSeed("gap.onnx", OnnxOneNodeModel("GlobalAveragePool", "x", NULL, NULL, 4, x4, 13));
	OnnxSeed("sigmoid.onnx", OnnxOneNodeModel("Sigmoid", "x", NULL, NULL, 4, x4, 13));
	{
		Pb		   *inits[] = {OnnxTensorF("s", 3, (const int64_t[]) {2, 1, 1}, slope), NULL};

		OnnxSeed("prelu.onnx", OnnxOneNodeModel("PRelu", "x,s", NULL, inits, 4, x4, 13));
	}
	{
		Pb		   *attrs[] = {OnnxAttrInts("perm", 4, perm), NULL};

		OnnxSeed("transpose.onnx", OnnxOneNodeModel("Transpose", "x", attrs, NULL, 4, x4, 13));
	}
	{
		Pb		   *attrs[] = {OnnxAttrInt("axis", 1), NULL};

		OnnxSeed("flatten.onnx", OnnxOneNodeModel("Flatten", "x", attrs, NULL, 4, x4, 13));
	}
	{
		Pb		   *inits[] = {OnnxTensorI64("s", 1, two, shape), NULL};

		OnnxSeed("reshape.onnx", OnnxOneNodeModel("Reshape", "x,s", NULL, inits, 4, x4, 13));
	}
	{
		Pb		   *attrs[] = {OnnxAttrInt("axis", 1), NULL};

		OnnxSeed("concat.onnx", OnnxOneNodeModel("Concat", "x,x", attrs, NULL, 4, x4, 13));
	}
	{
		Pb		   *attrs[] = {OnnxAttrString("mode", "nearest"), NULL};
		Pb		   *inits[] = {OnnxTensorF("s", 1, four, scales), NULL};

		OnnxSeed("resize.onnx", OnnxOneNodeModel("Resize", "x,,s", attrs, inits, 4, x4, 13));
	}
	{
		Pb		   *inits[] = {OnnxTensorF("lo", 0, NULL, (const float[]) {-0.5f}),
		OnnxTensorF("hi", 0, NULL, (const float[]) {0.5f}), NULL};

		OnnxSeed("clip.onnx", OnnxOneNodeModel("Clip", "x,lo,hi", NULL, inits, 4, x4, 13));
	}
	{
		Pb		   *attrs[] = {OnnxAttrInt("transB", 1), OnnxAttrFloat("alpha", 0.5f), NULL};
		Pb		   *inits[] = {OnnxTensorF("w", 2, (const int64_t[]) {4, 6}, gw),
		OnnxTensorF("c", 1, four, gw), NULL};

		OnnxSeed("gemm.onnx", OnnxOneNodeModel("Gemm", "x,w,c", attrs, inits, 2, x2, 13));
	}
	{
		Pb		   *inits[] = {OnnxTensorF("w", 2, gwdims, gw), NULL};

		OnnxSeed("matmul.onnx", OnnxOneNodeModel("MatMul", "x,w", NULL, inits, 2, x2, 13));
	}
	{
		/* a Constant node feeding Add and Mul: folding and broadcasting */
		Pb		   *cattrs[] = {
			OnnxAttrTensor("value", OnnxTensorF("cv", 1, one, (const float[]) {2.0f})),
			NULL
		};
		Pb		   *nodes[] = {
			OnnxNode("Constant", "k", "", "c", cattrs),
			OnnxNode("Add", "add", "x,c", "a", NULL),
			OnnxNode("Mul", "mul", "a,x", "y", NULL), NULL
		};
		Pb		   *ins[] = {OnnxValueInfo("x", ONNX_T_FLOAT, 4, x4), NULL};
		Pb		   *outs[] = {OnnxValueInfo("y", ONNX_T_FLOAT, 4, x4), NULL};

		OnnxSeed("constant_add_mul.onnx",
				 OnnxModel(7, 13, OnnxGraph(nodes, NULL, ins, outs)));
	}
}

/* The binary form of face_embedding_send, with nelems of dim elements */
static void
BinarySeed(const char *name, const char *tag, int dim, const float *x,
		   int nelems, int reserved)
{
	uint8_t		buf[BX_EMB_BINARY_HEADER + BX_MAX_TAG_LEN + 64 * 4];
	size_t		taglen = strlen(tag);
	size_t		len = 0;

	buf[len++] = (uint8_t) (dim >> 8);
	buf[len++] = (uint8_t) dim;
	buf[len++] = (uint8_t) taglen;
	buf[len++] = (uint8_t) reserved;
	memcpy(buf + len, tag, taglen);
	len += taglen;
	for (int i = 0; i < nelems && i < 64; i++, len += 4)
	{
		uint32_t	bits;

		memcpy(&bits, &x[i], 4);
		buf[len] = (uint8_t) (bits >> 24);
		buf[len + 1] = (uint8_t) (bits >> 16);
		buf[len + 2] = (uint8_t) (bits >> 8);
		buf[len + 3] = (uint8_t) bits;
	}
	WriteSeed(name, buf, len);
}

static void
EmbeddingSeeds(void)
{
	static const char *const texts[] = {
		"[1,2,3]",
		" [ -1.5 , +2e-3,3.25e2 ] ",
		"mobilefacenet-v1:[0.1,-0.2,0.30000001]",
		"  arcface_r100.v2:[0.5]",
		"[-0,1e-45,1.17549435e-38,3.4028235e38]",
		"[0x1p-3,inf,nan]",
		"[1e39]",
		"m:[ ]",
		"a:[1]junk",
		"bad tag:[1]",
		"\t[1,\n2,\r3]\f",
	};
	static const float x[8] = {1.0f, -2.5f, 0.125f, 0.0f, -0.0f, 1e-40f,
	3.4028235e38f, 0.1f};
	char		name[64];
	char		big[64 * 12 + 80];
	size_t		n;

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
	{
		snprintf(name, sizeof(name), "text_%02zu.txt", i);
		TextSeed(name, texts[i]);
	}
	/* 64 elements with a 63-byte tag: room to grow toward the limits */
	n = (size_t) snprintf(big, sizeof(big), "%063d:[", 7);
	for (int i = 0; i < 64; i++)
		n += (size_t) snprintf(big + n, sizeof(big) - n, "%s%.9g",
							   i ? "," : "", (i - 32) * 0.37);
	n += (size_t) snprintf(big + n, sizeof(big) - n, "]");
	WriteSeed("text_64d_tag63.txt", big, n);

	BinarySeed("bin_tagged_3.bin", "mobilefacenet-v1", 3, x, 3, 0);
	BinarySeed("bin_untagged_8.bin", "", 8, x, 8, 0);
	BinarySeed("bin_reserved.bin", "m", 2, x, 2, 1);
	BinarySeed("bin_short.bin", "m", 4, x, 3, 0);
}

int
main(int argc, char **argv)
{
	if (argc != 3)
	{
		fprintf(stderr, "usage: make_seeds image|onnx|embedding OUTDIR\n");
		return 2;
	}
	outDir = argv[2];
	if (strcmp(argv[1], "image") == 0)
		ImageSeeds();
	else if (strcmp(argv[1], "onnx") == 0)
		OnnxSeeds();
	else if (strcmp(argv[1], "embedding") == 0)
		EmbeddingSeeds();
	else
	{
		fprintf(stderr, "make_seeds: unknown corpus \"%s\"\n", argv[1]);
		return 2;
	}
	PbFreeAll();
	printf("make_seeds: %d %s seeds in %s\n", nwritten, argv[1], outDir);
	return nfailed > 0 ? 1 : 0;
}
