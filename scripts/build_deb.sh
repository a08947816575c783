#!/usr/bin/env bash
# Build the Debian package postgresql-15-bxexit from this checkout, the way
# PGDG builds extensions (debian/rules: pg_buildext, out of tree in build-15).
#
#   bash scripts/build_deb.sh [OUTDIR]
#
# Copies the tracked and untracked-but-not-ignored files of the checkout (so
# uncommitted edits are built, build products are not) into a temporary
# directory, runs dpkg-buildpackage -us -uc -b there, moves the .deb into
# OUTDIR (default: the checkout's parent directory, where dpkg-buildpackage
# would put it) and prints its path on the last line of stdout.  Debian
# packages only, no network: the build dependencies come from
# scripts/common.sh (BX_PACKAGES); BX_DEB_NODEPCHECK=1 passes -d (skip the
# Build-Depends check) for a machine where they are present by other means.
set -euo pipefail
source "$(dirname "$0")/common.sh"

outdir=$(cd "${1:-$BX_ROOT/..}" && pwd)
for tool in dpkg-buildpackage dh pg_buildext; do
	command -v "$tool" >/dev/null ||
		{ bx_log "$tool is missing (Debian packages dpkg-dev, debhelper, postgresql-common)"; exit 1; }
done

version=$(dpkg-parsechangelog -l "$BX_ROOT/debian/changelog" -S Version)
control_version=$(sed -n "s/^default_version = '\(.*\)'/\1/p" "$BX_ROOT/bxexit.control")
if [ "$version" != "$control_version" ]; then
	bx_log "debian/changelog says $version, bxexit.control's default_version $control_version: add a changelog entry"
	exit 1
fi

work=$(mktemp -d /tmp/bxexit-deb.XXXXXX)
trap 'rm -rf "$work"' EXIT
src=$work/bxexit-$version
mkdir -p "$src"
bx_log "copying the checkout into $src"
(cd "$BX_ROOT" && git ls-files -z --cached --others --exclude-standard |
	xargs -0 -I{} sh -c 'test -e "{}" && printf "%s\0" "{}"' |
	tar --null -T - -cf -) | tar -C "$src" -xf -

bx_log "dpkg-buildpackage -us -uc -b"
(cd "$src" && DEB_BUILD_OPTIONS="parallel=${BX_JOBS:-2} ${DEB_BUILD_OPTIONS:-}" \
	dpkg-buildpackage -us -uc -b ${BX_DEB_NODEPCHECK:+-d}) >"$work/build.log" 2>&1 ||
	{ tail -n 60 "$work/build.log" >&2; bx_log "dpkg-buildpackage failed"; exit 1; }

arch=$(dpkg-architecture -qDEB_HOST_ARCH)
deb=postgresql-15-bxexit_${version}_${arch}.deb
[ -f "$work/$deb" ] || { tail -n 30 "$work/build.log" >&2; bx_log "no $deb"; exit 1; }
mv "$work/$deb" "$outdir/"
bx_log "built $outdir/$deb"
echo "$outdir/$deb"
