/*-------------------------------------------------------------------------
 *
 * embedding_parse.c
 *	  Parsers of the face_embedding text and binary forms, free of
 *	  PostgreSQL (see lib/embedding_parse.h).
 *
 * The parsers report the first problem in the same order as the checks the
 * SQL functions made before they were split out, so every bad input keeps
 * its SQLSTATE: e.g. "[1e39,nan]" is out of range (22003), not NaN (22000),
 * and a binary value with a nonzero reserved byte is 22P03 whatever its
 * dimension.
 *
 * The text parser relies on strtof(), like float4in: the server runs with
 * LC_NUMERIC = C, so the decimal point is '.' and never a ','.
 *
 * lib/embedding_parse.c
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "embedding_parse.h"

/* isspace() in the C locale, without depending on the process locale */
static inline bool
IsSpace(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/*
 * Letters, digits, '.', '_' and '-', not starting with one of the last
 * three.  The set keeps the text form unambiguous (no ':' or '[').
 */
bool
BxEmbIsTagChar(char c, bool first)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return !first && (c == '.' || c == '_' || c == '-');
}

BxEmbStatus
BxEmbCheckDim(long dim)
{
	if (dim < 1)
		return BX_EMB_EEMPTY;
	if (dim > BX_MAX_DIM)
		return BX_EMB_EDIMLIMIT;
	return BX_EMB_OK;
}

/* The length first: a 1 GB tag is refused without scanning it */
BxEmbStatus
BxEmbCheckTag(const char *tag, long taglen)
{
	if (taglen > BX_MAX_TAG_LEN)
		return BX_EMB_ETAGLEN;
	for (long i = 0; i < taglen; i++)
	{
		if (!BxEmbIsTagChar(tag[i], i == 0))
			return BX_EMB_ETAGCHAR;
	}
	return BX_EMB_OK;
}

BxEmbStatus
BxEmbCheckElement(float value)
{
	if (isnan(value))
		return BX_EMB_ENAN;
	if (isinf(value))
		return BX_EMB_EINF;
	return BX_EMB_OK;
}

int
BxEmbTextCapacity(const char *input)
{
	long		n = 1;

	for (const char *p = input; *p != '\0'; p++)
	{
		if (*p == ',' && ++n >= BX_MAX_DIM)
			return BX_MAX_DIM;
	}
	return (int) n;
}

BxEmbStatus
BxEmbParseText(const char *input, float *x, int xcap, BxEmbParsed *out)
{
	const char *p = input;
	BxEmbStatus st;
	int			dim = 0;

	memset(out, 0, sizeof(*out));
	while (IsSpace(*p))
		p++;

	/* optional "tag:" prefix */
	if (*p != '[')
	{
		const char *start = p;

		while (*p != '\0' && *p != ':' && *p != '[' && !IsSpace(*p))
			p++;
		if (*p != ':' || p == start)
			return BX_EMB_ESYNTAX;
		out->tag = start;
		out->taglen = (int) (p - start);
		st = BxEmbCheckTag(out->tag, out->taglen);
		if (st != BX_EMB_OK)
		{
			out->errToken = out->tag;
			out->errTokenLen = out->taglen;
			return st;
		}
		p++;
	}
	if (*p != '[')
		return BX_EMB_ESYNTAX;
	p++;

	for (;;)
	{
		char	   *end;
		float		value;

		while (IsSpace(*p))
			p++;
		if (dim == 0 && *p == ']')
			break;				/* "[]": reported below as empty */

		/* strtof skips leading space and accepts things we do not want */
		if (*p == '\0' || *p == ',' || *p == ']')
			return BX_EMB_ESYNTAX;
		errno = 0;
		value = strtof(p, &end);
		if (end == p)
			return BX_EMB_ESYNTAX;

		/*
		 * strtof also reads C99 hexadecimal floats ("0x10" is 16): a template
		 * is decimal text, so a hex digit string is a syntax error, not a
		 * number that means something else than it seems to.
		 */
		for (const char *c = p; c < end; c++)
			if (*c == 'x' || *c == 'X')
				return BX_EMB_ESYNTAX;

		/*
		 * As float4in: a denormal is fine, but a value that rounds to zero
		 * or overflows is out of range ("1e-46" is not silently 0).
		 */
		if (errno == ERANGE && (isinf(value) || value == 0.0f))
		{
			out->errToken = p;
			out->errTokenLen = (int) (end - p);
			return BX_EMB_ERANGE;
		}
		st = BxEmbCheckElement(value);
		if (st != BX_EMB_OK)
			return st;
		if (dim >= BX_MAX_DIM)
			return BX_EMB_EDIMLIMIT;
		if (dim >= xcap)
			return BX_EMB_EBUFFER;
		x[dim++] = value;
		p = end;

		while (IsSpace(*p))
			p++;
		if (*p == ',')
		{
			p++;
			continue;
		}
		if (*p == ']')
			break;
		return BX_EMB_ESYNTAX;
	}
	p++;						/* past ']' */
	while (IsSpace(*p))
		p++;
	if (*p != '\0')
		return BX_EMB_EJUNK;

	out->dim = dim;
	return BxEmbCheckDim(dim);
}

BxEmbStatus
BxEmbParseBinary(const void *data, size_t len, BxEmbParsed *out)
{
	const uint8_t *p = data;
	size_t		rest;
	BxEmbStatus st;

	memset(out, 0, sizeof(*out));
	if (len < BX_EMB_BINARY_HEADER)
		return BX_EMB_ESHORT;
	out->dim = (p[0] << 8) | p[1];
	out->taglen = p[2];
	if (p[3] != 0)
	{
		out->errValue = p[3];
		return BX_EMB_ERESERVED;
	}
	st = BxEmbCheckDim(out->dim);
	if (st != BX_EMB_OK)
		return st;
	rest = len - BX_EMB_BINARY_HEADER;
	if ((size_t) out->taglen > rest)
		return BX_EMB_ESHORT;
	out->tag = out->taglen > 0 ? (const char *) p + BX_EMB_BINARY_HEADER : NULL;
	st = BxEmbCheckTag(out->tag, out->taglen);
	if (st != BX_EMB_OK)
	{
		out->errToken = out->tag;
		out->errTokenLen = out->taglen;
		return st;
	}
	rest -= out->taglen;

	/* refuse before the caller allocates if the message is not 4 * dim */
	if (rest != sizeof(float) * (size_t) out->dim)
	{
		out->errValue = (long) rest;
		return BX_EMB_ELENGTH;
	}
	out->elems = p + BX_EMB_BINARY_HEADER + out->taglen;
	return BX_EMB_OK;
}

BxEmbStatus
BxEmbBinaryElements(const BxEmbParsed *parsed, float *x)
{
	const uint8_t *q = parsed->elems;

	for (int i = 0; i < parsed->dim; i++, q += 4)
	{
		uint32_t	bits = ((uint32_t) q[0] << 24) | ((uint32_t) q[1] << 16) |
			((uint32_t) q[2] << 8) | (uint32_t) q[3];
		BxEmbStatus st;

		memcpy(&x[i], &bits, sizeof(float));
		st = BxEmbCheckElement(x[i]);
		if (st != BX_EMB_OK)
			return st;
	}
	return BX_EMB_OK;
}

/* Print at most n bytes of s, stopping at a NUL as pnstrdup() does */
static int
TokenLen(const char *s, int n)
{
	int			i = 0;

	while (i < n && s[i] != '\0')
		i++;
	return i;
}

void
BxEmbErrorMessage(BxEmbStatus status, const BxEmbParsed *parsed,
				  const char *input, char *buf, size_t buflen)
{
	const char *tok = parsed != NULL ? parsed->errToken : NULL;
	int			toklen = tok != NULL ? TokenLen(tok, parsed->errTokenLen) : 0;

	if (buf == NULL || buflen == 0)
		return;
	switch (status)
	{
		case BX_EMB_OK:
			snprintf(buf, buflen, "no error");
			break;
		case BX_EMB_ESYNTAX:
		case BX_EMB_EJUNK:
			snprintf(buf, buflen,
					 "invalid input syntax for type face_embedding: \"%s\"",
					 input != NULL ? input : "");
			break;
		case BX_EMB_ETAGCHAR:
			snprintf(buf, buflen, "invalid face_embedding model tag \"%.*s\"",
					 toklen, tok != NULL ? tok : "");
			break;
		case BX_EMB_ETAGLEN:
			snprintf(buf, buflen,
					 "face_embedding model tag cannot be longer than %d bytes",
					 BX_MAX_TAG_LEN);
			break;
		case BX_EMB_EEMPTY:
			snprintf(buf, buflen,
					 "face_embedding must have at least 1 dimension");
			break;
		case BX_EMB_EDIMLIMIT:
			snprintf(buf, buflen,
					 "face_embedding cannot have more than %d dimensions",
					 BX_MAX_DIM);
			break;
		case BX_EMB_ENAN:
			snprintf(buf, buflen, "NaN not allowed in face_embedding");
			break;
		case BX_EMB_EINF:
			snprintf(buf, buflen,
					 "infinite value not allowed in face_embedding");
			break;
		case BX_EMB_ERANGE:
			snprintf(buf, buflen,
					 "\"%.*s\" is out of range for type face_embedding",
					 toklen, tok != NULL ? tok : "");
			break;
		case BX_EMB_ESHORT:
			snprintf(buf, buflen, "insufficient data left in message");
			break;
		case BX_EMB_ERESERVED:
			snprintf(buf, buflen,
					 "invalid face_embedding binary format: reserved byte is %ld, not 0",
					 parsed != NULL ? parsed->errValue : 0L);
			break;
		case BX_EMB_ELENGTH:
			snprintf(buf, buflen,
					 "invalid face_embedding binary format: %ld bytes of elements for %d dimensions",
					 parsed != NULL ? parsed->errValue : 0L,
					 parsed != NULL ? parsed->dim : 0);
			break;
		case BX_EMB_EBUFFER:
			snprintf(buf, buflen, "face_embedding element buffer too small");
			break;
		default:
			snprintf(buf, buflen, "unknown face_embedding parse status %d",
					 (int) status);
			break;
	}
}

const char *
BxEmbStatusName(BxEmbStatus status)
{
	switch (status)
	{
		case BX_EMB_OK:
			return "BX_EMB_OK";
		case BX_EMB_ESYNTAX:
			return "BX_EMB_ESYNTAX";
		case BX_EMB_EJUNK:
			return "BX_EMB_EJUNK";
		case BX_EMB_ETAGCHAR:
			return "BX_EMB_ETAGCHAR";
		case BX_EMB_ETAGLEN:
			return "BX_EMB_ETAGLEN";
		case BX_EMB_EEMPTY:
			return "BX_EMB_EEMPTY";
		case BX_EMB_EDIMLIMIT:
			return "BX_EMB_EDIMLIMIT";
		case BX_EMB_ENAN:
			return "BX_EMB_ENAN";
		case BX_EMB_EINF:
			return "BX_EMB_EINF";
		case BX_EMB_ERANGE:
			return "BX_EMB_ERANGE";
		case BX_EMB_ESHORT:
			return "BX_EMB_ESHORT";
		case BX_EMB_ERESERVED:
			return "BX_EMB_ERESERVED";
		case BX_EMB_ELENGTH:
			return "BX_EMB_ELENGTH";
		case BX_EMB_EBUFFER:
			return "BX_EMB_EBUFFER";
	}
	return "BX_EMB_UNKNOWN_STATUS";
}
