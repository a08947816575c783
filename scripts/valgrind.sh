#!/usr/bin/env bash
# Run the pg_regress suite against a PostgreSQL server started under
# valgrind (memcheck), then report the errors valgrind found, separating
# those whose stack passes through bxexit.so.  Slow (the face networks run
# ~30x slower): about 10-30 minutes on 2 cores.  Not part of scripts/test.sh.
#
#   bash scripts/valgrind.sh [TEST ...]      default: every sql/*.sql test
#
# Debian's PostgreSQL is not built with USE_VALGRIND, so valgrind sees a
# memory context's blocks, not its chunks: use-after-pfree inside a live
# context goes unseen; reads of uninitialised memory, overruns of malloc'd
# buffers (FAISS, libjpeg, the ONNX interpreter's arenas) and wild accesses
# are found.  Suppressions for PostgreSQL's own known noise are in
# test/valgrind/postgres.supp.  Exit status 1 when an error involves bxexit.
set -uo pipefail
source "$(dirname "$0")/common.sh"
cd "$BX_ROOT"

bx_install_packages || exit 1
command -v valgrind >/dev/null || bx_as_root apt-get install -y -q valgrind >/dev/null || exit 1
bx_build_install || exit 1

vgdir=$(mktemp -d /tmp/bxexit-valgrind.XXXXXX)
chmod 0777 "$vgdir"
cp test/valgrind/postgres.supp "$vgdir/"
cat >"$vgdir/postgres" <<SH
#!/bin/sh
exec valgrind --quiet --trace-children=yes --track-origins=yes --error-limit=no \\
	--num-callers=40 --read-var-info=no --suppressions=$vgdir/postgres.supp \\
	--log-file=$vgdir/vg.%p.log "$BX_PGBIN/postgres" "\$@"
SH
chmod 0755 "$vgdir/postgres"

# valgrind emulates AVX2 but not AVX-512: OpenBLAS's SkylakeX kernels would
# stop with SIGILL (bxexit's own kernels pick their AVX2 clone by CPUID)
export OPENBLAS_CORETYPE=Haswell
trap bx_cluster_stop EXIT
BX_POSTGRES=$vgdir/postgres BX_START_TIMEOUT=300 \
	BX_SERVER_OPTS="-c max_parallel_workers_per_gather=0 -c jit=off" bx_cluster_start || exit 1

tests=${*:-$(cd sql && ls *.sql | sed 's/\.sql$//' | tr '\n' ' ')}
if [ -z "$BX_MODELS" ] || [ -z "$BX_PHOTOS" ]; then
	for t in models match_photo photo quality; do tests=${tests/$t/}; done
	bx_log "no face models or photos: models, photo, match_photo and quality skipped"
else
	export BX_PHOTOS
	make -s -C test/image hostile OUT="$BX_PHOTOS" && chmod a+r "$BX_PHOTOS"/*
	tests=${tests/models/}	# needs the damaged model copies scripts/test.sh makes
fi
start=$(date +%s)
bx_log "pg_regress under valgrind: $tests"
make -s PG_CONFIG="$BX_PGBIN/pg_config" REGRESS="$tests" installcheck
rc=$?
secs=$(($(date +%s) - start))
bx_cluster_stop
trap - EXIT

# one "==PID== N errors" summary is not written with --quiet: count error
# headers instead (each error starts with a line naming its kind)
errors=$(grep -hcE '^==[0-9]+== (Invalid|Conditional|Use of uninitialised|Syscall param|Mismatched|Source and destination|Argument)' "$vgdir"/vg.*.log | awk '{s += $1} END {print s + 0}')
ours=$(awk '/^==[0-9]+== [A-Z]/ {blk = $0; inblk = 1; next}
	inblk && /bxexit\.so/ {print blk; inblk = 0}
	/^==[0-9]+== $/ {inblk = 0}' "$vgdir"/vg.*.log | wc -l)
processes=$(ls "$vgdir"/vg.*.log | wc -l)
echo
echo "| tests | pg_regress | seconds | processes | valgrind errors | through bxexit.so |"
echo "|---|---|---|---|---|---|"
echo "| $(echo $tests | wc -w) | $([ $rc = 0 ] && echo passed || echo FAILED) | $secs | $processes | $errors | $ours |"
if [ "$ours" -gt 0 ]; then
	echo
	echo "Errors through bxexit.so (full logs in $vgdir):"
	grep -l 'bxexit\.so' "$vgdir"/vg.*.log | head -5 | xargs -r sed -n '1,80p'
	exit 1
fi
echo "Logs: $vgdir"
[ $rc = 0 ]
