#!/usr/bin/env bash
# test/check_layers.sh
# The server-free layer stays server-free: no file under lib/ includes a
# PostgreSQL header, so its libraries build and are tested without a server
# (STYLE.md, section 1).  Two checks, TAP output:
#
#  1. every #include of lib/**/*.{c,h,cpp}, by name: postgres.h,
#     postgres_fe.h, fmgr.h, funcapi.h, miscadmin.h, or any header that
#     exists under `pg_config --includedir-server`;
#  2. every lib/ .c file (gcc -std=c11) and .cpp file (clang++ -std=c++17)
#     resolved with -M, the server directory searched last: no dependency,
#     however indirect or computed, lies under it.
#
#   bash test/check_layers.sh [DIR]   check DIR (default: lib/ of this
#                                     repository); PG_CONFIG names pg_config
#
# Without DIR it also proves that it can fail: it checks temporary
# directories with a file including "postgres.h", one reaching a server
# header through a macro (the name check cannot see it, -M must), and a
# clean one that must pass.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/test/common/tap.sh" || exit 1

dir=${1:-$root/lib}
[ -d "$dir" ] || { echo "Bail out! no directory $dir"; exit 1; }
dir=$(cd "$dir" && pwd)
shown=${dir#"$root"/}
pg_config=${PG_CONFIG:-pg_config}
server=$("$pg_config" --includedir-server 2>/dev/null)
# a symlinked server directory may be resolved either way by the compilers
server_real=$(realpath -q "$server" 2>/dev/null)
png_cflags=$(pkg-config --cflags libpng 2>/dev/null)
cxx=$(command -v clang++ || command -v g++)
work=$(mktemp -d /tmp/bxexit-layers.XXXXXX)
trap 'rm -rf "$work"' EXIT

mapfile -d '' sources < <(find "$dir" -type f \( -name '*.c' -o -name '*.h' \
	-o -name '*.cpp' -o -name '*.hpp' \) -print0 | sort -z)

# ------------------------------------------------------- 1. include names

# under_server PATH: PATH names a file under the server include directory
under_server() {
	[ -n "$server" ] || return 1
	case $1 in "$server"/* | "$server_real"/*) return 0 ;; esac
	return 1
}

: >"$work/names"
for f in "${sources[@]}"; do
	# lines "N:#include <x>" or "N:# include "x""; a computed include has no name
	grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]' "$f" |
		while IFS= read -r line; do
			name=$(sed -E 's/^[0-9]+:[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]([^>"]*)[>"].*/\1/' <<<"$line")
			case ${name##*/} in
			postgres.h | postgres_fe.h | fmgr.h | funcapi.h | miscadmin.h) bad=1 ;;
			*) bad=0; [ -n "$server" ] && [ -f "$server/$name" ] && bad=1 ;;
			esac
			[ "$bad" = 1 ] && echo "${f#"$dir"/}:${line%%:*}: includes $name"
		done >>"$work/names"
done
[ ! -s "$work/names" ]
ok $? "no file of ${#sources[@]} under $shown/ includes a PostgreSQL header by name" "$work/names"

# ------------------------------------------- 2. resolved dependencies (-M)

if [ -z "$server" ] || [ ! -d "$server" ]; then
	skip "resolved dependencies of $shown/ stay outside the server include directory" \
		"$pg_config --includedir-server gives no directory (postgresql-server-dev-15)"
else
	: >"$work/deps"
	checked=0
	for f in "${sources[@]}"; do
		case $f in
		*.c) cmd=(gcc -std=c11) ;;
		*.cpp) cmd=("$cxx" -std=c++17) ;;
		*) continue ;;
		esac
		checked=$((checked + 1))
		# the server directory comes last (-idirafter): it can only supply
		# what nothing else has, i.e. what a server header include needs
		# shellcheck disable=SC2086
		if ! "${cmd[@]}" -M -I "$dir" $png_cflags -idirafter "$server" "$f" \
			>"$work/m.out" 2>"$work/m.err"; then
			echo "${f#"$dir"/}: ${cmd[0]} -M failed:" >>"$work/deps"
			head -n 5 "$work/m.err" >>"$work/deps"
			continue
		fi
		# the rule "obj.o: a.c b.h \" as one path a line
		tr -s ' \\\n' '\n' <"$work/m.out" | sed '1d' | while IFS= read -r dep; do
			[ -n "$dep" ] || continue
			under_server "$dep" || under_server "$(realpath -q -m "$dep")" &&
				echo "${f#"$dir"/}: depends on $dep"
		done >>"$work/deps"
	done
	[ "$checked" -gt 0 ] && [ ! -s "$work/deps" ]
	ok $? "no dependency of the $checked .c/.cpp files under $shown/, resolved by ${cxx:+gcc/$(basename "$cxx") }-M, lies under $server" "$work/deps"
fi

# ------------------------------------------------ the check can fail

if [ $# -eq 0 ]; then
	# run_self NAME: check $work/NAME with this script, its TAP as diagnostics
	run_self() {
		bash "$0" "$work/$1" >"$work/$1.log" 2>&1
		local rc=$?
		diag <"$work/$1.log"
		return $rc
	}

	mkdir -p "$work/named"
	printf '#include "postgres.h"\n\nint\nbad(void)\n{\n\treturn 0;\n}\n' >"$work/named/bad.c"
	run_self named
	rc=$?
	[ "$rc" -ne 0 ] && grep -q '^not ok 1 - ' "$work/named.log"
	ok $? "fails on a directory with a .c file that includes \"postgres.h\" (exit $rc)"

	if [ -n "$server" ] && [ -d "$server" ]; then
		mkdir -p "$work/computed"
		printf '#define SERVER_HEADER <utils/palloc.h>\n#include SERVER_HEADER\n' >"$work/computed/bad.c"
		run_self computed
		rc=$?
		[ "$rc" -ne 0 ] && grep -q '^ok 1 - ' "$work/computed.log" &&
			grep -q '^not ok 2 - ' "$work/computed.log"
		ok $? "fails on a server header reached through a macro, seen by -M only (exit $rc)"
	else
		skip "fails on a server header reached through a macro" "no server include directory"
	fi

	mkdir -p "$work/clean/sub"
	printf '#ifndef SUB_H\n#define SUB_H\n#include <stddef.h>\n#endif\n' >"$work/clean/sub/sub.h"
	printf '#include <stdio.h>\n#include "sub/sub.h"\n\nint\nfine(void)\n{\n\treturn 0;\n}\n' >"$work/clean/fine.c"
	run_self clean
	rc=$?
	[ "$rc" -eq 0 ]
	ok $? "passes on a directory without PostgreSQL headers (exit $rc)"
fi

done_testing
