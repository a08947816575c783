/*
 * make_hostile.c
 *	  Write two hostile but well-formed images for the SQL-level tests
 *	  (sql/photo.sql): a progressive JPEG whose AC scan repeats 1,000 times
 *	  and a PNG decompression bomb (7200x7200 zeros in about 50 KiB).  Built
 *	  from the same generators the unit tests use, at test time: no binary
 *	  fixture is committed.
 *
 *	  usage: make_hostile OUTDIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	free(px);
	free(jpeg);
	free(bomb);
	free(png);
	return rc;
}
