#!/usr/bin/env bash
# DET curve of the shipped model with the shipped thresholds, drawn from the
# SQL calibration functions.  bench/faces.sh --quick measures the ORL
# comparison scores (1,800 mated, 78,000 non-mated pairs; --scores FILE
# reuses scores it wrote before); a throwaway cluster loads them and
# computes bx_det_curve, bx_det_eer and, for each built-in threshold of
# match_threshold, the FMR and FNMR at that threshold on these scores;
# gnuplot (Debian's gnuplot-nox, installed when missing) draws FNMR against
# FMR on log axes.  Writes bench/figures/det-mobilefacenet-v1.png (shown
# in the README) and a copy with the figures under bench/out/.
#
#   bash bench/det_plot.sh [--scores FILE] [--no-build]
set -euo pipefail

scores=
build=1
while [ $# -gt 0 ]; do
	case $1 in
	--scores) [ $# -ge 2 ] || exit 2; scores=$2; shift 2 ;;
	--no-build) build=0; shift ;;
	*) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
	esac
done

# shellcheck source=../scripts/common.sh
source "$(dirname "$0")/../scripts/common.sh"
cd "$BX_ROOT"
if ! command -v gnuplot >/dev/null; then
	bx_log "installing gnuplot-nox"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q gnuplot-nox >/dev/null
fi
if [ "$build" -eq 1 ]; then
	bx_install_packages
	bx_build_install
fi
mkdir -p bench/out bench/figures
stamp=$(date +%Y-%m-%d-%H%M%S)
work=$(mktemp -d /tmp/bxexit-det.XXXXXX)
chmod 755 "$work"
cleanup() { bx_cluster_stop; rm -rf "$work"; }
trap cleanup EXIT

if [ -z "$scores" ]; then
	bx_log "bench/faces.sh --quick --scores (about a minute)"
	bash bench/faces.sh --quick --scores "$work/scores" >"$work/faces.md"
	scores=$work/scores
fi
[ -r "$scores" ] || { echo "det_plot.sh: cannot read $scores" >&2; exit 1; }

export BX_PGPORT=54352
bx_cluster_start
psql -X -q -t -A -F ' ' -v ON_ERROR_STOP=1 >"$work/sql.out" <<EOF
CREATE EXTENSION bxexit;
CREATE TEMP TABLE s (kind text, score float8);
\\copy s FROM '$scores' WITH (DELIMITER ' ')
CREATE TEMP TABLE a AS
SELECT array_agg(score) FILTER (WHERE kind = 'm') AS m, array_agg(score) FILTER (WHERE kind = 'n') AS n FROM s;
\\o $work/curve.dat
SELECT c.fmr, c.fnmr FROM a, bxexit.bx_det_curve(a.m, a.n) c WHERE c.fmr > 0 AND c.fnmr > 0;
\\o $work/eer.dat
SELECT e.eer, e.eer, e.threshold FROM a, bxexit.bx_det_eer(a.m, a.n) e;
\\o $work/thresholds.dat
SELECT t.purpose, t.threshold,
       (SELECT count(*) FROM unnest(a.n) v WHERE v > t.threshold)::float8 / cardinality(a.n),
       (SELECT count(*) FROM unnest(a.m) v WHERE NOT v > t.threshold)::float8 / cardinality(a.m)
  FROM a, bxexit.match_threshold t
 WHERE t.builtin AND t.model = 'mobilefacenet-v1' ORDER BY t.purpose;
\\o $work/counts.dat
SELECT cardinality(a.m), cardinality(a.n) FROM a;
EOF
read -r nm nn <"$work/counts.dat"
read -r eer _ eer_t <"$work/eer.dat"

# a point per threshold: its rates, clamped to the axes when zero
points=
labels=
i=0
while read -r purpose t fmr fnmr; do
	i=$((i + 1))
	pfmr=$(awk -v v="$fmr" -v n="$nn" 'BEGIN { print (v > 0 ? v : 0.5 / n) }')
	pfnmr=$(awk -v v="$fnmr" -v n="$nm" 'BEGIN { print (v > 0 ? v : 0.5 / n) }')
	text=$(awk -v p="$purpose" -v t="$t" -v a="$fmr" -v b="$fnmr" -v n="$nn" \
		'BEGIN { f = a > 0 ? sprintf("%.2g", a) : "0 (drawn at 1/2N)"; printf "shipped %s threshold %.2f: FMR %s, FNMR %.2g", p, t, f, b }')
	echo "$pfmr $pfnmr" >"$work/point$i.dat"
	points="$points, '$work/point$i.dat' using 1:2 with points pointtype $((5 + 2 * i)) pointsize 2 title '$text'"
	labels="$labels$text
"
done <"$work/thresholds.dat"
eer_text=$(awk -v e="$eer" -v t="$eer_t" 'BEGIN { printf "EER %.2f%% at threshold %.3f", 100 * e, t }')

png=bench/figures/det-mobilefacenet-v1.png
gnuplot <<EOF
set terminal pngcairo size 900,650 font 'DejaVu Sans,11'
set output '$png'
set title "DET curve, mobilefacenet-v1 on ORL ($nm mated, $nn non-mated pairs), from bx\\\\_det\\\\_curve"
set logscale xy
set xlabel 'FMR (false match rate)'
set ylabel 'FNMR (false non-match rate)'
set xrange [1e-6:1]
set yrange [1e-4:1]
set format x '10^{%L}'
set format y '10^{%L}'
set grid
set key top right box opaque
plot '$work/curve.dat' using 1:2 with lines linewidth 2 title 'FNMR against FMR (zero rates off the log axes)', \
     '$work/eer.dat' using 1:2 with points pointtype 6 pointsize 2 title '$eer_text'$points
EOF
cp "$png" "bench/out/det-$stamp.png"
{
	echo "# DET curve"
	echo
	echo "Date: $(date -u +%Y-%m-%dT%H:%MZ). Command: \`bash bench/det_plot.sh\`. Scores: bench/faces.sh --quick (ORL, detector 320)."
	echo
	echo "- $nm mated and $nn non-mated pairs; $eer_text"
	printf '%s' "$labels" | sed 's/^/- /'
	echo "- plot: $png"
} | tee "bench/out/det-$stamp.md"
bx_log "wrote $png"
