-- the gallery on one server: a partitioned table with a bxann index per
-- partition answers as one table does, and bx_set_gallery points the
-- searches (bx_identify, bx_verify, bx_match) at it
SET search_path = public, bxexit;
TRUNCATE departure_link, departure_manifest, search_audit, exit_event, manifest, flight, admission, enrollment,
	travel_document, person RESTART IDENTITY;

\i sql/include/try.sql

-- 300 people, two templates each (a person's are near each other)
SELECT setseed(0.42);
CREATE TEMP TABLE ident AS
SELECT i AS n, array(SELECT random() - 0.5 FROM generate_series(1, 128) d WHERE i > 0)::float4[] AS c
  FROM generate_series(1, 300) i;
INSERT INTO person (family_name, citizenship)
SELECT 'P' || n, 'NLD' FROM ident ORDER BY n;
INSERT INTO enrollment (person_id, source, captured_at, template)
SELECT n, s, '2024-01-01', bx_set_model(bx_normalize(array(
		SELECT c[d] + 0.35 * (random() - 0.5) FROM generate_series(1, 128) d)::face_embedding), 'mobilefacenet-v1')
  FROM ident, unnest(ARRAY['visa', 'passport']) s
 ORDER BY n, s;
-- probes: a third, new capture of 40 of the people
CREATE TEMP TABLE probe AS
SELECT n, bx_set_model(bx_normalize(array(
		SELECT c[d] + 0.35 * (random() - 0.5) FROM generate_series(1, 128) d)::face_embedding), 'mobilefacenet-v1') AS t
  FROM ident WHERE n % 7 = 0 AND n <= 280;

-- the same rows in a gallery hash-partitioned by person, three partitions
CREATE TABLE pgal (enrollment_id int8 NOT NULL, person_id int8 NOT NULL, model text NOT NULL,
				   template face_embedding NOT NULL, source text, captured_at timestamptz)
	PARTITION BY HASH (person_id);
CREATE TABLE pgal_0 PARTITION OF pgal FOR VALUES WITH (modulus 3, remainder 0);
CREATE TABLE pgal_1 PARTITION OF pgal FOR VALUES WITH (modulus 3, remainder 1);
CREATE TABLE pgal_2 PARTITION OF pgal FOR VALUES WITH (modulus 3, remainder 2);
INSERT INTO pgal SELECT enrollment_id, person_id, model, template, source, captured_at FROM enrollment;
SELECT tableoid::regclass AS partition, count(*) > 100 AS holds_a_share FROM pgal GROUP BY 1 ORDER BY 1;

-- one bxann index on the parent: PostgreSQL makes one per partition
CREATE INDEX enrollment_mfn_idx ON enrollment USING bxann
	((template::face_embedding(128)) face_embedding_cosine_ops) WITH (lists = 4)
	WHERE model = 'mobilefacenet-v1';
CREATE INDEX pgal_mfn_idx ON pgal USING bxann
	((template::face_embedding(128)) face_embedding_cosine_ops) WITH (lists = 4)
	WHERE model = 'mobilefacenet-v1';
SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
 WHERE i.inhparent = 'pgal_mfn_idx'::regclass ORDER BY 1;
ANALYZE enrollment, pgal;
-- every list probed, a search list and a re-rank as large as the table:
-- the index answers exactly
SET bxann.probes = 4;
SET bxann.ef_search = 1000;
SET bxann.rerank = 1000;

-- ORDER BY ... LIMIT over the parent: a MergeAppend of the partitions' index scans
SET enable_seqscan = off;
EXPLAIN (COSTS OFF)
SELECT enrollment_id FROM pgal
 WHERE model = 'mobilefacenet-v1'
 ORDER BY template::face_embedding(128) <=> (SELECT t FROM probe LIMIT 1) LIMIT 10;
RESET enable_seqscan;

-- ... and the same ten rows as over one table, for every probe
SELECT count(*) AS probes,
	   count(*) FILTER (WHERE (SELECT array_agg(enrollment_id ORDER BY d, enrollment_id) FROM (
				SELECT enrollment_id, template::face_embedding(128) <=> p.t AS d FROM pgal
				 WHERE model = 'mobilefacenet-v1' ORDER BY template::face_embedding(128) <=> p.t LIMIT 10) x)
			 = (SELECT array_agg(enrollment_id ORDER BY d, enrollment_id) FROM (
				SELECT enrollment_id, template::face_embedding(128) <=> p.t AS d FROM enrollment
				 WHERE model = 'mobilefacenet-v1' ORDER BY template::face_embedding(128) <=> p.t LIMIT 10) y))
		   AS same_ten
  FROM probe p;

-- exact, too: a sequential scan finds the same ten
SELECT count(*) FILTER (WHERE (SELECT array_agg(enrollment_id ORDER BY d, enrollment_id) FROM (
				SELECT enrollment_id, template::face_embedding(128) <=> p.t AS d FROM pgal
				 WHERE model = 'mobilefacenet-v1' ORDER BY template::face_embedding(128) <=> p.t LIMIT 10) x)
			 = (SELECT array_agg(enrollment_id ORDER BY d, enrollment_id) FROM (
				SELECT enrollment_id, bx_cosine_distance(template, p.t) AS d FROM enrollment
				 WHERE model = 'mobilefacenet-v1' ORDER BY 2, 1 LIMIT 10) y))
		   AS exact
  FROM probe p;

-- ------------------------------------------------- bx_set_gallery, bx_gallery
SELECT bx_gallery();
SELECT * FROM bx_gallery_shards();
CREATE TABLE not_a_gallery (person_id int8, enrollment_id int4, template face_embedding);
CREATE VIEW a_view AS SELECT * FROM pgal;
SELECT pg_temp.try($$SELECT bx_set_gallery('not_a_gallery')$$);
SELECT pg_temp.try($$SELECT bx_set_gallery('a_view')$$);
SELECT pg_temp.try($$SELECT bx_set_gallery('pg_class')$$);

-- the answers under enrollment, then under the partitioned gallery
CREATE TEMP TABLE answer (gallery text, n int, rank int, person_id int8, enrollment_id int8, score float4);
INSERT INTO answer
SELECT 'enrollment', p.n, i.rank, i.person_id, i.enrollment_id, i.score
  FROM probe p, bx_identify(p.t, 5) i;
SELECT bx_set_gallery('pgal');
SELECT bx_gallery(), set_by = session_user AS recorded FROM gallery_source;
SELECT partition, server, remote_table FROM bx_gallery_shards();
INSERT INTO answer
SELECT 'pgal', p.n, i.rank, i.person_id, i.enrollment_id, i.score
  FROM probe p, bx_identify(p.t, 5) i;
-- 1:N: the same people, templates and scores; the right person first
SELECT count(*) AS rows,
	   count(*) FILTER (WHERE a.person_id = b.person_id AND a.enrollment_id = b.enrollment_id
						  AND a.score = b.score) AS same
  FROM answer a JOIN answer b ON b.n = a.n AND b.rank = a.rank AND b.gallery = 'pgal'
 WHERE a.gallery = 'enrollment';
SELECT count(*) FILTER (WHERE rank = 1 AND person_id = n) AS right_person_first, count(DISTINCT n) AS probes
  FROM answer WHERE gallery = 'pgal';

-- 1:1 and the gate read the named gallery too: a person enrolled only there
-- (not in enrollment) is found
INSERT INTO person (family_name, citizenship) VALUES ('Only-in-pgal', 'NLD');
INSERT INTO pgal (enrollment_id, person_id, model, template) VALUES (100001, 301, 'mobilefacenet-v1',
	bx_set_model('[1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]', 'mobilefacenet-v1'));
SELECT decision, templates, reason FROM bx_verify((SELECT template FROM pgal WHERE enrollment_id = 100001), 301);
INSERT INTO flight (carrier, flight_number, departure_airport, arrival_airport, departure_date)
VALUES ('KL', '642', 'JFK', 'AMS', current_date);
INSERT INTO manifest (flight_id, person_id) SELECT 1, n FROM ident WHERE n % 10 = 0;
INSERT INTO manifest (flight_id, person_id) VALUES (1, 301);
SELECT decision, reason FROM bx_match((SELECT template FROM pgal WHERE enrollment_id = 100001), 1);
SELECT decision, person_id, gallery_size FROM exit_event ORDER BY exit_event_id DESC LIMIT 1;
-- a traveller of the flight, probed with a new capture
SELECT decision, reason FROM bx_match((SELECT t FROM probe WHERE n = 140), 1);
SELECT decision, person_id, gallery_size FROM exit_event ORDER BY exit_event_id DESC LIMIT 1;

-- retention deletes citizens' old exit captures from the named gallery too
UPDATE person SET citizenship = 'USA' WHERE person_id IN (7, 8);
INSERT INTO pgal VALUES (100002, 7, 'mobilefacenet-v1', (SELECT template FROM pgal WHERE enrollment_id = 1),
						 'exit', now() - interval '2 days'),
						(100003, 8, 'mobilefacenet-v1', (SELECT template FROM pgal WHERE enrollment_id = 1),
						 'exit', now() - interval '1 hour'),
						(100004, 9, 'mobilefacenet-v1', (SELECT template FROM pgal WHERE enrollment_id = 1),
						 'exit', now() - interval '2 days');
SELECT enrollments_deleted FROM bx_apply_retention();
SELECT enrollment_id FROM pgal WHERE enrollment_id > 100001 ORDER BY 1;

-- a gallery that went away is a clear error; NULL goes back to enrollment
DROP TABLE pgal CASCADE;
SELECT pg_temp.try($$SELECT count(*) FROM bx_identify((SELECT t FROM probe LIMIT 1), 5)$$);
SELECT bx_set_gallery(NULL);
SELECT count(*) AS rows FROM gallery_source;
SELECT count(*) AS candidates FROM bx_identify((SELECT t FROM probe LIMIT 1), 5);

-- only administrators choose the gallery
SET ROLE bxexit_analyst;
SELECT pg_temp.try($$SELECT bx_set_gallery('enrollment')$$);
RESET ROLE;
DROP TABLE not_a_gallery;
DROP VIEW IF EXISTS a_view;
-- the next tests enroll templates of other dimensions
DROP INDEX enrollment_mfn_idx;
