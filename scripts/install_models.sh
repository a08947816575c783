#!/usr/bin/env bash
# Install the face model files bxexit reads (never packaged, never committed).
#
#   bash scripts/install_models.sh [SRC [TARGET]]
#
# SRC holds yunet/face_detection_yunet_2023mar.onnx and
# mobilefacenet/MobileFaceNet.onnx (default ../shared/models beside the
# checkout, see README "Face models"); TARGET is the directory bxexit reads
# (default: bxexit.model_path's default, $(pg_config --sharedir)/extension/
# bxexit_models, with PG_CONFIG or BX_PGBIN's pg_config).  Every file's size
# and SHA-256 must be the ones of the manifest compiled into bxexit
# (src/face/model.c): on any mismatch nothing is installed.  The files are
# made readable by everyone (the server's user, postgres, only reads them).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
src=${1:-$root/../shared/models}
pg_config=${PG_CONFIG:-${BX_PGBIN:-/usr/lib/postgresql/15/bin}/pg_config}
target=${2:-}
if [ -z "$target" ]; then
	target=$("$pg_config" --sharedir)/extension/bxexit_models ||
		{ echo "install_models.sh: cannot run $pg_config; name the target directory" >&2; exit 1; }
fi

# The manifest of src/face/model.c: relative path, bytes, SHA-256.  Read from
# the source so the two cannot drift apart.
manifest=$(sed -n '/^static const BxModelManifestEntry manifest/,/^};/p' "$root/src/face/model.c" |
	tr -d '\n\t' |
	grep -oE '"[a-z]+/[^"]+\.onnx",[ ]*[0-9]+,[ ]*"[0-9a-f]{64}"' |
	sed -E 's/^"([^"]+)",[ ]*([0-9]+),[ ]*"([0-9a-f]+)"$/\1 \2 \3/')
[ "$(printf '%s\n' "$manifest" | grep -c .)" -eq 2 ] ||
	{ echo "install_models.sh: cannot read the model manifest of src/face/model.c" >&2; exit 1; }

bad=0
while read -r path size sha; do
	f=$src/$path
	if [ ! -f "$f" ]; then
		echo "install_models.sh: missing $f" >&2; bad=1; continue
	fi
	got_size=$(stat -c %s "$f")
	got_sha=$(sha256sum "$f" | cut -d' ' -f1)
	if [ "$got_size" != "$size" ] || [ "$got_sha" != "$sha" ]; then
		echo "install_models.sh: REFUSED $f: $got_size bytes, SHA-256 $got_sha;" \
			"bxexit accepts only $size bytes, SHA-256 $sha (see README, Face models)" >&2
		bad=1
	fi
done <<<"$manifest"
[ "$bad" -eq 0 ] || { echo "install_models.sh: nothing installed" >&2; exit 1; }

while read -r path size sha; do
	install -D -m 0644 "$src/$path" "$target/$path"
	# check the copy too: a full disk or a racing writer must not go unnoticed
	[ "$(sha256sum "$target/$path" | cut -d' ' -f1)" = "$sha" ] ||
		{ echo "install_models.sh: the copy $target/$path does not match" >&2; exit 1; }
done <<<"$manifest"
# the directories on the way: traversable by the server's user
chmod 0755 "$target" "$target"/*/
echo "installed the face models into $target"
