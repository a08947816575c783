-- face_embedding text input/output, model tags and typmod
SET search_path = public, bxexit;

-- round trip, whitespace, signs, exponents
SELECT '[1,2,3]'::face_embedding;
SELECT ' [ -1.5 , +2e-3,3.25e2 ] '::face_embedding;
SELECT '[0.1]'::face_embedding;
SELECT '[-0]'::face_embedding;
-- float4 values come back as the shortest text that reads as the same float4
SELECT '[0.1,0.2,0.30000001,1e-38,3.4028235e38]'::face_embedding;
SELECT '[1.17549435e-38]'::face_embedding::text::face_embedding = '[1.17549435e-38]'::face_embedding AS denormal_roundtrip;

-- model tags
SELECT 'mobilefacenet-v1:[1,2]'::face_embedding;
SELECT '  arcface_r100.v2:[0.5]'::face_embedding;
SELECT bx_model('mobilefacenet-v1:[1,2]'), bx_model('[1,2]') IS NULL AS untagged;
SELECT bx_set_model('[1,2]', 'mobilefacenet-v1');
SELECT bx_set_model('mobilefacenet-v1:[1,2]', '');
SELECT bx_set_model('mobilefacenet-v1:[1,2]', 'other');
SELECT bx_dims('[1,2,3,4]'), bx_dims('m:[7]');

-- typmod
CREATE TABLE emb_typmod (e face_embedding(3));
INSERT INTO emb_typmod VALUES ('[1,2,3]'), ('m1:[4,5,6]');
INSERT INTO emb_typmod VALUES ('[1,2]');
SELECT * FROM emb_typmod ORDER BY e;
SELECT '[1,2]'::face_embedding(2);
SELECT '[1,2]'::face_embedding::face_embedding(3);
SELECT format_type(atttypid, atttypmod) FROM pg_attribute
 WHERE attrelid = 'emb_typmod'::regclass AND attname = 'e';
DROP TABLE emb_typmod;

-- large dimension counts round-trip
SELECT bx_dims(('[' || array_to_string(array_fill(0.5::real, ARRAY[2048]), ',') || ']')::face_embedding) AS dims_2048;
SELECT bx_dims(('[' || array_to_string(array_fill(1::real, ARRAY[16000]), ',') || ']')::face_embedding) AS dims_max;
WITH v AS (SELECT ('m:[' || string_agg((i * 0.37 - 250)::real::text, ',') || ']')::face_embedding AS e
             FROM generate_series(1, 2048) i)
SELECT e::text::face_embedding = e AS text_roundtrip_2048 FROM v;

-- storage: a table with embeddings survives TOAST and binary COPY round trips
CREATE TABLE emb_store (id int, e face_embedding);
INSERT INTO emb_store
SELECT i, ('m' || (i % 2) || ':[' || string_agg((((i * 31 + j) % 97 - 48)::real / 7)::text, ',') || ']')::face_embedding
  FROM generate_series(1, 20) i, generate_series(1, 1000) j GROUP BY i;
\copy emb_store TO 'results/emb_store.bin' WITH (FORMAT binary)
CREATE TABLE emb_store2 (LIKE emb_store);
\copy emb_store2 FROM 'results/emb_store.bin' WITH (FORMAT binary)
SELECT count(*) AS rows, bool_and(a.e = b.e AND bx_model(a.e) IS NOT DISTINCT FROM bx_model(b.e)) AS identical
  FROM emb_store a JOIN emb_store2 b USING (id);
SELECT count(*) FROM emb_store a JOIN emb_store2 b USING (id)
 WHERE a.e::text <> b.e::text;
DROP TABLE emb_store, emb_store2;
