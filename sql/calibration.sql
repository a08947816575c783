-- threshold calibration in SQL: DET curve, EER, operating points of
-- verification and of open-set identification, scores of a labelled
-- template table, adopting a threshold; gate decisions by demographics
SET search_path = public, bxexit;
TRUNCATE departure_link, departure_manifest, search_audit, exit_event, manifest, flight, admission,
	enrollment, travel_document, person RESTART IDENTITY;
\i sql/include/try.sql
\i sql/include/template.sql

-- ten mated and ten non-mated scores, every figure countable by hand
CREATE TEMP TABLE s AS
SELECT ARRAY[0.9, 0.85, 0.8, 0.75, 0.7, 0.65, 0.6, 0.5, 0.4, 0.3]::float8[] AS mated,
       ARRAY[0.55, 0.45, 0.35, 0.3, 0.25, 0.2, 0.15, 0.1, 0.05, 0.0]::float8[] AS nonmated;
-- at threshold t: FMR = non-mated above t, FNMR = mated at or below t
SELECT d.* FROM s, bx_det_curve(s.mated, s.nonmated) d WHERE d.threshold IN (0.3, 0.45, 0.5, 0.55, 0.6);
-- EER: FMR and FNMR closest (both 0.2 at 0.4: the first such threshold)
SELECT e.* FROM s, bx_det_eer(s.mated, s.nonmated) e;
-- FMR 0.1: one non-mated score may lie above: the threshold is the second
-- highest (0.45), FNMR 0.2 (0.4 and 0.3 are not above it); FMR 0: 0.55
SELECT p.* FROM s, bx_det_point(s.mated, s.nonmated, 0.1) p;
SELECT p.* FROM s, bx_det_point(s.mated, s.nonmated, 0.0) p;

-- open-set identification: 10 non-mated searches (best scores), 10 mated
-- (mate's score when sole rank-1, -2 when not)
SELECT p.* FROM bx_identification_point(ARRAY[0.52, 0.41, 0.4, 0.3, 0.2, 0.1, 0.1, 0.05, 0.0, -0.1],
                                          ARRAY[0.95, 0.9, 0.8, 0.6, 0.53, 0.52, 0.45, 0.41, 0.3, -2],
                                          0.1) p;
SELECT p.threshold FROM bx_identification_point(ARRAY[0.52, 0.41, 0.4], ARRAY[0.9], 0.0, 100) p;

-- scores of a labelled table: three people, two templates each
CREATE TEMP TABLE labelled (person int, t face_embedding);
INSERT INTO labelled VALUES (1, pg_temp.v(1)), (1, pg_temp.v(1, 2, 0.8)),
                            (2, pg_temp.v(2)), (2, pg_temp.v(2, 3, 0.7)),
                            (3, pg_temp.v(3)), (3, pg_temp.v(3, 1, 0.9));
SELECT cardinality(l.mated) AS mated, cardinality(l.nonmated) AS nonmated,
       (SELECT array_agg(round(v::numeric, 2) ORDER BY v) FROM unnest(l.mated) v) AS mated_scores
  FROM bx_labelled_scores('labelled', 'person', 't') l;
SELECT pg_temp.try($$SELECT * FROM bx_labelled_scores('labelled', 'person', 't', 5)$$);
SELECT pg_temp.try($$SELECT * FROM bx_labelled_scores('labelled', 'nobody', 't')$$);

-- adopting a threshold: measured, rounded up to 0.01, with its error, newer than the shipped one
SELECT bx_adopt_verification_threshold('mobilefacenet-v1', s.mated, s.nonmated, 0.1,
                                       'regression test scores', '2030-01-01') IS NOT NULL AS adopted
  FROM s;
SELECT bx_adopt_identification_threshold('mobilefacenet-v1',
         ARRAY[0.52, 0.41, 0.4, 0.3, 0.2, 0.1, 0.1, 0.05, 0.0, -0.1],
         ARRAY[0.95, 0.9, 0.8, 0.6, 0.53, 0.52, 0.45, 0.41, 0.3, -2], 0.1, 420,
         'regression test searches', '2030-01-01') IS NOT NULL AS adopted;
SELECT purpose, threshold, operating_point, measured_error, method FROM match_threshold
 WHERE NOT builtin ORDER BY purpose;
SELECT pg_temp.try($$SELECT bx_adopt_verification_threshold('m', NULL, ARRAY[0.1], 0.1, 'x')$$);
DELETE FROM match_threshold WHERE NOT builtin;

-- who may: analysts measure, admins adopt
SELECT r, has_function_privilege(r, 'bxexit.bx_det_point(float8[], float8[], float8)', 'EXECUTE') AS measure,
       has_function_privilege(r, 'bxexit.bx_adopt_verification_threshold(text, float8[], float8[], float8, text, timestamptz)', 'EXECUTE') AS adopt,
       has_table_privilege(r, 'bxexit.match_demographics', 'SELECT') AS demographics
  FROM unnest(ARRAY['bxexit_gate', 'bxexit_analyst', 'bxexit_admin']) r;

-- match and no-match rates by citizenship, sex and age band (photos of
-- known travellers: matches, and no-matches an officer resolved)
INSERT INTO person (family_name, citizenship, sex, date_of_birth)
VALUES ('A', 'FRA', 'F', '1990-01-01'), ('B', 'FRA', 'F', '1991-01-01'), ('C', 'IND', 'M', '1950-06-01');
INSERT INTO flight (carrier, flight_number, departure_airport, arrival_airport, departure_date)
VALUES ('AF', '11', 'JFK', 'CDG', '2024-06-01');
INSERT INTO exit_event (occurred_at, requested_flight_id, flight_id, decision, reason, person_id,
                        resolved_person_id, probe_source)
VALUES ('2024-06-01 18:00+00', 1, 1, 'match', NULL, 1, NULL, 'photo'),
       ('2024-06-01 18:01+00', 1, 1, 'no_match', 'below_threshold', NULL, 2, 'photo'),
       ('2024-06-01 18:02+00', 1, 1, 'match', NULL, 3, NULL, 'photo'),
       ('2024-06-01 18:03+00', 1, 1, 'no_match', 'below_threshold', NULL, NULL, 'photo'),
       ('2024-06-01 18:04+00', 1, 1, 'match', NULL, 3, NULL, 'template');
SELECT * FROM match_demographics ORDER BY citizenship, sex, age_band;

TRUNCATE departure_link, departure_manifest, search_audit, exit_event, manifest, flight, admission,
	enrollment, travel_document, person RESTART IDENTITY;
