-- border records: the tables accept good rows and refuse bad ones
SET search_path = public, bxexit;
TRUNCATE departure_link, departure_manifest, search_audit, exit_event, manifest, flight, admission, enrollment,
	travel_document, person RESTART IDENTITY;

\i sql/include/try.sql

-- good rows
INSERT INTO person (fin, family_name, given_names, date_of_birth, sex, citizenship, country_of_birth)
VALUES ('FIN000001', 'Okafor', 'Ada', '1990-04-01', 'F', 'NGA', 'NGA'),
       ('FIN000002', 'Lindqvist', 'Erik', '1985-11-30', 'M', 'SWE', 'SWE'),
       (NULL, 'Smith', 'John', '1970-01-01', 'M', 'USA', 'USA');
SELECT person_id, fin, family_name, citizenship FROM person ORDER BY person_id;
INSERT INTO travel_document (person_id, document_type, document_number, issuing_country, visa_class, issued_on, expires_on)
VALUES (1, 'passport', 'A1234567', 'NGA', NULL, '2020-01-01', '2030-01-01'),
       (1, 'visa', 'V99887766', 'USA', 'F1', '2023-06-01', '2028-05-31'),
       (2, 'passport', 'SE1234567', 'SWE', NULL, '2019-03-01', '2029-03-01'),
       (3, 'passport', '512345678', 'USA', NULL, '2021-07-01', '2031-06-30');
INSERT INTO enrollment (person_id, source, captured_at, template, quality)
VALUES (1, 'visa', '2023-06-01 10:00+00', 'mobilefacenet-v1:[1,0,0,0]', 0.98),
       (1, 'entry', '2023-08-20 15:30+00', 'mobilefacenet-v1:[0.8,0.6,0,0]', 0.91),
       (2, 'passport', '2019-03-01 09:00+00', 'mobilefacenet-v1:[0,1,0,0]', NULL);
-- the model column is generated from the template's tag
SELECT enrollment_id, person_id, model, bx_dims(template) AS dims FROM enrollment ORDER BY enrollment_id;
INSERT INTO admission (admission_number, person_id, class_of_admission, port_of_entry, mode,
                       admitted_on, admit_until, duration_of_status, program_end_date, status_changed_on)
VALUES ('12345678901', 1, 'F1', 'JFK', 'air', '2023-08-20', NULL, true, '2027-05-31', NULL),
       ('2345678901A', 2, 'WT', 'ORD', 'air', '2024-06-01', '2024-08-29', false, NULL, NULL),
       ('34567890123', 2, 'B2', 'SEA', 'sea', '2025-01-10', '2025-07-09', false, NULL, '2025-03-01'),
       -- D/S with the programme end not known yet
       ('45678901234', 1, 'J1', 'BOS', 'air', '2019-09-01', NULL, true, NULL, NULL);
SELECT admission_number, person_id, class_of_admission, mode, admit_until, duration_of_status, program_end_date
  FROM admission ORDER BY admission_number;
INSERT INTO flight (carrier, flight_number, departure_airport, arrival_airport, departure_date)
VALUES ('LH', '401', 'JFK', 'FRA', '2024-08-25'),
       ('SK', '944', 'ORD', 'ARN', '2024-08-26');
INSERT INTO manifest (flight_id, person_id, document_id) VALUES (1, 1, 1), (1, 3, 4), (2, 2, 3), (2, 1, NULL);
SELECT flight_id, person_id, document_id FROM manifest ORDER BY flight_id, person_id;
-- a class of admission a DBA adds
INSERT INTO class_of_admission (code, class_group, description, report_scope)
VALUES ('TD', 'OTHER', 'spouse or child of a TN professional', true);
SELECT code, class_group, report_scope, ds_grace_days, builtin FROM class_of_admission WHERE code = 'TD';
-- the grace periods after a duration-of-status programme (F 60 days, M and J 30)
SELECT code, ds_grace_days FROM class_of_admission WHERE ds_grace_days > 0 ORDER BY code;

-- persons: country codes are ISO 3166-1 alpha-3
SELECT pg_temp.try($$INSERT INTO person (family_name, citizenship) VALUES ('Doe', 'US')$$);
SELECT pg_temp.try($$INSERT INTO person (family_name, citizenship) VALUES ('Doe', 'usa')$$);
SELECT pg_temp.try($$INSERT INTO person (family_name, citizenship, country_of_birth) VALUES ('Doe', 'USA', 'U.S.')$$);
SELECT pg_temp.try($$INSERT INTO person (family_name, citizenship) VALUES ('Doe', NULL)$$);
SELECT pg_temp.try($$INSERT INTO person (family_name, citizenship, sex) VALUES ('Doe', 'USA', 'male')$$);
SELECT pg_temp.try($$INSERT INTO person (fin, family_name, citizenship) VALUES ('FIN000001', 'Doe', 'USA')$$);
SELECT pg_temp.try($$INSERT INTO person (fin, family_name, citizenship) VALUES ('fin-1', 'Doe', 'USA')$$);
SELECT pg_temp.try($$INSERT INTO person (person_id, family_name, citizenship) VALUES (42, 'Doe', 'USA')$$);

-- travel documents
SELECT pg_temp.try($$INSERT INTO travel_document (person_id, document_type, document_number, issuing_country)
                     VALUES (2, 'passport', 'SE1234567', 'SWE')$$);
SELECT pg_temp.try($$INSERT INTO travel_document (person_id, document_type, document_number, issuing_country)
                     VALUES (2, 'passport', 'X1', 'SE')$$);
SELECT pg_temp.try($$INSERT INTO travel_document (person_id, document_type, document_number, issuing_country)
                     VALUES (2, 'passport', 'se 123', 'SWE')$$);
SELECT pg_temp.try($$INSERT INTO travel_document (person_id, document_type, document_number, issuing_country)
                     VALUES (2, 'library_card', 'X1', 'SWE')$$);
SELECT pg_temp.try($$INSERT INTO travel_document (person_id, document_type, document_number, issuing_country, issued_on, expires_on)
                     VALUES (2, 'passport', 'X2', 'SWE', '2020-01-01', '2019-01-01')$$);
SELECT pg_temp.try($$INSERT INTO travel_document (person_id, document_type, document_number, issuing_country)
                     VALUES (99, 'passport', 'X3', 'SWE')$$);
-- the same number from another country, or as another document type, is another document
SELECT pg_temp.try($$INSERT INTO travel_document (person_id, document_type, document_number, issuing_country)
                     VALUES (2, 'passport', 'SE1234567', 'FIN')$$);

-- enrollments: the template must carry its model; source and quality are checked
SELECT pg_temp.try($$INSERT INTO enrollment (person_id, source, captured_at, template)
                     VALUES (2, 'passport', '2020-01-01', '[0,0,1,0]')$$);
SELECT pg_temp.try($$INSERT INTO enrollment (person_id, source, captured_at, template)
                     VALUES (2, 'passport', '2020-01-01', NULL)$$);
SELECT pg_temp.try($$INSERT INTO enrollment (person_id, source, captured_at, template)
                     VALUES (2, 'selfie', '2020-01-01', 'mobilefacenet-v1:[0,0,1,0]')$$);
SELECT pg_temp.try($$INSERT INTO enrollment (person_id, source, captured_at, template, quality)
                     VALUES (2, 'passport', '2020-01-01', 'mobilefacenet-v1:[0,0,1,0]', 1.5)$$);
SELECT pg_temp.try($$INSERT INTO enrollment (person_id, source, captured_at, template)
                     VALUES (2, 'passport', NULL, 'mobilefacenet-v1:[0,0,1,0]')$$);
SELECT pg_temp.try($$INSERT INTO enrollment (person_id, source, captured_at, template, model)
                     VALUES (2, 'passport', '2020-01-01', '[0,0,1,0]', 'mobilefacenet-v1')$$);
SELECT pg_temp.try($$INSERT INTO enrollment (person_id, source, captured_at, template)
                     VALUES (99, 'passport', '2020-01-01', 'mobilefacenet-v1:[0,0,1,0]')$$);
-- retagging an enrolled template to no model is refused too
SELECT pg_temp.try($$UPDATE enrollment SET template = bx_set_model(template, '') WHERE enrollment_id = 3$$);

-- admissions (I-94)
-- the admission number has 11 digits or capital letters
SELECT pg_temp.try($$INSERT INTO admission (admission_number, person_id, class_of_admission, port_of_entry, admitted_on, admit_until)
                     VALUES ('1234567890', 2, 'WT', 'JFK', '2024-01-01', '2024-03-30')$$);
SELECT pg_temp.try($$INSERT INTO admission (admission_number, person_id, class_of_admission, port_of_entry, admitted_on, admit_until)
                     VALUES ('123456789012', 2, 'WT', 'JFK', '2024-01-01', '2024-03-30')$$);
SELECT pg_temp.try($$INSERT INTO admission (admission_number, person_id, class_of_admission, port_of_entry, admitted_on, admit_until)
                     VALUES ('1234567890a', 2, 'WT', 'JFK', '2024-01-01', '2024-03-30')$$);
SELECT pg_temp.try($$INSERT INTO admission (admission_number, person_id, class_of_admission, port_of_entry, admitted_on, admit_until)
                     VALUES ('12345678901', 2, 'WT', 'JFK', '2024-01-01', '2024-03-30')$$);
-- admit-until before the admission
SELECT pg_temp.try($$INSERT INTO admission (admission_number, person_id, class_of_admission, port_of_entry, admitted_on, admit_until)
                     VALUES ('50000000001', 2, 'WT', 'JFK', '2024-01-01', '2023-12-31')$$);
-- admitted and due the same day (a transit) is fine
SELECT pg_temp.try($$INSERT INTO admission (admission_number, person_id, class_of_admission, port_of_entry, admitted_on, admit_until)
                     VALUES ('50000000002', 2, 'C1', 'JFK', '2024-01-01', '2024-01-01')$$);
-- duration of status has no admit-until date; a fixed admission has one
SELECT pg_temp.try($$INSERT INTO admission (admission_number, person_id, class_of_admission, port_of_entry, admitted_on, admit_until, duration_of_status)
                     VALUES ('50000000003', 1, 'F1', 'JFK', '2024-01-01', '2028-01-01', true)$$);
SELECT pg_temp.try($$INSERT INTO admission (admission_number, person_id, class_of_admission, port_of_entry, admitted_on, admit_until, duration_of_status)
                     VALUES ('50000000004', 2, 'B2', 'JFK', '2024-01-01', NULL, false)$$);
-- a programme end date only on a D/S admission, and not before the admission
SELECT pg_temp.try($$INSERT INTO admission (admission_number, person_id, class_of_admission, port_of_entry, admitted_on, admit_until, program_end_date)
                     VALUES ('50000000005', 2, 'B2', 'JFK', '2024-01-01', '2024-06-30', '2024-05-31')$$);
SELECT pg_temp.try($$INSERT INTO admission (admission_number, person_id, class_of_admission, port_of_entry, admitted_on, duration_of_status, program_end_date)
                     VALUES ('50000000006', 1, 'F1', 'JFK', '2024-01-01', true, '2023-12-31')$$);
-- a change of status happens during the admission, not before it
BEGIN;
SELECT pg_temp.try($$INSERT INTO admission (admission_number, person_id, class_of_admission, port_of_entry, admitted_on, admit_until, status_changed_on)
                     VALUES ('50000000012', 2, 'B2', 'JFK', '2024-01-01', '2024-06-30', '2023-12-31')$$);
ROLLBACK;
-- unknown class of admission, port, mode, person
SELECT pg_temp.try($$INSERT INTO admission (admission_number, person_id, class_of_admission, port_of_entry, admitted_on, admit_until)
                     VALUES ('50000000007', 2, 'Z9', 'JFK', '2024-01-01', '2024-03-30')$$);
SELECT pg_temp.try($$INSERT INTO admission (admission_number, person_id, class_of_admission, port_of_entry, admitted_on, admit_until)
                     VALUES ('50000000008', 2, 'wt', 'JFK', '2024-01-01', '2024-03-30')$$);
SELECT pg_temp.try($$INSERT INTO admission (admission_number, person_id, class_of_admission, port_of_entry, admitted_on, admit_until)
                     VALUES ('50000000009', 2, 'WT', 'New York', '2024-01-01', '2024-03-30')$$);
SELECT pg_temp.try($$INSERT INTO admission (admission_number, person_id, class_of_admission, port_of_entry, mode, admitted_on, admit_until)
                     VALUES ('50000000010', 2, 'WT', 'JFK', 'rail', '2024-01-01', '2024-03-30')$$);
SELECT pg_temp.try($$INSERT INTO admission (admission_number, person_id, class_of_admission, port_of_entry, admitted_on, admit_until)
                     VALUES ('50000000011', 99, 'WT', 'JFK', '2024-01-01', '2024-03-30')$$);
-- a class of admission in use cannot be removed; bad class rows are refused
SELECT pg_temp.try($$DELETE FROM class_of_admission WHERE code = 'F1'$$);
SELECT pg_temp.try($$INSERT INTO class_of_admission (code, class_group, description, report_scope) VALUES ('Q1', 'CULTURAL', 'x', true)$$);
SELECT pg_temp.try($$INSERT INTO class_of_admission (code, class_group, description, report_scope, ds_grace_days) VALUES ('Q1', 'OTHER', 'x', true, -1)$$);
SELECT pg_temp.try($$INSERT INTO class_of_admission (code, class_group, description, report_scope) VALUES ('q-1', 'OTHER', 'x', true)$$);
SELECT count(*) AS admissions FROM admission;

-- flights and manifests
SELECT pg_temp.try($$INSERT INTO flight (carrier, flight_number, departure_airport, arrival_airport, departure_date)
                     VALUES ('LH', '401', 'JFK', 'MUC', '2024-08-25')$$);
SELECT pg_temp.try($$INSERT INTO flight (carrier, flight_number, departure_airport, arrival_airport, departure_date)
                     VALUES ('LH', '401', 'KJFK', 'FRA', '2024-08-27')$$);
SELECT pg_temp.try($$INSERT INTO flight (carrier, flight_number, departure_airport, arrival_airport, departure_date)
                     VALUES ('LH', 'LH401', 'JFK', 'FRA', '2024-08-27')$$);
SELECT pg_temp.try($$INSERT INTO flight (carrier, flight_number, departure_airport, arrival_airport, departure_date)
                     VALUES ('LH', '401', 'JFK', 'FRA', NULL)$$);
SELECT pg_temp.try($$INSERT INTO manifest (flight_id, person_id) VALUES (1, 1)$$);
SELECT pg_temp.try($$INSERT INTO manifest (flight_id, person_id) VALUES (99, 1)$$);
SELECT pg_temp.try($$INSERT INTO manifest (flight_id, person_id) VALUES (1, 99)$$);
-- the document on a manifest row is the traveller's own
BEGIN;
SELECT pg_temp.try($$INSERT INTO manifest (flight_id, person_id, document_id) VALUES (2, 3, 3)$$);
ROLLBACK;

-- thresholds: cosine similarities, one per model, purpose and start
SELECT pg_temp.try($$INSERT INTO match_threshold (model, purpose, threshold, operating_point, method)
                     VALUES ('mobilefacenet-v1', 'enrollment', 0.5, 'x', 'x')$$);
SELECT pg_temp.try($$INSERT INTO match_threshold (model, purpose, threshold, operating_point, method)
                     VALUES ('mobilefacenet-v1', 'verification', 1.5, 'x', 'x')$$);
SELECT pg_temp.try($$INSERT INTO match_threshold (model, purpose, threshold, operating_point, method, valid_from)
                     VALUES ('mobilefacenet-v1', 'verification', 0.5, 'x', 'x', '-infinity')$$);
SELECT model, purpose, builtin FROM match_threshold ORDER BY model, purpose;
-- the newest row whose start has passed applies
INSERT INTO match_threshold (model, purpose, threshold, operating_point, method, valid_from)
VALUES ('mobilefacenet-v1', 'verification', 0.5, 'recalibrated', 'x', '2020-01-01'),
       ('mobilefacenet-v1', 'verification', 0.6, 'not yet', 'x', 'infinity'),
       ('test-model', 'identification', 0.7, 'x', 'x', '2020-01-01');
SELECT bx_threshold('mobilefacenet-v1', 'verification') AS verification,
       bx_threshold('mobilefacenet-v1', 'identification') =
         (SELECT threshold FROM match_threshold WHERE builtin AND purpose = 'identification') AS builtin_identification,
       bx_threshold('test-model', 'identification') AS test_model,
       bx_threshold('test-model', 'verification') IS NULL AS test_model_no_verification,
       bx_threshold('no-such-model', 'verification') IS NULL AS unknown_model;
DELETE FROM match_threshold WHERE NOT builtin;

-- exit events (written by bx_match) keep their invariants even for the owner
SELECT pg_temp.try($$INSERT INTO exit_event (probe_source, flight_id, decision, person_id) VALUES ('photo', 1, 'match', NULL)$$);
SELECT pg_temp.try($$INSERT INTO exit_event (probe_source, flight_id, decision, reason, person_id) VALUES ('photo', 1, 'match', 'below_threshold', 1)$$);
SELECT pg_temp.try($$INSERT INTO exit_event (probe_source, flight_id, decision) VALUES ('photo', 1, 'no_match')$$);
SELECT pg_temp.try($$INSERT INTO exit_event (probe_source, flight_id, decision, reason) VALUES ('photo', 1, 'maybe', 'no_face')$$);
SELECT pg_temp.try($$INSERT INTO exit_event (probe_source, flight_id, decision, person_id, resolved_person_id) VALUES ('photo', 1, 'match', 1, 1)$$);
SELECT pg_temp.try($$INSERT INTO search_audit (search) VALUES ('browse')$$);
-- reasons come from one vocabulary, the domain bx_match_reason: exit event
-- reasons are of that type, audit outcomes are a reason or a positive outcome
SELECT (regexp_matches(pg_get_constraintdef(oid), '''([a-z_]+)''', 'g'))[1] AS bx_match_reason
  FROM pg_constraint WHERE contypid = 'bx_match_reason'::regtype;
SELECT pg_temp.try($$INSERT INTO exit_event (probe_source, flight_id, decision, reason) VALUES ('photo', 1, 'no_match', 'camera_broken')$$);
SELECT pg_temp.try($$INSERT INTO search_audit (search, outcome) VALUES ('verify', 'maybe')$$);
SELECT pg_temp.try($$INSERT INTO search_audit (search, outcome) VALUES ('identify', 'candidate_above_threshold')$$);
DELETE FROM search_audit WHERE search = 'identify' AND model IS NULL;

-- deleting a person removes their documents, enrollments and manifest rows
INSERT INTO person (family_name, citizenship) VALUES ('Transient', 'CAN');
SELECT person_id AS transient FROM person WHERE family_name = 'Transient' \gset
INSERT INTO travel_document (person_id, document_type, document_number, issuing_country)
VALUES (:transient, 'passport', 'CA0001', 'CAN');
INSERT INTO enrollment (person_id, source, captured_at, template)
VALUES (:transient, 'passport', '2022-01-01', 'mobilefacenet-v1:[0,0,0,1]');
INSERT INTO manifest (flight_id, person_id, document_id)
SELECT 1, :transient, document_id FROM travel_document WHERE person_id = :transient;
SELECT (SELECT count(*) FROM travel_document WHERE person_id = :transient) AS documents,
       (SELECT count(*) FROM enrollment WHERE person_id = :transient) AS enrollments,
       (SELECT count(*) FROM manifest WHERE person_id = :transient) AS manifest_rows;
DELETE FROM person WHERE person_id = :transient;
SELECT (SELECT count(*) FROM travel_document WHERE person_id = :transient) AS documents,
       (SELECT count(*) FROM enrollment WHERE person_id = :transient) AS enrollments,
       (SELECT count(*) FROM manifest WHERE person_id = :transient) AS manifest_rows;
-- a passport deleted alone leaves the manifest row, without its document
DELETE FROM travel_document WHERE document_id = 4;
SELECT flight_id, person_id, document_id FROM manifest WHERE person_id = 3;

-- ... but a person with admissions stays: the I-94 history is kept
SELECT pg_temp.try($$DELETE FROM person WHERE person_id = 2$$);
SELECT count(*) AS documents_kept FROM travel_document WHERE person_id = 2;
-- once the admissions are gone, the person can go
DELETE FROM admission WHERE person_id = 2;
SELECT pg_temp.try($$DELETE FROM person WHERE person_id = 2$$);
SELECT person_id, family_name FROM person ORDER BY person_id;
SELECT count(*) AS manifest_rows_of_2 FROM manifest WHERE person_id = 2;

-- a flight deleted removes its manifest
DELETE FROM flight WHERE flight_id = 2;
SELECT flight_id, person_id FROM manifest ORDER BY flight_id, person_id;

TRUNCATE departure_link, departure_manifest, search_audit, exit_event, manifest, flight, admission, enrollment,
	travel_document, person RESTART IDENTITY;
DELETE FROM class_of_admission WHERE NOT builtin;
