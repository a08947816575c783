#!/usr/bin/env bash
# Set up and run the whole bxexit test suite on Debian 12:
# packages, build (warnings are errors), server-free unit tests, a throwaway
# cluster, pg_regress, pgTAP and libpq tests; always stops the cluster;
# ends with the line "N passed, M failed".
set -uo pipefail
source "$(dirname "$0")/common.sh"
cd "$BX_ROOT"

bx_install_packages || exit 1
BX_EXTRA_CFLAGS="-DUSE_ASSERT_CHECKING ${BX_EXTRA_CFLAGS:-}" bx_build_install || exit 1

passed=0
failed=0
logdir=$(mktemp -d /tmp/bxexit-test.XXXXXX)

# Add a stage's counts to the totals; a command that failed without saying
# which test failed counts as one failure.
count() {
	local rc=$1 n=$2 m=$3
	[ "$rc" -ne 0 ] && [ "$m" -eq 0 ] && m=1
	passed=$((passed + n))
	failed=$((failed + m))
}

# Run a command that prints TAP; one count per assertion.
tap_stage() {
	local name=$1 rc n m
	shift
	bx_log "$name"
	"$@" >"$logdir/$name.log" 2>&1
	rc=$?
	cat "$logdir/$name.log"
	n=$(grep -cE '^[[:space:]]*ok [0-9]' "$logdir/$name.log")
	m=$(grep -cE '^[[:space:]]*not ok [0-9]' "$logdir/$name.log")
	count "$rc" "$n" "$m"
}

# Server-free unit tests; first, that lib/ includes no PostgreSQL header
PG_CONFIG="$BX_PGBIN/pg_config" tap_stage layers bash test/check_layers.sh
tap_stage kernels make -s -C test/kernels check
tap_stage bridge make -s -C test/bridge check
tap_stage nn make -s -C test/nn check
tap_stage image make -s -C test/image check
tap_stage facepipe make -s -C test/facepipe check

# the same server-free tests built with AddressSanitizer + UndefinedBehaviorSanitizer
tap_stage image_asan make -s -C test/image check-asan
tap_stage nn_asan make -s -C test/nn check-asan
tap_stage facepipe_asan make -s -C test/facepipe check-asan

# libFuzzer: a short run of each harness and a replay of every saved crash input
tap_stage fuzz make -s -C test/fuzz smoke

# Perl TAP tests, each with its own clusters: standby replay, crash recovery, cancel
tap_stage tap bash scripts/tap.sh

# Concurrency soak with kill -9 (its own cluster; bash bench/soak.sh runs the 5-minute one)
tap_stage soak bash bench/soak.sh --quick

trap bx_cluster_stop EXIT
bx_cluster_start || exit 1

# pg_regress: one count per test file.  The models test needs the face
# models; it also gets damaged copies of one to check the refusals.
tests=$(cd sql && ls *.sql | sed 's/\.sql$//' | tr '\n' ' ')
if [ -n "$BX_MODELS" ]; then
	bad=$BX_TMP/models-bad
	mkdir -p "$bad/truncated/yunet" "$bad/altered/yunet"
	head -c 100000 "$BX_MODELS/yunet/face_detection_yunet_2023mar.onnx" \
		>"$bad/truncated/yunet/face_detection_yunet_2023mar.onnx"
	cp "$BX_MODELS/yunet/face_detection_yunet_2023mar.onnx" "$bad/altered/yunet/"
	printf 'X' | dd of="$bad/altered/yunet/face_detection_yunet_2023mar.onnx" \
		bs=1 seek=5000 conv=notrunc status=none
	chmod -R a+rX "$bad"
	export BX_BAD_MODELS=$bad
else
	echo "ok - models # SKIP no face models at ${BX_MODEL_DIR:-../shared/models}"
	tests=${tests/models/}
fi
if [ -n "$BX_MODELS" ] && [ -n "$BX_PHOTOS" ]; then
	# a progressive JPEG with 1,001 scans and a PNG bomb, and the defect
	# captures of the quality test made from the staged photos, generated now
	make -s -C test/image hostile OUT="$BX_PHOTOS" && chmod a+r "$BX_PHOTOS"/*
	export BX_PHOTOS
else
	echo "ok - photo # SKIP no face models or photos"
	echo "ok - match_photo # SKIP no face models or photos"
	echo "ok - quality # SKIP no face models or photos"
	tests=${tests/match_photo/}
	tests=${tests/photo/}
	tests=${tests/quality/}
fi
bx_log "pg_regress"
make -s PG_CONFIG="$BX_PGBIN/pg_config" REGRESS="$tests" installcheck >"$logdir/regress.log" 2>&1
rc=$?
cat "$logdir/regress.log"
m=$(grep -cE '\.\.\. (FAILED|failed)' "$logdir/regress.log")
count "$rc" "$(grep -cE '\.\.\. ok' "$logdir/regress.log")" "$m"
[ "$rc" -ne 0 ] && [ -f regression.diffs ] && head -n 200 regression.diffs

# pgTAP: each file runs in a rolled-back transaction
# the extension is committed first: the searches' audit rows are committed by
# a background worker, which cannot see a test's uncommitted CREATE EXTENSION
psql -q -X -v ON_ERROR_STOP=1 -c 'CREATE DATABASE bxexit_tap' \
	-c '\c bxexit_tap' -c 'CREATE EXTENSION bxexit' >/dev/null
tap_stage pgtap pg_prove -v -d bxexit_tap test/pgtap/*.sql

# pg_dump keeps the border records (extension config tables and their sequences)
tap_stage dump_restore bash test/dump_restore.sh

# 0.1.0 + ALTER EXTENSION UPDATE gives the catalog of a fresh install, keeps the records
tap_stage upgrade bash test/upgrade.sh

# libpq clients
psql -q -X -v ON_ERROR_STOP=1 -c 'CREATE DATABASE bxexit_client' \
	-c '\c bxexit_client' -c 'CREATE EXTENSION bxexit' >/dev/null
PGDATABASE=bxexit_client tap_stage binary_io \
	make -s -C test/binary_io PG_CONFIG="$BX_PGBIN/pg_config" check

# the example gate client: a JPEG as a binary parameter to bx_match
PG_CONFIG="$BX_PGBIN/pg_config" PGDATABASE=bxexit_client BX_PHOTOS=${BX_MODELS:+$BX_PHOTOS} \
	tap_stage gate_client bash test/gate_client/run.sh

# the Python clients: the psycopg 3 adapter of face_embedding and gate_client.py (pytest as TAP)
PGDATABASE=bxexit_client BX_PHOTOS=${BX_MODELS:+$BX_PHOTOS} tap_stage python bash test/python/run.sh

# the SQL calibration functions give bench/faces.sh's figures on its scores
if [ -n "$BX_MODELS" ]; then
	PGDATABASE=bxexit_client tap_stage calibration_bench bash test/calibration_bench.sh
else
	echo "ok - calibration_bench # SKIP no face models at ${BX_MODEL_DIR:-../shared/models}"
fi

# the demo, as scripts/demo.sh runs it (photos when the models are there)
[ -n "$BX_MODELS" ] && bx_stage_faces && [ -n "$BX_FACES" ] && export BX_FACES
psql -q -X -c 'CREATE DATABASE bxexit_demo' >/dev/null
bx_log "demo"
if PGDATABASE=bxexit_demo psql -X -f examples/demo.sql >"$logdir/demo.log" 2>&1; then
	echo "ok - demo (examples/demo.sql${BX_FACES:+ with photos})"
	count 0 1 0
else
	tail -n 30 "$logdir/demo.log"
	echo "not ok - demo (examples/demo.sql)"
	count 1 0 1
fi

# the largest inputs accepted, with bounded memory; one step beyond: an ERROR
PGDATABASE=bxexit_client BX_PHOTOS=${BX_MODELS:+$BX_PHOTOS} tap_stage bounds bash test/resource_bounds.sh

# exported symbols of the module, threads of a backend that built an index
PGDATABASE=bxexit_client BX_PHOTOS=${BX_MODELS:+$BX_PHOTOS} tap_stage module bash test/check_module.sh bxexit.so

# the Debian package: build, replace the make-installed files with it (dpkg
# -i), smoke-test it on its own cluster, dpkg -r.  Last: nothing after it
# may need the extension files.
tap_stage package bash test/package.sh

if [ "$failed" -ne 0 ]; then
	bx_log "server log tail:"
	tail -n 30 "$BX_TMP/server.log" >&2
fi
rm -rf "$logdir"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
