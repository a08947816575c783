#!/usr/bin/env bash
# Distance-kernel benchmark and vectorisation check: builds lib/kernels.c
# four ways (shipped with run-time AVX2 dispatch at -O2 and at -O3, baseline
# SSE2 only, and scalar with vectorisation off), prints the SIMD instructions each function
# compiles to and ns per distance.  Needs only gcc and objdump.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=common/lib_flags.sh
source bench/common/lib_flags.sh
FLAGS=$BX_LIB_FLAGS
VEC=$BX_KERNEL_FLAGS

gcc $FLAGS $VEC -c lib/kernels.c -o "$out/shipped.o"
gcc $FLAGS $VEC -DBX_NO_TARGET_CLONES -c lib/kernels.c -o "$out/baseline.o"
gcc ${FLAGS/-O2/-O3} $VEC -c lib/kernels.c -o "$out/shipped-O3.o"
gcc $FLAGS -fno-tree-vectorize -DBX_NO_TARGET_CLONES -c lib/kernels.c -o "$out/scalar.o"

echo "## Generated code (packed float instructions per function in the shipped object)"
objdump -d --no-show-raw-insn "$out/shipped.o" | awk '
	/^[0-9a-f]+ <.*>:$/ { fn = $2; next }
	/(v?fmadd[0-9]*ps|v?mulps|v?addps|v?subps)/ {
		reg = ($0 ~ /ymm/) ? "ymm(256-bit)" : "xmm(128-bit)"; n[fn " " reg]++ }
	END { for (k in n) print "  " k ": " n[k] }' | sort
echo
echo "| build | variant | dims | L2 ns | inner product ns | cosine parts ns |"
echo "|---|---|---|---|---|---|"
for v in shipped shipped-O3 baseline scalar; do
	gcc $FLAGS bench/kernels/bench_kernels.c "$out/$v.o" -o "$out/bench_$v"
	"$out/bench_$v" "$v"
done
