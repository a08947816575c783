-- border records: gate decisions (bx_match), 1:1 (bx_verify), 1:N
-- (bx_identify), officer resolution, retention of US citizens' probes.
-- No face models needed: templates are built from arrays.
SET search_path = public, bxexit;
TRUNCATE departure_link, departure_manifest, search_audit, exit_event, manifest, flight, admission, enrollment,
	travel_document, person RESTART IDENTITY;

\i sql/include/try.sql

\i sql/include/template.sql
-- h(i, d, salt): a pseudo-random number in [-1, 1) from md5, the same on every platform
CREATE FUNCTION pg_temp.h(i int, d int, salt text) RETURNS float8 LANGUAGE sql IMMUTABLE AS $f$
	SELECT ('x' || substr(md5(salt || ':' || i || ':' || d), 1, 8))::bit(32)::int / 2147483648.0
$f$;
-- gate(probe, flight): bx_match as an officer sees it: the gate's answer
-- (decision, reason, event) with the event's person, rounded score, margin
-- to the runner-up, gallery size and threshold, which the gate never sees
CREATE FUNCTION pg_temp.gate(probe bxexit.face_embedding, flight int8)
RETURNS TABLE (decision text, person text, score numeric, margin numeric, reason text,
               gallery_size int, threshold float4, exit_event_id int8)
LANGUAGE plpgsql AS $f$
DECLARE
	m record;
BEGIN
	SELECT * INTO m FROM bxexit.bx_match(probe, flight);
	-- a new statement, so a new snapshot: it sees the event bx_match wrote
	RETURN QUERY
	SELECT m.decision, (SELECT p.family_name FROM bxexit.person p WHERE p.person_id = x.person_id),
	       round(x.score::numeric, 3), round((x.score - x.runner_up_score)::numeric, 3), m.reason,
	       x.gallery_size, x.threshold, m.exit_event_id
	  FROM (SELECT 1) one LEFT JOIN bxexit.exit_event x ON x.exit_event_id = m.exit_event_id;
END
$f$;

-- thresholds of this test, newer than the shipped calibration rows, so they
-- apply: identification 0.5, verification 0.45
INSERT INTO match_threshold (model, purpose, threshold, operating_point, method, valid_from)
VALUES ('mobilefacenet-v1', 'identification', 0.5, 'regression test', 'chosen', '2000-01-01'),
       ('mobilefacenet-v1', 'verification', 0.45, 'regression test', 'chosen', '2000-01-01');
SELECT bx_threshold('mobilefacenet-v1', 'identification') AS identification,
       bx_threshold('mobilefacenet-v1', 'verification') AS verification;

SELECT pg_temp.v(1, 2, 0.6)::text ~ '^mobilefacenet-v1:\[0.6,0.8,0,' AS v_ok,
       bx_dims(pg_temp.v(1)) AS dims, round(bx_similarity(pg_temp.v(1, 2, 0.9), pg_temp.v(1))::numeric, 3) AS sim;

-- travellers and their enrollments
INSERT INTO person (family_name, citizenship)
VALUES ('Alder', 'GBR'),     -- 1
       ('Brandt', 'DEU'),    -- 2
       ('Chevalier', 'FRA'), -- 3: two templates
       ('Donati', 'ITA'),    -- 4: enrolled, on flight 2 only
       ('Esteban', 'ESP'),   -- 5: only a template of another model
       ('Gomes', 'PRT'),     -- 6: not enrolled
       ('Fuller', 'USA'),    -- 7: US citizen
       ('Irving', 'USA');    -- 8: US citizen
INSERT INTO enrollment (person_id, source, captured_at, template)
VALUES (1, 'visa', '2023-01-01', pg_temp.v(1)),
       (2, 'passport', '2023-01-01', pg_temp.v(2)),
       (3, 'visa', '2023-01-01', pg_temp.v(5)),
       (3, 'entry', '2023-06-01', pg_temp.v(6)),
       (4, 'visa', '2023-01-01', pg_temp.v(8)),
       (5, 'visa', '2023-01-01', bx_set_model(pg_temp.v(1), 'arcface-r100')),
       (7, 'passport', '2020-01-01', pg_temp.v(12)),
       (8, 'passport', '2020-01-01', pg_temp.v(14));
INSERT INTO flight (carrier, flight_number, departure_airport, arrival_airport, departure_date)
VALUES ('BA', '178', 'JFK', 'LHR', '2024-06-01'),   -- 1: Alder, Brandt, Chevalier
       ('AZ', '611', 'JFK', 'FCO', '2024-06-02'),   -- 2: Alder, Donati, Fuller, Irving
       ('IB', '6252', 'JFK', 'MAD', '2024-06-03'),  -- 3: nobody on the manifest
       ('TP', '202', 'EWR', 'LIS', '2024-06-04');   -- 4: Esteban, Gomes (no usable template)
INSERT INTO manifest (flight_id, person_id)
VALUES (1, 1), (1, 2), (1, 3), (2, 1), (2, 4), (2, 7), (2, 8), (4, 5), (4, 6);

-- a genuine traveller: score 0.9; the runner-up (Brandt) scores
-- sqrt(1 - 0.81) = 0.436, so the margin is 0.464; gallery of 3 people
SELECT * FROM pg_temp.gate(pg_temp.v(1, 2, 0.9), 1);
-- a person scores by their best template: 0.95 with the second one (the
-- mean of both templates, 0.475, would be below the threshold 0.5)
SELECT * FROM pg_temp.gate(pg_temp.v(6, 7, 0.95), 1);
-- an impostor resembling Alder at 0.4: no match, below the threshold
SELECT * FROM pg_temp.gate(pg_temp.v(1, 10, 0.4), 1);
-- 0.46 passes the verification threshold (0.45) but not identification (0.5)
SELECT * FROM pg_temp.gate(pg_temp.v(1, 10, 0.46), 1);
-- Donati is enrolled but not on flight 1's manifest: not found there ...
SELECT * FROM pg_temp.gate(pg_temp.v(8, 9, 0.99), 1);
-- ... and found on his own flight
SELECT * FROM pg_temp.gate(pg_temp.v(8, 9, 0.99), 2);
-- no such flight: no match, no flight in the event, the requested id kept
SELECT * FROM pg_temp.gate(pg_temp.v(1), 9999);
-- nobody on the manifest; nobody on it with a template of the probe's model
SELECT * FROM pg_temp.gate(pg_temp.v(1), 3);
SELECT * FROM pg_temp.gate(pg_temp.v(1), 4);
-- no photo, no probe, no flight
SELECT * FROM bx_match(NULL::bytea, 1);
SELECT * FROM bx_match(NULL::face_embedding, 1);
SELECT * FROM pg_temp.gate(pg_temp.v(1), NULL);
-- probes that cannot be compared: errors, and nothing recorded
SELECT pg_temp.try($$SELECT bx_match(bx_set_model(pg_temp.v(1), 'arcface-r100'), 1)$$);
SELECT pg_temp.try($$SELECT bx_match(bx_set_model(pg_temp.v(1), ''), 1)$$);
SELECT pg_temp.try($$SELECT bx_match('mobilefacenet-v1:[1,0,0,0]'::face_embedding, 1)$$);
SELECT pg_temp.try($$SELECT bx_match(bx_set_model(pg_temp.v(1), ''), 9999)$$);

-- every decision is an exit event ...
SELECT exit_event_id, requested_flight_id, flight_id, decision, reason, person_id,
       round(score::numeric, 3) AS score, round(runner_up_score::numeric, 3) AS runner_up,
       threshold, model, gallery_size, probe_template IS NOT NULL AS has_probe,
       probe_photo IS NOT NULL AS has_photo, recorded_by = session_user AS recorded_by_caller
  FROM exit_event ORDER BY exit_event_id;
-- ... with exactly one audit row
SELECT count(*) AS audit_rows, count(DISTINCT exit_event_id) AS events_audited,
       count(*) FILTER (WHERE search = 'match') AS match_searches,
       (SELECT count(*) FROM exit_event) AS exit_events,
       bool_and(searched_by = session_user) AS searched_by_caller
  FROM search_audit;
-- (the audit names the best candidate even of a no-match: admins may review it)
SELECT a.exit_event_id, a.flight_id, a.gallery_size, a.candidates, a.top_person_id,
       round(a.top_score::numeric, 3) AS top_score, a.outcome
  FROM search_audit a JOIN exit_event x USING (exit_event_id)
 WHERE a.outcome = coalesce(x.reason, x.decision)
   AND (x.person_id IS NULL OR a.top_person_id = x.person_id)
 ORDER BY a.exit_event_id;

-- a person with exit records cannot be deleted
SELECT pg_temp.try($$DELETE FROM person WHERE person_id = 1$$);

------------------------------------------------------------------ bx_verify
-- 1:1 against the claimed person's best template, verification threshold 0.45
SELECT decision, round(score::numeric, 3) AS score, threshold, templates, reason
  FROM bx_verify(pg_temp.v(1, 2, 0.9), 1);
SELECT decision, round(score::numeric, 3) AS score, threshold, templates, reason
  FROM bx_verify(pg_temp.v(1, 10, 0.46), 1);
SELECT decision, round(score::numeric, 3) AS score, threshold, templates, reason
  FROM bx_verify(pg_temp.v(1, 10, 0.4), 1);
SELECT decision, round(score::numeric, 3) AS score, threshold, templates, reason
  FROM bx_verify(pg_temp.v(6, 7, 0.95), 3);
-- the right face claiming to be someone else
SELECT decision, round(score::numeric, 3) AS score, threshold, templates, reason
  FROM bx_verify(pg_temp.v(1, 2, 0.9), 4);
SELECT decision, score, threshold, templates, reason FROM bx_verify(pg_temp.v(1), 9999);
SELECT decision, score, threshold, templates, reason FROM bx_verify(pg_temp.v(1), 6);
SELECT decision, score, threshold, templates, reason FROM bx_verify(pg_temp.v(1), 5);
SELECT pg_temp.try($$SELECT bx_verify(NULL::face_embedding, 1)$$);
SELECT pg_temp.try($$SELECT bx_verify(pg_temp.v(1), NULL)$$);
SELECT pg_temp.try($$SELECT bx_verify(bx_set_model(pg_temp.v(1), ''), 1)$$);
SELECT pg_temp.try($$SELECT bx_verify('mobilefacenet-v1:[1,0]'::face_embedding, 1)$$);
-- audited, one row per completed verification, no exit event
SELECT claimed_person_id, gallery_size, candidates, round(top_score::numeric, 3) AS top_score,
       outcome, exit_event_id
  FROM search_audit WHERE search = 'verify' ORDER BY audit_id;

------------------------------------------------------------ bx_resolve_exit
-- Brandt's gate photo scored 0.3: no match; an officer checks his passport
SELECT * FROM pg_temp.gate(pg_temp.v(2, 11, 0.3), 1);
SELECT exit_event_id AS brandt_event FROM exit_event ORDER BY exit_event_id DESC LIMIT 1 \gset
SELECT bx_resolve_exit(:brandt_event, 2, 'passport checked at the gate');
SELECT exit_event_id, decision, reason, person_id, resolved_person_id,
       resolved_by = session_user AS resolved_by_caller, resolved_at IS NOT NULL AS resolved, resolution_note
  FROM exit_event WHERE exit_event_id = :brandt_event;
-- refused: twice, a match, an unknown flight, an unknown event or person
SELECT pg_temp.try(format('SELECT bx_resolve_exit(%s, 2)', :brandt_event));
SELECT pg_temp.try($$SELECT bx_resolve_exit(1, 1)$$);
SELECT pg_temp.try($$SELECT bx_resolve_exit((SELECT exit_event_id FROM exit_event WHERE reason = 'unknown_flight' ORDER BY 1 LIMIT 1), 1)$$);
SELECT pg_temp.try($$SELECT bx_resolve_exit(99999, 1)$$);
SELECT pg_temp.try($$SELECT bx_resolve_exit(3, 99999)$$);
SELECT resolved_person_id FROM exit_event WHERE exit_event_id = 3;
-- departures: the biometric matches and the officer's resolution, dated by the flight
SELECT exit_event_id, person_id, flight_id, departed_on, departure_airport, evidence_level
  FROM departure ORDER BY exit_event_id;

------------------------------------------------------- bx_apply_retention
-- US citizens' probes go after bxexit.citizen_photo_retention (default 12 hours)
SHOW bxexit.citizen_photo_retention;
SELECT bx_citizen_photo_retention();
SELECT * FROM pg_temp.gate(pg_temp.v(12, 13, 0.9), 2);   -- Fuller, to be 13 hours old
SELECT exit_event_id AS fuller_match FROM exit_event ORDER BY exit_event_id DESC LIMIT 1 \gset
SELECT * FROM pg_temp.gate(pg_temp.v(12, 13, 0.3), 2);   -- Fuller, no match, resolved, 13 hours old
SELECT exit_event_id AS fuller_resolved FROM exit_event ORDER BY exit_event_id DESC LIMIT 1 \gset
SELECT bx_resolve_exit(:fuller_resolved, 7);
SELECT * FROM pg_temp.gate(pg_temp.v(14, 15, 0.9), 2);   -- Irving, 2 days old
SELECT exit_event_id AS irving_old FROM exit_event ORDER BY exit_event_id DESC LIMIT 1 \gset
SELECT * FROM pg_temp.gate(pg_temp.v(14, 15, 0.95), 2);  -- Irving, just now
SELECT exit_event_id AS irving_new FROM exit_event ORDER BY exit_event_id DESC LIMIT 1 \gset
SELECT * FROM pg_temp.gate(pg_temp.v(14, 15, 0.3), 2);   -- no match, unresolved, 3 days old
SELECT exit_event_id AS unknown_old FROM exit_event ORDER BY exit_event_id DESC LIMIT 1 \gset
SELECT * FROM pg_temp.gate(pg_temp.v(8, 9, 0.97), 2);    -- Donati (not a US citizen), 3 days old
SELECT exit_event_id AS donati_old FROM exit_event ORDER BY exit_event_id DESC LIMIT 1 \gset
UPDATE exit_event SET occurred_at = now() - interval '13 hours' WHERE exit_event_id IN (:fuller_match, :fuller_resolved);
UPDATE exit_event SET occurred_at = now() - interval '2 days' WHERE exit_event_id = :irving_old;
UPDATE exit_event SET occurred_at = now() - interval '3 days' WHERE exit_event_id IN (:unknown_old, :donati_old);
-- gate photos kept as exit enrollments: a US citizen's and a non-citizen's, 2 days old
INSERT INTO enrollment (person_id, source, captured_at, template)
VALUES (7, 'exit', now() - interval '2 days', pg_temp.v(12, 13, 0.9)),
       (4, 'exit', now() - interval '2 days', pg_temp.v(8, 9, 0.97));

-- a retention of one day: Irving's 2-day-old probe and Fuller's exit enrollment go
SET bxexit.citizen_photo_retention = '1d';
SELECT bx_citizen_photo_retention();
SELECT * FROM bx_apply_retention();
-- 12 hours: Fuller's two 13-hour-old probes go too (one matched, one resolved by an officer)
SET bxexit.citizen_photo_retention = '12h';
SHOW bxexit.citizen_photo_retention;
SELECT * FROM bx_apply_retention();
SELECT * FROM bx_apply_retention();
RESET bxexit.citizen_photo_retention;
-- decisions stay, only the probes went; recent, unresolved and non-citizen probes stay
SELECT x.exit_event_id, x.decision, x.reason, coalesce(x.person_id, x.resolved_person_id) AS person_id,
       p.citizenship, round(x.score::numeric, 3) AS score, x.flight_id,
       x.probe_template IS NOT NULL AS has_probe, x.probe_purged_at IS NOT NULL AS purged
  FROM exit_event x LEFT JOIN person p ON p.person_id = coalesce(x.person_id, x.resolved_person_id)
 WHERE x.exit_event_id >= :fuller_match
 ORDER BY x.exit_event_id;
SELECT person_id, source FROM enrollment WHERE source = 'exit' ORDER BY person_id;
-- (Fuller's match and his resolved no-match on the same flight are one departure)
SELECT count(*) AS purged_events_still_departures FROM departure
 WHERE exit_event_id IN (:fuller_match, :fuller_resolved, :irving_old);
-- the setting is a superuser's
CREATE ROLE regress_bx_gate_user;
SET ROLE regress_bx_gate_user;
SELECT pg_temp.try($$SET bxexit.citizen_photo_retention = '30d'$$);
RESET ROLE;
DROP ROLE regress_bx_gate_user;

------------------------------------------------- a gallery of 300 people
-- 300 travellers with random 128-d templates on one flight; each probe is
-- the traveller's template plus noise (similarity to it about 0.96): every
-- one matches, and matches the right person
INSERT INTO flight (carrier, flight_number, departure_airport, arrival_airport, departure_date)
VALUES ('UA', '900', 'SFO', 'FRA', '2024-07-01');
SELECT flight_id AS big_flight FROM flight WHERE flight_number = '900' \gset
INSERT INTO person (family_name, citizenship)
SELECT 'Traveller ' || i, 'CAN' FROM generate_series(1, 300) i;
CREATE TEMP TABLE traveller AS
SELECT p.person_id, row_number() OVER (ORDER BY p.person_id)::int AS i
  FROM person p WHERE p.family_name LIKE 'Traveller %';
INSERT INTO enrollment (person_id, source, captured_at, template)
SELECT t.person_id, 'visa', '2023-01-01',
       bx_set_model((SELECT array_agg(pg_temp.h(t.i, d, 'template') ORDER BY d)
                       FROM generate_series(1, 128) d)::face_embedding, 'mobilefacenet-v1')
  FROM traveller t;
INSERT INTO manifest (flight_id, person_id) SELECT :big_flight, person_id FROM traveller;
SELECT count(*) AS events_before FROM exit_event \gset
CREATE TEMP TABLE big_answer AS
SELECT t.person_id AS expected, m.*
  FROM traveller t,
       LATERAL bx_match(bx_set_model((SELECT array_agg(pg_temp.h(t.i, d, 'template') + 0.3 * pg_temp.h(t.i, d, 'noise') ORDER BY d)
                                        FROM generate_series(1, 128) d)::face_embedding, 'mobilefacenet-v1'),
                        :big_flight) m;
-- the gate's answers with the officer's view of each event
CREATE TEMP TABLE big_result AS
SELECT r.expected, r.decision, x.person_id, x.gallery_size, x.score,
       x.score - x.runner_up_score AS margin
  FROM big_answer r JOIN exit_event x USING (exit_event_id);
SELECT count(*) AS probes,
       count(*) FILTER (WHERE decision = 'match') AS matches,
       count(*) FILTER (WHERE person_id = expected) AS right_person,
       min(gallery_size) AS min_gallery, max(gallery_size) AS max_gallery,
       min(score) > 0.9 AS scores_high, min(margin) > 0.3 AS margins_wide
  FROM big_result;
SELECT count(*) - :events_before AS new_exit_events,
       count(*) FILTER (WHERE flight_id = :big_flight AND decision = 'match') AS big_flight_matches
  FROM exit_event;
SELECT count(*) AS audit_rows, count(DISTINCT exit_event_id) AS events_audited
  FROM search_audit WHERE flight_id = :big_flight;
-- an impostor (a random face) is not matched to any of the 300
SELECT decision, person AS matched, reason, gallery_size
  FROM pg_temp.gate(bx_set_model((SELECT array_agg(pg_temp.h(0, d, 'impostor') ORDER BY d)
                                    FROM generate_series(1, 128) d)::face_embedding, 'mobilefacenet-v1'),
                    :big_flight);
-- totals: each call above left one exit event and one audit row
SELECT (SELECT count(*) FROM exit_event) AS exit_events,
       (SELECT count(*) FROM search_audit WHERE search = 'match') AS match_audit_rows,
       (SELECT count(DISTINCT exit_event_id) FROM search_audit) AS audited_events;

---------------------------------------------------------------- bx_identify
-- its own small gallery: six people, one of them with two templates and
-- one with 45 (more than the first fetch of 40 rows)
TRUNCATE departure_link, departure_manifest, search_audit, exit_event, manifest, flight, admission, enrollment,
	travel_document, person RESTART IDENTITY;
INSERT INTO person (family_name, citizenship)
VALUES ('Alder', 'GBR'), ('Brandt', 'DEU'), ('Chevalier', 'FRA'),
       ('Donati', 'ITA'), ('Esteban', 'ESP'), ('Hayashi', 'JPN');
INSERT INTO enrollment (person_id, source, captured_at, template)
VALUES (1, 'visa', '2023-01-01', pg_temp.v(1)),
       (2, 'visa', '2023-01-01', pg_temp.v(1, 2, 0.7)),
       (3, 'visa', '2023-01-01', pg_temp.v(1, 3, 0.5)),
       (3, 'entry', '2023-06-01', pg_temp.v(1, 3, 0.6)),
       (4, 'visa', '2023-01-01', pg_temp.v(1, 4, 0.3)),
       (5, 'visa', '2023-01-01', pg_temp.v(5));
INSERT INTO enrollment (person_id, source, captured_at, template)
SELECT 6, 'entry', '2023-01-01', pg_temp.v(20, 20 + j, 0.99 - j * 0.001) FROM generate_series(1, 45) j;

-- best first, one row per person (Chevalier by her better template, 0.6),
-- flagged at the identification threshold 0.5
SELECT rank, person_id, round(score::numeric, 3) AS score, enrollment_id, above_threshold
  FROM bx_identify(pg_temp.v(1), 4);
-- k larger than the gallery: everyone with a template of the model
SELECT rank, person_id, round(score::numeric, 3) AS score, enrollment_id, above_threshold
  FROM bx_identify(pg_temp.v(1), 10);
-- Hayashi's 45 templates fill the first fetch; the search widens to find a second person
SELECT rank, person_id, round(score::numeric, 3) AS score, enrollment_id, above_threshold
  FROM bx_identify(pg_temp.v(20, 21, 0.995), 2);
SELECT rank, person_id, round(score::numeric, 3) AS score, above_threshold
  FROM bx_identify(pg_temp.v(7), 1);
-- bounds and bad probes
SELECT pg_temp.try($$SELECT bx_identify(pg_temp.v(1), 0)$$);
SELECT pg_temp.try($$SELECT bx_identify(pg_temp.v(1), 1001)$$);
SELECT pg_temp.try($$SELECT bx_identify(pg_temp.v(1), NULL)$$);
SELECT pg_temp.try($$SELECT bx_identify(NULL::face_embedding, 3)$$);
SELECT pg_temp.try($$SELECT bx_identify(bx_set_model(pg_temp.v(1), 'arcface-r100'), 3)$$);
SELECT pg_temp.try($$SELECT bx_identify('mobilefacenet-v1:[1,0,0]'::face_embedding, 3)$$);
SELECT count(*) AS k_1000 FROM bx_identify(pg_temp.v(1), 1000);
-- audited: one row per completed search, no exit events
SELECT k, candidates, top_person_id, round(top_score::numeric, 3) AS top_score, outcome, exit_event_id
  FROM search_audit WHERE search = 'identify' ORDER BY audit_id;
SELECT count(*) AS exit_events FROM exit_event;
-- nobody enrolled with the probe's model
DELETE FROM enrollment;
SELECT count(*) AS rows FROM bx_identify(pg_temp.v(1), 3);
SELECT k, candidates, top_person_id, top_score, outcome FROM search_audit ORDER BY audit_id DESC LIMIT 1;

-- with a bxann index: the same answers, from the index (1,200 templates,
-- 200 per person, so that the index is cheaper than sorting the table)
INSERT INTO enrollment (person_id, source, captured_at, template)
SELECT 1 + (i % 6), 'visa', '2023-01-01',
       bx_set_model((SELECT array_agg(pg_temp.h(i, d, 'identify') ORDER BY d)
                       FROM generate_series(1, 128) d)::face_embedding, 'mobilefacenet-v1')
  FROM generate_series(1, 1200) i;
-- a template of another model, which the index leaves out
INSERT INTO enrollment (person_id, source, captured_at, template)
VALUES (1, 'visa', '2023-01-01', bx_set_model(pg_temp.v(1), 'arcface-r100'));
ANALYZE enrollment;
-- probe q resembles template 7q (person 1 + 7q mod 6) at about 0.89
CREATE TEMP TABLE identify_probe AS
SELECT q, bx_set_model((SELECT array_agg(pg_temp.h(q * 7, d, 'identify') + 0.5 * pg_temp.h(q, d, 'probe') ORDER BY d)
                          FROM generate_series(1, 128) d)::face_embedding, 'mobilefacenet-v1') AS probe
  FROM generate_series(1, 10) q;
CREATE TEMP TABLE identify_seq AS
SELECT q, i.* FROM identify_probe, LATERAL bx_identify(probe, 4) i;
-- every list probed: the index finds what the sequential scan finds
SET bxann.probes = 1000;
-- the gallery column holds every model's templates, so it has no dimensions
-- and cannot be indexed as it is ...
SELECT pg_temp.try($$CREATE INDEX ON enrollment USING bxann (template face_embedding_cosine_ops)$$);
-- ... but its cast to the model's dimensions can, for that model's rows
CREATE INDEX enrollment_template_idx ON enrollment
 USING bxann ((template::face_embedding(128)) face_embedding_cosine_ops) WITH (lists = 4)
 WHERE model = 'mobilefacenet-v1';
-- the query bx_identify runs
SET enable_seqscan = off;
EXPLAIN (COSTS OFF)
SELECT e.person_id, e.enrollment_id, e.template::face_embedding(128) <=> 'mobilefacenet-v1:[1,0]' AS d
  FROM enrollment e
 WHERE e.model = 'mobilefacenet-v1'
 ORDER BY e.template::face_embedding(128) <=> 'mobilefacenet-v1:[1,0]' LIMIT 40;
RESET enable_seqscan;
-- bx_identify scans the index (under the default planner settings)
BEGIN;
CREATE TEMP TABLE identify_idx AS
SELECT q, i.* FROM identify_probe, LATERAL bx_identify(probe, 4) i;
SELECT pg_stat_get_xact_numscans('enrollment_template_idx'::regclass) >= 10 AS index_used;
COMMIT;
SELECT (SELECT count(*) FROM identify_seq) AS rows_without_index,
       (SELECT count(*) FROM identify_idx) AS rows_with_index,
       (SELECT count(*) FROM identify_seq s JOIN identify_idx x USING (q, rank, person_id, enrollment_id)) AS identical_rows,
       (SELECT count(*) FROM identify_seq WHERE rank = 1 AND enrollment_id = q * 7 + 51 AND above_threshold) AS probes_finding_their_template;
-- one row per person: 4 distinct people per probe
SELECT count(*) AS probes_with_4_people FROM (
	SELECT q FROM identify_idx GROUP BY q HAVING count(DISTINCT person_id) = 4 AND count(*) = 4) s;
-- an arcface template is not refused by the index, which leaves it out
INSERT INTO enrollment (person_id, source, captured_at, template)
VALUES (2, 'visa', '2023-01-01', bx_set_model(pg_temp.v(2), 'arcface-r100'));
SELECT count(*) AS arcface_templates FROM enrollment WHERE model = 'arcface-r100';
DROP INDEX enrollment_template_idx;
RESET bxann.probes;

TRUNCATE departure_link, departure_manifest, search_audit, exit_event, manifest, flight, admission, enrollment,
	travel_document, person RESTART IDENTITY;
DELETE FROM match_threshold WHERE NOT builtin;
