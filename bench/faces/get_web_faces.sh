#!/usr/bin/env bash
# Extract the web face photos of the robustness bench (several photos per
# person: pose, lighting, expression) from two public GitHub repositories,
# into a directory OUTSIDE the checkout, one folder per person:
#
#   DIR/lfw7/<Name>/<Name>_NNNN.jpg   350 LFW photos of 7 people (125x125,
#                                     LFW downscaled by half), from
#                                     zhangzijie-pro/wall-e-robot
#                                     Dataset/face_dataset/
#   DIR/deepface/pNN/imgK.jpg         the photos of serengil/deepface
#                                     tests/unit/dataset/ that its pair lists
#                                     (master.csv, face-recognition-pivot.csv)
#                                     label "Yes" with another photo, grouped
#                                     into people by those pairs
#
#   bash bench/faces/get_web_faces.sh MIRROR_LFW7 MIRROR_DEEPFACE [DIR]
#
# MIRROR_*: bare git directories of the two repositories (a `git clone
# --bare` of https://github.com/zhangzijie-pro/wall-e-robot and
# https://github.com/serengil/deepface, or the mirrors of the session's
# fetch tool); DIR defaults to $BX_WEB_DIR or ~/.cache/bxexit/webfaces.
# Nothing is written into the repository.  See bench/faces/README.md for
# the sources and their terms.  CI has no network and never runs this; the
# bench skips the web set when DIR is absent.
set -euo pipefail

[ $# -ge 2 ] || { sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
lfw=$1
deep=$2
dir=${3:-${BX_WEB_DIR:-$HOME/.cache/bxexit/webfaces}}
for g in "$lfw" "$deep"; do
	git --git-dir="$g" rev-parse --verify -q HEAD >/dev/null ||
		{ echo "get_web_faces.sh: not a git directory: $g" >&2; exit 1; }
done
case $(cd "$(dirname "$dir")" 2>/dev/null && pwd)/ in
"$(cd "$(dirname "$0")/../.." && pwd)"/*)
	echo "get_web_faces.sh: $dir is inside the repository; photos stay outside it" >&2
	exit 1 ;;
esac

rm -rf "$dir.tmp"
mkdir -p "$dir.tmp/lfw7" "$dir.tmp/deepface"

# 1. the LFW subset, already one folder per person
git --git-dir="$lfw" archive HEAD:Dataset/face_dataset |
	tar -x -C "$dir.tmp/lfw7"

# 2. deepface: people = connected components of the "Yes" pairs
pairs=$( {
	git --git-dir="$deep" show HEAD:tests/unit/dataset/master.csv
	git --git-dir="$deep" show HEAD:tests/unit/dataset/face-recognition-pivot.csv
} | tr -d '\r' | awk -F, 'tolower($3) == "yes" { sub(".*/", "", $1); sub(".*/", "", $2); print $1, $2 }')
groups=$(awk '
	function find(x) { while (parent[x] != x) x = parent[x]; return x }
	{
		for (i = 1; i <= 2; i++) if (!($i in parent)) parent[$i] = $i
		a = find($1); b = find($2); if (a != b) parent[a] = b
	}
	END { for (x in parent) print find(x), x }' <<<"$pairs" | sort)
n=0
declare -A person
while read -r root file; do
	if [ -z "${person[$root]:-}" ]; then
		n=$((n + 1))
		person[$root]=$(printf 'p%02d' "$n")
	fi
	mkdir -p "$dir.tmp/deepface/${person[$root]}"
	git --git-dir="$deep" show "HEAD:tests/unit/dataset/$file" \
		>"$dir.tmp/deepface/${person[$root]}/$file"
done <<<"$groups"

# bx_embed reads JPEG and PNG: drop anything else (img47.jpg is a WebP)
find "$dir.tmp" -name '*.jpg' -print0 | while IFS= read -r -d '' f; do
	[ "$(head -c 2 "$f" | od -An -tx1 | tr -d ' ')" = ffd8 ] ||
		{ echo "get_web_faces.sh: not a JPEG, left out: ${f#"$dir.tmp/"}" >&2; rm -f "$f"; }
done

{
	echo "lfw7 from $(git --git-dir="$lfw" rev-parse HEAD) (zhangzijie-pro/wall-e-robot)"
	echo "deepface from $(git --git-dir="$deep" rev-parse HEAD) (serengil/deepface)"
} >"$dir.tmp/SOURCE"
rm -rf "$dir"
mv "$dir.tmp" "$dir"
echo "get_web_faces.sh: $(find "$dir" -name '*.jpg' | wc -l) photos of" \
	"$(find "$dir" -mindepth 2 -maxdepth 2 -type d | wc -l) people in $dir"
