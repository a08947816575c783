-- bxann_check(index, heap_check): amcheck-style verification of bxann
-- indexes.  Consistent indexes through inserts, deletes, VACUUM, slot reuse,
-- HOT updates, aborted inserts, an expression/partial index, an unlogged and
-- an empty one; then two real inconsistencies between an index and its table
-- (made with the pg_index.indisready switch) that the check must report.
SET search_path = public, bxexit;
\i sql/include/try.sql

-- like pg_temp.try, with the DETAIL, and TIDs masked: where rows land is
-- not the point, the kind of inconsistency and the counts are
CREATE FUNCTION pg_temp.try_check(sql text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE
	detail text;
BEGIN
	EXECUTE sql;
	RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
	RETURN regexp_replace(SQLSTATE || ': ' || SQLERRM || coalesce(' / ' || nullif(detail, ''), ''),
						  '\(\d+,\d+\)', '(b,o)', 'g');
END
$f$;

-- deterministic 8-d rows; autovacuum off so only this file's VACUUMs run
CREATE FUNCTION pg_temp.emb(i int) RETURNS face_embedding LANGUAGE sql IMMUTABLE AS $$
	SELECT (SELECT array_agg(sin(i * 1.7 + d) + 0.2 * cos(i * d * 0.31) ORDER BY d)
			  FROM generate_series(1, 8) d)::face_embedding
$$;
CREATE TABLE chk (id int PRIMARY KEY, note text, v face_embedding(8))
	WITH (autovacuum_enabled = off, fillfactor = 70);
INSERT INTO chk SELECT i, 'new', pg_temp.emb(i) FROM generate_series(1, 1000) i;
CREATE INDEX chk_v ON chk USING bxann (v face_embedding_cosine_ops) WITH (lists = 8);

SELECT lists, pages > 0 AS has_pages, new_pages, live_elements, deleted_elements,
       edges > 0 AS has_edges, heap_tuples
  FROM bxann_check('chk_v');

-- deleted rows keep their elements until VACUUM: live elements > heap tuples
DELETE FROM chk WHERE id % 4 = 0;
SELECT live_elements, deleted_elements, heap_tuples FROM bxann_check('chk_v');
VACUUM chk;
SELECT live_elements, deleted_elements, heap_tuples FROM bxann_check('chk_v');

-- inserts reuse the freed slots, then append pages to the lists
INSERT INTO chk SELECT i, 'new', pg_temp.emb(i) FROM generate_series(1001, 1600) i;
SELECT live_elements, deleted_elements <= 250 AS at_most_the_freed, heap_tuples,
       element_pages = (SELECT element_pages FROM bxann_index_info('chk_v')) AS all_pages_on_lists
  FROM bxann_check('chk_v');

-- HOT updates (note is not indexed): the index keeps the root TIDs
UPDATE chk SET note = 'updated' WHERE id <= 100;
SELECT live_elements >= heap_tuples AS dead_versions_allowed, heap_tuples FROM bxann_check('chk_v');

-- aborted inserts leave elements for dead tuples: not corruption
BEGIN;
INSERT INTO chk SELECT i, 'aborted', pg_temp.emb(i) FROM generate_series(5001, 5050) i;
ROLLBACK;
SELECT heap_tuples FROM bxann_check('chk_v');
VACUUM chk;
SELECT live_elements, heap_tuples FROM bxann_check('chk_v');

-- without heap_check: the index alone, no heap tuple count
SELECT live_elements, heap_tuples IS NULL AS no_heap_count FROM bxann_check('chk_v', false);

-- an expression index on part of a gallery of two models (README form)
CREATE TABLE gal (id int, model text, t face_embedding) WITH (autovacuum_enabled = off);
INSERT INTO gal SELECT i, 'a', bx_set_model(pg_temp.emb(i), 'a') FROM generate_series(1, 300) i;
INSERT INTO gal SELECT i, 'b', bx_set_model('[1,2,3,4]', 'b') FROM generate_series(301, 400) i;
CREATE INDEX gal_a ON gal USING bxann ((t::face_embedding(8)) face_embedding_cosine_ops)
	WHERE model = 'a';
DELETE FROM gal WHERE id % 10 = 0;
INSERT INTO gal SELECT i, 'a', bx_set_model(pg_temp.emb(i), 'a') FROM generate_series(401, 450) i;
SELECT live_elements, heap_tuples, (SELECT count(*) FROM gal WHERE model = 'a') AS rows_of_a
  FROM bxann_check('gal_a');

-- unlogged, and empty
CREATE UNLOGGED TABLE chk_u (id int, v face_embedding(8));
INSERT INTO chk_u SELECT i, pg_temp.emb(i) FROM generate_series(1, 500) i;
CREATE INDEX chk_u_v ON chk_u USING bxann (v face_embedding_l2_ops) WITH (lists = 4);
DELETE FROM chk_u WHERE id <= 100;
VACUUM chk_u;
SELECT lists, live_elements, deleted_elements, heap_tuples FROM bxann_check('chk_u_v');
CREATE TABLE chk_e (id int, v face_embedding(8));
CREATE INDEX chk_e_v ON chk_e USING bxann (v face_embedding_ip_ops);
SELECT lists, live_elements, heap_tuples FROM bxann_check('chk_e_v');
INSERT INTO chk_e VALUES (1, pg_temp.emb(1)), (2, NULL);
SELECT lists, live_elements, heap_tuples FROM bxann_check('chk_e_v');

-- not a bxann index
SELECT pg_temp.try($$SELECT bxann_check('chk_pkey')$$);
SELECT pg_temp.try($$SELECT bxann_check('chk')$$);

-- Inconsistency 1: rows the index never received.  With indisready off,
-- inserts skip the index (as during CREATE INDEX CONCURRENTLY); switched
-- back on, the index lacks them.  Only the heap check can see it.
UPDATE pg_index SET indisready = false WHERE indexrelid = 'chk_v'::regclass;
INSERT INTO chk SELECT i, 'unindexed', pg_temp.emb(i) FROM generate_series(2001, 2010) i;
UPDATE pg_index SET indisready = true WHERE indexrelid = 'chk_v'::regclass;
SELECT pg_temp.try_check($$SELECT bxann_check('chk_v')$$);
SELECT pg_temp.try_check($$SELECT bxann_check('chk_v', false)$$);
REINDEX INDEX chk_v;
SELECT live_elements, heap_tuples FROM bxann_check('chk_v');

-- Inconsistency 2: elements of rows VACUUM removed.  VACUUM skips an index
-- that is not ready, so the heap line pointers become unused while the
-- index still points at them.
UPDATE pg_index SET indisready = false WHERE indexrelid = 'chk_v'::regclass;
DELETE FROM chk WHERE id BETWEEN 1 AND 20;
VACUUM chk;
UPDATE pg_index SET indisready = true WHERE indexrelid = 'chk_v'::regclass;
SELECT pg_temp.try_check($$SELECT bxann_check('chk_v')$$);
SELECT pg_temp.try_check($$SELECT bxann_check('chk_v', false)$$);
REINDEX INDEX chk_v;
SELECT live_elements, heap_tuples FROM bxann_check('chk_v');

DROP TABLE chk, gal, chk_u, chk_e;
