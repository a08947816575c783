#!/usr/bin/env bash
# Does pg_dump keep the border records?  The records tables are extension
# members registered with pg_extension_config_dump: their rows (less the
# builtin reference rows the install script inserts again) must survive a
# dump and a restore into a new database, and the restored database must
# keep handing out fresh keys.  The gallery's bxann index, created by the
# DBA on an extension table, is not dumped: the README says to re-create it,
# and its statement must work on the restored rows.
#
# Runs against a running cluster named by PGHOST/PGPORT (and PGUSER, a
# superuser), with bxexit installed; prints TAP.  Creates two databases and
# drops them at the end, and the bxexit roles too when it created them.
#
#   PGHOST=/tmp/... PGPORT=54329 PGUSER=postgres bash test/dump_restore.sh
set -uo pipefail
source "$(dirname "$0")/common/tap.sh" || exit 1

: "${PGHOST:?set PGHOST to the cluster to test}" "${PGPORT:?set PGPORT}"
export PGDATABASE=postgres
# PostgreSQL 15 client programs (pg_dump must match the server's major version)
PGBIN=${BX_PGBIN:-/usr/lib/postgresql/15/bin}
[ -x "$PGBIN/pg_dump" ] || PGBIN=$(dirname "$(command -v pg_dump)")

SRC=bxexit_dump_src_$$
DST=bxexit_dump_dst_$$
WORK=$(mktemp -d /tmp/bxexit-dump.XXXXXX)
TABLES=(person travel_document enrollment class_of_admission admission flight manifest
	match_threshold exit_event search_audit)
PSQL=("$PGBIN/psql" -X -q -t -A -v ON_ERROR_STOP=1)

plan 42

# is GOT WANT DESCRIPTION
is() {
	local got=$1 want=$2 desc=$3
	if [ "$got" = "$want" ]; then
		ok 0 "$desc"
	else
		printf 'got:  %s\nwant: %s\n' "$got" "$want" >"$WORK/diag"
		ok 1 "$desc" "$WORK/diag"
	fi
}

# q DB SQL: one value (or lines) from a query; errors go to $WORK/err
q() { "${PSQL[@]}" -d "$1" -c "$2" 2>"$WORK/err"; }

roles_before=$(q postgres "SELECT count(*) FROM pg_roles WHERE rolname IN ('bxexit_gate', 'bxexit_analyst', 'bxexit_admin')")

cleanup() {
	"$PGBIN/dropdb" --if-exists "$SRC" 2>/dev/null
	"$PGBIN/dropdb" --if-exists "$DST" 2>/dev/null
	# the roles belong to the cluster: drop them only if this script made them
	# (and no other database still uses them)
	if [ "${roles_before:-1}" = 0 ]; then
		"${PSQL[@]}" -d postgres -c 'DROP ROLE IF EXISTS bxexit_gate, bxexit_analyst, bxexit_admin' >/dev/null 2>&1
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT

# -------------------------------------------------------------- source

"$PGBIN/createdb" -T template0 "$SRC" 2>"$WORK/err" && q "$SRC" 'CREATE EXTENSION bxexit' >/dev/null
ok $? "source database $SRC created with CREATE EXTENSION bxexit" "$WORK/err"

# A few rows in every table; exit events and audit rows come from the
# search functions, as in production.  Templates are 4-d, tagged with the
# model whose thresholds ship with the extension.
"${PSQL[@]}" --single-transaction -d "$SRC" >/dev/null 2>"$WORK/err" <<'SQL'
INSERT INTO bxexit.person (fin, family_name, given_names, date_of_birth, sex, citizenship, country_of_birth) VALUES
	('DUMPUSA001', 'Able', 'Alice', '1980-02-03', 'F', 'USA', 'USA'),
	('DUMPFRA001', 'Brun', 'Bruno', '1975-06-07', 'M', 'FRA', 'FRA'),
	('DUMPIND001', 'Chandra', 'Chitra', '1990-10-11', 'X', 'IND', 'IND');
INSERT INTO bxexit.travel_document (person_id, document_type, document_number, issuing_country, visa_class, issued_on, expires_on)
SELECT person_id, 'passport', 'P' || fin, citizenship, NULL, '2020-01-01', '2030-01-01' FROM bxexit.person WHERE fin <> 'DUMPUSA001';
INSERT INTO bxexit.enrollment (person_id, source, captured_at, template, quality, photo)
SELECT person_id, 'visa', '2024-01-01 10:00+00',
       bxexit.bx_set_model(CASE fin WHEN 'DUMPUSA001' THEN '[1,0,0,0]' WHEN 'DUMPFRA001' THEN '[0,1,0,0]'
                                    ELSE '[0,0,1,0]' END::bxexit.face_embedding, 'mobilefacenet-v1'),
       0.9, '\xffd8ffe0'::bytea
  FROM bxexit.person;
INSERT INTO bxexit.class_of_admission (code, class_group, description, report_scope, ds_grace_days)
VALUES ('Q1', 'OTHER', 'international cultural exchange visitor (added by the DBA)', true, 0);
INSERT INTO bxexit.admission (admission_number, person_id, class_of_admission, port_of_entry, admitted_on, admit_until)
SELECT 'D0000000001', person_id, 'B2', 'IAD', '2024-05-01', '2024-10-31' FROM bxexit.person WHERE fin = 'DUMPFRA001';
INSERT INTO bxexit.admission (admission_number, person_id, class_of_admission, port_of_entry, admitted_on,
                              duration_of_status, program_end_date)
SELECT 'D0000000002', person_id, 'F1', 'JFK', '2023-08-20', true, '2024-05-15' FROM bxexit.person WHERE fin = 'DUMPIND001';
INSERT INTO bxexit.admission (admission_number, person_id, class_of_admission, port_of_entry, admitted_on, admit_until)
SELECT 'D0000000003', person_id, 'Q1', 'JFK', '2024-03-01', '2024-09-01' FROM bxexit.person WHERE fin = 'DUMPIND001';
INSERT INTO bxexit.flight (carrier, flight_number, departure_airport, arrival_airport, departure_date) VALUES
	('ZZ', '101', 'IAD', 'CDG', '2024-07-01'),
	('ZZ', '202', 'JFK', 'DEL', '2024-07-02');
INSERT INTO bxexit.manifest (flight_id, person_id, document_id)
SELECT f.flight_id, p.person_id, d.document_id
  FROM bxexit.flight f JOIN bxexit.person p ON (f.flight_number = '101') = (p.fin IN ('DUMPUSA001', 'DUMPFRA001'))
  LEFT JOIN bxexit.travel_document d ON d.person_id = p.person_id;
INSERT INTO bxexit.match_threshold (model, purpose, threshold, operating_point, measured_error, method, valid_from)
VALUES ('mobilefacenet-v1', 'identification', 0.5, 'local calibration', 'FPIR 0.002', 'site data', '2024-01-01');
SELECT bxexit.bx_match(bxexit.bx_set_model('[0.1,1,0,0]', 'mobilefacenet-v1'), flight_id) FROM bxexit.flight WHERE flight_number = '101';
SELECT bxexit.bx_match(bxexit.bx_set_model('[0,0,0,1]', 'mobilefacenet-v1'), flight_id) FROM bxexit.flight WHERE flight_number = '202';
SELECT bxexit.bx_verify(bxexit.bx_set_model('[1,0.1,0,0]', 'mobilefacenet-v1'), person_id) FROM bxexit.person WHERE fin = 'DUMPUSA001';
SELECT count(*) FROM bxexit.bx_identify(bxexit.bx_set_model('[0,0,1,0.1]', 'mobilefacenet-v1'), 3);
SELECT bxexit.bx_resolve_exit(x.exit_event_id, p.person_id, 'passport checked')
  FROM bxexit.exit_event x, bxexit.person p WHERE x.decision = 'no_match' AND p.fin = 'DUMPIND001';
SQL
ok $? "rows written in every table (bx_match, bx_verify, bx_identify, bx_resolve_exit)" "$WORK/err"

empty=
for t in "${TABLES[@]}"; do
	case $t in class_of_admission | match_threshold) where=' WHERE NOT builtin' ;; *) where= ;; esac
	rows=$(q "$SRC" "SELECT count(*) FROM bxexit.$t$where")
	# an unreadable table (query error: empty output) counts as empty
	[ -n "$rows" ] && [ "$rows" != 0 ] || empty="$empty $t"
done
is "$empty" "" "every table holds user rows (non-builtin ones in the reference tables) before the dump"

# the gallery index, as the README creates it (4-d here)
GALLERY_INDEX="CREATE INDEX enrollment_template_ann ON bxexit.enrollment
 USING bxann ((template::bxexit.face_embedding(4)) bxexit.face_embedding_cosine_ops)
 WHERE model = 'mobilefacenet-v1'"
q "$SRC" "$GALLERY_INDEX" >/dev/null
ok $? "the gallery's bxann index is created on bxexit.enrollment" "$WORK/err"

# ------------------------------------------------------ dump and restore

"$PGBIN/pg_dump" -Fc -d "$SRC" -f "$WORK/src.dump" 2>"$WORK/err"
ok $? "pg_dump -Fc of $SRC succeeds" "$WORK/err"

"$PGBIN/createdb" -T template0 "$DST" 2>"$WORK/err" &&
	"$PGBIN/pg_restore" --exit-on-error --single-transaction -d "$DST" "$WORK/src.dump" 2>"$WORK/err"
ok $? "pg_restore into a new database $DST succeeds (single transaction, exit on error)" "$WORK/err"

# ------------------------------------------------------- same rows back

for t in "${TABLES[@]}"; do
	# a query error gives empty output: never let two errors compare equal
	src=$(q "$SRC" "SELECT count(*) FROM bxexit.$t")
	dst=$(q "$DST" "SELECT count(*) FROM bxexit.$t")
	is "${dst:-error in restored database}" "${src:-error in source database}" \
		"$t: same row count after restore"
done
for t in "${TABLES[@]}"; do
	sql="SELECT md5(coalesce(string_agg(r::text, E'\n' ORDER BY r::text), '')) FROM bxexit.$t r"
	is "$(q "$DST" "$sql")" "$(q "$SRC" "$sql")" "$t: same rows, column for column, after restore"
done

is "$(q "$DST" "SELECT count(*) FILTER (WHERE builtin) || '/' || count(*) FILTER (WHERE NOT builtin) FROM bxexit.class_of_admission")" \
	"$(q "$SRC" "SELECT count(*) FILTER (WHERE builtin) || '/' || count(*) FILTER (WHERE NOT builtin) FROM bxexit.class_of_admission")" \
	"class_of_admission: builtin rows not duplicated, the DBA's row kept"
is "$(q "$DST" "SELECT count(*) FILTER (WHERE builtin) || '/' || count(*) FILTER (WHERE NOT builtin) FROM bxexit.match_threshold")" \
	"2/1" "match_threshold: the two builtin rows not duplicated, the DBA's row kept"
is "$(q "$DST" "SELECT bxexit.bx_threshold('mobilefacenet-v1', 'identification')")" "0.5" \
	"the DBA's newer threshold is still the one in force after restore"

sql="SELECT md5(string_agg(c.relname || ':' || coalesce(c.relacl::text, '') || ':' ||
                coalesce((SELECT string_agg(a.attname || '=' || a.attacl::text, ',' ORDER BY a.attnum)
                            FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attacl IS NOT NULL), ''),
                ';' ORDER BY c.relname))
       FROM pg_class c WHERE c.relnamespace = 'bxexit'::regnamespace AND c.relkind <> 'i'"
is "$(q "$DST" "$sql")" "$(q "$SRC" "$sql")" "table, view, sequence and column privileges are the same after restore"
sql="SELECT p.oid::regprocedure::text || ':' || coalesce(p.proacl::text, '')
       FROM pg_proc p WHERE p.pronamespace = 'bxexit'::regnamespace ORDER BY 1"
q "$SRC" "$sql" >"$WORK/fn_src"
q "$DST" "$sql" >"$WORK/fn_dst"
diff "$WORK/fn_src" "$WORK/fn_dst" >"$WORK/fn_diff"
ok $? "function privileges are the same after restore" "$WORK/fn_diff"

# ------------------------------------------ fresh keys after the restore

# fresh_key TABLE KEY INSERT-SQL: the new row's key exceeds every restored one
fresh_key() {
	local t=$1 key=$2 sql=$3 max got
	max=$(q "$DST" "SELECT coalesce(max($key), 0) FROM bxexit.$t")
	if got=$(q "$DST" "$sql"); then
		# psql 15 prints the result of every statement of -c: the key is the last line
		got=${got##*$'\n'}
		if [ -n "$got" ] && [ "$got" -gt "$max" ]; then
			ok 0 "$t: a new row after restore gets a fresh $key ($got > $max)"
		else
			echo "new $key '$got' is not above the restored maximum $max" >"$WORK/diag"
			ok 1 "$t: a new row after restore gets a fresh $key" "$WORK/diag"
		fi
	else
		{
			cat "$WORK/err"
			echo "the identity sequence is at $(q "$DST" "SELECT coalesce(last_value::text, 'its start (never called)')
			       FROM pg_sequences WHERE schemaname = 'bxexit' AND sequencename = '${t}_${key}_seq'"), restored rows reach $max"
		} >"$WORK/diag"
		ok 1 "$t: a new row after restore gets a fresh $key" "$WORK/diag"
	fi
}
fresh_key person person_id \
	"INSERT INTO bxexit.person (family_name, citizenship) VALUES ('Dee', 'DEU') RETURNING person_id"
fresh_key travel_document document_id \
	"INSERT INTO bxexit.travel_document (person_id, document_type, document_number, issuing_country)
	 SELECT min(person_id), 'visa', 'V0001', 'USA' FROM bxexit.person RETURNING document_id"
fresh_key enrollment enrollment_id \
	"INSERT INTO bxexit.enrollment (person_id, source, captured_at, template)
	 SELECT min(person_id), 'exit', now(), bxexit.bx_set_model('[1,0,0,0]', 'mobilefacenet-v1') FROM bxexit.person
	 RETURNING enrollment_id"
fresh_key flight flight_id \
	"INSERT INTO bxexit.flight (carrier, flight_number, departure_airport, arrival_airport, departure_date)
	 VALUES ('ZZ', '303', 'IAD', 'LHR', '2024-07-03') RETURNING flight_id"
fresh_key match_threshold threshold_id \
	"INSERT INTO bxexit.match_threshold (model, purpose, threshold, operating_point, method, valid_from)
	 VALUES ('mobilefacenet-v1', 'verification', 0.45, 'local calibration', 'site data', '2024-02-01') RETURNING threshold_id"
fresh_key exit_event exit_event_id \
	"INSERT INTO bxexit.exit_event (requested_flight_id, decision, reason, probe_source) VALUES (-1, 'no_match', 'unknown_flight', 'photo')
	 RETURNING exit_event_id"
# (the audit writer, another session, draws the key: read it afterwards)
fresh_key search_audit audit_id \
	"CREATE TEMP TABLE verified AS
	 SELECT v.decision FROM bxexit.bx_verify(bxexit.bx_set_model('[0,1,0,0]', 'mobilefacenet-v1'),
	                         (SELECT person_id FROM bxexit.person WHERE fin = 'DUMPFRA001')) v;
	 SELECT max(audit_id) FROM bxexit.search_audit"

# the gate's answer names no person: the exit event it recorded does
got=$(q "$DST" "CREATE TEMP TABLE answer AS
                SELECT m.* FROM bxexit.flight f,
                       bxexit.bx_match(bxexit.bx_set_model('[0.1,1,0,0]', 'mobilefacenet-v1'), f.flight_id) m
                 WHERE f.flight_number = '101';
                SELECT a.decision || '/' || p.fin
                  FROM answer a JOIN bxexit.exit_event x USING (exit_event_id)
                  JOIN bxexit.person p ON p.person_id = x.person_id") || got="$(head -n 2 "$WORK/err" | tr '\n' ' ')"
is "$got" "match/DUMPFRA001" "bx_match on the restored database matches from the restored gallery and records the decision"

# pg_dump dumps no index a user created on an extension's table: the README
# (Running in production) says to re-create the gallery index after a restore
is "$(q "$DST" "SELECT count(*) FROM pg_class WHERE relname = 'enrollment_template_ann'")" 0 \
	"the restored database has no gallery index (pg_dump does not keep an index on an extension's table)"
q "$DST" "$GALLERY_INDEX" >/dev/null &&
	got=$(q "$DST" "SELECT string_agg(e.person_id::text, ',' ORDER BY e.template::bxexit.face_embedding(4) OPERATOR(bxexit.<=>) '[0,1,0,0]')
	                  FROM bxexit.enrollment e WHERE e.model = 'mobilefacenet-v1'")
is "${got%%,*}" "$(q "$DST" "SELECT person_id FROM bxexit.person WHERE fin = 'DUMPFRA001'")" \
	"re-created with the README's statement, the gallery index builds on the restored rows and the nearest template is found"

# --------------------------------------------------------------- cleanup

"$PGBIN/dropdb" "$SRC" 2>"$WORK/err" && "$PGBIN/dropdb" "$DST" 2>>"$WORK/err"
ok $? "both databases dropped" "$WORK/err"

done_testing
