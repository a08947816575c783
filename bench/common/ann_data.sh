# Shared by bench/ann.sh, bench/shards.sh, bench/ann_vs_pgvector.sh and
# bench/ann_writes.sh: a face-like ANN dataset of
# the shared generator (../shared/bench; by default 10 samples per
# identity, 128 dimensions, sigma 0.06, seed 42) and its exact top-100,
# built once and cached under bench/data/ann/.  Source it after scripts/common.sh (it uses
# BX_ROOT and bx_log); it defines functions and runs nothing by itself.

# bx_ann_dataset ROWS QUERIES [DIM PER_ID SIGMA]: sets ann_bin (the tools'
# folder) and ann_data (the dataset's folder: base.tsv, base.fbin,
# base_labels.i32, query.fbin, query.tsv, query_labels.i32, gt.i32),
# generating what is missing.  ROWS must be a multiple of PER_ID.  gt.i32
# is written last: its presence means the folder is whole.
bx_ann_dataset() {
	local rows=$1 nq=$2 dim=${3:-128} per=${4:-10} sigma=${5:-0.06}
	local shared=$BX_ROOT/../shared/bench work=$BX_ROOT/bench/data/ann
	[ -f "$shared/gen.c" ] && [ -f "$shared/gt.c" ] ||
		{ echo "$shared/gen.c and gt.c not found" >&2; return 1; }
	ann_bin=$work/bin
	ann_data=$work/rows-$rows-q$nq
	[ "$dim/$per/$sigma" = 128/10/0.06 ] || ann_data+=-d$dim-x$per-s$sigma
	mkdir -p "$ann_bin"
	[ "$ann_bin/gen" -nt "$shared/gen.c" ] || gcc -O2 -o "$ann_bin/gen" "$shared/gen.c" -lm
	[ "$ann_bin/gt" -nt "$shared/gt.c" ] || gcc -O2 -o "$ann_bin/gt" "$shared/gt.c" -lm -lpthread
	if [ -f "$ann_data/gt.i32" ]; then
		bx_log "using the cached dataset in $ann_data"
		return 0
	fi
	bx_log "generating $rows rows, $nq queries in $ann_data"
	rm -rf "$ann_data.tmp"
	mkdir -p "$ann_data.tmp"
	"$ann_bin/gen" "$ann_data.tmp" $((rows / per)) "$per" "$nq" "$dim" "$sigma" 42 >&2
	bx_log "computing the exact top-100 of every query"
	"$ann_bin/gt" "$ann_data.tmp/base.fbin" "$ann_data.tmp/query.fbin" "$ann_data.tmp/gt.i32" 100 \
		"$ann_data.tmp/base_labels.i32" "$ann_data.tmp/query_labels.i32" >&2
	[ -s "$ann_data.tmp/base.tsv" ] && [ -s "$ann_data.tmp/gt.i32" ] ||
		{ echo "dataset generation failed" >&2; return 1; }
	rm -rf "$ann_data"
	mv "$ann_data.tmp" "$ann_data"
}

# bx_ann_shape SHAPE: sets dim, per and sigma from DIMxPER[:SIGMA] (no
# sigma: the one giving the reference set's same-identity cosine of ~0.68,
# sigma^2 x dim = 0.46) or "random" (plain random unit vectors: one row per
# identity, queries unrelated to the rows); fails on anything else.
bx_ann_shape() {
	if [ "$1" = random ]; then
		dim=128 per=1 sigma=10
	elif [[ $1 =~ ^([1-9][0-9]*)x([1-9][0-9]*)(:([0-9.]+))?$ ]]; then
		dim=${BASH_REMATCH[1]} per=${BASH_REMATCH[2]}
		sigma=${BASH_REMATCH[4]:-$(awk -v d="$dim" 'BEGIN { printf "%.4g", sqrt(0.46 / d) }')}
	else
		echo "the shape is DIMxPER[:SIGMA] or random, not $1" >&2
		return 1
	fi
}

# bx_ann_client_build: compile bench/ann/ann_client.c into $ann_bin (call
# bx_ann_dataset first).
bx_ann_client_build() {
	gcc -std=c11 -O2 -Wall -Wextra -Werror -pthread -I"$("$BX_PGBIN/pg_config" --includedir)" \
		-o "$ann_bin/ann_client" "$BX_ROOT/bench/ann/ann_client.c" "$BX_ROOT/bench/common/bench_util.c" -lpq
}

# bx_ann_pgvector_check SCRIPT: fails, saying how to install it, unless
# pgvector is installed for $BX_PGBIN (the scripts never build it).
bx_ann_pgvector_check() {
	[ -f "$("$BX_PGBIN/pg_config" --sharedir)/extension/vector.control" ] && return 0
	echo "$1: pgvector is not installed for $BX_PGBIN/pg_config; build it from its" \
		"public source (make PG_CONFIG=$BX_PGBIN/pg_config install) and run this again" >&2
	return 1
}

# bx_ann_check_hnsw SCRIPT HNSW EFS: fails unless HNSW is a list of
# m:ef_construction pairs and EFS a list of numbers.
bx_ann_check_hnsw() {
	local p
	for p in $2; do
		[[ $p =~ ^[0-9]+:[0-9]+$ ]] || { echo "$1: --hnsw takes m:ef_construction pairs" >&2; return 1; }
	done
	for p in $3; do
		[[ $p =~ ^[0-9]+$ ]] || { echo "$1: --ef takes numbers" >&2; return 1; }
	done
}

# bx_ann_hnsw_sql KIND DIM: sets hnsw_expr (the index's column and operator
# class) and hnsw_order (the ORDER BY of a query, vector parameter $1) for
# a pgvector HNSW index on a vector(DIM) column v: KIND vector, or halfvec
# through an expression index.
bx_ann_hnsw_sql() {
	if [ "$1" = vector ]; then
		hnsw_expr="v vector_cosine_ops" hnsw_order="v <=> \$1"
	else
		hnsw_expr="(v::halfvec($2)) halfvec_cosine_ops" hnsw_order="v::halfvec($2) <=> \$1::halfvec($2)"
	fi
}

# bx_ann_secs T0: seconds since T0 (a date +%s.%N), one decimal.
bx_ann_secs() {
	awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'
}

# bx_ann_machine: the "Machine: ..." words of a report (cores, CPU, date,
# PostgreSQL, bxexit's build, commit), from the running cluster.
bx_ann_machine() {
	local pg build commit cpu
	pg=$(psql -X -qAt -c "SHOW server_version")
	build=$(psql -X -qAt -c "SELECT bxexit.bx_build_info()")
	commit=$(git -C "$BX_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
	[ -z "$(git -C "$BX_ROOT" status --porcelain 2>/dev/null)" ] || commit="$commit + uncommitted changes"
	cpu=$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -n 1)
	echo "Machine: $(nproc) cores, $cpu; $(date -u +%Y-%m-%d); PostgreSQL $pg; $build; commit $commit;"
}

# bx_ann_peer_cluster SCRIPT BUILD [SERVER OPTIONS]: what a side-by-side
# with pgvector does before loading: the dataset of $rows rows and $nq
# queries of the shape (bx_ann_shape first; sets bin and data), pgvector's
# check, then bx_ann_cluster.
bx_ann_peer_cluster() {
	local script=$1 build=$2 extra=${3:-}
	cd "$BX_ROOT"
	bx_ann_dataset "$rows" "$nq" "$dim" "$per" "$sigma" || exit 1
	bin=$ann_bin
	data=$ann_data
	mkdir -p bench/out
	bx_ann_pgvector_check "$script" || exit 1
	bx_ann_cluster "$build" "$extra"
}

# bx_ann_cluster BUILD [SERVER OPTIONS]: bxexit built and installed when
# BUILD is 1, the query client, and a throwaway cluster with the benches'
# server settings plus SERVER OPTIONS, stopped on exit; defines q (psql)
# and val (one value).
bx_ann_cluster() {
	local build=$1 extra=${2:-}
	if [ "$build" -eq 1 ]; then
		bx_install_packages
		bx_build_install
	fi
	bx_ann_client_build
	export BX_SERVER_OPTS="-c shared_buffers=4GB -c maintenance_work_mem=2GB -c max_parallel_maintenance_workers=1 -c work_mem=64MB${extra:+ $extra}"
	trap bx_cluster_stop EXIT
	trap 'exit 130' INT TERM
	bx_cluster_start
	q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
	val() { psql -X -qAt -v ON_ERROR_STOP=1 -c "$1"; }
}

# bx_ann_load_items: the extension and the dataset's rows as table items
# (id, v face_embedding(dim)), analysed (bx_ann_cluster first).
bx_ann_load_items() {
	q <<SQL
CREATE EXTENSION bxexit;
CREATE TABLE items (id int PRIMARY KEY, v bxexit.face_embedding($dim));
\copy items FROM '$data/base.tsv'
VACUUM ANALYZE items;
SQL
}

# bx_ann_load_pair FE_TABLE PV_TABLE: the dataset's rows into a
# face_embedding table and a pgvector vector table (the same text reads as
# both), analysed; sets pgv_version.
bx_ann_load_pair() {
	q <<SQL
CREATE EXTENSION bxexit;
CREATE EXTENSION vector;
CREATE TABLE $1 (id int PRIMARY KEY, v bxexit.face_embedding($dim));
\copy $1 FROM '$data/base.tsv'
CREATE TABLE $2 (id int PRIMARY KEY, v vector($dim));
\copy $2 FROM '$data/base.tsv'
VACUUM ANALYZE $1;
VACUUM ANALYZE $2;
SQL
	pgv_version=$(val "SELECT extversion FROM pg_extension WHERE extname = 'vector'")
}
