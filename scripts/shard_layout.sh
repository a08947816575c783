#!/usr/bin/env bash
# Lay out a bxexit gallery over several PostgreSQL servers (README,
# "Scaling out"): a coordinator whose gallery table is hash-partitioned by
# person, each partition a postgres_fdw foreign table on its own shard
# server, each shard with its own bxann index.  The coordinator keeps the
# records (people, flights, manifests, exit events); bx_set_gallery points
# bx_match, bx_verify and bx_identify at the sharded gallery.
#
#   scripts/shard_layout.sh create --coordinator CONNINFO [--table NAME]
#       [--shard-timeout MS] [--connect-timeout S] [--fetch-size N]
#       --shard NAME CONNINFO [--shard NAME CONNINFO ...]
#   scripts/shard_layout.sh index  [--coordinator CONNINFO] [--table NAME]
#       [--dims D] [--model M] [--lists N] --shard NAME CONNINFO [--shard ...]
#
# create: on every shard, the extension and the shard's table NAME_SHARD
# (enrollment_id, person_id, model, template, source, captured_at; the
# model checked against the template's tag); on the coordinator,
# postgres_fdw, one foreign server per shard (extensions 'bxexit' so the
# operators ship, async_capable so shards are searched concurrently, a
# connect_timeout, and a statement_timeout the shard applies to the
# coordinator's queries so a slow shard fails by name instead of holding
# the search), the user mapping of the extension's owner (the searches run
# as it), the partitioned table NAME with one foreign partition per shard
# (remainder i of modulus N, in the order given), and bx_set_gallery(NAME).
# Enrollments are written through the coordinator's table: partition
# routing sends each row to its person's shard (give model =
# bx_model(template); enrollment_id comes from the coordinator's sequence).
#
# index: on every shard, the bxann index of the model's templates (an
# expression index on the cast to D dimensions, partial on the model, as
# bx_identify's query spells it), built where the rows are, shards in
# parallel; then ANALYZE there and, given --coordinator, on the
# coordinator's gallery.  The coordinator needs those statistics: without
# them the planner may sort locally rather than send ORDER BY ... LIMIT to
# the shards.  (PostgreSQL 15's postgres_fdw reads the whole shard table
# to sample it: run it after loads, not after each enrollment.)
#
# CONNINFO is a libpq keyword/value string (host=... port=... dbname=...
# user=...); a shard's host, port, dbname and user go into the foreign
# server and the user mapping.  Idempotent where it can be: IF NOT EXISTS.
set -euo pipefail

die() { printf 'shard_layout: %s\n' "$*" >&2; exit 2; }

cmd=${1:-}
[ -n "$cmd" ] || die "usage: shard_layout.sh create|index [options] (see the header)"
shift
coordinator=
table=gallery
shard_timeout=10000
connect_timeout=5
fetch_size=1000
dims=128
model=mobilefacenet-v1
lists=0
names=()
conns=()
while [ $# -gt 0 ]; do
	case $1 in
	--coordinator) coordinator=$2; shift 2 ;;
	--table) table=$2; shift 2 ;;
	--shard-timeout) shard_timeout=$2; shift 2 ;;
	--connect-timeout) connect_timeout=$2; shift 2 ;;
	--fetch-size) fetch_size=$2; shift 2 ;;
	--dims) dims=$2; shift 2 ;;
	--model) model=$2; shift 2 ;;
	--lists) lists=$2; shift 2 ;;
	--shard) names+=("$2"); conns+=("$3"); shift 3 ;;
	*) die "unknown option $1" ;;
	esac
done
[ ${#names[@]} -gt 0 ] || die "no --shard given"
[[ $table =~ ^[a-z_][a-z0-9_]*$ ]] || die "table name must be a plain lower-case identifier: $table"
for n in "${names[@]}"; do
	[[ $n =~ ^[a-z_][a-z0-9_]*$ ]] || die "shard name must be a plain lower-case identifier: $n"
done
[[ $dims =~ ^[0-9]+$ && $lists =~ ^[0-9]+$ && $shard_timeout =~ ^[0-9]+$ &&
	$connect_timeout =~ ^[0-9]+$ && $fetch_size =~ ^[0-9]+$ ]] || die "numbers expected"

psql_on() { psql -X -q -v ON_ERROR_STOP=1 -d "$1" "${@:2}"; }

# the value of one keyword of a conninfo string ("" when absent)
conninfo_value() {
	local kv
	for kv in $1; do
		[ "${kv%%=*}" = "$2" ] && { printf '%s' "${kv#*=}"; return; }
	done
	printf ''
}

# SQL literal
lit() { printf "'%s'" "${1//\'/\'\'}"; }

create_layout() {
	[ -n "$coordinator" ] || die "create needs --coordinator"
	local i n c modulus=${#names[@]} opts k v user
	for i in "${!names[@]}"; do
		n=${names[$i]} c=${conns[$i]}
		psql_on "$c" <<-SQL
			CREATE EXTENSION IF NOT EXISTS bxexit;
			CREATE TABLE IF NOT EXISTS public.${table}_${n} (
				enrollment_id int8 PRIMARY KEY,
				person_id int8 NOT NULL,
				model text NOT NULL,
				template bxexit.face_embedding NOT NULL,
				source text,
				captured_at timestamptz,
				CONSTRAINT ${table}_${n}_model_tag CHECK (model = bxexit.bx_model(template)),
				CONSTRAINT ${table}_${n}_usable CHECK (bxexit.bx_cosine_usable(template))
			);
			CREATE INDEX IF NOT EXISTS ${table}_${n}_person_idx ON public.${table}_${n} (person_id, model);
		SQL
	done

	psql_on "$coordinator" -c "CREATE EXTENSION IF NOT EXISTS postgres_fdw" \
		-c "CREATE SEQUENCE IF NOT EXISTS public.${table}_enrollment_id_seq" \
		-c "CREATE TABLE IF NOT EXISTS public.${table} (
				enrollment_id int8 NOT NULL DEFAULT nextval('public.${table}_enrollment_id_seq'),
				person_id int8 NOT NULL,
				model text NOT NULL,
				template bxexit.face_embedding NOT NULL,
				source text,
				captured_at timestamptz
			) PARTITION BY HASH (person_id)"
	for i in "${!names[@]}"; do
		n=${names[$i]} c=${conns[$i]}
		opts="extensions 'bxexit', async_capable 'true', fetch_size '$fetch_size'"
		opts+=", connect_timeout '$connect_timeout', options '-c statement_timeout=$shard_timeout'"
		for k in host port dbname; do
			v=$(conninfo_value "$c" "$k")
			[ -n "$v" ] && opts+=", $k $(lit "$v")"
		done
		user=$(conninfo_value "$c" user)
		psql_on "$coordinator" <<-SQL
			DO \$\$
			DECLARE
				v_owner name := (SELECT r.rolname FROM pg_extension e JOIN pg_roles r ON r.oid = e.extowner
								  WHERE e.extname = 'bxexit');
			BEGIN
				IF v_owner IS NULL THEN
					RAISE EXCEPTION 'bxexit is not installed on the coordinator';
				END IF;
				IF NOT EXISTS (SELECT FROM pg_foreign_server WHERE srvname = '$n') THEN
					CREATE SERVER $n FOREIGN DATA WRAPPER postgres_fdw OPTIONS ($opts);
				END IF;
				IF NOT EXISTS (SELECT FROM pg_user_mappings m WHERE m.srvname = '$n' AND m.usename = v_owner) THEN
					EXECUTE format('CREATE USER MAPPING FOR %I SERVER $n OPTIONS (user %L)',
								   v_owner, coalesce(nullif($(lit "$user"), ''), v_owner));
				END IF;
			END
			\$\$;
			CREATE FOREIGN TABLE IF NOT EXISTS public.${table}_${n} PARTITION OF public.${table}
				FOR VALUES WITH (modulus $modulus, remainder $i)
				SERVER $n OPTIONS (schema_name 'public', table_name '${table}_${n}');
		SQL
	done
	psql_on "$coordinator" -c "SELECT bxexit.bx_set_gallery('public.${table}')" >/dev/null
}

build_indexes() {
	local i n c pids=() rc=0 with=
	[ "$lists" -gt 0 ] && with="WITH (lists = $lists)"
	for i in "${!names[@]}"; do
		n=${names[$i]} c=${conns[$i]}
		psql_on "$c" \
			-c "CREATE INDEX IF NOT EXISTS ${table}_${n}_template_idx ON public.${table}_${n} USING bxann
					((template::bxexit.face_embedding($dims)) bxexit.face_embedding_cosine_ops) $with
					WHERE model = $(lit "$model")" \
			-c "ANALYZE public.${table}_${n}" &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i" || rc=1; done
	[ $rc -eq 0 ] || return $rc
	if [ -n "$coordinator" ]; then
		psql_on "$coordinator" -c "ANALYZE public.${table}"
	fi
}

case $cmd in
create) create_layout ;;
index) build_indexes ;;
*) die "unknown command $cmd (create or index)" ;;
esac
