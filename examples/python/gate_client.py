#!/usr/bin/env python3
"""Example gate application in Python: one photo to bxexit.bx_match().

usage: gate_client.py FLIGHT_ID PHOTO.jpg [--request-id ID] [-d CONNINFO]

The Python twin of examples/gate_client.c (read its comments, and
examples/README.md): the JPEG is read with a size limit, checked to be a
JPEG and sent as a binary parameter (the raw bytes); connecting and
matching have time limits (connect_timeout=10, statement_timeout=5s, both
overridable in CONNINFO); errors are reported with their SQLSTATE.

Prints one line, "match, exit event N" or "no_match: REASON, exit event N".
Exit status: 0 match, 1 no_match (the traveller goes to an officer),
2 error (no decision, or the decision is unknown).

--request-id passes the gate's own id of the request (at most 64
characters, e.g. camera and frame number): a retry with the same id, after
a dropped connection, returns the decision already recorded instead of
recording a second exit event.

Needs psycopg 3 (Debian: python3-psycopg).  The role should be a login
role that is a member of bxexit_gate.
"""

from __future__ import annotations

import argparse
import os
import stat
import sys
from typing import Optional

import psycopg
from psycopg.conninfo import conninfo_to_dict

EXIT_MATCH = 0
EXIT_NO_MATCH = 1
EXIT_ERROR = 2

# the server's default bxexit.max_image_bytes
MAX_PHOTO_BYTES = 20 * 1024 * 1024

# SELECT * and columns by name: a later bxexit with more columns does not
# break the gate.  The casts fix the parameter types.
MATCH_SQL = "SELECT * FROM bxexit.bx_match(%b::bytea, %s::bigint, %s::text)"

# defaults that CONNINFO may override, as in gate_client.c
DEFAULTS = {
    "connect_timeout": "10",
    "options": "-c statement_timeout=5s",
    "application_name": "gate_client.py",
}


class GateError(Exception):
    """No decision: the gate stays closed and the traveller goes to an officer."""


def read_photo(path: str) -> bytes:
    """The whole photo, checked as gate_client.c does before sending it."""
    try:
        with open(path, "rb") as f:
            st = os.fstat(f.fileno())
            if not stat.S_ISREG(st.st_mode):
                raise GateError(f'photo "{path}" is not a regular file')
            if st.st_size == 0:
                raise GateError(f'photo "{path}" is empty')
            if st.st_size > MAX_PHOTO_BYTES:
                raise GateError(f'photo "{path}" is too large: {st.st_size} bytes '
                                f"(at most {MAX_PHOTO_BYTES})")
            data = f.read(MAX_PHOTO_BYTES + 1)
    except OSError as e:
        raise GateError(f'cannot open photo "{path}": {e.strerror}') from e
    if len(data) > MAX_PHOTO_BYTES:
        raise GateError(f'photo "{path}" grew while reading')
    if data[:3] != b"\xff\xd8\xff":
        raise GateError(f'"{path}" is not a JPEG file (no SOI marker)')
    return data


def connect(conninfo: str = "") -> psycopg.Connection:
    """A connection with the gate's time limits unless conninfo sets them."""
    params = dict(DEFAULTS)
    params.update(conninfo_to_dict(conninfo))
    try:
        return psycopg.connect(autocommit=True, **params)
    except psycopg.Error as e:
        raise GateError(f"cannot connect: {e}") from e


def match(conn: psycopg.Connection, flight_id: int, photo: bytes,
          request_id: Optional[str] = None) -> dict:
    """bx_match's row as a dict (decision, reason, exit_event_id, ...).

    Raises GateError when there is no decision.  A prepared statement: a
    gate keeps its connection and calls this once per traveller.
    """
    try:
        cur = conn.execute(MATCH_SQL, [photo, flight_id, request_id], prepare=True)
        rows = cur.fetchall()
        names = [d.name for d in cur.description]
    except psycopg.Error as e:
        if conn.broken:
            raise GateError(f"connection lost during bx_match, the decision is unknown: {e}") from e
        if e.sqlstate is None:
            raise GateError(f"bx_match failed: {e}") from e
        msg = f"bx_match failed: SQLSTATE {e.sqlstate}: {e.diag.message_primary or e}"
        if e.sqlstate == "57014":
            msg += " (time limit reached)"
        if e.diag.message_detail:
            msg += f"\nDETAIL: {e.diag.message_detail}"
        if e.diag.message_hint:
            msg += f"\nHINT: {e.diag.message_hint}"
        raise GateError(msg) from e
    if len(rows) != 1:
        raise GateError(f"bx_match returned {len(rows)} rows, expected 1")
    row = dict(zip(names, rows[0]))
    if row.get("decision") not in ("match", "no_match"):
        raise GateError(f'bx_match returned an unexpected decision "{row.get("decision")}"')
    return row


def decision_line(row: dict) -> str:
    """The one line the C client prints."""
    if row["decision"] == "match":
        line = "match"
    else:
        line = f"no_match: {row.get('reason') or '(no reason)'}"
    if row.get("exit_event_id") is not None:
        line += f", exit event {row['exit_event_id']}"
    return line


def main(argv: Optional[list] = None) -> int:
    p = argparse.ArgumentParser(
        prog="gate_client.py",
        description="send PHOTO.jpg to bxexit.bx_match() for flight FLIGHT_ID; "
                    "exit status 0 match, 1 no_match, 2 error")
    p.add_argument("flight_id", metavar="FLIGHT_ID")
    p.add_argument("photo", metavar="PHOTO.jpg")
    p.add_argument("--request-id", metavar="ID", help="the gate's own request id (at most 64 characters)")
    p.add_argument("-d", "--dbname", metavar="CONNINFO", default="",
                   help="libpq connection string or URI; PG* environment variables fill the rest")
    try:
        args = p.parse_args(argv)
    except SystemExit as e:  # usage errors: exit 2, like the C client (argparse uses 2 too)
        return EXIT_ERROR if e.code else 0

    try:
        try:
            flight_id = int(args.flight_id, 10)
        except ValueError:
            flight_id = 0
        if flight_id <= 0 or flight_id >= 2**63:
            raise GateError(f'flight id "{args.flight_id}" is not a positive integer')
        if args.request_id is not None and not 0 < len(args.request_id) <= 64:
            raise GateError("request id must be 1 to 64 characters")
        photo = read_photo(args.photo)          # no point connecting without one
        with connect(args.dbname) as conn:
            row = match(conn, flight_id, photo, args.request_id)
    except GateError as e:
        print(f"gate_client.py: {e}", file=sys.stderr)
        return EXIT_ERROR
    print(decision_line(row))
    return EXIT_MATCH if row["decision"] == "match" else EXIT_NO_MATCH


if __name__ == "__main__":
    sys.exit(main())
