-- security as an adversary tests it (no face models needed): what the gate
-- learns, audit rows a rollback cannot erase, the gate's no-match limit,
-- no templates in planner statistics, bounded writes for unknown flights,
-- template probes are not biometric departures, a flight's date, templates
-- of norm ~0, dates out of range, settings a session cannot change
SET search_path = public, bxexit;
-- the flights of this file left in 2024: let the gate process them (section
-- 10 puts the window back)
SET bxexit.gate_departure_window = 36500;
TRUNCATE departure_link, departure_manifest, search_audit, exit_event, manifest, flight, admission, enrollment,
	travel_document, person RESTART IDENTITY;
\i sql/include/try.sql
\i sql/include/template.sql

-- a gate login and an admin login (roles are cluster-wide: start clean)
DROP ROLE IF EXISTS bx_sec_gate;
DROP ROLE IF EXISTS bx_sec_admin;
CREATE ROLE bx_sec_gate IN ROLE bxexit_gate;
CREATE ROLE bx_sec_admin IN ROLE bxexit_admin;

INSERT INTO person (family_name, citizenship) VALUES ('Alder', 'GBR'), ('Brandt', 'DEU'), ('Cole', 'USA');
INSERT INTO enrollment (person_id, source, captured_at, template)
VALUES (1, 'visa', '2023-01-01', pg_temp.v(1)), (2, 'visa', '2023-01-01', pg_temp.v(2)),
       (3, 'passport', '2023-01-01', pg_temp.v(3));
INSERT INTO flight (carrier, flight_number, departure_airport, arrival_airport, departure_date)
VALUES ('BA', '178', 'JFK', 'LHR', '2024-06-01'), ('AZ', '611', 'JFK', 'FCO', '2024-06-02');
INSERT INTO manifest (flight_id, person_id) VALUES (1, 1), (1, 2), (2, 3);

------------------------------------------ 1. the gate learns no score
-- both bx_match overloads return the decision, the reason and the exit
-- event, nothing a client could climb on
SELECT p.oid::regprocedure AS function,
       array_to_string(ARRAY(SELECT n FROM unnest(p.proargnames, p.proargmodes) AS a(n, m)
                              WHERE m IN ('o', 't', 'b')), ', ') AS result_columns
  FROM pg_proc p WHERE p.proname = 'bx_match' AND p.pronamespace = 'bxexit'::regnamespace ORDER BY 1;
-- the scores stay in the record, for officers
SELECT m.* FROM bx_match(pg_temp.v(1, 2, 0.9), 1) m;
SELECT decision, person_id, round(score::numeric, 3) AS score, round(runner_up_score::numeric, 3) AS runner_up,
       gallery_size, probe_source
  FROM exit_event ORDER BY exit_event_id DESC LIMIT 1;

------------------------------- 2. a rollback does not erase the search
SELECT count(*) AS audit_rows_before FROM search_audit \gset
BEGIN;
SELECT decision, reason FROM bx_match(pg_temp.v(2, 1, 0.95), 1);
ROLLBACK;
BEGIN;
SAVEPOINT probe;
SELECT decision, reason FROM bx_verify(pg_temp.v(1, 3, 0.9), 1);
ROLLBACK TO SAVEPOINT probe;
COMMIT;
-- reading the answer, then raising: the search's transaction is gone
DO $$
DECLARE
	r record;
BEGIN
	SELECT * INTO r FROM bxexit.bx_identify(pg_temp.v(3, 2, 0.8), 2) LIMIT 1;
	RAISE EXCEPTION 'read %, now undo', r.person_id;
END
$$;
-- no exit event of the rolled-back match, but all three audit rows, with
-- who searched and the outcome: person and score
SELECT count(*) AS exit_events FROM exit_event;
SELECT a.search, a.searched_by = session_user AS by_me, a.outcome, p.family_name AS top_person,
       round(a.top_score::numeric, 3) AS top_score, a.exit_event_id IS NOT NULL AS names_event
  FROM search_audit a LEFT JOIN person p ON p.person_id = a.top_person_id
 WHERE a.audit_id > :audit_rows_before ORDER BY a.audit_id;
-- the audit table is still written only by the searches
SELECT pg_temp.try($$SELECT bx_durable_insert('search_audit', '{"search": "match"}')$$) AS as_superuser_ok;
SET ROLE bx_sec_admin;
SELECT pg_temp.try($$SELECT bx_durable_insert('search_audit', '{"search": "match"}')$$);
SELECT pg_temp.try($$SELECT bx_audit_search('match', 'x')$$);
RESET ROLE;
DELETE FROM search_audit WHERE model IS NULL AND flight_id IS NULL AND search = 'match';

--------------------------------------- 3. the gate's no-match limit
-- a login that keeps getting no-matches on one flight is refused after
-- bxexit.gate_nomatch_limit of them within the window, even when it rolls
-- every call back (the count comes from the audit) and even inside one
-- REPEATABLE READ transaction (the count reads the latest snapshot).  The
-- limit is per login: the gate logs in as itself here.
SELECT current_user AS superuser \gset
ALTER ROLE bx_sec_gate LOGIN;
ALTER ROLE bx_sec_gate SET bxexit.gate_nomatch_limit = 3;
ALTER ROLE bx_sec_gate SET bxexit.gate_departure_window = 36500;
\c - bx_sec_gate
SET search_path = public, bxexit;
\i sql/include/try.sql
-- (once the module is loaded: before that a SET only makes a placeholder,
-- which the module refuses with a WARNING when it loads)
SELECT bx_dims('[1,2]') AS module_loaded;
SELECT pg_temp.try($$SET bxexit.gate_nomatch_limit = 100$$) AS gate_raises_limit;
BEGIN ISOLATION LEVEL REPEATABLE READ;
SAVEPOINT a; SELECT * FROM bx_match('\x00112233'::bytea, 2); ROLLBACK TO SAVEPOINT a;
SAVEPOINT a; SELECT * FROM bx_match('\x00112233'::bytea, 2); ROLLBACK TO SAVEPOINT a;
SAVEPOINT a; SELECT * FROM bx_match('\x00112233'::bytea, 2); ROLLBACK TO SAVEPOINT a;
SAVEPOINT a; SELECT * FROM bx_match('\x00112233'::bytea, 2); ROLLBACK TO SAVEPOINT a;
COMMIT;
SELECT * FROM bx_match('\x00112233'::bytea, 2);
-- another flight is not limited
SELECT decision, reason FROM bx_match('\x00112233'::bytea, 1);
\c - :superuser
SET search_path = public, bxexit;
\i sql/include/try.sql
\i sql/include/template.sql
-- every call is in the audit, none of the rolled-back ones in exit_event,
-- and the refused ones made no exit event at all
SELECT outcome, count(*) FROM search_audit
 WHERE searched_by = 'bx_sec_gate' AND flight_id = 2 GROUP BY outcome ORDER BY outcome;
SELECT searched_by, flight_id, no_matches, rate_limited FROM gate_anomaly;
SELECT count(*) AS exit_events_of_flight_2 FROM exit_event WHERE flight_id = 2;
-- another login is not limited by this one's record
SELECT decision, reason FROM bx_match(pg_temp.v(3, 1, 0.9), 2);

-------------------------------- 4. templates never enter statistics
CREATE TABLE gallery (id int, t face_embedding(128), p bytea);
INSERT INTO gallery SELECT i, pg_temp.v(1 + i % 100, 1 + (i + 1) % 100, 0.9), '\x00' FROM generate_series(1, 300) i;
CREATE INDEX gallery_ann ON gallery USING bxann ((t::face_embedding(128)) face_embedding_cosine_ops) WITH (lists = 4);
ANALYZE gallery, enrollment, exit_event;
-- no statistics row for any face_embedding column or index expression, nor
-- for the photo columns; other columns keep theirs
SELECT tablename, attname
  FROM pg_stats WHERE tablename IN ('gallery', 'gallery_ann', 'enrollment', 'exit_event')
   AND (attname IN ('t', 'template', 'probe_template', 'photo', 'probe_photo')
        OR tablename = 'gallery_ann')
 ORDER BY 1, 2;
SELECT count(*) > 0 AS other_columns_analyzed
  FROM pg_stats WHERE tablename = 'gallery' AND attname = 'id';
DROP TABLE gallery;

------------------------------------- 5. bounded writes from the gate
SET bxexit.max_image_bytes = 2000;
SET ROLE bx_sec_gate;
-- an unknown flight: no photo kept; over the byte limit: nothing processed, no photo kept
SELECT decision, reason FROM bx_match('\xffd8ffe0'::bytea, 9999);
SELECT decision, reason FROM bx_match(convert_to(repeat('x', 3000), 'UTF8'), 1);
RESET ROLE;
RESET bxexit.max_image_bytes;
SELECT requested_flight_id, reason, probe_photo IS NULL AS no_photo_kept
  FROM exit_event WHERE reason IN ('unknown_flight', 'image_too_large') ORDER BY exit_event_id;
-- an old decision on an unknown flight (as 0.1.0 kept them, with the
-- photo) is purged by retention like a citizen's
INSERT INTO exit_event (occurred_at, requested_flight_id, decision, reason, probe_photo, probe_source)
VALUES (now() - interval '2 days', 4242, 'no_match', 'unknown_flight', '\x0102', 'photo');
SELECT probes_purged FROM bx_apply_retention();
SELECT count(*) AS unknown_flight_photos_left FROM exit_event WHERE flight_id IS NULL AND probe_photo IS NOT NULL;

------------------------- 6. a template is not a biometric departure
-- the matches above came from templates (administrator's calls): the
-- departure says so; the flight's date is fixed once decisions exist
SELECT person_id, departed_on, evidence_level FROM departure ORDER BY exit_event_id;
SELECT pg_temp.try($$UPDATE flight SET departure_date = '2024-07-01' WHERE flight_id = 1$$);
INSERT INTO flight (carrier, flight_number, departure_airport, arrival_airport, departure_date)
VALUES ('LH', '401', 'JFK', 'FRA', '2024-06-03');
UPDATE flight SET departure_date = '2024-06-04' WHERE flight_number = '401' RETURNING departure_date;

--------------------------------------------- 7. templates of norm ~0
-- one rule (norm >= 1e-6) in the distances, the index and the enrollments
SELECT pg_temp.try($$SELECT bx_cosine_distance('[1e-30,0]', '[1,0]')$$);
SELECT bx_cosine_usable('[1e-30,0]') AS tiny, bx_cosine_usable('[0.001,0]') AS small_ok;
SELECT pg_temp.try($$INSERT INTO enrollment (person_id, source, captured_at, template)
                     VALUES (1, 'visa', now(), bx_set_model(array_fill(1e-30, ARRAY[128])::face_embedding, 'mobilefacenet-v1'))$$);
CREATE TABLE tiny (t face_embedding(2));
INSERT INTO tiny VALUES ('[1,0]'), ('[0,1]');
CREATE INDEX tiny_ann ON tiny USING bxann (t face_embedding_cosine_ops) WITH (lists = 1);
SELECT pg_temp.try($$INSERT INTO tiny VALUES ('[1e-30,1e-30]')$$);
DROP TABLE tiny;
-- a bad template already stored (0.1.0 accepted it) no longer fails the
-- flight: the gallery skips it and the others still match
ALTER TABLE enrollment DROP CONSTRAINT enrollment_template_usable;
INSERT INTO enrollment (person_id, source, captured_at, template)
VALUES (2, 'other', now(), bx_set_model(array_fill(1e-30, ARRAY[128])::face_embedding, 'mobilefacenet-v1'));
SELECT decision, reason FROM bx_match(pg_temp.v(2, 1, 0.9), 1);
SELECT count(*) AS identified FROM bx_identify(pg_temp.v(2), 3);
DELETE FROM enrollment WHERE NOT bx_cosine_usable(template);
ALTER TABLE enrollment ADD CONSTRAINT enrollment_template_usable CHECK (bx_cosine_usable(template));

-------------------------------------------- 8. dates out of range
INSERT INTO admission (admission_number, person_id, class_of_admission, port_of_entry, admitted_on, admit_until)
VALUES ('S0000000001', 1, 'B2', 'JFK', '2024-01-01', '2024-06-30');
SELECT pg_temp.try($$INSERT INTO admission (admission_number, person_id, class_of_admission, port_of_entry, admitted_on, admit_until)
                     VALUES ('S0000000002', 1, 'B2', 'JFK', '2024-01-01', 'infinity')$$);
SELECT pg_temp.try($$INSERT INTO admission (admission_number, person_id, class_of_admission, port_of_entry, admitted_on,
                                           duration_of_status, program_end_date)
                     VALUES ('S0000000003', 1, 'F1', 'JFK', '2024-01-01', true, '294276-01-01')$$);
SELECT pg_temp.try($$UPDATE person SET date_of_birth = '-infinity' WHERE person_id = 1$$);
SELECT pg_temp.try($$INSERT INTO flight (carrier, flight_number, departure_airport, arrival_airport, departure_date)
                     VALUES ('ZZ', '1', 'JFK', 'LHR', '9999-01-01')$$);
-- the reports still run for everyone
SELECT count(*) AS statuses FROM bx_admission_status('2024-12-31');

------------------------- 9. settings that change templates are pinned
SET ROLE bx_sec_gate;
SELECT pg_temp.try($$SET bxexit.face_score_threshold = 0.1$$);
SELECT pg_temp.try($$SET bxexit.min_eye_distance = 500$$);
RESET ROLE;
SELECT p.oid::regprocedure AS function, p.proconfig
  FROM pg_proc p WHERE p.pronamespace = 'bxexit'::regnamespace
   AND 'bxexit.face_score_threshold=0.9' = ANY (p.proconfig) ORDER BY 1;

---------------------- 10. the gate's flights and retried requests
-- bx_match processes flights departing within bxexit.gate_departure_window
-- days of today (1 by default)
RESET bxexit.gate_departure_window;
INSERT INTO flight (carrier, flight_number, departure_airport, arrival_airport, departure_date)
VALUES ('UA', '900', 'JFK', 'LHR', current_date), ('UA', '901', 'JFK', 'LHR', current_date + 5);
INSERT INTO manifest (flight_id, person_id)
SELECT f.flight_id, 1 FROM flight f WHERE f.flight_number IN ('900', '901');
SELECT f.flight_number, m.decision, m.reason
  FROM flight f, bx_match('\x00112233'::bytea, f.flight_id) m
 WHERE f.flight_number IN ('178', '900', '901') ORDER BY f.flight_number;
SELECT reason, probe_photo IS NULL AS no_photo_kept FROM exit_event WHERE reason = 'flight_not_departing';
-- a retry with the same request id returns the first decision and records
-- no second exit event; another id is another request
SELECT count(*) AS events_before FROM exit_event \gset
SELECT f.flight_id AS today FROM flight f WHERE f.flight_number = '900' \gset
SELECT * FROM bx_match('\x00112233'::bytea, :today, 'cam7-000123') \gset first_
SELECT (m.decision, m.reason, m.exit_event_id) = (:'first_decision', :'first_reason', :first_exit_event_id) AS same_answer
  FROM bx_match('\x00112233'::bytea, :today, 'cam7-000123') m;
SELECT count(*) - :events_before AS new_events FROM exit_event;
SELECT m.exit_event_id <> :first_exit_event_id AS another_event
  FROM bx_match('\x00112233'::bytea, :today, 'cam7-000124') m;
SELECT pg_temp.try($$SELECT bx_match('\x00'::bytea, 1, repeat('x', 65))$$);

ALTER ROLE bx_sec_gate RESET ALL;
DROP ROLE bx_sec_gate;
DROP ROLE bx_sec_admin;
