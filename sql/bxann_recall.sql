-- bxann recall on face-like data: 2,000 identities x 10 samples, 64-d,
-- sample = normalize(centre + 0.09 * N(0, I)) as in ../shared/bench.
-- Deterministic (setseed); asserts a minimum recall, not a timing.
SET search_path = public, bxexit;
SELECT setseed(0.25);

CREATE TABLE rc_centre AS
SELECT c, array_agg(sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) ORDER BY d) AS x
  FROM generate_series(1, 2000) c, generate_series(1, 64) d GROUP BY c;
CREATE TABLE rc (id int PRIMARY KEY, ident int, v face_embedding(64));
INSERT INTO rc
SELECT row_number() OVER (), c,
       bx_normalize((SELECT array_agg(x[d] / 8 + 0.09 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) ORDER BY d)
                       FROM generate_series(1, 64) d)::face_embedding)
  FROM rc_centre, generate_series(1, 10) s;
CREATE TABLE rc_query AS
SELECT q, bx_normalize((SELECT array_agg(x[d] / 8 + 0.09 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) ORDER BY d)
                          FROM generate_series(1, 64) d)::face_embedding) AS v
  FROM rc_centre JOIN generate_series(1, 100) q ON c = q * 17;

-- exact top-10 by a sequential scan
SET enable_indexscan = off;
CREATE TABLE rc_truth AS
SELECT q.q, array(SELECT id FROM rc ORDER BY rc.v <=> q.v, id LIMIT 10) AS ids FROM rc_query q;
RESET enable_indexscan;

CREATE INDEX rc_v ON rc USING bxann (v face_embedding_cosine_ops);
SELECT lists, live_elements FROM bxann_index_info('rc_v');

-- recall@10 of the index with default settings, and with more effort
CREATE FUNCTION pg_temp.recall() RETURNS float8 LANGUAGE sql AS $$
	SELECT avg((SELECT count(*) FROM unnest(t.ids) i
	             WHERE i = ANY (array(SELECT id FROM rc ORDER BY rc.v <=> q.v LIMIT 10))) / 10.0)
	  FROM rc_query q JOIN rc_truth t USING (q)
$$;
SET enable_seqscan = off;
SELECT pg_temp.recall() >= 0.95 AS recall_default_at_least_095;
SET bxann.probes = 32;
SET bxann.ef_search = 40;
SELECT pg_temp.recall() >= 0.99 AS recall_high_effort_at_least_099;
RESET ALL;
DROP TABLE rc, rc_centre, rc_query, rc_truth;
