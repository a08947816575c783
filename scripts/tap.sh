#!/usr/bin/env bash
# Run the Perl TAP tests of test/t/ (PostgreSQL::Test::Cluster, from the
# postgresql-server-dev-15 package) with prove, against the installed
# extension.  Each test starts and removes its own clusters.
#
#   bash scripts/tap.sh              all of test/t/*.pl
#   bash scripts/tap.sh 002 003      only the files whose names start so
#
# The server refuses to run as root: as root the tests run as the postgres
# user, from a copy of test/t/ in a fresh directory under /tmp (the clone
# may not be readable by postgres).  Prints prove's verbose output (one
# "ok N" line per assertion) and its summary; exits non-zero on failure.
# The tests' notes ("# ..." on stdout: every query of a background psql)
# go to the logs only; BX_TAP_VERBOSE=1 prints them too (failure
# diagnostics, on stderr, are always printed).
# On failure the directory with the logs (tmp_check/log) is kept and the
# tail of each failed test's log is printed; BX_TAP_KEEP=1 always keeps it.
set -uo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "$0")/common.sh"
cd "$BX_ROOT" || exit 1

bx_perl_tap_setup || exit 1

tests=()
if [ $# -eq 0 ]; then
	tests=(test/t/*.pl)
else
	for t in "$@"; do
		match=(test/t/"$(basename "${t%.pl}")"*.pl)
		[ -f "${match[0]}" ] || { bx_log "no test matches $t"; exit 1; }
		tests+=("${match[@]}")
	done
fi

user=$(bx_server_user)
work=$(mktemp -d /tmp/bxexit-tap.XXXXXX) || exit 1
mkdir "$work/t"
cp "${tests[@]}" "$work/t/"
# the tests that lay out shards run the project's own script
mkdir "$work/scripts"
cp scripts/shard_layout.sh "$work/scripts/"
names=()
for t in "${tests[@]}"; do names+=("t/$(basename "$t")"); done
chmod 0755 "$work"
chown -R "$user" "$work"

coretype=$(bx_blas_coretype)
bx_log "TAP tests (prove) in $work as $user"
# sh -c: cd into the copy as the test user (prove finds t/ there and the
# framework puts tmp_check/ under TESTDIR).  The servers the tests start
# inherit this environment: one BLAS/OpenMP thread per backend.
# shellcheck disable=SC2016
bx_run_as_server_user env \
	PATH="$BX_PGBIN:$PATH" \
	PERL5LIB="$BX_PERL_LIB${PERL5LIB:+:$PERL5LIB}" \
	PG_REGRESS="$BX_PG_REGRESS" \
	TESTDIR="$work" \
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 \
	${coretype:+OPENBLAS_CORETYPE=$coretype} \
	sh -c 'cd "$1" && shift && exec "$@"' sh "$work" \
	prove -v "${names[@]}" |
	if [ -n "${BX_TAP_VERBOSE:-}" ]; then cat; else grep -v '^#' || true; fi
rc=${PIPESTATUS[0]}

if [ "$rc" -ne 0 ]; then
	for log in "$work"/tmp_check/log/regress_log_*; do
		[ -f "$log" ] || continue
		grep -qE "^not ok|Bail out|# Looks like" "$log" || continue
		bx_log "tail of $log:"
		tail -n 60 "$log" >&2
	done
	bx_log "TAP tests failed; logs kept in $work/tmp_check/log"
elif [ -n "${BX_TAP_KEEP:-}" ]; then
	bx_log "logs kept in $work/tmp_check/log"
else
	rm -rf "$work"
fi
exit "$rc"
