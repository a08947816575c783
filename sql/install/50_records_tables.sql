/*
 * 50_records_tables: the border-records tables (IDENT/ADIS style), the
 * vocabulary of match reasons (domain bx_match_reason) and the builtin
 * reference rows.  First part of the records layer (parts 50 to 90).
 *
 * One extension, not two.  The records layer stays inside bxexit rather
 * than becoming a second extension bxexit_records: 0.1.0 installations own
 * these tables, with their pg_extension_config_dump registrations, as
 * members of bxexit, and PostgreSQL 13 and later have no CREATE EXTENSION
 * ... FROM unpackaged to hand members over to a new extension without
 * dropping the user data in them.  The parts keep the layer separable
 * instead: the engine parts (10 to 30) never reference a records object,
 * so the engine parts alone would install (and could be tested) without
 * this layer.
 */

/* ------------------------------------------------ border records: tables */

/*
 * IDENT-style records (../shared/DOMAIN.md, A4): a person has travel
 * documents, face enrollments and admissions (I-94); flights carry a
 * manifest (APIS); every gate decision is an exit event; every search is
 * audited.  Keys are bigint identities; the tables hold user data, so each
 * is registered with pg_extension_config_dump and pg_dump keeps its rows.
 * Reference rows the script inserts are marked builtin and not dumped
 * (the script inserts them again on restore); builtin rows with a numeric key
 * take negative keys, so a later version's new builtin rows never collide
 * with the keys of rows users added.
 */

/*
 * The one bound on dates a record may hold: 'infinity' or a year-294276
 * programme end passes the date type but breaks every report that does
 * arithmetic on it.  NULL (unknown) is allowed: CHECK passes it.
 */
CREATE FUNCTION @extschema@.bx_plausible_date(d pg_catalog.date)
	RETURNS pg_catalog.bool
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	RETURN d OPERATOR(pg_catalog.>=) '1900-01-01'::pg_catalog.date
		AND d OPERATOR(pg_catalog.<=) '2199-12-31'::pg_catalog.date;
COMMENT ON FUNCTION @extschema@.bx_plausible_date(pg_catalog.date) IS
	'whether a date lies in 1900-01-01 .. 2199-12-31, the range every date of the records must be in';

CREATE TABLE @extschema@.person (
	person_id pg_catalog.int8 GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	fin pg_catalog.text UNIQUE
		CHECK (fin OPERATOR(pg_catalog.~) '^[0-9A-Z]{6,20}$'),
	family_name pg_catalog.text NOT NULL
		CHECK (pg_catalog.length(family_name) OPERATOR(pg_catalog.<=) 200),
	given_names pg_catalog.text
		CHECK (pg_catalog.length(given_names) OPERATOR(pg_catalog.<=) 200),
	date_of_birth pg_catalog.date,
	sex pg_catalog.text CHECK (sex OPERATOR(pg_catalog.=) ANY (ARRAY['F', 'M', 'X'])),
	citizenship pg_catalog.text NOT NULL
		CHECK (citizenship OPERATOR(pg_catalog.~) '^[A-Z]{3}$'),
	country_of_birth pg_catalog.text
		CHECK (country_of_birth OPERATOR(pg_catalog.~) '^[A-Z]{3}$'),
	created_at pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.now(),
	CONSTRAINT person_dates_plausible CHECK (@extschema@.bx_plausible_date(date_of_birth))
);
COMMENT ON TABLE @extschema@.person IS
	'a traveller: biographic data; citizenship is an ISO 3166-1 alpha-3 code (USA for US citizens)';
COMMENT ON COLUMN @extschema@.person.fin IS
	'Fingerprint Identification Number or another person-centric identifier from IDENT';
CREATE INDEX person_citizenship_idx ON @extschema@.person (citizenship);

CREATE TABLE @extschema@.travel_document (
	document_id pg_catalog.int8 GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	person_id pg_catalog.int8 NOT NULL
		REFERENCES @extschema@.person ON DELETE CASCADE,
	document_type pg_catalog.text NOT NULL
		CHECK (document_type OPERATOR(pg_catalog.=) ANY (ARRAY['passport', 'visa', 'travel_permit', 'other'])),
	document_number pg_catalog.text NOT NULL
		CHECK (document_number OPERATOR(pg_catalog.~) '^[0-9A-Z]{1,20}$'),
	issuing_country pg_catalog.text NOT NULL
		CHECK (issuing_country OPERATOR(pg_catalog.~) '^[A-Z]{3}$'),
	visa_class pg_catalog.text,
	issued_on pg_catalog.date,
	expires_on pg_catalog.date,
	CHECK (expires_on OPERATOR(pg_catalog.>) issued_on),
	CONSTRAINT travel_document_dates_plausible
		CHECK (@extschema@.bx_plausible_date(issued_on) AND @extschema@.bx_plausible_date(expires_on)),
	UNIQUE (document_type, issuing_country, document_number),
	UNIQUE (document_id, person_id)
);
COMMENT ON TABLE @extschema@.travel_document IS 'passports, visas and other travel documents of a person';
CREATE INDEX travel_document_person_idx ON @extschema@.travel_document (person_id);

CREATE TABLE @extschema@.enrollment (
	enrollment_id pg_catalog.int8 GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	person_id pg_catalog.int8 NOT NULL
		REFERENCES @extschema@.person ON DELETE CASCADE,
	source pg_catalog.text NOT NULL
		CHECK (source OPERATOR(pg_catalog.=) ANY (ARRAY['visa', 'passport', 'entry', 'exit', 'other'])),
	captured_at pg_catalog.timestamptz NOT NULL,
	template @extschema@.face_embedding NOT NULL,
	model pg_catalog.text GENERATED ALWAYS AS (@extschema@.bx_model(template)) STORED
		CONSTRAINT enrollment_template_tagged CHECK (model IS NOT NULL),
	quality pg_catalog.float4
		CHECK (quality OPERATOR(pg_catalog.>=) 0 AND quality OPERATOR(pg_catalog.<=) 1),
	photo pg_catalog.bytea,
	-- one template of norm ~0 would make every cosine comparison of its flights fail
	CONSTRAINT enrollment_template_usable CHECK (@extschema@.bx_cosine_usable(template)),
	-- 0.2.0 (issue 17): last, where the upgrade's ADD COLUMN puts it
	capture_quality pg_catalog.float4
		CHECK (capture_quality OPERATOR(pg_catalog.>=) 0 AND capture_quality OPERATOR(pg_catalog.<=) 100)
);
-- photos never go into planner statistics (templates: face_embedding_typanalyze)
ALTER TABLE @extschema@.enrollment ALTER COLUMN photo SET STATISTICS 0;
COMMENT ON TABLE @extschema@.enrollment IS
	'face templates of a person (the gallery), with the source photo''s origin and capture time';
COMMENT ON COLUMN @extschema@.enrollment.model IS
	'model tag of the template; galleries only compare templates of the probe''s model';
COMMENT ON COLUMN @extschema@.enrollment.quality IS
	'face detector score of the source photo, 0 to 1 (bx_enroll records it; the capture quality is capture_quality)';
COMMENT ON COLUMN @extschema@.enrollment.capture_quality IS
	'overall capture quality of the source photo''s face, 0 to 100 (bx_embed_quality''s quality, the scale of exit_event.capture_quality); bx_enroll records it, NULL when not measured';
CREATE INDEX enrollment_person_idx ON @extschema@.enrollment (person_id, model);

CREATE TABLE @extschema@.class_of_admission (
	code pg_catalog.text PRIMARY KEY CHECK (code OPERATOR(pg_catalog.~) '^[A-Z0-9]{1,5}$'),
	class_group pg_catalog.text NOT NULL
		CHECK (class_group OPERATOR(pg_catalog.=) ANY (ARRAY['VWP', 'B1B2', 'F', 'M', 'J', 'OTHER'])),
	description pg_catalog.text NOT NULL,
	report_scope pg_catalog.bool NOT NULL,
	ds_grace_days pg_catalog.int4 NOT NULL DEFAULT 0 CHECK (ds_grace_days OPERATOR(pg_catalog.>=) 0),
	builtin pg_catalog.bool NOT NULL DEFAULT false
);
COMMENT ON TABLE @extschema@.class_of_admission IS
	'I-94 classes of admission: the overstay report''s class group, whether the report counts them, the grace after a duration-of-status programme ends';

INSERT INTO @extschema@.class_of_admission
	(code, class_group, description, report_scope, ds_grace_days, builtin) VALUES
	('WT', 'VWP', 'Visa Waiver Program, tourist', true, 0, true),
	('WB', 'VWP', 'Visa Waiver Program, business', true, 0, true),
	('B1', 'B1B2', 'visitor for business', true, 0, true),
	('B2', 'B1B2', 'visitor for pleasure', true, 0, true),
	('B1B2', 'B1B2', 'visitor for business and pleasure', true, 0, true),
	('F1', 'F', 'academic student', true, 60, true),
	('F2', 'F', 'spouse or child of an F-1 student', true, 60, true),
	('M1', 'M', 'vocational student', true, 30, true),
	('M2', 'M', 'spouse or child of an M-1 student', true, 30, true),
	('J1', 'J', 'exchange visitor', true, 30, true),
	('J2', 'J', 'spouse or child of a J-1 exchange visitor', true, 30, true),
	('H1B', 'OTHER', 'temporary worker in a specialty occupation', true, 0, true),
	('H2A', 'OTHER', 'temporary agricultural worker', true, 0, true),
	('H2B', 'OTHER', 'temporary non-agricultural worker', true, 0, true),
	('L1', 'OTHER', 'intracompany transferee', true, 0, true),
	('O1', 'OTHER', 'person of extraordinary ability', true, 0, true),
	('E2', 'OTHER', 'treaty investor', true, 0, true),
	('TN', 'OTHER', 'USMCA professional', true, 0, true),
	('A1', 'OTHER', 'diplomat (not in the overstay report)', false, 0, true),
	('G4', 'OTHER', 'international organisation staff (not in the overstay report)', false, 0, true),
	('C1', 'OTHER', 'alien in transit (not in the overstay report)', false, 0, true),
	('D1', 'OTHER', 'crew member (not in the overstay report)', false, 0, true);

CREATE TABLE @extschema@.admission (
	admission_number pg_catalog.text PRIMARY KEY
		CHECK (admission_number OPERATOR(pg_catalog.~) '^[0-9A-Z]{11}$'),
	person_id pg_catalog.int8 NOT NULL REFERENCES @extschema@.person,
	class_of_admission pg_catalog.text NOT NULL REFERENCES @extschema@.class_of_admission,
	port_of_entry pg_catalog.text NOT NULL
		CHECK (port_of_entry OPERATOR(pg_catalog.~) '^[A-Z0-9]{3,4}$'),
	mode pg_catalog.text NOT NULL DEFAULT 'air'
		CHECK (mode OPERATOR(pg_catalog.=) ANY (ARRAY['air', 'sea', 'land'])),
	admitted_on pg_catalog.date NOT NULL,
	admit_until pg_catalog.date,
	duration_of_status pg_catalog.bool NOT NULL DEFAULT false,
	program_end_date pg_catalog.date,
	status_changed_on pg_catalog.date,
	CONSTRAINT admission_until_or_ds
		CHECK ((admit_until IS NULL) OPERATOR(pg_catalog.=) duration_of_status),
	CONSTRAINT admission_until_after_admission
		CHECK (admit_until OPERATOR(pg_catalog.>=) admitted_on),
	CONSTRAINT admission_program_end_only_for_ds
		CHECK (program_end_date IS NULL OR duration_of_status),
	CONSTRAINT admission_program_end_after_admission
		CHECK (program_end_date OPERATOR(pg_catalog.>=) admitted_on),
	CONSTRAINT admission_status_change_after_admission
		CHECK (status_changed_on OPERATOR(pg_catalog.>=) admitted_on),
	CONSTRAINT admission_dates_plausible
		CHECK (@extschema@.bx_plausible_date(admitted_on) AND @extschema@.bx_plausible_date(admit_until)
			   AND @extschema@.bx_plausible_date(program_end_date)
			   AND @extschema@.bx_plausible_date(status_changed_on)),
	citizenship pg_catalog.text NOT NULL,
	document_id pg_catalog.int8,
	CONSTRAINT admission_citizenship_check CHECK (citizenship OPERATOR(pg_catalog.~) '^[A-Z]{3}$'),
	-- the document presented at this entry is the traveller's own
	CONSTRAINT admission_document_of_person FOREIGN KEY (document_id, person_id)
		REFERENCES @extschema@.travel_document (document_id, person_id) ON DELETE SET NULL (document_id)
);
COMMENT ON COLUMN @extschema@.admission.citizenship IS
	'the citizenship presented at this entry (a dual national is reported under the passport they entered with); the person''s citizenship when not given; a later change of the person does not rewrite it';
COMMENT ON COLUMN @extschema@.admission.document_id IS
	'the travel document presented at this entry, if known';

/*
 * An admission records the citizenship presented at entry: when the row
 * does not say, it is the person's citizenship at the time of the insert,
 * and stays so whatever happens to the person later.
 */
CREATE FUNCTION @extschema@.bx_admission_citizenship()
	RETURNS trigger
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
	AS $$
BEGIN
	IF NEW.citizenship IS NULL THEN
		SELECT p.citizenship INTO NEW.citizenship
		  FROM @extschema@.person p WHERE p.person_id = NEW.person_id;
		IF NOT FOUND THEN
			RAISE EXCEPTION 'person % does not exist', NEW.person_id
				USING ERRCODE = 'foreign_key_violation',
					  DETAIL = 'An admission is of a person in bxexit.person.';
		END IF;
	END IF;
	RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@.bx_admission_citizenship() IS
	'trigger: an admission without a citizenship takes the person''s at the time it is recorded';
CREATE TRIGGER admission_citizenship BEFORE INSERT ON @extschema@.admission
	FOR EACH ROW EXECUTE FUNCTION @extschema@.bx_admission_citizenship();
COMMENT ON TABLE @extschema@.admission IS
	'I-94 admission records: class, port, admitted date and admit-until date or duration of status (D/S)';
COMMENT ON COLUMN @extschema@.admission.admission_number IS 'I-94 record number, 11 characters, new at each entry';
COMMENT ON COLUMN @extschema@.admission.program_end_date IS
	'D/S only: end of the SEVIS programme (I-20/DS-2019 plus practical training); NULL while unknown';
COMMENT ON COLUMN @extschema@.admission.status_changed_on IS
	'date an extension, change or adjustment of status was filed; filed on or before the expected departure (timely), it closes the admission in time';
CREATE INDEX admission_person_idx ON @extschema@.admission (person_id, admitted_on);
CREATE INDEX admission_until_idx ON @extschema@.admission (admit_until);

CREATE TABLE @extschema@.flight (
	flight_id pg_catalog.int8 GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	carrier pg_catalog.text NOT NULL CHECK (carrier OPERATOR(pg_catalog.~) '^[A-Z0-9]{2,3}$'),
	flight_number pg_catalog.text NOT NULL CHECK (flight_number OPERATOR(pg_catalog.~) '^[0-9]{1,4}[A-Z]?$'),
	departure_airport pg_catalog.text NOT NULL CHECK (departure_airport OPERATOR(pg_catalog.~) '^[A-Z]{3}$'),
	arrival_airport pg_catalog.text NOT NULL CHECK (arrival_airport OPERATOR(pg_catalog.~) '^[A-Z]{3}$'),
	departure_date pg_catalog.date NOT NULL,
	scheduled_departure pg_catalog.timestamptz,
	UNIQUE (carrier, flight_number, departure_date),
	CONSTRAINT flight_departure_date_plausible CHECK (@extschema@.bx_plausible_date(departure_date))
);
COMMENT ON TABLE @extschema@.flight IS 'departing international flights';
COMMENT ON COLUMN @extschema@.flight.departure_date IS
	'local date of departure: the date of the departure record a match creates';

CREATE TABLE @extschema@.manifest (
	flight_id pg_catalog.int8 NOT NULL REFERENCES @extschema@.flight ON DELETE CASCADE,
	person_id pg_catalog.int8 NOT NULL REFERENCES @extschema@.person ON DELETE CASCADE,
	document_id pg_catalog.int8,
	PRIMARY KEY (flight_id, person_id),
	-- the document a traveller boards with is their own
	CONSTRAINT manifest_document_of_person FOREIGN KEY (document_id, person_id)
		REFERENCES @extschema@.travel_document (document_id, person_id) ON DELETE SET NULL (document_id)
);
COMMENT ON TABLE @extschema@.manifest IS
	'APIS manifest: who is expected on which departing flight; the flight''s gallery is their enrollments';
CREATE INDEX manifest_person_idx ON @extschema@.manifest (person_id);

CREATE TABLE @extschema@.match_threshold (
	threshold_id pg_catalog.int8 GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	model pg_catalog.text NOT NULL,
	purpose pg_catalog.text NOT NULL
		CHECK (purpose OPERATOR(pg_catalog.=) ANY (ARRAY['identification', 'verification'])),
	threshold pg_catalog.float4 NOT NULL
		CHECK (threshold OPERATOR(pg_catalog.>=) -1 AND threshold OPERATOR(pg_catalog.<=) 1),
	operating_point pg_catalog.text NOT NULL,
	measured_error pg_catalog.text,
	method pg_catalog.text NOT NULL,
	valid_from pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.now(),
	builtin pg_catalog.bool NOT NULL DEFAULT false,
	UNIQUE (model, purpose, valid_from)
);
COMMENT ON TABLE @extschema@.match_threshold IS
	'score thresholds per model and purpose with their operating point; the newest row whose valid_from has passed applies; insert a row to change one';

/*
 * Why a decision is not a match: the one list of reasons.  The face
 * pipeline's statuses (bx_embed_quality, src/face/photo.c: invalid_image,
 * image_too_large, no_face, several_faces, face_too_small), a capture
 * below the bxexit.quality_* settings (poor_quality), the gate's
 * (no_photo, no_probe, unknown_flight, rate_limited, flight_not_departing) and the searches' (unknown_person,
 * nobody_enrolled, below_threshold).  exit_event.reason has this type and
 * search_audit.outcome holds a reason or a positive outcome; a new reason
 * is an ALTER DOMAIN in an upgrade script (and a row in the README's table).
 */
CREATE DOMAIN @extschema@.bx_match_reason AS pg_catalog.text
	CONSTRAINT bx_match_reason_check CHECK (VALUE OPERATOR(pg_catalog.=) ANY (ARRAY[
		'no_photo', 'no_probe', 'invalid_image', 'image_too_large', 'no_face', 'several_faces',
		'face_too_small', 'unknown_flight', 'unknown_person', 'nobody_enrolled', 'below_threshold',
		'rate_limited', 'flight_not_departing', 'poor_quality']));
COMMENT ON DOMAIN @extschema@.bx_match_reason IS
	'why a match, verify or identify decision is not a match: no_photo, no_probe, invalid_image, image_too_large, no_face, several_faces, face_too_small, unknown_flight, unknown_person, nobody_enrolled, below_threshold, rate_limited, flight_not_departing, poor_quality (the capture is below a bxexit.quality_* setting: retake)';

CREATE TABLE @extschema@.exit_event (
	exit_event_id pg_catalog.int8 GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	occurred_at pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.statement_timestamp(),
	requested_flight_id pg_catalog.int8,
	flight_id pg_catalog.int8 REFERENCES @extschema@.flight,
	decision pg_catalog.text NOT NULL
		CHECK (decision OPERATOR(pg_catalog.=) ANY (ARRAY['match', 'no_match'])),
	reason @extschema@.bx_match_reason,
	person_id pg_catalog.int8 REFERENCES @extschema@.person,
	score pg_catalog.float4,
	runner_up_score pg_catalog.float4,
	threshold pg_catalog.float4,
	model pg_catalog.text,
	gallery_size pg_catalog.int4,
	recorded_by pg_catalog.name NOT NULL DEFAULT SESSION_USER,
	probe_template @extschema@.face_embedding,
	probe_photo pg_catalog.bytea,
	probe_purged_at pg_catalog.timestamptz,
	resolved_person_id pg_catalog.int8 REFERENCES @extschema@.person,
	resolved_by pg_catalog.name,
	resolved_at pg_catalog.timestamptz,
	resolution_note pg_catalog.text,
	CONSTRAINT exit_event_match_has_person
		CHECK ((decision OPERATOR(pg_catalog.=) 'match') OPERATOR(pg_catalog.=) (person_id IS NOT NULL)),
	CONSTRAINT exit_event_no_match_has_reason
		CHECK ((decision OPERATOR(pg_catalog.=) 'no_match') OPERATOR(pg_catalog.=) (reason IS NOT NULL)),
	CONSTRAINT exit_event_resolution_of_no_match
		CHECK (resolved_person_id IS NULL OR decision OPERATOR(pg_catalog.=) 'no_match'),
	probe_source pg_catalog.text NOT NULL,
	CONSTRAINT exit_event_probe_source_check
		CHECK (probe_source OPERATOR(pg_catalog.=) ANY (ARRAY['photo', 'template', 'unknown'])),
	request_id pg_catalog.text,
	CONSTRAINT exit_event_request_id_check
		CHECK (pg_catalog.length(request_id) OPERATOR(pg_catalog.<=) 64),
	capture_quality pg_catalog.float4,
	quality_component pg_catalog.text,
	CONSTRAINT exit_event_quality_component_check
		CHECK ((reason IS NOT DISTINCT FROM 'poor_quality') OPERATOR(pg_catalog.=) (quality_component IS NOT NULL)
			   AND quality_component OPERATOR(pg_catalog.=) ANY (ARRAY['eye_distance', 'face_size',
				'face_in_frame', 'roll', 'yaw', 'pitch', 'under_exposure', 'over_exposure', 'contrast',
				'sharpness', 'confidence', 'score']))
);
ALTER TABLE @extschema@.exit_event ALTER COLUMN probe_photo SET STATISTICS 0;
COMMENT ON TABLE @extschema@.exit_event IS
	'every gate decision, matched or not, with score, threshold and gallery size; written only by bx_match';
COMMENT ON COLUMN @extschema@.exit_event.requested_flight_id IS
	'the flight the gate asked for; flight_id is NULL when it does not exist';
COMMENT ON COLUMN @extschema@.exit_event.reason IS
	'why it is not a match, one of the domain bx_match_reason; NULL for a match';
COMMENT ON COLUMN @extschema@.exit_event.probe_photo IS
	'the gate photo; bx_apply_retention() clears it (and probe_template) for US citizens after bxexit.citizen_photo_retention';
COMMENT ON COLUMN @extschema@.exit_event.probe_source IS
	'what the gate sent: photo (a biometric capture), template (bx_match of a vector, an administrator''s call: no capture), unknown (0.1.0 events whose probe was purged before 0.2.0 recorded it)';
COMMENT ON COLUMN @extschema@.exit_event.request_id IS
	'the gate''s own id of the request (bx_match''s request_id): a retry with the same id returns this decision instead of recording another';
COMMENT ON COLUMN @extschema@.exit_event.capture_quality IS
	'overall capture quality (0-100, bx_embed_quality''s quality) of the gate photo''s face; NULL when no face was embedded';
COMMENT ON COLUMN @extschema@.exit_event.quality_component IS
	'for reason poor_quality: the first quality component below its bxexit.quality_* setting (eye_distance, face_size, face_in_frame, roll, yaw, pitch, under_exposure, over_exposure, contrast, sharpness, confidence, score); NULL otherwise';
COMMENT ON COLUMN @extschema@.exit_event.resolved_person_id IS
	'set by bx_resolve_exit() when an officer confirms who a no-match traveller was';
CREATE INDEX exit_event_person_idx ON @extschema@.exit_event (person_id);
CREATE INDEX exit_event_resolved_person_idx ON @extschema@.exit_event (resolved_person_id)
	WHERE resolved_person_id IS NOT NULL;
CREATE INDEX exit_event_flight_idx ON @extschema@.exit_event (flight_id);
CREATE INDEX exit_event_occurred_idx ON @extschema@.exit_event (occurred_at);
CREATE UNIQUE INDEX exit_event_request_idx ON @extschema@.exit_event (recorded_by, request_id)
	WHERE request_id IS NOT NULL;

CREATE TABLE @extschema@.search_audit (
	audit_id pg_catalog.int8 GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	occurred_at pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
	searched_by pg_catalog.name NOT NULL DEFAULT SESSION_USER,
	searched_as pg_catalog.name
		DEFAULT NULLIF(pg_catalog.current_setting('role'), 'none')::pg_catalog.name,
	search pg_catalog.text NOT NULL
		CHECK (search OPERATOR(pg_catalog.=) ANY (ARRAY['match', 'verify', 'identify'])),
	model pg_catalog.text,
	flight_id pg_catalog.int8,
	claimed_person_id pg_catalog.int8,
	k pg_catalog.int4,
	gallery_size pg_catalog.int8,
	candidates pg_catalog.int4,
	top_person_id pg_catalog.int8,
	top_score pg_catalog.float4,
	outcome pg_catalog.text,
	exit_event_id pg_catalog.int8,
	-- a positive outcome, or the reason of a negative one (one vocabulary: the domain)
	CONSTRAINT search_audit_outcome_check
		CHECK (outcome OPERATOR(pg_catalog.=) ANY (ARRAY['match', 'candidate_above_threshold'])
			   OR outcome::@extschema@.bx_match_reason IS NOT NULL)
);
COMMENT ON TABLE @extschema@.search_audit IS
	'one row per 1:1 (verify) and 1:N (match, identify) search: who, when, what, outcome; written only by the search functions';
COMMENT ON COLUMN @extschema@.search_audit.searched_by IS 'the login (session user) that searched';
COMMENT ON COLUMN @extschema@.search_audit.searched_as IS
	'the role the session had set with SET ROLE (a pooler''s per-application role), NULL if none';
CREATE INDEX search_audit_occurred_idx ON @extschema@.search_audit (occurred_at);
-- bx_match's rate limit counts a login's recent no-matches on a flight
CREATE INDEX search_audit_gate_idx ON @extschema@.search_audit (searched_by, flight_id, occurred_at)
	WHERE search OPERATOR(pg_catalog.=) 'match';

/*
 * A flight's date is the date of every departure recorded on it: once a
 * decision hangs off the flight, moving the date would move those
 * departures after the fact.
 */
CREATE FUNCTION @extschema@.bx_flight_date_guard()
	RETURNS trigger
	LANGUAGE plpgsql
	SET search_path = pg_catalog, pg_temp
	AS $$
BEGIN
	IF NEW.departure_date IS DISTINCT FROM OLD.departure_date
	   AND EXISTS (SELECT FROM @extschema@.exit_event x WHERE x.flight_id = OLD.flight_id) THEN
		RAISE EXCEPTION 'flight % has recorded gate decisions; its departure date cannot change', OLD.flight_id
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  DETAIL = 'The flight''s date is the date of the departures recorded on it.',
				  HINT = 'Enter the flight again with its new date; later decisions go to the new flight.';
	END IF;
	RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@.bx_flight_date_guard() IS
	'trigger: refuses to change the departure date of a flight with recorded gate decisions';
CREATE TRIGGER flight_date_guard BEFORE UPDATE OF departure_date ON @extschema@.flight
	FOR EACH ROW EXECUTE FUNCTION @extschema@.bx_flight_date_guard();
