-- pgTAP: the three bxexit roles get exactly their privileges on the records
-- layer, and nothing goes to PUBLIC; then each is proved by what a member
-- of the role can and cannot do (SET ROLE in this transaction):
-- bxexit_gate calls bx_match and reads nothing; bxexit_analyst reads the
-- overstay views and exit decisions but no templates or photos;
-- bxexit_admin searches (audited), resolves, applies retention and cannot
-- write the exit events or the audit log.  One rolled-back transaction.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
-- the extension is committed beforehand (scripts/test.sh): searches commit their
-- audit rows in another session, which must see the extension's tables
CREATE EXTENSION IF NOT EXISTS bxexit;
SET search_path = public;
SELECT plan(375);

-- =================================================== privileges, catalog

SELECT schema_privs_are('bxexit', r, ARRAY['USAGE'], r || ' has USAGE (only) on schema bxexit')
  FROM unnest(ARRAY['bxexit_gate', 'bxexit_analyst', 'bxexit_admin']) r;
SELECT is(array_agg(r.rolname::text || ' in ' || g.rolname::text), NULL,
          'the bxexit roles are members of no other role')
  FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member JOIN pg_roles g ON g.oid = m.roleid
 WHERE r.rolname IN ('bxexit_gate', 'bxexit_analyst', 'bxexit_admin');

-- tables and views: gate nothing; analyst reads the overstay inputs; admin
-- maintains the records and only reads exit events and the audit log
SELECT table_privs_are('bxexit', t, r, privs, r || ' has ' ||
                       CASE WHEN privs = '{}' THEN 'no privilege' ELSE array_to_string(privs, ', ') END || ' on ' || t)
  FROM (VALUES
        ('person', 'bxexit_gate', '{}'::name[]),
        ('person', 'bxexit_analyst', '{SELECT}'),
        ('person', 'bxexit_admin', '{SELECT,INSERT,UPDATE,DELETE}'),
        ('travel_document', 'bxexit_gate', '{}'),
        ('travel_document', 'bxexit_analyst', '{}'),
        ('travel_document', 'bxexit_admin', '{SELECT,INSERT,UPDATE,DELETE}'),
        ('enrollment', 'bxexit_gate', '{}'),
        ('enrollment', 'bxexit_analyst', '{}'),
        ('enrollment', 'bxexit_admin', '{SELECT,INSERT,UPDATE,DELETE}'),
        ('class_of_admission', 'bxexit_gate', '{}'),
        ('class_of_admission', 'bxexit_analyst', '{SELECT}'),
        ('admission', 'bxexit_gate', '{}'),
        ('admission', 'bxexit_analyst', '{SELECT}'),
        ('admission', 'bxexit_admin', '{SELECT,INSERT,UPDATE,DELETE}'),
        ('flight', 'bxexit_gate', '{}'),
        ('flight', 'bxexit_analyst', '{SELECT}'),
        ('flight', 'bxexit_admin', '{SELECT,INSERT,UPDATE,DELETE}'),
        ('manifest', 'bxexit_gate', '{}'),
        ('manifest', 'bxexit_analyst', '{SELECT}'),
        ('manifest', 'bxexit_admin', '{SELECT,INSERT,UPDATE,DELETE}'),
        ('match_threshold', 'bxexit_gate', '{}'),
        ('match_threshold', 'bxexit_analyst', '{SELECT}'),
        ('exit_event', 'bxexit_gate', '{}'),
        ('exit_event', 'bxexit_analyst', '{}'),
        ('exit_event', 'bxexit_admin', '{SELECT}'),
        ('search_audit', 'bxexit_gate', '{}'),
        ('search_audit', 'bxexit_analyst', '{}'),
        ('search_audit', 'bxexit_admin', '{SELECT}'),
        ('lead_departure_without_admission', 'bxexit_gate', '{}'),
        ('lead_departure_without_admission', 'bxexit_analyst', '{SELECT}'),
        ('lead_departure_without_admission', 'bxexit_admin', '{SELECT}'),
        ('lead_gate_match_not_on_manifest', 'bxexit_gate', '{}'),
        ('lead_gate_match_not_on_manifest', 'bxexit_analyst', '{SELECT}'),
        ('lead_gate_match_not_on_manifest', 'bxexit_admin', '{SELECT}'),
        ('lead_boarded_not_confirmed', 'bxexit_gate', '{}'),
        ('lead_boarded_not_confirmed', 'bxexit_analyst', '{SELECT}'),
        ('lead_boarded_not_confirmed', 'bxexit_admin', '{SELECT}'),
        ('departure', 'bxexit_gate', '{}'),
        ('departure', 'bxexit_analyst', '{SELECT}'),
        ('departure', 'bxexit_admin', '{SELECT}'),
        ('admission_status', 'bxexit_gate', '{}'),
        ('admission_status', 'bxexit_analyst', '{SELECT}'),
        ('admission_status', 'bxexit_admin', '{SELECT}'),
        ('gate_anomaly', 'bxexit_gate', '{}'),
        ('gate_anomaly', 'bxexit_analyst', '{}'),
        ('gate_anomaly', 'bxexit_admin', '{SELECT}'),
        ('match_demographics', 'bxexit_gate', '{}'),
        ('match_demographics', 'bxexit_analyst', '{SELECT}'),
        ('match_demographics', 'bxexit_admin', '{SELECT}'),
        ('manifest_staging', 'bxexit_gate', '{}'),
        ('manifest_staging', 'bxexit_analyst', '{}'),
        ('manifest_staging', 'bxexit_admin', '{SELECT,INSERT,DELETE,TRUNCATE}'),
        ('manifest_rejected', 'bxexit_gate', '{}'),
        ('manifest_rejected', 'bxexit_analyst', '{}'),
        ('manifest_rejected', 'bxexit_admin', '{SELECT}'),
        ('departure_manifest', 'bxexit_gate', '{}'),
        ('departure_manifest', 'bxexit_analyst', '{}'),
        ('departure_manifest', 'bxexit_admin', '{SELECT}'),
        ('departure_link', 'bxexit_gate', '{}'),
        ('departure_link', 'bxexit_analyst', '{SELECT}'),
        ('departure_link', 'bxexit_admin', '{SELECT}'),
        ('departure_manifest_link', 'bxexit_gate', '{}'),
        ('departure_manifest_link', 'bxexit_analyst', '{SELECT}'),
        ('departure_manifest_link', 'bxexit_admin', '{SELECT}')) v(t, r, privs);
-- departures without document numbers: the analyst's column grant
SELECT is(array_agg(a.attname::text ORDER BY a.attname::text),
          ARRAY['boarding_status', 'citizenship', 'date_of_birth', 'departure_manifest_id', 'family_name', 'flight_id',
                'given_names', 'loaded_at', 'loaded_by', 'name_key', 'seat', 'sex'],
          'bxexit_analyst may SELECT the departure manifest columns but the document ones')
  FROM pg_attribute a
 WHERE a.attrelid = 'bxexit.departure_manifest'::regclass AND a.attnum > 0 AND NOT a.attisdropped
   AND has_column_privilege('bxexit_analyst', a.attrelid, a.attnum, 'SELECT');
SELECT is(array_agg(r || ' on ' || t ORDER BY 1), NULL,
          'no bxexit role may insert, update or delete departure_manifest, manifest_rejected or departure_link')
  FROM unnest(ARRAY['departure_manifest', 'manifest_rejected', 'departure_link']) t,
       unnest(ARRAY['bxexit_gate', 'bxexit_analyst', 'bxexit_admin']) r
 WHERE has_any_column_privilege(r, 'bxexit.' || t, 'INSERT, UPDATE')
    OR has_table_privilege(r, 'bxexit.' || t, 'DELETE, TRUNCATE');

-- reference tables: builtin rows are not dumped (the script inserts them
-- again), so an admin may add rows but neither flag one builtin nor change
-- or delete a builtin one: pg_dump would silently lose or revert it
SELECT ok(has_table_privilege('bxexit_admin', 'bxexit.' || t, 'SELECT')
          AND NOT has_table_privilege('bxexit_admin', 'bxexit.' || t, 'TRUNCATE, REFERENCES, TRIGGER'),
          'bxexit_admin reads ' || t || ' and cannot truncate it')
  FROM unnest(ARRAY['class_of_admission', 'match_threshold']) t;
SELECT ok(has_column_privilege('bxexit_admin', 'bxexit.' || t, c, 'INSERT'), 'bxexit_admin may insert ' || t || '.' || c)
  FROM (VALUES ('class_of_admission', 'code'), ('match_threshold', 'threshold')) v(t, c);
SELECT column_privs_are('bxexit', t, 'builtin', 'bxexit_admin', ARRAY['SELECT'],
                        'bxexit_admin cannot set or change ' || t || '.builtin (builtin rows are not dumped)')
  FROM unnest(ARRAY['class_of_admission', 'match_threshold']) t;

-- exit decisions without the probe: the analyst's column grant
SELECT is(array_agg(a.attname::text ORDER BY a.attname::text),
          ARRAY['capture_quality', 'decision', 'exit_event_id', 'flight_id', 'gallery_size', 'model', 'occurred_at', 'person_id',
                'probe_purged_at', 'probe_source', 'quality_component', 'reason', 'recorded_by', 'requested_flight_id', 'resolution_note', 'resolved_at',
                'resolved_by', 'resolved_person_id', 'runner_up_score', 'score', 'threshold'],
          'bxexit_analyst may SELECT exactly the decision columns of exit_event')
  FROM pg_attribute a
 WHERE a.attrelid = 'bxexit.exit_event'::regclass AND a.attnum > 0 AND NOT a.attisdropped
   AND has_column_privilege('bxexit_analyst', a.attrelid, a.attnum, 'SELECT');
SELECT column_privs_are('bxexit', 'exit_event', c, 'bxexit_analyst', '{}'::name[],
                        'bxexit_analyst has no privilege on exit_event.' || c)
  FROM unnest(ARRAY['probe_photo', 'probe_template']) c;
SELECT is(array_agg(t ORDER BY t), NULL,
          'bxexit_analyst has no privilege on any column of enrollment, travel_document, search_audit')
  FROM unnest(ARRAY['enrollment', 'travel_document', 'search_audit']) t
 WHERE has_any_column_privilege('bxexit_analyst', 'bxexit.' || t, 'SELECT, INSERT, UPDATE, REFERENCES');
SELECT is(array_agg(c.oid::regclass::text ORDER BY 1), NULL,
          'bxexit_gate has no privilege on any column of any table or view of schema bxexit')
  FROM pg_class c
 WHERE c.relnamespace = 'bxexit'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm')
   AND has_any_column_privilege('bxexit_gate', c.oid, 'SELECT, INSERT, UPDATE, REFERENCES');
SELECT is(array_agg(r || ' on ' || t ORDER BY 1), NULL,
          'no bxexit role may insert or update any column of exit_event or search_audit')
  FROM unnest(ARRAY['exit_event', 'search_audit']) t,
       unnest(ARRAY['bxexit_gate', 'bxexit_analyst', 'bxexit_admin']) r
 WHERE has_any_column_privilege(r, 'bxexit.' || t, 'INSERT, UPDATE');
SELECT is(array_agg(r || ' on ' || c.relname ORDER BY 1), NULL,
          'no bxexit role and not PUBLIC has a privilege on an identity sequence')
  FROM pg_class c, unnest(ARRAY['bxexit_gate', 'bxexit_analyst', 'bxexit_admin', 'public']) r
 WHERE c.relnamespace = 'bxexit'::regnamespace AND c.relkind = 'S'
   AND has_sequence_privilege(r, c.oid, 'USAGE, SELECT, UPDATE');
SELECT is(count(*), 10::bigint, 'schema bxexit holds the ten identity sequences checked above')
  FROM pg_class c WHERE c.relnamespace = 'bxexit'::regnamespace AND c.relkind = 'S';

-- nothing to PUBLIC
SELECT is(array_agg(c.oid::regclass::text || ':' || a.privilege_type ORDER BY 1), NULL,
          'no table, view or sequence of schema bxexit grants anything to PUBLIC')
  FROM pg_class c, aclexplode(c.relacl) a
 WHERE c.relnamespace = 'bxexit'::regnamespace AND a.grantee = 0;
SELECT is(array_agg(c.oid::regclass::text || '.' || att.attname ORDER BY 1), NULL,
          'no column of schema bxexit grants anything to PUBLIC')
  FROM pg_class c JOIN pg_attribute att ON att.attrelid = c.oid, aclexplode(att.attacl) a
 WHERE c.relnamespace = 'bxexit'::regnamespace AND a.grantee = 0;
SELECT is(array_agg(p.oid::regprocedure::text ORDER BY 1), NULL,
          'no SQL or PL/pgSQL function of schema bxexit is executable by PUBLIC')
  FROM pg_proc p
 WHERE p.pronamespace = 'bxexit'::regnamespace
   AND p.prolang IN (SELECT oid FROM pg_language WHERE lanname IN ('sql', 'plpgsql'))
   AND has_function_privilege('public', p.oid, 'EXECUTE');

-- functions: the exact grantees of each function of the records layer
SELECT function_privs_are('bxexit', f, args, r,
                          CASE WHEN r = ANY (grantees) THEN ARRAY['EXECUTE'] ELSE '{}' END::name[],
                          r || CASE WHEN r = ANY (grantees) THEN ' may' ELSE ' may not' END
                            || ' execute ' || f || '(' || array_to_string(args, ', ') || ')')
  FROM (VALUES
        ('bx_match', '{bytea,bigint,text}'::name[], '{bxexit_gate,bxexit_admin}'::text[]),
        ('bx_match', '{bxexit.face_embedding,bigint}', '{bxexit_admin}'),
        ('bx_verify', '{bytea,bigint}', '{bxexit_admin}'),
        ('bx_verify', '{bxexit.face_embedding,bigint}', '{bxexit_admin}'),
        ('bx_identify', '{bytea,integer}', '{bxexit_admin}'),
        ('bx_identify', '{bxexit.face_embedding,integer}', '{bxexit_admin}'),
        ('bx_resolve_exit', '{bigint,bigint,text}', '{bxexit_admin}'),
        ('bx_enroll', '{bigint,bytea,text,timestamptz,text}', '{bxexit_admin}'),
        ('bx_apply_retention', '{}', '{bxexit_admin}'),
        ('bx_citizen_photo_retention', '{}', '{bxexit_admin}'),
        ('bx_admission_status', '{date,timestamptz}', '{bxexit_analyst,bxexit_admin}'),
        ('bx_overstay_report', '{integer,date,timestamptz}', '{bxexit_analyst,bxexit_admin}'),
        ('bx_overstay_summary', '{integer,date,timestamptz}', '{bxexit_analyst,bxexit_admin}'),
        ('bx_departures', '{timestamptz}', '{bxexit_analyst,bxexit_admin}'),
        ('bx_admission_citizenship', '{}', '{}'),
        ('bx_threshold', '{text,text}', '{bxexit_analyst,bxexit_admin}'),
        ('bx_probe_threshold', '{bxexit.face_embedding,text}', '{}'),
        ('bx_decide_exit', '{bxexit.face_embedding,bytea,text,bigint,text,text,real,text}', '{}'),
        ('bx_audit_search', '{text,text,bigint,bigint,integer,bigint,integer,bigint,real,text,bigint}', '{}'),
        ('bx_durable_insert', '{regclass,jsonb}', '{}'),
        ('bx_gate_settings', '{}', '{}'),
        ('bx_gate_nomatch_count', '{bigint,interval,integer}', '{}'),
        ('bx_gate_throttled', '{bigint}', '{}'),
        ('bx_flight_date_guard', '{}', '{}'),
        ('bx_plausible_date', '{date}', '{bxexit_admin}'),
        ('bx_normalize_name', '{text}', '{bxexit_analyst,bxexit_admin}'),
        ('bx_name_key', '{text,text}', '{bxexit_analyst,bxexit_admin}'),
        ('bx_name_distance', '{text,text}', '{bxexit_analyst,bxexit_admin}'),
        ('bx_name_similarity', '{text,text}', '{bxexit_analyst,bxexit_admin}'),
        ('bx_parse_date', '{text}', '{}'),
        ('bx_load_departure_manifests', '{integer}', '{bxexit_admin}'),
        ('bx_link_departures', '{real,real}', '{bxexit_admin}'),
        ('bx_departure_candidates', '{bigint}', '{bxexit_admin}'),
        ('bx_resolve_departure', '{bigint,bigint,text}', '{bxexit_admin}'),
        ('bx_det_curve', '{float8[],float8[]}', '{bxexit_analyst,bxexit_admin}'),
        ('bx_det_eer', '{float8[],float8[]}', '{bxexit_analyst,bxexit_admin}'),
        ('bx_det_point', '{float8[],float8[],float8}', '{bxexit_analyst,bxexit_admin}'),
        ('bx_identification_point', '{float8[],float8[],float8,integer}', '{bxexit_analyst,bxexit_admin}'),
        ('bx_labelled_scores', '{regclass,name,name,integer}', '{bxexit_analyst,bxexit_admin}'),
        ('bx_adopt_verification_threshold', '{text,float8[],float8[],float8,text,timestamptz}', '{bxexit_admin}'),
        ('bx_adopt_identification_threshold', '{text,float8[],float8[],float8,integer,text,timestamptz}', '{bxexit_admin}'),
        ('bx_gallery', '{}', '{bxexit_admin}'),
        ('bx_set_gallery', '{regclass}', '{bxexit_admin}'),
        ('bx_gallery_shards', '{}', '{bxexit_admin}'),
        ('bx_gallery_nearest_sql', '{regclass,integer,text}', '{}'),
        ('bx_gallery_failure', '{text,text,text,text}', '{}')) v(f, args, grantees),
       unnest(ARRAY['bxexit_gate', 'bxexit_analyst', 'bxexit_admin', 'public']) r;

-- ================================================== privileges, behaviour

-- f(sql): the first column of the first row of sql run as the current
-- role, or 'ERROR <sqlstate>': a denied call fails one test, not the file
CREATE FUNCTION pg_temp.tap_try(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	r text;
BEGIN
	EXECUTE q INTO r;
	RETURN r;
EXCEPTION WHEN OTHERS THEN
	RETURN 'ERROR ' || SQLSTATE;
END
$$;

CREATE ROLE bx_tap_gate NOLOGIN IN ROLE bxexit_gate;
CREATE ROLE bx_tap_analyst NOLOGIN IN ROLE bxexit_analyst;
CREATE ROLE bx_tap_admin NOLOGIN IN ROLE bxexit_admin;
CREATE ROLE bx_tap_outsider NOLOGIN;
GRANT USAGE ON SCHEMA bxexit TO bx_tap_outsider;

-- a flight with two travellers on its manifest, each with one template
INSERT INTO bxexit.person (fin, family_name, given_names, citizenship)
VALUES ('TAPUSA0001', 'Able', 'Alice', 'USA') RETURNING person_id AS alice \gset
INSERT INTO bxexit.person (fin, family_name, given_names, citizenship)
VALUES ('TAPFRA0001', 'Brun', 'Bruno', 'FRA') RETURNING person_id AS bruno \gset
INSERT INTO bxexit.flight (carrier, flight_number, departure_airport, arrival_airport, departure_date)
VALUES ('ZZ', '101', 'IAD', 'CDG', '2024-07-01') RETURNING flight_id AS flight \gset
INSERT INTO bxexit.manifest (flight_id, person_id) VALUES (:flight, :alice), (:flight, :bruno);
INSERT INTO bxexit.enrollment (person_id, source, captured_at, template, photo) VALUES
	(:alice, 'passport', now(), bxexit.bx_set_model('[1,0,0,0]', 'mobilefacenet-v1'), '\x0a'),
	(:bruno, 'visa', now(), bxexit.bx_set_model('[0,1,0,0]', 'mobilefacenet-v1'), '\x0b');
INSERT INTO bxexit.admission (admission_number, person_id, class_of_admission, port_of_entry, admitted_on, admit_until)
VALUES ('TAPB0000001', :bruno, 'B2', 'IAD', '2024-05-01', '2024-10-31');

-- ------------------------------------------------------------------ gate

SET ROLE bx_tap_gate;
-- gates send photos; the template overload is withheld from them, since
-- scores of chosen vectors would let a gate hill-climb towards a template
SELECT is(pg_temp.tap_try(format($$SELECT m.decision || '/' || m.reason
                                      FROM bxexit.bx_match(NULL::bytea, %s) m$$, :flight)),
          'no_match/no_photo', 'gate: bx_match(photo, flight) decides and records (here: no photo)');
SELECT throws_ok(format($$SELECT * FROM bxexit.bx_match(bxexit.bx_set_model('[0.1,1,0,0]', 'mobilefacenet-v1'), %s)$$, :flight),
                 '42501', NULL, 'gate: cannot call bx_match(template, flight)');
SELECT throws_ok($$SELECT template FROM bxexit.enrollment$$, '42501', NULL, 'gate: cannot read templates (enrollment)');
SELECT throws_ok($$SELECT photo FROM bxexit.enrollment$$, '42501', NULL, 'gate: cannot read enrollment photos');
SELECT throws_ok($$SELECT family_name FROM bxexit.person$$, '42501', NULL, 'gate: cannot read person');
SELECT throws_ok($$SELECT probe_photo FROM bxexit.exit_event$$, '42501', NULL, 'gate: cannot read exit_event');
SELECT throws_ok($$SELECT decision FROM bxexit.exit_event$$, '42501', NULL, 'gate: cannot read even the decisions of exit_event');
SELECT throws_ok($$SELECT * FROM bxexit.search_audit$$, '42501', NULL, 'gate: cannot read search_audit');
SELECT throws_ok($$SELECT * FROM bxexit.manifest$$, '42501', NULL, 'gate: cannot read the manifest');
SELECT throws_ok($$SELECT * FROM bxexit.departure$$, '42501', NULL, 'gate: cannot read departure');
SELECT throws_ok($$SELECT * FROM bxexit.admission_status$$, '42501', NULL, 'gate: cannot read admission_status');
SELECT throws_ok($$SELECT * FROM bxexit.bx_identify(bxexit.bx_set_model('[1,0,0,0]', 'mobilefacenet-v1'), 5)$$,
                 '42501', NULL, 'gate: cannot call bx_identify (1:N over everyone)');
SELECT throws_ok(format($$SELECT * FROM bxexit.bx_verify(bxexit.bx_set_model('[1,0,0,0]', 'mobilefacenet-v1'), %s)$$, :alice),
                 '42501', NULL, 'gate: cannot call bx_verify');
SELECT throws_ok($$SELECT bxexit.bx_resolve_exit(1, 1)$$, '42501', NULL, 'gate: cannot call bx_resolve_exit');
SELECT throws_ok($$SELECT * FROM bxexit.bx_apply_retention()$$, '42501', NULL, 'gate: cannot call bx_apply_retention');
SELECT throws_ok(format($$SELECT bxexit.bx_enroll(%s, '\x01', 'exit', now())$$, :alice), '42501', NULL,
                 'gate: cannot call bx_enroll');
SELECT throws_ok($$SELECT * FROM bxexit.bx_admission_status()$$, '42501', NULL, 'gate: cannot call bx_admission_status');
SELECT throws_ok(format($$INSERT INTO bxexit.exit_event (requested_flight_id, flight_id, decision, person_id)
                          VALUES (%s, %s, 'match', %s)$$, :flight, :flight, :alice),
                 '42501', NULL, 'gate: cannot forge an exit event');
SELECT throws_ok($$SELECT bxexit.bx_audit_search('verify', 'mobilefacenet-v1', outcome => 'match')$$, '42501', NULL,
                 'gate: cannot forge an audit row through bx_audit_search');
SELECT throws_ok($$SELECT bxexit.bx_durable_insert('bxexit.search_audit', '{"search": "match"}')$$, '42501', NULL,
                 'gate: cannot write a durable row through bx_durable_insert');
SELECT throws_ok($$SELECT * FROM bxexit.gate_anomaly$$, '42501', NULL, 'gate: cannot read gate_anomaly');
RESET ROLE;

-- an admin matches a template (e.g. from another capture system)
SET ROLE bx_tap_admin;
SELECT is(pg_temp.tap_try(format($$SELECT m.decision || '/' || coalesce(m.reason, '-') || '/' || (m.exit_event_id IS NOT NULL)
                                      FROM bxexit.bx_match(bxexit.bx_set_model('[0.1,1,0,0]', 'mobilefacenet-v1'), %s) m$$, :flight)),
          'match/-/true', 'admin: bx_match(template, flight) matches the traveller');
SELECT is(pg_temp.tap_try(format($$SELECT x.person_id || '/' || x.probe_source FROM bxexit.exit_event x
                                    WHERE x.flight_id = %s AND x.decision = 'match'$$, :flight)),
          :bruno || '/template', 'admin: the event names the traveller and says a template, not a photo, was matched');
-- an admin may enrol: these calls pass the privilege check and stop at the
-- checks made before the photo is embedded (no face models needed here)
SELECT is(pg_temp.tap_try(format($$SELECT bxexit.bx_enroll(%s, NULL, 'visa', now())$$, :alice)),
          'ERROR 22004', 'admin: bx_enroll refuses a NULL photo (22004), not the call');
SELECT is(pg_temp.tap_try($$SELECT bxexit.bx_enroll(-1, '\x01', 'visa', now())$$),
          'ERROR 23503', 'admin: bx_enroll refuses an unknown person (23503)');
RESET ROLE;

SELECT is((SELECT count(*) FROM bxexit.exit_event WHERE flight_id = :flight), 2::bigint,
          'the two calls recorded two exit events');
SELECT is((SELECT string_agg(a.search || '/' || a.outcome, ',' ORDER BY a.audit_id)
             FROM bxexit.search_audit a JOIN bxexit.exit_event x USING (exit_event_id)),
          'match/no_photo,match/match', 'each search wrote one audit row, tied to its exit event');
SELECT exit_event_id AS ev_no_match FROM bxexit.exit_event WHERE decision = 'no_match' \gset

-- --------------------------------------------------------------- analyst

SET ROLE bx_tap_analyst;
SELECT is(pg_temp.tap_try($$SELECT status FROM bxexit.admission_status WHERE admission_number = 'TAPB0000001'$$),
          'in_time', 'analyst: admission_status shows the admission closed by the gate''s match');
SELECT is(pg_temp.tap_try($$SELECT string_agg(r.country_of_citizenship || '/' || r.class_group || '/' ||
                                               r.expected_departures || '/' || r.in_time_departures, ';')
                              FROM bxexit.bx_overstay_report(2025) r$$),
          'FRA/B1B2/1/1', 'analyst: bx_overstay_report counts the admission in fiscal year 2025');
SELECT is(pg_temp.tap_try($$SELECT count(*) FROM bxexit.departure$$), '1', 'analyst: reads departure');
SELECT is(pg_temp.tap_try($$SELECT count(*) FROM (SELECT exit_event_id, decision, reason, person_id, score, threshold,
                                                         gallery_size, recorded_by FROM bxexit.exit_event) x$$),
          '2', 'analyst: reads the decision columns of exit_event');
SELECT is(pg_temp.tap_try($$SELECT count(*) FROM bxexit.person$$), '2', 'analyst: reads person');
SELECT throws_ok($$SELECT probe_photo FROM bxexit.exit_event$$, '42501', NULL, 'analyst: cannot read exit_event.probe_photo');
SELECT throws_ok($$SELECT probe_template FROM bxexit.exit_event$$, '42501', NULL, 'analyst: cannot read exit_event.probe_template');
SELECT throws_ok($$SELECT * FROM bxexit.exit_event$$, '42501', NULL, 'analyst: SELECT * FROM exit_event is refused (probe columns)');
SELECT throws_ok($$SELECT template FROM bxexit.enrollment$$, '42501', NULL, 'analyst: cannot read enrollment.template');
SELECT throws_ok($$SELECT photo FROM bxexit.enrollment$$, '42501', NULL, 'analyst: cannot read enrollment.photo');
SELECT throws_ok($$SELECT * FROM bxexit.search_audit$$, '42501', NULL, 'analyst: cannot read search_audit');
SELECT throws_ok(format($$SELECT * FROM bxexit.bx_match(bxexit.bx_set_model('[1,0,0,0]', 'mobilefacenet-v1'), %s)$$, :flight),
                 '42501', NULL, 'analyst: cannot call bx_match');
SELECT throws_ok($$SELECT * FROM bxexit.bx_identify(bxexit.bx_set_model('[1,0,0,0]', 'mobilefacenet-v1'), 5)$$,
                 '42501', NULL, 'analyst: cannot call bx_identify');
SELECT throws_ok(format($$SELECT * FROM bxexit.bx_verify(bxexit.bx_set_model('[1,0,0,0]', 'mobilefacenet-v1'), %s)$$, :alice),
                 '42501', NULL, 'analyst: cannot call bx_verify');
SELECT throws_ok($$INSERT INTO bxexit.person (family_name, citizenship) VALUES ('X', 'FRA')$$, '42501', NULL,
                 'analyst: cannot write person');
SELECT throws_ok(format($$SELECT bxexit.bx_enroll(%s, '\x01', 'visa', now())$$, :alice), '42501', NULL,
                 'analyst: cannot call bx_enroll');
SELECT throws_ok($$SELECT bxexit.bx_audit_search('verify', 'mobilefacenet-v1', outcome => 'match')$$, '42501', NULL,
                 'analyst: cannot forge an audit row through bx_audit_search');
RESET ROLE;

-- ----------------------------------------------------------------- admin

SELECT coalesce(max(audit_id), 0) AS audit0 FROM bxexit.search_audit \gset
SET ROLE bx_tap_admin;
SELECT is(pg_temp.tap_try($$SELECT string_agg(i.person_id::text, ',' ORDER BY i.rank)
                              FROM bxexit.bx_identify(bxexit.bx_set_model('[1,0.1,0,0]', 'mobilefacenet-v1'), 2) i$$),
          :alice || ',' || :bruno, 'admin: bx_identify ranks the enrolled people');
SELECT is(pg_temp.tap_try(format($$SELECT count(*) FROM bxexit.search_audit WHERE audit_id > %s$$, :audit0)), '1',
          'admin: bx_identify wrote exactly one audit row');
SELECT is(pg_temp.tap_try(format($$SELECT a.search || '/' || a.k || '/' || a.top_person_id || '/' || a.searched_by
                                     FROM bxexit.search_audit a WHERE audit_id > %s$$, :audit0)),
          'identify/2/' || :alice || '/' || session_user, 'admin: the audit row says who searched, what and the top candidate');
SELECT throws_ok($$SELECT bxexit.bx_audit_search('verify', 'mobilefacenet-v1', outcome => 'match')$$, '42501', NULL,
                 'admin: cannot forge an audit row through bx_audit_search (only the searches write audit rows)');
RESET ROLE;
SELECT max(audit_id) AS audit1 FROM bxexit.search_audit \gset
SET ROLE bx_tap_admin;
SELECT is(pg_temp.tap_try(format($$SELECT v.decision FROM bxexit.bx_verify(bxexit.bx_set_model('[1,0.1,0,0]', 'mobilefacenet-v1'), %s) v$$, :alice)),
          'match', 'admin: bx_verify confirms the claimed person');
SELECT is(pg_temp.tap_try(format($$SELECT count(*) FROM bxexit.search_audit WHERE audit_id > %s$$, :audit1)), '1',
          'admin: bx_verify wrote exactly one audit row');
SELECT is(pg_temp.tap_try(format($$SELECT a.search || '/' || a.claimed_person_id || '/' || a.outcome
                                     FROM bxexit.search_audit a WHERE audit_id > %s$$, :audit1)),
          'verify/' || :alice || '/match', 'admin: the verify audit row names the claimed person and the outcome');
SELECT is(pg_temp.tap_try(format($$SELECT v.decision || '/' || v.reason
                                     FROM bxexit.bx_verify(bxexit.bx_set_model('[1,0.1,0,0]', 'mobilefacenet-v1'), %s) v$$, :bruno)),
          'no_match/below_threshold', 'admin: bx_verify refuses another person''s claim');
SELECT is(pg_temp.tap_try($$SELECT count(template) FROM bxexit.enrollment$$), '2', 'admin: reads templates');
SELECT is(pg_temp.tap_try($$INSERT INTO bxexit.flight (carrier, flight_number, departure_airport, arrival_airport, departure_date)
                             VALUES ('ZZ', '202', 'IAD', 'LHR', '2024-07-02') RETURNING 'inserted'$$),
          'inserted', 'admin: adds a flight (identity key without sequence privileges)');
SELECT throws_ok(format($$INSERT INTO bxexit.exit_event (requested_flight_id, flight_id, decision, person_id)
                          VALUES (%s, %s, 'match', %s)$$, :flight, :flight, :alice),
                 '42501', NULL, 'admin: cannot INSERT into exit_event');
SELECT throws_ok($$UPDATE bxexit.exit_event SET decision = 'no_match', reason = 'x', person_id = NULL$$,
                 '42501', NULL, 'admin: cannot UPDATE exit_event');
SELECT throws_ok($$DELETE FROM bxexit.exit_event$$, '42501', NULL, 'admin: cannot DELETE from exit_event');
SELECT throws_ok($$TRUNCATE bxexit.exit_event$$, '42501', NULL, 'admin: cannot TRUNCATE exit_event');
SELECT throws_ok($$INSERT INTO bxexit.search_audit (search) VALUES ('verify')$$, '42501', NULL,
                 'admin: cannot INSERT into search_audit');
SELECT throws_ok($$UPDATE bxexit.search_audit SET searched_by = 'someone_else'$$, '42501', NULL,
                 'admin: cannot UPDATE search_audit');
SELECT throws_ok($$DELETE FROM bxexit.search_audit$$, '42501', NULL, 'admin: cannot DELETE from search_audit');
SELECT throws_ok($$TRUNCATE bxexit.search_audit$$, '42501', NULL, 'admin: cannot TRUNCATE search_audit');
SELECT is(pg_temp.tap_try(format($$SELECT 'resolved' FROM bxexit.bx_resolve_exit(%s, %s, 'passport checked at the gate')$$,
                                 :ev_no_match, :alice)),
          'resolved', 'admin: bx_resolve_exit resolves a no-match');
SELECT is(pg_temp.tap_try(format($$SELECT d.evidence_level || '/' || d.departed_on FROM bxexit.departure d WHERE d.person_id = %s$$, :alice)),
          'officer/2024-07-01', 'admin: the resolved no-match is a departure confirmed by an officer');
SELECT is(pg_temp.tap_try(format($$SELECT x.resolved_by FROM bxexit.exit_event x WHERE x.exit_event_id = %s$$, :ev_no_match)),
          session_user::text, 'admin: the resolution records who resolved it');
SELECT throws_ok(format($$SELECT bxexit.bx_resolve_exit(%s, %s)$$, :ev_no_match, :bruno), '22023', NULL,
                 'admin: a resolved exit event cannot be resolved again');
RESET ROLE;

-- retention: old probes of a US citizen and of a foreign traveller, and an
-- old exit enrollment of the US citizen
INSERT INTO bxexit.exit_event (occurred_at, requested_flight_id, flight_id, decision, person_id, model,
                               probe_template, probe_photo, probe_source) VALUES
	(now() - interval '2 days', :flight, :flight, 'match', :alice, 'mobilefacenet-v1',
	 bxexit.bx_set_model('[1,0,0,0]', 'mobilefacenet-v1'), '\x01', 'photo'),
	(now() - interval '2 days', :flight, :flight, 'match', :bruno, 'mobilefacenet-v1',
	 bxexit.bx_set_model('[0,1,0,0]', 'mobilefacenet-v1'), '\x02', 'photo');
INSERT INTO bxexit.enrollment (person_id, source, captured_at, template)
VALUES (:alice, 'exit', now() - interval '2 days', bxexit.bx_set_model('[1,0,0,0]', 'mobilefacenet-v1'));

SET ROLE bx_tap_admin;
SELECT is(pg_temp.tap_try($$SELECT r.probes_purged || '/' || r.enrollments_deleted FROM bxexit.bx_apply_retention() r$$),
          '1/1', 'admin: bx_apply_retention purges the US citizen''s old probe and exit enrollment');

-- the builtin contract of the reference tables
SELECT is(coalesce(pg_temp.tap_try($$UPDATE bxexit.class_of_admission SET ds_grace_days = 90 WHERE code = 'F1' RETURNING code$$),
                   'ERROR 42501'), 'ERROR 42501',
          'admin: cannot change a builtin class of admission (pg_dump would revert it)');
SELECT is(coalesce(pg_temp.tap_try($$DELETE FROM bxexit.class_of_admission WHERE code = 'C1' RETURNING code$$),
                   'ERROR 42501'), 'ERROR 42501',
          'admin: cannot delete a builtin class of admission (a restore would bring it back)');
SELECT is(pg_temp.tap_try($$INSERT INTO bxexit.class_of_admission (code, class_group, description, report_scope, builtin)
                             VALUES ('T9', 'OTHER', 'test class', true, true) RETURNING 'inserted'$$),
          'ERROR 42501', 'admin: cannot insert a class flagged builtin (pg_dump would drop it)');
SELECT is(pg_temp.tap_try($$INSERT INTO bxexit.match_threshold (model, purpose, threshold, operating_point, method, builtin)
                             VALUES ('tap-builtin-model', 'verification', 0.5, 'test', 'test', true) RETURNING 'inserted'$$),
          'ERROR 42501', 'admin: cannot insert a threshold flagged builtin (pg_dump would drop it)');
SELECT is(pg_temp.tap_try($$INSERT INTO bxexit.class_of_admission (code, class_group, description, report_scope)
                             VALUES ('T8', 'OTHER', 'test class', true) RETURNING 'inserted'$$),
          'inserted', 'admin: adds a class of admission');
SELECT is(pg_temp.tap_try($$INSERT INTO bxexit.match_threshold (model, purpose, threshold, operating_point, method)
                             VALUES ('tap-model', 'verification', 0.5, 'test', 'test') RETURNING 'inserted'$$),
          'inserted', 'admin: adds a threshold');
SELECT throws_ok($$UPDATE bxexit.match_threshold SET threshold = 0.1$$, '42501', NULL,
                 'admin: cannot change a threshold in place (a newer row replaces it)');
SELECT throws_ok($$DELETE FROM bxexit.match_threshold$$, '42501', NULL, 'admin: cannot delete thresholds');
RESET ROLE;

SELECT is((SELECT string_agg(p.fin || ':' || (x.probe_photo IS NULL) || '/' || (x.probe_template IS NULL) || '/'
                             || (x.probe_purged_at IS NOT NULL), ',' ORDER BY p.fin)
             FROM bxexit.exit_event x JOIN bxexit.person p ON p.person_id = x.person_id
            WHERE x.occurred_at < now() - interval '1 day'),
          'TAPFRA0001:false/false/false,TAPUSA0001:true/true/true',
          'retention cleared the US citizen''s old probe only, and marked it purged');
SELECT is((SELECT string_agg(e.source, ',' ORDER BY e.source) FROM bxexit.enrollment e WHERE e.person_id = :alice),
          'passport', 'retention deleted the US citizen''s old exit enrollment, not her passport template');

-- -------------------------------------------------------------- outsider

-- USAGE on the schema (face_embedding users get it) but none of the roles
SET ROLE bx_tap_outsider;
SELECT is(pg_temp.tap_try($$SELECT bxexit.bx_similarity('m:[1,0]', 'm:[1,0]')$$), '1',
          'outsider: uses face_embedding (so the refusals below are EXECUTE and SELECT checks)');
SELECT throws_ok(format($$SELECT * FROM bxexit.bx_match(bxexit.bx_set_model('[0.1,1,0,0]', 'mobilefacenet-v1'), %s)$$, :flight),
                 '42501', NULL, 'outsider: cannot call bx_match(template, flight)');
SELECT throws_ok(format($$SELECT * FROM bxexit.bx_match('\xffd8'::bytea, %s)$$, :flight),
                 '42501', NULL, 'outsider: cannot call bx_match(photo, flight)');
SELECT throws_ok($$SELECT * FROM bxexit.bx_admission_status()$$, '42501', NULL, 'outsider: cannot call bx_admission_status');
SELECT throws_ok($$SELECT decision FROM bxexit.exit_event$$, '42501', NULL, 'outsider: cannot read exit_event');
SELECT throws_ok($$SELECT * FROM bxexit.match_threshold$$, '42501', NULL, 'outsider: cannot read match_threshold');
SELECT throws_ok($$SELECT bxexit.bx_audit_search('verify', 'mobilefacenet-v1', outcome => 'match')$$, '42501', NULL,
                 'outsider: cannot forge an audit row through bx_audit_search');
RESET ROLE;

-- ------------------------------------------------------- departures

-- an admin stages a manifest, loads and links it, and corrects a link; the
-- departure records and links are written only by those functions
SET ROLE bx_tap_admin;
SELECT lives_ok($$INSERT INTO bxexit.manifest_staging (carrier, flight_number, departure_date, family_name,
                    given_names, date_of_birth, citizenship, document_number, document_country)
                  VALUES ('ZZ', '101', '2024-07-01', 'Brun', 'Bruno', '1980-05-05', 'FRA', 'TAPDOC1', 'FRA'),
                         ('ZZ', '101', '2024-07-01', 'Brun', 'Bruno', 'not a date', 'FRA', NULL, NULL)$$,
                'admin: stages manifest rows');
SELECT is(pg_temp.tap_try($$SELECT rows_loaded || '/' || rows_rejected FROM bxexit.bx_load_departure_manifests()$$),
          '1/1', 'admin: bx_load_departure_manifests loads the good row and rejects the bad one');
SELECT is(pg_temp.tap_try($$SELECT reason FROM bxexit.manifest_rejected$$),
          'date_of_birth is not a date YYYY-MM-DD', 'admin: reads the rejected row and its reason');
SELECT is(pg_temp.tap_try($$SELECT string_agg(outcome || '=' || manifest_rows, ',') FROM bxexit.bx_link_departures()$$),
          'document=0,name_dob=0,fuzzy=0,ambiguous=0,no_candidate=1',
          'admin: bx_link_departures runs (Bruno has no birth date on record: no candidate)');
SELECT is(pg_temp.tap_try(format($$SELECT bxexit.bx_resolve_departure(m.departure_manifest_id, %s, 'gate check') IS NOT NULL
                                     FROM bxexit.departure_manifest m$$, :bruno)),
          'true', 'admin: bx_resolve_departure links the row');
SELECT is(pg_temp.tap_try($$SELECT count(*) FROM bxexit.bx_departure_candidates(
                               (SELECT departure_manifest_id FROM bxexit.departure_manifest))$$),
          '0', 'admin: bx_departure_candidates runs');
SELECT throws_ok($$INSERT INTO bxexit.departure_link (departure_manifest_id, person_id, tier, score)
                   SELECT departure_manifest_id, 1, 'document', 1 FROM bxexit.departure_manifest$$,
                 '42501', NULL, 'admin: cannot write a link directly');
SELECT throws_ok($$UPDATE bxexit.departure_link SET superseded_at = now()$$, '42501', NULL,
                 'admin: cannot rewrite the link history');
SELECT throws_ok($$UPDATE bxexit.departure_manifest SET loaded_at = now() - interval '1 year'$$, '42501', NULL,
                 'admin: cannot back-date a departure record');
SELECT throws_ok($$DELETE FROM bxexit.manifest_rejected$$, '42501', NULL, 'admin: cannot delete rejected rows');
RESET ROLE;

SET ROLE bx_tap_analyst;
SELECT is(pg_temp.tap_try($$SELECT tier || ':' || (person_id IS NOT NULL) FROM bxexit.departure_manifest_link$$),
          'officer:true', 'analyst: reads departures with their current link');
SELECT is(pg_temp.tap_try($$SELECT family_name || '/' || loaded_by FROM bxexit.departure_manifest$$),
          'Brun/' || session_user, 'analyst: reads the departure manifest''s biographic columns');
SELECT throws_ok($$SELECT document_number FROM bxexit.departure_manifest$$, '42501', NULL,
                 'analyst: cannot read document numbers of departure manifests');
SELECT throws_ok($$SELECT * FROM bxexit.manifest_staging$$, '42501', NULL, 'analyst: cannot read staged manifests');
SELECT throws_ok($$SELECT * FROM bxexit.manifest_rejected$$, '42501', NULL, 'analyst: cannot read rejected rows');
SELECT throws_ok($$SELECT * FROM bxexit.bx_link_departures()$$, '42501', NULL, 'analyst: cannot link departures');
RESET ROLE;

SET ROLE bx_tap_gate;
SELECT throws_ok($$SELECT * FROM bxexit.departure_manifest_link$$, '42501', NULL, 'gate: cannot read departures');
SELECT throws_ok($$SELECT family_name FROM bxexit.departure_manifest$$, '42501', NULL, 'gate: cannot read manifests');
SELECT throws_ok($$SELECT * FROM bxexit.bx_load_departure_manifests()$$, '42501', NULL, 'gate: cannot load manifests');
SELECT throws_ok($$INSERT INTO bxexit.manifest_staging (carrier) VALUES ('ZZ')$$, '42501', NULL, 'gate: cannot stage manifests');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
