/*
 * gate_client.c
 *	  Example gate application: send one traveller photo to
 *	  bxexit.bx_match() and act on the decision.
 *
 * usage: gate_client [-d CONNINFO] FLIGHT_ID PHOTO.jpg
 *
 * A biometric exit gate photographs each boarding traveller and asks the
 * database whether the face is that of someone on the flight's manifest.
 * This program makes one such request the way a gate application should:
 *
 * - the photo is read with a size limit and sent as a binary parameter:
 *	 the raw JPEG bytes, not bytea text escaping (which doubles the bytes on
 *	 the wire and costs an encode and a decode);
 * - the statement is prepared: a real gate keeps its connection open and
 *	 executes the prepared statement once per traveller;
 * - connecting and matching have time limits (connect_timeout,
 *	 statement_timeout), so a stuck network or server becomes an error the
 *	 gate handles instead of a frozen boarding queue;
 * - errors are reported with their SQLSTATE, the part a program can test.
 *
 * Exit status: 0 match, 1 no_match (the traveller goes to an officer),
 * 2 error (no decision, or the decision is unknown).
 *
 * Connection parameters come from CONNINFO (a libpq connection string or
 * URI) and the usual PG* environment variables.  The role should be a
 * login role that is a member of bxexit_gate, which may call bx_match and
 * nothing else.  Build with "make -C examples"; see examples/README.md.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libpq-fe.h>

#define EXIT_MATCH		0
#define EXIT_NO_MATCH	1
#define EXIT_ERROR		2

/*
 * Largest photo we send: the server's default bxexit.max_image_bytes.  A
 * gate camera's JPEG is a few hundred kB; anything near this size is a
 * misconfigured camera, and refusing it here saves the upload.
 */
#define MAX_PHOTO_BYTES (20 * 1024 * 1024)

/*
 * SELECT * and columns looked up by name below: a later bxexit that adds
 * output columns does not break the gate.  The casts fix the parameter
 * types, so PQprepare needs no type OIDs.
 */
#define MATCH_SQL "SELECT * FROM bxexit.bx_match($1::bytea, $2::bigint)"

static void fail(const char *fmt,...) __attribute__((format(printf, 1, 2), noreturn));

/* Print an error and exit with EXIT_ERROR: no decision was made. */
static void
fail(const char *fmt,...)
{
	va_list		ap;
	char		msg[2048];
	size_t		len;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* libpq's messages end with a newline of their own */
	len = strlen(msg);
	while (len > 0 && msg[len - 1] == '\n')
		msg[--len] = '\0';
	fprintf(stderr, "gate_client: %s\n", msg);
	exit(EXIT_ERROR);
}

/*
 * Read the whole photo into malloc'd memory.  Checked before reading: a
 * regular file (not a pipe or a device that never ends), not empty, within
 * MAX_PHOTO_BYTES; after: it starts with a JPEG SOI marker, so a wrong
 * file is a clear local error rather than a no_match recorded against a
 * traveller.
 */
static unsigned char *
read_photo(const char *path, size_t *len)
{
	FILE	   *f;
	struct stat st;
	unsigned char *buf;
	size_t		size;

	f = fopen(path, "rb");
	if (f == NULL)
		fail("cannot open photo \"%s\": %s", path, strerror(errno));
	if (fstat(fileno(f), &st) != 0)
		fail("cannot stat photo \"%s\": %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		fail("photo \"%s\" is not a regular file", path);
	if (st.st_size == 0)
		fail("photo \"%s\" is empty", path);
	if (st.st_size > MAX_PHOTO_BYTES)
		fail("photo \"%s\" is too large: %lld bytes (at most %d)",
			 path, (long long) st.st_size, MAX_PHOTO_BYTES);

	size = (size_t) st.st_size;
	buf = malloc(size);
	if (buf == NULL)
		fail("out of memory reading \"%s\"", path);
	if (fread(buf, 1, size, f) != size)
		fail("cannot read photo \"%s\": %s", path,
			 ferror(f) ? strerror(errno) : "file shrank while reading");
	fclose(f);

	if (size < 3 || buf[0] != 0xFF || buf[1] != 0xD8 || buf[2] != 0xFF)
		fail("\"%s\" is not a JPEG file (no SOI marker)", path);
	*len = size;
	return buf;
}

/*
 * Report a failed statement and exit.  A lost connection is told apart
 * from an SQL error: after a lost connection the server may or may not
 * have committed the decision, so the gate must not assume either.
 */
static void
fail_result(PGconn *conn, PGresult *res, const char *what)
{
	const char *sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
	const char *hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);

	if (PQstatus(conn) == CONNECTION_BAD)
		fail("connection lost during %s, the decision is unknown: %s",
			 what, PQerrorMessage(conn));
	if (sqlstate == NULL)		/* a client-side failure: no SQLSTATE */
		fail("%s failed: %s", what, PQerrorMessage(conn));

	/* 57014 is query_canceled, here most likely statement_timeout */
	fprintf(stderr, "gate_client: %s failed: SQLSTATE %s: %s%s\n", what, sqlstate,
			primary ? primary : PQresultErrorMessage(res),
			strcmp(sqlstate, "57014") == 0 ? " (time limit reached)" : "");
	if (detail)
		fprintf(stderr, "DETAIL: %s\n", detail);
	if (hint)
		fprintf(stderr, "HINT: %s\n", hint);
	exit(EXIT_ERROR);
}

/* Value of column "name" of row 0, or NULL when it is SQL NULL or absent. */
static const char *
column(PGresult *res, const char *name)
{
	int			col = PQfnumber(res, name);

	if (col < 0 || PQgetisnull(res, 0, col))
		return NULL;
	return PQgetvalue(res, 0, col);
}

/* Print ", label value" when the column is not NULL. */
static void
print_field(PGresult *res, const char *name, const char *label)
{
	const char *v = column(res, name);

	if (v != NULL)
		printf(", %s %s", label, v);
}

static void
usage(void)
{
	fprintf(stderr,
			"usage: gate_client [-d CONNINFO] FLIGHT_ID PHOTO.jpg\n"
			"  sends PHOTO.jpg to bxexit.bx_match() for flight FLIGHT_ID;\n"
			"  exit status 0 match, 1 no_match, 2 error\n");
	exit(EXIT_ERROR);
}

int
main(int argc, char **argv)
{
	const char *conninfo = NULL;
	const char *flight_arg;
	const char *photo_path;
	long long	flight_id;
	char		flight_text[32];
	char	   *end;
	unsigned char *photo;
	size_t		photo_len;
	PGconn	   *conn;
	PGresult   *res;
	const char *decision;
	int			argi = 1;
	int			status;

	if (argi + 1 < argc && strcmp(argv[argi], "-d") == 0)
	{
		conninfo = argv[argi + 1];
		argi += 2;
	}
	if (argc - argi != 2 || argv[argi][0] == '-')
		usage();
	flight_arg = argv[argi];
	photo_path = argv[argi + 1];

	errno = 0;
	flight_id = strtoll(flight_arg, &end, 10);
	if (errno != 0 || end == flight_arg || *end != '\0' || flight_id <= 0)
		fail("flight id \"%s\" is not a positive integer", flight_arg);
	snprintf(flight_text, sizeof(flight_text), "%lld", flight_id);

	/* Read the photo first: no point connecting without one. */
	photo = read_photo(photo_path, &photo_len);

	/*
	 * Defaults come before "dbname", which expands CONNINFO: whatever
	 * CONNINFO sets (connect_timeout, options, ...) wins over them.  The
	 * statement timeout bounds a bx_match (tens of milliseconds normally)
	 * so an overloaded server cannot hold the queue; tune it to the gate.
	 */
	{
		const char *const keywords[] = {
			"connect_timeout", "options", "application_name", "dbname", NULL
		};
		const char *const values[] = {
			"10", "-c statement_timeout=5s", "gate_client", conninfo, NULL
		};

		conn = PQconnectdbParams(keywords, values, 1);
	}
	if (PQstatus(conn) != CONNECTION_OK)
		fail("cannot connect: %s", PQerrorMessage(conn));

	res = PQprepare(conn, "bx_match", MATCH_SQL, 2, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		fail_result(conn, res, "PREPARE");
	PQclear(res);

	/* Photo as binary (format 1): the raw bytes; flight id as text. */
	{
		const char *values[2] = {(const char *) photo, flight_text};
		int			lengths[2] = {(int) photo_len, 0};
		int			formats[2] = {1, 0};

		res = PQexecPrepared(conn, "bx_match", 2, values, lengths, formats, 0);
	}
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		fail_result(conn, res, "bx_match");
	if (PQntuples(res) != 1)
		fail("bx_match returned %d rows, expected 1", PQntuples(res));

	/*
	 * The decision is already recorded as an exit event (autocommit): what
	 * is left is telling the gate what to do.
	 */
	decision = column(res, "decision");
	if (decision != NULL && strcmp(decision, "match") == 0)
	{
		/*
		 * Open the gate.  Who matched, and the score, stay in the exit
		 * event for officers: a gate that learned scores could climb
		 * towards somebody else's template.
		 */
		printf("match");
		status = EXIT_MATCH;
	}
	else if (decision != NULL && strcmp(decision, "no_match") == 0)
	{
		/*
		 * Keep the gate closed and send the traveller to an officer.  The
		 * reason says why: below_threshold (not recognised); no_face,
		 * face_too_small, poor_quality, invalid_image, image_too_large (the
		 * photo: retake it); unknown_flight, nobody_enrolled (the gate's setup);
		 * rate_limited (too many no-matches from this gate on the flight:
		 * bx_match no longer looks at its photos, call an officer).
		 */
		const char *reason = column(res, "reason");

		printf("no_match: %s", reason ? reason : "(no reason)");
		status = EXIT_NO_MATCH;
	}
	else
		fail("bx_match returned an unexpected decision \"%s\"",
			 decision ? decision : "(null)");

	print_field(res, "exit_event_id", "exit event");
	printf("\n");

	PQclear(res);
	PQfinish(conn);
	free(photo);
	return status;
}
