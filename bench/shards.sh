#!/usr/bin/env bash
# Sharding benchmark: the same gallery on one server, and over 2 and 4
# shard servers behind a coordinator (scripts/shard_layout.sh), all on this
# machine.  Data: the shared face-like generator (../shared/bench; 128-d, 10
# samples per identity, sigma 0.06; cached under bench/data/ann/ as
# bench/ann.sh makes it), person = the generator's identity.  For each configuration: load
# time, build time per shard (shards build in parallel), index size, then
# recall@10 / recall@1 and q/s of bx_identify's 1:N query
# (bx_gallery_nearest_sql, top 10, all its columns as bx_identify reads
# them, exact ground truth) from one client at
# bxann's defaults and at probes 32 / ef_search 64; plus the same query sent
# straight to one shard (its 1/N of the gallery), whose latency against the
# coordinator's is the fan-out overhead.  The one server also holds the
# rows hash-partitioned in 4 (one bxann index each).  Prints a markdown table, also
# saved to bench/out/.
#
#   bash bench/shards.sh [--rows N] [--shards "2 4"] [--quick] [--no-build]
#
# --quick: 100,000 rows, 200 queries (a check that it runs, not figures).
set -euo pipefail

usage() {
	sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}
args="$*"
rows=1000000
shard_counts="2 4"
nq=1000
build=1
while [ $# -gt 0 ]; do
	case $1 in
	--rows) [ $# -ge 2 ] || usage; rows=$2; shift 2 ;;
	--shards) [ $# -ge 2 ] || usage; shard_counts=$2; shift 2 ;;
	--quick) rows=100000; nq=200; shift ;;
	--no-build) build=0; shift ;;
	-h | --help) usage ;;
	*) echo "shards.sh: unknown argument: $1" >&2; usage ;;
	esac
done
[[ $rows =~ ^[1-9][0-9]*0$ ]] || { echo "shards.sh: --rows must be a multiple of 10" >&2; exit 2; }

# shellcheck source=../scripts/common.sh
source "$(dirname "$0")/../scripts/common.sh"
cd "$BX_ROOT"
# shellcheck source=common/ann_data.sh
source bench/common/ann_data.sh
bx_ann_dataset "$rows" "$nq" || exit 1
bin=$ann_bin
data=$ann_data
mkdir -p bench/out
if [ "$build" -eq 1 ]; then
	bx_install_packages
	bx_build_install
fi
bx_ann_client_build

# ------------------------------------------------------------ clusters
tmp=$(mktemp -d /tmp/bxexit-shards.XXXXXX)
chmod 0755 "$tmp"
chown "$(bx_server_user)" "$tmp"
cp "$data/base.tsv" "$tmp/base.tsv"
# row i + 1's identity (base_labels.i32: one int32 per row)
od -An -v -t d4 -w4 "$data/base_labels.i32" | awk '{ print NR "\t" $1 }' >"$tmp/labels.tsv"
chmod a+r "$tmp/base.tsv" "$tmp/labels.tsv"
ports=()
stop_all() {
	local d
	for d in "$tmp"/n*; do
		[ -d "$d/data" ] && bx_run_as_server_user "$BX_PGBIN/pg_ctl" -D "$d/data" -m immediate -w stop >/dev/null 2>&1
	done
	rm -rf "$tmp"
}
trap stop_all EXIT
trap 'exit 130' INT TERM

# start_node NAME PORT SHARED_BUFFERS: a cluster on a unix socket in $tmp
settings="-c maintenance_work_mem=1GB -c max_parallel_maintenance_workers=1 -c work_mem=64MB"
start_node() {
	local d=$tmp/$1
	mkdir -p "$d" && chown "$(bx_server_user)" "$d"
	bx_run_as_server_user "$BX_PGBIN/initdb" -D "$d/data" -U postgres --auth=trust --no-sync -E UTF8 --locale=C \
		>"$d/initdb.log" 2>&1
	bx_run_as_server_user env OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 \
		"$BX_PGBIN/pg_ctl" -D "$d/data" -l "$d/server.log" -w -t 60 \
		-o "-c listen_addresses='' -c unix_socket_directories='$tmp' -p $2 -c fsync=off -c shared_buffers=$3 $settings" \
		start >/dev/null
}
stop_node() {
	bx_run_as_server_user "$BX_PGBIN/pg_ctl" -D "$tmp/$1/data" -m fast -w stop >/dev/null
	rm -rf "${tmp:?}/$1"
}
ci() { printf 'host=%s port=%s dbname=postgres user=postgres' "$tmp" "$1"; }
q() { psql -X -q -v ON_ERROR_STOP=1 -d "$(ci "$1")" "${@:2}"; }
val() { psql -X -qAt -v ON_ERROR_STOP=1 -d "$(ci "$1")" -c "$2"; }
secs() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

rows_out=$tmp/rows.md
: >"$rows_out"
# measure LABEL PORT: the 1:N query on PORT at defaults and at probes 32 /
# ef_search 64 (set on the servers that run the index scans: SHARD_PORTS)
measure() {
	local label=$1 port=$2 query out s
	query=$(val "$port" "SELECT 'SELECT u.eid, u.pid, u.d FROM (' || replace(bxexit.bx_gallery_nearest_sql('gallery', 128, 'bench-v1'), '\$2', '10') || ') u'")
	for setting in default effort; do
		for s in "${SHARD_PORTS[@]}"; do
			if [ "$setting" = effort ]; then
				q "$s" -c "ALTER DATABASE postgres SET bxann.probes = 32" -c "ALTER DATABASE postgres SET bxann.ef_search = 64"
			else
				q "$s" -c "ALTER DATABASE postgres RESET ALL"
			fi
		done
		out=$tmp/client-$label-$setting.out
		PGHOST=$tmp PGPORT=$port PGUSER=postgres PGDATABASE=postgres \
			"$bin/ann_client" --rounds 2 --query "$query" "$data/query.fbin" "$data/gt.i32" \
			"$label, bxann $setting|all|" >"$out"
		awk -F'\t' -v l="$label" -v b="$BUILD" -v m="$INDEX_MB" -v ld="$LOAD_S" -v st="$setting" '
			/^#/ || $1 == "label" { next }
			{ printf "| %s | %s | %s | %s | %s | %s | %s | %.0f | %s | %s |\n", l, st, ld, b, m, $4, $5, $6, $7, $8 }' \
			"$out" >>"$rows_out"
		sed -n 's/^# plan \(.*\)/- \1/p' "$out" >>"$tmp/plans.md"
	done
}

# gallery DDL of a single server (the coordinator's comes from shard_layout.sh)
single_gallery="CREATE TABLE gallery (enrollment_id int8 PRIMARY KEY, person_id int8 NOT NULL, model text NOT NULL,
	template bxexit.face_embedding NOT NULL)"
# person = the generator's identity (rows come in random identity order),
# so a person's ten templates live on one shard, as the layout intends
load_sql="CREATE TEMP TABLE raw (id int8, v bxexit.face_embedding(128));
\\copy raw FROM '$tmp/base.tsv'
CREATE TEMP TABLE label (id int8, identity int8);
\\copy label FROM '$tmp/labels.tsv'
INSERT INTO gallery (enrollment_id, person_id, model, template)
SELECT r.id, l.identity, 'bench-v1', bxexit.bx_set_model(r.v, 'bench-v1') FROM raw r JOIN label l USING (id)
 ORDER BY r.id;"

port=55400
# --------------------------------------------------------- one server
bx_log "one server: $rows rows"
start_node n0 $port 2GB
q $port -c "CREATE EXTENSION bxexit" -c "$single_gallery"
t0=$(date +%s.%N)
q $port <<<"$load_sql"
LOAD_S=$(secs "$t0")
t0=$(date +%s.%N)
q $port -c "CREATE INDEX ON gallery USING bxann ((template::bxexit.face_embedding(128)) bxexit.face_embedding_cosine_ops) WHERE model = 'bench-v1'" \
	-c "ANALYZE gallery"
BUILD=$(secs "$t0")
INDEX_MB=$(val $port "SELECT round(sum(pg_relation_size(indexrelid)) / 1048576.0) FROM pg_index WHERE indrelid = 'gallery'::regclass AND indexrelid::regclass::text LIKE '%template%'")
SHARD_PORTS=($port)
measure "1 server" $port

# the same rows on the same server, hash-partitioned by person in 4, one
# bxann index per partition: what partitioning alone costs
bx_log "one server, 4 partitions: $rows rows"
q $port -c "ALTER TABLE gallery RENAME TO gallery_one" \
	-c "CREATE TABLE gallery (LIKE gallery_one) PARTITION BY HASH (person_id)"
for i in 0 1 2 3; do
	q $port -c "CREATE TABLE gallery_p$i PARTITION OF gallery FOR VALUES WITH (modulus 4, remainder $i)"
done
t0=$(date +%s.%N)
q $port -c "INSERT INTO gallery SELECT * FROM gallery_one"
LOAD_S="$(secs "$t0") (from the table)"
t0=$(date +%s.%N)
q $port -c "CREATE INDEX ON gallery USING bxann ((template::bxexit.face_embedding(128)) bxexit.face_embedding_cosine_ops) WHERE model = 'bench-v1'" \
	-c "ANALYZE gallery"
BUILD="$(secs "$t0") (4 one after the other)"
INDEX_MB="$(val $port "SELECT round(sum(pg_relation_size(indexrelid)) / 1048576.0) FROM pg_index WHERE indexrelid::regclass::text ~ '^gallery_p[0-9]_template'") (sum)"
measure "1 server, 4 partitions" $port
stop_node n0

# --------------------------------------------------------- N shards
for n in $shard_counts; do
	bx_log "$n shards + coordinator: $rows rows"
	cport=$port
	start_node c0 "$cport" 1GB
	q "$cport" -c "CREATE EXTENSION bxexit"
	shard_args=()
	SHARD_PORTS=()
	for i in $(seq 1 "$n"); do
		sp=$((port + i))
		start_node "n$i" "$sp" "$((2048 / n))MB"
		shard_args+=(--shard "s$i" "$(ci "$sp")")
		SHARD_PORTS+=("$sp")
	done
	bash scripts/shard_layout.sh create --coordinator "$(ci "$cport")" "${shard_args[@]}" >/dev/null
	for i in $(seq 1 "$n"); do
		q "$cport" -c "ALTER SERVER s$i OPTIONS (ADD batch_size '1000')"
	done
	t0=$(date +%s.%N)
	q "$cport" <<<"$load_sql"
	LOAD_S=$(secs "$t0")
	t0=$(date +%s.%N)
	bash scripts/shard_layout.sh index --dims 128 --model bench-v1 "${shard_args[@]}"
	BUILD="$(secs "$t0") (all $n in parallel)"
	t0=$(date +%s.%N)
	q "$cport" -c "ANALYZE gallery"
	analyze_s=$(secs "$t0")
	INDEX_MB=0
	for sp in "${SHARD_PORTS[@]}"; do
		INDEX_MB=$((INDEX_MB + $(val "$sp" "SELECT round(sum(pg_relation_size(indexrelid)) / 1048576.0)::int FROM pg_index WHERE indexrelid::regclass::text LIKE '%template_idx'")))
	done
	INDEX_MB="$INDEX_MB (sum)"
	measure "$n shards" "$cport"
	# the same query straight to the first shard: its share of the gallery, no fan-out
	LOAD_S=- BUILD=- INDEX_MB=-
	q "${SHARD_PORTS[0]}" -c "CREATE VIEW gallery AS SELECT * FROM gallery_s1"
	measure "shard s1 of $n, direct" "${SHARD_PORTS[0]}"
	echo "| ($n shards: coordinator ANALYZE of the foreign partitions ${analyze_s} s) |||||||||||" >>"$rows_out"
	for i in $(seq 1 "$n"); do stop_node "n$i"; done
	stop_node c0
done

pg_version=$(psql --version | awk '{ print $3 }')
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -z "$(git status --porcelain 2>/dev/null)" ] || commit="$commit + uncommitted changes"
cpu=$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -n 1)
report=bench/out/shards-$rows-$(date +%Y-%m-%d-%H%M%S).md
{
	echo "### Sharded gallery, $rows rows ($((rows / 10)) identities x 10, 128-d), $nq queries, top-10 by cosine"
	echo
	echo "Machine: $(nproc) cores, $cpu; $(date -u +%Y-%m-%d); PostgreSQL $pg_version; commit $commit;" \
		"\`bash bench/shards.sh${args:+ $args}\`"
	echo
	echo "| configuration | bxann settings | load s | build s | index MB | recall@10 | recall@1 | q/s | p50 ms | p99 ms |"
	echo "|---|---|---|---|---|---|---|---|---|---|"
	cat "$rows_out"
	echo
	echo "- One client, bx_identify's query (bx_gallery_nearest_sql: one ORDER BY ... LIMIT 10 per shard," \
		"async foreign scans, merged on the coordinator); 2 rounds after a warm-up pass."
	echo "- All servers share this machine's $(nproc) cores; one server gets shared_buffers 2GB, each of N shards 2GB/N."
	echo "- effort: bxann.probes 32 and bxann.ef_search 64 on the servers that scan the indexes (default: probes from the lists, 8 at up to 1,000 lists and 8 x sqrt(lists / 1000) beyond; ef_search 12)."
	echo "- \"shard s1 of N, direct\": the same query sent to one shard (its 1/N of the rows; recall against the whole" \
		"gallery's truth, so at most its share): its latency against the coordinator's is the fan-out overhead."
	echo
	echo "<details><summary>plans (EXPLAIN of the first query; the vector shown as \$1)</summary>"
	echo
	cat "$tmp/plans.md"
	echo
	echo "</details>"
} >"$report"
cat "$report"
bx_log "saved to $report"
