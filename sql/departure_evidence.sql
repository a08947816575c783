-- departures on all evidence (gate photo, officer, carrier manifest), the
-- overstay report with and without the manifests, knowledge time of links,
-- and the integrity leads
SET search_path = public, bxexit;
SET bxexit.gate_departure_window = 36500;	-- the flights of this file left in 2024
TRUNCATE departure_link, departure_manifest, manifest_rejected, manifest_staging, search_audit,
	exit_event, manifest, flight, admission, enrollment, travel_document, person RESTART IDENTITY;
\i sql/include/template.sql

-- five travellers admitted in 2024, due to leave by 2024-06-30; one more
-- person on record without any admission
INSERT INTO person (family_name, given_names, date_of_birth, citizenship)
VALUES ('Photo', 'Pia', '1980-01-01', 'GBR'),     -- 1: photographed at the gate and on the manifest
       ('Paper', 'Paul', '1981-02-02', 'GBR'),    -- 2: on the manifest only (no photo taken)
       ('Holder', 'Hana', '1982-03-03', 'JPN'),   -- 3: on the manifest; someone else used her passport
       ('Stayer', 'Sam', '1983-04-04', 'BRA'),    -- 4: never left
       ('Ghost', 'Gus', '1984-05-05', 'RUS'),     -- 5: leaves, but no admission on record
       ('Other', 'Olga', '1985-06-06', 'UKR');    -- 6: matched at the gate, not on the manifest
INSERT INTO travel_document (person_id, document_type, document_number, issuing_country)
SELECT person_id, 'passport', 'P' || person_id || '000', citizenship FROM person;
INSERT INTO enrollment (person_id, source, captured_at, template)
SELECT person_id, 'visa', '2023-01-01', pg_temp.v(person_id::int) FROM person;
INSERT INTO admission (admission_number, person_id, class_of_admission, port_of_entry, admitted_on, admit_until)
SELECT 'E000000000' || person_id, person_id, 'B2', 'JFK', '2024-04-01', '2024-06-30'
  FROM person WHERE person_id <= 4 OR person_id = 6;
INSERT INTO flight (carrier, flight_number, departure_airport, arrival_airport, departure_date)
VALUES ('BA', '178', 'JFK', 'LHR', '2024-06-20');
INSERT INTO manifest (flight_id, person_id) SELECT 1, person_id FROM person;

-- at the gate (photos, as a camera sends; set here on the decisions): Pia
-- matches; a stranger holding Hana's passport matches nobody; Olga, who is
-- not on the carrier's manifest, matches
CREATE TEMP TABLE gate AS
SELECT 'Pia' AS who, m.* FROM bx_match(pg_temp.v(1, 100, 0.95), 1) m
UNION ALL SELECT 'stranger', m.* FROM bx_match(pg_temp.v(99, 100, 0.9), 1) m
UNION ALL SELECT 'Olga', m.* FROM bx_match(pg_temp.v(6, 100, 0.95), 1) m;
UPDATE exit_event SET probe_source = 'photo', occurred_at = '2024-06-20 18:00+00';
SELECT who, decision, reason FROM gate ORDER BY who;

-- the carrier's departure manifest, loaded the next morning
COPY manifest_staging FROM STDIN WITH (FORMAT csv, HEADER true);
carrier,flight_number,departure_date,departure_airport,arrival_airport,family_name,given_names,date_of_birth,sex,citizenship,document_type,document_number,document_country,seat,boarding_status
BA,178,2024-06-20,JFK,LHR,PHOTO,PIA,1980-01-01,F,GBR,P,P1000,GBR,1A,boarded
BA,178,2024-06-20,JFK,LHR,PAPER,PAUL,1981-02-02,M,GBR,P,P2000,GBR,1B,boarded
BA,178,2024-06-20,JFK,LHR,HOLDER,HANA,1982-03-03,F,JPN,P,P3000,JPN,1C,boarded
BA,178,2024-06-20,JFK,LHR,GHOST,GUS,1984-05-05,M,RUS,P,P5000,RUS,1D,boarded
BA,178,2024-06-20,JFK,LHR,NOBODY,NINA,1990-09-09,F,CHN,P,X9999,CHN,1E,boarded
\.
SELECT rows_loaded, rows_rejected FROM bx_load_departure_manifests();
SELECT * FROM bx_link_departures() ORDER BY 1;
UPDATE departure_manifest SET loaded_at = '2024-06-21 08:00+00';
UPDATE departure_link SET linked_at = '2024-06-21 08:05+00';

-- one departure per person and flight, at its strongest evidence: Pia's
-- photo match and manifest row are one biometric departure
SELECT p.family_name, d.evidence_level, d.known_at, d.exit_event_id IS NOT NULL AS gate_event,
       d.departure_manifest_id IS NOT NULL AS manifest_row
  FROM departure d JOIN person p USING (person_id) ORDER BY p.person_id;

-- the report with the manifests (biographic departures count) and as it
-- would be from the gate alone (known before the manifest was loaded)
SELECT 'with manifests' AS departures, sum(expected_departures) AS expected,
       sum(in_time_departures) AS in_time, sum(suspected_in_country_overstays) AS sico,
       sum(biometric_departures) AS biometric
  FROM bx_overstay_report(2024, '2024-12-31')
UNION ALL
SELECT 'gate only', sum(expected_departures), sum(in_time_departures),
       sum(suspected_in_country_overstays), sum(biometric_departures)
  FROM bx_overstay_report(2024, '2024-12-31', '2024-06-21 00:00+00');
SELECT s.admission_number, p.family_name, s.departed_on, s.evidence_level, s.status
  FROM bx_admission_status('2024-12-31') s JOIN person p USING (person_id) ORDER BY 1;

-- an officer corrects a link later: the past report does not move
CREATE TEMP TABLE report_before AS SELECT * FROM bx_overstay_report(2024, '2024-12-31');
SELECT bx_resolve_departure(m.departure_manifest_id, 4, 'passport swap found by the airline')
  FROM departure_manifest m WHERE m.family_name = 'PAPER';
SELECT count(*) AS rows_that_differ
  FROM (SELECT * FROM report_before EXCEPT SELECT * FROM bx_overstay_report(2024, '2024-12-31')) x;
SELECT p.family_name, d.evidence_level FROM departure d JOIN person p USING (person_id)
 WHERE p.family_name IN ('Paper', 'Stayer') ORDER BY 1;

-- the leads, each with the rows behind it
-- a stranger used Hana's passport: the flight had a photo that matched
-- nobody and a match of someone not listed, so its boarded passengers the
-- gate did not confirm are leads (the gate cannot tell which of them stood
-- at the camera): Hana among them
SELECT family_name, given_names, citizenship, no_matches, matches_of_others,
       cardinality(exit_event_ids) AS decisions
  FROM lead_boarded_not_confirmed ORDER BY family_name;
-- Olga matched at the gate but the carrier does not list her
SELECT l.exit_event_id, p.family_name, l.probe_source
  FROM lead_gate_match_not_on_manifest l JOIN person p USING (person_id);
-- Gus left with no admission on record; a passenger nobody on record
SELECT family_name, citizenship, departed_on, evidence_level
  FROM lead_departure_without_admission ORDER BY family_name;

-- who may read the leads
SELECT r, has_table_privilege(r, 'bxexit.lead_boarded_not_confirmed', 'SELECT') AS boarded,
       has_table_privilege(r, 'bxexit.lead_departure_without_admission', 'SELECT') AS no_admission
  FROM unnest(ARRAY['bxexit_gate', 'bxexit_analyst', 'bxexit_admin']) r;

TRUNCATE departure_link, departure_manifest, manifest_rejected, manifest_staging, search_audit,
	exit_event, manifest, flight, admission, enrollment, travel_document, person RESTART IDENTITY;
