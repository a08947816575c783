#!/usr/bin/env bash
# Writes into an indexed gallery, bxann against pgvector's HNSW in one run
# (issue 14, items 6 and 7): one gallery shape of the shared generator
# (bench/ann.sh --shape), for each index in turn (none, bxann at its
# defaults, pgvector HNSW vector and halfvec per --hnsw pair): a table of the
# first 75% of the rows (ids are shuffled identities) and the index built on
# it; the other 25% inserted, a sample one row per statement and
# transaction, the rest in INSERT ... SELECT batches of 1,000 rows (inserts/s
# of each); 1:N queries (top 10, cosine) with recall@10, mated@1 and
# mated-all@10 against the exact truth; q/s with 1 and 2 concurrent
# clients (--clients); DELETE of 10% of the rows and a timed VACUUM
# (INDEX_CLEANUP ON); the queries again against the truth without them.
#
#   bash bench/ann_writes.sh [--rows N] [--shape SHAPE] [--quick] [--no-build]
#        [--hnsw "16:64 32:128"] [--ef "40 100 200 400"] [--clients "1 2"]
#        [--single N]
#
# --hnsw lists m:ef_construction pairs (default pgvector's default 16:64;
# add 32:128 for the stronger setting), each built for vector and halfvec;
# --ef the hnsw.ef_search values queried; --clients the client counts of
# the throughput runs (bxann at defaults, pgvector at its lowest ef_search
# with a mated@1 at least bxann's, else its best); --single the rows
# inserted one per statement (default 1000, --quick 200).  pgvector is
# not built here: install it for BX_PGBIN yourself (bench/ann_vs_pgvector.sh).
set -euo pipefail

usage() {
	sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}
args="$*"
rows=200000
shape=512x3
nq=1000
hnsw="16:64"
efs="40 100 200 400"
clients="1 2"
single=
build=1
while [ $# -gt 0 ]; do
	case $1 in
	--rows) [ $# -ge 2 ] || usage; rows=$2; shift 2 ;;
	--shape) [ $# -ge 2 ] || usage; shape=$2; shift 2 ;;
	--quick) rows=20000; nq=200; single=${single:-200}; shift ;;
	--no-build) build=0; shift ;;
	--hnsw) [ $# -ge 2 ] || usage; hnsw=$2; shift 2 ;;
	--ef) [ $# -ge 2 ] || usage; efs=$2; shift 2 ;;
	--clients) [ $# -ge 2 ] || usage; clients=$2; shift 2 ;;
	--single) [ $# -ge 2 ] || usage; single=$2; shift 2 ;;
	-h | --help) usage ;;
	*) echo "ann_writes.sh: unknown argument: $1" >&2; usage ;;
	esac
done
single=${single:-1000}
# shellcheck source=common/ann_data.sh
source "$(dirname "$0")/common/ann_data.sh"
bx_ann_shape "$shape" || exit 2
bx_ann_check_hnsw ann_writes.sh "$hnsw" "$efs" || exit 2
for v in "$rows" "$single" $clients; do
	[[ $v =~ ^[1-9][0-9]*$ ]] || { echo "ann_writes.sh: not a positive number: $v" >&2; exit 2; }
done
rows=$((rows / per * per))
n0=$((rows * 3 / 4))          # rows of the build; ids n0+1 .. rows are inserted after it
[ "$single" -lt $((rows - n0)) ] || { echo "ann_writes.sh: --single must be below $((rows - n0))" >&2; exit 2; }
batch=1000

# shellcheck source=../scripts/common.sh
source "$(dirname "$0")/../scripts/common.sh"
# autovacuum off: the VACUUM measured is the one this script runs
bx_ann_peer_cluster ann_writes.sh "$build" "-c autovacuum=off"
# timed [PSQL OPTIONS]: run the SQL of stdin in one session (autocommit:
# each statement its own transaction); print its seconds on the server's
# clock (psql's start not counted), 3 decimals.
timed() {
	{
		echo "SELECT extract(epoch FROM clock_timestamp()) AS bx_t0 \\gset"
		cat
		echo "SELECT round(extract(epoch FROM clock_timestamp()) - :bx_t0, 3);"
	} | psql -X -qAt -v ON_ERROR_STOP=1 "$@"
}

# The rows deleted before the VACUUM: every tenth id (ids are shuffled
# identities), as the headerless int32 file of ann_client --exclude.
deleted=$BX_TMP/deleted.i32
perl -e 'print pack("l<*", grep { $_ % 10 == 0 } 1 .. $ARGV[0])' "$rows" >"$deleted"
# The inserts: SQL files run by psql in autocommit mode (each statement its
# own transaction), reading from the staging table :stage into t.
single_sql=$BX_TMP/single.sql batch_sql=$BX_TMP/batch.sql
awk -v a=$((n0 + 1)) -v b=$((n0 + single)) 'BEGIN {
	for (i = a; i <= b; i++) print "INSERT INTO t SELECT * FROM :stage WHERE id = " i ";" }' >"$single_sql"
awk -v a=$((n0 + single + 1)) -v b="$rows" -v n="$batch" 'BEGIN {
	for (i = a; i <= b; i += n) print "INSERT INTO t SELECT * FROM :stage WHERE id BETWEEN " i " AND " (i + n - 1 < b ? i + n - 1 : b) ";" }' >"$batch_sql"

bx_log "loading $rows rows twice (face_embedding, vector) into staging tables"
bx_ann_load_pair stage_fe stage_pv

writes=$BX_TMP/writes.tsv search=$BX_TMP/search.tsv conc=$BX_TMP/clients.tsv
: >"$writes"
: >"$search"
: >"$conc"
# ann LABEL PHASE QUERY PTYPE [ANN_CLIENT OPTIONS --] CONFIG...: one
# ann_client run over all queries, its rows appended to $search as
# LABEL<TAB>PHASE<TAB>client's columns
ann() {
	local label=$1 phase=$2 query=$3 ptype=$4 opts=()
	shift 4
	while [ $# -gt 0 ] && [ "$1" != -- ] && [[ $1 == --* ]]; do opts+=("$1" "$2"); shift 2; done
	[ "${1:-}" != -- ] || shift
	"$bin/ann_client" --rounds 1 --query "$query" --param-type "$ptype" "${opts[@]}" \
		--labels "$data/base_labels.i32" "$data/query_labels.i32" \
		"$data/query.fbin" "$data/gt.i32" "$@" >"$BX_TMP/client.out"
	awk -F'\t' -v l="$label" -v p="$phase" '/^#/ || $1 == "label" { next }
		{ print l "\t" p "\t" $0 }' "$BX_TMP/client.out"
	awk -v l="$label" 'sub(/^# plan /, "") { print "- " l ", " $0 }' "$BX_TMP/client.out" >>"$BX_TMP/plans.md"
}

# run LABEL TYPE STAGE INDEX_SQL QUERY PTYPE CONFIG...: the whole cycle on
# one index (INDEX_SQL empty: the table and its primary key alone, no
# queries); appends to $writes LABEL, build s, MB after inserts,
# single-row inserts/s, batched inserts/s, VACUUM s, MB after VACUUM.
run() {
	local label=$1 type=$2 stage=$3 index_sql=$4 query=$5 ptype=$6 build_s=- mb=- mb2=- s1 s2 vac
	shift 6
	bx_log "$label: table of $n0 rows${index_sql:+, CREATE INDEX}"
	q <<SQL
DROP TABLE IF EXISTS t;
CREATE TABLE t (id int PRIMARY KEY, v $type);
INSERT INTO t SELECT * FROM $stage WHERE id <= $n0;
VACUUM ANALYZE t;
CHECKPOINT;
SQL
	[ -z "$index_sql" ] || build_s=$(timed <<<"$index_sql;")
	bx_log "$label: $single single-row inserts, then $((rows - n0 - single)) in batches of $batch"
	q -c CHECKPOINT
	s1=$(timed -v stage="$stage" <"$single_sql")
	s2=$(timed -v stage="$stage" <"$batch_sql")
	q -c "ANALYZE t"
	if [ -n "$index_sql" ]; then
		mb=$(val "SELECT round(pg_relation_size('t_ann') / 1048576.0, 1)")
		bx_log "$label: queries after the inserts"
		ann "$label" inserted "$query" "$ptype" "$@" >>"$search"
		clients_run "$label" "$query" "$ptype" "$@"
	fi
	bx_log "$label: DELETE 10% of the rows, VACUUM"
	q -c "DELETE FROM t WHERE id % 10 = 0"
	q -c CHECKPOINT
	vac=$(timed <<<"VACUUM (INDEX_CLEANUP ON) t;")
	if [ -n "$index_sql" ]; then
		mb2=$(val "SELECT round(pg_relation_size('t_ann') / 1048576.0, 1)")
		bx_log "$label: queries after the VACUUM"
		ann "$label" vacuumed "$query" "$ptype" --exclude "$deleted" -- "$@" >>"$search"
	fi
	awk -v l="$label" -v b="$build_s" -v m="$mb" -v s1="$s1" -v s2="$s2" -v n1="$single" \
		-v n2=$((rows - n0 - single)) -v v="$vac" -v m2="$mb2" \
		'BEGIN { printf "%s\t%s\t%s\t%.0f\t%.0f\t%s\t%s\n", l, b, m, n1 / s1, n2 / s2, v, m2 }' >>"$writes"
	bx_log "$label: build s, MB, single-row and batched inserts/s, VACUUM s, MB: $(tail -n 1 "$writes" | cut -f 2- | tr '\t' ' ')"
}

# clients_run LABEL QUERY PTYPE CONFIG...: the throughput runs (item 7) of
# one setting of the index: bxann its first (defaults); pgvector its lowest
# ef_search whose mated@1 after the inserts is at least bxann's, else its
# best mated@1 (the first of the fastest on ties).
clients_run() {
	local label=$1 query=$2 ptype=$3 pick n
	shift 3
	if [[ $label == bxann* ]]; then
		pick=$1
	else
		pick=$(awk -F'\t' -v l="$label" '
			$2 == "inserted" && $1 ~ /^bxann/ && bm == "" { bm = $11 }
			$1 == l && $2 == "inserted" { n++; lab[n] = $3; m[n] = $11; qps[n] = $8 }
			END {
				for (i = 1; i <= n; i++) if (m[i] >= bm) { print lab[i]; exit }
				b = 1
				for (i = 2; i <= n; i++) if (m[i] > m[b] || (m[i] == m[b] && qps[i] > qps[b])) b = i
				print lab[b]
			}' "$search")
		for c in "$@"; do
			[ "${c%%|*}" != "$pick" ] || { pick=$c; break; }
		done
	fi
	for n in $clients; do
		bx_log "$label: ${pick%%|*}, $n client(s)"
		ann "$label" "clients=$n" "$query" "$ptype" --clients "$n" --rounds 3 -- "$pick" >>"$conc"
	done
}

fe_query="SELECT id FROM t ORDER BY v OPERATOR(bxexit.<=>) \$1 LIMIT 10"
run "no ANN index (heap + primary key)" "bxexit.face_embedding($dim)" stage_fe "" "" ""
run bxann "bxexit.face_embedding($dim)" stage_fe \
	"CREATE INDEX t_ann ON t USING bxann (v bxexit.face_embedding_cosine_ops)" \
	"$fe_query" bxexit.face_embedding "bxann defaults|all|"
for pair in $hnsw; do
	m=${pair%%:*} efc=${pair##*:}
	for kind in vector halfvec; do
		bx_ann_hnsw_sql "$kind" "$dim"
		configs=()
		for ef in $efs; do
			configs+=("ef_search=$ef|all|SET hnsw.ef_search = $ef")
		done
		run "pgvector hnsw $kind m=$m ef_construction=$efc" "vector($dim)" stage_pv \
			"CREATE INDEX t_ann ON t USING hnsw ($hnsw_expr) WITH (m = $m, ef_construction = $efc)" \
			"SELECT id FROM t ORDER BY $hnsw_order LIMIT 10" vector "${configs[@]}"
	done
done

machine=$(bx_ann_machine)
report=bench/out/ann-writes-$shape-$rows-$(date +%Y-%m-%d-%H%M%S).md
{
	echo "### Writes, VACUUM and clients: bxann vs pgvector $pgv_version HNSW, $rows rows, shape $shape ($dim-d, $per per identity, sigma $sigma), $nq queries"
	echo
	echo "$machine \`bash bench/ann_writes.sh${args:+ $args}\`"
	echo
	echo "Index built on the first $n0 rows, then $((rows - n0)) inserted: $single one per statement, the rest" \
		"$batch per statement; then every tenth row deleted and the table vacuumed."
	echo
	echo "| index | build s ($n0 rows) | single-row inserts/s | batched inserts/s | VACUUM s | MB after inserts | MB after VACUUM |"
	echo "|---|---|---|---|---|---|---|"
	awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $4, $5, $6, $3, $7 }' "$writes"
	echo
	echo "| index, setting | recall@10 | recall@1 | mated@1 | mated-all@10 | q/s | after VACUUM: recall@10 | mated@1 | mated-all@10 | q/s |"
	echo "|---|---|---|---|---|---|---|---|---|---|"
	awk -F'\t' '
		$2 == "inserted" { n++; key[n] = $1 "\t" $3; row[n] = sprintf("%s | %s | %s | %s | %.0f", $6, $7, $11, $12, $8) }
		$2 == "vacuumed" { after[$1 "\t" $3] = sprintf("%s | %s | %s | %.0f", $6, $11, $12, $8) }
		END { for (i = 1; i <= n; i++) { split(key[i], k, "\t"); printf "| %s, %s | %s | %s |\n", k[1], k[2], row[i], after[key[i]] } }' "$search"
	echo
	echo "| index, setting (after the inserts) | clients | mated@1 | q/s | p50 ms | p99 ms | q/s vs 1 client |"
	echo "|---|---|---|---|---|---|---|"
	awk -F'\t' '
		{ k = $1 ", " $3; if (!(k in one)) one[k] = $8
		  printf "| %s | %s | %s | %.0f | %s | %s | %.2fx |\n", k, substr($2, 9), $11, $8, $9, $10, $8 / one[k] }' "$conc"
	echo
	# bxann against pgvector's fastest index on each measure
	awk -F'\t' '
		$1 == "bxann" { b1 = $4; b2 = $5; bv = $6 }
		$1 ~ /^pgvector/ { if ($4 > p1) { p1 = $4; p1l = $1 } if ($5 > p2) { p2 = $5; p2l = $1 }
			if (pv == "" || $6 < pv) { pv = $6; pvl = $1 } }
		$1 ~ /^no ANN/ { h1 = $4; h2 = $5; hv = $6 }
		function verdict(r) { return r >= 3 ? "met" : "not met" }
		END {
			if (p1 == "") exit
			printf "- Single-row inserts: bxann %d/s, pgvector'"'"'s fastest %d/s (%s): **%.1fx** (target 3x: %s)\n", b1, p1, p1l, b1 / p1, verdict(b1 / p1)
			printf "- Batched inserts: bxann %d/s, pgvector'"'"'s fastest %d/s (%s): **%.1fx** (target 3x: %s)\n", b2, p2, p2l, b2 / p2, verdict(b2 / p2)
			printf "- VACUUM after deleting 10%%: bxann %s s, pgvector'"'"'s fastest %s s (%s): **%.1fx** (target 3x: %s)\n", bv, pv, pvl, pv / bv, verdict(pv / bv)
			if (h1 != "")
				printf "- Per row, the index'"'"'s share (time minus the table'"'"'s own, %d and %d rows/s without an ANN index, VACUUM %s s): single-row bxann %.2f ms, pgvector %.2f ms; batched %.3f ms vs %.3f ms; VACUUM %.1f s vs %.1f s\n", h1, h2, hv, 1000 / b1 - 1000 / h1, 1000 / p1 - 1000 / h1, 1000 / b2 - 1000 / h2, 1000 / p2 - 1000 / h2, bv - hv, pv - hv
		}' "$writes"
	awk -F'\t' '$1 == "bxann" { m[$2] = $11 }
		END { printf "- mated@1 at bxann'"'"'s defaults with 25%% of the rows inserted after the build: %s (target 0.99: %s); after the VACUUM: %s\n", m["inserted"], (m["inserted"] >= 0.99 ? "met" : "not met"), m["vacuumed"] }' "$search"
	echo
	echo "- Inserts: one client (psql), each statement its own transaction (autocommit); single-row: \`INSERT INTO t SELECT *" \
		"FROM stage WHERE id = K\`, batched: \`... WHERE id BETWEEN K AND K + $((batch - 1))\`, from a staging table of the same type" \
		"(no parsing of the vector text in the timing). The table has its primary key; the first row gives the table and key alone."
	echo "- VACUUM: \`VACUUM (INDEX_CLEANUP ON) t\` after \`DELETE FROM t WHERE id % 10 = 0\` and a CHECKPOINT; autovacuum off." \
		"Recall after it is against the exact top 10 of the rows left (ann_client --exclude); mated-all@10 counts the rows left of the identity."
	echo "- Queries: prepared, binary parameter, 1 round after a warm-up pass; clients: --clients N connections at once, one thread each," \
		"queries split between them, 3 rounds; q/s total, p50/p99 over all executions. Timings on the server's clock."
	echo "- Server: shared_buffers 4GB, maintenance_work_mem 2GB, max_parallel_maintenance_workers 1, work_mem 64MB, fsync off," \
		"autovacuum off. pgvector built from its public source for this PostgreSQL (default flags)."
	echo
	echo "<details><summary>plans</summary>"
	echo
	awk '!seen[$0]++' "$BX_TMP/plans.md"
	echo
	echo "</details>"
} >"$report"
cat "$report"
bx_log "saved to $report"
