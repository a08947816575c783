/*-------------------------------------------------------------------------
 *
 * fuzz_image.c
 *	  libFuzzer harness of the image library (lib/image): JPEG, PNG and
 *	  PGM/PPM decoding of untrusted bytes through BxImageDecode().
 *
 * Limits are small so that the fuzzer cannot exhaust memory: 4 Mpixels,
 * 64 MiB of libjpeg working memory, the default 100 progressive scans.  A
 * hash of the input picks the other options (grey or forced RGB, DCT
 * scaling target, EXIF orientation on or off), so every input always
 * takes the same path and a crash replays.
 *
 * PNG chunks carry CRCs that random mutations almost always break, which
 * would stop libpng at the first chunk.  For half of the PNG inputs (again
 * by hash) the harness recomputes every chunk CRC before decoding, so the
 * mutations reach IHDR checks, palettes, filters and inflate; the other
 * half keep their CRCs and exercise the CRC errors.
 *
 * Checked on success: a consistent image (sizes, stride, channels, format,
 * orientation, no more pixels than allowed), every pixel readable (ASan
 * sees the buffer bounds) and, for one input in eight, the same pixels
 * from a second decode into memory filled differently.  On failure: no image, a terminated non-empty
 * message, a status the mode allows.  Every block of the allocator is
 * returned after BxImageFree(); libjpeg's own mallocs are LeakSanitizer's.
 *
 * test/fuzz/fuzz_image.c
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include <zlib.h>

#include "image/bx_image.h"
#include "fuzz_common.h"

#define FUZZ_MAX_PIXELS		((uint64_t) 4 * 1000 * 1000)
#define FUZZ_MAX_MEMORY		((size_t) 64 * 1024 * 1024)

/* where pixel sums go, so that reading them is not optimised away */
static volatile uint8_t sink;

/*
 * malloc/free that counts live blocks, can fail the failAt-th call, and
 * fills every new block with a byte, so that output depending on memory
 * the decoder never wrote shows up as a difference between two fills
 */
typedef struct CountingState
{
	long		calls;
	long		failAt;			/* 0: never */
	long		live;
	int			fill;
} CountingState;

static void *
CountingAlloc(void *arg, size_t size)
{
	CountingState *s = arg;
	void	   *p;

	if (++s->calls == s->failAt)
		return NULL;
	p = malloc(size);
	if (p != NULL)
	{
		s->live++;
		memset(p, s->fill, size);
	}
	return p;
}

static void
CountingFree(void *arg, void *ptr)
{
	CountingState *s = arg;

	if (ptr != NULL)
	{
		s->live--;
		free(ptr);
	}
}

/* Interrupt after *arg polls */
static int
InterruptAfter(void *arg)
{
	int		   *left = arg;

	return (*left)-- <= 0;
}

static const uint8_t pngMagic[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

/* Rewrite the CRC of every whole chunk of a PNG copy */
static void
FixPngCrcs(uint8_t *p, size_t len)
{
	size_t		pos = 8;

	while (len - pos >= 12)
	{
		uint32_t	clen = ((uint32_t) p[pos] << 24) | ((uint32_t) p[pos + 1] << 16) |
			((uint32_t) p[pos + 2] << 8) | p[pos + 3];
		uLong		crc;

		if (clen > len - pos - 12)
			break;
		crc = crc32(0L, p + pos + 4, (uInt) (clen + 4));
		p[pos + 8 + clen] = (uint8_t) (crc >> 24);
		p[pos + 9 + clen] = (uint8_t) (crc >> 16);
		p[pos + 10 + clen] = (uint8_t) (crc >> 8);
		p[pos + 11 + clen] = (uint8_t) crc;
		pos += 12 + (size_t) clen;
	}
}

static void
CheckImage(const BxImage img, BxImgFormat format, const BxImageOptions *opts)
{
	uint8_t		acc = 0;
	size_t		bytes;

	FUZZ_CHECK(img != NULL, "BX_OK without an image");
	FUZZ_CHECK(img->channels == 1 || img->channels == 3,
			   "%d channels", img->channels);
	FUZZ_CHECK(!(opts->forceRgb && img->channels != 3),
			   "forceRgb gave %d channels", img->channels);
	FUZZ_CHECK(img->width >= 1 && img->height >= 1 &&
			   img->width <= BX_IMG_MAX_DIMENSION &&
			   img->height <= BX_IMG_MAX_DIMENSION,
			   "size %dx%d", img->width, img->height);
	FUZZ_CHECK((uint64_t) img->width * (uint64_t) img->height <= opts->maxPixels,
			   "%dx%d exceeds maxPixels", img->width, img->height);
	FUZZ_CHECK(img->fullWidth >= img->width && img->fullHeight >= img->height,
			   "full size %dx%d below output size %dx%d", img->fullWidth,
			   img->fullHeight, img->width, img->height);
	FUZZ_CHECK(img->stride == (size_t) img->width * (size_t) img->channels,
			   "stride %zu for width %d", img->stride, img->width);
	FUZZ_CHECK(img->format == format, "format %s, detected %s",
			   BxImageFormatName(img->format), BxImageFormatName(format));
	FUZZ_CHECK(img->orientation >= 1 && img->orientation <= 8,
			   "orientation %d", img->orientation);
	FUZZ_CHECK(!(opts->ignoreOrientation && img->orientation != 1),
			   "orientation %d applied although ignored", img->orientation);
	FUZZ_CHECK(img->pixels != NULL, "no pixels");

	/* read every byte: an undersized buffer is an ASan report here */
	bytes = img->stride * (size_t) img->height;
	for (size_t i = 0; i < bytes; i++)
		acc ^= img->pixels[i];
	sink = acc;
}

/*
 * Decode again into memory filled with 0xff instead of 0x00: every pixel
 * must come out the same, or the decoder left some of them unwritten (the
 * grey or stale rows a lenient decoder returns for damaged data).
 */
static void
CheckSecondDecode(const uint8_t *in, size_t size, const BxImageOptions *first,
				  const BxImage img)
{
	BxImageOptions opts = *first;
	CountingState counting = {0, 0, 0, 0xff};
	BxAllocator allocator = {CountingAlloc, CountingFree, &counting};
	BxImage		again = NULL;
	BxStatus st;
	char		err[BX_ERRBUF_SIZE];

	opts.allocator = &allocator;
	st = BxImageDecode(in, size, &opts, &again, err, sizeof(err));
	FUZZ_CHECK(st == BX_OK, "second decode gave %s: %s",
			   BxStatusName(st), err);
	FUZZ_CHECK(again->width == img->width && again->height == img->height &&
			   again->channels == img->channels,
			   "second decode gave another size");
	FUZZ_CHECK(memcmp(again->pixels, img->pixels,
					  img->stride * (size_t) img->height) == 0,
			   "pixels depend on uninitialised memory");
	BxImageFree(again);
	FUZZ_CHECK(counting.live == 0, "second decode leaked %ld blocks",
			   counting.live);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int targets[4] = {0, 0, 64, 200};
	BxImageOptions opts;
	BxImage		img = NULL;
	BxStatus st;
	BxImgFormat format;
	char		err[BX_ERRBUF_SIZE];
	uint32_t	h = FuzzHash(data, size);
	uint8_t    *copy = NULL;
	const uint8_t *in = data;
	CountingState counting = {0, 0, 0, 0x00};
	BxAllocator allocator = {CountingAlloc, CountingFree, &counting};
	int			pollsLeft = 0;
	int			mode = (h >> 5) & 7;

	BxImageDefaultOptions(&opts);
	opts.maxPixels = FUZZ_MAX_PIXELS;
	opts.maxDecoderMemory = FUZZ_MAX_MEMORY;
	opts.forceRgb = (h & 1) != 0;
	opts.ignoreOrientation = (h & 2) != 0;
	opts.targetLongSide = targets[(h >> 2) & 3];
	opts.allocator = &allocator;
	if (mode == 1)
		counting.failAt = 1 + (long) ((h >> 8) % 6);
	else if (mode == 2)
	{
		pollsLeft = (int) ((h >> 8) % 4);
		opts.interrupt = InterruptAfter;
		opts.interruptArg = &pollsLeft;
	}

	if (size > 8 && memcmp(data, pngMagic, 8) == 0 && (h & 16) != 0)
	{
		copy = malloc(size);
		FUZZ_CHECK(copy != NULL, "out of memory");
		memcpy(copy, data, size);
		FixPngCrcs(copy, size);
		in = copy;
	}
	format = BxImageDetectFormat(in, size);

	memset(err, 0x7f, sizeof(err));
	st = BxImageDecode(in, size, &opts, &img, err, sizeof(err));
	FUZZ_CHECK(FuzzTerminated(err, sizeof(err)), "unterminated message");
	if (st == BX_OK)
	{
		CheckImage(img, format, &opts);
		if (mode == 0)
			CheckSecondDecode(in, size, &opts, img);
	}
	else
	{
		FUZZ_CHECK(img == NULL, "%s with an image", BxStatusName(st));
		/* ENOMEM also from libjpeg's max_memory_to_use */
		FUZZ_CHECK(st == BX_EFORMAT || st == BX_ELIMIT ||
				   st == BX_ENOMEM ||
				   (st == BX_EINTERRUPTED && mode == 2),
				   "unexpected status %s: %s", BxStatusName(st), err);
		FUZZ_CHECK(err[0] != '\0', "%s without a message",
				   BxStatusName(st));
		/* an unknown format is refused as such */
		FUZZ_CHECK(format != BX_IMG_FORMAT_UNKNOWN || st == BX_EFORMAT,
				   "unknown format gave %s", BxStatusName(st));
	}
	BxImageFree(img);
	FUZZ_CHECK(counting.live == 0, "%ld blocks leaked (%s)", counting.live,
			   BxStatusName(st));
	free(copy);
	return 0;
}
