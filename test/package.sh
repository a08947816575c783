#!/usr/bin/env bash
# test/package.sh: the Debian package postgresql-15-bxexit, as an operator
# installs it.  Builds it (scripts/build_deb.sh), removes the make-installed
# extension files (make uninstall), installs the .deb with dpkg -i, starts a
# throwaway cluster of Debian's PostgreSQL 15 and smoke-tests the installed
# files (CREATE EXTENSION, a face_embedding round trip, a bxann index scan,
# the models installed by scripts/install_models.sh and bx_model_check), checks
# dpkg -L, then removes the package (dpkg -r).  It replaces the make-installed
# files, so scripts/test.sh runs it last.  Skipped unless root with
# dpkg-buildpackage.
#
# BX_PACKAGE_INSTALL=extract (a check for a shared machine, not the suite):
# instead of dpkg -i/-r, extract the .deb into the relocated PostgreSQL of
# BX_PGBIN (dpkg-deb -x) and list it with dpkg-deb -c.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/common/tap.sh" || exit 1
source "$here/../scripts/common.sh" || exit 1
cd "$BX_ROOT" || exit 1

mode=${BX_PACKAGE_INSTALL:-dpkg}
pkg=postgresql-15-bxexit
if [ "$(id -u)" -ne 0 ]; then
	skip "Debian package" "not root (dpkg -i needs root)"
	done_testing
fi
if ! command -v dpkg-buildpackage >/dev/null || ! command -v pg_buildext >/dev/null ||
	! command -v dh >/dev/null; then
	skip "Debian package" "dpkg-buildpackage, pg_buildext or dh missing (dpkg-dev, postgresql-server-dev-all, debhelper)"
	done_testing
fi
# the package installs into Debian's PostgreSQL 15; the extract mode into BX_PGBIN's
[ "$mode" = dpkg ] && BX_PGBIN=/usr/lib/postgresql/15/bin
pg_config=$BX_PGBIN/pg_config
work=$(mktemp -d /tmp/bxexit-package.XXXXXX)
chmod 0755 "$work"
cleanup() {
	bx_cluster_stop
	if [ "$mode" = dpkg ] && dpkg-query -W -f='${Status}' $pkg 2>/dev/null | grep -q 'ok installed'; then
		dpkg -r $pkg >/dev/null 2>&1
	fi
	rm -rf "$work"
}
trap cleanup EXIT

# 1. build
bash scripts/build_deb.sh "$work" >"$work/build.out" 2>"$work/build.err"
rc=$?
deb=$(tail -n 1 "$work/build.out")
[ "$rc" -eq 0 ] && [ -f "$deb" ] && [ "$(basename "$deb")" = "${pkg}_0.2.0_amd64.deb" ]
ok $? "scripts/build_deb.sh builds ${pkg}_0.2.0_amd64.deb" "$work/build.err" || done_testing
diag "$(dpkg-deb -f "$deb" Depends)"

# 2. the make-installed files out, the package in
make -s -C "$BX_ROOT" PG_CONFIG="$pg_config" uninstall >"$work/uninstall.log" 2>&1 &&
	[ ! -e "$("$pg_config" --pkglibdir)/bxexit.so" ] &&
	[ ! -e "$("$pg_config" --sharedir)/extension/bxexit.control" ]
ok $? "make uninstall removes the make-installed extension files" "$work/uninstall.log"
if [ "$mode" = dpkg ]; then
	dpkg -i "$deb" >"$work/dpkg.log" 2>&1
	ok $? "dpkg -i $(basename "$deb")" "$work/dpkg.log" || done_testing
	listing() { dpkg -L $pkg; }
else
	# the relocated copy: /opt/X/usr/lib/postgresql/15/bin -> /opt/X
	prefix=${BX_PGBIN%/usr/lib/postgresql/15/bin}
	dpkg-deb -x "$deb" "$prefix" >"$work/dpkg.log" 2>&1
	ok $? "dpkg-deb -x $(basename "$deb") into $prefix" "$work/dpkg.log" || done_testing
	listing() { dpkg-deb -c "$deb" | awk '{ print substr($6, 2) }'; }
fi

# 3. what the package lists
listing >"$work/files" 2>&1
missing=
for f in /usr/lib/postgresql/15/lib/bxexit.so /usr/share/postgresql/15/extension/bxexit.control \
	/usr/share/postgresql/15/extension/bxexit--0.2.0.sql \
	/usr/share/postgresql/15/extension/bxexit--0.1.0.sql \
	/usr/share/postgresql/15/extension/bxexit--0.1.0--0.2.0.sql \
	/usr/share/doc/$pkg/README.Debian; do
	grep -qxF "$f" "$work/files" || missing="$missing $f"
done
[ -z "$missing" ]
ok $? "the package lists the module, the control file, the three SQL scripts, README.Debian${missing:+ (missing:$missing)}"

# 4. a throwaway cluster of the PostgreSQL the package is for; the models
#    come from scripts/install_models.sh, not from the cluster staging
models_src=${BX_MODEL_DIR:-$BX_ROOT/../shared/models}
BX_PGPORT=${BX_PACKAGE_PGPORT:-54341} BX_MODEL_DIR=$work/no-models bx_cluster_start \
	>"$work/cluster.log" 2>&1
ok $? "a throwaway cluster starts" "$work/cluster.log" || done_testing
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

q -c 'CREATE EXTENSION bxexit' >"$work/create.log" 2>&1
ok $? "CREATE EXTENSION bxexit (version $(q -c "SELECT extversion FROM pg_extension WHERE extname = 'bxexit'" 2>/dev/null))" \
	"$work/create.log"

got=$(q -c "SELECT 'mobilefacenet-v1:[0.125,-3.5,1e-07]'::bxexit.face_embedding::text" 2>&1)
[ "$got" = "mobilefacenet-v1:[0.125,-3.5,1e-07]" ]
ok $? "face_embedding text round trip (got: $got)"

q >"$work/ann.log" 2>&1 <<'SQL'
SET search_path = public, bxexit;
CREATE TABLE pkg_gallery (id int, e face_embedding(3));
INSERT INTO pkg_gallery
	SELECT i, ARRAY[i, (i * 2) % 17, i % 7]::real[]::face_embedding FROM generate_series(1, 1000) i;
CREATE INDEX pkg_gallery_ann ON pkg_gallery USING bxann (e face_embedding_l2_ops);
SQL
q >"$work/scan.out" 2>>"$work/ann.log" <<'SQL'
SET search_path = public, bxexit;
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM pkg_gallery ORDER BY e <-> '[137,2.1,4]' LIMIT 1;
SELECT id FROM pkg_gallery ORDER BY e <-> '[137,2.1,4]' LIMIT 1;
SQL
grep -q 'Index Scan using pkg_gallery_ann' "$work/scan.out" && [ "$(tail -n 1 "$work/scan.out")" = 137 ]
ok $? "a bxann index scan returns the nearest row (got: $(tail -n 1 "$work/scan.out"))" "$work/ann.log"

if [ -f "$models_src/yunet/face_detection_yunet_2023mar.onnx" ]; then
	# a damaged copy is refused, the real files are installed
	mkdir -p "$work/bad"
	cp -r "$models_src/yunet" "$models_src/mobilefacenet" "$work/bad/"
	printf 'X' | dd of="$work/bad/mobilefacenet/MobileFaceNet.onnx" bs=1 seek=5000 \
		conv=notrunc status=none
	bash scripts/install_models.sh "$work/bad" "$work/models-bad" >"$work/bad.log" 2>&1
	rc=$?
	[ "$rc" -ne 0 ] && [ ! -e "$work/models-bad" ] && grep -q 'REFUSED.*MobileFaceNet' "$work/bad.log"
	ok $? "install_models.sh refuses an altered model and installs nothing" "$work/bad.log"
	bash scripts/install_models.sh "$models_src" "$work/models" >"$work/models.log" 2>&1
	ok $? "install_models.sh installs the face models" "$work/models.log"
	# the README.Debian procedure: LOAD before ALTER SYSTEM on PostgreSQL 15
	q -c "LOAD 'bxexit'" -c "ALTER SYSTEM SET bxexit.model_path = '$work/models'" \
		-c 'SELECT pg_reload_conf()' >"$work/alter.log" 2>&1
	ok $? "LOAD 'bxexit'; ALTER SYSTEM SET bxexit.model_path" "$work/alter.log"
	sleep 1
	n=$(q -c 'SELECT count(*) FROM bxexit.bx_model_check()' 2>"$work/check.log")
	[ "$n" = 2 ]
	ok $? "bx_model_check() loads and verifies both models (got: $n)" "$work/check.log"
else
	skip "install_models.sh and bx_model_check()" "no face models at $models_src"
fi
bx_cluster_stop

# 5. leave the system as the suite expects: the package removed
if [ "$mode" = dpkg ]; then
	dpkg -r $pkg >"$work/remove.log" 2>&1 &&
		[ ! -e /usr/lib/postgresql/15/lib/bxexit.so ] &&
		[ ! -e /usr/share/postgresql/15/extension/bxexit.control ]
	ok $? "dpkg -r $pkg removes its files" "$work/remove.log"
fi
done_testing
