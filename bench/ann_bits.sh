#!/usr/bin/env bash
# bxann's element codes at 8 and at 4 bits per dimension, side by side in one
# run on one cluster: for each round and each bits value in turn, CREATE
# INDEX ... WITH (bits = B) at otherwise default options (time, size, what
# the build tuned), then the 1:N queries (top 10, cosine) at the index's
# defaults from one client, with recall@10, recall@1, mated@1 and
# mated-all@10 against the exact ground truth; the index is dropped before
# the next build.  Rounds alternate the bits values, so drift of the
# machine falls on both.
#
#   bash bench/ann_bits.sh [--rows N] [--shape SHAPE] [--bits "8 4"]
#        [--rounds N] [--no-build]
#
# SHAPE as in bench/ann.sh (default 512x3).  Prints a markdown table, also
# saved to bench/out/.
set -euo pipefail

rows=199998
nq=1000
shape=512x3
bits_list="8 4"
rounds=2
build=1
args="$*"

usage() {
	sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	--rows) [ $# -ge 2 ] || usage; rows=$2; shift 2 ;;
	--shape) [ $# -ge 2 ] || usage; shape=$2; shift 2 ;;
	--bits) [ $# -ge 2 ] || usage; bits_list=$2; shift 2 ;;
	--rounds) [ $# -ge 2 ] || usage; rounds=$2; shift 2 ;;
	--no-build) build=0; shift ;;
	-h | --help) usage ;;
	*) usage ;;
	esac
done

# shellcheck source=../scripts/common.sh
source "$(dirname "$0")/../scripts/common.sh"
# shellcheck source=common/ann_data.sh
source "$(dirname "$0")/common/ann_data.sh"
cd "$BX_ROOT"
bx_ann_shape "$shape" || exit 2
[ $((rows % per)) -eq 0 ] || { echo "ann_bits.sh: --rows must be a multiple of $per" >&2; exit 2; }
bx_ann_dataset "$rows" "$nq" "$dim" "$per" "$sigma" || exit 1
bin=$ann_bin
data=$ann_data
mkdir -p bench/out
bx_ann_cluster "$build"

bx_log "loading $rows rows"
bx_ann_load_items

lines=()
for round in $(seq "$rounds"); do
	for bits in $bits_list; do
		bx_log "round $round: CREATE INDEX ... WITH (bits = $bits)"
		build_s=$(q -At <<SQL
SELECT clock_timestamp() AS t0 \gset
CREATE INDEX items_v_bxann ON items USING bxann (v bxexit.face_embedding_cosine_ops) WITH (bits = $bits);
SELECT round(extract(epoch FROM clock_timestamp() - :'t0'::timestamptz)::numeric, 1);
SQL
)
		info=$(val "SELECT format('%s | %s | %s / %s', round(pg_relation_size('items_v_bxann') / 1048576.0, 1),
				round(pg_relation_size('items_v_bxann')::numeric / live_elements), tuned_probes, tuned_ef_search)
			FROM bxexit.bxann_index_info('items_v_bxann')")
		out=$("$bin/ann_client" --rounds 1 --labels "$data/base_labels.i32" "$data/query_labels.i32" \
			"$data/query.fbin" "$data/gt.i32" "bits $bits|all|RESET bxann.probes; RESET bxann.ef_search")
		lines+=("$(awk -F'\t' -v r="$round" -v b="$build_s" -v i="$info" '
			/^#/ || $1 == "label" { next }
			{ printf "| %s | %s | %s | %s | %s | %s | %s | %s | %.0f | %s | %s |\n", $1, r, b, i, $4, $5, $9, $10, $6, $7, $8 }' <<<"$out")")
		q -c "DROP INDEX items_v_bxann"
	done
done

pg_version=$(val "SHOW server_version")
build_info=$(val "SELECT bxexit.bx_build_info()")
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -z "$(git status --porcelain 2>/dev/null)" ] || commit="$commit + uncommitted changes"
cpu=$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -n 1)
report=bench/out/ann-bits-$rows-$(date +%Y-%m-%d-%H%M%S).md
{
	echo "#### bxann codes at ${bits_list// / and } bits: $rows rows ($((rows / per)) identities x $per, $dim-d, sigma $sigma), $nq queries, top 10 by cosine, at the index's defaults"
	echo
	echo "Machine: $(nproc) cores, $cpu; $(date -u +%Y-%m-%d); PostgreSQL $pg_version; $build_info;" \
		"commit $commit; \`bash bench/ann_bits.sh${args:+ $args}\`"
	echo
	echo "| codes | round | build s | index MB | bytes per element | tuned probes / ef_search | recall@10 | recall@1 | mated@1 | mated-all@10 | q/s | p50 ms | p99 ms |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
	printf '%s\n' "${lines[@]}"
	echo
	echo "- One client, prepared query, binary parameter; one pass after a warm-up pass per index." \
		"Bytes per element: the index's size over its elements (pages, directory and centroids included)."
	echo "- Server: shared_buffers 4GB, maintenance_work_mem 2GB, max_parallel_maintenance_workers 1, work_mem 64MB."
} >"$report"
cat "$report"
bx_log "saved to $report"
