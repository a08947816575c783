#!/usr/bin/env bash
# bx_embed speed inside PostgreSQL: one backend, 200 calls per photo, median
# and p99 of the server-side time of each call (clock_timestamp around the
# call in PL/pgSQL, so the client round trip is not counted).  The photos
# are the 640x480 and 4000x3000 JPEGs that bench/faces.sh generates from a
# real LFW photo (run first if they are missing).
set -euo pipefail
source "$(dirname "$0")/../scripts/common.sh"
cd "$BX_ROOT"
runs=${1:-200}
photos=bench/data/faces
[ -f "$photos/photo-640x480.jpg" ] || bash bench/faces.sh --quick >/dev/null
bx_install_packages
bx_build_install
trap bx_cluster_stop EXIT
bx_cluster_start
[ -n "$BX_MODELS" ] || { echo "no face models: set BX_MODEL_DIR" >&2; exit 1; }
mkdir -p "$BX_TMP/bench"
cp "$photos"/photo-640x480.jpg "$photos"/photo-4000x3000.jpg "$BX_TMP/bench/"
chmod -R a+rX "$BX_TMP/bench"

psql -X -q -v ON_ERROR_STOP=1 -v dir="$BX_TMP/bench" -v runs="$runs" <<'SQL'
CREATE EXTENSION bxexit;
SELECT set_config('bench.runs', :'runs', false) \gset
CREATE TABLE photo (name text, bytes bytea);
INSERT INTO photo SELECT f, pg_read_binary_file(:'dir' || '/' || f)
  FROM unnest(ARRAY['photo-640x480.jpg', 'photo-4000x3000.jpg']) f;
CREATE TABLE timing (name text, ms float8);
DO $$
DECLARE
	r record;
	t0 timestamptz;
	e bxexit.face_embedding;
BEGIN
	FOR r IN SELECT * FROM photo LOOP
		-- warm-up: models loaded, caches filled
		FOR i IN 1..5 LOOP
			e := bxexit.bx_embed(r.bytes);
		END LOOP;
		FOR i IN 1..current_setting('bench.runs')::int LOOP
			t0 := clock_timestamp();
			e := bxexit.bx_embed(r.bytes);
			INSERT INTO timing VALUES (r.name, extract(epoch FROM clock_timestamp() - t0) * 1000);
		END LOOP;
	END LOOP;
END
$$;
SQL
echo "| photo | runs | median ms | p99 ms | detector |"
echo "|---|---|---|---|---|"
psql -X -q -A -F ' | ' -t -c "LOAD 'bxexit'" -c "SELECT '| ' || name, count(*), round(percentile_disc(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 2), round(percentile_disc(0.99) WITHIN GROUP (ORDER BY ms)::numeric, 2), current_setting('bxexit.detector_size') || ' |' FROM timing GROUP BY name ORDER BY name DESC"
echo
echo "Machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'); $(date -u +%Y-%m-%d); OPENBLAS_CORETYPE=${BX_CORETYPE:-default}; command: bash bench/embed_sql.sh $runs"
