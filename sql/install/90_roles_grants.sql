/* 90_roles_grants: the three bxexit roles and every grant and revoke of the records layer */

/* ------------------------------------------ border records: roles, grants */

/*
 * Three group roles (NOLOGIN; a DBA grants them to login roles):
 * - bxexit_gate: gate systems; may call bx_match and nothing else, so they
 *   never read templates, photos or anyone's records;
 * - bxexit_analyst: overstay views and reports, biographic and admission
 *   records, exit decisions without their probe photos and templates;
 * - bxexit_admin: maintains the records, searches (1:1, 1:N), resolves
 *   no-matches, applies retention; reads exit events and the audit log,
 *   which only the search functions write.
 * Roles belong to the cluster, so a second database's CREATE EXTENSION
 * finds them already there and reuses them.
 */
DO $$
DECLARE
	r pg_catalog.text;
BEGIN
	FOREACH r IN ARRAY ARRAY['bxexit_gate', 'bxexit_analyst', 'bxexit_admin'] LOOP
		IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) r) THEN
			EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', r);
		END IF;
	END LOOP;
END
$$;

GRANT USAGE ON SCHEMA @extschema@ TO bxexit_gate, bxexit_analyst, bxexit_admin;

-- functions written in SQL get EXECUTE for PUBLIC by default: take it back
REVOKE EXECUTE ON FUNCTION
	@extschema@.bx_threshold(pg_catalog.text, pg_catalog.text),
	@extschema@.bx_probe_threshold(@extschema@.face_embedding, pg_catalog.text),
	@extschema@.bx_decide_exit(@extschema@.face_embedding, pg_catalog.bytea, pg_catalog.text, pg_catalog.int8,
		pg_catalog.text, pg_catalog.text, pg_catalog.float4, pg_catalog.text),
	@extschema@.bx_gate_throttled(pg_catalog.int8),
	@extschema@.bx_plausible_date(pg_catalog.date),
	@extschema@.bx_flight_date_guard(),
	@extschema@.bx_admission_citizenship(),
	@extschema@.bx_departures(pg_catalog.timestamptz),
	@extschema@.bx_overstay_summary(pg_catalog.int4, pg_catalog.date, pg_catalog.timestamptz),
	@extschema@.bx_audit_search(pg_catalog.text, pg_catalog.text, pg_catalog.int8, pg_catalog.int8,
		pg_catalog.int4, pg_catalog.int8, pg_catalog.int4, pg_catalog.int8, pg_catalog.float4,
		pg_catalog.text, pg_catalog.int8),
	@extschema@.bx_match(pg_catalog.bytea, pg_catalog.int8, pg_catalog.text),
	@extschema@.bx_match(@extschema@.face_embedding, pg_catalog.int8),
	@extschema@.bx_verify(@extschema@.face_embedding, pg_catalog.int8),
	@extschema@.bx_verify(pg_catalog.bytea, pg_catalog.int8),
	@extschema@.bx_identify(@extschema@.face_embedding, pg_catalog.int4),
	@extschema@.bx_identify(pg_catalog.bytea, pg_catalog.int4),
	@extschema@.bx_resolve_exit(pg_catalog.int8, pg_catalog.int8, pg_catalog.text),
	@extschema@.bx_enroll(pg_catalog.int8, pg_catalog.bytea, pg_catalog.text, pg_catalog.timestamptz, pg_catalog.text),
	@extschema@.bx_citizen_photo_retention(),
	@extschema@.bx_apply_retention(),
	@extschema@.bx_admission_status(pg_catalog.date, pg_catalog.timestamptz),
	@extschema@.bx_overstay_report(pg_catalog.int4, pg_catalog.date, pg_catalog.timestamptz)
	FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION
	@extschema@.bx_det_curve(pg_catalog.float8[], pg_catalog.float8[]),
	@extschema@.bx_det_eer(pg_catalog.float8[], pg_catalog.float8[]),
	@extschema@.bx_det_point(pg_catalog.float8[], pg_catalog.float8[], pg_catalog.float8),
	@extschema@.bx_identification_point(pg_catalog.float8[], pg_catalog.float8[], pg_catalog.float8, pg_catalog.int4),
	@extschema@.bx_labelled_scores(pg_catalog.regclass, pg_catalog.name, pg_catalog.name, pg_catalog.int4),
	@extschema@.bx_adopt_verification_threshold(pg_catalog.text, pg_catalog.float8[], pg_catalog.float8[],
		pg_catalog.float8, pg_catalog.text, pg_catalog.timestamptz),
	@extschema@.bx_adopt_identification_threshold(pg_catalog.text, pg_catalog.float8[], pg_catalog.float8[],
		pg_catalog.float8, pg_catalog.int4, pg_catalog.text, pg_catalog.timestamptz)
	FROM PUBLIC;
-- calibration: analysts measure, admins also adopt thresholds
GRANT EXECUTE ON FUNCTION
	@extschema@.bx_det_curve(pg_catalog.float8[], pg_catalog.float8[]),
	@extschema@.bx_det_eer(pg_catalog.float8[], pg_catalog.float8[]),
	@extschema@.bx_det_point(pg_catalog.float8[], pg_catalog.float8[], pg_catalog.float8),
	@extschema@.bx_identification_point(pg_catalog.float8[], pg_catalog.float8[], pg_catalog.float8, pg_catalog.int4),
	@extschema@.bx_labelled_scores(pg_catalog.regclass, pg_catalog.name, pg_catalog.name, pg_catalog.int4)
	TO bxexit_analyst, bxexit_admin;
GRANT EXECUTE ON FUNCTION
	@extschema@.bx_adopt_verification_threshold(pg_catalog.text, pg_catalog.float8[], pg_catalog.float8[],
		pg_catalog.float8, pg_catalog.text, pg_catalog.timestamptz),
	@extschema@.bx_adopt_identification_threshold(pg_catalog.text, pg_catalog.float8[], pg_catalog.float8[],
		pg_catalog.float8, pg_catalog.int4, pg_catalog.text, pg_catalog.timestamptz)
	TO bxexit_admin;
GRANT SELECT ON @extschema@.match_demographics TO bxexit_analyst, bxexit_admin;
-- C functions of the records layer likewise: internal, nobody executes them
REVOKE EXECUTE ON FUNCTION
	@extschema@.bx_durable_insert(pg_catalog.regclass, pg_catalog.jsonb),
	@extschema@.bx_gate_settings(),
	@extschema@.bx_gate_nomatch_count(pg_catalog.int8, pg_catalog.interval, pg_catalog.int4)
	FROM PUBLIC;

/*
 * Gates send photos.  The template overload is for administrators: a gate
 * able to submit vectors of its choice and read back their best score
 * against a flight could hill-climb towards an enrolled template.
 */
GRANT EXECUTE ON FUNCTION @extschema@.bx_match(pg_catalog.bytea, pg_catalog.int8, pg_catalog.text)
	TO bxexit_gate, bxexit_admin;
GRANT EXECUTE ON FUNCTION @extschema@.bx_match(@extschema@.face_embedding, pg_catalog.int8)
	TO bxexit_admin;

GRANT SELECT ON @extschema@.lead_departure_without_admission, @extschema@.lead_gate_match_not_on_manifest,
	@extschema@.lead_boarded_not_confirmed
	TO bxexit_analyst, bxexit_admin;
GRANT SELECT ON @extschema@.person, @extschema@.admission, @extschema@.class_of_admission,
	@extschema@.flight, @extschema@.manifest, @extschema@.match_threshold,
	@extschema@.departure, @extschema@.admission_status
	TO bxexit_analyst, bxexit_admin;
GRANT SELECT (exit_event_id, occurred_at, requested_flight_id, flight_id, decision, reason,
			  person_id, score, runner_up_score, threshold, model, gallery_size, recorded_by,
			  probe_purged_at, resolved_person_id, resolved_by, resolved_at, resolution_note,
			  probe_source, capture_quality, quality_component)
	ON @extschema@.exit_event TO bxexit_analyst;
GRANT EXECUTE ON FUNCTION
	@extschema@.bx_threshold(pg_catalog.text, pg_catalog.text),
	@extschema@.bx_admission_status(pg_catalog.date, pg_catalog.timestamptz),
	@extschema@.bx_overstay_report(pg_catalog.int4, pg_catalog.date, pg_catalog.timestamptz),
	@extschema@.bx_overstay_summary(pg_catalog.int4, pg_catalog.date, pg_catalog.timestamptz),
	@extschema@.bx_departures(pg_catalog.timestamptz)
	TO bxexit_analyst, bxexit_admin;

GRANT SELECT, INSERT, UPDATE, DELETE ON @extschema@.person, @extschema@.travel_document,
	@extschema@.enrollment, @extschema@.admission, @extschema@.flight, @extschema@.manifest
	TO bxexit_admin;
-- the CHECK constraints of those tables call it, as the writing role
GRANT EXECUTE ON FUNCTION @extschema@.bx_plausible_date(pg_catalog.date) TO bxexit_admin;
-- builtin rows are not dumped (the script inserts them again): an admin adds
-- rows but never flags one builtin, nor changes or deletes a builtin one,
-- which a dump and restore would silently drop, revert or bring back
GRANT SELECT, INSERT (code, class_group, description, report_scope, ds_grace_days)
	ON @extschema@.class_of_admission TO bxexit_admin;
GRANT SELECT, INSERT (model, purpose, threshold, operating_point, measured_error, method, valid_from)
	ON @extschema@.match_threshold TO bxexit_admin;
GRANT SELECT ON @extschema@.exit_event, @extschema@.search_audit, @extschema@.gate_anomaly
	TO bxexit_admin;
GRANT EXECUTE ON FUNCTION
	@extschema@.bx_verify(@extschema@.face_embedding, pg_catalog.int8),
	@extschema@.bx_verify(pg_catalog.bytea, pg_catalog.int8),
	@extschema@.bx_identify(@extschema@.face_embedding, pg_catalog.int4),
	@extschema@.bx_identify(pg_catalog.bytea, pg_catalog.int4),
	@extschema@.bx_resolve_exit(pg_catalog.int8, pg_catalog.int8, pg_catalog.text),
	@extschema@.bx_citizen_photo_retention(),
	@extschema@.bx_apply_retention()
	TO bxexit_admin;
-- enrolment writes enrollment with the caller's rights: administrators
GRANT EXECUTE ON FUNCTION
	@extschema@.bx_enroll(pg_catalog.int8, pg_catalog.bytea, pg_catalog.text, pg_catalog.timestamptz, pg_catalog.text)
	TO bxexit_admin;


/*
 * Departure manifests (65_departures): administrators stage manifests and
 * load, link and correct them through the functions, and read everything;
 * they never write departure_manifest, manifest_rejected or departure_link
 * themselves, so knowledge times and the link history are the functions'.
 * Analysts read the departures and their links, without the document
 * numbers (they do not read travel_document either), and never the staging
 * or rejected rows.  The gate reads nothing.
 */
REVOKE EXECUTE ON FUNCTION
	@extschema@.bx_normalize_name(pg_catalog.text),
	@extschema@.bx_name_key(pg_catalog.text, pg_catalog.text),
	@extschema@.bx_name_distance(pg_catalog.text, pg_catalog.text),
	@extschema@.bx_name_similarity(pg_catalog.text, pg_catalog.text),
	@extschema@.bx_parse_date(pg_catalog.text),
	@extschema@.bx_load_departure_manifests(pg_catalog.int4),
	@extschema@.bx_link_departures(pg_catalog.float4, pg_catalog.float4),
	@extschema@.bx_departure_candidates(pg_catalog.int8),
	@extschema@.bx_resolve_departure(pg_catalog.int8, pg_catalog.int8, pg_catalog.text)
	FROM PUBLIC;
-- bx_name_key is in an index of person: whoever inserts people calls it
GRANT EXECUTE ON FUNCTION
	@extschema@.bx_normalize_name(pg_catalog.text),
	@extschema@.bx_name_key(pg_catalog.text, pg_catalog.text),
	@extschema@.bx_name_distance(pg_catalog.text, pg_catalog.text),
	@extschema@.bx_name_similarity(pg_catalog.text, pg_catalog.text)
	TO bxexit_analyst, bxexit_admin;
GRANT EXECUTE ON FUNCTION
	@extschema@.bx_load_departure_manifests(pg_catalog.int4),
	@extschema@.bx_link_departures(pg_catalog.float4, pg_catalog.float4),
	@extschema@.bx_departure_candidates(pg_catalog.int8),
	@extschema@.bx_resolve_departure(pg_catalog.int8, pg_catalog.int8, pg_catalog.text)
	TO bxexit_admin;
GRANT SELECT, INSERT, DELETE, TRUNCATE ON @extschema@.manifest_staging TO bxexit_admin;
GRANT SELECT ON @extschema@.departure_manifest, @extschema@.manifest_rejected, @extschema@.departure_link,
	@extschema@.departure_manifest_link
	TO bxexit_admin;
GRANT SELECT (departure_manifest_id, flight_id, family_name, given_names, date_of_birth, sex, citizenship,
			  seat, boarding_status, name_key, loaded_at, loaded_by)
	ON @extschema@.departure_manifest TO bxexit_analyst;
GRANT SELECT ON @extschema@.departure_link, @extschema@.departure_manifest_link TO bxexit_analyst;

/*
 * The gallery (58_gallery): administrators choose it and see where it
 * lives; the searches read it as the extension's owner.  The query builder
 * and the failure helper are internal.
 */
REVOKE EXECUTE ON FUNCTION
	@extschema@.bx_gallery(),
	@extschema@.bx_set_gallery(pg_catalog.regclass),
	@extschema@.bx_gallery_shards(),
	@extschema@.bx_gallery_nearest_sql(pg_catalog.regclass, pg_catalog.int4, pg_catalog.text),
	@extschema@.bx_gallery_failure(pg_catalog.text, pg_catalog.text, pg_catalog.text, pg_catalog.text)
	FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
	@extschema@.bx_gallery(),
	@extschema@.bx_set_gallery(pg_catalog.regclass),
	@extschema@.bx_gallery_shards()
	TO bxexit_admin;
GRANT SELECT ON @extschema@.gallery_source TO bxexit_admin;
