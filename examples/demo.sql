-- bxexit demo: from gate photos to exit records to an overstay report,
-- inside PostgreSQL.  Run by scripts/demo.sh against a throwaway cluster,
-- as a superuser (it loads photos with pg_read_binary_file).
--
-- 1. travellers enrolled with face templates: from real photos of
--    ../shared/data/faces when present, else from synthetic templates;
-- 2. flights and their APIS manifests;
-- 3. gate matches on a flight: travellers on the manifest, an impostor,
--    a traveller who is not on the manifest (resolved by an officer);
-- 4. officer tools: 1:1 verification, 1:N identification over a bxann index;
-- 5. tens of thousands of synthetic admissions and departures, and the
--    DHS overstay report of the last complete fiscal year;
-- 6. roles: what a gate system and an analyst may and may not do.
\set ON_ERROR_STOP on
\pset footer off
CREATE EXTENSION bxexit;
SET search_path = public, bxexit;
SELECT bx_build_info();
SELECT setseed(0.42);

-- ------------------------------------------------------------- 1. people
\getenv faces BX_FACES
\if :{?faces}
\echo 'Enrolling travellers from photos in' :faces
-- 40 ORL subjects: visa photo (image 1) and passport photo (image 2);
-- their images 5 and 6 are the gate photos below
INSERT INTO person (fin, family_name, given_names, citizenship, date_of_birth, sex)
SELECT 'ORL' || lpad(s::text, 4, '0'), 'Subject-' || s, 'ORL',
       (ARRAY['FRA', 'IND', 'BRA', 'USA', 'DEU', 'NGA', 'JPN', 'MEX'])[1 + s % 8],
       date '1960-01-01' + (s * 211) % 15000, 'X'
  FROM generate_series(1, 40) s;
INSERT INTO enrollment (person_id, source, captured_at, template, quality)
SELECT p.person_id, src.source, timestamptz '2024-03-01 10:00+00' + s.s * interval '1 day',
       q.embedding, q.score
  FROM generate_series(1, 40) s(s)
  JOIN person p ON p.fin = 'ORL' || lpad(s.s::text, 4, '0')
 CROSS JOIN (VALUES (1, 'visa'), (2, 'passport')) src(img, source)
 CROSS JOIN LATERAL bx_embed_quality(pg_read_binary_file(:'faces' || '/orl/s' || s.s || '/' || src.img || '.pgm'),
                                     'largest') q
 WHERE q.status = 'ok';
-- 500 LFW singletons (one photo each; named after the file); the other
-- 129 never enrolled: impostors
CREATE TEMP TABLE lfw AS
SELECT f AS file, row_number() OVER (ORDER BY f) AS n
  FROM pg_ls_dir(:'faces' || '/lfw') f;
INSERT INTO person (fin, family_name, given_names, citizenship, date_of_birth, sex)
SELECT 'LFW' || lpad(n::text, 4, '0'),
       replace(regexp_replace(file, '^(.*)_(\w+)_[0-9]+\.jpg$', '\2'), '_', ' '),
       replace(regexp_replace(file, '^(.*)_(\w+)_[0-9]+\.jpg$', '\1'), '_', ' '),
       (ARRAY['GBR', 'ESP', 'CHN', 'COL', 'ITA', 'PHL', 'CAN', 'USA', 'VEN'])[1 + n % 9],
       date '1950-01-01' + ((n * 97) % 20000)::int, 'X'
  FROM lfw WHERE n <= 500;
INSERT INTO enrollment (person_id, source, captured_at, template, quality)
SELECT p.person_id, 'visa', timestamptz '2023-06-01 10:00+00' + l.n * interval '1 hour',
       q.embedding, q.score
  FROM lfw l
  JOIN person p ON p.fin = 'LFW' || lpad(l.n::text, 4, '0')
 CROSS JOIN LATERAL bx_embed_quality(pg_read_binary_file(:'faces' || '/lfw/' || l.file), 'largest') q
 WHERE q.status = 'ok';
\else
\echo 'No face photos found (../shared/data/faces): travellers get synthetic templates.'
-- each person has an identity direction; every capture adds noise, as
-- real face embeddings do
INSERT INTO person (fin, family_name, given_names, citizenship, date_of_birth, sex)
SELECT CASE WHEN s <= 40 THEN 'ORL' || lpad(s::text, 4, '0') ELSE 'LFW' || lpad((s - 40)::text, 4, '0') END,
       'Traveller-' || s, 'Synthetic',
       (ARRAY['FRA', 'IND', 'BRA', 'USA', 'DEU', 'NGA', 'JPN', 'MEX'])[1 + s % 8],
       date '1960-01-01' + (s * 211) % 15000, 'X'
  FROM generate_series(1, 540) s;
CREATE TEMP TABLE identity AS
SELECT p.person_id, array_agg(random() - 0.5) AS centre
  FROM person p, generate_series(1, 128) d GROUP BY p.person_id;
INSERT INTO enrollment (person_id, source, captured_at, template, quality)
SELECT i.person_id, src, timestamptz '2024-03-01 10:00+00',
       bx_set_model(bx_normalize(ARRAY(SELECT x + (random() - 0.5) * 0.3 FROM unnest(i.centre) x)::face_embedding),
                    'mobilefacenet-v1'), 0.99
  FROM identity i, unnest(ARRAY['visa', 'passport']) src;
\endif

SELECT source, count(*) AS templates, count(DISTINCT person_id) AS people,
       string_agg(DISTINCT model, ', ') AS model
  FROM enrollment GROUP BY source ORDER BY source;

-- ---------------------------------------------------- 2. flights, manifests
INSERT INTO flight (carrier, flight_number, departure_airport, arrival_airport, departure_date, scheduled_departure)
VALUES ('DL', '264', 'JFK', 'CDG', current_date, current_date + time '18:40'),
       ('AF', '11', 'JFK', 'CDG', current_date, current_date + time '19:30'),
       ('LH', '401', 'JFK', 'FRA', current_date, current_date + time '21:55');
-- DL 264: ORL subjects 1-20 and 400 LFW travellers, a 420-person gallery
-- as in NIST's boarding-gate evaluation; AF 11: ORL subjects 21-40;
-- LH 401: nobody with a manifest yet
INSERT INTO manifest (flight_id, person_id)
SELECT f.flight_id, p.person_id
  FROM flight f, person p
 WHERE f.carrier = 'DL'
   AND (p.fin BETWEEN 'ORL0001' AND 'ORL0020' OR p.fin BETWEEN 'LFW0001' AND 'LFW0400');
INSERT INTO manifest (flight_id, person_id)
SELECT f.flight_id, p.person_id
  FROM flight f, person p
 WHERE f.carrier = 'AF' AND p.fin BETWEEN 'ORL0021' AND 'ORL0040';
SELECT f.carrier || f.flight_number AS flight, f.departure_airport || '-' || f.arrival_airport AS route,
       count(m.person_id) AS manifest
  FROM flight f LEFT JOIN manifest m USING (flight_id)
 GROUP BY f.flight_id ORDER BY f.flight_id;

-- ---------------------------------------------------------- 3. the gate
-- Gate photos: what the camera at DL 264's boarding gate sends.
CREATE TEMP TABLE gate_photo (probe text PRIMARY KEY, photo bytea, template face_embedding);
\if :{?faces}
INSERT INTO gate_photo (probe, photo)
SELECT 'ORL' || s || ' (on the manifest)', pg_read_binary_file(:'faces' || '/orl/s' || s || '/5.pgm')
  FROM generate_series(1, 5) s
UNION ALL
SELECT 'ORL30 (booked on AF 11, at the DL gate)', pg_read_binary_file(:'faces' || '/orl/s30/5.pgm')
UNION ALL
SELECT 'impostor (never enrolled)', pg_read_binary_file(:'faces' || '/lfw/' || file)
  FROM lfw WHERE n = 600;
\else
INSERT INTO gate_photo (probe, template)
SELECT 'ORL' || s || ' (on the manifest)',
       bx_set_model(bx_normalize(ARRAY(SELECT x + (random() - 0.5) * 0.3 FROM unnest(i.centre) x)::face_embedding),
                    'mobilefacenet-v1')
  FROM generate_series(1, 5) s JOIN person p ON p.fin = 'ORL' || lpad(s::text, 4, '0')
  JOIN identity i USING (person_id)
UNION ALL
SELECT 'ORL30 (booked on AF 11, at the DL gate)',
       bx_set_model(bx_normalize(ARRAY(SELECT x + (random() - 0.5) * 0.3 FROM unnest(i.centre) x)::face_embedding),
                    'mobilefacenet-v1')
  FROM person p JOIN identity i USING (person_id) WHERE p.fin = 'ORL0030'
UNION ALL
SELECT 'impostor (never enrolled)',
       bx_set_model(bx_normalize(ARRAY(SELECT random() - 0.5 FROM generate_series(1, 128))::face_embedding),
                    'mobilefacenet-v1');
\endif

-- One bx_match call per traveller: photo (or template) in, decision out,
-- exit event recorded.
CREATE TEMP TABLE gate_result AS
SELECT g.probe, m.*
  FROM gate_photo g, flight f,
       LATERAL bx_match(g.photo, f.flight_id) m
 WHERE f.carrier = 'DL' AND g.photo IS NOT NULL
UNION ALL
SELECT g.probe, m.*
  FROM gate_photo g, flight f,
       LATERAL bx_match(g.template, f.flight_id) m
 WHERE f.carrier = 'DL' AND g.photo IS NULL;
-- The gate learns the decision, the reason and the exit event, never a
-- score; the officer's view of the same decisions reads exit_event.
SELECT r.probe, r.decision, r.reason, p.family_name AS matched, round(x.score::numeric, 3) AS score,
       round((x.score - x.runner_up_score)::numeric, 3) AS margin, x.gallery_size
  FROM gate_result r JOIN exit_event x USING (exit_event_id)
  LEFT JOIN person p ON p.person_id = x.person_id
 ORDER BY r.exit_event_id;

-- the gate's other outcomes: an unknown flight, a flight without gallery,
-- no photo at all
SELECT 'unknown flight' AS case, decision, reason FROM bx_match(NULL::bytea, -1)
UNION ALL
SELECT 'LH 401, no manifest', m.decision, m.reason
  FROM flight f, LATERAL bx_match((SELECT template FROM enrollment LIMIT 1), f.flight_id) m
 WHERE f.carrier = 'LH'
UNION ALL
SELECT 'camera sent nothing', decision, reason FROM bx_match(NULL::bytea, 1);

-- ------------------------------------------------------ 4. officer tools
-- The no-match traveller shows a passport; the officer verifies the live
-- photo 1:1 against that person and resolves the event: it now counts as
-- the traveller's departure.
SELECT v.*
  FROM gate_result r, person p,
       LATERAL bx_verify((SELECT x.probe_template FROM exit_event x WHERE x.exit_event_id = r.exit_event_id),
                         p.person_id) v
 WHERE r.probe LIKE 'ORL30%' AND p.fin = 'ORL0030';
SELECT bx_resolve_exit(r.exit_event_id, p.person_id, 'passport checked at the gate')
  FROM gate_result r, person p
 WHERE r.probe LIKE 'ORL30%' AND p.fin = 'ORL0030';
SELECT d.evidence_level, count(*) AS departures FROM departure d GROUP BY 1 ORDER BY 1;

-- 1:N across every enrollment, served by a bxann index the DBA creates
-- once the gallery is loaded: templates of several models may share the
-- table, so the index covers one model, at its dimensions.  The impostor
-- has no candidate above the identification threshold.
CREATE INDEX enrollment_template_ann ON enrollment
 USING bxann ((template::face_embedding(128)) face_embedding_cosine_ops)
 WHERE model = 'mobilefacenet-v1';
SELECT lists, m, live_elements FROM bxann_index_info('enrollment_template_ann');
SELECT r.probe, i.rank, p.family_name, round(i.score::numeric, 3) AS score, i.above_threshold
  FROM gate_result r
  JOIN exit_event x USING (exit_event_id),
       LATERAL bx_identify(x.probe_template, 3) i
  JOIN person p ON p.person_id = i.person_id
 WHERE r.probe LIKE 'impostor%' OR r.probe LIKE 'ORL1 %'
 ORDER BY r.probe, i.rank;
-- every search is audited
SELECT search, outcome, count(*) FROM search_audit GROUP BY 1, 2 ORDER BY 1, 2;

-- -------------------------------- 4b. the carrier's departure manifest
-- Delta transmits DL 264's APIS departure manifest: ORL 1-5 (photographed
-- at the gate), ORL 6-10 (boarded while the camera was down: no photo),
-- ORL 11 (whose passport the impostor carried: the photo matched nobody)
-- and ORL 12, who has no admission on record.  The others were admitted 30
-- days ago for 90 days.
SELECT now() AS before_manifest \gset
INSERT INTO admission (admission_number, person_id, class_of_admission, port_of_entry, admitted_on, admit_until)
SELECT 'D' || lpad(s::text, 10, '0'), p.person_id, 'B2', 'JFK', current_date - 30, current_date + 60
  FROM generate_series(1, 11) s JOIN person p ON p.fin = 'ORL' || lpad(s::text, 4, '0');
INSERT INTO travel_document (person_id, document_type, document_number, issuing_country)
SELECT person_id, 'passport', 'D' || substr(fin, 4), citizenship
  FROM person WHERE fin BETWEEN 'ORL0001' AND 'ORL0012';
-- what an administrator loads with COPY bxexit.manifest_staging FROM '...csv' (CSV, HEADER)
INSERT INTO manifest_staging (carrier, flight_number, departure_date, departure_airport, arrival_airport,
                              family_name, given_names, date_of_birth, sex, citizenship, document_type,
                              document_number, document_country, seat, boarding_status)
SELECT 'DL', '264', current_date::text, 'JFK', 'CDG', upper(p.family_name), upper(p.given_names),
       p.date_of_birth::text, 'X', p.citizenship, 'P', 'D' || substr(p.fin, 4), p.citizenship,
       (10 + s)::text || 'A', 'boarded'
  FROM generate_series(1, 12) s JOIN person p ON p.fin = 'ORL' || lpad(s::text, 4, '0');
SELECT rows_loaded, rows_rejected, flights_created FROM bx_load_departure_manifests();
SELECT * FROM bx_link_departures() ORDER BY 1;
-- DL 264's departures by evidence: biometric (photo matched), officer
-- (resolved), biographic (on the manifest only)
SELECT d.evidence_level, count(*) AS departures
  FROM departure d JOIN flight f USING (flight_id) WHERE f.carrier = 'DL' GROUP BY 1 ORDER BY 1;
-- the admissions the day's departures end, with the manifest and from the
-- gate alone (what was known before it was loaded)
SELECT 'with the manifest' AS evidence, count(*) FILTER (WHERE departed_on = current_date) AS ended_today
  FROM bx_admission_status(current_date)
UNION ALL
SELECT 'gate only', count(*) FILTER (WHERE departed_on = current_date)
  FROM bx_admission_status(current_date, :'before_manifest');
-- integrity leads: passengers the gate did not confirm on a flight where a
-- photo matched nobody (the impostor flew as one of them), departures
-- without an admission, gate matches the carrier does not list
SELECT family_name, citizenship, no_matches, matches_of_others FROM lead_boarded_not_confirmed ORDER BY 1;
SELECT family_name, citizenship, departed_on, evidence_level FROM lead_departure_without_admission ORDER BY 1;
SELECT count(*) AS gate_matches_not_on_manifest FROM lead_gate_match_not_on_manifest;

-- -------------------------------------- 5. admissions and overstay report
-- 30,000 synthetic I-94 admissions over three years, with the departures
-- CBP would have recorded.  Historical departures are loaded directly into
-- exit_event (as an import of past records would be; recorded_by says so);
-- new ones only come from bx_match.
CREATE TEMP TABLE country (code text, vwp boolean, overstay_bias float8);
INSERT INTO country VALUES
	('FRA', true, 0.5), ('DEU', true, 0.4), ('GBR', true, 0.4), ('JPN', true, 0.2),
	('ESP', true, 0.9), ('ITA', true, 0.7), ('IND', false, 1.6), ('CHN', false, 1.2),
	('BRA', false, 1.8), ('MEX', false, 1.5), ('NGA', false, 3.5), ('COL', false, 2.4),
	('PHL', false, 1.9), ('VEN', false, 6.0), ('CAN', false, 0.8);
CREATE TEMP TABLE traveller AS
SELECT n, c.code, c.vwp, c.overstay_bias, random() AS r_class, random() AS r_fate,
       random() AS r_day, random() AS r_len, random() AS r_leave
  FROM generate_series(1, 30000) n,
       LATERAL (SELECT * FROM country ORDER BY random() + n * 0 LIMIT 1) c;
INSERT INTO person (fin, family_name, given_names, citizenship)
SELECT 'SYN' || lpad(n::text, 6, '0'), 'Visitor-' || n, 'Synthetic', code FROM traveller;
CREATE TEMP TABLE synthetic_admission AS
SELECT t.*, p.person_id,
       CASE WHEN t.vwp THEN (CASE WHEN t.r_class < 0.8 THEN 'WT' ELSE 'WB' END)
            WHEN t.r_class < 0.62 THEN 'B1B2' WHEN t.r_class < 0.75 THEN 'F1'
            WHEN t.r_class < 0.80 THEN 'M1' WHEN t.r_class < 0.88 THEN 'J1'
            WHEN t.r_class < 0.97 THEN 'H1B' ELSE 'A1' END AS class,
       current_date - 1100 + (t.r_day * 1000)::int AS admitted_on
  FROM traveller t JOIN person p ON p.fin = 'SYN' || lpad(t.n::text, 6, '0');
ALTER TABLE synthetic_admission ADD COLUMN expected date, ADD COLUMN ds boolean;
UPDATE synthetic_admission SET
	ds = class IN ('F1', 'M1', 'J1'),
	expected = admitted_on + CASE class WHEN 'WT' THEN 90 WHEN 'WB' THEN 90 WHEN 'B1B2' THEN 180
	                                    WHEN 'H1B' THEN 365 WHEN 'A1' THEN 730
	                                    ELSE 120 + (r_len * 500)::int END;
INSERT INTO admission (admission_number, person_id, class_of_admission, port_of_entry, mode,
                       admitted_on, admit_until, duration_of_status, program_end_date)
SELECT lpad((10000000000 + n * 7919)::text, 11, '0'), person_id, class,
       (ARRAY['JFK', 'LAX', 'MIA', 'ORD', 'SFO', 'IAD'])[1 + n % 6],
       CASE WHEN n % 25 = 0 THEN 'sea' ELSE 'air' END,
       admitted_on,
       CASE WHEN ds THEN NULL ELSE expected END, ds,
       CASE WHEN ds THEN expected - CASE class WHEN 'F1' THEN 60 ELSE 30 END END
  FROM synthetic_admission;
-- one flight a day carries the historical departures
INSERT INTO flight (carrier, flight_number, departure_airport, arrival_airport, departure_date)
SELECT 'BX', '900', 'JFK', 'LHR', d::date
  FROM generate_series(current_date - 1100, current_date - 1, interval '1 day') d;
-- fate: most leave in time; overstay odds scale with the country's bias
INSERT INTO exit_event (occurred_at, requested_flight_id, flight_id, decision, person_id, score,
                        threshold, model, gallery_size, recorded_by, probe_source)
SELECT f.departure_date + time '20:00', f.flight_id, f.flight_id, 'match', a.person_id, 0.8,
       bx_threshold('mobilefacenet-v1', 'identification'), 'mobilefacenet-v1', 300, 'historical_import',
       'unknown'
  FROM (SELECT s.*, s.expected
                    + CASE WHEN s.r_fate < 0.012 * s.overstay_bias THEN NULL          -- stays: suspected in-country
                           WHEN s.r_fate < 0.020 * s.overstay_bias THEN 1 + (s.r_len * 120)::int  -- leaves late
                           ELSE -((s.expected - s.admitted_on) * s.r_leave)::int   -- leaves in time
                      END AS departed_on
          FROM synthetic_admission s) a
  JOIN flight f ON f.carrier = 'BX' AND f.departure_date = a.departed_on
 WHERE a.departed_on IS NOT NULL AND a.departed_on < current_date;

SELECT status, count(*) FROM admission_status GROUP BY status ORDER BY status;

-- The DHS Entry/Exit Overstay Report of the last complete fiscal year
-- (October 1 to September 30), as of today: the 12 rows with the most
-- expected departures, then totals per class group.
SELECT extract(year FROM current_date + interval '3 months')::int - 1 AS fiscal_year \gset
SELECT * FROM bx_overstay_report(:fiscal_year)
 ORDER BY expected_departures DESC, country_of_citizenship, class_group LIMIT 12;
SELECT class_group, sum(expected_departures) AS expected, sum(in_time_departures) AS in_time,
       sum(out_of_country_overstays) AS out_of_country, sum(suspected_in_country_overstays) AS in_country,
       round(100.0 * sum(total_overstays) / sum(expected_departures), 2) AS total_rate,
       round(100.0 * sum(suspected_in_country_overstays) / sum(expected_departures), 2) AS in_country_rate
  FROM bx_overstay_report(:fiscal_year) GROUP BY class_group ORDER BY class_group;
-- the report's first page (DHS's summary groups), with the never-due D/S admissions
SELECT report_group, expected_departures, total_overstays, total_overstay_rate,
       suspected_in_country_rate, never_due
  FROM bx_overstay_summary(:fiscal_year);

-- ---------------------------------------------------------------- 6. roles
-- A gate system logs in with a role that is a member of bxexit_gate: it can
-- call bx_match and nothing else.  An analyst reads reports, not faces.
CREATE ROLE demo_gate LOGIN IN ROLE bxexit_gate;
CREATE ROLE demo_analyst LOGIN IN ROLE bxexit_analyst;
SET ROLE demo_gate;
SELECT decision, reason FROM bx_match(NULL::bytea, 1);
\set ON_ERROR_STOP off
SELECT count(*) FROM enrollment;
SELECT count(*) FROM person;
RESET ROLE;
SET ROLE demo_analyst;
SELECT count(*) AS overstays FROM admission_status WHERE status LIKE '%overstay';
SELECT probe_photo FROM exit_event LIMIT 1;
SELECT template FROM enrollment LIMIT 1;
\set ON_ERROR_STOP on
RESET ROLE;

-- US citizens' gate photos are cleared after bxexit.citizen_photo_retention
-- (12 hours by default); run bx_apply_retention() from cron.  Nothing in
-- this demo is that old yet.
SHOW bxexit.citizen_photo_retention;
SELECT * FROM bx_apply_retention();
DROP ROLE demo_gate;
DROP ROLE demo_analyst;
