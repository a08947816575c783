-- bxann index access method: correctness against a sequential scan
SET search_path = public, bxexit;

-- deterministic 8-d data: 2,000 rows around 200 "identities"
CREATE TABLE ann (id int PRIMARY KEY, grp int, v face_embedding(8));
INSERT INTO ann
SELECT i, i % 200,
       (SELECT array_agg(sin((i % 200) * 7.1 + d * 1.3) + 0.3 * sin(i * 3.7 + d * 11.1) ORDER BY d)
          FROM generate_series(1, 8) d)::face_embedding
  FROM generate_series(1, 2000) i;
CREATE TABLE ann_queries (qid int, q face_embedding(8));
INSERT INTO ann_queries
SELECT j, (SELECT array_agg(sin((j * 13 % 200) * 7.1 + d * 1.3) + 0.3 * cos(j * 5.3 + d) ORDER BY d)
             FROM generate_series(1, 8) d)::face_embedding
  FROM generate_series(1, 20) j;

-- compare(op): for every query, do the index scan and the sequential scan
-- return the same 10 ids in the same order?
CREATE FUNCTION pg_temp.compare(op text) RETURNS TABLE (queries int, identical int)
LANGUAGE plpgsql AS $f$
DECLARE
	r record;
	a int[];
	b int[];
BEGIN
	queries := 0;
	identical := 0;
	FOR r IN SELECT * FROM ann_queries ORDER BY qid LOOP
		SET LOCAL enable_seqscan = off;
		SET LOCAL enable_indexscan = on;
		EXECUTE format('SELECT array_agg(id) FROM (SELECT id FROM ann ORDER BY v OPERATOR(bxexit.%s) $1 LIMIT 10) s', op)
			INTO a USING r.q;
		SET LOCAL enable_seqscan = on;
		SET LOCAL enable_indexscan = off;
		EXECUTE format('SELECT array_agg(id) FROM (SELECT id FROM ann ORDER BY v OPERATOR(bxexit.%s) $1, id LIMIT 10) s', op)
			INTO b USING r.q;
		queries := queries + 1;
		IF a = b THEN
			identical := identical + 1;
		END IF;
	END LOOP;
	RETURN NEXT;
END
$f$;

-- with every list probed and every candidate re-ranked, the index is exact
SET bxann.probes = 1000;
SET bxann.rerank = 10000;

CREATE INDEX ann_cos ON ann USING bxann (v face_embedding_cosine_ops) WITH (lists = 10);
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM ann ORDER BY v <=> '[1,0,0,0,0,0,0,1]' LIMIT 5;
RESET enable_seqscan;
SELECT * FROM pg_temp.compare('<=>');
DROP INDEX ann_cos;

CREATE INDEX ann_l2 ON ann USING bxann (v face_embedding_l2_ops) WITH (lists = 10, m = 8);
SELECT * FROM pg_temp.compare('<->');
DROP INDEX ann_l2;

CREATE INDEX ann_ip ON ann USING bxann (v face_embedding_ip_ops) WITH (lists = 10);
SELECT * FROM pg_temp.compare('<#>');
DROP INDEX ann_ip;

-- a build with two BLAS threads is as exact (bxexit.build_threads; 0, the
-- default, takes max_parallel_maintenance_workers' choice for this table)
SHOW bxexit.build_threads;
SET bxexit.build_threads = 2;
CREATE INDEX ann_l2 ON ann USING bxann (v face_embedding_l2_ops) WITH (lists = 10, m = 8);
SELECT * FROM pg_temp.compare('<->');
DROP INDEX ann_l2;
RESET bxexit.build_threads;

-- default settings: approximate, but the graph finds nearly everything
RESET bxann.probes;
RESET bxann.rerank;
CREATE INDEX ann_cos ON ann USING bxann (v face_embedding_cosine_ops);
SELECT queries, identical >= 18 AS nearly_all_identical FROM pg_temp.compare('<=>');

-- inserts after the build are found
SET bxann.probes = 1000;
SET bxann.rerank = 10000;
INSERT INTO ann
SELECT i, i % 200,
       (SELECT array_agg(cos((i % 200) * 3.1 + d * 0.7) + 0.2 * sin(i + d) ORDER BY d)
          FROM generate_series(1, 8) d)::face_embedding
  FROM generate_series(2001, 2600) i;
SELECT * FROM pg_temp.compare('<=>');

-- deletes + VACUUM: deleted rows are gone, the rest still found, slots reused
DELETE FROM ann WHERE id % 3 = 0;
VACUUM ann;
SELECT * FROM pg_temp.compare('<=>');
SELECT lists, live_elements, deleted_elements FROM bxann_index_info('ann_cos');
SELECT pg_relation_size('ann_cos') AS size_before \gset
-- the same vectors as 300 deleted rows land in the same lists and take their slots
INSERT INTO ann
SELECT 10000 + i, i % 200,
       (SELECT array_agg(sin((i % 200) * 7.1 + d * 1.3) + 0.3 * sin(i * 3.7 + d * 11.1) ORDER BY d)
          FROM generate_series(1, 8) d)::face_embedding
  FROM generate_series(3, 900, 3) i;
SELECT pg_relation_size('ann_cos') = :size_before AS space_reused;
SELECT live_elements, deleted_elements FROM bxann_index_info('ann_cos');
SELECT * FROM pg_temp.compare('<=>');

-- two scans at once in one backend: a cursor's scan keeps the memory it
-- borrowed (bxannsearch.c) while 40 other queries scan the index, and its
-- rows go on where they stopped; after a query that failed mid-scan, scans
-- are still right
CREATE FUNCTION pg_temp.interleaved(qn int) RETURNS boolean
LANGUAGE plpgsql AS $f$
DECLARE
	c refcursor;
	x int;
	got int[] := '{}';
	want int[];
	others record;
BEGIN
	SET LOCAL enable_seqscan = off;
	SET LOCAL enable_indexscan = on;
	OPEN c FOR SELECT id FROM ann ORDER BY v <=> (SELECT q FROM ann_queries WHERE qid = qn) LIMIT 10;
	FOR i IN 1..4 LOOP
		FETCH c INTO x;
		got := got || x;
	END LOOP;
	SELECT * INTO others FROM pg_temp.compare('<=>');
	IF others.identical <> others.queries THEN
		RETURN false;
	END IF;
	LOOP
		FETCH c INTO x;
		EXIT WHEN NOT FOUND;
		got := got || x;
	END LOOP;
	CLOSE c;
	SET LOCAL enable_seqscan = on;
	SET LOCAL enable_indexscan = off;
	SELECT array_agg(id) INTO want FROM (
		SELECT id FROM ann ORDER BY v <=> (SELECT q FROM ann_queries WHERE qid = qn), id LIMIT 10) s;
	RETURN got = want;
END
$f$;
SELECT pg_temp.interleaved(1) AND pg_temp.interleaved(7) AS cursor_rows_intact;
BEGIN;
SET LOCAL enable_seqscan = off;
DECLARE c2 CURSOR FOR SELECT id FROM ann ORDER BY v <=> '[1,0,0,0,0,0,0,1]';
FETCH 2 FROM c2 \g /dev/null
SELECT 1 / 0;
ROLLBACK;
SELECT * FROM pg_temp.compare('<=>');

-- a filtered query still returns 10 rows (iterative scan)
RESET bxann.probes;
SET bxann.ef_search = 10;
SET enable_seqscan = off;
SELECT count(*) AS filtered_rows FROM (
	SELECT id FROM ann WHERE grp = 17 ORDER BY v <=> '[1,0,0,0,0,0,0,1]' LIMIT 10) s;
SET bxann.iterative_scan = off;
SELECT count(*) < 10 AS fewer_without_iterative FROM (
	SELECT id FROM ann WHERE grp = 17 ORDER BY v <=> '[1,0,0,0,0,0,0,1]' LIMIT 10) s;
RESET bxann.iterative_scan;
RESET bxann.ef_search;
RESET enable_seqscan;

-- NULL embeddings are not indexed and never returned by the index
INSERT INTO ann VALUES (9999, 0, NULL);
SET enable_seqscan = off;
SELECT count(*) AS rows_from_index FROM (SELECT id FROM ann ORDER BY v <=> '[1,0,0,0,0,0,0,1]') s;
SELECT count(*) AS non_null_rows FROM ann WHERE v IS NOT NULL;
RESET enable_seqscan;
DROP TABLE ann, ann_queries;

-- an empty table, then rows
CREATE TABLE ann_empty (id int, v face_embedding(3));
CREATE INDEX ON ann_empty USING bxann (v face_embedding_l2_ops);
SET enable_seqscan = off;
SELECT id FROM ann_empty ORDER BY v <-> '[1,1,1]' LIMIT 3;
INSERT INTO ann_empty VALUES (1, '[1,1,1]'), (2, '[2,2,2]'), (3, '[-1,0,0]');
SELECT id FROM ann_empty ORDER BY v <-> '[1,1,1.1]' LIMIT 3;
RESET enable_seqscan;
DROP TABLE ann_empty;

-- an unlogged table
CREATE UNLOGGED TABLE ann_unlogged (id int, v face_embedding(2));
INSERT INTO ann_unlogged SELECT i, ARRAY[cos(i), sin(i)]::face_embedding FROM generate_series(1, 100) i;
CREATE INDEX ON ann_unlogged USING bxann (v face_embedding_cosine_ops);
SET enable_seqscan = off;
SELECT id FROM ann_unlogged ORDER BY v <=> '[1,0]' LIMIT 3;
RESET enable_seqscan;
DROP TABLE ann_unlogged;

-- build options are frozen in the metapage: ALTER INDEX changes nothing until REINDEX
CREATE TABLE ann_opts (id int, v face_embedding(4));
INSERT INTO ann_opts SELECT i, ARRAY[cos(i), sin(i), cos(2 * i), sin(3 * i)]::face_embedding
  FROM generate_series(1, 10000) i;
ANALYZE ann_opts;
CREATE INDEX ann_opts_v ON ann_opts USING bxann (v face_embedding_l2_ops) WITH (lists = 7, m = 6);
ALTER INDEX ann_opts_v SET (lists = 20, m = 10);
SELECT lists, m FROM bxann_index_info('ann_opts_v');
REINDEX INDEX ann_opts_v;
SELECT lists, m FROM bxann_index_info('ann_opts_v');

-- the lists a scan probes: bxann.probes, capped by the lists; 0 (the
-- default) is what CREATE INDEX tuned (bxann_tuning has the recall)
SELECT current_setting('bxann.probes') AS setting, lists, probes = tuned_probes AS tuned,
       probes BETWEEN 1 AND lists AS in_range
  FROM bxann_index_info('ann_opts_v');
SET bxann.probes = 3;
SELECT lists, probes FROM bxann_index_info('ann_opts_v');
SET bxann.probes = 100;
SELECT lists, probes FROM bxann_index_info('ann_opts_v');
RESET bxann.probes;
ALTER INDEX ann_opts_v SET (lists = 4000);
REINDEX INDEX ann_opts_v;
SELECT lists, probes = tuned_probes AS tuned, ef_search = tuned_ef_search AS tuned_ef
  FROM bxann_index_info('ann_opts_v');

-- a build that needs more than maintenance_work_mem stops with a clear error
SET maintenance_work_mem = '1MB';
\set VERBOSITY default
CREATE INDEX ann_opts_small ON ann_opts USING bxann (v face_embedding_l2_ops);
\set VERBOSITY terse
-- and the hint is enough
SET maintenance_work_mem = '3941kB';
CREATE INDEX ann_opts_small ON ann_opts USING bxann (v face_embedding_l2_ops);
-- between what the rows need as 8-bit codes (2.27 MB) and as float4 (2.39
-- MB), the build goes on with codes and says so
DROP INDEX ann_opts_small;
SET maintenance_work_mem = '2300kB';
CREATE INDEX ann_opts_small ON ann_opts USING bxann (v face_embedding_l2_ops);
SELECT build_rows FROM bxann_index_info('ann_opts_small');
RESET maintenance_work_mem;
DROP TABLE ann_opts;

-- 4-bit codes (bits = 4; automatic from 128 dimensions): an odd dimension
-- count (the last code byte holds one dimension), every metric, inserts
-- after the build (their edges compare two codes), VACUUM; with every list
-- probed and every candidate re-ranked the answers are the exact ones
CREATE TABLE ann_sq4 (id int PRIMARY KEY, v face_embedding(9));
INSERT INTO ann_sq4 SELECT i, (SELECT array_agg(sin(i * 0.7 + d * 1.3) + 0.2 * cos(i * d * 0.011) ORDER BY d)
                                 FROM generate_series(1, 9) d)::face_embedding
  FROM generate_series(1, 3000) i;
CREATE INDEX ann_sq4_cos ON ann_sq4 USING bxann (v face_embedding_cosine_ops) WITH (bits = 4, lists = 10);
CREATE INDEX ann_sq4_l2 ON ann_sq4 USING bxann (v face_embedding_l2_ops) WITH (bits = 4, lists = 10);
CREATE INDEX ann_sq4_ip ON ann_sq4 USING bxann (v face_embedding_ip_ops) WITH (bits = 4, lists = 10);
INSERT INTO ann_sq4 SELECT i, (SELECT array_agg(cos(i * 0.3 + d * 0.9) ORDER BY d)
                                 FROM generate_series(1, 9) d)::face_embedding
  FROM generate_series(3001, 3600) i;
DELETE FROM ann_sq4 WHERE id % 9 = 0;
VACUUM ann_sq4;
SELECT code_bits, dims, live_elements FROM bxann_index_info('ann_sq4_cos');
CREATE TEMP TABLE sq4_query AS
SELECT q, (SELECT array_agg(sin(q * 1.9 + d) ORDER BY d) FROM generate_series(1, 9) d)::face_embedding AS v
  FROM generate_series(1, 20) q;
CREATE FUNCTION pg_temp.sq4_agrees(op text) RETURNS bigint LANGUAGE plpgsql AS $f$
DECLARE
	wrong bigint;
BEGIN
	SET LOCAL bxann.probes = 10;
	SET LOCAL bxann.rerank = 10000;
	SET LOCAL enable_seqscan = off;
	EXECUTE format($q$
		SELECT count(*) FILTER (WHERE got IS DISTINCT FROM want)
		  FROM (SELECT array(SELECT id FROM ann_sq4 ORDER BY v %s q.v LIMIT 5) AS got,
		               (SELECT array_agg(id ORDER BY d, id) FROM
		                  (SELECT id, v %s q.v AS d FROM ann_sq4 ORDER BY 2, 1 LIMIT 5) x) AS want
		          FROM sq4_query q) r$q$, op, op) INTO wrong;
	RETURN wrong;
END
$f$;
SELECT op, pg_temp.sq4_agrees(op) AS wrong_top5 FROM unnest(ARRAY['<=>', '<->', '<#>']) op;
SELECT live_elements, deleted_elements, heap_tuples FROM bxann_check('ann_sq4_cos', heap_check => true);
-- 4 dimensions: 8 bits automatically
CREATE INDEX ann_sq4_auto ON ann_sq4 USING bxann (v face_embedding_cosine_ops);
SELECT code_bits FROM bxann_index_info('ann_sq4_auto');
DROP TABLE ann_sq4;

-- the automatic choice turns at 128 dimensions (BXANN_SQ4_MIN_DIMS)
CREATE TABLE ann_bits_auto (v127 face_embedding(127), v128 face_embedding(128));
INSERT INTO ann_bits_auto
  SELECT (SELECT array_agg(sin(i * 0.7 + d * 1.3) ORDER BY d) FROM generate_series(1, 127) d)::face_embedding,
         (SELECT array_agg(sin(i * 0.7 + d * 1.3) ORDER BY d) FROM generate_series(1, 128) d)::face_embedding
    FROM generate_series(1, 200) i;
CREATE INDEX ann_bits_127 ON ann_bits_auto USING bxann (v127 face_embedding_cosine_ops);
CREATE INDEX ann_bits_128 ON ann_bits_auto USING bxann (v128 face_embedding_cosine_ops);
SELECT dims, code_bits FROM bxann_index_info('ann_bits_127')
UNION ALL SELECT dims, code_bits FROM bxann_index_info('ann_bits_128') ORDER BY dims;
DROP TABLE ann_bits_auto;

-- the planner: a tiny table is sorted, not searched through the index
CREATE TABLE ann_plan (id int PRIMARY KEY, v face_embedding(2));
INSERT INTO ann_plan SELECT i, ARRAY[cos(i), sin(i)]::face_embedding FROM generate_series(1, 50) i;
CREATE INDEX ON ann_plan USING bxann (v face_embedding_cosine_ops);
ANALYZE ann_plan;
EXPLAIN (COSTS OFF) SELECT id FROM ann_plan ORDER BY v <=> '[1,0]' LIMIT 3;
-- and without ORDER BY distance the index is never used
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM ann_plan WHERE v = '[1,0]';
RESET enable_seqscan;
DROP TABLE ann_plan;

-- model tags: the index remembers its model
CREATE TABLE ann_tag (id int, v face_embedding(2));
INSERT INTO ann_tag VALUES (1, 'mfn:[1,0]'), (2, 'mfn:[0,1]');
CREATE INDEX ann_tag_v ON ann_tag USING bxann (v face_embedding_cosine_ops);
SET enable_seqscan = off;
SELECT id FROM ann_tag ORDER BY v <=> 'mfn:[1,0.1]' LIMIT 1;
SELECT id FROM ann_tag ORDER BY v <=> '[1,0.1]' LIMIT 1;
RESET enable_seqscan;

-- bad input: each a clear ERROR
CREATE FUNCTION pg_temp.try(sql text) RETURNS text LANGUAGE plpgsql AS $f$
BEGIN
	SET LOCAL enable_seqscan = off;
	EXECUTE sql;
	RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END
$f$;
SELECT pg_temp.try($$SELECT id FROM ann_tag ORDER BY v <=> 'arcface:[1,0]' LIMIT 1$$);
SELECT pg_temp.try($$INSERT INTO ann_tag VALUES (3, 'arcface:[1,1]')$$);
SELECT pg_temp.try($$SELECT id FROM ann_tag ORDER BY v <=> '[1,0,0]' LIMIT 1$$);
SELECT pg_temp.try($$SELECT id FROM ann_tag ORDER BY v <=> '[0,0]' LIMIT 1$$);
SELECT pg_temp.try($$INSERT INTO ann_tag VALUES (4, '[0,0]')$$);
CREATE TABLE ann_bad (id int, v face_embedding, w face_embedding(2));
SELECT pg_temp.try($$CREATE INDEX ON ann_bad USING bxann (v face_embedding_l2_ops)$$);
INSERT INTO ann_bad VALUES (1, NULL, 'a:[1,0]'), (2, NULL, 'b:[0,1]');
SELECT pg_temp.try($$CREATE INDEX ON ann_bad USING bxann (w face_embedding_l2_ops)$$);
DELETE FROM ann_bad;
INSERT INTO ann_bad VALUES (1, NULL, '[0,0]');
SELECT pg_temp.try($$CREATE INDEX ON ann_bad USING bxann (w face_embedding_cosine_ops)$$);
SELECT pg_temp.try($$CREATE INDEX ON ann_bad USING bxann (w face_embedding_l2_ops) WITH (lists = -1)$$);
SELECT pg_temp.try($$CREATE INDEX ON ann_bad USING bxann (w face_embedding_l2_ops) WITH (lists = 40000)$$);
SELECT pg_temp.try($$CREATE INDEX ON ann_bad USING bxann (w face_embedding_l2_ops) WITH (m = 1)$$);
SELECT pg_temp.try($$CREATE INDEX ON ann_bad USING bxann (w face_embedding_l2_ops) WITH (m = 49)$$);
SELECT pg_temp.try($$CREATE INDEX ON ann_bad USING bxann (w face_embedding_l2_ops) WITH (colour = 1)$$);
SELECT pg_temp.try($$CREATE INDEX ON ann_bad USING bxann (w face_embedding_l2_ops) WITH (bits = 5)$$);
SELECT pg_temp.try($$CREATE INDEX ON ann_bad USING bxann (w face_embedding_l2_ops) WITH (bits = 16)$$);
SELECT pg_temp.try($$CREATE INDEX ON ann_bad USING bxann (id)$$);
SELECT pg_temp.try($$SET bxann.probes = -1$$);
SELECT pg_temp.try($$SET bxexit.build_threads = -1$$);
SELECT pg_temp.try($$SET bxann.no_such_setting = 1$$);
DROP TABLE ann_tag, ann_bad;

-- inspection
SELECT pg_temp.try($$SELECT * FROM bxann_index_info('pg_class_oid_index')$$);

-- the operator classes are valid
SELECT opcname, amvalidate(oid) FROM pg_opclass
 WHERE opcmethod = (SELECT oid FROM pg_am WHERE amname = 'bxann') ORDER BY opcname;
