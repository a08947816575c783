-- from photo to face template: bx_detect, bx_embed, bx_embed_quality
SET search_path = public, bxexit;
\getenv photos BX_PHOTOS
CREATE TABLE photo (name text PRIMARY KEY, bytes bytea);
INSERT INTO photo
SELECT f, pg_read_binary_file(:'photos' || '/' || f)
  FROM unnest(ARRAY['orl_s1_1.pgm', 'orl_s1_2.pgm', 'orl_s2_1.pgm', 'lfw_1.jpg']) f;

-- one face per photo, found in the photo's own pixels
SELECT name, count(*) AS faces, min(score) >= 0.9 AS confident,
       bool_and(x >= -5 AND y >= -5 AND width > 20 AND eye_distance > 10) AS plausible_box,
       bool_and(array_length(landmarks, 1) = 10) AS five_landmarks
  FROM photo, bx_detect(bytes) GROUP BY name ORDER BY name;

-- templates: 128-d, unit norm, tagged with the model (the LFW photo has a
-- second person in the background: take the largest face)
CREATE TABLE template AS SELECT name, bx_embed(bytes, 'largest')::face_embedding(128) AS t FROM photo;
SELECT name, bx_dims(t), round(bx_norm(t)::numeric, 4) AS norm, bx_model(t) FROM template ORDER BY name;

-- same person scores higher than different people
SELECT bx_similarity(a.t, b.t) > 0.5 AS same_person_high,
       bx_similarity(a.t, c.t) < bx_similarity(a.t, b.t) - 0.2 AS other_person_lower
  FROM template a, template b, template c
 WHERE a.name = 'orl_s1_1.pgm' AND b.name = 'orl_s1_2.pgm' AND c.name = 'orl_s2_1.pgm';

-- stable: the same photo gives the same template, call after call
SELECT count(DISTINCT bx_embed(bytes, 'largest')::text) AS distinct_templates
  FROM photo, generate_series(1, 5) WHERE name = 'lfw_1.jpg';

-- templates go straight into the index
CREATE INDEX ON template USING bxann (t face_embedding_cosine_ops);
SET enable_seqscan = off;
SELECT name FROM template ORDER BY t <=> (SELECT bx_embed(bytes) FROM photo WHERE name = 'orl_s1_2.pgm') LIMIT 2;
RESET enable_seqscan;

-- the non-raising variant
SELECT name, status, faces, score > 0.9 AS confident, embedding IS NOT NULL AS has_template
  FROM photo, bx_embed_quality(bytes) ORDER BY name;
SELECT status, faces, embedding IS NOT NULL AS has_template
  FROM photo, bx_embed_quality(bytes, 'largest') WHERE name = 'lfw_1.jpg';

-- photos that give no template
\i sql/include/try.sql
-- a blank grey image: no face (22023)
SELECT pg_temp.try($$SELECT bx_embed(convert_to('P5 200 200 255' || chr(10), 'UTF8') || decode(repeat('80', 40000), 'hex'))$$);
SELECT status, faces, embedding IS NULL AS no_template
  FROM bx_embed_quality(convert_to('P5 200 200 255' || chr(10), 'UTF8') || decode(repeat('80', 40000), 'hex'));
-- two faces side by side: several faces (22023) unless the rule takes the largest
CREATE TABLE two AS
SELECT convert_to('P5 184 112 255' || chr(10), 'UTF8') ||
       string_agg(substr(a, 1 + 92 * r, 92) || substr(b, 1 + 92 * r, 92), ''::bytea ORDER BY r) AS bytes
  FROM (SELECT substr(bytes, length(bytes) - 92 * 112 + 1) AS a FROM photo WHERE name = 'orl_s1_1.pgm') x,
       (SELECT substr(bytes, length(bytes) - 92 * 112 + 1) AS b FROM photo WHERE name = 'orl_s2_1.pgm') y,
       generate_series(0, 111) r
 GROUP BY a, b;
SELECT count(*) AS faces_in_composite FROM two, bx_detect(bytes);
SELECT pg_temp.try($$SELECT bx_embed(bytes) FROM two$$);
SELECT bx_dims(bx_embed(bytes, 'largest')) FROM two;
SELECT status, faces FROM two, bx_embed_quality(bytes);
SELECT pg_temp.try($$SELECT bx_embed(bytes, 'biggest') FROM two$$);
-- a face too small for the configured minimum (22023)
SET bxexit.min_eye_distance = 500;
SELECT pg_temp.try($$SELECT bx_embed(bytes) FROM photo WHERE name = 'orl_s1_1.pgm'$$);
RESET bxexit.min_eye_distance;
-- corrupt and hostile input: invalid photo (22P03) or a limit (54000)
SELECT pg_temp.try($$SELECT bx_embed(''::bytea)$$);
SELECT pg_temp.try($$SELECT bx_embed('\x0102030405060708090a'::bytea)$$);
SELECT pg_temp.try($$SELECT bx_embed(substr(bytes, 1, length(bytes) / 2)) FROM photo WHERE name = 'lfw_1.jpg'$$);
SELECT pg_temp.try($$SELECT bx_embed(convert_to('P5 100000 100000 255' || chr(10), 'UTF8'))$$);
SELECT pg_temp.try($$SELECT bx_embed(convert_to('P5 92 112 255' || chr(10), 'UTF8') || '\x00'::bytea)$$);
-- well-formed but hostile: a progressive JPEG repeating its AC scan 1,000
-- times, and a PNG of 7200x7200 zeros in 50 kB (a decompression bomb)
CREATE TABLE hostile AS
SELECT f AS name, pg_read_binary_file(:'photos' || '/' || f) AS bytes
  FROM unnest(ARRAY['scan_bomb.jpg', 'png_bomb.png']) f;
SELECT name, length(bytes) > 0 AS read FROM hostile ORDER BY name;
SELECT pg_temp.try($$SELECT bx_embed(bytes) FROM hostile WHERE name = 'scan_bomb.jpg'$$);
SELECT pg_temp.try($$SELECT bx_embed(bytes) FROM hostile WHERE name = 'png_bomb.png'$$);
SELECT name, status FROM hostile, bx_embed_quality(bytes) ORDER BY name;
DROP TABLE hostile;
SELECT status FROM bx_embed_quality(''::bytea);
SELECT status FROM bx_embed_quality(convert_to('P5 100000 100000 255' || chr(10), 'UTF8'));
SET bxexit.max_image_bytes = 2000;
SELECT pg_temp.try($$SELECT bx_embed(bytes, 'largest') FROM photo WHERE name = 'lfw_1.jpg'$$);
RESET bxexit.max_image_bytes;
SET bxexit.max_image_pixels = 1000;
SELECT pg_temp.try($$SELECT bx_embed(bytes, 'largest') FROM photo WHERE name = 'lfw_1.jpg'$$);
RESET bxexit.max_image_pixels;
SELECT pg_temp.try($$SET bxexit.detector_size = 300$$);
-- the backend is fine afterwards
SELECT count(*) FROM photo, bx_detect(bytes) WHERE name = 'orl_s2_1.pgm';
DROP TABLE photo, template, two;
