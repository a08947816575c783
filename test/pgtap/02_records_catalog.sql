-- pgTAP: the catalog contract of the border-records layer: keys and the
-- foreign keys analysts join on, check constraints, pg_dump registration,
-- security_invoker views, SECURITY DEFINER functions with a pinned
-- search_path (exactly the reviewed list), volatility, comments.
-- One rolled-back transaction.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
-- the extension is committed beforehand (scripts/test.sh): searches commit their
-- audit rows in another session, which must see the extension's tables
CREATE EXTENSION IF NOT EXISTS bxexit;
SET search_path = public;
SELECT plan(177);

-- --------------------------------------------------------------- tables

SELECT is(array_agg(c.relname::text ORDER BY c.relname::text),
          ARRAY['admission', 'class_of_admission', 'departure_link', 'departure_manifest', 'enrollment',
                'exit_event', 'flight', 'gallery_source', 'manifest', 'manifest_rejected', 'manifest_staging',
                'match_threshold', 'person', 'search_audit', 'travel_document'],
          'the tables of schema bxexit are exactly the fifteen records tables')
  FROM pg_class c WHERE c.relnamespace = 'bxexit'::regnamespace AND c.relkind IN ('r', 'p');

SELECT col_is_pk('bxexit', t, cols, t || ' has primary key (' || array_to_string(cols, ', ') || ')')
  FROM (VALUES ('person', ARRAY['person_id']::name[]),
               ('travel_document', ARRAY['document_id']::name[]),
               ('enrollment', ARRAY['enrollment_id']::name[]),
               ('class_of_admission', ARRAY['code']::name[]),
               ('admission', ARRAY['admission_number']::name[]),
               ('flight', ARRAY['flight_id']::name[]),
               ('manifest', ARRAY['flight_id', 'person_id']::name[]),
               ('match_threshold', ARRAY['threshold_id']::name[]),
               ('exit_event', ARRAY['exit_event_id']::name[]),
               ('search_audit', ARRAY['audit_id']::name[]),
               ('departure_manifest', ARRAY['departure_manifest_id']::name[]),
               ('manifest_rejected', ARRAY['rejected_id']::name[]),
               ('departure_link', ARRAY['link_id']::name[])) v(t, cols);

SELECT is(array_agg(a.attrelid::regclass::text || '.' || a.attname ORDER BY 1), NULL,
          'every bigint key of a records table is GENERATED ALWAYS AS IDENTITY')
  FROM pg_attribute a
  JOIN pg_constraint k ON k.conrelid = a.attrelid AND k.contype = 'p' AND k.conkey = ARRAY[a.attnum]
 WHERE a.attrelid::regclass::text LIKE 'bxexit.%' AND a.atttypid = 'int8'::regtype
   AND a.attidentity <> 'a';

-- the foreign keys analysts join on
SELECT fk_ok('bxexit', t, ARRAY[c]::name[], 'bxexit', rt, ARRAY[rc]::name[],
             t || '.' || c || ' references ' || rt || '.' || rc)
  FROM (VALUES ('travel_document', 'person_id', 'person', 'person_id'),
               ('enrollment', 'person_id', 'person', 'person_id'),
               ('admission', 'person_id', 'person', 'person_id'),
               ('admission', 'class_of_admission', 'class_of_admission', 'code'),
               ('manifest', 'flight_id', 'flight', 'flight_id'),
               ('manifest', 'person_id', 'person', 'person_id'),
               ('exit_event', 'flight_id', 'flight', 'flight_id'),
               ('exit_event', 'person_id', 'person', 'person_id'),
               ('exit_event', 'resolved_person_id', 'person', 'person_id'),
               ('departure_manifest', 'flight_id', 'flight', 'flight_id'),
               ('departure_link', 'departure_manifest_id', 'departure_manifest', 'departure_manifest_id'),
               ('departure_link', 'person_id', 'person', 'person_id')) v(t, c, rt, rc);
-- a traveller boards with a document of their own
SELECT fk_ok('bxexit', 'manifest', ARRAY['document_id', 'person_id']::name[],
             'bxexit', 'travel_document', ARRAY['document_id', 'person_id']::name[],
             'manifest(document_id, person_id) references travel_document(document_id, person_id)');

-- deleting a person takes their documents, templates and manifest lines,
-- never an admission or a gate decision
SELECT is(array_agg(k.conrelid::regclass::text || '(' || a.attname || '):' || k.confdeltype::text
                    ORDER BY k.conrelid::regclass::text, a.attname::text),
          ARRAY['bxexit.admission(class_of_admission):a', 'bxexit.admission(document_id):n',
                'bxexit.admission(person_id):a',
                'bxexit.departure_link(departure_manifest_id):a', 'bxexit.departure_link(person_id):a',
                'bxexit.departure_manifest(flight_id):a',
                'bxexit.enrollment(person_id):c',
                'bxexit.exit_event(flight_id):a', 'bxexit.exit_event(person_id):a',
                'bxexit.exit_event(resolved_person_id):a',
                'bxexit.manifest(document_id):n', 'bxexit.manifest(flight_id):c',
                'bxexit.manifest(person_id):c', 'bxexit.travel_document(person_id):c'],
          'ON DELETE actions: cascade for documents, templates, manifests; no action for admissions, exit events, departure manifests and links')
  FROM pg_constraint k
  JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]
 WHERE k.contype = 'f' AND k.connamespace = 'bxexit'::regnamespace;

-- ------------------------------------------------- check constraints behave

-- valid rows first: the constraints do not reject everything
SELECT lives_ok($$INSERT INTO bxexit.person (fin, family_name, given_names, sex, citizenship, country_of_birth)
                  VALUES ('TAPP000001', 'Tester', 'Ann', 'F', 'CAN', 'CAN')$$, 'a valid person is accepted');
SELECT lives_ok($$INSERT INTO bxexit.flight (carrier, flight_number, departure_airport, arrival_airport, departure_date)
                  VALUES ('ZZ', '101A', 'IAD', 'CDG', '2024-07-01')$$, 'a valid flight is accepted');
SELECT lives_ok($$INSERT INTO bxexit.travel_document (person_id, document_type, document_number, issuing_country, issued_on, expires_on)
                  SELECT person_id, 'passport', 'P1234567', 'CAN', '2020-01-01', '2030-01-01'
                    FROM bxexit.person WHERE fin = 'TAPP000001'$$, 'a valid travel document is accepted');
SELECT lives_ok($$INSERT INTO bxexit.enrollment (person_id, source, captured_at, template, quality)
                  SELECT person_id, 'visa', now(), bxexit.bx_set_model('[1,0,0]', 'mobilefacenet-v1'), 0.9
                    FROM bxexit.person WHERE fin = 'TAPP000001'$$, 'a tagged template is accepted');
SELECT is((SELECT model FROM bxexit.enrollment), 'mobilefacenet-v1', 'enrollment.model is generated from the template tag');
SELECT lives_ok($$INSERT INTO bxexit.admission (admission_number, person_id, class_of_admission, port_of_entry, admitted_on, admit_until)
                  SELECT 'A0000000001', person_id, 'B2', 'IAD', '2024-05-01', '2024-10-31'
                    FROM bxexit.person WHERE fin = 'TAPP000001'$$, 'a dated admission is accepted');
SELECT lives_ok($$INSERT INTO bxexit.admission (admission_number, person_id, class_of_admission, port_of_entry, admitted_on,
                                                duration_of_status, program_end_date)
                  SELECT 'A0000000002', person_id, 'F1', 'IAD', '2024-08-20', true, '2028-05-15'
                    FROM bxexit.person WHERE fin = 'TAPP000001'$$, 'a D/S admission without admit_until is accepted');
SELECT lives_ok($$INSERT INTO bxexit.manifest (flight_id, person_id)
                  SELECT f.flight_id, p.person_id FROM bxexit.flight f, bxexit.person p WHERE p.fin = 'TAPP000001'$$,
                'a valid manifest line is accepted');
SELECT lives_ok($$INSERT INTO bxexit.exit_event (probe_source, requested_flight_id, flight_id, decision, person_id)
                  SELECT 'photo', f.flight_id, f.flight_id, 'match', p.person_id FROM bxexit.flight f, bxexit.person p$$,
                'a match with a person is accepted');
SELECT lives_ok($$INSERT INTO bxexit.exit_event (probe_source, requested_flight_id, decision, reason) VALUES ('photo', 999, 'no_match', 'unknown_flight')$$,
                'a no-match with a reason is accepted');
SELECT lives_ok($$INSERT INTO bxexit.search_audit (search, outcome) VALUES ('identify', 'nobody_enrolled')$$,
                'a valid audit row is accepted');

-- person
SELECT throws_ok($$INSERT INTO bxexit.person (family_name, citizenship) VALUES ('X', 'usa')$$, '23514',
                 'new row for relation "person" violates check constraint "person_citizenship_check"',
                 'a lower-case citizenship code is refused (23514)');
SELECT throws_ok($$INSERT INTO bxexit.person (family_name, citizenship) VALUES ('X', 'US')$$, '23514',
                 'new row for relation "person" violates check constraint "person_citizenship_check"',
                 'a two-letter citizenship code is refused (23514)');
SELECT throws_ok($$INSERT INTO bxexit.person (family_name) VALUES ('X')$$, '23502',
                 'null value in column "citizenship" of relation "person" violates not-null constraint',
                 'a person without citizenship is refused (23502)');
SELECT throws_ok($$INSERT INTO bxexit.person (citizenship) VALUES ('FRA')$$, '23502',
                 'null value in column "family_name" of relation "person" violates not-null constraint',
                 'a person without family name is refused (23502)');
SELECT throws_ok($$INSERT INTO bxexit.person (family_name, citizenship, sex) VALUES ('X', 'FRA', 'Q')$$, '23514',
                 'new row for relation "person" violates check constraint "person_sex_check"',
                 'an unknown sex code is refused (23514)');
SELECT throws_ok($$INSERT INTO bxexit.person (family_name, citizenship, fin) VALUES ('X', 'FRA', 'TAPP000001')$$, '23505',
                 NULL, 'a duplicate FIN is refused (23505)');
SELECT throws_ok($$INSERT INTO bxexit.person (person_id, family_name, citizenship) VALUES (42, 'X', 'FRA')$$, '428C9',
                 NULL, 'person_id cannot be supplied: identity GENERATED ALWAYS (428C9)');

-- travel documents
SELECT throws_ok($$INSERT INTO bxexit.travel_document (person_id, document_type, document_number, issuing_country, issued_on, expires_on)
                   SELECT person_id, 'passport', 'P7654321', 'CAN', '2030-01-01', '2020-01-01'
                     FROM bxexit.person WHERE fin = 'TAPP000001'$$, '23514',
                 'new row for relation "travel_document" violates check constraint "travel_document_check"',
                 'a document expiring before issue is refused (23514)');
SELECT throws_ok($$INSERT INTO bxexit.travel_document (person_id, document_type, document_number, issuing_country)
                   VALUES (-1, 'passport', 'P1', 'CAN')$$, '23503',
                 'insert or update on table "travel_document" violates foreign key constraint "travel_document_person_id_fkey"',
                 'a document of an unknown person is refused (23503)');

-- enrollments
SELECT throws_ok($$INSERT INTO bxexit.enrollment (person_id, source, captured_at, template)
                   SELECT person_id, 'visa', now(), '[1,0,0]' FROM bxexit.person WHERE fin = 'TAPP000001'$$, '23514',
                 'new row for relation "enrollment" violates check constraint "enrollment_template_tagged"',
                 'an untagged template is refused (23514)');
SELECT throws_ok($$INSERT INTO bxexit.enrollment (person_id, source, captured_at, template, quality)
                   SELECT person_id, 'visa', now(), bxexit.bx_set_model('[1,0,0]', 'mobilefacenet-v1'), 1.5
                     FROM bxexit.person WHERE fin = 'TAPP000001'$$, '23514',
                 'new row for relation "enrollment" violates check constraint "enrollment_quality_check"',
                 'a quality above 1 is refused (23514)');
SELECT throws_ok($$INSERT INTO bxexit.enrollment (person_id, source, captured_at, template, capture_quality)
                   SELECT person_id, 'visa', now(), bxexit.bx_set_model('[1,0,0]', 'mobilefacenet-v1'), 101
                     FROM bxexit.person WHERE fin = 'TAPP000001'$$, '23514',
                 'new row for relation "enrollment" violates check constraint "enrollment_capture_quality_check"',
                 'a capture quality above 100 is refused (23514)');
SELECT throws_ok($$INSERT INTO bxexit.enrollment (person_id, source, captured_at, template)
                   VALUES (-1, 'visa', now(), bxexit.bx_set_model('[1,0,0]', 'mobilefacenet-v1'))$$, '23503',
                 'insert or update on table "enrollment" violates foreign key constraint "enrollment_person_id_fkey"',
                 'a template of an unknown person is refused (23503)');
SELECT throws_ok($$INSERT INTO bxexit.enrollment (person_id, source, captured_at)
                   SELECT person_id, 'visa', now() FROM bxexit.person WHERE fin = 'TAPP000001'$$, '23502',
                 'null value in column "template" of relation "enrollment" violates not-null constraint',
                 'an enrollment without template is refused (23502)');

-- admissions
SELECT throws_ok($$INSERT INTO bxexit.admission (admission_number, person_id, class_of_admission, port_of_entry, admitted_on, admit_until)
                   SELECT 'A0000000003', person_id, 'B2', 'IAD', '2024-05-01', '2024-04-30'
                     FROM bxexit.person WHERE fin = 'TAPP000001'$$, '23514',
                 'new row for relation "admission" violates check constraint "admission_until_after_admission"',
                 'admit_until before the admission date is refused (23514)');
SELECT throws_ok($$INSERT INTO bxexit.admission (admission_number, person_id, class_of_admission, port_of_entry, admitted_on,
                                                 admit_until, duration_of_status)
                   SELECT 'A0000000003', person_id, 'F1', 'IAD', '2024-05-01', '2024-10-31', true
                     FROM bxexit.person WHERE fin = 'TAPP000001'$$, '23514',
                 'new row for relation "admission" violates check constraint "admission_until_or_ds"',
                 'a D/S admission with an admit_until date is refused (23514)');
SELECT throws_ok($$INSERT INTO bxexit.admission (admission_number, person_id, class_of_admission, port_of_entry, admitted_on)
                   SELECT 'A0000000003', person_id, 'B2', 'IAD', '2024-05-01'
                     FROM bxexit.person WHERE fin = 'TAPP000001'$$, '23514',
                 'new row for relation "admission" violates check constraint "admission_until_or_ds"',
                 'an admission with neither admit_until nor D/S is refused (23514)');
SELECT throws_ok($$INSERT INTO bxexit.admission (admission_number, person_id, class_of_admission, port_of_entry, admitted_on,
                                                 admit_until, program_end_date)
                   SELECT 'A0000000003', person_id, 'B2', 'IAD', '2024-05-01', '2024-10-31', '2024-09-01'
                     FROM bxexit.person WHERE fin = 'TAPP000001'$$, '23514',
                 'new row for relation "admission" violates check constraint "admission_program_end_only_for_ds"',
                 'a programme end date outside D/S is refused (23514)');
SELECT throws_ok($$INSERT INTO bxexit.admission (admission_number, person_id, class_of_admission, port_of_entry, admitted_on,
                                                 duration_of_status, program_end_date)
                   SELECT 'A0000000003', person_id, 'F1', 'IAD', '2024-05-01', true, '2024-04-01'
                     FROM bxexit.person WHERE fin = 'TAPP000001'$$, '23514',
                 'new row for relation "admission" violates check constraint "admission_program_end_after_admission"',
                 'a programme ending before the admission is refused (23514)');
SELECT throws_ok($$INSERT INTO bxexit.admission (admission_number, person_id, class_of_admission, port_of_entry, admitted_on, admit_until)
                   SELECT 'A0000000003', person_id, 'ZZ9', 'IAD', '2024-05-01', '2024-10-31'
                     FROM bxexit.person WHERE fin = 'TAPP000001'$$, '23503',
                 'insert or update on table "admission" violates foreign key constraint "admission_class_of_admission_fkey"',
                 'an unknown class of admission is refused (23503)');
SELECT throws_ok($$INSERT INTO bxexit.admission (admission_number, person_id, class_of_admission, port_of_entry, admitted_on, admit_until)
                   SELECT 'A123', person_id, 'B2', 'IAD', '2024-05-01', '2024-10-31'
                     FROM bxexit.person WHERE fin = 'TAPP000001'$$, '23514',
                 'new row for relation "admission" violates check constraint "admission_admission_number_check"',
                 'an I-94 number that is not 11 characters is refused (23514)');

-- reference data
SELECT throws_ok($$INSERT INTO bxexit.class_of_admission (code, class_group, description, report_scope) VALUES ('X1', 'TOURIST', 'x', true)$$,
                 '23514', 'new row for relation "class_of_admission" violates check constraint "class_of_admission_class_group_check"',
                 'an unknown class group is refused (23514)');
SELECT throws_ok($$INSERT INTO bxexit.match_threshold (model, purpose, threshold, operating_point, method) VALUES ('m', 'verification', 1.5, 'x', 'x')$$,
                 '23514', 'new row for relation "match_threshold" violates check constraint "match_threshold_threshold_check"',
                 'a threshold above 1 is refused (23514)');
SELECT throws_ok($$INSERT INTO bxexit.match_threshold (model, purpose, threshold, operating_point, method) VALUES ('m', 'surveillance', 0.5, 'x', 'x')$$,
                 '23514', 'new row for relation "match_threshold" violates check constraint "match_threshold_purpose_check"',
                 'an unknown threshold purpose is refused (23514)');

-- flights and manifests
SELECT throws_ok($$INSERT INTO bxexit.flight (carrier, flight_number, departure_airport, arrival_airport, departure_date)
                   VALUES ('ZZ', '102', 'iad', 'CDG', '2024-07-01')$$, '23514',
                 'new row for relation "flight" violates check constraint "flight_departure_airport_check"',
                 'a lower-case airport code is refused (23514)');
SELECT throws_ok($$INSERT INTO bxexit.manifest (flight_id, person_id) SELECT -1, person_id FROM bxexit.person WHERE fin = 'TAPP000001'$$,
                 '23503', 'insert or update on table "manifest" violates foreign key constraint "manifest_flight_id_fkey"',
                 'a manifest line of an unknown flight is refused (23503)');

-- exit events and audit rows
SELECT throws_ok($$INSERT INTO bxexit.exit_event (probe_source, requested_flight_id, decision) VALUES ('photo', 1, 'match')$$, '23514',
                 'new row for relation "exit_event" violates check constraint "exit_event_match_has_person"',
                 'a match event without a person is refused (23514)');
SELECT throws_ok($$INSERT INTO bxexit.exit_event (probe_source, requested_flight_id, decision, reason, person_id)
                   SELECT 'photo', 1, 'no_match', 'below_threshold', person_id FROM bxexit.person WHERE fin = 'TAPP000001'$$, '23514',
                 'new row for relation "exit_event" violates check constraint "exit_event_match_has_person"',
                 'a no-match event naming a person is refused (23514)');
SELECT throws_ok($$INSERT INTO bxexit.exit_event (probe_source, requested_flight_id, decision) VALUES ('photo', 1, 'no_match')$$, '23514',
                 'new row for relation "exit_event" violates check constraint "exit_event_no_match_has_reason"',
                 'a no-match event without a reason is refused (23514)');
SELECT throws_ok($$INSERT INTO bxexit.exit_event (probe_source, requested_flight_id, flight_id, decision, person_id, resolved_person_id)
                   SELECT 'photo', f.flight_id, f.flight_id, 'match', p.person_id, p.person_id FROM bxexit.flight f, bxexit.person p$$, '23514',
                 'new row for relation "exit_event" violates check constraint "exit_event_resolution_of_no_match"',
                 'resolving a match event is refused (23514)');
SELECT throws_ok($$INSERT INTO bxexit.exit_event (probe_source, requested_flight_id, decision, person_id) VALUES ('photo', 1, 'match', -1)$$, '23503',
                 'insert or update on table "exit_event" violates foreign key constraint "exit_event_person_id_fkey"',
                 'a match event naming an unknown person is refused (23503)');
SELECT throws_ok($$INSERT INTO bxexit.exit_event (probe_source, requested_flight_id, decision, reason) VALUES ('photo', 1, 'maybe', 'no_face')$$, '23514',
                 'new row for relation "exit_event" violates check constraint "exit_event_decision_check"',
                 'an unknown decision is refused (23514)');
-- a poor_quality no-match names its failing component, and only it does
SELECT lives_ok($$INSERT INTO bxexit.exit_event (probe_source, requested_flight_id, decision, reason, capture_quality, quality_component)
                  VALUES ('photo', 1, 'no_match', 'poor_quality', 12.5, 'sharpness')$$,
                'a poor_quality no-match with its component is accepted');
SELECT throws_ok($$INSERT INTO bxexit.exit_event (probe_source, requested_flight_id, decision, reason) VALUES ('photo', 1, 'no_match', 'poor_quality')$$, '23514',
                 'new row for relation "exit_event" violates check constraint "exit_event_quality_component_check"',
                 'a poor_quality no-match without its component is refused (23514)');
SELECT throws_ok($$INSERT INTO bxexit.exit_event (probe_source, requested_flight_id, decision, reason, quality_component) VALUES ('photo', 1, 'no_match', 'no_face', 'sharpness')$$, '23514',
                 'new row for relation "exit_event" violates check constraint "exit_event_quality_component_check"',
                 'a quality component on another reason is refused (23514)');
SELECT throws_ok($$INSERT INTO bxexit.exit_event (probe_source, requested_flight_id, decision, reason, quality_component) VALUES ('photo', 1, 'no_match', 'poor_quality', 'blur')$$, '23514',
                 'new row for relation "exit_event" violates check constraint "exit_event_quality_component_check"',
                 'a quality component outside the list is refused (23514)');
SELECT throws_ok($$INSERT INTO bxexit.search_audit (search) VALUES ('browse')$$, '23514',
                 'new row for relation "search_audit" violates check constraint "search_audit_search_check"',
                 'an unknown search kind is refused (23514)');

-- ------------------------------------------------ the reason vocabulary

SELECT has_domain('bxexit', 'bx_match_reason', 'domain bx_match_reason exists');
SELECT domain_type_is('bxexit', 'bx_match_reason', 'text', 'bx_match_reason is a domain over text');
SELECT col_type_is('bxexit', 'exit_event', 'reason', 'bxexit', 'bx_match_reason',
                   'exit_event.reason is a bx_match_reason');
SELECT is(array_agg(m[1] ORDER BY m[1]),
          ARRAY['below_threshold', 'face_too_small', 'flight_not_departing', 'image_too_large', 'invalid_image', 'no_face', 'no_photo',
                'no_probe', 'nobody_enrolled', 'poor_quality', 'rate_limited', 'several_faces', 'unknown_flight', 'unknown_person'],
          'bx_match_reason lists exactly the fourteen documented reasons')
  FROM pg_constraint k, regexp_matches(pg_get_constraintdef(k.oid), '''([a-z_]+)''', 'g') m
 WHERE k.contypid = 'bxexit.bx_match_reason'::regtype;
SELECT throws_ok($$INSERT INTO bxexit.exit_event (probe_source, requested_flight_id, decision, reason) VALUES ('photo', 1, 'no_match', 'blurry')$$, '23514',
                 'value for domain bxexit.bx_match_reason violates check constraint "bx_match_reason_check"',
                 'an exit event reason outside the vocabulary is refused (23514)');
SELECT throws_ok($$INSERT INTO bxexit.search_audit (search, outcome) VALUES ('verify', 'blurry')$$, '23514', NULL,
                 'an audit outcome that is neither a positive outcome nor a reason is refused (23514)');
SELECT lives_ok($$INSERT INTO bxexit.search_audit (search, outcome)
                  VALUES ('match', 'match'), ('identify', 'candidate_above_threshold'), ('verify', 'unknown_person')$$,
                'audit outcomes: match, candidate_above_threshold and every reason are accepted');

-- --------------------------------------------- pg_dump keeps the user data

SELECT is(array_agg(c::regclass::text ORDER BY c::regclass::text),
          ARRAY['bxexit.admission', 'bxexit.class_of_admission', 'bxexit.departure_link',
                'bxexit.departure_manifest', 'bxexit.enrollment', 'bxexit.exit_event',
                'bxexit.flight', 'bxexit.gallery_source', 'bxexit.manifest', 'bxexit.manifest_rejected',
                'bxexit.manifest_staging', 'bxexit.match_threshold', 'bxexit.person', 'bxexit.search_audit',
                'bxexit.travel_document'],
          'the tables registered with pg_extension_config_dump are exactly the fifteen records tables')
  FROM pg_extension e, unnest(e.extconfig) c
 WHERE e.extname = 'bxexit' AND (SELECT relkind FROM pg_class WHERE oid = c) IN ('r', 'p');
SELECT is(array_agg(c.oid::regclass::text ORDER BY c.oid::regclass::text), NULL,
          'every table of schema bxexit is registered with pg_extension_config_dump')
  FROM pg_class c
 WHERE c.relnamespace = 'bxexit'::regnamespace AND c.relkind IN ('r', 'p')
   AND c.oid <> ALL (SELECT unnest(extconfig) FROM pg_extension WHERE extname = 'bxexit');
SELECT is(array_agg(c.oid::regclass::text ORDER BY 1), NULL,
          'every identity sequence of schema bxexit is registered with pg_extension_config_dump (pg_dump restores its value)')
  FROM pg_class c
 WHERE c.relnamespace = 'bxexit'::regnamespace AND c.relkind = 'S'
   AND c.oid <> ALL (SELECT unnest(extconfig) FROM pg_extension WHERE extname = 'bxexit');
SELECT is((SELECT cardinality(extconfig) = cardinality(extcondition) FROM pg_extension WHERE extname = 'bxexit'),
          true, 'extconfig and extcondition have one entry per registered relation');
SELECT is(cond.f, v.want,
          v.t || ' is dumped with filter ' || quote_literal(v.want))
  FROM (VALUES ('person', ''), ('travel_document', ''), ('enrollment', ''),
               ('class_of_admission', 'WHERE NOT builtin'), ('admission', ''), ('flight', ''),
               ('manifest', ''), ('match_threshold', 'WHERE NOT builtin'),
               ('exit_event', ''), ('search_audit', ''), ('manifest_staging', ''),
               ('departure_manifest', ''), ('manifest_rejected', ''), ('departure_link', '')) v(t, want)
  LEFT JOIN (SELECT c::regclass::text AS t, f
               FROM pg_extension e, unnest(e.extconfig, e.extcondition) u(c, f)
              WHERE e.extname = 'bxexit') cond ON cond.t = 'bxexit.' || v.t;
SELECT is(array_agg(c.oid::regclass::text ORDER BY 1), ARRAY['bxexit.class_of_admission', 'bxexit.match_threshold'],
          'the tables with a builtin column are exactly those dumped WHERE NOT builtin')
  FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'builtin' AND NOT a.attisdropped
 WHERE c.relnamespace = 'bxexit'::regnamespace AND c.relkind = 'r';
SELECT is((SELECT count(*) FROM bxexit.class_of_admission WHERE NOT builtin), 0::bigint,
          'every class of admission the script inserts is marked builtin');
SELECT is((SELECT count(*) FROM bxexit.match_threshold WHERE NOT builtin), 0::bigint,
          'every threshold the script inserts is marked builtin');
SELECT is((SELECT count(*) FROM bxexit.match_threshold WHERE builtin AND model = 'mobilefacenet-v1'), 2::bigint,
          'the script ships an identification and a verification threshold for mobilefacenet-v1');

-- ----------------------------------------------------------------- views

SELECT has_view('bxexit', v, 'view ' || v || ' exists') FROM unnest(ARRAY['departure', 'admission_status', 'departure_manifest_link']) v;
SELECT is(array_agg(c.relname::text ORDER BY c.relname::text),
          ARRAY['admission_status', 'departure', 'departure_manifest_link', 'gate_anomaly',
                'lead_boarded_not_confirmed', 'lead_departure_without_admission', 'lead_gate_match_not_on_manifest',
                'match_demographics'],
          'the views of schema bxexit are exactly departure, admission_status, gate_anomaly, departure_manifest_link, the three leads and match_demographics')
  FROM pg_class c WHERE c.relnamespace = 'bxexit'::regnamespace AND c.relkind IN ('v', 'm');
SELECT ok(coalesce('security_invoker=true' = ANY (c.reloptions), false), 'view ' || c.relname || ' is security_invoker')
  FROM pg_class c WHERE c.relnamespace = 'bxexit'::regnamespace AND c.relkind = 'v' ORDER BY c.relname;
SELECT is(array_agg(c.relname::text), NULL, 'no view of schema bxexit runs with its owner''s rights')
  FROM pg_class c
 WHERE c.relnamespace = 'bxexit'::regnamespace AND c.relkind IN ('v', 'm')
   AND NOT coalesce('security_invoker=true' = ANY (c.reloptions), false);

-- ----------------------------------------------------- SECURITY DEFINER

SELECT is(array_agg(p.oid::regprocedure::text ORDER BY p.oid::regprocedure::text),
          ARRAY(SELECT unnest(ARRAY['bxexit.bx_apply_retention()',
                'bxexit.bx_identify(bytea,integer)', 'bxexit.bx_identify(bxexit.face_embedding,integer)',
                'bxexit.bx_link_departures(real,real)', 'bxexit.bx_load_departure_manifests(integer)',
                'bxexit.bx_match(bytea,bigint,text)', 'bxexit.bx_match(bxexit.face_embedding,bigint)',
                'bxexit.bx_resolve_departure(bigint,bigint,text)', 'bxexit.bx_resolve_exit(bigint,bigint,text)',
                'bxexit.bx_set_gallery(regclass)', 'bxexit.bx_verify(bytea,bigint)', 'bxexit.bx_verify(bxexit.face_embedding,bigint)']) ORDER BY 1),
          'the SECURITY DEFINER functions are exactly the reviewed list (a new one needs review)')
  FROM pg_proc p WHERE p.pronamespace = 'bxexit'::regnamespace AND p.prosecdef;
SELECT is(p.proconfig[1], 'search_path=pg_catalog, pg_temp',
          p.oid::regprocedure::text || ' pins search_path = pg_catalog, pg_temp')
  FROM pg_proc p WHERE p.pronamespace = 'bxexit'::regnamespace AND p.prosecdef
 ORDER BY p.oid::regprocedure::text;
-- the searches that embed photos pin the detector settings the thresholds
-- were calibrated with; nothing else sets any other setting
SELECT is(array_agg(p.oid::regprocedure::text ORDER BY 1),
          ARRAY['bxexit.bx_identify(bytea,integer)', 'bxexit.bx_match(bytea,bigint,text)', 'bxexit.bx_verify(bytea,bigint)'],
          'bx_match, bx_verify and bx_identify of a photo pin face_score_threshold 0.9 and min_eye_distance 0')
  FROM pg_proc p WHERE p.pronamespace = 'bxexit'::regnamespace
   AND p.proconfig = ARRAY['search_path=pg_catalog, pg_temp', 'bxexit.face_score_threshold=0.9',
                           'bxexit.min_eye_distance=0'];
SELECT is(array_agg(p.oid::regprocedure::text ORDER BY 1), NULL,
          'no function of schema bxexit sets anything but search_path and those two')
  FROM pg_proc p, unnest(p.proconfig) c
 WHERE p.pronamespace = 'bxexit'::regnamespace
   AND c NOT IN ('search_path=pg_catalog, pg_temp', 'bxexit.face_score_threshold=0.9', 'bxexit.min_eye_distance=0');
SELECT is(array_agg(p.oid::regprocedure::text ORDER BY 1), NULL,
          'no SECURITY DEFINER function is executable by PUBLIC')
  FROM pg_proc p WHERE p.pronamespace = 'bxexit'::regnamespace AND p.prosecdef
   AND has_function_privilege('public', p.oid, 'EXECUTE');
SELECT is(array_agg(p.oid::regprocedure::text ORDER BY 1), NULL,
          'every SECURITY DEFINER function is granted to a named bxexit role')
  FROM pg_proc p WHERE p.pronamespace = 'bxexit'::regnamespace AND p.prosecdef
   AND NOT EXISTS (SELECT 1 FROM aclexplode(p.proacl) a
                    WHERE a.privilege_type = 'EXECUTE'
                      AND a.grantee IN (SELECT oid FROM pg_roles WHERE rolname IN ('bxexit_gate', 'bxexit_analyst', 'bxexit_admin')));
SELECT is(array_agg(p.oid::regprocedure::text ORDER BY 1), NULL,
          'every PL/pgSQL function of schema bxexit pins search_path = pg_catalog, pg_temp')
  FROM pg_proc p
 WHERE p.pronamespace = 'bxexit'::regnamespace AND p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'plpgsql')
   AND p.proconfig[1] IS DISTINCT FROM 'search_path=pg_catalog, pg_temp';
SELECT is(array_agg(p.oid::regprocedure::text ORDER BY 1), NULL,
          'no function of schema bxexit is LANGUAGE sql with a string body (all use BEGIN ATOMIC, bound at creation)')
  FROM pg_proc p
 WHERE p.pronamespace = 'bxexit'::regnamespace AND p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'sql')
   AND p.prosqlbody IS NULL;
SELECT isnt_definer('bxexit', f, args, f || ' is not SECURITY DEFINER (runs with the caller''s rights)')
  FROM (VALUES ('bx_admission_status', ARRAY['date', 'timestamp with time zone']::name[]),
               ('bx_overstay_report', ARRAY['integer', 'date', 'timestamp with time zone']::name[]),
               ('bx_threshold', ARRAY['text', 'text']::name[]),
               ('bx_enroll', ARRAY['bigint', 'bytea', 'text', 'timestamp with time zone', 'text']::name[]),
               ('bx_audit_search', ARRAY['text', 'text', 'bigint', 'bigint', 'integer', 'bigint', 'integer', 'bigint', 'real', 'text', 'bigint']::name[])) v(f, args);

-- ------------------------------------------------------ the audit helper

-- every search writes its audit row through bx_audit_search, nothing else
-- writes search_audit (a function that did would name the table in its
-- body), and the helper writes it through the audit writer, not in the
-- caller's transaction
SELECT is(array_agg(p.oid::regprocedure::text ORDER BY 1), ARRAY['bxexit.bx_audit_search(text,text,bigint,bigint,integer,bigint,integer,bigint,real,text,bigint)'],
          'bx_audit_search is the only function whose body writes search_audit')
  FROM pg_proc p
 WHERE p.pronamespace = 'bxexit'::regnamespace AND p.prokind = 'f'
   AND pg_get_functiondef(p.oid) ~* '(insert\s+into\s+\S*search_audit|bx_durable_insert\(''\S*search_audit)';
SELECT is(array_agg(p.oid::regprocedure::text ORDER BY 1), NULL,
          'no function inserts into search_audit in the caller''s transaction (rollbacks cannot erase audit rows)')
  FROM pg_proc p
 WHERE p.pronamespace = 'bxexit'::regnamespace AND p.prokind = 'f'
   AND pg_get_functiondef(p.oid) ~* 'insert\s+into\s+\S*search_audit';
SELECT is(array_agg(p.proname::text ORDER BY 1), ARRAY['bx_decide_exit', 'bx_identify', 'bx_match', 'bx_verify'],
          'bx_decide_exit (for bx_match), bx_match (a retried request), bx_verify and bx_identify call bx_audit_search')
  FROM pg_proc p
 WHERE p.pronamespace = 'bxexit'::regnamespace AND p.prosrc ~ 'bx_audit_search\(';
SELECT is(p.proconfig, ARRAY['search_path=pg_catalog, pg_temp'], 'bx_audit_search pins search_path = pg_catalog, pg_temp')
  FROM pg_proc p WHERE p.oid = 'bxexit.bx_audit_search(text,text,bigint,bigint,integer,bigint,integer,bigint,real,text,bigint)'::regprocedure;

-- ---------------------------------------------------------------- labels

SELECT volatility_is('bxexit', f, args, vol, f || '(' || array_to_string(args, ', ') || ') is ' || upper(vol))
  FROM (VALUES ('bx_match', ARRAY['bytea', 'bigint', 'text']::name[], 'volatile'),
               ('bx_match', ARRAY['bxexit.face_embedding', 'bigint']::name[], 'volatile'),
               ('bx_verify', ARRAY['bytea', 'bigint']::name[], 'volatile'),
               ('bx_verify', ARRAY['bxexit.face_embedding', 'bigint']::name[], 'volatile'),
               ('bx_identify', ARRAY['bytea', 'integer']::name[], 'volatile'),
               ('bx_identify', ARRAY['bxexit.face_embedding', 'integer']::name[], 'volatile'),
               ('bx_decide_exit', ARRAY['bxexit.face_embedding', 'bytea', 'text', 'bigint', 'text', 'text', 'real', 'text']::name[], 'volatile'),
               ('bx_audit_search', ARRAY['text', 'text', 'bigint', 'bigint', 'integer', 'bigint', 'integer', 'bigint', 'real', 'text', 'bigint']::name[], 'volatile'),
               ('bx_resolve_exit', ARRAY['bigint', 'bigint', 'text']::name[], 'volatile'),
               ('bx_apply_retention', ARRAY[]::name[], 'volatile'),
               ('bx_enroll', ARRAY['bigint', 'bytea', 'text', 'timestamp with time zone', 'text']::name[], 'volatile'),
               ('bx_admission_status', ARRAY['date', 'timestamp with time zone']::name[], 'stable'),
               ('bx_overstay_report', ARRAY['integer', 'date', 'timestamp with time zone']::name[], 'stable'),
               ('bx_threshold', ARRAY['text', 'text']::name[], 'stable'),
               ('bx_probe_threshold', ARRAY['bxexit.face_embedding', 'text']::name[], 'stable'),
               ('bx_citizen_photo_retention', ARRAY[]::name[], 'stable')) v(f, args, vol);
SELECT is_strict('bxexit', 'bx_threshold', ARRAY['text', 'text']::name[], 'bx_threshold is STRICT');
SELECT isnt_strict('bxexit', f, args, f || '(' || array_to_string(args, ', ') || ') is not STRICT: it records a NULL probe itself')
  FROM (VALUES ('bx_match', ARRAY['bytea', 'bigint', 'text']::name[]),
               ('bx_match', ARRAY['bxexit.face_embedding', 'bigint']::name[])) v(f, args);
SELECT is(array_agg(p.oid::regprocedure::text ORDER BY 1), NULL,
          'no function that writes records is PARALLEL SAFE')
  FROM pg_proc p
 WHERE p.pronamespace = 'bxexit'::regnamespace AND p.proparallel = 's'
   AND p.proname IN ('bx_match', 'bx_verify', 'bx_identify', 'bx_decide_exit', 'bx_audit_search', 'bx_resolve_exit',
                     'bx_apply_retention', 'bx_enroll');
SELECT function_returns('bxexit', 'bx_threshold', ARRAY['text', 'text']::name[], 'real', 'bx_threshold returns real');
SELECT function_returns('bxexit', 'bx_resolve_exit', ARRAY['bigint', 'bigint', 'text']::name[], 'void', 'bx_resolve_exit returns void');

-- -------------------------------------------------------------- comments

SELECT is(array_agg(c.oid::regclass::text ORDER BY 1), NULL, 'every table and view of schema bxexit has a comment')
  FROM pg_class c
 WHERE c.relnamespace = 'bxexit'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm')
   AND obj_description(c.oid, 'pg_class') IS NULL;
SELECT is(count(*), 15::bigint, 'the records layer has its fifteen functions')
  FROM pg_proc p
 WHERE p.pronamespace = 'bxexit'::regnamespace
   AND p.proname IN ('bx_match', 'bx_verify', 'bx_identify', 'bx_decide_exit', 'bx_probe_threshold', 'bx_threshold',
                     'bx_audit_search',
                     'bx_resolve_exit', 'bx_citizen_photo_retention', 'bx_apply_retention',
                     'bx_admission_status', 'bx_overstay_report');
SELECT is(array_agg(p.oid::regprocedure::text ORDER BY 1), NULL, 'every function of the records layer has a comment')
  FROM pg_proc p
 WHERE p.pronamespace = 'bxexit'::regnamespace
   AND p.proname IN ('bx_match', 'bx_verify', 'bx_identify', 'bx_decide_exit', 'bx_probe_threshold', 'bx_threshold',
                     'bx_audit_search', 'bx_resolve_exit', 'bx_citizen_photo_retention', 'bx_apply_retention',
                     'bx_admission_status', 'bx_overstay_report')
   AND obj_description(p.oid, 'pg_proc') IS NULL;
SELECT is(array_agg(c.oid::regclass::text || '.' || a.attname ORDER BY 1), NULL,
          'exit_event.probe_photo has a comment (its retention rule)')
  FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
 WHERE c.oid = 'bxexit.exit_event'::regclass AND a.attname = 'probe_photo'
   AND col_description(c.oid, a.attnum) IS NULL;

-- ---------------------------------------------------------------- roles

SELECT is(array_agg(r.rolname::text ORDER BY r.rolname::text), ARRAY['bxexit_admin', 'bxexit_analyst', 'bxexit_gate'],
          'CREATE EXTENSION leaves the three bxexit roles')
  FROM pg_roles r WHERE r.rolname LIKE 'bxexit\_%';
SELECT is(r.rolcanlogin OR r.rolsuper OR r.rolcreaterole OR r.rolcreatedb OR r.rolreplication OR r.rolbypassrls,
          false, r.rolname || ' is NOLOGIN without any role attribute')
  FROM pg_roles r WHERE r.rolname IN ('bxexit_gate', 'bxexit_analyst', 'bxexit_admin') ORDER BY r.rolname;

SELECT * FROM finish();
ROLLBACK;
