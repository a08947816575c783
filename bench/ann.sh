#!/usr/bin/env bash
# ANN benchmark: the exact sequential scan and the bxann index access method,
# side by side in one run, on the shared face-like reference dataset
# (../shared/bench).  Generates and caches the data and its exact ground
# truth under bench/data/ann/, builds and installs bxexit, starts a throwaway
# cluster, loads the table, builds the index (time, size, backend peak
# memory), runs bench/ann/ann_client over all configurations interleaved, and
# prints a markdown table, also saved to bench/out/.  See bench/ann/README.md.
#
#   bash bench/ann.sh [--rows 200000|1000000] [--quick] [--rounds N]
#                     [--exact-queries N] [--no-build] [--shape SHAPE]
#
# SHAPE is DIMxPER[:SIGMA], the gallery's dimension and samples per
# identity (default 128x10:0.06, the shared reference set); without a
# sigma, one that gives a same-identity cosine of ~0.68 (sigma^2 x dim
# = 0.46, as the reference set has); "random" is plain random unit
# vectors (one row per identity, queries unrelated to the rows).
set -euo pipefail

usage() {
	sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

args="$*"
shape=128x10:0.06
rows=200000
quick=0
rounds=
exact_queries=200
build=1
while [ $# -gt 0 ]; do
	case $1 in
	--rows) [ $# -ge 2 ] || usage; rows=$2; shift 2 ;;
	--quick) quick=1; shift ;;
	--rounds) [ $# -ge 2 ] || usage; rounds=$2; shift 2 ;;
	--exact-queries) [ $# -ge 2 ] || usage; exact_queries=$2; shift 2 ;;
	--no-build) build=0; shift ;;
	--shape) [ $# -ge 2 ] || usage; shape=$2; shift 2 ;;
	-h | --help) usage ;;
	*) echo "ann.sh: unknown argument: $1" >&2; usage ;;
	esac
done

# The dataset's shape: dimension, samples per identity, spread.
# shellcheck source=common/ann_data.sh
source "$(dirname "$0")/common/ann_data.sh"
bx_ann_shape "$shape" || exit 2
if [ "$quick" -eq 1 ]; then
	rows=$((20000 / per * per))
	nq=200
	rounds=${rounds:-1}
else
	nq=1000
	rounds=${rounds:-3}
fi
for v in "$rows" "$rounds" "$exact_queries"; do
	[[ $v =~ ^[1-9][0-9]*$ ]] || { echo "ann.sh: not a positive number: $v" >&2; exit 2; }
done
[ $((rows % per)) -eq 0 ] || { echo "ann.sh: --rows must be a multiple of $per" >&2; exit 2; }
n_ids=$((rows / per))

# Index build options and the query-time grid (see bench/ann/README.md).
with=${BX_ANN_WITH:-}
if [ -n "$with" ] && ! [[ ${with^^} =~ ^[[:space:]]*WITH ]]; then
	with="WITH ($with)"
fi
probes_list=${BX_ANN_PROBES:-2 4 8 16}
ef_list=${BX_ANN_EF_SEARCH:-20 40 80}

# shellcheck source=../scripts/common.sh
source "$(dirname "$0")/../scripts/common.sh"
cd "$BX_ROOT"
# The dataset and its exact top-100 (cached).
bx_ann_dataset "$rows" "$nq" "$dim" "$per" "$sigma" || exit 1
work=$BX_ROOT/bench/data/ann
bin=$ann_bin
data=$ann_data
mkdir -p bench/out

bx_ann_cluster "$build"

bx_log "loading $rows rows"
t0=$(date +%s.%N)
bx_ann_load_items
load_s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }')
table_mb=$(val "SELECT round(pg_total_relation_size('items') / 1048576.0)")
bx_log "loaded in ${load_s} s; table with its primary key: ${table_mb} MB"

# Build the index in one session that also reads its own backend's peak
# memory (VmHWM) and the shared memory it has mapped (RssShmem) from /proc.
bx_log "CREATE INDEX items_v_bxann ... USING bxann ${with}"
mem_before=$work/vm-before.txt
mem_after=$work/vm-after.txt
build_err=$work/build.err
rm -f "$mem_before" "$mem_after"
bxann=1
if build_out=$(BX_ANN_MEM_BEFORE=$mem_before BX_ANN_MEM_AFTER=$mem_after \
	q -At 2>"$build_err" <<SQL
SELECT pg_backend_pid() AS pid \gset
\setenv BX_ANN_PID :pid
\! grep -E '^(VmHWM|RssShmem):' /proc/\$BX_ANN_PID/status > "\$BX_ANN_MEM_BEFORE"
SELECT clock_timestamp() AS t0 \gset
CREATE INDEX items_v_bxann ON items USING bxann (v bxexit.face_embedding_cosine_ops) $with;
SELECT round(extract(epoch FROM clock_timestamp() - :'t0'::timestamptz)::numeric, 1) AS build_s \gset
\! grep -E '^(VmHWM|RssShmem):' /proc/\$BX_ANN_PID/status > "\$BX_ANN_MEM_AFTER"
\echo :build_s
SQL
); then
	build_s=$build_out
	index_mb=$(val "SELECT round(pg_relation_size('items_v_bxann') / 1048576.0, 1)")
	kb() { awk -v k="$1:" '$1 == k { print $2 }' "$2"; }
	hwm_kb=$(kb VmHWM "$mem_after")
	shm_kb=$(kb RssShmem "$mem_after")
	peak_mb=$(( (hwm_kb - shm_kb) / 1024 ))
	mem_note="VmHWM ${hwm_kb} kB after the build ($(kb VmHWM "$mem_before") kB before it), RssShmem ${shm_kb} kB after it"
	bx_log "built in ${build_s} s, ${index_mb} MB, peak private memory ${peak_mb} MB (${mem_note})"
	tuned=$(val "SELECT format('probes %s, ef_search %s (found %s of the build''s probes, their median cosine to the answer %s)',
		tuned_probes, tuned_ef_search, round(tuned_found::numeric, 4), round(tuned_mate_similarity::numeric, 3))
		FROM bxexit.bxann_index_info('items_v_bxann')")
	bx_log "tuned by CREATE INDEX: $tuned"
elif grep -q 'access method "bxann" does not exist' "$build_err"; then
	bxann=0
	bx_log "the access method bxann does not exist in the installed extension:" \
		"measuring the exact scan only"
else
	cat "$build_err" >&2
	echo "ann.sh: CREATE INDEX failed" >&2
	exit 1
fi

# Configurations, each "LABEL|QUERIES|SQL" (see bench/ann/ann_client.c).
configs=("exact (enable_indexscan off)|$exact_queries|SET enable_indexscan = off")
if [ "$bxann" -eq 1 ]; then
	if [ -n "${BX_ANN_CONFIGS:-}" ]; then
		while IFS= read -r sql; do
			[ -n "$sql" ] || continue
			label=$(sed -e 's/[;[:space:]]*$//; s/RESET bxann\.\([a-z_]*\)/\1=default/g; s/SET bxann\.//g; s/ *= */=/g; s/; */, /g' <<<"$sql")
			configs+=("bxann $label|all|$sql")
		done <<<"$BX_ANN_CONFIGS"
	else
		for p in $probes_list; do
			for ef in $ef_list; do
				configs+=("bxann probes=$p, ef_search=$ef|all|SET bxann.probes = $p; SET bxann.ef_search = $ef")
			done
		done
	fi
fi

bx_log "running ${#configs[@]} configurations: $rounds round(s) after one warm-up pass"
client_out=$work/client.out
"$bin/ann_client" --rounds "$rounds" --labels "$data/base_labels.i32" "$data/query_labels.i32" \
	"$data/query.fbin" "$data/gt.i32" "${configs[@]}" >"$client_out"

# Report.
pg_version=$(val "SHOW server_version")
build_info=$(val "SELECT bxexit.bx_build_info()")
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -z "$(git status --porcelain 2>/dev/null)" ] || commit="$commit + uncommitted changes"
cpu=$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -n 1)
stamp=$(date +%Y-%m-%d-%H%M%S)
env_used=
for v in BX_ANN_WITH BX_ANN_PROBES BX_ANN_EF_SEARCH BX_ANN_CONFIGS; do
	[ -z "${!v:-}" ] || env_used+="$v='${!v//$'\n'/\\n}' "
done
report=bench/out/ann-$rows-$stamp.md

plan_warnings=$(awk -F': ' '/^# plan / {
		label = substr($1, 8); plan = substr($0, length($1) + 3)
		if (label ~ /^bxann/ && plan !~ /items_v_bxann/) print "- WARNING: " label " did not use the index: " plan
		if (label ~ /^exact/ && plan ~ /items_v_bxann/) print "- WARNING: " label " used the index: " plan
	}' "$client_out")

{
	if [ "$shape" = random ]; then
		echo "### ANN search, $rows random unit vectors ($dim-d, no identities), $nq queries, top-10 by cosine distance"
	else
		echo "### ANN search, $rows rows ($n_ids identities x $per, $dim-d, sigma $sigma), $nq queries, top-10 by cosine distance"
	fi
	echo
	echo "Machine: $(nproc) cores, $cpu; $(date -u +%Y-%m-%d); PostgreSQL $pg_version; $build_info;" \
		"commit $commit; \`${env_used}bash bench/ann.sh${args:+ $args}\`"
	echo
	echo "| engine/config | build s | index MB | peak build memory MB | recall@10 | recall@1 | mated@1 | mated-all@10 | q/s | p50 ms | p99 ms |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|"
	awk -F'\t' -v b="${build_s:-}" -v m="${index_mb:-}" -v p="${peak_mb:-}" '
		/^#/ || $1 == "label" { next }
		{
			build = ($1 ~ /^bxann/) ? b " | " m " | " p : "- | - | -"
			qps = ($6 >= 100) ? sprintf("%.0f", $6) : sprintf("%.1f", $6)
			printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, build, $4, $5, $9, $10, qps, $7, $8
		}' "$client_out"
	echo
	echo "- Single client, prepared \`SELECT id FROM items ORDER BY v <=> \$1 LIMIT 10\`, binary parameter;" \
		"$rounds round(s) after one warm-up pass, configurations interleaved; queries per round:" \
		"exact $([ "$exact_queries" -lt "$nq" ] && echo "$exact_queries (the first ones)" || echo "$nq"), bxann $nq."
	echo "- mated@1: the first row is of the query's identity (1:N's answer); mated-all@10: the ten rows hold" \
		"all $per of its enrolled rows (random: no identity, the query's own row absent)."
	echo "- Server: shared_buffers 4GB, maintenance_work_mem 2GB, max_parallel_maintenance_workers 1," \
		"work_mem 64MB; table with its primary key ${table_mb} MB, loaded in ${load_s} s."
	if [ "$bxann" -eq 1 ]; then
		echo "- Peak build memory: the building backend's VmHWM minus the shared memory it had mapped" \
			"(RssShmem), i.e. its private peak; parallel workers not included. Raw: $mem_note."
		echo "- bxann defaults (probes, ef_search 0) as CREATE INDEX tuned them: $tuned."
	else
		echo "- bxann: not measured, the installed extension has no access method \"bxann\" yet" \
			"(CREATE INDEX: $(head -n 1 "$build_err" | sed 's/^psql:[^ ]* //'))."
	fi
	[ -z "$plan_warnings" ] || echo "$plan_warnings"
	echo
	echo "<details><summary>plans (EXPLAIN of the first query)</summary>"
	echo
	sed -n 's/^# plan \(.*\)/- \1/p' "$client_out"
	echo
	echo "</details>"
} >"$report.tmp"
mv "$report.tmp" "$report"
cat "$report"
bx_log "saved to $report"
