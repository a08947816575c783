#!/usr/bin/env bash
# The exact k-NN searches of a bxann build on one core (bench/knn/bench_knn.c):
# lib/ip_panels.c's AVX-512 product against OpenBLAS's sgemm, and
# lib/knn_select.c's selection in registers against one candidate at a time,
# on the problem shapes of a 200,000-row build.  lib/ is compiled as the
# extension compiles it (-O2); BLAS on one thread, as in the server.  Needs
# gcc and Debian's libopenblas-dev (bx_install_packages in scripts/common.sh installs it).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=common/lib_flags.sh
source bench/common/lib_flags.sh
FLAGS=$BX_LIB_FLAGS
VEC=$BX_KERNEL_FLAGS
gcc $FLAGS $VEC -c lib/kernels.c -o "$out/kernels.o"
for f in knn_block ip_panels knn_select; do
	gcc $FLAGS -c "lib/$f.c" -o "$out/$f.o"
done
gcc $FLAGS bench/knn/bench_knn.c "$out/knn_block.o" "$out/ip_panels.o" "$out/knn_select.o" \
	"$out/kernels.o" -lopenblas -lm -o "$out/bench_knn"
echo "Machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -n 1);" \
	"$(date -u +%Y-%m-%d); OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}; one thread; best of 50 (selection: 20) passes"
echo
OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 "$out/bench_knn"
