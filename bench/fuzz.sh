#!/usr/bin/env bash
# Fuzz every parser of untrusted bytes for a fixed number of inputs:
# JPEG/PNG/PGM decoding (lib/image), the ONNX model reader and graph
# loader (lib/nn), face_embedding text and binary input
# (lib/embedding_parse.c).  libFuzzer with AddressSanitizer and
# UndefinedBehaviorSanitizer, harnesses in test/fuzz (see its README).
#
#   bash bench/fuzz.sh [--runs N] [--seed S]
#
# Each harness starts from its freshly generated seed corpus (never from an
# earlier run's corpus, so runs are comparable) and runs N inputs with a
# fixed seed, one harness at a time on one core.  Default: 3,000,000 image,
# 2,000,000 ONNX (the slowest: models are loaded and run) and 3,000,000
# embedding inputs, 8,000,000 in all, about 6 minutes on an idle core.
# Prints a markdown table for bench/RESULTS.md; exits 1 if any harness
# crashed (the crashing input is then in test/fuzz/build/bench/artifacts/:
# see test/fuzz/README.md to turn it into a regression input).
set -euo pipefail
cd "$(dirname "$0")/.."

args=${*:+ $*}
runs=
seed=1
while [ $# -gt 0 ]; do
	case $1 in
	--runs)
		runs=$2
		shift 2
		;;
	--seed)
		seed=$2
		shift 2
		;;
	*)
		echo "usage: bash bench/fuzz.sh [--runs N] [--seed S]" >&2
		exit 2
		;;
	esac
done

fuzz=test/fuzz
make -s -C "$fuzz" >/dev/null
out=$fuzz/build/bench
rm -rf "$out"
mkdir -p "$out"

export OPENBLAS_NUM_THREADS=1
harnesses=(image onnx embedding)
declare -A default_runs=([image]=3000000 [onnx]=2000000 [embedding]=3000000)
rows=()
total=0
total_cpu=0
crashed=0
t0=$(date +%s)
for h in "${harnesses[@]}"; do
	n=${runs:-${default_runs[$h]}}
	corpus=$out/corpus/$h
	art=$out/artifacts/$h
	mkdir -p "$corpus" "$art"
	cp "$fuzz/build/seeds/$h"/* "$corpus/"
	seeds=$(ls "$corpus" | wc -l)
	echo "==> fuzz_$h: $n runs from $seeds seeds" >&2
	rc=0
	# wall and CPU (user + system) seconds: the machine may be shared
	TIMEFORMAT='%R %U %S'
	# shellcheck disable=SC2046
	{ time "$fuzz/build/fuzz_$h" -runs="$n" -seed="$seed" $(bash "$fuzz/smoke.sh" --options "$h") \
		-artifact_prefix="$art/" -print_final_stats=1 "$corpus" >"$out/$h.log" 2>&1; } 2>"$out/$h.time" || rc=$?
	secs=$(awk '{ printf "%.0f", $1 }' "$out/$h.time")
	cpu=$(awk '{ printf "%.0f", $2 + $3 }' "$out/$h.time")
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$h.log" | tail -n 1)
	if [ -z "$execs" ]; then
		# a crash ends the run before the final stats: take the last status line
		execs=$(grep -oE '^#[0-9]+' "$out/$h.log" | tail -n 1 | tr -d '#')
	fi
	execs=${execs:-0}
	last=$(grep -E '^#[0-9]+[[:space:]]+(DONE|NEW|REDUCE|pulse|INITED)' "$out/$h.log" | tail -n 1)
	cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	corp=$(echo "$last" | sed -n 's/.* corp: \([0-9]*\/[0-9A-Za-z]*\).*/\1/p')
	rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$out/$h.log" | tail -n 1)
	crashes=$(find "$art" -type f | wc -l)
	if [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ]; then
		crashes=1
	fi
	if [ "$crashes" -gt 0 ]; then
		crashed=1
		echo "==> fuzz_$h crashed (exit $rc); inputs:" >&2
		find "$art" -type f >&2
		grep -E 'ERROR|SUMMARY|invariant failed' "$out/$h.log" | head -n 5 >&2 || true
	fi
	rate=$(awk -v n="$execs" '{ s = $2 + $3; if (s > 0) printf "%.0f", n / s; else print "-" }' "$out/$h.time")
	total=$((total + execs))
	total_cpu=$((total_cpu + cpu))
	rows+=("| fuzz_$h | $execs | $secs | $cpu | $rate | $crashes | ${cov:-?} | ${ft:-?} | ${corp:-?} | ${rss:-?} |")
done
elapsed=$(($(date +%s) - t0))

model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
echo
echo "Machine: $(nproc) cores, $model, $(uname -sr), $(clang --version | head -n 1);"
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) at the end."
echo "Date: $(date +%F). Command: \`bash bench/fuzz.sh$args\` (libFuzzer -seed=$seed)."
echo
echo "| harness | executions | wall s | CPU s | exec per CPU s | crashes | coverage (edges) | features | corpus (files/bytes) | peak RSS MB |"
echo "|---|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo "| total | $total | $elapsed | $total_cpu | | | | | | |"
[ "$crashed" -eq 0 ]
