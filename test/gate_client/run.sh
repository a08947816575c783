#!/usr/bin/env bash
# examples/gate_client against a running cluster with bxexit installed:
# PGHOST, PGPORT, PGDATABASE and a superuser PGUSER name it, the server has
# the face models, and BX_PHOTOS is a directory of photos the server can
# read (scripts/common.sh, bx_stage_photos).  Builds the client, enrols one
# ORL person on a new flight, and checks decisions, exit statuses and the
# records the calls leave, the client logged in as a bxexit_gate member.
# TAP output; "ok - # SKIP" lines without photos or without python3-opencv.
# Leaves the flight, the person and the exit events in the database; drops
# the two login roles it creates.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/test/common/tap.sh" || exit 1
python=${PYTHON:-/usr/bin/python3}
client=$root/examples/gate_client
gate_role=bx_gate_client_test
other_role=bx_gate_client_nogate

if [ -z "${BX_PHOTOS:-}" ] || [ ! -f "$BX_PHOTOS/orl_s1_1.pgm" ]; then
	echo "ok - gate_client # SKIP no face models or photos (BX_PHOTOS)"
	exit 0
fi
if ! "$python" -c 'import cv2' 2>/dev/null; then
	echo "ok - gate_client # SKIP $python cannot import cv2 (python3-opencv) to make a JPEG probe"
	exit 0
fi

sql() { psql -X -qAt -v ON_ERROR_STOP=1 "$@"; }

tmp=$(mktemp -d)
cleanup() {
	sql -c "DROP ROLE IF EXISTS $gate_role" -c "DROP ROLE IF EXISTS $other_role" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT

make -s -C "$root/examples" PG_CONFIG="${PG_CONFIG:-pg_config}" gate_client >"$tmp/make.log" 2>&1
rc=$?
ok $rc "gate_client builds with -Wall -Wextra -Werror"
[ "$rc" -eq 0 ] || { diag <"$tmp/make.log"; done_testing; }

# The mated probe: another photo of the enrolled person, as a JPEG.
"$python" - "$BX_PHOTOS/orl_s1_2.pgm" "$tmp/mated.jpg" <<'PY' || { echo "Bail out! cannot make the JPEG probe"; exit 1; }
import sys, cv2
im = cv2.imread(sys.argv[1], cv2.IMREAD_GRAYSCALE)
sys.exit(0 if im is not None and cv2.imwrite(sys.argv[2], im, [cv2.IMWRITE_JPEG_QUALITY, 90]) else 1)
PY

# One person enrolled from ORL s1 image 1, alone on a new flight; a flight
# id nobody has; a gate role and a role outside bxexit_gate.
setup=$(sql <<SQL
SET client_min_messages = warning;
DROP ROLE IF EXISTS $gate_role;
DROP ROLE IF EXISTS $other_role;
CREATE ROLE $gate_role LOGIN IN ROLE bxexit_gate;
CREATE ROLE $other_role LOGIN;
WITH p AS (
	INSERT INTO bxexit.person (family_name, citizenship) VALUES ('gate_client test', 'XXX')
	RETURNING person_id),
e AS (
	INSERT INTO bxexit.enrollment (person_id, source, captured_at, template)
	SELECT person_id, 'visa', now(),
		   bxexit.bx_embed(pg_read_binary_file('$BX_PHOTOS/orl_s1_1.pgm'), 'largest') FROM p),
f AS (
	INSERT INTO bxexit.flight (carrier, flight_number, departure_airport, arrival_airport, departure_date)
	SELECT 'ZZ', (coalesce(max(flight_number::int), 0) + 1)::text, 'IAD', 'LHR', current_date
	  FROM bxexit.flight WHERE carrier = 'ZZ' AND departure_date = current_date
	RETURNING flight_id),
m AS (
	INSERT INTO bxexit.manifest (flight_id, person_id) SELECT f.flight_id, p.person_id FROM f, p)
SELECT p.person_id || ' ' || f.flight_id FROM p, f;
SELECT coalesce(max(flight_id), 0) + 1000 FROM bxexit.flight;
SQL
)
ok $? "setup: one enrolled person on a new flight, a bxexit_gate login role"
read -r person flight unknown <<<"$(echo $setup)"

# run NAME ARGS...: the client's stdout, stderr and exit status in $tmp
run() {
	local name=$1
	shift
	"$client" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
	echo $? >"$tmp/$name.rc"
}
# expect NAME RC PATTERN FILE DESCRIPTION
expect() {
	local rc
	rc=$(cat "$tmp/$1.rc")
	[ "$rc" = "$2" ] && grep -qE "$3" "$tmp/$1.$4"
	ok $? "$5 (exit $rc: $(head -c 200 "$tmp/$1.$4" | tr '\n' ' '))"
}

run mated -d "user=$gate_role" "$flight" "$tmp/mated.jpg"
expect mated 0 "^match, exit event [0-9]+$" out "mated JPEG: match (no person, no score), exit 0"
run impostor -d "user=$gate_role" "$flight" "$BX_PHOTOS/lfw_1.jpg"
expect impostor 1 "^no_match: below_threshold, exit event [0-9]+$" out "impostor: no_match below_threshold (no score), exit 1"
run unknown -d "user=$gate_role" "$unknown" "$tmp/mated.jpg"
expect unknown 1 "^no_match: unknown_flight" out "unknown flight: no_match unknown_flight, exit 1"
run missing -d "user=$gate_role" "$flight" "$tmp/no-such-photo.jpg"
expect missing 2 'cannot open photo .*No such file' err "missing photo file: exit 2"
run notjpeg -d "user=$gate_role" "$flight" "$BX_PHOTOS/orl_s1_2.pgm"
expect notjpeg 2 'not a JPEG file' err "a PGM instead of a JPEG: exit 2, not sent"
run nogate -d "user=$other_role" "$flight" "$tmp/mated.jpg"
expect nogate 2 'SQLSTATE 42501' err "role outside bxexit_gate: exit 2 with SQLSTATE 42501"
run timeout -d "user=$gate_role options='-c statement_timeout=1'" "$flight" "$tmp/mated.jpg"
expect timeout 2 'SQLSTATE 57014' err "statement_timeout reached: exit 2 with SQLSTATE 57014"

# The two decisions on the flight are recorded, by the gate role, with the
# photo byte for byte (it went as a binary parameter); so is the unknown
# flight; the timed-out call left nothing.
mated_md5=$(md5sum <"$tmp/mated.jpg" | cut -d ' ' -f 1)
lfw_md5=$(md5sum <"$BX_PHOTOS/lfw_1.jpg" | cut -d ' ' -f 1)
got=$(sql -c "SELECT string_agg(decision || ',' || coalesce(person_id::text, '-') || ',' || recorded_by || ','
                                || md5(probe_photo), ' ' ORDER BY exit_event_id)
                FROM bxexit.exit_event WHERE flight_id = $flight")
[ "$got" = "match,$person,$gate_role,$mated_md5 no_match,-,$gate_role,$lfw_md5" ]
ok $? "exit events of the flight: the match (of the enrolled person) and the no_match, by $gate_role, photos intact ($got)"
got=$(sql -c "SELECT count(*) || ',' || count(*) FILTER (WHERE reason = 'unknown_flight' AND flight_id IS NULL)
                FROM bxexit.exit_event WHERE requested_flight_id = $unknown")
[ "$got" = "1,1" ]
ok $? "the unknown flight's request is recorded once, flight_id NULL ($got)"

done_testing
