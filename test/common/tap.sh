# test/common/tap.sh
#	TAP producer of the shell tests, the counterpart of test/common/tap.c.
#
# Sourced, never run:  source "$(dirname "$0")/common/tap.sh" || exit 1
#
# Every assertion prints "ok N - text" or "not ok N - text": scripts/test.sh
# counts exactly those lines, so a script's tests are numbered and counted
# here only.  The counters have names of their own (tap_*) so that a script
# may use n, fail or failed for its own values.
#
#   ok STATUS TEXT [FILE]  passes when STATUS is 0 (usually $? of a test just
#                          run); a failure prints FILE, if not empty, as "# "
#                          lines; returns 0 on a pass, 1 on a failure
#   not_ok TEXT            a failure
#   skip TEXT REASON       "ok N - TEXT # SKIP REASON"
#   diag TEXT...           "# TEXT" (without TEXT: every line of stdin)
#   plan N                 print "1..N" first; done_testing then checks it
#   done_testing           print "1..N" (unless planned) and exit: 0 if every
#                          test passed and the plan (if any) was kept, else 1

# shellcheck shell=bash
tap_count=0
tap_failed=0
tap_planned=

ok() {
	tap_count=$((tap_count + 1))
	if [ "$1" = 0 ]; then
		echo "ok $tap_count - $2"
		return 0
	fi
	tap_failed=$((tap_failed + 1))
	echo "not ok $tap_count - $2"
	if [ -n "${3:-}" ] && [ -s "$3" ]; then
		sed 's/^/# /' "$3"
	fi
	return 1
}

not_ok() {
	ok 1 "$1"
}

skip() {
	tap_count=$((tap_count + 1))
	echo "ok $tap_count - $1 # SKIP $2"
}

diag() {
	if [ $# -gt 0 ]; then
		echo "# $*"
	else
		sed 's/^/# /'
	fi
}

plan() {
	tap_planned=$1
	echo "1..$1"
}

done_testing() {
	if [ -z "$tap_planned" ]; then
		echo "1..$tap_count"
	elif [ "$tap_count" -ne "$tap_planned" ]; then
		# a test that never ran is a failure too
		echo "not ok $((tap_count + 1)) - ran $tap_count tests, planned $tap_planned"
		exit 1
	fi
	[ "$tap_failed" -eq 0 ] && exit 0
	exit 1
}
