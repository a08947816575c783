#!/usr/bin/env bash
# Set up and run the whole bxexit test suite on Debian 12:
# packages, build (warnings are errors), a throwaway cluster, pg_regress,
# pgTAP; always stops the cluster; ends with "N passed, M failed".
set -uo pipefail
source "$(dirname "$0")/common.sh"
cd "$BX_ROOT"

bx_install_packages || exit 1
bx_build_install || exit 1

trap bx_cluster_stop EXIT
bx_cluster_start || exit 1

passed=0
failed=0
logdir=$(mktemp -d /tmp/bxexit-test.XXXXXX)

# pg_regress: one count per test file
bx_log "pg_regress"
make -s PG_CONFIG="$BX_PGBIN/pg_config" installcheck >"$logdir/regress.log" 2>&1
regress_rc=$?
cat "$logdir/regress.log"
n=$(grep -cE '\.\.\. ok' "$logdir/regress.log")
m=$(grep -cE '\.\.\. FAILED|\.\.\. failed' "$logdir/regress.log")
[ "$regress_rc" -ne 0 ] && [ "$m" -eq 0 ] && m=1
[ -f regression.diffs ] && [ "$m" -gt 0 ] && head -n 200 regression.diffs
passed=$((passed + n)); failed=$((failed + m))

# pgTAP: one count per assertion; each file runs in a rolled-back transaction
bx_log "pgTAP"
psql -q -X -v ON_ERROR_STOP=1 -c 'CREATE DATABASE bxexit_tap' >/dev/null
pg_prove -v -d bxexit_tap test/pgtap/*.sql >"$logdir/pgtap.log" 2>&1
prove_rc=$?
cat "$logdir/pgtap.log"
n=$(grep -cE '^[[:space:]]*ok [0-9]' "$logdir/pgtap.log")
m=$(grep -cE '^[[:space:]]*not ok [0-9]' "$logdir/pgtap.log")
[ "$prove_rc" -ne 0 ] && [ "$m" -eq 0 ] && m=1
passed=$((passed + n)); failed=$((failed + m))

if [ "$failed" -ne 0 ]; then
	bx_log "server log tail:"
	tail -n 30 "$BX_TMP/server.log" >&2
fi
rm -rf "$logdir"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
