#!/usr/bin/env bash
# The SQL calibration functions agree with bench/faces.sh on the same scores.
# bench/faces.sh --quick embeds the ORL and LFW photos (face_pipe, no
# server) and prints its verification table; --scores writes the ORL
# comparison scores it measured.  Those scores go into the cluster, and
# bx_det_point (FNMR and threshold at FMR 1e-2, 1e-3, 1e-4) and bx_det_eer
# (EER and its threshold) must print exactly the benchmark's cells, in the
# benchmark's format.  TAP output.
#
#   PGHOST/PGPORT/PGUSER/PGDATABASE: a running cluster with bxexit installed
#   BX_MODEL_DIR, BX_DATA_DIR: as bench/faces.sh (default ../shared/...)
set -uo pipefail
source "$(dirname "$0")/common/tap.sh" || exit 1
cd "$(dirname "$0")/.."

work=$(mktemp -d /tmp/bxexit-calib.XXXXXX)
trap 'rm -rf "$work"' EXIT

if ! bash bench/faces.sh --quick --scores "$work/scores" >"$work/faces.md" 2>&1; then
	not_ok "bench/faces.sh --quick --scores ran"
	tail -n 20 "$work/faces.md" | diag
	done_testing
fi
ok 0 "bench/faces.sh --quick --scores ran"

# the benchmark's ORL row: | ORL | mated | non-mated | @1e-2 | @1e-3 | @1e-4 | @1e-5 | EER |
row=$(grep -m1 -E '^\| ORL \| [0-9]+ \| [0-9]+ \| [0-9.]+% \(t=' "$work/faces.md")
IFS='|' read -r _ _ bench_nm bench_nn bench_p2 bench_p3 bench_p4 _ bench_eer _ <<<"$row"
trim() { sed 's/^ *//; s/ *$//' <<<"$1"; }
bench_nm=$(trim "$bench_nm") bench_nn=$(trim "$bench_nn")
bench_p2=$(trim "$bench_p2") bench_p3=$(trim "$bench_p3") bench_p4=$(trim "$bench_p4")
bench_eer=$(trim "$bench_eer")
[[ $bench_p2 == *%* && $bench_eer == *t=* ]]
ok $? "the benchmark printed its ORL verification row ($row)" || done_testing

m=$(grep -c '^m ' "$work/scores")
n=$(grep -c '^n ' "$work/scores")
[ "$m" = "$bench_nm" ] && [ "$n" = "$bench_nn" ]
ok $? "the score file holds the benchmark's $bench_nm mated and $bench_nn non-mated scores (has $m and $n)"

# float8 out gives the shortest text that reads back as the same double, and
# awk formats doubles with C's printf, as the benchmark does
sql() {
	psql -X -q -t -A -v ON_ERROR_STOP=1 -F ' ' "$@"
}
if ! sql >"$work/sql.out" 2>&1 <<EOF; then
CREATE TEMP TABLE bench_score (kind text, score float8);
\\copy bench_score FROM '$work/scores' WITH (DELIMITER ' ')
CREATE TEMP TABLE a AS
SELECT array_agg(score) FILTER (WHERE kind = 'm') AS m, array_agg(score) FILTER (WHERE kind = 'n') AS n
  FROM bench_score;
SELECT 'point', f, 100 * p.fnmr, p.threshold
  FROM a, unnest(ARRAY[1e-2, 1e-3, 1e-4]::float8[]) WITH ORDINALITY u(f, i),
       LATERAL bxexit.bx_det_point(a.m, a.n, u.f) p
 ORDER BY u.i;
SELECT 'eer', 100 * e.eer, e.threshold FROM a, LATERAL bxexit.bx_det_eer(a.m, a.n) e;
SELECT 'curve', count(*), bool_and(c.fmr BETWEEN 0 AND 1 AND c.fnmr BETWEEN 0 AND 1)
  FROM a, LATERAL bxexit.bx_det_curve(a.m, a.n) c;
EOF
	not_ok "the scores load and the calibration functions run"
	diag <"$work/sql.out"
	done_testing
fi
ok 0 "the scores load and the calibration functions run"

fmt() { awk '{ printf "%.2f%% (t=%.3f)\n", $1, $2 }'; }
got=$(awk '$1 == "point" { print $3, $4 }' "$work/sql.out" | fmt)
fmrs=(1e-2 1e-3 1e-4)
wants=("$bench_p2" "$bench_p3" "$bench_p4")
for i in 0 1 2; do
	have=$(sed -n "$((i + 1))p" <<<"$got")
	[ "$have" = "${wants[i]}" ]
	ok $? "bx_det_point at FMR ${fmrs[i]} gives the benchmark's FNMR and threshold: $have (bench ${wants[i]})"
done
have=$(awk '$1 == "eer" { print $2, $3 }' "$work/sql.out" | fmt)
[ "$have" = "$bench_eer" ]
ok $? "bx_det_eer gives the benchmark's EER and threshold: $have (bench $bench_eer)"

# the curve: a point per distinct score, every rate a fraction
read -r _ points fractions < <(grep '^curve ' "$work/sql.out")
distinct=$(awk '{ print $2 }' "$work/scores" | sort -u | wc -l)
[ "$points" = "$distinct" ] && [ "$fractions" = t ]
ok $? "bx_det_curve has a point per distinct score ($points of $distinct), rates within [0, 1]"

done_testing
