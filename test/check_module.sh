#!/usr/bin/env bash
# The built module keeps FAISS, the C++ runtime, OpenMP and BLAS to itself
# (no exported symbol of theirs), and a backend that loaded it and built an
# index stays single-threaded.  TAP output; the thread check needs a server
# (PG* environment), the symbol check only bxexit.so; with BX_PHOTOS (face
# models installed) it also checks that bx_embed keeps memory flat.
set -uo pipefail
source "$(dirname "$0")/common/tap.sh" || exit 1
so=${1:-bxexit.so}

# every exported symbol is the module's own: fmgr entry points, Bx*/Nn*/Fp* (its libraries)
foreign=$(nm -D --defined-only "$so" | awk '{print $3}' |
	grep -v -E '^(pg_finfo_|_PG_init$|Pg_magic_func$|_init$|_fini$|Bx|bx|Nn|Fp|face_embedding|array_to_face_embedding)')
[ -z "$foreign" ]; ok $? "bxexit.so exports only its own symbols${foreign:+ (foreign: $(echo $foreign | head -c 200))}"
count=$(nm -D --defined-only "$so" | grep -c -E 'faiss|_ZNSt|omp_|sgemm|cblas' || true)
[ "$count" -eq 0 ]; ok $? "no FAISS, C++ runtime, OpenMP or BLAS symbol is exported ($count found)"

if [ -n "${PGHOST:-}" ]; then
	# build an index in a session kept open, then count its backend's threads
	coproc PSQL { psql -X -q -t -A; }
	echo "CREATE EXTENSION IF NOT EXISTS bxexit;" >&"${PSQL[1]}"
	echo "CREATE TEMP TABLE th AS SELECT i AS id, ARRAY[cos(i), sin(i), cos(i * 2), sin(i * 3)]::bxexit.face_embedding(4) AS v FROM generate_series(1, 5000) i;" >&"${PSQL[1]}"
	# on two threads: the bridge's own (k-means, assignment, graph) must be gone after
	echo "SET bxexit.build_threads = 2;" >&"${PSQL[1]}"
	echo "CREATE INDEX ON th USING bxann (v bxexit.face_embedding_l2_ops) WITH (lists = 50);" >&"${PSQL[1]}"
	echo "SELECT 'pid=' || pg_backend_pid();" >&"${PSQL[1]}"
	read -r line <&"${PSQL[0]}"
	pid=${line#pid=}
	threads=$(ls /proc/"$pid"/task 2>/dev/null | wc -l)
	echo "\\q" >&"${PSQL[1]}"
	wait "$PSQL_PID" 2>/dev/null
	[ "$threads" -eq 1 ]; ok $? "a backend that built an index has 1 thread (has $threads)"
fi
if [ -n "${PGHOST:-}" ] && [ -n "${BX_PHOTOS:-}" ]; then
	# memory stays flat over many bx_embed calls once models and buffers are in
	coproc PSQL2 { psql -X -q -t -A; }
	echo "CREATE EXTENSION IF NOT EXISTS bxexit;" >&"${PSQL2[1]}"
	echo "CREATE TEMP TABLE ph AS SELECT pg_read_binary_file('$BX_PHOTOS/orl_s1_1.pgm') AS b;" >&"${PSQL2[1]}"
	echo "SELECT 'pid=' || pg_backend_pid();" >&"${PSQL2[1]}"
	read -r line <&"${PSQL2[0]}"
	pid=${line#pid=}
	rss() { awk '/VmRSS/ {print $2}' /proc/"$pid"/status; }
	# statements of 100 calls: what a statement allocates is freed at its end,
	# so growth from statement to statement would be a leak
	calls() {
		for _ in $(seq "$1"); do
			echo "SELECT 'n=' || count(*) FROM ph, generate_series(1, 100), bxexit.bx_embed(b) e;" >&"${PSQL2[1]}"
			read -r line <&"${PSQL2[0]}"
		done
	}
	calls 3
	before=$(rss)
	calls 10
	after=$(rss)
	echo "\\q" >&"${PSQL2[1]}"
	wait "$PSQL2_PID" 2>/dev/null
	growth=$((after - before))
	[ "$growth" -lt 1024 ]; ok $? "RSS grows by less than 1 MB over 10 more statements of 100 bx_embed calls (${before} kB -> ${after} kB)"
fi
done_testing
