/*
 * binary_io.c
 *	  libpq test of face_embedding's binary send/recv: round trips through
 *	  binary parameters and results, and every malformed binary value gets
 *	  an ERROR with the right SQLSTATE while the session survives.
 *
 * Connection parameters come from the PG* environment (scripts/test.sh).
 * Output is TAP (test/common/tap.h).
 */
#include <arpa/inet.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "tap.h"

/* Encode a face_embedding in its binary wire format. */
static int
encode(unsigned char *buf, int dim, const char *tag, int taglen,
	   int reserved, const float *x, int nx)
{
	int			len = 0;
	uint16_t	d = htons((uint16_t) dim);

	memcpy(buf + len, &d, 2);
	len += 2;
	buf[len++] = (unsigned char) taglen;
	buf[len++] = (unsigned char) reserved;
	memcpy(buf + len, tag, strlen(tag));
	len += strlen(tag);
	for (int i = 0; i < nx; i++)
	{
		uint32_t	u;

		memcpy(&u, &x[i], 4);
		u = htonl(u);
		memcpy(buf + len, &u, 4);
		len += 4;
	}
	return len;
}

/* Run sql with one binary parameter; return the SQLSTATE or "00000". */
static const char *
run_binary(PGconn *conn, Oid type, const char *sql, const unsigned char *value,
		   int len, char *text_out, size_t text_out_len)
{
	static char state[6];
	const char *values[1] = {(const char *) value};
	int			lengths[1] = {len};
	int			formats[1] = {1};
	PGresult   *res = PQexecParams(conn, sql, 1, &type, values, lengths, formats, 0);

	if (PQresultStatus(res) == PGRES_TUPLES_OK || PQresultStatus(res) == PGRES_COMMAND_OK)
	{
		strcpy(state, "00000");
		if (text_out && PQntuples(res) > 0)
			snprintf(text_out, text_out_len, "%s", PQgetvalue(res, 0, 0));
	}
	else
	{
		const char *s = PQresultErrorField(res, PG_DIAG_SQLSTATE);

		snprintf(state, sizeof(state), "%s", s ? s : "?????");
	}
	PQclear(res);
	return state;
}

static void
expect_error(PGconn *conn, Oid type, const char *what, const char *want,
			 const unsigned char *value, int len)
{
	const char *got = run_binary(conn, type, "SELECT $1::text", value, len, NULL, 0);

	TapOk(strcmp(got, want) == 0, "%s gives SQLSTATE %s (got %s)", what, want, got);
}

int
main(void)
{
	PGconn	   *conn = PQconnectdb("");
	PGresult   *res;
	Oid			type;
	unsigned char buf[70000];
	char		text[1024];
	float		x[3] = {1.0f, -2.5f, 0.125f};
	float		nan_x[2] = {1.0f, NAN};
	float		inf_x[2] = {INFINITY, 1.0f};
	float	   *big;
	int			len;

	if (PQstatus(conn) != CONNECTION_OK)
	{
		printf("Bail out! cannot connect: %s", PQerrorMessage(conn));
		return 1;
	}
	res = PQexec(conn, "SELECT 'bxexit.face_embedding'::regtype::oid");
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		printf("Bail out! bxexit is not installed: %s", PQerrorMessage(conn));
		return 1;
	}
	type = (Oid) strtoul(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);

	/* a binary parameter is read correctly, with and without a tag */
	len = encode(buf, 3, "mobilefacenet-v1", 16, 0, x, 3);
	TapOk(strcmp(run_binary(conn, type, "SELECT $1::text", buf, len, text, sizeof(text)), "00000") == 0 &&
		  strcmp(text, "mobilefacenet-v1:[1,-2.5,0.125]") == 0,
		  "tagged binary parameter reads as mobilefacenet-v1:[1,-2.5,0.125]");
	len = encode(buf, 3, "", 0, 0, x, 3);
	TapOk(strcmp(run_binary(conn, type, "SELECT $1::text", buf, len, text, sizeof(text)), "00000") == 0 &&
		  strcmp(text, "[1,-2.5,0.125]") == 0,
		  "untagged binary parameter reads as [1,-2.5,0.125]");

	/* a binary result has the documented layout and round-trips */
	res = PQexecParams(conn, "SELECT 'm1:[1,-2.5,0.125]'::bxexit.face_embedding",
					   0, NULL, NULL, NULL, NULL, 1);
	len = encode(buf, 3, "m1", 2, 0, x, 3);
	TapOk(PQresultStatus(res) == PGRES_TUPLES_OK && PQgetlength(res, 0, 0) == len &&
		  memcmp(PQgetvalue(res, 0, 0), buf, len) == 0,
		  "binary result is uint16 dim, uint8 taglen, 0, tag, big-endian float4s");
	PQclear(res);

	/* 2,048 dimensions through binary and back, compared with the text form */
	big = malloc(sizeof(float) * 2048);
	for (int i = 0; i < 2048; i++)
		big[i] = (float) sin(i * 0.01) * 3.0f;
	len = encode(buf, 2048, "m", 1, 0, big, 2048);
	{
		const char *values[1] = {(const char *) buf};
		int			lengths[1] = {len};
		int			formats[1] = {1};

		res = PQexecParams(conn, "SELECT $1::bxexit.face_embedding::text::bxexit.face_embedding",
						   1, &type, values, lengths, formats, 1);
		TapOk(PQresultStatus(res) == PGRES_TUPLES_OK && PQgetlength(res, 0, 0) == len &&
			  memcmp(PQgetvalue(res, 0, 0), buf, len) == 0,
			  "2,048-d embedding: binary in, text, binary out is bit-identical");
		PQclear(res);
	}
	free(big);

	/* typmod is enforced on binary input */
	res = PQexec(conn, "CREATE TEMP TABLE t3 (e bxexit.face_embedding(3))");
	PQclear(res);
	len = encode(buf, 3, "", 0, 0, x, 3);
	TapOk(strcmp(run_binary(conn, type, "INSERT INTO t3 VALUES ($1)", buf, len, NULL, 0), "00000") == 0,
		  "binary value of the declared dimension is stored");
	len = encode(buf, 2, "", 0, 0, x, 2);
	TapOk(strcmp(run_binary(conn, type, "INSERT INTO t3 VALUES ($1)", buf, len, NULL, 0), "22000") == 0,
		  "binary value of another dimension is refused by the typmod (22000)");

	/* malformed binary values */
	len = encode(buf, 3, "", 0, 1, x, 3);
	expect_error(conn, type, "nonzero reserved byte", "22P03", buf, len);
	len = encode(buf, 0, "", 0, 0, x, 0);
	expect_error(conn, type, "zero dimensions", "22000", buf, len);
	len = encode(buf, 16001, "", 0, 0, x, 0);
	expect_error(conn, type, "16,001 dimensions", "54000", buf, len);
	len = encode(buf, 3, "", 0, 0, x, 2);
	expect_error(conn, type, "fewer elements than dimensions", "22P03", buf, len);
	len = encode(buf, 2, "", 0, 0, x, 3);
	expect_error(conn, type, "trailing bytes after the elements", "22P03", buf, len);
	len = encode(buf, 2, "", 0, 0, nan_x, 2);
	expect_error(conn, type, "a NaN element", "22000", buf, len);
	len = encode(buf, 2, "", 0, 0, inf_x, 2);
	expect_error(conn, type, "an infinite element", "22000", buf, len);
	len = encode(buf, 3, "bad tag", 7, 0, x, 3);
	expect_error(conn, type, "a tag with a space", "22P02", buf, len);
	len = encode(buf, 1, "", 64, 0, x, 0);
	memset(buf + len, 'a', 64);
	memset(buf + len + 64, 0, 4);
	expect_error(conn, type, "a 64-byte tag", "54000", buf, len + 68);
	len = encode(buf, 1, "", 200, 0, x, 1);
	expect_error(conn, type, "a tag longer than the message", "08P01", buf, len);
	expect_error(conn, type, "a 3-byte message", "08P01", buf, 3);
	expect_error(conn, type, "an empty message", "08P01", buf, 0);

	/* the session survived all of it */
	res = PQexec(conn, "SELECT bxexit.bx_l2_distance('[0,0]', '[3,4]')");
	TapOk(PQresultStatus(res) == PGRES_TUPLES_OK && strcmp(PQgetvalue(res, 0, 0), "5") == 0,
		  "the session still computes distances afterwards");
	PQclear(res);

	PQfinish(conn);
	return TapDone();
}
