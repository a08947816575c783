#!/usr/bin/env bash
# Concurrency soak and crash test (test/soak/soak.pl): clients insert and
# delete enrollments, VACUUM, call bx_match and bx_identify against one
# cluster while a checker verifies that the bxann index finds every
# committed row; the server is killed with SIGKILL during the load and
# must come back with no committed row missing and bxann_check(index, true)
# consistent.  Prints TAP lines ("ok N - ...") and the figures ("# ...");
# the full output is also saved to bench/out/.  Runs against the installed
# extension (make install, or scripts/test.sh, first).
#
#   bash bench/soak.sh [--minutes N] [--kills N]   default 5 minutes, 3 kills
#   bash bench/soak.sh --quick                      45 s, 1 kill (the test suite's)
#
# BX_TEST_PORT picks the server port (default: the test framework's choice;
# the server listens only on a unix socket in a private directory).
set -uo pipefail
# shellcheck source=../scripts/common.sh
source "$(dirname "$0")/../scripts/common.sh"
cd "$BX_ROOT" || exit 1

usage() {
	sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

args="$*"
seconds=300
kills=3
quick=0
while [ $# -gt 0 ]; do
	case $1 in
	--minutes)
		[ $# -ge 2 ] && [[ $2 =~ ^[1-9][0-9]*$ ]] || usage
		seconds=$(($2 * 60)); shift 2 ;;
	--kills)
		[ $# -ge 2 ] && [[ $2 =~ ^[0-9]+$ ]] || usage
		kills=$2; shift 2 ;;
	--quick) quick=1; seconds=45; kills=1; shift ;;
	-h | --help) usage ;;
	*) echo "soak.sh: unknown argument: $1" >&2; usage ;;
	esac
done

bx_perl_tap_setup || exit 1

# As scripts/tap.sh: the server may not run as root, so the soak runs as the
# postgres user from a copy in a fresh directory.
user=$(bx_server_user)
work=$(mktemp -d /tmp/bxexit-soak.XXXXXX) || exit 1
mkdir "$work/t"
cp test/soak/soak.pl "$work/t/"
chmod 0755 "$work"
chown -R "$user" "$work"
mkdir -p bench/out
out=bench/out/soak-$(date +%Y-%m-%d-%H%M%S).txt

coretype=$(bx_blas_coretype)
bx_log "soak: ${seconds} s of load, ${kills} kills, in $work as $user"
{
	echo "# bash bench/soak.sh $args"
	echo "# $(date -u '+%Y-%m-%d %H:%M UTC'); $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'); $("$BX_PGBIN/postgres" --version)"
} | tee "$out"
# shellcheck disable=SC2016
bx_run_as_server_user env \
	PATH="$BX_PGBIN:$PATH" \
	PERL5LIB="$BX_PERL_LIB${PERL5LIB:+:$PERL5LIB}" \
	PG_REGRESS="$BX_PG_REGRESS" \
	TESTDIR="$work" \
	BX_SOAK_SECONDS="$seconds" BX_SOAK_KILLS="$kills" \
	${BX_TEST_PORT:+BX_TEST_PORT=$BX_TEST_PORT} \
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 \
	${coretype:+OPENBLAS_CORETYPE=$coretype} \
	sh -c 'cd "$1" && shift && exec "$@"' sh "$work" \
	perl t/soak.pl 2>&1 | tee -a "$out"
rc=${PIPESTATUS[0]}

if [ "$rc" -ne 0 ]; then
	log=$work/tmp_check/log/regress_log_soak
	[ -f "$log" ] && { bx_log "tail of $log:"; tail -n 80 "$log" >&2; }
	bx_log "soak failed; logs kept in $work/tmp_check/log; output in $out"
else
	rm -rf "$work"
	bx_log "output saved in $out"
fi
exit "$rc"
