# Shared by scripts/test.sh and scripts/demo.sh: install the Debian packages
# bxexit needs, build and install it, and run a throwaway PostgreSQL cluster.
# Source it; it defines functions and variables, it runs nothing by itself.

BX_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# BX_PGBIN may name another PostgreSQL 15 installation (a relocated copy, to
# run two suites side by side); the default is Debian's.
BX_PGBIN=${BX_PGBIN:-/usr/lib/postgresql/15/bin}

# Everything the build, the tests and the demo use, from Debian 12 only.
BX_PACKAGES=(
	build-essential
	postgresql-15
	postgresql-server-dev-15
	postgresql-15-pgtap
	libtap-parser-sourcehandler-pgtap-perl
	libfaiss-dev
	libopenblas-dev
	libjpeg62-turbo-dev
	libturbojpeg0-dev
	libpng-dev
	libipc-run-perl
	python3-numpy
	python3-onnx
	python3-opencv
	python3-psycopg
	python3-pytest
	clang
	libclang-rt-14-dev
	llvm
	# the Debian package (scripts/build_deb.sh, test/package.sh)
	dpkg-dev
	debhelper
	postgresql-server-dev-all
)

bx_log() { printf '==> %s\n' "$*" >&2; }

# Run a command as root: directly when we are root, else through sudo.
bx_as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Install whichever of BX_PACKAGES is missing (apt-get update only if needed).
bx_install_packages() {
	local missing=() p
	for p in "${BX_PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	if [ ${#missing[@]} -eq 0 ]; then
		bx_log "all Debian packages present"
		return 0
	fi
	bx_log "installing Debian packages: ${missing[*]}"
	bx_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	bx_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends "${missing[@]}" >/dev/null
}

# Build with warnings as errors and install into the PostgreSQL 15 tree.
bx_build_install() {
	bx_log "building bxexit"
	make -C "$BX_ROOT" -s clean
	make -C "$BX_ROOT" -s PG_CONFIG="$BX_PGBIN/pg_config" \
		PG_CFLAGS="-Werror ${BX_EXTRA_CFLAGS:-}"
	bx_as_root make -C "$BX_ROOT" -s PG_CONFIG="$BX_PGBIN/pg_config" install
}

# PostgreSQL's Perl TAP framework (PostgreSQL::Test::Cluster) and the
# pg_regress it needs, from postgresql-server-dev-15: sets BX_PERL_LIB and
# BX_PG_REGRESS, or says what is missing and fails.
bx_perl_tap_setup() {
	local pgxs_src
	pgxs_src=$(dirname "$(dirname "$("$BX_PGBIN/pg_config" --pgxs)")")
	BX_PERL_LIB=$pgxs_src/test/perl
	BX_PG_REGRESS=$pgxs_src/test/regress/pg_regress
	if [ ! -f "$BX_PERL_LIB/PostgreSQL/Test/Cluster.pm" ] || [ ! -x "$BX_PG_REGRESS" ]; then
		bx_log "PostgreSQL::Test::Cluster or pg_regress missing under $pgxs_src (postgresql-server-dev-15)"
		return 1
	fi
	if ! perl -MIPC::Run -e 1 2>/dev/null; then
		bx_log "the Perl module IPC::Run is missing (Debian package libipc-run-perl)"
		return 1
	fi
}

# The server may not run as root: use the postgres account then, else us.
bx_server_user() {
	if [ "$(id -u)" -eq 0 ]; then echo postgres; else id -un; fi
}

bx_run_as_server_user() {
	local user
	user=$(bx_server_user)
	if [ "$(id -un)" = "$user" ]; then "$@"; else runuser -u "$user" -- "$@"; fi
}

# OpenBLAS 0.3.21 (Debian 12) does not recognise recent CPUs and falls back
# to its slowest kernels ("Prescott"): three times slower matrix products for
# FAISS and the face networks.  Name the kernel family from the CPU flags,
# unless the caller already chose one.  Printed by bx_blas_coretype.
bx_blas_coretype() {
	if [ -n "${OPENBLAS_CORETYPE:-}" ]; then
		echo "$OPENBLAS_CORETYPE"
	elif grep -qw avx512bw /proc/cpuinfo && grep -qw avx512vl /proc/cpuinfo &&
		grep -qw avx512dq /proc/cpuinfo; then
		echo SkylakeX
	elif grep -qw avx2 /proc/cpuinfo && grep -qw fma /proc/cpuinfo; then
		echo Haswell
	fi
}

# Start a throwaway cluster listening only on a unix socket in a fresh
# temporary directory; exports PGHOST, PGPORT, PGUSER for the clients.
# BX_POSTGRES names another executable for pg_ctl to start (scripts/valgrind.sh
# starts the server under valgrind that way), BX_START_TIMEOUT its patience.
bx_cluster_start() {
	BX_TMP=$(mktemp -d /tmp/bxexit-cluster.XXXXXX)
	chmod 0755 "$BX_TMP"
	chown "$(bx_server_user)" "$BX_TMP"
	export PGHOST=$BX_TMP PGPORT=${BX_PGPORT:-54329} PGUSER=postgres PGDATABASE=postgres
	BX_CORETYPE=$(bx_blas_coretype)
	bx_log "starting a throwaway cluster in $BX_TMP"
	bx_stage_models
	bx_stage_photos
	bx_run_as_server_user "$BX_PGBIN/initdb" -D "$BX_TMP/data" -U postgres \
		--auth=trust --no-sync -E UTF8 --locale=C >"$BX_TMP/initdb.log" 2>&1 ||
		{ cat "$BX_TMP/initdb.log" >&2; return 1; }
	# One BLAS/OpenMP thread per backend (see README, "Threads").
	bx_run_as_server_user env OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 \
		${BX_CORETYPE:+OPENBLAS_CORETYPE=$BX_CORETYPE} \
		"$BX_PGBIN/pg_ctl" -D "$BX_TMP/data" -l "$BX_TMP/server.log" -w -t "${BX_START_TIMEOUT:-60}" \
		${BX_POSTGRES:+-p "$BX_POSTGRES"} \
		-o "-c listen_addresses='' -c unix_socket_directories='$BX_TMP' -p $PGPORT -c fsync=off ${BX_MODELS:+-c bxexit.model_path='$BX_MODELS'} ${BX_SERVER_OPTS:-}" \
		start >/dev/null ||
		{ cat "$BX_TMP/server.log" >&2; return 1; }
}

# Face models for tests and the demo: ../shared/models beside the project
# (BX_MODEL_DIR overrides), copied into the cluster directory so the server's
# user can read them wherever the clone lives.  Sets BX_MODELS to that copy,
# or to nothing when there are no models.
bx_stage_models() {
	local src=${BX_MODEL_DIR:-$BX_ROOT/../shared/models}
	BX_MODELS=
	[ -f "$src/yunet/face_detection_yunet_2023mar.onnx" ] || return 0
	mkdir -p "$BX_TMP/models/yunet" "$BX_TMP/models/mobilefacenet"
	cp "$src/yunet/face_detection_yunet_2023mar.onnx" "$BX_TMP/models/yunet/"
	cp "$src/mobilefacenet/MobileFaceNet.onnx" "$BX_TMP/models/mobilefacenet/"
	chmod -R a+rX "$BX_TMP/models"
	BX_MODELS=$BX_TMP/models
}

# A few real photos for the photo tests, from ../shared/data/faces
# (BX_DATA_DIR overrides), copied where the server's user can read them.
# Sets BX_PHOTOS to that directory, or to nothing when there are none.
bx_stage_photos() {
	local src=${BX_DATA_DIR:-$BX_ROOT/../shared/data}/faces
	local lfw
	BX_PHOTOS=
	[ -f "$src/att_orl/s1/1.pgm" ] || return 0
	mkdir -p "$BX_TMP/photos"
	cp "$src/att_orl/s1/1.pgm" "$BX_TMP/photos/orl_s1_1.pgm"
	cp "$src/att_orl/s1/2.pgm" "$BX_TMP/photos/orl_s1_2.pgm"
	cp "$src/att_orl/s2/1.pgm" "$BX_TMP/photos/orl_s2_1.pgm"
	# the first LFW person, in glob (sorted) order; no pipe, so safe under pipefail
	for lfw in "$src"/lfw_singletons/images/*/*.jpg; do break; done
	cp "$lfw" "$BX_TMP/photos/lfw_1.jpg"
	chmod -R a+rX "$BX_TMP/photos"
	BX_PHOTOS=$BX_TMP/photos
}

# The whole shared face set for the demo and the gate benchmark: ORL (40
# people x 10 PGM) as $BX_FACES/orl/sN/K.pgm and the LFW singletons (629
# people x 1 JPEG) as $BX_FACES/lfw/Name_0001.jpg, copied into the cluster
# directory so the server's user can read them.  Sets BX_FACES, or nothing
# when the photos are not there.
bx_stage_faces() {
	local src=${BX_DATA_DIR:-$BX_ROOT/../shared/data}/faces
	BX_FACES=
	[ -f "$src/att_orl/s1/1.pgm" ] && [ -d "$src/lfw_singletons/images" ] || return 0
	mkdir -p "$BX_TMP/faces/lfw"
	cp -r "$src/att_orl" "$BX_TMP/faces/orl"
	cp "$src"/lfw_singletons/images/*/*.jpg "$BX_TMP/faces/lfw/"
	chmod -R a+rX "$BX_TMP/faces"
	BX_FACES=$BX_TMP/faces
}

# Stop the cluster and remove its directory; safe to call twice.
bx_cluster_stop() {
	if [ -n "${BX_TMP:-}" ] && [ -d "$BX_TMP/data" ]; then
		bx_run_as_server_user "$BX_PGBIN/pg_ctl" -D "$BX_TMP/data" -m immediate \
			-w stop >/dev/null 2>&1 || true
		rm -rf "$BX_TMP"
	fi
	BX_TMP=
}
