#!/usr/bin/env bash
# Gate matching under load: concurrent libpq clients send JPEG photos to
# bxexit.bx_match(photo, flight) as binary parameters, logged in as a role
# that is only a member of bxexit_gate.  Builds and installs bxexit, starts
# a throwaway cluster on port 54340, enrols a flight of 420 people (the 40
# ORL subjects from image 1, 380 LFW singletons), then runs an accuracy pass
# (every probe once: ORL images 2..10 as JPEG are mated searches, the 249
# LFW singletons not enrolled are impostors) and timed runs with 1, 2 and 4
# clients.  Prints markdown, also saved to bench/out/.  See bench/gate/.
#
#   bash bench/gate.sh [--seconds N] [--clients "1 2 4"] [--quiet-wait N] [--no-build]
#
# Other processes on a shared machine depress the figures: before each
# timed run the script waits (up to --quiet-wait tries of 15 s, default 8)
# until the machine's CPUs are at most 25% busy, and reports the 1-minute
# load average and the CPU that other processes used during the run.
set -euo pipefail

usage() {
	sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

args="$*"
seconds=30
clients_list="1 2 4"
quiet_wait=8
build=1
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) [ $# -ge 2 ] || usage; seconds=$2; shift 2 ;;
	--clients) [ $# -ge 2 ] || usage; clients_list=$2; shift 2 ;;
	--quiet-wait) [ $# -ge 2 ] || usage; quiet_wait=$2; shift 2 ;;
	--no-build) build=0; shift ;;
	-h | --help) usage ;;
	*) echo "gate.sh: unknown argument: $1" >&2; usage ;;
	esac
done
for v in "$seconds" $clients_list; do
	[[ $v =~ ^[1-9][0-9]*$ ]] || { echo "gate.sh: not a positive number: $v" >&2; exit 2; }
done
[[ $quiet_wait =~ ^[0-9]+$ ]] || { echo "gate.sh: not a number: $quiet_wait" >&2; exit 2; }

# shellcheck source=../scripts/common.sh
source "$(dirname "$0")/../scripts/common.sh"
cd "$BX_ROOT"
faces=${BX_DATA_DIR:-$BX_ROOT/../shared/data}/faces
[ -f "$faces/att_orl/s40/10.pgm" ] && [ -d "$faces/lfw_singletons/images" ] ||
	{ echo "gate.sh: face photos not found in $faces (set BX_DATA_DIR)" >&2; exit 1; }
python=${PYTHON:-/usr/bin/python3}
n_lfw_enrolled=380

bin=$BX_ROOT/bench/data/gate
mkdir -p "$bin" bench/out
if [ "$build" -eq 1 ]; then
	bx_install_packages
	bx_build_install
fi
gcc -std=c11 -O2 -Wall -Wextra -Werror -pthread -I"$("$BX_PGBIN/pg_config" --includedir)" \
	-o "$bin/gate_load" bench/gate/gate_load.c bench/common/bench_util.c -lpq

export BX_PGPORT=54340
trap bx_cluster_stop EXIT
trap 'exit 130' INT TERM
bx_cluster_start
[ -n "$BX_MODELS" ] || { echo "gate.sh: no face models: set BX_MODEL_DIR" >&2; exit 1; }

# Gallery photos where the server can read them; probes (read by the
# client) converted from ORL's PGM to JPEG, as a gate camera sends.
work=$BX_TMP/gate
mkdir -p "$work/gallery" "$work/probes"
: >"$work/gallery.tsv"
for n in $(seq 1 40); do
	cp "$faces/att_orl/s$n/1.pgm" "$work/gallery/orl_s$n.pgm"
	printf 'ORL s%s\t%s\n' "$n" "$work/gallery/orl_s$n.pgm" >>"$work/gallery.tsv"
done
lfw=("$faces"/lfw_singletons/images/*/*.jpg)	# glob order: sorted
for f in "${lfw[@]:0:$n_lfw_enrolled}"; do
	cp "$f" "$work/gallery/"
	printf '%s\t%s\n' "$(basename "$(dirname "$f")")" "$work/gallery/$(basename "$f")" >>"$work/gallery.tsv"
done
chmod -R a+rX "$work"
"$python" - "$faces/att_orl" "$work/probes" <<'PY'
import sys, cv2
src, dst = sys.argv[1], sys.argv[2]
for n in range(1, 41):
	for k in range(2, 11):
		im = cv2.imread(f"{src}/s{n}/{k}.pgm", cv2.IMREAD_GRAYSCALE)
		if im is None or not cv2.imwrite(f"{dst}/orl_s{n}_{k}.jpg", im, [cv2.IMWRITE_JPEG_QUALITY, 90]):
			sys.exit(f"cannot convert s{n}/{k}.pgm")
PY

q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
val() { psql -X -qAt -v ON_ERROR_STOP=1 -c "$1"; }

bx_log "enrolling $((40 + n_lfw_enrolled)) people on one flight (superuser)"
t0=$(date +%s.%N)
flight=$(q -At <<SQL
CREATE EXTENSION bxexit;
CREATE TEMP TABLE gallery (name text, path text);
\copy gallery FROM '$work/gallery.tsv'
INSERT INTO bxexit.person (family_name, citizenship) SELECT name, 'XXX' FROM gallery ORDER BY name;
INSERT INTO bxexit.enrollment (person_id, source, captured_at, template)
SELECT p.person_id, 'visa', now(), bxexit.bx_embed(pg_read_binary_file(g.path), 'largest')
  FROM gallery g JOIN bxexit.person p ON p.family_name = g.name;
WITH f AS (
	INSERT INTO bxexit.flight (carrier, flight_number, departure_airport, arrival_airport, departure_date)
	VALUES ('BX', '420', 'IAD', 'LHR', current_date) RETURNING flight_id)
INSERT INTO bxexit.manifest (flight_id, person_id) SELECT f.flight_id, p.person_id FROM f, bxexit.person p;
ANALYZE;
CREATE ROLE gate_bench LOGIN IN ROLE bxexit_gate;
-- the bench sends hundreds of impostors from one login on one flight: the
-- no-match limit (bxexit.gate_nomatch_limit) would refuse them after 20
ALTER ROLE gate_bench SET bxexit.gate_nomatch_limit = 0;
SELECT flight_id FROM bxexit.flight;
SQL
)
enrol_s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
gallery=$(val "SELECT count(DISTINCT person_id) FROM bxexit.enrollment")
manifest=$(val "SELECT count(*) FROM bxexit.manifest WHERE flight_id = $flight")

# Probes: every ORL image 2..10 (mated: the person's id) and every LFW
# singleton not enrolled (impostor: 0), in a fixed shuffled order so that
# each time window sees the same mix.
val "SELECT substr(family_name, 6) || E'\t' || person_id FROM bxexit.person WHERE family_name LIKE 'ORL s%'" |
	while IFS=$'\t' read -r n pid; do
		for k in $(seq 2 10); do printf '%s\t%s\n' "$work/probes/orl_s${n}_$k.jpg" "$pid"; done
	done >"$work/probes.unsorted"
for f in "${lfw[@]:$n_lfw_enrolled}"; do printf '%s\t0\n' "$f"; done >>"$work/probes.unsorted"
shuf --random-source=<(yes) "$work/probes.unsorted" >"$work/probes.tsv"
n_probes=$(wc -l <"$work/probes.tsv")
n_mated=$(awk -F'\t' '$2 != 0' "$work/probes.tsv" | wc -l)
n_impostor=$((n_probes - n_mated))

# The clients' role: member of bxexit_gate only, and that is enough.
gate_role=$(val "SELECT rolsuper::text || ',' || (SELECT string_agg(b.rolname, ',') FROM pg_auth_members m JOIN pg_roles b ON b.oid = m.roleid WHERE m.member = r.oid) FROM pg_roles r WHERE rolname = 'gate_bench'")
denied=$(PGUSER=gate_bench psql -X -qAt -c "SELECT count(*) FROM bxexit.enrollment" 2>&1 || true)
[[ $gate_role == false,bxexit_gate ]] && [[ $denied == *"permission denied"* ]] ||
	{ echo "gate.sh: gate_bench is not a plain bxexit_gate member ($gate_role; $denied)" >&2; exit 1; }

# CPU accounting: busy jiffies of the machine, and of this cluster (the
# postmaster's own and its exited children's: every backend of a run).
hz=$(getconf CLK_TCK)
machine_busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }
cluster_cpu() {
	awk '{ sub(/^.*\) /, ""); print $12 + $13 + $14 + $15 }' "/proc/$(head -n 1 "$BX_TMP/data/postmaster.pid")/stat"
}
busy_pct() {
	local a b
	a=$(machine_busy)
	sleep 5
	b=$(machine_busy)
	echo $(( (b - a) * 100 / (5 * hz * $(nproc)) ))
}
wait_quiet() {
	local i busy
	for ((i = 0; i <= quiet_wait; i++)); do
		busy=$(busy_pct)
		[ "$busy" -le 25 ] && return 0
		[ "$i" -lt "$quiet_wait" ] || break
		bx_log "machine ${busy}% busy, waiting for a quieter moment"
		sleep 15
	done
	bx_log "machine still ${busy}% busy: measuring anyway"
}

# run LABEL GATE_LOAD_ARGS...: one gate_load run, a result row in $work/runs.tsv
warmup_calls=0
run() {
	local label=$1 load0 t0 b0 c0 t1 b1 c1 cpu_s out
	shift
	out=$work/run-$label
	load0=$(cut -d ' ' -f 1 /proc/loadavg)
	t0=$(date +%s.%N)
	b0=$(machine_busy)
	c0=$(cluster_cpu)
	TIMEFORMAT=%U+%S
	cpu_s=$( { time PGUSER=gate_bench "$bin/gate_load" "$@" "$flight" "$work/probes.tsv" \
		>"$out.tsv" 2>"$out.err"; } 2>&1) || { cat "$out.err" >&2; exit 1; }
	sleep 1	# let the postmaster reap the run's backends
	b1=$(machine_busy)
	c1=$(cluster_cpu)
	t1=$(date +%s.%N)
	grep -v -e 'warmed up' -e 'false match' "$out.err" >&2 || true
	# other processes' CPU over the run, in cores: not this cluster, not gate_load
	awk -F'\t' -v l="$label" -v load="$load0" -v b="$((b1 - b0))" -v c="$((c1 - c0))" \
		-v me="$cpu_s" -v hz="$hz" -v wall="$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" '
		NR == 2 {
			split(me, m, "+")
			others = (b - c - (m[1] + m[2]) * hz) / (wall * hz)
			printf "%s\t%s\t%s\t%.2f\n", l, $0, load, (others > 0) ? others : 0 }' "$out.tsv" >>"$work/runs.tsv"
}
: >"$work/runs.tsv"

bx_log "accuracy pass: $n_probes probes once each, 2 clients"
wait_quiet
run accuracy -c 2 -w 2 -o "$PGUSER" -n "$n_probes"
warmup_calls=$((warmup_calls + 4))
for c in $clients_list; do
	bx_log "$c client(s), $seconds s"
	wait_quiet
	run "c$c" -c "$c" -w 2 -t "$seconds"
	warmup_calls=$((warmup_calls + 2 * c))
done

# Every call wrote one exit event and one audit row.
calls=$(awk -F'\t' '{ s += $3 } END { print s }' "$work/runs.tsv")
events=$(val "SELECT count(*) FROM bxexit.exit_event")
audits=$(val "SELECT count(*) FROM bxexit.search_audit WHERE search = 'match'")
threshold=$(val "SELECT bxexit.bx_threshold('mobilefacenet-v1', 'identification')")

# Report.
pg_version=$(val "SHOW server_version")
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -z "$(git status --porcelain 2>/dev/null)" ] || commit="$commit + uncommitted changes"
cpu=$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -n 1)
report=bench/out/gate-$(date +%Y-%m-%d-%H%M%S).md
{
	echo "### bx_match under load: flight of $manifest people, $gallery enrolled; JPEG probes, binary parameters"
	echo
	echo "Machine: $(nproc) cores, $cpu; $(date -u +%Y-%m-%d); PostgreSQL $pg_version;" \
		"OPENBLAS_CORETYPE=${BX_CORETYPE:-default}; commit $commit; \`bash bench/gate.sh${args:+ $args}\`"
	echo
	echo "| clients | run | bx_match calls | errors | bx_match/s | p50 ms | p99 ms | max ms | load avg at start | other processes' CPU (cores) |"
	echo "|---|---|---|---|---|---|---|---|---|---|"
	awk -F'\t' '{
			run = ($1 == "accuracy") ? "every probe once" : sprintf("%.0f s", $5)
			printf "| %s | %s | %s | %s | %.1f | %.1f | %.1f | %.1f | %s | %.2f |\n",
				$2, run, $3, $4, $6, $7, $8, $9, $18, $19 }' "$work/runs.tsv"
	echo
	awk -F'\t' -v t="$threshold" '$1 == "accuracy" {
		printf "Accuracy pass (threshold %s, the identification threshold in force): ", t
		printf "mated searches %d, matched to the right person %d (%.2f%%), to someone else %d, no match %d; ",
			$12, $13, 100 * $13 / $12, $14, $12 - $13 - $14
		printf "impostor searches %d, false matches %d. No-match reasons: %s.\n", $15, $16, $17 }' "$work/runs.tsv"
	echo
	if grep -q 'false match' "$work/run-accuracy.err"; then
		echo "False matches of the accuracy pass (probe photo -> person matched, score):"
		echo
		sed -n 's/^gate_load: false match: \(.*\) -> person \([0-9]*\), score \(.*\)$/\1\t\2\t\3/p' \
			"$work/run-accuracy.err" | while IFS=$'\t' read -r path pid score; do
			echo "- $(basename "$path") -> $(val "SELECT family_name FROM bxexit.person WHERE person_id = $pid"), $score"
		done
		echo
	fi
	echo "- Gallery: ORL image 1 of each of the 40 subjects (PGM) and the first $n_lfw_enrolled LFW" \
		"singletons (JPEG), enrolled with \`bx_embed(pg_read_binary_file(path), 'largest')\` as superuser" \
		"in $enrol_s s; one flight, all $manifest on its manifest."
	echo "- Probes: $n_mated mated (ORL images 2..10, 92x112 grey, converted to JPEG quality 90)" \
		"and $n_impostor impostors (the other LFW singletons, 250x250 JPEG), in a fixed shuffled order" \
		"taken round-robin by the clients from a shared counter."
	echo "- Clients: bench/gate/gate_load (pthreads, one connection each), logged in as \`gate_bench\`," \
		"member of bxexit_gate only (not superuser; its \`SELECT\` on bxexit.enrollment is denied);" \
		"prepared \`bx_match(\$1::bytea, \$2::bigint)\`, photo as a binary parameter; 2 unrecorded" \
		"warm-up calls per client (model loading). Latency: wall time of PQexecPrepared."
	echo "- Records: $events exit events and $audits audit rows for $calls recorded and $warmup_calls" \
		"warm-up calls."
	echo "- Other processes' CPU: machine busy time during the run minus this cluster's backends" \
		"and the load client, in cores; the runs waited for the machine to be at most 25% busy" \
		"(up to $quiet_wait x 15 s)."
} >"$report.tmp"
mv "$report.tmp" "$report"
cat "$report"
bx_log "saved to $report"
