# Shared by bench/kernels.sh and bench/knn.sh: the flags the Makefile
# compiles lib/ with (PGXS's -O2), and those it adds for lib/kernels.c
# alone (the reassociation that lets -O2 split a float sum into SIMD
# lanes); and a scratch folder, removed on exit, in $out.
BX_LIB_FLAGS="-std=gnu11 -O2 -Ilib"
BX_KERNEL_FLAGS="-ftree-vectorize -fvect-cost-model=dynamic -fassociative-math -fno-signed-zeros -fno-trapping-math"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
