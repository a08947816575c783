#!/usr/bin/env bash
# Cost of the rollback-proof audit (0.2.0): each search's audit row is
# committed by a background worker of the session (bx_durable_insert)
# before the search returns.  Measured with pgbench against a throwaway
# cluster with fsync ON (a durable commit is the point), in one run:
#   insert   an audit row inserted and committed by the caller itself (what
#            0.1.0 did inside the search's transaction, plus its commit)
#   durable  the same row through bx_durable_insert (message to the
#            worker, its insert and commit, the reply)
#   match    bx_match(template, flight) on a flight of 420 enrolled people:
#            a whole search with its exit event and durable audit row
# Prints markdown, also saved to bench/out/.
#
#   bash bench/audit.sh [--seconds N] [--no-build]
set -euo pipefail

seconds=20
build=1
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) seconds=$2; shift 2 ;;
	--no-build) build=0; shift ;;
	*) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
	esac
done
[[ $seconds =~ ^[1-9][0-9]*$ ]] || { echo "audit.sh: --seconds must be a positive number" >&2; exit 2; }

# shellcheck source=../scripts/common.sh
source "$(dirname "$0")/../scripts/common.sh"
cd "$BX_ROOT"
if [ "$build" -eq 1 ]; then
	bx_install_packages
	bx_build_install
fi
export BX_PGPORT=54350 BX_SERVER_OPTS="-c fsync=on -c synchronous_commit=on"
trap bx_cluster_stop EXIT
bx_cluster_start
pgbench=$BX_PGBIN/pgbench
work=$BX_TMP/audit
mkdir -p "$work" bench/out

psql -X -q -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
CREATE EXTENSION bxexit;
INSERT INTO bxexit.person (family_name, citizenship)
SELECT 'P' || i, 'FRA' FROM generate_series(1, 420) i;
-- unit templates of mobilefacenet-v1, one per person
INSERT INTO bxexit.enrollment (person_id, source, captured_at, template)
SELECT p.person_id, 'visa', now(),
       bxexit.bx_set_model(bxexit.bx_normalize((SELECT array_agg(sin(p.person_id * 7.1 + d * 1.3) ORDER BY d)
                                               FROM generate_series(1, 128) d)::bxexit.face_embedding),
                           'mobilefacenet-v1')
  FROM bxexit.person p;
INSERT INTO bxexit.flight (carrier, flight_number, departure_airport, arrival_airport, departure_date)
VALUES ('BX', '420', 'IAD', 'LHR', current_date);
INSERT INTO bxexit.manifest (flight_id, person_id) SELECT 1, person_id FROM bxexit.person;
ALTER ROLE postgres SET bxexit.gate_nomatch_limit = 0;
SQL

echo "INSERT INTO bxexit.search_audit (search, outcome) VALUES ('match', 'no_face');" >"$work/insert.sql"
echo "SELECT bxexit.bx_durable_insert('bxexit.search_audit', '{\"search\": \"match\", \"outcome\": \"no_face\"}');" \
	>"$work/durable.sql"
cat >"$work/match.sql" <<'SQL'
\set p random(1, 420)
SELECT * FROM bxexit.bx_match((SELECT template FROM bxexit.enrollment WHERE person_id = :p), 1);
SQL

# run NAME CLIENTS: one pgbench run; prints "tps latency_ms"
run() {
	"$pgbench" -n -M prepared -c "$2" -j "$2" -T "$seconds" -f "$work/$1.sql" postgres \
		>"$work/$1-$2.log" 2>&1 || { cat "$work/$1-$2.log" >&2; exit 1; }
	awk '/^latency average/ {lat = $4} /^tps/ {tps = $3} END {printf "%.1f %.2f", tps, lat}' "$work/$1-$2.log"
}

out=bench/out/audit-$(date +%Y-%m-%d-%H%M%S).md
{
	echo "### Durable audit cost (\`bash bench/audit.sh\`)"
	echo
	echo "Date: $(date -u +%Y-%m-%dT%H:%MZ). Machine: $(getconf _NPROCESSORS_ONLN) vCPU \"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')\"," \
		"fsync and synchronous_commit on, pgbench -M prepared, $seconds s per run."
	echo
	echo "| what | clients | per second | latency ms |"
	echo "|---|---|---|---|"
	for w in insert durable match; do
		for c in 1 2; do
			read -r tps lat <<<"$(run "$w" "$c")"
			echo "| $w | $c | $tps | $lat |"
		done
	done
	echo
	echo "Audit rows written: $(psql -X -qAt -c 'SELECT count(*) FROM bxexit.search_audit')."
} | tee "$out"
bx_log "saved to $out"
