-- distances, similarity, norms and ordering
SET search_path = public, bxexit;

SELECT '[0,0]'::face_embedding <-> '[3,4]' AS l2,
       bx_l2_distance('[0,0]', '[3,4]') AS l2_fn,
       bx_l2_squared_distance('[0,0]', '[3,4]') AS l2_squared;
SELECT '[1,0]'::face_embedding <=> '[0,1]' AS cos_orthogonal,
       '[1,1]'::face_embedding <=> '[2,2]' AS cos_same_direction,
       '[1,0]'::face_embedding <=> '[-1,0]' AS cos_opposite,
       round(bx_cosine_distance('[1,2,3]', '[4,5,6]')::numeric, 9) AS cos_fn;
SELECT round(bx_similarity('[1,2,3]', '[4,5,6]')::numeric, 9) AS similarity,
       bx_similarity('[1,2,3]', '[-1,-2,-3]') AS similarity_opposite;
SELECT '[1,2,3]'::face_embedding <#> '[4,5,6]' AS neg_ip,
       bx_inner_product('[1,2,3]', '[4,5,6]') AS ip,
       bx_negative_inner_product('[1,2,3]', '[4,5,6]') AS neg_ip_fn;
SELECT bx_norm('[3,4]') AS norm, bx_normalize('m:[3,4]') AS normalized,
       bx_norm(bx_normalize('[1,2,3,4,5]')) AS unit;

-- untagged embeddings compare with tagged ones; equal tags compare
SELECT round(('m:[1,0]'::face_embedding <-> '[0,1]')::numeric, 9) AS tagged_untagged,
       'm:[1,0]'::face_embedding <=> 'm:[0,1]' AS same_tag;

-- the kernels agree with a straightforward computation in SQL on odd lengths
-- (exercising every SIMD remainder) and larger vectors
CREATE TABLE emb_pairs AS
SELECT n, (SELECT array_agg(sin(i * n + 1)::real ORDER BY i) FROM generate_series(1, n) i) AS a,
          (SELECT array_agg(cos(i * 0.7 + n)::real ORDER BY i) FROM generate_series(1, n) i) AS b
  FROM (SELECT generate_series(1, 40) AS n UNION ALL SELECT 127 UNION ALL SELECT 128
        UNION ALL SELECT 129 UNION ALL SELECT 512 UNION ALL SELECT 2048) s;
SELECT count(*) AS pairs,
       max(abs((a::face_embedding <-> b::face_embedding)
               - sqrt((SELECT sum((x - y)::float8 ^ 2) FROM unnest(a, b) u(x, y))))) < 1e-4 AS l2_ok,
       max(abs((a::face_embedding <#> b::face_embedding)
               + (SELECT sum(x::float8 * y) FROM unnest(a, b) u(x, y)))) < 1e-3 AS ip_ok,
       max(abs((a::face_embedding <=> b::face_embedding)
               - (1 - (SELECT sum(x::float8 * y) / sqrt(sum(x::float8 * x) * sum(y::float8 * y))
                         FROM unnest(a, b) u(x, y))))) < 1e-5 AS cosine_ok
  FROM emb_pairs;
DROP TABLE emb_pairs;

-- ORDER BY distance, the query shape the index serves
CREATE TABLE emb_people (id int, e face_embedding(3));
INSERT INTO emb_people VALUES (1, '[1,0,0]'), (2, '[0,1,0]'), (3, '[0,0,1]'), (4, '[1,1,0]'), (5, NULL);
SELECT id, round((e <-> '[1,0.1,0]')::numeric, 6) AS d FROM emb_people ORDER BY e <-> '[1,0.1,0]', id LIMIT 3;
SELECT id, round((e <=> '[1,1,0.1]')::numeric, 6) AS d FROM emb_people ORDER BY e <=> '[1,1,0.1]', id LIMIT 3;
SELECT id, e <#> '[2,1,0]' AS d FROM emb_people ORDER BY e <#> '[2,1,0]', id LIMIT 3;

-- btree ordering: DISTINCT, GROUP BY, UNIQUE, comparison operators
SELECT DISTINCT e FROM (VALUES ('[1,2]'::face_embedding), ('[1,2]'), ('m:[1,2]'), ('[1]'), ('[0,5]')) v(e) ORDER BY e;
SELECT e, count(*) FROM (VALUES ('[1,2]'::face_embedding), ('[1,2]'), ('[2,1]')) v(e) GROUP BY e ORDER BY e;
SELECT '[1,2]'::face_embedding < '[1,3]' AS lt, '[1,2]'::face_embedding <= '[1,2]' AS le,
       '[1,2]'::face_embedding = '[1,2]' AS eq, '[1,2]'::face_embedding <> 'm:[1,2]' AS ne_tag,
       '[1,2,0]'::face_embedding > '[9,9]' AS gt_dims, '[0]'::face_embedding = '[-0]' AS zero_eq;
CREATE TABLE emb_unique (e face_embedding UNIQUE);
INSERT INTO emb_unique VALUES ('[1,2]'), ('m:[1,2]');
INSERT INTO emb_unique VALUES ('[1,2]');
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT * FROM emb_unique WHERE e = '[1,2]';
SELECT * FROM emb_unique WHERE e = '[1,2]';
RESET enable_seqscan;
DROP TABLE emb_people, emb_unique;

-- labels the planner relies on
SELECT proname, provolatile, proisstrict, proparallel FROM pg_proc
 WHERE pronamespace = 'bxexit'::regnamespace AND proname IN ('bx_l2_distance', 'bx_similarity', 'face_embedding_in')
 ORDER BY proname;
