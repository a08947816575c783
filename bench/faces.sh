#!/usr/bin/env bash
# Face pipeline benchmark, no PostgreSQL needed: accuracy on the shared face
# photos (ORL verification and identification, LFW singletons as impostors,
# failures to acquire, the boarding-gate threshold at FPIR 0.003 on random
# galleries of 420) and per-stage speed (decode, detect, align, embed) on
# a 640x480 and a 4000x3000 JPEG generated from a real photo, one thread.
# Builds bench/faces/faces_bench, prints markdown, also saved to bench/out/.
# See bench/faces/README.md for the protocol.
#
#   bash bench/faces.sh [--quick] [--runs N] [--det-sizes "640 320"]
#                       [--threshold F] [--gate-splits N] [--scores FILE]
#   bash bench/faces.sh --quality [--det-sizes "320"]
#   bash bench/faces.sh --robust [--conditions clean,rot30,...]
#
# --scores FILE writes the ORL comparison scores of the first detector size
# ("m <score>" mated, "n <score>" non-mated), the input of the SQL
# calibration functions (bx_det_curve, bx_det_eer, bx_det_point).
#
# --quality only surveys the capture quality components (lib/facepipe/
# quality.h) of every ORL and LFW photo at the default detector size 320:
# their distribution and how many photos each default limit refuses, the
# calibration of the bxexit.quality_* defaults.
#
# --robust only measures the robustness table (issue 17, item 2) at the
# default detector size 320: FTA, FNMR at FMR 1e-3 and 1e-4 and rank-1 on
# degraded studio and web photos, without and with the detector's retries.
# The web photos are read from BX_WEB_DIR (default ~/.cache/bxexit/webfaces,
# made by bench/faces/get_web_faces.sh); absent, the web rows are skipped.
#
# BX_DATA_DIR (default ../shared/data) and BX_MODEL_DIR (default
# ../shared/models) locate the photos and the models; nothing is copied.
set -euo pipefail

usage() {
	sed -n '2,31p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

args="$*"
runs=200
det_sizes="640 320"
threshold=
gate_splits=
scores=
quality=
robust=
conditions=
while [ $# -gt 0 ]; do
	case $1 in
	--quick) runs=30; det_sizes=320; shift ;;
	--quality) quality=1; det_sizes=320; shift ;;
	--robust) robust=1; det_sizes=320; shift ;;
	--conditions) [ $# -ge 2 ] || usage; conditions=$2; shift 2 ;;
	--runs) [ $# -ge 2 ] || usage; runs=$2; shift 2 ;;
	--det-sizes) [ $# -ge 2 ] || usage; det_sizes=$2; shift 2 ;;
	--threshold) [ $# -ge 2 ] || usage; threshold=$2; shift 2 ;;
	--gate-splits) [ $# -ge 2 ] || usage; gate_splits=$2; shift 2 ;;
	--scores) [ $# -ge 2 ] || usage; scores=$2; shift 2 ;;
	-h | --help) usage ;;
	*) echo "faces.sh: unknown argument: $1" >&2; usage ;;
	esac
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "faces.sh: --runs must be a positive number" >&2; exit 2; }
[[ -z $gate_splits || $gate_splits =~ ^[1-9][0-9]*$ ]] ||
	{ echo "faces.sh: --gate-splits must be a positive number" >&2; exit 2; }
for s in $det_sizes; do
	[[ $s =~ ^[1-9][0-9]*$ ]] && [ $((s % 32)) -eq 0 ] ||
		{ echo "faces.sh: detector sizes must be multiples of 32: $s" >&2; exit 2; }
done

# shellcheck source=../scripts/common.sh
source "$(dirname "$0")/../scripts/common.sh"
cd "$BX_ROOT"

export BX_DATA_DIR=${BX_DATA_DIR:-$(cd "$BX_ROOT/.." && pwd)/shared/data}
export BX_MODEL_DIR=${BX_MODEL_DIR:-$(cd "$BX_ROOT/.." && pwd)/shared/models}
export BX_WEB_DIR=${BX_WEB_DIR:-$HOME/.cache/bxexit/webfaces}
for f in "$BX_DATA_DIR/faces/att_orl/s1/1.pgm" \
	"$BX_MODEL_DIR/yunet/face_detection_yunet_2023mar.onnx" \
	"$BX_MODEL_DIR/mobilefacenet/MobileFaceNet.onnx"; do
	[ -r "$f" ] || { echo "faces.sh: missing $f (set BX_DATA_DIR / BX_MODEL_DIR)" >&2; exit 1; }
done

bx_log "building bench/faces/faces_bench"
make -s -C bench/faces >/dev/null

# One core, as a PostgreSQL backend runs it; the OpenBLAS kernel family
# named from the CPU flags (OpenBLAS 0.3.21 misdetects recent CPUs).
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
coretype=$(bx_blas_coretype)
[ -n "$coretype" ] && export OPENBLAS_CORETYPE=$coretype

bin=bench/data/faces/build/faces_bench
mkdir -p bench/out bench/data/faces
out=bench/out/faces-$(date +%Y-%m-%d-%H%M%S).md
extra=()
[ -n "$threshold" ] && extra+=(--threshold "$threshold")
gate=()
[ -n "$gate_splits" ] && gate+=(--gate-splits "$gate_splits")

{
	echo "# Face pipeline benchmark"
	echo
	echo "Date: $(date -u +%Y-%m-%dT%H:%MZ). Machine: $(getconf _NPROCESSORS_ONLN) vCPU \"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')\"," \
		"gcc $(gcc -dumpversion), -O2. Command: \`bash bench/faces.sh${args:+ $args}\`."
	for s in $det_sizes; do
		echo
		echo "## Detector ${s}x${s}"
		if [ -n "$robust" ]; then
			"$bin" robust --det-size "$s" --rule largest "${extra[@]}" \
				${conditions:+--conditions "$conditions"}
			continue
		fi
		if [ -n "$quality" ]; then
			"$bin" quality --det-size "$s" --rule largest "${extra[@]}"
			continue
		fi
		dump=()
		[ -n "$scores" ] && dump+=(--scores "$scores") && scores=
		"$bin" accuracy --det-size "$s" --rule largest "${extra[@]}" "${gate[@]}" "${dump[@]}"
		"$bin" speed --det-size "$s" --runs "$runs" --photos bench/data/faces "${extra[@]}"
	done
} | tee "$out"
bx_log "saved to $out"
