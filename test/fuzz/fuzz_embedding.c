/*-------------------------------------------------------------------------
 *
 * fuzz_embedding.c
 *	  libFuzzer harness of the face_embedding parsers
 *	  (lib/embedding_parse.c): the text form of face_embedding_in and the
 *	  binary form of face_embedding_recv, on the same bytes.
 *
 * Text: the bytes up to the first NUL are the C string the server would
 * pass.  The element buffer is sized with BxEmbTextCapacity(), as
 * face_embedding_in does, so BX_EMB_EBUFFER is a failed invariant.  A value
 * that parses is printed back the way face_embedding_out prints it (tag,
 * ':', '[', PostgreSQL's shortest float text joined by ',', ']': the same
 * float_to_shortest_decimal_bufn from libpgcommon), and that text must
 * parse again to the same tag and bit-identical elements.  It is also
 * encoded as face_embedding_send does and must come back from the binary
 * parser unchanged.
 *
 * Binary: a value that parses must re-encode to exactly the input bytes
 * (the format has one encoding per value) and survive the same text round
 * trip.
 *
 * Failures must carry a status of the enum and, for the ones whose message
 * quotes part of the input, a token inside the input.
 *
 * test/fuzz/fuzz_embedding.c
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <string.h>

#include "common/shortest_dec.h"
#include "embedding_parse.h"
#include "fuzz_common.h"

/* tag + ':' + '[' + dim * (shortest float + ',') + ']' + NUL */
#define TEXT_MAX	(BX_MAX_TAG_LEN + 3 + BX_MAX_DIM * (FLOAT_SHORTEST_DECIMAL_LEN + 1) + 1)
#define BINARY_MAX	(BX_EMB_BINARY_HEADER + BX_MAX_TAG_LEN + 4 * BX_MAX_DIM)

typedef struct Value
{
	int			dim;
	int			taglen;
	char		tag[BX_MAX_TAG_LEN];
	float		x[BX_MAX_DIM];
} Value;

static char textBuf[TEXT_MAX];
static uint8_t binBuf[BINARY_MAX];
static float scratch[BX_MAX_DIM];
static Value first;
static Value again;

/*
 * libpgcommon's f2s.o refers to palloc for float_to_shortest_decimal(),
 * which we never call; this keeps the frontend memory code out of the link.
 */
void	   *palloc(size_t size);

void *
palloc(size_t size)
{
	(void) size;
	abort();
}

static void
CheckValid(const BxEmbParsed *p, const float *x, const char *what)
{
	FUZZ_CHECK(p->dim >= 1 && p->dim <= BX_MAX_DIM, "%s: dim %d", what, p->dim);
	FUZZ_CHECK(p->taglen >= 0 && p->taglen <= BX_MAX_TAG_LEN,
			   "%s: taglen %d", what, p->taglen);
	FUZZ_CHECK((p->taglen == 0) == (p->tag == NULL),
			   "%s: tag pointer and length disagree", what);
	FUZZ_CHECK(BxEmbCheckTag(p->tag, p->taglen) == BX_EMB_OK,
			   "%s: accepted a bad tag", what);
	for (int i = 0; i < p->dim; i++)
		FUZZ_CHECK(isfinite(x[i]), "%s: element %d is not finite", what, i);
}

static void
Keep(Value *v, const BxEmbParsed *p, const float *x)
{
	v->dim = p->dim;
	v->taglen = p->taglen;
	if (p->taglen > 0)
		memcpy(v->tag, p->tag, p->taglen);
	memcpy(v->x, x, sizeof(float) * p->dim);
}

/* Same tag and bit-identical elements (so -0 stays -0) */
static void
CheckSame(const Value *a, const Value *b, const char *what)
{
	FUZZ_CHECK(a->dim == b->dim, "%s: dim %d became %d", what, a->dim, b->dim);
	FUZZ_CHECK(a->taglen == b->taglen &&
			   memcmp(a->tag, b->tag, a->taglen) == 0,
			   "%s: tag changed", what);
	for (int i = 0; i < a->dim; i++)
		FUZZ_CHECK(memcmp(&a->x[i], &b->x[i], sizeof(float)) == 0,
				   "%s: element %d %.9g became %.9g", what, i, a->x[i], b->x[i]);
}

/* The text face_embedding_out writes */
static size_t
PrintText(const Value *v, char *out)
{
	size_t		n = 0;

	if (v->taglen > 0)
	{
		memcpy(out, v->tag, v->taglen);
		n = v->taglen;
		out[n++] = ':';
	}
	out[n++] = '[';
	for (int i = 0; i < v->dim; i++)
	{
		if (i > 0)
			out[n++] = ',';
		n += float_to_shortest_decimal_bufn(v->x[i], out + n);
	}
	out[n++] = ']';
	out[n] = '\0';
	return n;
}

/* The bytes face_embedding_send writes */
static size_t
EncodeBinary(const Value *v, uint8_t *out)
{
	size_t		n = 0;

	out[n++] = (uint8_t) (v->dim >> 8);
	out[n++] = (uint8_t) v->dim;
	out[n++] = (uint8_t) v->taglen;
	out[n++] = 0;
	memcpy(out + n, v->tag, v->taglen);
	n += v->taglen;
	for (int i = 0; i < v->dim; i++, n += 4)
	{
		uint32_t	bits;

		memcpy(&bits, &v->x[i], 4);
		out[n] = (uint8_t) (bits >> 24);
		out[n + 1] = (uint8_t) (bits >> 16);
		out[n + 2] = (uint8_t) (bits >> 8);
		out[n + 3] = (uint8_t) bits;
	}
	return n;
}

/* Parse text that must be valid, into *v */
static void
ReparseText(const char *text, Value *v, const char *what)
{
	int			cap = BxEmbTextCapacity(text);
	BxEmbParsed p;
	BxEmbStatus st = BxEmbParseText(text, scratch, cap, &p);

	FUZZ_CHECK(st == BX_EMB_OK, "%s: \"%.200s\" gave %s", what, text,
			   BxEmbStatusName(st));
	CheckValid(&p, scratch, what);
	Keep(v, &p, scratch);
}

/* Parse bytes that must be a valid binary value, into *v */
static void
ReparseBinary(const uint8_t *data, size_t len, Value *v, const char *what)
{
	BxEmbParsed p;
	BxEmbStatus st = BxEmbParseBinary(data, len, &p);

	FUZZ_CHECK(st == BX_EMB_OK, "%s: header gave %s", what, BxEmbStatusName(st));
	st = BxEmbBinaryElements(&p, scratch);
	FUZZ_CHECK(st == BX_EMB_OK, "%s: elements gave %s", what, BxEmbStatusName(st));
	CheckValid(&p, scratch, what);
	Keep(v, &p, scratch);
}

/* Both round trips of a valid value: text out and in, binary out and in */
static void
RoundTrips(const Value *v)
{
	size_t		n;

	PrintText(v, textBuf);
	ReparseText(textBuf, &again, "text round trip");
	CheckSame(v, &again, "text round trip");

	n = EncodeBinary(v, binBuf);
	ReparseBinary(binBuf, n, &again, "binary round trip");
	CheckSame(v, &again, "binary round trip");
}

/* A token an error message quotes must lie inside the input */
static void
CheckToken(const BxEmbParsed *p, const char *base, size_t len,
		   const char *what)
{
	FUZZ_CHECK(p->errToken != NULL && p->errTokenLen > 0,
			   "%s: no token", what);
	FUZZ_CHECK(p->errToken >= base &&
			   p->errToken + p->errTokenLen <= base + len,
			   "%s: token outside the input", what);
}

static void
FuzzText(const uint8_t *data, size_t size)
{
	char	   *text = malloc(size + 1);
	size_t		len;
	int			cap;
	float	   *x;
	BxEmbParsed p;
	BxEmbStatus st;
	char		msg[BX_ERRBUF_SIZE];

	FUZZ_CHECK(text != NULL, "out of memory");
	memcpy(text, data, size);
	text[size] = '\0';
	len = strlen(text);

	cap = BxEmbTextCapacity(text);
	FUZZ_CHECK(cap >= 1 && cap <= BX_MAX_DIM, "capacity %d", cap);
	/* exactly cap floats, so ASan sees any write past them */
	x = malloc(sizeof(float) * cap);
	FUZZ_CHECK(x != NULL, "out of memory");
	st = BxEmbParseText(text, x, cap, &p);
	FUZZ_CHECK(st != BX_EMB_EBUFFER, "buffer of %d floats too small", cap);
	BxEmbErrorMessage(st, &p, text, msg, sizeof(msg));
	FUZZ_CHECK(FuzzTerminated(msg, sizeof(msg)), "unterminated message");

	switch (st)
	{
		case BX_EMB_OK:
			CheckValid(&p, x, "text");
			FUZZ_CHECK(p.dim <= cap, "dim %d above capacity %d", p.dim, cap);
			Keep(&first, &p, x);
			RoundTrips(&first);
			break;
		case BX_EMB_ERANGE:
		case BX_EMB_ETAGCHAR:
			CheckToken(&p, text, len, BxEmbStatusName(st));
			break;
		case BX_EMB_ESYNTAX:
		case BX_EMB_EJUNK:
		case BX_EMB_ETAGLEN:
		case BX_EMB_EEMPTY:
		case BX_EMB_EDIMLIMIT:
		case BX_EMB_ENAN:
		case BX_EMB_EINF:
			break;
		default:
			FUZZ_CHECK(0, "text gave %s", BxEmbStatusName(st));
	}
	free(x);
	free(text);
}

static void
FuzzBinary(const uint8_t *data, size_t size)
{
	BxEmbParsed p;
	BxEmbStatus st;
	float	   *x;
	char		msg[BX_ERRBUF_SIZE];
	size_t		n;

	st = BxEmbParseBinary(data, size, &p);
	BxEmbErrorMessage(st, &p, NULL, msg, sizeof(msg));
	FUZZ_CHECK(FuzzTerminated(msg, sizeof(msg)), "unterminated message");
	switch (st)
	{
		case BX_EMB_OK:
			FUZZ_CHECK(p.elems == data + BX_EMB_BINARY_HEADER + p.taglen &&
					   size == BX_EMB_BINARY_HEADER + (size_t) p.taglen + 4 * (size_t) p.dim,
					   "element bytes do not end the message");
			/* exactly dim floats, as face_embedding_recv allocates */
			x = malloc(sizeof(float) * p.dim);
			FUZZ_CHECK(x != NULL, "out of memory");
			st = BxEmbBinaryElements(&p, x);
			FUZZ_CHECK(st == BX_EMB_OK || st == BX_EMB_ENAN || st == BX_EMB_EINF,
					   "elements gave %s", BxEmbStatusName(st));
			if (st == BX_EMB_OK)
			{
				CheckValid(&p, x, "binary");
				Keep(&first, &p, x);
				n = EncodeBinary(&first, binBuf);
				FUZZ_CHECK(n == size && memcmp(binBuf, data, size) == 0,
						   "binary value does not re-encode to its bytes");
				RoundTrips(&first);
			}
			free(x);
			break;
		case BX_EMB_ETAGCHAR:
			CheckToken(&p, (const char *) data, size, "binary ETAGCHAR");
			break;
		case BX_EMB_ESHORT:
		case BX_EMB_ERESERVED:
		case BX_EMB_EEMPTY:
		case BX_EMB_EDIMLIMIT:
		case BX_EMB_ETAGLEN:
			break;
		case BX_EMB_ELENGTH:
			FUZZ_CHECK(p.errValue >= 0 && (size_t) p.errValue < size &&
					   p.errValue != 4 * (long) p.dim,
					   "ELENGTH with %ld bytes for %d dimensions",
					   p.errValue, p.dim);
			break;
		default:
			FUZZ_CHECK(0, "binary gave %s", BxEmbStatusName(st));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FuzzText(data, size);
	FuzzBinary(data, size);
	return 0;
}
