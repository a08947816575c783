#!/usr/bin/env bash
# Resource bounds: the largest inputs bxexit accepts are handled with bounded
# memory, and one step beyond each limit is a clear ERROR.  Each case runs in
# a backend of its own and measures that backend's peak memory (VmHWM) over
# the statement: photos at the byte and pixel limits, a face model file far
# over its size, 2,048-dimension embeddings with a bxann index, and an index
# build under a small maintenance_work_mem.  TAP output.
#
#   PGHOST/PGPORT/PGUSER/PGDATABASE: a running cluster with bxexit available
#   BX_PHOTOS: staged photos, with face models installed (photo cases skip
#   without them); the server's user must be able to read $TMPDIR.
set -uo pipefail
source "$(dirname "$0")/common/tap.sh" || exit 1

python=${PYTHON:-/usr/bin/python3}	# Debian's, with python3-opencv
work=$(mktemp -d /tmp/bxexit-bounds.XXXXXX)
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT

# in_backend SETUP STATEMENT: run SETUP, then STATEMENT, in one new backend;
# sets OUT (the statement's output, or "ERROR <sqlstate>: <message>") and
# GROWTH_KB (how far the backend's peak memory rose during the statement)
in_backend() {
	local setup=$1 stmt=$2 line pid hwm0 hwm1
	coproc BK { psql -X -q -t -A 2>&1; }
	{
		echo "\\set VERBOSITY verbose"
		echo "CREATE EXTENSION IF NOT EXISTS bxexit;"
		printf '%s\n' "$setup"
		echo "SELECT 'pid=' || pg_backend_pid();"
	} >&"${BK[1]}"
	while read -r line <&"${BK[0]}"; do
		case $line in pid=*) pid=${line#pid=}; break ;; esac
	done
	hwm0=$(awk '/VmHWM/ {print $2}' /proc/"$pid"/status)
	printf '%s\n' "$stmt" "SELECT 'done';" >&"${BK[1]}"
	OUT=
	while read -r line <&"${BK[0]}"; do
		[ "$line" = done ] && break
		# keep "ERROR:  54000: message", drop verbose LOCATION lines
		case $line in LOCATION:*) continue ;; "ERROR:  "*) line="ERROR ${line#ERROR:  }" ;; esac
		OUT="$OUT${OUT:+ }$line"
	done
	hwm1=$(awk '/VmHWM/ {print $2}' /proc/"$pid"/status)
	echo "\\q" >&"${BK[1]}"
	wait "$BK_PID" 2>/dev/null
	GROWTH_KB=$((hwm1 - hwm0))
}
mb() { echo "$(($1 / 1024)) MB"; }

# ------------------------------------------------------------------ photos

if [ -n "${BX_PHOTOS:-}" ] && "$python" -c 'import cv2' 2>/dev/null; then
	# a real face scaled up to 4000x3000, and the largest picture the default
	# pixel limit allows (7071x7071 < 50,000,000 pixels); both decode with
	# DCT scaling, so the decoded image stays small
	"$python" - "$BX_PHOTOS/lfw_1.jpg" "$work" <<'PY'
import sys, cv2, numpy as np
src, out = sys.argv[1], sys.argv[2]
face = cv2.imread(src)
cv2.imwrite(out + "/big.jpg", cv2.resize(face, (4000, 3000), interpolation=cv2.INTER_CUBIC),
            [cv2.IMWRITE_JPEG_QUALITY, 92])
canvas = np.full((7071, 7071, 3), 128, np.uint8)
canvas[2000:5000, 2000:5000] = cv2.resize(face, (3000, 3000), interpolation=cv2.INTER_CUBIC)
cv2.imwrite(out + "/max_pixels.jpg", canvas, [cv2.IMWRITE_JPEG_QUALITY, 80])
PY
	chmod 644 "$work"/*.jpg
	big=$work/big.jpg
	size=$(stat -c %s "$big")
	warm="SELECT count(*) FROM bxexit.bx_embed_quality(pg_read_binary_file('$BX_PHOTOS/orl_s1_1.pgm'));"

	in_backend "$warm SET bxexit.max_image_bytes = $size;" \
		"SELECT status FROM bxexit.bx_embed_quality(pg_read_binary_file('$big'), 'largest');"
	[ "$OUT" = ok ] && [ "$GROWTH_KB" -lt $((128 * 1024)) ]
	ok $? "a 4000x3000 JPEG of exactly bxexit.max_image_bytes ($size bytes) is embedded ($OUT), peak memory +$(mb "$GROWTH_KB") (< 128 MB)"

	in_backend "$warm SET bxexit.max_image_bytes = $((size - 1));" \
		"SELECT bxexit.bx_embed(pg_read_binary_file('$big'), 'largest') IS NOT NULL;"
	case $OUT in "ERROR 54000"*) r=0 ;; *) r=1 ;; esac
	ok $r "one byte over bxexit.max_image_bytes is ERROR 54000 (${OUT:0:120})"

	in_backend "$warm SET bxexit.max_image_pixels = 12000000;" \
		"SELECT status FROM bxexit.bx_embed_quality(pg_read_binary_file('$big'), 'largest');"
	[ "$OUT" = ok ]; ok $? "a photo of exactly bxexit.max_image_pixels (4000x3000) is embedded ($OUT)"
	in_backend "$warm SET bxexit.max_image_pixels = 11999999;" \
		"SELECT status FROM bxexit.bx_embed_quality(pg_read_binary_file('$big'), 'largest');"
	[ "$OUT" = image_too_large ]; ok $? "one pixel fewer allowed: image_too_large ($OUT)"

	in_backend "$warm" \
		"SELECT status FROM bxexit.bx_embed_quality(pg_read_binary_file('$work/max_pixels.jpg'), 'largest');"
	[ "$OUT" = ok ] && [ "$GROWTH_KB" -lt $((128 * 1024)) ]
	ok $? "a 7071x7071 JPEG (just under the default 50,000,000-pixel limit) is embedded ($OUT), peak memory +$(mb "$GROWTH_KB") (< 128 MB)"

	# a model file far over its manifest size (a 4 GB sparse file): refused
	# from its size alone, without reading it
	mkdir -p "$work/models/yunet" "$work/models/mobilefacenet"
	truncate -s 4G "$work/models/yunet/face_detection_yunet_2023mar.onnx"
	model_dir=$(psql -X -q -t -A -c "SHOW bxexit.model_path")
	cp "$model_dir/mobilefacenet/MobileFaceNet.onnx" "$work/models/mobilefacenet/"
	chmod -R a+rX "$work/models"
	start=$(date +%s)
	in_backend "SET bxexit.model_path = '$work/models';" \
		"SELECT bxexit.bx_embed(pg_read_binary_file('$BX_PHOTOS/orl_s1_1.pgm')) IS NOT NULL;"
	secs=$(($(date +%s) - start))
	case $OUT in "ERROR F0000"*) r=0 ;; *) r=1 ;; esac
	[ "$r" = 0 ] && [ "$GROWTH_KB" -lt $((16 * 1024)) ] && [ "$secs" -lt 30 ]
	ok $? "a 4 GB model file is ERROR F0000 without being read: peak memory +$(mb "$GROWTH_KB") (${OUT:0:110})"
else
	for c in "photo at the byte limit" "photo over the byte limit" "photo at the pixel limit" \
		"photo over the pixel limit" "photo under the default pixel limit" "model file over its size"; do
		skip "$c" "no face models, photos or python3-opencv"
	done
fi

# -------------------------------------------------- 2,048-dimension embeddings

make_table="SELECT setseed(0.5);
CREATE TEMP TABLE wide AS
SELECT i AS id, bxexit.bx_normalize(ARRAY(SELECT random() - 0.5 + i * 0 FROM generate_series(1, 2048))::bxexit.face_embedding)::bxexit.face_embedding(2048) AS v
  FROM generate_series(1, 3000) i;"
in_backend "$make_table SET maintenance_work_mem = '64MB';" \
	"CREATE INDEX wide_v ON wide USING bxann (v bxexit.face_embedding_cosine_ops);
SET bxann.probes = 1000;
SELECT string_agg(w.id::text, ',') FROM (SELECT id FROM wide ORDER BY v OPERATOR(bxexit.<=>) (SELECT v FROM wide WHERE id = 7) LIMIT 1) w;"
[ "$OUT" = 7 ] && [ "$GROWTH_KB" -lt $((128 * 1024)) ]
ok $? "a bxann index on 3,000 2,048-d rows builds under maintenance_work_mem 64MB and finds a row ($OUT), peak memory +$(mb "$GROWTH_KB")"

in_backend "$make_table" \
	"SELECT bxexit.bx_dims(bxexit.avg(v)) FROM wide;"
[ "$OUT" = 2048 ] && [ "$GROWTH_KB" -lt $((32 * 1024)) ]
ok $? "avg over 3,000 2,048-d rows ($OUT dims), peak memory +$(mb "$GROWTH_KB") (< 32 MB)"

in_backend "" "CREATE TEMP TABLE too_wide (v bxexit.face_embedding(4097)); CREATE INDEX ON too_wide USING bxann (v bxexit.face_embedding_l2_ops);"
case $OUT in "ERROR 54000"*) r=0 ;; *) r=1 ;; esac
ok $r "a bxann index over 4,097 dimensions is ERROR 54000 (${OUT:0:100})"
in_backend "" "SELECT bxexit.bx_dims(ARRAY(SELECT 1 FROM generate_series(1, 16001))::real[]::bxexit.face_embedding);"
case $OUT in "ERROR 54000"*) r=0 ;; *) r=1 ;; esac
ok $r "an embedding of 16,001 dimensions is ERROR 54000 (${OUT:0:100})"

# ---------------------------------------- index build, small maintenance_work_mem

in_backend "CREATE TEMP TABLE many AS SELECT i AS id, ARRAY(SELECT random() + i * 0 FROM generate_series(1, 128))::bxexit.face_embedding(128) AS v FROM generate_series(1, 20000) i;
SET maintenance_work_mem = '1MB';" \
	"CREATE INDEX ON many USING bxann (v bxexit.face_embedding_l2_ops);"
case $OUT in "ERROR 54000"*"maintenance_work_mem"*) r=0 ;; *) r=1 ;; esac
[ "$r" = 0 ] && [ "$GROWTH_KB" -lt $((16 * 1024)) ]
ok $? "an index build over 1MB of maintenance_work_mem stops with ERROR 54000, peak memory +$(mb "$GROWTH_KB") (${OUT:0:90})"

done_testing
