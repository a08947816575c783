/*-------------------------------------------------------------------------
 *
 * image_jpeg.c
 *	  Decode JPEG with libjpeg(-turbo)'s jpeglib.h API, under limits.
 *
 * libjpeg reports errors through error_exit, which must not return.  Ours
 * records a status and message, then longjmps back to DecodeGuarded(), the
 * only function that calls setjmp; everything between is libjpeg's C code
 * or our own callbacks and DecodeSteps(), which hold no resources of their
 * own: whatever they allocate is recorded in the heap-allocated JpegState,
 * so after the jump BxImgDecodeJpeg() frees it without relying on the
 * values of local variables (which setjmp does not preserve).
 *
 * Corrupt-data warnings (emit_message with a negative level: premature
 * end of data, bad Huffman codes, extraneous bytes...) are errors too:
 * libjpeg would otherwise fill the damaged area with grey and carry on.
 *
 * Limits: width * height is checked against maxPixels after
 * jpeg_read_header(), before libjpeg allocates anything of that size; the
 * number of scans is checked in a progress monitor, like djpeg -maxscans
 * (a progressive file may repeat scans endlessly, each costing a pass over
 * the whole coefficient buffer); the same monitor polls the interrupt
 * callback.
 *
 * Output: RGB, or grey for a grey JPEG unless forceRgb.  CMYK and YCCK
 * (Adobe) are converted to RGB here because libjpeg cannot.  DCT scaling
 * decodes large photos straight to the size the caller asked for.  The EXIF
 * orientation is applied after decoding.
 *
 * lib/image/image_jpeg.c
 *
 *-------------------------------------------------------------------------
 */
#include <limits.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>

#include "image_internal.h"

typedef struct JpegErrorMgr
{
	struct jpeg_error_mgr pub;	/* must be first: libjpeg casts to it */
	jmp_buf		jump;
	BxStatus status;
	char		message[JMSG_LENGTH_MAX];
} JpegErrorMgr;

typedef struct JpegProgress
{
	struct jpeg_progress_mgr pub;	/* must be first */
	const BxImgCall *call;
} JpegProgress;

/* Everything the decode holds; allocated once, fields set as we go */
typedef struct JpegState
{
	struct jpeg_decompress_struct cinfo;
	JpegErrorMgr jerr;
	JpegProgress progress;
	const BxImgCall *call;
	BxImage		image;			/* the output while being filled */
	uint8_t    *cmykRow;		/* one CMYK scanline for conversion */
	int			orientation;
} JpegState;

/* error_exit: record the message and unwind to DecodeGuarded() */
static void
JpegErrorExit(j_common_ptr cinfo)
{
	JpegErrorMgr *err = (JpegErrorMgr *) cinfo->err;

	if (err->status == BX_OK)
	{
		switch (err->pub.msg_code)
		{
			case JERR_OUT_OF_MEMORY:
				err->status = BX_ENOMEM;
				break;
			case JERR_NO_BACKING_STORE:
			case JERR_IMAGE_TOO_BIG:
				err->status = BX_ELIMIT;
				break;
			default:
				err->status = BX_EFORMAT;
				break;
		}
		err->pub.format_message(cinfo, err->message);
	}
	longjmp(err->jump, 1);
}

/*
 * emit_message: level -1 is a corrupt-data warning, which we make an error;
 * levels >= 0 are trace messages, ignored.
 */
static void
JpegEmitMessage(j_common_ptr cinfo, int msg_level)
{
	JpegErrorMgr *err = (JpegErrorMgr *) cinfo->err;

	if (msg_level >= 0)
		return;
	err->status = BX_EFORMAT;
	err->pub.format_message(cinfo, err->message);
	longjmp(err->jump, 1);
}

/* output_message: never print (the default writes to stderr) */
static void
JpegOutputMessage(j_common_ptr cinfo)
{
	(void) cinfo;
}

/* Stop with our own status from inside libjpeg's call stack */
static void
JpegAbort(j_common_ptr cinfo, BxStatus status, const char *message)
{
	JpegErrorMgr *err = (JpegErrorMgr *) cinfo->err;

	err->status = status;
	err->pub.msg_code = 0;		/* not a libjpeg message */
	snprintf(err->message, sizeof(err->message), "%s", message);
	longjmp(err->jump, 1);
}

/* Progress monitor: cap the number of scans, poll for interrupts */
static void
JpegProgressMonitor(j_common_ptr cinfo)
{
	JpegProgress *prog = (JpegProgress *) cinfo->progress;
	const BxImgCall *call = prog->call;
	char		msg[JMSG_LENGTH_MAX];

	if (cinfo->is_decompressor)
	{
		int			scan = ((j_decompress_ptr) cinfo)->input_scan_number;

		if (scan > call->opts->maxScans)
		{
			snprintf(msg, sizeof(msg),
					 "JPEG has more than %d scans (limit)",
					 call->opts->maxScans);
			JpegAbort(cinfo, BX_ELIMIT, msg);
		}
	}
	if (BxImgInterrupted(call))
		JpegAbort(cinfo, BX_EINTERRUPTED, "JPEG decoding interrupted");
}

/* Orientation from the first Exif APP1 marker saved by libjpeg */
static int
FindOrientation(j_decompress_ptr cinfo)
{
	jpeg_saved_marker_ptr m;

	for (m = cinfo->marker_list; m != NULL; m = m->next)
	{
		if (m->marker == JPEG_APP0 + 1 && m->data_length >= 6 &&
			memcmp(m->data, "Exif\0\0", 6) == 0)
			return BxImgExifOrientation(m->data, m->data_length);
	}
	return 1;
}

/*
 * Smallest DCT scale M/8 whose output long side is >= target (libjpeg
 * rounds scaled sizes up).  Never upscales.
 */
static int
ChooseScale(unsigned int width, unsigned int height, int target)
{
	unsigned long longSide = width > height ? width : height;
	int			m;

	if (target <= 0)
		return 8;
	for (m = 1; m < 8; m++)
	{
		if ((longSide * (unsigned long) m + 7) / 8 >= (unsigned long) target)
			return m;
	}
	return 8;
}

/*
 * Inverted (Adobe) or plain CMYK to RGB: R = (1 - C)(1 - K) with the
 * complements stored directly when Adobe inverted them.
 */
static void
CmykToRgb(const uint8_t *in, uint8_t *out, unsigned int width, bool inverted)
{
	unsigned int x;

	for (x = 0; x < width; x++, in += 4, out += 3)
	{
		unsigned int c = in[0],
					m = in[1],
					y = in[2],
					k = in[3];

		if (!inverted)
		{
			c = 255 - c;
			m = 255 - m;
			y = 255 - y;
			k = 255 - k;
		}
		out[0] = (uint8_t) ((c * k + 127) / 255);
		out[1] = (uint8_t) ((m * k + 127) / 255);
		out[2] = (uint8_t) ((y * k + 127) / 255);
	}
}

static long
JpegMemoryCap(const BxImgCall *call)
{
	size_t		cap = call->opts->maxDecoderMemory;

	if (cap == 0)
		cap = BX_IMG_DEFAULT_MAX_MEMORY;
	if (cap > (size_t) LONG_MAX)
		cap = (size_t) LONG_MAX;
	return (long) cap;
}

/*
 * The decode proper.  libjpeg errors longjmp out of here to
 * DecodeGuarded(); our own errors return a status.  Resources go into st.
 */
static BxStatus
DecodeSteps(JpegState *st, const uint8_t *data, size_t len)
{
	j_decompress_ptr cinfo = &st->cinfo;
	const BxImgCall *call = st->call;
	BxStatus status;
	bool		cmyk = false;
	int			channels;
	BxImage		img;

	jpeg_create_decompress(cinfo);

	/*
	 * libjpeg-turbo has no backing store: past this cap its whole-image
	 * buffers fail with JERR_NO_BACKING_STORE instead of being allocated.
	 */
	cinfo->mem->max_memory_to_use = JpegMemoryCap(call);
	cinfo->progress = &st->progress.pub;

	/* jpeg_mem_src takes an unsigned long length; maxBytes keeps it small */
	jpeg_mem_src(cinfo, data, (unsigned long) len);
	if (!call->opts->ignoreOrientation)
		jpeg_save_markers(cinfo, JPEG_APP0 + 1, 0xFFFF);
	(void) jpeg_read_header(cinfo, TRUE);

	status = BxImgCheckSize(call, "JPEG", cinfo->image_width,
							cinfo->image_height);
	if (status != BX_OK)
		return status;
	if (!call->opts->ignoreOrientation)
		st->orientation = FindOrientation(cinfo);

	switch (cinfo->jpeg_color_space)
	{
		case JCS_GRAYSCALE:
			cinfo->out_color_space = call->opts->forceRgb ? JCS_RGB : JCS_GRAYSCALE;
			break;
		case JCS_YCbCr:
		case JCS_RGB:
			cinfo->out_color_space = JCS_RGB;
			break;
		case JCS_CMYK:
		case JCS_YCCK:
			/* libjpeg turns YCCK into CMYK; the rest is ours */
			cinfo->out_color_space = JCS_CMYK;
			cmyk = true;
			break;
		default:
			return BxImgError(call, BX_EFORMAT,
							  "JPEG colour space with %d components is not "
							  "supported", cinfo->num_components);
	}
	cinfo->scale_num = (unsigned int) ChooseScale(cinfo->image_width,
												  cinfo->image_height,
												  call->opts->targetLongSide);
	cinfo->scale_denom = 8;

	/* for progressive files this reads every scan (progress monitor) */
	(void) jpeg_start_decompress(cinfo);

	channels = cinfo->out_color_space == JCS_GRAYSCALE ? 1 : 3;
	if (cinfo->output_components != (cmyk ? 4 : channels))
		return BxImgError(call, BX_EFORMAT,
						  "JPEG decoder produced %d components, expected %d",
						  cinfo->output_components, cmyk ? 4 : channels);
	status = BxImgNewImage(call, (int) cinfo->output_width,
						   (int) cinfo->output_height, channels, &st->image);
	if (status != BX_OK)
		return status;
	img = st->image;
	img->format = BX_IMG_FORMAT_JPEG;
	img->fullWidth = (int) cinfo->image_width;
	img->fullHeight = (int) cinfo->image_height;
	if (cmyk)
	{
		st->cmykRow = BxImgAlloc(call, (size_t) cinfo->output_width * 4);
		if (st->cmykRow == NULL)
			return BxImgError(call, BX_ENOMEM,
							  "out of memory for a JPEG scanline");
	}

	while (cinfo->output_scanline < cinfo->output_height)
	{
		uint8_t    *row = img->pixels + (size_t) cinfo->output_scanline * img->stride;
		JSAMPROW	rows[1];

		if (BxImgInterrupted(call))
			return BxImgError(call, BX_EINTERRUPTED,
							  "JPEG decoding interrupted");
		rows[0] = cmyk ? st->cmykRow : row;
		if (jpeg_read_scanlines(cinfo, rows, 1) != 1)
			return BxImgError(call, BX_EFORMAT,
							  "JPEG decoder returned no scanline");
		if (cmyk)
			CmykToRgb(st->cmykRow, row, cinfo->output_width,
					  cinfo->saw_Adobe_marker);
	}
	/* reads up to EOI, so damage after the last row is still caught */
	(void) jpeg_finish_decompress(cinfo);
	return BX_OK;
}

/* The only setjmp: libjpeg's errors land here */
static BxStatus
DecodeGuarded(JpegState *st, const uint8_t *data, size_t len)
{
	if (setjmp(st->jerr.jump))
	{
		/* the callbacks only filled jerr; write the caller's buffer now */
		switch (st->jerr.status)
		{
			case BX_EFORMAT:
				return BxImgError(st->call, BX_EFORMAT,
								  "invalid JPEG data: %s", st->jerr.message);
			case BX_ENOMEM:
				return BxImgError(st->call, BX_ENOMEM,
								  "out of memory in the JPEG decoder: %s",
								  st->jerr.message);
			case BX_ELIMIT:
				if (st->jerr.pub.msg_code == JERR_NO_BACKING_STORE)
					return BxImgError(st->call, BX_ELIMIT,
									  "JPEG needs more than the limit of %ld "
									  "bytes of decoder memory",
									  JpegMemoryCap(st->call));
				if (st->jerr.pub.msg_code == JERR_IMAGE_TOO_BIG)
					return BxImgError(st->call, BX_ELIMIT,
									  "JPEG too large: %s", st->jerr.message);
				break;
			default:
				break;
		}
		return BxImgError(st->call, st->jerr.status, "%s", st->jerr.message);
	}
	return DecodeSteps(st, data, len);
}

BxStatus
BxImgDecodeJpeg(const BxImgCall *call, const uint8_t *data, size_t len,
				BxImage *image)
{
	JpegState  *st;
	BxStatus status;

	*image = NULL;
	st = BxImgAlloc(call, sizeof(JpegState));
	if (st == NULL)
		return BxImgError(call, BX_ENOMEM,
						  "out of memory for the JPEG decoder");
	memset(st, 0, sizeof(*st));
	st->call = call;
	st->orientation = 1;
	st->cinfo.err = jpeg_std_error(&st->jerr.pub);
	st->jerr.pub.error_exit = JpegErrorExit;
	st->jerr.pub.emit_message = JpegEmitMessage;
	st->jerr.pub.output_message = JpegOutputMessage;
	st->jerr.status = BX_OK;
	st->progress.pub.progress_monitor = JpegProgressMonitor;
	st->progress.call = call;

	status = DecodeGuarded(st, data, len);

	/*
	 * Safe after any error, even one inside jpeg_create_decompress(): with
	 * cinfo.mem still NULL (st was zeroed) it does nothing.
	 */
	jpeg_destroy_decompress(&st->cinfo);
	BxImgFreeMem(call, st->cmykRow);
	if (status == BX_OK)
	{
		*image = st->image;
		st->image = NULL;
	}
	BxImageFree(st->image);
	if (status == BX_OK && st->orientation != 1)
	{
		status = BxImgApplyOrientation(call, image, st->orientation);
		if (status != BX_OK)
		{
			BxImageFree(*image);
			*image = NULL;
		}
	}
	BxImgFreeMem(call, st);
	return status;
}
