-- avg(face_embedding): template fusion
SET search_path = public, bxexit;

SELECT avg(e) FROM (VALUES ('[1,2]'::face_embedding), ('[3,4]'), (NULL)) v(e);
SELECT avg(e) FROM (VALUES ('m:[1,2]'::face_embedding), ('m:[3,6]')) v(e);
-- untagged inputs join a tagged average, which keeps the tag
SELECT avg(e) FROM (VALUES ('[1,2]'::face_embedding), ('m:[3,6]'), ('[2,1]')) v(e);
SELECT avg(e) IS NULL AS empty_is_null FROM (SELECT NULL::face_embedding e WHERE false) v;
-- fused and normalised template per person
CREATE TABLE emb_enroll (person int, e face_embedding(3));
INSERT INTO emb_enroll VALUES (1, 'm:[1,0,0]'), (1, 'm:[0.8,0.2,0]'), (2, 'm:[0,0,1]'), (2, 'm:[0,0.2,0.9]');
SELECT person, bx_normalize(avg(e)) AS template FROM emb_enroll GROUP BY person ORDER BY person;
-- a parallel plan combines partial states and gives the same answer
CREATE TABLE emb_many AS
SELECT i % 5 AS g, ('m:[' || (i % 7) || ',' || (i % 11) || ',' || (i % 13) || ']')::face_embedding AS e
  FROM generate_series(1, 100000) i;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT avg(e) FROM emb_many;
SELECT avg(e) FROM emb_many;
RESET max_parallel_workers_per_gather;
SET max_parallel_workers_per_gather = 0;
SELECT avg(e) FROM emb_many;
RESET ALL;
SET search_path = public, bxexit;
DROP TABLE emb_enroll, emb_many;
