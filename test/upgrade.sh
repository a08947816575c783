#!/usr/bin/env bash
# Does ALTER EXTENSION bxexit UPDATE give what a fresh install gives?
# Database A installs the released 0.1.0 and fills the border records as
# production would (people, documents, enrollments, flights, manifests,
# gate decisions matched and not, an officer's resolution, 1:1 and 1:N
# searches, admissions), then updates to the default version.  Database B
# installs that version fresh.  Every extension member of A and B is
# described in a normalised text (no OIDs) and the two must be identical;
# A must keep its rows and give the same reports after the update, and the
# rows written by 0.1.0 must satisfy the new constraints.  The comparison is
# shown able to fail: a changed comment, volatility or domain constraint in
# A must make the descriptions differ.  A third database shows that an
# update refuses rows the new constraints reject, leaving 0.1.0 in place.
# A fourth runs the engine parts of the install script alone.
#
# Runs against a running cluster named by PGHOST/PGPORT (and PGUSER, a
# superuser) with the 0.1.0 script, the upgrade script and the new full
# script installed; prints TAP.  Creates four databases and drops them at
# the end, and the bxexit roles too when it created them.
#
#   PGHOST=/tmp/... PGPORT=54329 PGUSER=postgres bash test/upgrade.sh
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

: "${PGHOST:?set PGHOST to the cluster to test}" "${PGPORT:?set PGPORT}"
export PGDATABASE=postgres
PGBIN=${BX_PGBIN:-/usr/lib/postgresql/15/bin}
[ -x "$PGBIN/psql" ] || PGBIN=$(dirname "$(command -v psql)")

OLD=0.1.0
DBA=bxexit_upgrade_a_$$
DBB=bxexit_upgrade_b_$$
DBC=bxexit_upgrade_c_$$
DBD=bxexit_upgrade_d_$$
WORK=$(mktemp -d /tmp/bxexit-upgrade.XXXXXX)
TABLES=(person travel_document enrollment class_of_admission admission flight manifest
	match_threshold exit_event search_audit)
PSQL=("$PGBIN/psql" -X -q -t -A -v ON_ERROR_STOP=1)
PLAN=33

n=0
failed=0
echo "1..$PLAN"

# report EXIT-STATUS DESCRIPTION [DIAGNOSTIC-FILE]: one TAP line, 0 is ok
report() {
	local rc=$1 desc=$2 diag=${3:-}
	n=$((n + 1))
	if [ "$rc" -eq 0 ]; then
		echo "ok $n - $desc"
	else
		failed=$((failed + 1))
		echo "not ok $n - $desc"
		[ -n "$diag" ] && [ -s "$diag" ] && sed 's/^/# /' "$diag" | head -n 60
	fi
	return 0
}

# is GOT WANT DESCRIPTION
is() {
	local got=$1 want=$2 desc=$3
	if [ "$got" = "$want" ]; then
		report 0 "$desc"
	else
		printf 'got:  %s\nwant: %s\n' "$got" "$want" >"$WORK/diag"
		report 1 "$desc" "$WORK/diag"
	fi
}

# q DB SQL: one value (or lines) from a query; errors go to $WORK/err
q() { "${PSQL[@]}" -d "$1" -c "$2" 2>"$WORK/err"; }

# same_files A B DESCRIPTION: both files non-empty and identical (diff shown)
same_files() {
	if [ -s "$1" ] && [ -s "$2" ] && diff -u "$1" "$2" >"$WORK/diag" 2>&1; then
		report 0 "$3"
	else
		[ -s "$1" ] && [ -s "$2" ] || { echo "a file is empty (query failed?)"; cat "$WORK/err"; } >>"$WORK/diag"
		report 1 "$3" "$WORK/diag"
	fi
}

roles_before=$(q postgres "SELECT count(*) FROM pg_roles WHERE rolname IN ('bxexit_gate', 'bxexit_analyst', 'bxexit_admin')")

cleanup() {
	local db
	for db in "$DBA" "$DBB" "$DBC" "$DBD"; do
		"$PGBIN/dropdb" --if-exists "$db" 2>/dev/null
	done
	if [ "${roles_before:-1}" = 0 ]; then
		"${PSQL[@]}" -d postgres -c 'DROP ROLE IF EXISTS bxexit_gate, bxexit_analyst, bxexit_admin' >/dev/null 2>&1
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT

# ------------------------------------------------ the catalog description

# One line per fact about an extension member, without OIDs, sorted: the
# members themselves (pg_describe_object) with their comments; functions
# with arguments, result, language, source or symbol and library, labels,
# settings, privileges and their full definition; relations with columns,
# defaults, constraints, indexes, options and privileges (columns' too);
# views with their definition; sequences with their parameters; types and
# domains with their constraints; operators, operator classes and
# families with their members; casts; the access method; aggregates; and
# the extension's config-dump registrations, version and schema privileges.
cat >"$WORK/describe.sql" <<'SQL'
WITH ext AS (SELECT e.* FROM pg_extension e WHERE e.extname = 'bxexit'),
m AS (SELECT d.classid, d.objid, d.objsubid
        FROM pg_depend d, ext
       WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = ext.oid AND d.deptype = 'e'),
rel AS (SELECT c.* FROM pg_class c JOIN m ON m.classid = 'pg_class'::regclass AND m.objid = c.oid),
fn AS (SELECT p.* FROM pg_proc p JOIN m ON m.classid = 'pg_proc'::regclass AND m.objid = p.oid),
typ AS (SELECT t.* FROM pg_type t JOIN m ON m.classid = 'pg_type'::regclass AND m.objid = t.oid),
fam AS (SELECT f.* FROM pg_opfamily f JOIN m ON m.classid = 'pg_opfamily'::regclass AND m.objid = f.oid)
SELECT l FROM (SELECT regexp_replace(line, '\s*\n\s*', ' ', 'g') AS l FROM (
	SELECT 'member ' || pg_describe_object(m.classid, m.objid, m.objsubid)
	       || coalesce(' comment=' || quote_literal(d.description), '') AS line
	  FROM m LEFT JOIN pg_description d
	    ON d.classoid = m.classid AND d.objoid = m.objid AND d.objsubid = m.objsubid
	UNION ALL
	SELECT format('function %s args=(%s) result=%s lang=%s prosrc=%s probin=%s volatile=%s strict=%s parallel=%s secdef=%s leakproof=%s cost=%s rows=%s config=%s acl=%s owner=%s',
	              p.oid::regprocedure, pg_get_function_arguments(p.oid), pg_get_function_result(p.oid),
	              l.lanname, md5(p.prosrc), p.probin, p.provolatile, p.proisstrict, p.proparallel,
	              p.prosecdef, p.proleakproof, p.procost, p.prorows, p.proconfig, p.proacl,
	              pg_get_userbyid(p.proowner))
	  FROM fn p JOIN pg_language l ON l.oid = p.prolang
	UNION ALL
	SELECT format('function %s definition md5=%s', p.oid::regprocedure,
	              md5(CASE WHEN p.prokind IN ('f', 'p') THEN pg_get_functiondef(p.oid) ELSE '' END))
	  FROM fn p
	UNION ALL
	SELECT format('relation %s kind=%s persistence=%s options=%s acl=%s owner=%s rls=%s',
	              c.oid::regclass, c.relkind, c.relpersistence, c.reloptions, c.relacl,
	              pg_get_userbyid(c.relowner), c.relrowsecurity)
	  FROM rel c
	UNION ALL
	SELECT format('column %s.%s type=%s notnull=%s default=%s identity=%s generated=%s collation=%s acl=%s comment=%s',
	              c.oid::regclass, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
	              pg_get_expr(ad.adbin, ad.adrelid), a.attidentity, a.attgenerated,
	              a.attcollation::regcollation, a.attacl, quote_literal(col_description(c.oid, a.attnum)))
	  FROM rel c
	  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
	  LEFT JOIN pg_attrdef ad ON ad.adrelid = c.oid AND ad.adnum = a.attnum
	UNION ALL
	SELECT format('constraint %s on %s: %s deferrable=%s validated=%s',
	              k.conname, c.oid::regclass, pg_get_constraintdef(k.oid), k.condeferrable, k.convalidated)
	  FROM rel c JOIN pg_constraint k ON k.conrelid = c.oid
	UNION ALL
	SELECT format('index %s: %s', i.indexrelid::regclass, pg_get_indexdef(i.indexrelid))
	  FROM rel c JOIN pg_index i ON i.indrelid = c.oid
	UNION ALL
	SELECT format('view %s: %s', c.oid::regclass, pg_get_viewdef(c.oid))
	  FROM rel c WHERE c.relkind IN ('v', 'm')
	UNION ALL
	SELECT format('sequence %s type=%s start=%s increment=%s min=%s max=%s cache=%s cycle=%s',
	              c.oid::regclass, s.seqtypid::regtype, s.seqstart, s.seqincrement, s.seqmin, s.seqmax,
	              s.seqcache, s.seqcycle)
	  FROM rel c JOIN pg_sequence s ON s.seqrelid = c.oid
	UNION ALL
	SELECT format('type %s typtype=%s len=%s byval=%s align=%s storage=%s base=%s notnull=%s default=%s collation=%s in=%s out=%s recv=%s send=%s typmodin=%s typmodout=%s category=%s acl=%s',
	              t.oid::regtype, t.typtype, t.typlen, t.typbyval, t.typalign, t.typstorage,
	              format_type(t.typbasetype, t.typtypmod), t.typnotnull, t.typdefault,
	              t.typcollation::regcollation, t.typinput, t.typoutput, t.typreceive, t.typsend,
	              t.typmodin, t.typmodout, t.typcategory, t.typacl)
	  FROM typ t
	UNION ALL
	SELECT format('domain constraint %s on %s: %s validated=%s', k.conname, t.oid::regtype,
	              pg_get_constraintdef(k.oid), k.convalidated)
	  FROM typ t JOIN pg_constraint k ON k.contypid = t.oid
	UNION ALL
	SELECT format('operator %s result=%s code=%s commutator=%s negator=%s restrict=%s join=%s merges=%s hashes=%s',
	              o.oid::regoperator, o.oprresult::regtype, o.oprcode, o.oprcom::regoperator,
	              o.oprnegate::regoperator, o.oprrest, o.oprjoin, o.oprcanmerge, o.oprcanhash)
	  FROM pg_operator o JOIN m ON m.classid = 'pg_operator'::regclass AND m.objid = o.oid
	UNION ALL
	SELECT format('opclass %s using %s for %s default=%s keytype=%s family=%s',
	              oc.opcname, am.amname, oc.opcintype::regtype, oc.opcdefault, oc.opckeytype::regtype,
	              f.opfname)
	  FROM pg_opclass oc JOIN m ON m.classid = 'pg_opclass'::regclass AND m.objid = oc.oid
	  JOIN pg_am am ON am.oid = oc.opcmethod JOIN pg_opfamily f ON f.oid = oc.opcfamily
	UNION ALL
	SELECT format('opfamily %s using %s: operator %s %s purpose=%s sortfamily=%s',
	              f.opfname, am.amname, ao.amopstrategy, ao.amopopr::regoperator, ao.amoppurpose,
	              (SELECT sf.opfname FROM pg_opfamily sf WHERE sf.oid = ao.amopsortfamily))
	  FROM fam f JOIN pg_am am ON am.oid = f.opfmethod JOIN pg_amop ao ON ao.amopfamily = f.oid
	UNION ALL
	SELECT format('opfamily %s using %s: function %s (%s,%s) %s',
	              f.opfname, am.amname, ap.amprocnum, ap.amproclefttype::regtype,
	              ap.amprocrighttype::regtype, ap.amproc::regprocedure)
	  FROM fam f JOIN pg_am am ON am.oid = f.opfmethod JOIN pg_amproc ap ON ap.amprocfamily = f.oid
	UNION ALL
	SELECT format('cast %s -> %s function=%s context=%s method=%s',
	              c.castsource::regtype, c.casttarget::regtype, c.castfunc::regprocedure,
	              c.castcontext, c.castmethod)
	  FROM pg_cast c JOIN m ON m.classid = 'pg_cast'::regclass AND m.objid = c.oid
	UNION ALL
	SELECT format('access method %s type=%s handler=%s', a.amname, a.amtype, a.amhandler::regprocedure)
	  FROM pg_am a JOIN m ON m.classid = 'pg_am'::regclass AND m.objid = a.oid
	UNION ALL
	SELECT format('aggregate %s kind=%s trans=%s final=%s combine=%s serial=%s deserial=%s stype=%s sspace=%s finalmodify=%s init=%s',
	              g.aggfnoid::regprocedure, g.aggkind, g.aggtransfn, g.aggfinalfn, g.aggcombinefn,
	              g.aggserialfn, g.aggdeserialfn, g.aggtranstype::regtype, g.aggtransspace,
	              g.aggfinalmodify, g.agginitval)
	  FROM pg_aggregate g JOIN fn p ON p.oid = g.aggfnoid
	UNION ALL
	-- each dumped table with its condition, by name: the order of
	-- registration means nothing (an update registers new tables last)
	SELECT format('extension %s version=%s schema=%s relocatable=%s config=%s schema_acl=%s',
	              e.extname, e.extversion, e.extnamespace::regnamespace, e.extrelocatable,
	              (SELECT array_agg(c::regclass::text || ' ' || quote_literal(e.extcondition[o])
	                                ORDER BY c::regclass::text)
	                 FROM unnest(e.extconfig) WITH ORDINALITY u(c, o)),
	              (SELECT nspacl FROM pg_namespace WHERE oid = e.extnamespace))
	  FROM ext e
) lines) normalised
ORDER BY l COLLATE "C";
SQL

# describe DB FILE: the description of DB's bxexit into FILE
describe() { "${PSQL[@]}" -d "$1" -f "$WORK/describe.sql" >"$2" 2>"$WORK/err"; }

# ------------------------------------------------- A: 0.1.0 with records

"$PGBIN/createdb" -T template0 "$DBA" 2>"$WORK/err" &&
	q "$DBA" "CREATE EXTENSION bxexit VERSION '$OLD'" >/dev/null
report $? "database A created with CREATE EXTENSION bxexit VERSION '$OLD'" "$WORK/err"

# Templates are 128-d unit vectors of mobilefacenet-v1 whose scores are
# known in advance (sql/include/template.sql).  The searches' output goes
# to a file: the same calls after the update must give the same rows.
# bx_match tells the gate less in 0.2.0 (no person, score or gallery size):
# its rows here are the columns both versions return, and the person,
# score and gallery size are compared in the exit events it writes.
cat >"$WORK/searches.sql" <<'SQL'
SELECT 'match', m.decision, m.reason
  FROM bxexit.flight f, bxexit.bx_match(pg_temp.v(2, 9, 0.9), f.flight_id) m WHERE f.flight_number = '101';
SELECT 'match', m.decision, m.reason
  FROM bxexit.flight f, bxexit.bx_match(pg_temp.v(7), f.flight_id) m WHERE f.flight_number = '202';
SELECT 'match', m.decision, m.reason FROM bxexit.bx_match(NULL::bytea, -1) m;
SELECT 'match', m.decision, m.reason
  FROM bxexit.flight f, bxexit.bx_match(NULL::bytea, f.flight_id) m WHERE f.flight_number = '101';
SELECT 'match', m.decision, m.reason
  FROM bxexit.flight f, bxexit.bx_match(NULL::bxexit.face_embedding, f.flight_id) m WHERE f.flight_number = '202';
SELECT 'match', m.decision, m.reason
  FROM bxexit.flight f, bxexit.bx_match(pg_temp.v(1), f.flight_id) m WHERE f.flight_number = '303';
SELECT 'verify', v.decision, round(v.score::numeric, 3), v.templates, v.reason
  FROM bxexit.person p, bxexit.bx_verify(pg_temp.v(1, 5, 0.95), p.person_id) v WHERE p.fin = 'UPGUSA0001';
SELECT 'verify', v.decision, round(v.score::numeric, 3), v.templates, v.reason
  FROM bxexit.person p, bxexit.bx_verify(pg_temp.v(6), p.person_id) v WHERE p.fin = 'UPGUSA0001';
SELECT 'verify', v.decision, v.templates, v.reason
  FROM bxexit.person p, bxexit.bx_verify(pg_temp.v(1), p.person_id) v WHERE p.fin = 'UPGDEU0001';
SELECT 'verify', v.decision, v.templates, v.reason FROM bxexit.bx_verify(pg_temp.v(1), -5) v;
SELECT 'identify', i.rank, p.fin, round(i.score::numeric, 3), i.above_threshold
  FROM bxexit.bx_identify(pg_temp.v(3, 1, 0.8), 2) i JOIN bxexit.person p USING (person_id) ORDER BY i.rank;
SELECT 'identify', count(*) FROM bxexit.bx_identify(pg_temp.v(9), 3);
SQL
# the rows the searches wrote, less keys and clock times
cat >"$WORK/written.sql" <<'SQL'
SELECT 'exit_event', x.requested_flight_id = f.flight_id, f.flight_number, x.decision, x.reason, p.fin,
       round(x.score::numeric, 3), round(x.runner_up_score::numeric, 3), x.threshold, x.model,
       x.gallery_size, x.recorded_by, x.probe_template IS NOT NULL, x.probe_photo IS NOT NULL
  FROM bxexit.exit_event x LEFT JOIN bxexit.flight f ON f.flight_id = x.flight_id
  LEFT JOIN bxexit.person p ON p.person_id = x.person_id
 WHERE x.exit_event_id > :lo_event AND x.exit_event_id <= :hi_event ORDER BY x.exit_event_id;
SELECT 'search_audit', a.searched_by, a.searched_as, a.search, a.model, f.flight_number, c.fin, a.k,
       a.gallery_size, a.candidates, t.fin, round(a.top_score::numeric, 3), a.outcome,
       a.exit_event_id IS NOT NULL
  FROM bxexit.search_audit a LEFT JOIN bxexit.flight f ON f.flight_id = a.flight_id
  LEFT JOIN bxexit.person c ON c.person_id = a.claimed_person_id
  LEFT JOIN bxexit.person t ON t.person_id = a.top_person_id
 WHERE a.audit_id > :lo_audit AND a.audit_id <= :hi_audit ORDER BY a.audit_id;
SQL

"${PSQL[@]}" --single-transaction -d "$DBA" >/dev/null 2>"$WORK/err" <<'SQL'
INSERT INTO bxexit.person (fin, family_name, given_names, date_of_birth, sex, citizenship, country_of_birth) VALUES
	('UPGUSA0001', 'Able', 'Alice', '1980-02-03', 'F', 'USA', 'USA'),
	('UPGFRA0001', 'Brun', 'Bruno', '1975-06-07', 'M', 'FRA', 'FRA'),
	('UPGIND0001', 'Chandra', 'Chitra', '1990-10-11', 'X', 'IND', 'IND'),
	('UPGDEU0001', 'Dorn', 'Dieter', '1968-12-24', 'M', 'DEU', 'DEU');
INSERT INTO bxexit.travel_document (person_id, document_type, document_number, issuing_country, issued_on, expires_on)
SELECT person_id, 'passport', 'P' || fin, citizenship, '2020-01-01', '2030-01-01' FROM bxexit.person;
INSERT INTO bxexit.admission (admission_number, person_id, class_of_admission, port_of_entry, admitted_on, admit_until)
SELECT 'U0000000001', person_id, 'B2', 'IAD', '2024-05-01', '2024-06-25' FROM bxexit.person WHERE fin = 'UPGFRA0001';
INSERT INTO bxexit.admission (admission_number, person_id, class_of_admission, port_of_entry, admitted_on,
                              duration_of_status, program_end_date)
SELECT 'U0000000002', person_id, 'F1', 'JFK', '2023-08-20', true, '2024-05-15' FROM bxexit.person WHERE fin = 'UPGIND0001';
INSERT INTO bxexit.admission (admission_number, person_id, class_of_admission, port_of_entry, admitted_on, admit_until)
SELECT 'U0000000003', person_id, 'WT', 'ORD', '2024-04-01', '2024-06-29' FROM bxexit.person WHERE fin = 'UPGDEU0001';
INSERT INTO bxexit.flight (carrier, flight_number, departure_airport, arrival_airport, departure_date) VALUES
	('ZZ', '101', 'IAD', 'CDG', '2024-07-01'),
	('ZZ', '202', 'JFK', 'DEL', '2024-07-02'),
	('ZZ', '303', 'ORD', 'FRA', '2024-07-03');
INSERT INTO bxexit.manifest (flight_id, person_id, document_id)
SELECT f.flight_id, p.person_id, d.document_id
  FROM bxexit.flight f JOIN bxexit.person p
    ON (f.flight_number, p.fin) IN (('101', 'UPGUSA0001'), ('101', 'UPGFRA0001'), ('202', 'UPGIND0001'),
                                    ('303', 'UPGDEU0001'))
  JOIN bxexit.travel_document d ON d.person_id = p.person_id;
SQL
report $? "A: people, documents, admissions, flights and manifests written under $OLD" "$WORK/err"

# enrollments: Alice 1 and 5, Bruno 2, Chitra 3; Dieter has none
{
	cat sql/include/template.sql
	cat <<'SQL'
INSERT INTO bxexit.enrollment (person_id, source, captured_at, template, quality, photo)
SELECT p.person_id, s.source, '2024-01-01 10:00+00', pg_temp.v(s.axis), 0.9, '\xffd8ffe0'::bytea
  FROM bxexit.person p
  JOIN (VALUES ('UPGUSA0001', 1, 'passport'), ('UPGUSA0001', 5, 'entry'), ('UPGFRA0001', 2, 'visa'),
               ('UPGIND0001', 3, 'visa')) s(fin, axis, source) ON s.fin = p.fin;
SQL
} | "${PSQL[@]}" --single-transaction -d "$DBA" >/dev/null 2>"$WORK/err"
report $? "A: enrollments from synthetic 128-d templates written under $OLD" "$WORK/err"

# gate decisions, searches and one officer resolution under 0.1.0
{
	cat sql/include/template.sql
	cat "$WORK/searches.sql"
} | "${PSQL[@]}" -d "$DBA" >"$WORK/searches_before" 2>"$WORK/err" &&
	q "$DBA" "SELECT bxexit.bx_resolve_exit(x.exit_event_id, p.person_id, 'passport checked')
	            FROM bxexit.exit_event x JOIN bxexit.flight f ON f.flight_id = x.flight_id, bxexit.person p
	           WHERE x.reason = 'below_threshold' AND f.flight_number = '202' AND p.fin = 'UPGIND0001'" >/dev/null
report $? "A: bx_match (match and no-match), bx_verify, bx_identify and bx_resolve_exit run under $OLD" "$WORK/err"

is "$(q "$DBA" "SELECT string_agg(DISTINCT decision || ':' || coalesce(reason, '-'), ' ' ORDER BY decision || ':' || coalesce(reason, '-')) FROM bxexit.exit_event")" \
	"match:- no_match:below_threshold no_match:no_photo no_match:no_probe no_match:nobody_enrolled no_match:unknown_flight" \
	"A: the $OLD exit events hold a match and five kinds of no-match reason"

# 0.2.0's reports count only what was known by their as-of date (knowledge
# time): the gate decisions of this test, written now for flights of 2024,
# are dated as the gate would have recorded them, on the flight's day, and
# the resolution that evening; 0.1.0's reports, which ignore it, are unchanged
q "$DBA" "UPDATE bxexit.exit_event x SET occurred_at = f.departure_date + time '20:00',
                 resolved_at = CASE WHEN x.resolved_at IS NOT NULL THEN f.departure_date + time '21:00' END
            FROM bxexit.flight f WHERE f.flight_id = x.flight_id" >/dev/null
report $? "A: the decisions dated on their flights' days" "$WORK/err"

# counts (less nothing: the builtin rows count too) and reports, before;
# the columns both versions have (0.2.0 adds the fiscal year, the as-of
# date, evidence levels and biometric counts)
counts_sql=""
for t in "${TABLES[@]}"; do
	counts_sql="$counts_sql${counts_sql:+ UNION ALL }SELECT '$t=' || count(*) FROM bxexit.$t"
done
reports_sql="SELECT d, s.admission_number, s.person_id, s.citizenship, s.class_of_admission, s.class_group,
                   s.report_scope, s.mode, s.port_of_entry, s.admitted_on, s.duration_of_status,
                   s.expected_departure, s.fiscal_year, s.departed_on, s.departure_exit_event_id, s.closed_by,
                   s.status, s.days_overstayed
              FROM unnest(ARRAY['2024-06-27', '2024-09-30']::date[]) d,
                   bxexit.bx_admission_status(d) s ORDER BY d, s.admission_number"
report_sql="SELECT r.country_of_citizenship, r.class_group, r.expected_departures, r.in_time_departures,
                   r.out_of_country_overstays, r.suspected_in_country_overstays, r.total_overstays,
                   r.total_overstay_rate, r.suspected_in_country_rate
              FROM bxexit.bx_overstay_report(2024, '2024-12-31') r"
view_sql="SELECT admission_number, status, closed_by, departed_on FROM bxexit.admission_status ORDER BY 1"
q "$DBA" "$counts_sql" >"$WORK/counts_before"
q "$DBA" "$reports_sql" >"$WORK/status_before"
q "$DBA" "$report_sql" >"$WORK/report_before"
q "$DBA" "$view_sql" >"$WORK/view_before"

# --------------------------------------------------------------- update

last_event=$(q "$DBA" "SELECT max(exit_event_id) FROM bxexit.exit_event")
last_audit=$(q "$DBA" "SELECT max(audit_id) FROM bxexit.search_audit")
new=$(q postgres "SELECT default_version FROM pg_available_extensions WHERE name = 'bxexit'")
q "$DBA" "ALTER EXTENSION bxexit UPDATE TO '$new'" >/dev/null
report $? "A: ALTER EXTENSION bxexit UPDATE TO '$new' (the default version) succeeds" "$WORK/err"
is "$(q "$DBA" "SELECT extversion FROM pg_extension WHERE extname = 'bxexit'")" "$new" "A: bxexit is now at $new"

"$PGBIN/createdb" -T template0 "$DBB" 2>"$WORK/err" && q "$DBB" 'CREATE EXTENSION bxexit' >/dev/null
report $? "database B created with a fresh CREATE EXTENSION bxexit ($new)" "$WORK/err"

# ------------------------------------------------------- same catalog

describe "$DBA" "$WORK/desc_a"
describe "$DBB" "$WORK/desc_b"
same_files "$WORK/desc_b" "$WORK/desc_a" \
	"every extension member of the updated A is described exactly as in the fresh B ($(wc -l <"$WORK/desc_b") lines)"
is "$(grep -c '^member ' "$WORK/desc_a")" "$(q "$DBB" "SELECT count(*) FROM pg_depend WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e' AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'bxexit')")" \
	"the description covers every extension member"
known=$(grep -cE '^(function|relation|column|constraint|index|view|sequence|type|domain constraint|operator|opclass|opfamily|cast|access method|aggregate|extension) ' "$WORK/desc_a")
is "$((known > 300)):$known" "1:$(grep -vc '^member ' "$WORK/desc_a")" \
	"the description has detail lines (over 300), each of a known kind"

# ------------------------------------------------------ same data, same reports

q "$DBA" "$counts_sql" >"$WORK/counts_after"
q "$DBA" "$reports_sql" >"$WORK/status_after"
q "$DBA" "$report_sql" >"$WORK/report_after"
q "$DBA" "$view_sql" >"$WORK/view_after"
same_files "$WORK/counts_before" "$WORK/counts_after" "A: every records table keeps its row count through the update"
same_files "$WORK/status_before" "$WORK/status_after" "A: bx_admission_status gives the same rows after the update (two as-of dates)"
same_files "$WORK/report_before" "$WORK/report_after" "A: bx_overstay_report gives the same report after the update"
same_files "$WORK/view_before" "$WORK/view_after" "A: the admission_status view gives the same rows after the update"
is "$(grep -c 'overstay' "$WORK/status_before")" 3 \
	"A: the reports are not trivial (one overstay as of 2024-06-27, two as of 2024-09-30)"

# ------------------------------------------ old rows satisfy the new rules

is "$(q "$DBA" "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'bxexit.exit_event'::regclass AND attname = 'reason'")" \
	"bxexit.bx_match_reason" "A: exit_event.reason is now of the domain bx_match_reason"
is "$(q "$DBA" "SELECT count(*) FILTER (WHERE reason::text::bxexit.bx_match_reason IS NOT NULL) || '/' || count(*) FILTER (WHERE reason IS NOT NULL)
                 FROM bxexit.exit_event WHERE exit_event_id <= $last_event")" \
	"$(q "$DBA" "SELECT count(*) FILTER (WHERE reason IS NOT NULL) || '/' || count(*) FILTER (WHERE reason IS NOT NULL) FROM bxexit.exit_event WHERE exit_event_id <= $last_event")" \
	"A: every reason written by $OLD is a bx_match_reason"
is "$(q "$DBA" "SELECT convalidated FROM pg_constraint WHERE conrelid = 'bxexit.search_audit'::regclass AND conname = 'search_audit_outcome_check'")" \
	"t" "A: search_audit_outcome_check was validated against the rows $OLD wrote"
is "$(q "$DBA" "SELECT count(*) FILTER (WHERE outcome = ANY (ARRAY['match', 'candidate_above_threshold']) OR outcome::bxexit.bx_match_reason IS NOT NULL) || '/' || count(*) FROM bxexit.search_audit WHERE audit_id <= $last_audit")" \
	"$(q "$DBA" "SELECT count(*) || '/' || count(*) FROM bxexit.search_audit WHERE audit_id <= $last_audit")" \
	"A: every audit outcome written by $OLD passes the new CHECK"
q "$DBA" "INSERT INTO bxexit.exit_event (requested_flight_id, decision, reason) VALUES (-1, 'no_match', 'camera_broken')" >/dev/null
got=$?
is "$got:$(grep -o 'violates check constraint "[a-z_]*"' "$WORK/err")" \
	'1:violates check constraint "bx_match_reason_check"' "A: a reason outside the vocabulary is now refused"

# ----------------------------------------- the same searches, the same rows

{
	cat sql/include/template.sql
	cat "$WORK/searches.sql"
} | "${PSQL[@]}" -d "$DBA" >"$WORK/searches_after" 2>"$WORK/err"
report $? "A: the same searches run after the update" "$WORK/err"
same_files "$WORK/searches_before" "$WORK/searches_after" \
	"A: bx_match, bx_verify and bx_identify return the same rows after the update"
# rows written by the searches before the update (keys up to the last ones
# then) and by the same searches after it
written() {
	"${PSQL[@]}" -d "$DBA" -v lo_event="$1" -v hi_event="$2" -v lo_audit="$3" -v hi_audit="$4" \
		-f "$WORK/written.sql" 2>>"$WORK/err"
}
: >"$WORK/err"
written 0 "$last_event" 0 "$last_audit" >"$WORK/written_before"
written "$last_event" 9223372036854775807 "$last_audit" 9223372036854775807 >"$WORK/written_after"
grep '^exit_event' "$WORK/written_before" >"$WORK/ev_before"
grep '^exit_event' "$WORK/written_after" >"$WORK/ev_after"
grep '^search_audit' "$WORK/written_before" >"$WORK/au_before"
grep '^search_audit' "$WORK/written_after" >"$WORK/au_after"
same_files "$WORK/ev_before" "$WORK/ev_after" \
	"A: the same gate decisions write the same exit_event rows after the update ($(wc -l <"$WORK/ev_after") rows)"
same_files "$WORK/au_before" "$WORK/au_after" \
	"A: the searches write the same search_audit rows through bx_audit_search ($(wc -l <"$WORK/au_after") rows)"

# ----------------------------------------------- the comparison can fail

# mutate SQL DESCRIPTION: in a rolled-back transaction in A, SQL must make
# A's description differ from B's
mutate() {
	{
		echo 'BEGIN;'
		echo "$1;"
		cat "$WORK/describe.sql"
		echo 'ROLLBACK;'
	} | "${PSQL[@]}" -d "$DBA" >"$WORK/desc_m" 2>"$WORK/err"
	grep -v '^\(BEGIN\|ROLLBACK\|COMMENT\|ALTER\)' "$WORK/desc_m" >"$WORK/desc_m2"
	if [ -s "$WORK/desc_m2" ] && ! diff -q "$WORK/desc_b" "$WORK/desc_m2" >/dev/null; then
		report 0 "$2"
	else
		echo "no difference after: $1" >>"$WORK/err"
		report 1 "$2" "$WORK/err"
	fi
}
mutate "COMMENT ON FUNCTION bxexit.bx_threshold(text, text) IS 'changed'" \
	"the comparison fails when A differs by one function comment"
mutate "ALTER FUNCTION bxexit.bx_dims(bxexit.face_embedding) VOLATILE" \
	"the comparison fails when A differs by one function's volatility"
mutate "ALTER DOMAIN bxexit.bx_match_reason DROP CONSTRAINT bx_match_reason_check" \
	"the comparison fails when A's reason domain loses its CHECK"

# ------------------------- an update refuses rows the new rules reject

"$PGBIN/createdb" -T template0 "$DBC" 2>"$WORK/err" &&
	q "$DBC" "CREATE EXTENSION bxexit VERSION '$OLD'" >/dev/null &&
	q "$DBC" "INSERT INTO bxexit.exit_event (requested_flight_id, decision, reason) VALUES (-1, 'no_match', 'camera_broken')" >/dev/null
report $? "database C: $OLD with an exit event whose reason is outside the vocabulary" "$WORK/err"
q "$DBC" "ALTER EXTENSION bxexit UPDATE TO '$new'" >/dev/null
got=$?
is "$got:$(grep -o 'violates check constraint "[a-z_]*"' "$WORK/err"):$(q "$DBC" "SELECT extversion FROM pg_extension WHERE extname = 'bxexit'")" \
	"1:violates check constraint \"bx_match_reason_check\":$OLD" \
	"C: the update refuses the bad row and leaves bxexit at $OLD"

# ---------------------------------- the engine parts install on their own

# The records layer stays in bxexit (README, "One extension, not two") but
# is separable: the engine parts (sql/install/00 to 30) never reference it.
# Run them alone, as plain SQL into a schema bxexit, and use the type.
"$PGBIN/createdb" -T template0 "$DBD" 2>"$WORK/err" && q "$DBD" 'CREATE SCHEMA bxexit' >/dev/null &&
	cat sql/install/[0-3][0-9]_*.sql | grep -v '^\\echo' |
	sed 's/@extschema@/bxexit/g; s/MODULE_PATHNAME/$libdir\/bxexit/g' |
	PGOPTIONS='-c client_min_messages=warning' "${PSQL[@]}" -d "$DBD" >/dev/null 2>"$WORK/err"
got=$(q "$DBD" "SELECT bxexit.bx_dims('[1,2,3]') || '/' || round(bxexit.bx_similarity('[1,0]', '[1,1]')::numeric, 3) || '/' ||
                      (SELECT count(*) FROM pg_class WHERE relnamespace = 'bxexit'::regnamespace AND relkind IN ('r', 'v')) || '/' ||
                      (SELECT count(*) FROM pg_proc WHERE pronamespace = 'bxexit'::regnamespace AND proname LIKE 'bx\_match%')") ||
	got="error: $(head -n 3 "$WORK/err" | tr '\n' ' ')"
is "$got" "3/0.707/0/0" "the engine parts (00 to 30) install alone: face_embedding works, no records table, view or search"

# --------------------------------------------------------------- cleanup

"$PGBIN/dropdb" "$DBA" 2>"$WORK/err" && "$PGBIN/dropdb" "$DBB" 2>>"$WORK/err" &&
	"$PGBIN/dropdb" "$DBC" 2>>"$WORK/err" && "$PGBIN/dropdb" "$DBD" 2>>"$WORK/err"
report $? "the four databases dropped" "$WORK/err"

if [ "$n" -ne "$PLAN" ]; then
	echo "not ok $((n + 1)) - ran $n tests, planned $PLAN"
	exit 1
fi
[ "$failed" -eq 0 ]
