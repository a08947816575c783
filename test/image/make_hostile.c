/*
 * make_hostile.c
 *	  Write two hostile but well-formed images for the SQL-level tests
 *	  (sql/photo.sql): a progressive JPEG whose AC scan repeats 1,000 times
 *	  and a PNG decompression bomb (7200x7200 zeros in about 50 KiB).  Built
 *	  from the same generators the unit tests use, at test time: no binary
 *	  fixture is committed.
 *
 *	  When OUTDIR holds the real photos scripts/common.sh stages
 *	  (lfw_1.jpg, orl_s1_1.pgm), also write gate captures with known defects
 *	  made from them for sql/quality.sql: capture_blurred.jpg (Gaussian
 *	  blur, sigma 3), capture_dark.jpg (gain 0.4, gamma 2.5),
 *	  capture_small.jpg (4x smaller) from the LFW photo, and
 *	  capture_rotated.jpg (turned 30 degrees) from the ORL one, the face
 *	  whose landmarks follow the turn (test_quality.c: YuNet under-reports
 *	  in-plane rotation).  Face images are never committed.
 *
 *	  usage: make_hostile OUTDIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "degrade.h"
#include "imgutil.h"

static int
WriteFile(const char *dir, const char *name, const uint8_t *data, size_t len)
{
	char		path[4096];
	FILE	   *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0)
	{
		fprintf(stderr, "make_hostile: cannot write %s\n", path);
		return 1;
	}
	return 0;
}

/* Decode dir/name; NULL when absent or unreadable */
static BxImage
LoadPhoto(const char *dir, const char *name)
{
	char		path[4096];
	size_t		len;
	void	   *data;
	BxImage		img = NULL;
	char		err[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	data = ReadWholeFile(path, &len);
	if (data != NULL && BxImageDecode(data, len, NULL, &img, err, sizeof(err)) != BX_OK)
		img = NULL;
	free(data);
	return img;
}

/* Write a degraded capture as a quality-95 JPEG; frees it */
static int
WriteCapture(const char *dir, const char *name, BxImage img)
{
	uint8_t    *jpeg;
	size_t		len;
	int			rc;

	if (img == NULL)
	{
		fprintf(stderr, "make_hostile: could not make %s\n", name);
		return 1;
	}
	jpeg = WriteJpegImage(img, 95, &len);
	rc = jpeg != NULL ? WriteFile(dir, name, jpeg, len) : 1;
	free(jpeg);
	BxImageFree(img);
	return rc;
}

/* The defect captures, when the real photos are there */
static int
WriteCaptures(const char *dir)
{
	BxImage		lfw = LoadPhoto(dir, "lfw_1.jpg");
	BxImage		orl = LoadPhoto(dir, "orl_s1_1.pgm");
	int			rc = 0;

	if (lfw != NULL && orl != NULL)
	{
		rc |= WriteCapture(dir, "capture_blurred.jpg", DegradeBlur(lfw, 3.0));
		rc |= WriteCapture(dir, "capture_dark.jpg", DegradeDark(lfw, 0.4, 2.5));
		rc |= WriteCapture(dir, "capture_small.jpg", DegradeShrink(lfw, 4));
		rc |= WriteCapture(dir, "capture_rotated.jpg", DegradeRotate(orl, 30));
	}
	BxImageFree(lfw);
	BxImageFree(orl);
	return rc;
}

int
main(int argc, char **argv)
{
	JpegSpec	s;
	uint8_t    *px;
	uint8_t    *jpeg,
			   *bomb,
			   *png;
	size_t		len,
				blen,
				plen;
	int			rc = 0;

	if (argc != 2)
	{
		fprintf(stderr, "usage: make_hostile OUTDIR\n");
		return 2;
	}
	px = malloc(64 * 64);
	for (int i = 0; i < 64 * 64; i++)
		px[i] = (uint8_t) ((i * 7) ^ (i >> 6));
	memset(&s, 0, sizeof(s));
	s.width = 64;
	s.height = 64;
	s.components = 1;
	s.fullAcScans = true;
	jpeg = WriteJpeg(&s, px, &len);
	bomb = jpeg ? RepeatSecondScan(jpeg, len, 1000, &blen) : NULL;
	png = WriteZeroPng(7200, 7200, &plen);
	if (bomb == NULL || png == NULL)
	{
		fprintf(stderr, "make_hostile: could not build the images\n");
		return 1;
	}
	rc |= WriteFile(argv[1], "scan_bomb.jpg", bomb, blen);
	rc |= WriteFile(argv[1], "png_bomb.png", png, plen);
	rc |= WriteCaptures(argv[1]);
	free(px);
	free(jpeg);
	free(bomb);
	free(png);
	return rc;
}
