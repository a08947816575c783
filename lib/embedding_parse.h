/*-------------------------------------------------------------------------
 *
 * embedding_parse.h
 *	  Parse the text and binary forms of face_embedding without PostgreSQL.
 *
 * Both forms arrive from clients, so they are untrusted bytes.  The parsers
 * live here, apart from the fmgr code of src/type/embedding.c, so that the fuzz
 * harness (test/fuzz) can call exactly the code the server runs, with no
 * server.  They never allocate, never print and never longjmp: they return
 * a BxEmbStatus and fill a BxEmbParsed with what the caller needs to build
 * the value or to word the error.  src/type/embedding.c maps each status to its
 * SQLSTATE and message (listed beside each code below).
 *
 * Text form:	[1,2.5,-3]					untagged
 *				mobilefacenet-v1:[1,2.5,-3]	tagged with the model that made it
 *
 * Binary form (send/recv):
 *
 *	uint16	dim			network order, 1 .. BX_MAX_DIM
 *	uint8	taglen		0 .. BX_MAX_TAG_LEN
 *	uint8	reserved	always 0
 *	char	tag[taglen]	not NUL-terminated, no padding
 *	float4	x[dim]		network order; the message ends right after them
 *
 * lib/embedding_parse.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BX_EMBEDDING_PARSE_H
#define BX_EMBEDDING_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bx_runtime.h"
/*
 * Dimensions are stored in a uint16; 16,000 keeps a value under 64 kB (it is
 * TOASTed beyond ~2 kB like any varlena) and matches pgvector's limit.
 */
#define BX_MAX_DIM			16000

/* Model tags are short identifiers such as "mobilefacenet-v1". */
#define BX_MAX_TAG_LEN		63

/* Bytes of the binary form before the tag: dim, taglen, reserved */
#define BX_EMB_BINARY_HEADER	4


typedef enum BxEmbStatus
{
	BX_EMB_OK = 0,
	BX_EMB_ESYNTAX,				/* 22P02 invalid input syntax */
	BX_EMB_EJUNK,				/* 22P02 the same, junk after the ']' */
	BX_EMB_ETAGCHAR,			/* 22P02 invalid model tag */
	BX_EMB_ETAGLEN,				/* 54000 tag longer than BX_MAX_TAG_LEN */
	BX_EMB_EEMPTY,				/* 22000 no elements */
	BX_EMB_EDIMLIMIT,			/* 54000 more than BX_MAX_DIM elements */
	BX_EMB_ENAN,				/* 22000 NaN element */
	BX_EMB_EINF,				/* 22000 infinite element */
	BX_EMB_ERANGE,				/* 22003 text element beyond float4 range */
	BX_EMB_ESHORT,				/* 08P01 binary message ends inside the
								 * header or the tag */
	BX_EMB_ERESERVED,			/* 22P03 nonzero reserved byte */
	BX_EMB_ELENGTH,				/* 22P03 element bytes != 4 * dim */
	BX_EMB_EBUFFER				/* caller's element buffer too small: a bug
								 * of the caller, XX000 */
} BxEmbStatus;

/*
 * What a parser found.  On success: dim, the tag (a pointer into the input,
 * not NUL-terminated; NULL and 0 when untagged) and, for the binary form,
 * elems (the network-order floats, for BxEmbBinaryElements()).  On failure
 * the fields the status's message needs: errToken/errTokenLen for ERANGE
 * (the number's text) and ETAGCHAR (the whole tag), errValue for ERESERVED
 * (the byte) and ELENGTH (bytes of elements; dim holds the dimension).
 */
typedef struct BxEmbParsed
{
	int			dim;
	const char *tag;
	int			taglen;
	const uint8_t *elems;
	const char *errToken;
	int			errTokenLen;
	long		errValue;
} BxEmbParsed;

/* True if c may appear in a model tag (first: at its start) */
extern bool BxEmbIsTagChar(char c, bool first);

/* Single checks, shared with the casts and bx_set_model() */
extern BxEmbStatus BxEmbCheckDim(long dim);
extern BxEmbStatus BxEmbCheckTag(const char *tag, long taglen);
extern BxEmbStatus BxEmbCheckElement(float value);

/*
 * Number of floats a buffer for BxEmbParseText(input) needs: one more than
 * the commas of input, at most BX_MAX_DIM.  Sizing the buffer this way
 * bounds it by both the input and the limit.
 */
extern int	BxEmbTextCapacity(const char *input);

/*
 * Parse the NUL-terminated text form into x[0..xcap) and *out.  Checks, in
 * this order: the tag, the syntax up to each element, each element's range,
 * NaN and infinity, the dimension limit, then junk after ']' and at least
 * one element.  Returns BX_EMB_EBUFFER if xcap is too small.
 */
extern BxEmbStatus BxEmbParseText(const char *input, float *x, int xcap,
								  BxEmbParsed *out);

/*
 * Check the binary form data[0..len), which must be the whole message:
 * header, reserved byte, dimension, tag, then exactly 4 * dim bytes of
 * elements.  The elements themselves are checked by BxEmbBinaryElements().
 */
extern BxEmbStatus BxEmbParseBinary(const void *data, size_t len,
									BxEmbParsed *out);

/*
 * Decode the elements found by a successful BxEmbParseBinary() into
 * x[0..dim), failing with ENAN or EINF at the first bad one.
 */
extern BxEmbStatus BxEmbBinaryElements(const BxEmbParsed *parsed, float *x);

/*
 * The message of a failed parse, as src/type/embedding.c words it (without
 * DETAIL), into buf[0..buflen); input is the text form or NULL.  For
 * callers without PostgreSQL: the server formats its own, untruncated.
 */
extern void BxEmbErrorMessage(BxEmbStatus status, const BxEmbParsed *parsed,
							  const char *input, char *buf, size_t buflen);

/* Constant name of a status, e.g. "BX_EMB_ESYNTAX" */
extern const char *BxEmbStatusName(BxEmbStatus status);

#endif							/* BX_EMBEDDING_PARSE_H */
