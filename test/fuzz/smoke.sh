#!/usr/bin/env bash
# Smoke run of the fuzz harnesses, for the test suite (TAP on stdout):
# each harness runs a fixed number of inputs from its seed corpus with a
# fixed seed, then replays every saved crash input of regressions/<harness>/.
#
#   bash smoke.sh BUILD            (make smoke calls it after building)
#   bash smoke.sh --options NAME   print the libFuzzer options of harness
#                                  NAME (image, onnx, embedding); shared
#                                  with make run and bench/fuzz.sh
#
# FUZZ_SMOKE_RUNS overrides the number of runs of every harness.
set -uo pipefail
# BUILD may be relative to where we were called from
if [ $# -gt 0 ] && [ "$1" != "--options" ] && [ -d "$1" ]; then
	set -- "$(cd "$1" && pwd)"
fi
cd "$(dirname "$0")"
source ../common/tap.sh || exit 1

# max_len per format: the seeds fit (JPEG/PNG/ONNX seeds are < 16 KiB,
# embedding texts < 1 KiB); -timeout turns a slow input into a finding.
options() {
	case $1 in
	image) echo "-max_len=16384 -timeout=25 -rss_limit_mb=2560" ;;
	onnx) echo "-max_len=16384 -timeout=25 -rss_limit_mb=2560" ;;
	embedding) echo "-max_len=4096 -timeout=10 -rss_limit_mb=2560" ;;
	*)
		echo "smoke.sh: unknown harness $1" >&2
		exit 2
		;;
	esac
}

# Runs of the smoke test: a few seconds each on one core
smoke_runs() {
	case $1 in
	image) echo "${FUZZ_SMOKE_RUNS:-20000}" ;;
	onnx) echo "${FUZZ_SMOKE_RUNS:-20000}" ;;
	embedding) echo "${FUZZ_SMOKE_RUNS:-20000}" ;;
	esac
}

if [ "${1:-}" = "--options" ]; then
	options "$2"
	exit 0
fi

build=${1:?usage: smoke.sh BUILD}

# crashed LOG TEXT: a failed run; the report, then the stack frames in
# bxexit's own code
crashed() {
	not_ok "$2"
	{
		grep -E 'ERROR|SUMMARY|invariant failed|Test unit written' "$1"
		grep -E '^ +#[0-9]+ .* /[^ ]*/(src|test)/' "$1" | head -n 8
	} | head -n 20 | diag
}

export OPENBLAS_NUM_THREADS=1
for h in image onnx embedding; do
	bin=$build/fuzz_$h
	work=$build/smoke/$h
	art=$build/artifacts/$h
	runs=$(smoke_runs "$h")
	rm -rf "$work" && mkdir -p "$work" "$art"

	# new inputs go to the scratch directory, never into the seeds
	# shellcheck disable=SC2046
	if "$bin" -runs="$runs" -seed=1 $(options "$h") -artifact_prefix="$art/" \
		"$work" "$build/seeds/$h" >"$work.log" 2>&1; then
		ok 0 "fuzz_$h: $runs runs, no crash"
	else
		crashed "$work.log" "fuzz_$h: $runs runs (crash input in $art/)"
	fi

	# every input that once crashed a harness, run once each
	inputs=()
	for f in "regressions/fuzz_$h"/*; do
		[ -f "$f" ] && [ "$(basename "$f")" != README.md ] && inputs+=("$f")
	done
	if [ ${#inputs[@]} -gt 0 ]; then
		# shellcheck disable=SC2046
		if "$bin" $(options "$h") "${inputs[@]}" >"$work.regress.log" 2>&1; then
			k=${#inputs[@]}
			ok 0 "fuzz_$h: $k regression input$([ "$k" -eq 1 ] || echo s) replayed, no crash"
		else
			crashed "$work.regress.log" "fuzz_$h: regression inputs replayed"
		fi
	fi
done
done_testing
