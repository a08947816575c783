-- departure manifests (APIS): loading with reasons for every refused row,
-- name keys, tiered biographic linking, ambiguity refused, corrections
SET search_path = public, bxexit;
TRUNCATE departure_link, departure_manifest, manifest_rejected, manifest_staging, search_audit,
	exit_event, manifest, flight, admission, enrollment, travel_document, person RESTART IDENTITY;

\i sql/include/try.sql

-- name keys: case, diacritics, special letters, spacing, hyphens, apostrophes
SELECT n, bx_normalize_name(n) AS name_key
  FROM unnest(ARRAY['Jürgen', 'JUERGEN', '  o''Brien-Smith ', 'd’Arcy', 'José  María', 'Øre Ærø',
                    'Straße', 'Łukasz', 'Nguyễn Văn Anh', 'İsmail Şahin', 'Al-Hassan  bin  Omar',
                    'ﬁlip', 'Иван', '--- ''', '']) n;
SELECT bx_name_key('Müller-Lüdenscheidt', 'Hans  Jürgen') AS family_first,
       bx_name_key(NULL, 'Ada') AS no_family, bx_name_key('Okafor', NULL) AS no_given;
-- restricted Damerau-Levenshtein: a transposition costs one
SELECT bx_name_distance('MOHAMMED', 'MUHAMMAD') AS translit, bx_name_distance('JURGEN', 'JUERGEN') AS ue,
       bx_name_distance('OKAFOR', 'OKFAOR') AS transposed, bx_name_distance('', 'ABC') AS empty,
       round(bx_name_similarity('MOHAMMED KHAN', 'MUHAMMAD KHAN')::numeric, 3) AS similarity,
       bx_name_similarity('', '') AS both_empty;
\set VERBOSITY terse
SELECT pg_temp.try($$SELECT bx_name_distance(repeat('A', 513), 'A')$$);
\set VERBOSITY default
SELECT bx_parse_date(t) FROM unnest(ARRAY['2024-02-29', '2023-02-29', '2024-04-31', '0000-01-01',
                                          '24-01-01', '2024-1-1', 'yesterday']) t;

-- people on record
INSERT INTO person (fin, family_name, given_names, date_of_birth, sex, citizenship)
VALUES ('DEP0001', 'Okafor', 'Ada', '1990-04-01', 'F', 'NGA'),          -- 1: by document
       ('DEP0002', 'Müller', 'Jürgen', '1975-06-15', 'M', 'DEU'),       -- 2: by name and birth date
       ('DEP0003', 'Khan', 'Mohammed', '1988-02-02', 'M', 'PAK'),       -- 3: fuzzy (Muhammad)
       ('DEP0004', 'Lindqvist', 'Erik', '1985-11-30', 'M', 'SWE'),      -- 4: fuzzy, names swapped
       ('DEP0005', 'Rossi', 'Marco', '1970-01-01', 'M', 'ITA'),         -- 5 and 6: too close to call
       ('DEP0006', 'Rosso', 'Marco', '1970-01-01', 'M', 'ITA'),
       ('DEP0007', 'Dubois', 'Claire', '1992-03-03', 'F', 'FRA'),       -- 7: a mistyped document
       ('DEP0008', 'Tanaka', 'Yuki', '2000-12-12', 'F', 'FRA');         -- 8: holds that document
INSERT INTO travel_document (person_id, document_type, document_number, issuing_country)
VALUES (1, 'passport', 'A1234567', 'NGA'),
       (7, 'passport', '19FR12345', 'FRA'),
       (8, 'passport', '19FR12346', 'FRA');
-- an index serves each tier
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT person_id FROM travel_document WHERE document_number = 'A1' AND issuing_country = 'NGA';
EXPLAIN (COSTS OFF) SELECT person_id FROM person
 WHERE date_of_birth = '1990-04-01' AND bx_name_key(family_name, given_names) = 'OKAFOR ADA';
EXPLAIN (COSTS OFF) SELECT person_id FROM person WHERE date_of_birth = '1990-04-01' AND citizenship = 'NGA';
RESET enable_seqscan;

-- a day's manifests, as an administrator stages them (COPY ... CSV HEADER)
COPY manifest_staging FROM STDIN WITH (FORMAT csv, HEADER true);
carrier,flight_number,departure_date,departure_airport,arrival_airport,family_name,given_names,date_of_birth,sex,citizenship,document_type,document_number,document_country,seat,boarding_status
LH,401,2024-08-25,JFK,FRA,OKAFOR,ADA,1990-04-01,F,NGA,P,A1234567,NGA,12A,boarded
lh, 401 ,2024-08-25,,,Mueller,Juergen,1975-06-15,M,DEU,P,C01X00T47,DEU,12B,
LH,401,2024-08-25,,,Müller,Jürgen,1975-06-15,M,DEU,P,,,,
LH,401,2024-08-25,,,KHAN,MUHAMMAD,1988-02-02,M,PAK,P,AB9999999,PAK,14C,
LH,401,2024-08-25,,,ERIK,LINDQVIST,1985-11-30,M,SWE,P,,,15D,
LH,401,2024-08-25,,,ROSSA,MARCO,1970-01-01,M,ITA,P,YA0000001,ITA,16E,
LH,401,2024-08-25,,,DUBOIS,CLAIRE,1992-03-03,F,FRA,P,19FR12346,FRA,17F,
LH,401,2024-08-25,,,Doe,Jane,1999-09-09,F,CAN,P,CA123,CAN,18A,not_boarded
LH,401,2024-08-25,,,okafor,ada,1990-04-01,F,NGA,P,A1234567,NGA,12A,
SK,944,2024-08-26,ORD,ARN,Lindqvist,Erik,1985-11-30,M,SWE,P,SE1234567,SWE,3A,
SK,944,2024-08-26,,,LINDQVIST,ERIK,1985-11-30,M,SWE,P,,,3B,
,401,2024-08-25,,,Nobody,Ann,1980-01-01,F,USA,,,,,
LH,40X1,2024-13-01,JFK,FRANKFURT,,Ann,1980-02-30,Q,US,PASSPORT,A-1,,999ZZ,maybe
LH,401,2024-08-25,,,O'Neil,Ann,2025-01-01,F,IRL,P,,IRL,,
LH,401,2024-08-25,,,O'Neil,Ann,1980-01-01,F,IRL,P,X1,,,
BA,117,2024-08-25,,,Smith,John,1970-01-01,M,GBR,P,,,,
LH,401,2024-08-25,,,'-- ,Ann,1980-01-01,F,IRL,,,,,
LH,401,2024-08-25,,,Smith,John,infinity,M,GBR,,,,,
\.
SELECT count(*) AS staged FROM manifest_staging;

\set VERBOSITY terse
SELECT pg_temp.try($$SELECT bx_load_departure_manifests(0)$$);
\set VERBOSITY default
-- a batch of two rows first, then the rest
SELECT * FROM bx_load_departure_manifests(2);
SELECT * FROM bx_load_departure_manifests();
SELECT flight_id, carrier, flight_number, departure_airport, arrival_airport, departure_date
  FROM flight ORDER BY flight_id;
SELECT departure_manifest_id, flight_id, family_name, given_names, date_of_birth, citizenship,
       document_type, document_number, document_country, seat, boarding_status, name_key
  FROM departure_manifest ORDER BY departure_manifest_id;
-- knowledge time and the loading login
SELECT count(*) AS rows,
       bool_and(loaded_at <= now() + interval '1 minute' AND loaded_at > now() - interval '1 hour') AS loaded_at_set,
       bool_and(loaded_by = session_user) AS loaded_by_me
  FROM departure_manifest;
-- each refused row, with every reason; nothing is dropped silently
SELECT line, family_name, reason FROM manifest_rejected ORDER BY rejected_id;
SELECT (SELECT count(*) FROM departure_manifest) + (SELECT count(*) FROM manifest_rejected) AS accounted,
       (SELECT count(*) FROM manifest_staging) AS still_staged;

-- linking, tier by tier
SELECT * FROM bx_link_departures();
SELECT m.departure_manifest_id AS row, m.family_name, m.given_names, v.person_id, v.tier,
       round(v.score::numeric, 3) AS score, round(l.runner_up_score::numeric, 3) AS runner_up
  FROM departure_manifest m JOIN departure_manifest_link v USING (departure_manifest_id)
  LEFT JOIN departure_link l USING (link_id)
 ORDER BY 1;
SELECT count(*) AS links, bool_and(linked_by = session_user) AS linked_by_me,
       bool_and(linked_at IS NOT NULL AND superseded_at IS NULL) AS current
  FROM departure_link;
-- the ambiguous Rossa: both candidates, for the officer
SELECT person_id, tier, round(score::numeric, 3) AS score FROM bx_departure_candidates(6);
-- Dubois's mistyped document belongs to person 8, whose birth date differs: no document candidate
SELECT person_id, tier, round(score::numeric, 3) AS score FROM bx_departure_candidates(7);
-- a stricter margin refuses nothing new here, a second run links nothing again
SELECT * FROM bx_link_departures(0.8, 0.3);
\set VERBOSITY terse
SELECT pg_temp.try($$SELECT bx_link_departures(0, 0.1)$$);
SELECT pg_temp.try($$SELECT bx_link_departures(0.8, NULL)$$);
\set VERBOSITY default

-- an officer resolves the ambiguous row, corrects a fuzzy link (the traveller is nobody
-- on record) and confirms an exact one; the history stays
SELECT bx_resolve_departure(6, 5, 'passport checked at the gate: Rossi') AS link;
SELECT bx_resolve_departure(4, NULL, 'not Mohammed Khan: a different traveller, documents checked') AS link;
SELECT bx_resolve_departure(3, 2, 'confirmed from the boarding pass scan') AS link;
\set VERBOSITY terse
SELECT pg_temp.try($$SELECT bx_resolve_departure(4, 3, '  ')$$);
SELECT pg_temp.try($$SELECT bx_resolve_departure(999, 4, 'no such row')$$);
SELECT pg_temp.try($$SELECT bx_resolve_departure(4, 999, 'no such person')$$);
\set VERBOSITY default
SELECT link_id, departure_manifest_id AS row, person_id, tier, note,
       superseded_at IS NOT NULL AS superseded, superseded_at >= linked_at AS after_link
  FROM departure_link WHERE departure_manifest_id IN (3, 4, 6) ORDER BY link_id;
SELECT departure_manifest_id, person_id, tier FROM departure_manifest_link
 WHERE departure_manifest_id IN (3, 4, 6) ORDER BY 1;
-- at most one current link per row
\set VERBOSITY terse
SELECT pg_temp.try($$INSERT INTO departure_link (departure_manifest_id, person_id, tier, score) VALUES (1, 1, 'document', 1)$$);
SELECT pg_temp.try($$INSERT INTO departure_link (departure_manifest_id, person_id, tier) VALUES (1, NULL, 'fuzzy')$$);
SELECT pg_temp.try($$INSERT INTO departure_link (departure_manifest_id, person_id, tier) VALUES (1, NULL, 'officer')$$);
\set VERBOSITY default
-- the officer's "nobody" is not linked again
SELECT * FROM bx_link_departures();

TRUNCATE departure_link, departure_manifest, manifest_rejected, manifest_staging, search_audit,
	exit_event, manifest, flight, admission, enrollment, travel_document, person RESTART IDENTITY;
