/*
 * bxexit--0.1.0--0.2.0.sql: update 0.1.0 to 0.2.0 (ALTER EXTENSION bxexit
 * UPDATE TO '0.2.0').  The result equals a fresh install of 0.2.0, the
 * script built from sql/install/ (test/upgrade.sh compares the catalogs):
 * - one vocabulary of match reasons: domain bx_match_reason, the type of
 *   exit_event.reason, and a CHECK on search_audit.outcome (a positive
 *   outcome or a reason); rows written by 0.1.0 satisfy both, and the
 *   ALTER TABLE statements check every existing row;
 * - one audit helper: bx_audit_search writes the search_audit row that
 *   bx_decide_exit (bx_match), bx_verify and bx_identify each wrote
 *   themselves; those three are replaced, with the same rows as before.
 * - security (issue 12): bx_match tells the gate only its decision, reason
 *   and exit event (no score: the functions are dropped and created again
 *   with the new result), and stops processing photos of a login past
 *   bxexit.gate_nomatch_limit no-matches on a flight (reason rate_limited,
 *   view gate_anomaly); audit rows are committed by a background worker
 *   (bx_durable_insert), so a rollback keeps them; face_embedding gathers
 *   no planner statistics and photo columns have statistics target 0 (and
 *   what ANALYZE copied before is deleted); a photo over the byte limit or
 *   for an unknown flight is not stored, and retention purges unknown
 *   flights' probes; exit_event.probe_source tells a photo from a submitted
 *   template, and departures say so; a flight's date is fixed once decisions
 *   hang off it; one rule for norms cosine cannot compare (CHECK on
 *   enrollment, galleries skip them); dates of the records lie in
 *   1900..2199; the photo searches pin the detector settings the thresholds
 *   were calibrated with.  An update stops with 23514 if 0.1.0 data break a
 *   new CHECK (infinite dates, a template of norm ~0): fix those rows first.
 * - departures (issue 13): bx_match processes only flights departing within
 *   bxexit.gate_departure_window days and takes an optional request id
 *   (exit_event.request_id: a retry returns the first decision); the
 *   departure view becomes one row per person and flight with its evidence
 *   level and knowledge time (bx_departures); an admission keeps the
 *   citizenship and document presented at entry; bx_admission_status,
 *   bx_overstay_report (and the new bx_overstay_summary) count only what
 *   was known by the as-of date, give a departure to the last admission
 *   before it (exit first, then entry), scope by class and mode, show late
 *   changes of status, count biometrically confirmed departures and
 *   overstays apart, and the never-due D/S admissions.
 * - galleries past one server (issue 15): bx_match, bx_verify and
 *   bx_identify read templates from bx_gallery(), bxexit.enrollment unless
 *   bx_set_gallery names another relation (partitioned by person, its
 *   partitions possibly foreign tables on shard servers); bx_identify gives
 *   each partition its own ORDER BY ... LIMIT, and a failed shard is named.
 * - bxann tunes itself (issue 14): CREATE INDEX chooses the index's probes
 *   and ef_search (bxann.probes and bxann.ef_search default to 0: use
 *   them); bxann_index_info shows them (new columns, so the function is
 *   dropped and created again).  Indexes built by 0.1.0 keep working with
 *   the fixed defaults of 0.1.0 until a REINDEX tunes them.
 * - bxann stores 4-bit codes at 256 dimensions and more (reloption bits:
 *   0 automatic, 4 or 8); bxann_index_info shows code_bits.  Indexes built
 *   by 0.1.0 keep their 8-bit codes until a REINDEX.
 */

\echo Use "ALTER EXTENSION bxexit UPDATE TO '0.2.0'" to load this file. \quit

/* ------------------------------------------ the vocabulary of reasons */

CREATE DOMAIN @extschema@.bx_match_reason AS pg_catalog.text
	CONSTRAINT bx_match_reason_check CHECK (VALUE OPERATOR(pg_catalog.=) ANY (ARRAY[
		'no_photo', 'no_probe', 'invalid_image', 'image_too_large', 'no_face', 'several_faces',
		'face_too_small', 'unknown_flight', 'unknown_person', 'nobody_enrolled', 'below_threshold',
		'rate_limited', 'flight_not_departing', 'poor_quality']));
COMMENT ON DOMAIN @extschema@.bx_match_reason IS
	'why a match, verify or identify decision is not a match: no_photo, no_probe, invalid_image, image_too_large, no_face, several_faces, face_too_small, unknown_flight, unknown_person, nobody_enrolled, below_threshold, rate_limited, flight_not_departing, poor_quality (the capture is below a bxexit.quality_* setting: retake)';

-- every existing reason is checked (the column is rewritten); the CHECK
-- constraint that ties reasons to no-match decisions is rebuilt unchanged
ALTER TABLE @extschema@.exit_event ALTER COLUMN reason TYPE @extschema@.bx_match_reason;
COMMENT ON COLUMN @extschema@.exit_event.reason IS
	'why it is not a match, one of the domain bx_match_reason; NULL for a match';

ALTER TABLE @extschema@.search_audit
	ADD CONSTRAINT search_audit_outcome_check
		CHECK (outcome OPERATOR(pg_catalog.=) ANY (ARRAY['match', 'candidate_above_threshold'])
			   OR outcome::@extschema@.bx_match_reason IS NOT NULL);

/* ------------------------------------------------- the audit helper */

CREATE FUNCTION @extschema@.bx_durable_insert(target pg_catalog.regclass, rec pg_catalog.jsonb)
	RETURNS void
	AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION @extschema@.bx_durable_insert(pg_catalog.regclass, pg_catalog.jsonb) IS
	'internal: insert a row (a JSON object of column values) into a table and commit it in the session''s audit writer, whatever the caller''s transaction does next';

CREATE FUNCTION @extschema@.bx_audit_search(search pg_catalog.text, model pg_catalog.text,
	flight_id pg_catalog.int8 DEFAULT NULL, claimed_person_id pg_catalog.int8 DEFAULT NULL,
	k pg_catalog.int4 DEFAULT NULL, gallery_size pg_catalog.int8 DEFAULT NULL,
	candidates pg_catalog.int4 DEFAULT NULL, top_person_id pg_catalog.int8 DEFAULT NULL,
	top_score pg_catalog.float4 DEFAULT NULL, outcome pg_catalog.text DEFAULT NULL,
	exit_event_id pg_catalog.int8 DEFAULT NULL)
	RETURNS void
	LANGUAGE sql VOLATILE
	SET search_path = pg_catalog, pg_temp
	BEGIN ATOMIC
		SELECT @extschema@.bx_durable_insert('@extschema@.search_audit'::pg_catalog.regclass,
			pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
				'occurred_at', pg_catalog.clock_timestamp(),
				'searched_by', SESSION_USER,
				'searched_as', NULLIF(pg_catalog.current_setting('role'), 'none'),
				'search', bx_audit_search.search, 'model', bx_audit_search.model,
				'flight_id', bx_audit_search.flight_id,
				'claimed_person_id', bx_audit_search.claimed_person_id,
				'k', bx_audit_search.k, 'gallery_size', bx_audit_search.gallery_size,
				'candidates', bx_audit_search.candidates,
				'top_person_id', bx_audit_search.top_person_id,
				'top_score', bx_audit_search.top_score, 'outcome', bx_audit_search.outcome,
				'exit_event_id', bx_audit_search.exit_event_id)));
	END;
COMMENT ON FUNCTION @extschema@.bx_audit_search(pg_catalog.text, pg_catalog.text, pg_catalog.int8,
	pg_catalog.int8, pg_catalog.int4, pg_catalog.int8, pg_catalog.int4, pg_catalog.int8,
	pg_catalog.float4, pg_catalog.text, pg_catalog.int8) IS
	'internal: write the search_audit row of one search (match, verify, identify); called by the search functions only';
REVOKE EXECUTE ON FUNCTION @extschema@.bx_audit_search(pg_catalog.text, pg_catalog.text, pg_catalog.int8,
	pg_catalog.int8, pg_catalog.int4, pg_catalog.int8, pg_catalog.int4, pg_catalog.int8,
	pg_catalog.float4, pg_catalog.text, pg_catalog.int8) FROM PUBLIC;

/*
 * The three searches now call the helper.  CREATE OR REPLACE keeps their
 * owner, grants and comments; the definitions below repeat every other
 * attribute (SECURITY DEFINER where it was, the pinned search_path), and
 * each replaced function is a member of bxexit already (PostgreSQL refuses
 * to replace one that is not).
 */
CREATE OR REPLACE FUNCTION @extschema@.bx_verify(probe @extschema@.face_embedding, person_id pg_catalog.int8,
	OUT decision pg_catalog.text, OUT score pg_catalog.float4, OUT threshold pg_catalog.float4,
	OUT templates pg_catalog.int4, OUT reason pg_catalog.text)
	LANGUAGE plpgsql VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	v_model text;
	v_state text;
	v_message text;
	v_detail text;
	v_context text;
BEGIN
	IF probe IS NULL OR person_id IS NULL THEN
		RAISE EXCEPTION 'bx_verify needs a probe and a person'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	SELECT t.model, t.threshold INTO v_model, threshold
	  FROM @extschema@.bx_probe_threshold(probe, 'verification') t;
	IF NOT EXISTS (SELECT FROM @extschema@.person p WHERE p.person_id = bx_verify.person_id) THEN
		reason := 'unknown_person';
		templates := 0;
	ELSE
		BEGIN
			EXECUTE pg_catalog.format(
				'SELECT max(@extschema@.bx_similarity(e.template, $3))::float4, count(*)
				   FROM %s e
				  WHERE e.person_id = $1 AND e.model = $2 AND @extschema@.bx_cosine_usable(e.template)',
				@extschema@.bx_gallery())
			  INTO score, templates
			 USING bx_verify.person_id, v_model, probe;
		EXCEPTION WHEN OTHERS OR query_canceled THEN
			GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
				v_detail = PG_EXCEPTION_DETAIL, v_context = PG_EXCEPTION_CONTEXT;
			PERFORM @extschema@.bx_gallery_failure(v_state, v_message, v_detail, v_context);
			RAISE;
		END;
		IF templates = 0 THEN
			reason := 'nobody_enrolled';
		ELSIF score < threshold THEN
			reason := 'below_threshold';
		END IF;
	END IF;
	decision := CASE WHEN reason IS NULL THEN 'match' ELSE 'no_match' END;

	PERFORM @extschema@.bx_audit_search(search => 'verify', model => v_model,
		claimed_person_id => bx_verify.person_id, gallery_size => templates, candidates => templates,
		top_score => score, outcome => coalesce(reason, decision));
	RAISE LOG 'bxexit audit: verify by % against person %: %',
		session_user, bx_verify.person_id, coalesce(reason, decision);
END
$$;

CREATE OR REPLACE FUNCTION @extschema@.bx_identify(probe @extschema@.face_embedding, k pg_catalog.int4 DEFAULT 10)
	RETURNS TABLE (rank pg_catalog.int4, person_id pg_catalog.int8, score pg_catalog.float4,
				   enrollment_id pg_catalog.int8, above_threshold pg_catalog.bool)
	LANGUAGE plpgsql VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	ROWS 10
	AS $$
DECLARE
	v_model text;
	v_threshold float4;
	v_gallery_dims int4;
	v_limit int8;
	v_fetched int8;
	v_people int8[];
	v_enrollments int8[];
	v_distances float8[];
	v_seen int8[] := '{}';
	i int4;
	v_gallery regclass := @extschema@.bx_gallery();
	v_nearest text;
	v_state text;
	v_message text;
	v_detail text;
	v_context text;
BEGIN
	IF probe IS NULL OR k IS NULL THEN
		RAISE EXCEPTION 'bx_identify needs a probe and k'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF k < 1 OR k > 1000 THEN
		RAISE EXCEPTION 'k must be between 1 and 1000, not %', k
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	SELECT t.model, t.threshold INTO v_model, v_threshold
	  FROM @extschema@.bx_probe_threshold(probe, 'identification') t;
	/*
	 * The gallery column has no typmod (templates of several models may
	 * coexist), so a bxann index on it is an expression index on the cast
	 * to the model's dimensions, usually partial on the model (README).
	 * The query spells the same expression so the planner can use it;
	 * bx_gallery_nearest_sql gives each partition (shard) its own.
	 */
	v_limit := greatest(4 * k, 40);
	v_nearest := 'SELECT array_agg(c.pid ORDER BY c.d, c.eid), array_agg(c.eid ORDER BY c.d, c.eid),
						 array_agg(c.d ORDER BY c.d, c.eid), count(*)
					FROM (' || @extschema@.bx_gallery_nearest_sql(v_gallery, @extschema@.bx_dims(probe), v_model)
				 || ') c';
	BEGIN
		EXECUTE pg_catalog.format('SELECT @extschema@.bx_dims(e.template) FROM %s e WHERE e.model = $1 LIMIT 1',
								  v_gallery)
		   INTO v_gallery_dims USING v_model;
		IF v_gallery_dims <> @extschema@.bx_dims(probe) THEN
			RAISE EXCEPTION 'probe has % dimensions, templates of model "%" have %',
				@extschema@.bx_dims(probe), v_model, v_gallery_dims
				USING ERRCODE = 'data_exception';
		END IF;
		LOOP
			EXECUTE v_nearest
			  INTO v_people, v_enrollments, v_distances, v_fetched
			 USING probe, v_limit;
			EXIT WHEN v_fetched < v_limit
				OR (SELECT count(DISTINCT p) FROM unnest(v_people) p) >= k;
			v_limit := v_limit * 4;
		END LOOP;
	EXCEPTION WHEN OTHERS OR query_canceled THEN
		GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
			v_detail = PG_EXCEPTION_DETAIL, v_context = PG_EXCEPTION_CONTEXT;
		PERFORM @extschema@.bx_gallery_failure(v_state, v_message, v_detail, v_context);
		RAISE;
	END;

	rank := 0;
	FOR i IN 1 .. coalesce(array_length(v_people, 1), 0) LOOP
		CONTINUE WHEN v_people[i] = ANY (v_seen);
		v_seen := v_seen || v_people[i];
		rank := rank + 1;
		person_id := v_people[i];
		enrollment_id := v_enrollments[i];
		score := (1 - v_distances[i])::float4;
		above_threshold := score >= v_threshold;
		RETURN NEXT;
		EXIT WHEN rank >= k;
	END LOOP;

	PERFORM @extschema@.bx_audit_search(search => 'identify', model => v_model, k => k,
		candidates => rank, top_person_id => v_people[1], top_score => (1 - v_distances[1])::float4,
		outcome => CASE WHEN rank = 0 THEN 'nobody_enrolled'
						WHEN (1 - v_distances[1]) >= v_threshold THEN 'candidate_above_threshold'
						ELSE 'below_threshold' END);
	RAISE LOG 'bxexit audit: identify by %, k %, % candidates', session_user, k, rank;
END
$$;

/* ==================================================================
 * Security (issue 12): what the gate learns, audit that survives a
 * rollback, no templates in planner statistics, bounded gate writes,
 * template probes are not biometric departures, one rule for norms, dates
 * in range, pinned pipeline settings.
 * ================================================================== */

/* -------------------------------------------------- planner statistics */
CREATE FUNCTION @extschema@.face_embedding_typanalyze(pg_catalog.internal)
	RETURNS pg_catalog.bool
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.face_embedding_typanalyze(pg_catalog.internal) IS
	'ANALYZE support of face_embedding: gathers no statistics, so templates never enter pg_statistic';
ALTER TYPE @extschema@.face_embedding SET (ANALYZE = @extschema@.face_embedding_typanalyze);
ALTER TABLE @extschema@.enrollment ALTER COLUMN photo SET STATISTICS 0;
ALTER TABLE @extschema@.exit_event ALTER COLUMN probe_photo SET STATISTICS 0;
-- what ANALYZE already copied (columns and index expressions of the type,
-- in any table, and the photo columns) goes now; later ANALYZEs add none
DELETE FROM pg_catalog.pg_statistic s
 USING pg_catalog.pg_attribute a
 WHERE a.attrelid OPERATOR(pg_catalog.=) s.starelid AND a.attnum OPERATOR(pg_catalog.=) s.staattnum
   AND (a.atttypid OPERATOR(pg_catalog.=) '@extschema@.face_embedding'::pg_catalog.regtype
		OR (a.attrelid OPERATOR(pg_catalog.=) '@extschema@.enrollment'::pg_catalog.regclass
			AND a.attname OPERATOR(pg_catalog.=) 'photo')
		OR (a.attrelid OPERATOR(pg_catalog.=) '@extschema@.exit_event'::pg_catalog.regclass
			AND a.attname OPERATOR(pg_catalog.=) 'probe_photo'));

/* ---------------------------------------- one rule for cosine norms */
CREATE FUNCTION @extschema@.bx_cosine_usable(@extschema@.face_embedding)
	RETURNS pg_catalog.bool
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bx_cosine_usable(@extschema@.face_embedding) IS
	'whether cosine distance can compare the embedding: its norm is at least 1e-6 (the rule the distances and bxann apply)';

/* ------------------------ gate photos: pixel limit, capture quality */
/*
 * bx_embed_quality gains the capture quality columns: new OUT columns are
 * a new row type, so 0.1.0's function is dropped and made again, bound to
 * a new C symbol (the module keeps the old one for 0.1.0's definition).
 */
DROP FUNCTION @extschema@.bx_embed_quality(pg_catalog.bytea, pg_catalog.text);
/*
 * bx_embed_quality: the template, or the reason there is none, and the
 * capture quality of the face embedded (lib/facepipe/quality.h; README
 * "Capture quality"): the overall score, the first component below the
 * bxexit.quality_* settings (NULL when the capture meets them: bx_match's
 * poor_quality), and each component; score is the detector's confidence,
 * eye_distance the inter-eye distance in pixels.
 */
CREATE FUNCTION @extschema@.bx_embed_quality(photo pg_catalog.bytea, rule pg_catalog.text DEFAULT 'single',
	OUT embedding @extschema@.face_embedding, OUT status pg_catalog.text, OUT faces pg_catalog.int4,
	OUT score pg_catalog.float4, OUT eye_distance pg_catalog.float4, OUT detail pg_catalog.text,
	OUT quality pg_catalog.float4, OUT quality_failure pg_catalog.text, OUT sharpness pg_catalog.float4,
	OUT brightness pg_catalog.float4, OUT contrast pg_catalog.float4, OUT roll pg_catalog.float4,
	OUT yaw pg_catalog.float4, OUT pitch pg_catalog.float4, OUT face_size pg_catalog.float4,
	OUT face_in_frame pg_catalog.float4)
	AS 'MODULE_PATHNAME', 'bx_embed_quality_0_2' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 10000;
COMMENT ON FUNCTION @extschema@.bx_embed_quality(pg_catalog.bytea, pg_catalog.text) IS
	'like bx_embed, but returns a status (ok, no_face, several_faces, face_too_small, invalid_image, image_too_large) instead of raising, and the capture quality of the face: overall score 0-100, the first component below the bxexit.quality_* settings, each component';

CREATE FUNCTION @extschema@.bx_embed_quality(photo pg_catalog.bytea, rule pg_catalog.text,
	max_pixels pg_catalog.int8,
	OUT embedding @extschema@.face_embedding, OUT status pg_catalog.text, OUT faces pg_catalog.int4,
	OUT score pg_catalog.float4, OUT eye_distance pg_catalog.float4, OUT detail pg_catalog.text,
	OUT quality pg_catalog.float4, OUT quality_failure pg_catalog.text, OUT sharpness pg_catalog.float4,
	OUT brightness pg_catalog.float4, OUT contrast pg_catalog.float4, OUT roll pg_catalog.float4,
	OUT yaw pg_catalog.float4, OUT pitch pg_catalog.float4, OUT face_size pg_catalog.float4,
	OUT face_in_frame pg_catalog.float4)
	AS 'MODULE_PATHNAME', 'bx_embed_quality_0_2' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 10000;
COMMENT ON FUNCTION @extschema@.bx_embed_quality(pg_catalog.bytea, pg_catalog.text, pg_catalog.int8) IS
	'bx_embed_quality under a lower pixel limit (the smaller of max_pixels and bxexit.max_image_pixels): bx_match''s gate photos';

/* ------------------------------------------------- records: dates, norms */
CREATE FUNCTION @extschema@.bx_plausible_date(d pg_catalog.date)
	RETURNS pg_catalog.bool
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	RETURN d OPERATOR(pg_catalog.>=) '1900-01-01'::pg_catalog.date
		AND d OPERATOR(pg_catalog.<=) '2199-12-31'::pg_catalog.date;
COMMENT ON FUNCTION @extschema@.bx_plausible_date(pg_catalog.date) IS
	'whether a date lies in 1900-01-01 .. 2199-12-31, the range every date of the records must be in';
ALTER TABLE @extschema@.person
	ADD CONSTRAINT person_dates_plausible CHECK (@extschema@.bx_plausible_date(date_of_birth));
ALTER TABLE @extschema@.travel_document
	ADD CONSTRAINT travel_document_dates_plausible
		CHECK (@extschema@.bx_plausible_date(issued_on) AND @extschema@.bx_plausible_date(expires_on));
ALTER TABLE @extschema@.admission
	ADD CONSTRAINT admission_dates_plausible
		CHECK (@extschema@.bx_plausible_date(admitted_on) AND @extschema@.bx_plausible_date(admit_until)
			   AND @extschema@.bx_plausible_date(program_end_date)
			   AND @extschema@.bx_plausible_date(status_changed_on));
ALTER TABLE @extschema@.flight
	ADD CONSTRAINT flight_departure_date_plausible CHECK (@extschema@.bx_plausible_date(departure_date));
-- a template of norm ~0 recorded by 0.1.0 stops the update here (23514): it
-- is corrupt; delete or replace that enrollment, then update again
ALTER TABLE @extschema@.enrollment
	ADD CONSTRAINT enrollment_template_usable CHECK (@extschema@.bx_cosine_usable(template));

/* -------------------------------------- exit events: what the gate sent */

/*
 * 0.1.0 did not record whether a decision came from a photo or from a
 * template.  Its photo calls kept the photo (unless it did not decode) or
 * ended in a reason of the photo step; its template calls kept no photo
 * but the template.  Events whose probe retention already purged cannot
 * be told apart: unknown.
 */
ALTER TABLE @extschema@.exit_event ADD COLUMN probe_source pg_catalog.text;
UPDATE @extschema@.exit_event x SET probe_source =
	CASE WHEN x.probe_photo IS NOT NULL
			  OR x.reason::pg_catalog.text OPERATOR(pg_catalog.=) ANY (ARRAY['no_photo', 'invalid_image',
				'image_too_large', 'no_face', 'several_faces', 'face_too_small']) THEN 'photo'
		 WHEN x.reason::pg_catalog.text OPERATOR(pg_catalog.=) 'no_probe'
			  OR (x.probe_template IS NOT NULL AND x.probe_purged_at IS NULL) THEN 'template'
		 ELSE 'unknown' END;
ALTER TABLE @extschema@.exit_event ALTER COLUMN probe_source SET NOT NULL,
	ADD CONSTRAINT exit_event_probe_source_check
		CHECK (probe_source OPERATOR(pg_catalog.=) ANY (ARRAY['photo', 'template', 'unknown']));
COMMENT ON COLUMN @extschema@.exit_event.probe_source IS
	'what the gate sent: photo (a biometric capture), template (bx_match of a vector, an administrator''s call: no capture), unknown (0.1.0 events whose probe was purged before 0.2.0 recorded it)';
-- the gate's own request id: a retry returns the decision already recorded
ALTER TABLE @extschema@.exit_event ADD COLUMN request_id pg_catalog.text,
	ADD CONSTRAINT exit_event_request_id_check
		CHECK (pg_catalog.length(request_id) OPERATOR(pg_catalog.<=) 64);
COMMENT ON COLUMN @extschema@.exit_event.request_id IS
	'the gate''s own id of the request (bx_match''s request_id): a retry with the same id returns this decision instead of recording another';
-- the capture quality of gate photos (issue 17); 0.1.0 events have none
ALTER TABLE @extschema@.exit_event ADD COLUMN capture_quality pg_catalog.float4,
	ADD COLUMN quality_component pg_catalog.text,
	ADD CONSTRAINT exit_event_quality_component_check
		CHECK ((reason IS NOT DISTINCT FROM 'poor_quality') OPERATOR(pg_catalog.=) (quality_component IS NOT NULL)
			   AND quality_component OPERATOR(pg_catalog.=) ANY (ARRAY['eye_distance', 'face_size',
				'face_in_frame', 'roll', 'yaw', 'pitch', 'under_exposure', 'over_exposure', 'contrast',
				'sharpness', 'confidence', 'score']));
COMMENT ON COLUMN @extschema@.exit_event.capture_quality IS
	'overall capture quality (0-100, bx_embed_quality''s quality) of the gate photo''s face; NULL when no face was embedded';
COMMENT ON COLUMN @extschema@.exit_event.quality_component IS
	'for reason poor_quality: the first quality component below its bxexit.quality_* setting (eye_distance, face_size, face_in_frame, roll, yaw, pitch, under_exposure, over_exposure, contrast, sharpness, confidence, score); NULL otherwise';
CREATE UNIQUE INDEX exit_event_request_idx ON @extschema@.exit_event (recorded_by, request_id)
	WHERE request_id IS NOT NULL;

CREATE INDEX search_audit_gate_idx ON @extschema@.search_audit (searched_by, flight_id, occurred_at)
	WHERE search OPERATOR(pg_catalog.=) 'match';

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

/* ---------------------------------- the gate: what it sees, how often */

-- bx_match's result loses score, margin, gallery size, person and threshold:
-- a new result type, so the functions are dropped and created again
DROP FUNCTION @extschema@.bx_match(pg_catalog.bytea, pg_catalog.int8);
DROP FUNCTION @extschema@.bx_match(@extschema@.face_embedding, pg_catalog.int8);
DROP FUNCTION @extschema@.bx_decide_exit(@extschema@.face_embedding, pg_catalog.bytea, pg_catalog.text, pg_catalog.int8);

CREATE FUNCTION @extschema@.bx_gate_settings(OUT nomatch_limit pg_catalog.int4,
	OUT nomatch_window pg_catalog.interval, OUT max_image_pixels pg_catalog.int8,
	OUT max_image_bytes pg_catalog.int4, OUT departure_window pg_catalog.int4)
	AS 'MODULE_PATHNAME' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bx_gate_settings() IS
	'internal: the gate''s settings: no-match limit and window (bxexit.gate_nomatch_*), pixel and byte limits of its photos, days a flight may depart from today (bxexit.gate_departure_window)';

CREATE FUNCTION @extschema@.bx_gate_nomatch_count(flight pg_catalog.int8, time_window pg_catalog.interval,
	cap pg_catalog.int4)
	RETURNS pg_catalog.int8
	AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION @extschema@.bx_gate_nomatch_count(pg_catalog.int8, pg_catalog.interval, pg_catalog.int4) IS
	'internal: the session user''s no-match searches on a flight within the window, at most cap, read with the latest snapshot (audit rows committed by the audit writer)';

CREATE FUNCTION @extschema@.bx_gate_throttled(flight pg_catalog.int8)
	RETURNS pg_catalog.bool
	LANGUAGE plpgsql VOLATILE
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	s record;
BEGIN
	SELECT * INTO s FROM @extschema@.bx_gate_settings();
	RETURN s.nomatch_limit > 0 AND flight IS NOT NULL
		AND @extschema@.bx_gate_nomatch_count(flight, s.nomatch_window, s.nomatch_limit) >= s.nomatch_limit;
END
$$;
COMMENT ON FUNCTION @extschema@.bx_gate_throttled(pg_catalog.int8) IS
	'internal: whether the session user reached bxexit.gate_nomatch_limit no-matches on the flight within bxexit.gate_nomatch_window';

CREATE FUNCTION @extschema@.bx_decide_exit(probe @extschema@.face_embedding, photo pg_catalog.bytea,
	acquisition pg_catalog.text, requested_flight pg_catalog.int8, probe_source pg_catalog.text,
	request_id pg_catalog.text, capture_quality pg_catalog.float4, quality_component pg_catalog.text,
	OUT decision pg_catalog.text, OUT person_id pg_catalog.int8, OUT score pg_catalog.float4,
	OUT margin pg_catalog.float4, OUT reason pg_catalog.text, OUT gallery_size pg_catalog.int4,
	OUT threshold pg_catalog.float4, OUT exit_event_id pg_catalog.int8)
	LANGUAGE plpgsql VOLATILE
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	v_flight int8;
	v_model text;
	v_runner_up float4;
	v_best int8;
	v_people int8[];
	g record;
	v_state text;
	v_message text;
	v_detail text;
	v_context text;
BEGIN
	SELECT f.flight_id INTO v_flight FROM @extschema@.flight f WHERE f.flight_id = requested_flight;
	gallery_size := 0;
	IF acquisition = 'ok' THEN
		SELECT t.model, t.threshold INTO v_model, threshold
		  FROM @extschema@.bx_probe_threshold(probe, 'identification') t;
	END IF;

	IF acquisition = 'rate_limited' THEN
		reason := acquisition;
	ELSIF v_flight IS NULL THEN
		reason := 'unknown_flight';
	ELSIF acquisition <> 'ok' THEN
		reason := acquisition;
	ELSE
		SELECT array_agg(DISTINCT m.person_id) INTO v_people
		  FROM @extschema@.manifest m WHERE m.flight_id = v_flight;
		/*
		 * The gallery (bx_gallery) is read by the manifest's people: a
		 * gallery partitioned by person is pruned to the partitions, and
		 * shards, that hold them.  A template cosine cannot compare stays
		 * out: it must not fail the flight for everybody (enrollment
		 * refuses new ones).
		 */
		BEGIN
			FOR g IN EXECUTE pg_catalog.format(
				'SELECT e.person_id AS pid,
						max(@extschema@.bx_similarity(e.template, $3))::float4 AS s,
						count(*) OVER () AS n
				   FROM %s e
				  WHERE e.person_id = ANY ($1) AND e.model = $2
					AND @extschema@.bx_cosine_usable(e.template)
				  GROUP BY e.person_id
				  ORDER BY s DESC, pid
				  LIMIT 2', @extschema@.bx_gallery())
				USING v_people, v_model, probe
			LOOP
				IF v_best IS NULL THEN
					v_best := g.pid;
					score := g.s;
					gallery_size := g.n;
				ELSE
					v_runner_up := g.s;
				END IF;
			END LOOP;
		EXCEPTION WHEN OTHERS OR query_canceled THEN
			GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
				v_detail = PG_EXCEPTION_DETAIL, v_context = PG_EXCEPTION_CONTEXT;
			PERFORM @extschema@.bx_gallery_failure(v_state, v_message, v_detail, v_context);
			RAISE;
		END;
		margin := score - v_runner_up;
		IF v_best IS NULL THEN
			reason := 'nobody_enrolled';
		ELSIF score < threshold THEN
			reason := 'below_threshold';
		ELSE
			person_id := v_best;
		END IF;
	END IF;
	decision := CASE WHEN reason IS NULL THEN 'match' ELSE 'no_match' END;

	IF reason IS DISTINCT FROM 'rate_limited' THEN
		INSERT INTO @extschema@.exit_event AS x
			(requested_flight_id, flight_id, decision, reason, person_id, score, runner_up_score,
			 threshold, model, gallery_size, probe_template, probe_photo, probe_source, request_id,
			 capture_quality, quality_component)
		VALUES (requested_flight, v_flight, decision, reason, person_id, score, v_runner_up,
				threshold, v_model, gallery_size, probe,
				CASE WHEN v_flight IS NULL
						  OR acquisition IN ('invalid_image', 'image_too_large', 'flight_not_departing')
					 THEN NULL ELSE photo END,
				probe_source, request_id, capture_quality,
				CASE WHEN reason = 'poor_quality' THEN quality_component END)
		RETURNING x.exit_event_id INTO exit_event_id;
	END IF;

	PERFORM @extschema@.bx_audit_search(search => 'match', model => v_model,
		flight_id => requested_flight, gallery_size => gallery_size, candidates => gallery_size,
		top_person_id => v_best, top_score => score, outcome => coalesce(reason, decision),
		exit_event_id => exit_event_id);
	RAISE LOG 'bxexit audit: match by %, flight %, % (%), exit event %',
		session_user, requested_flight, decision, coalesce(reason, 'matched'), exit_event_id;
END
$$;
COMMENT ON FUNCTION @extschema@.bx_decide_exit(@extschema@.face_embedding, pg_catalog.bytea, pg_catalog.text, pg_catalog.int8, pg_catalog.text, pg_catalog.text, pg_catalog.float4, pg_catalog.text) IS
	'internal: score a probe against a flight''s gallery, record the exit event and the audit row';

CREATE FUNCTION @extschema@.bx_match(photo pg_catalog.bytea, flight_id pg_catalog.int8,
	request_id pg_catalog.text DEFAULT NULL,
	OUT decision pg_catalog.text, OUT reason pg_catalog.text, OUT exit_event_id pg_catalog.int8)
	LANGUAGE plpgsql VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	SET bxexit.face_score_threshold = '0.9'
	SET bxexit.min_eye_distance = '0'
	AS $$
DECLARE
	s record;
	v_departs date;
	v_probe @extschema@.face_embedding;
	v_status text;
	v_quality float4;
	v_failure text;
BEGIN
	IF pg_catalog.length(request_id) > 64 THEN
		RAISE EXCEPTION 'request_id has % characters, at most 64', pg_catalog.length(request_id)
			USING ERRCODE = 'string_data_right_truncation';
	END IF;
	-- a retried request (same login, same id) gets the decision already recorded
	IF request_id IS NOT NULL THEN
		SELECT x.decision, x.reason, x.exit_event_id INTO decision, reason, exit_event_id
		  FROM @extschema@.exit_event x
		 WHERE x.recorded_by = SESSION_USER AND x.request_id = bx_match.request_id;
		IF FOUND THEN
			PERFORM @extschema@.bx_audit_search(search => 'match', model => NULL,
				flight_id => bx_match.flight_id, outcome => coalesce(reason, decision),
				exit_event_id => exit_event_id);
			RETURN;
		END IF;
	END IF;
	SELECT * INTO s FROM @extschema@.bx_gate_settings();
	SELECT f.departure_date INTO v_departs FROM @extschema@.flight f WHERE f.flight_id = bx_match.flight_id;
	IF @extschema@.bx_gate_throttled(bx_match.flight_id) THEN
		v_status := 'rate_limited';
	ELSIF photo IS NULL THEN
		v_status := 'no_photo';
	ELSIF pg_catalog.octet_length(photo) > s.max_image_bytes THEN
		v_status := 'image_too_large';
	ELSIF v_departs IS NULL THEN
		-- no gallery to search: spare the face pipeline (the decision is unknown_flight)
		v_status := 'not_processed';
	ELSIF pg_catalog.abs(v_departs - CURRENT_DATE) > s.departure_window THEN
		-- a gate matches travellers of flights leaving now
		v_status := 'flight_not_departing';
	ELSE
		-- the traveller at the camera is the largest face; people queueing behind are smaller
		SELECT e.embedding, e.status, e.quality, e.quality_failure
		  INTO v_probe, v_status, v_quality, v_failure
		  FROM @extschema@.bx_embed_quality(photo, 'largest', s.max_image_pixels) e;
		-- a capture below the quality settings is not matched: the gate asks for a retake
		IF v_failure IS NOT NULL THEN
			v_status := 'poor_quality';
			v_probe := NULL;
		END IF;
	END IF;
	SELECT d.decision, d.reason, d.exit_event_id INTO decision, reason, exit_event_id
	  FROM @extschema@.bx_decide_exit(v_probe, photo, v_status, bx_match.flight_id, 'photo',
									  bx_match.request_id, v_quality, v_failure) d;
END
$$;
COMMENT ON FUNCTION @extschema@.bx_match(pg_catalog.bytea, pg_catalog.int8, pg_catalog.text) IS
	'gate decision for a photo on a flight departing around today: match or no_match, the reason of a no-match (poor_quality: retake; the failing component is in exit_event) and the exit event recorded (scores stay in exit_event); a retry with the same request_id returns the first decision';

CREATE FUNCTION @extschema@.bx_match(probe @extschema@.face_embedding, flight_id pg_catalog.int8,
	OUT decision pg_catalog.text, OUT reason pg_catalog.text, OUT exit_event_id pg_catalog.int8)
	LANGUAGE plpgsql VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	AS $$
BEGIN
	SELECT d.decision, d.reason, d.exit_event_id INTO decision, reason, exit_event_id
	  FROM @extschema@.bx_decide_exit(probe, NULL,
			CASE WHEN @extschema@.bx_gate_throttled(bx_match.flight_id) THEN 'rate_limited'
				 WHEN probe IS NULL THEN 'no_probe' ELSE 'ok' END,
			bx_match.flight_id, 'template', NULL, NULL, NULL) d;
END
$$;
COMMENT ON FUNCTION @extschema@.bx_match(@extschema@.face_embedding, pg_catalog.int8) IS
	'decision for a probe template on a flight (bx_match(photo, flight) without the photo step); recorded with probe_source template: not a biometric capture';

-- the photo variants of the 1:1 and 1:N searches pin the pipeline settings too
ALTER FUNCTION @extschema@.bx_verify(pg_catalog.bytea, pg_catalog.int8)
	SET bxexit.face_score_threshold = '0.9' SET bxexit.min_eye_distance = '0';
ALTER FUNCTION @extschema@.bx_identify(pg_catalog.bytea, pg_catalog.int4)
	SET bxexit.face_score_threshold = '0.9' SET bxexit.min_eye_distance = '0';

/* ================================ Departure manifests (issue 13): begin */
/* the same statements as sql/install/65_departures.sql and the departures grants of 90_roles_grants.sql */


/* ---------------------------------------------- departures: name keys */

/*
 * ADIS-style matching (../shared/DOMAIN.md, A6): business rules and
 * normalisation first, then tiers of exact matches, then a fuzzy name
 * match (Damerau-Levenshtein).  Names are compared as one key, made by one
 * IMMUTABLE function: NFKD, combining marks dropped (Jürgen, José, Øre:
 * JURGEN, JOSE, ORE), letters without a decomposition spelled out (ß SS,
 * Æ AE, Œ OE, Ø O, Ł L, Đ/Ð D, Þ TH, ı I), apostrophes dropped (O'Brien:
 * OBRIEN), ASCII upper case, every run of other ASCII characters (spaces,
 * hyphens, dots, digits) and of Unicode dashes and spaces one space,
 * trimmed; NULL when nothing is left.  Letters of other scripts are kept
 * as they are (not case-folded): manifests carry the document's Latin
 * transliteration (ICAO 9303).  Needs a UTF8 database (normalize()).
 * Transliteration variants (Juergen, Muhammad/Mohammed) are left to the
 * fuzzy tier: folding "UE" to "U" would also fold names that are spelled
 * so.
 */
CREATE FUNCTION @extschema@.bx_normalize_name(name pg_catalog.text)
	RETURNS pg_catalog.text
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	RETURN NULLIF(pg_catalog.btrim(pg_catalog.regexp_replace(
		pg_catalog.upper(pg_catalog.regexp_replace(pg_catalog.normalize(
			pg_catalog.translate(
				pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(
				pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(
				pg_catalog.regexp_replace(name, '[''`´ʻʼʽ‘’‛]', '', 'g'),
					'ß', 'SS'), 'æ', 'AE'), 'Æ', 'AE'), 'œ', 'OE'), 'Œ', 'OE'),
					'þ', 'TH'), 'Þ', 'TH'), 'ẞ', 'SS'),
				'øØłŁđĐðÐıħĦ', 'OOLLDDDDIHH'),
			'NFKD'), '[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]', '', 'g')
			COLLATE pg_catalog."C"),
		'[\u0001-\u0040\u005b-\u007f\u00a0\u2000-\u2015\u2212\u3000]+', ' ', 'g')), '');
COMMENT ON FUNCTION @extschema@.bx_normalize_name(pg_catalog.text) IS
	'the match key of a name: NFKD without diacritics, special letters spelled out, no apostrophes, ASCII upper case, hyphens, punctuation and spacing as single spaces; NULL if no letter is left';

CREATE FUNCTION @extschema@.bx_name_key(family_name pg_catalog.text, given_names pg_catalog.text)
	RETURNS pg_catalog.text
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	RETURN @extschema@.bx_normalize_name(COALESCE(family_name, '') OPERATOR(pg_catalog.||) ' '
		OPERATOR(pg_catalog.||) COALESCE(given_names, ''));
COMMENT ON FUNCTION @extschema@.bx_name_key(pg_catalog.text, pg_catalog.text) IS
	'the match key of a person''s name: bx_normalize_name of family name, a space, given names (swap the arguments for a swapped name)';

CREATE FUNCTION @extschema@.bx_name_distance(a pg_catalog.text, b pg_catalog.text)
	RETURNS pg_catalog.int4
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bx_name_distance(pg_catalog.text, pg_catalog.text) IS
	'optimal string alignment (restricted Damerau-Levenshtein) distance in characters: insertions, deletions, substitutions, adjacent transpositions; at most 512 characters each (54000)';

CREATE FUNCTION @extschema@.bx_name_similarity(a pg_catalog.text, b pg_catalog.text)
	RETURNS pg_catalog.float4
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bx_name_similarity(pg_catalog.text, pg_catalog.text) IS
	'1 - bx_name_distance / length of the longer string, 0 to 1; compare name keys (bx_name_key)';

/*
 * A date of a manifest (ISO YYYY-MM-DD, as the CSV carries it), or NULL
 * when the text is not one: a rejected row needs a reason, not an
 * exception that takes the whole batch.  make_date is immutable, unlike
 * the text-to-date cast, which reads DateStyle.
 */
CREATE FUNCTION @extschema@.bx_parse_date(t pg_catalog.text)
	RETURNS pg_catalog.date
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	RETURN CASE WHEN t OPERATOR(pg_catalog.~) '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$'
				 AND pg_catalog.substr(t, 1, 4)::pg_catalog.int4 OPERATOR(pg_catalog.>=) 1
		THEN CASE WHEN pg_catalog.substr(t, 9, 2)::pg_catalog.int4 OPERATOR(pg_catalog.<=)
				pg_catalog.date_part('day', pg_catalog.make_date(pg_catalog.substr(t, 1, 4)::pg_catalog.int4,
					pg_catalog.substr(t, 6, 2)::pg_catalog.int4, 1)
					OPERATOR(pg_catalog.+) '1 month -1 day'::pg_catalog.interval)
			THEN pg_catalog.make_date(pg_catalog.substr(t, 1, 4)::pg_catalog.int4,
				pg_catalog.substr(t, 6, 2)::pg_catalog.int4, pg_catalog.substr(t, 9, 2)::pg_catalog.int4)
			END
		END;
COMMENT ON FUNCTION @extschema@.bx_parse_date(pg_catalog.text) IS
	'internal: a YYYY-MM-DD text as a date, NULL when it is not a valid one';

/* -------------------------------------------- departures: tables */

/*
 * An administrator loads a day's manifests (CSV, header line, these
 * columns in this order) with \copy bxexit.manifest_staging FROM ... CSV
 * HEADER, then calls bx_load_departure_manifests().  All text, no
 * constraint: every value is checked by the loader, which gives each bad
 * row a reason instead of failing the COPY.
 */
CREATE TABLE @extschema@.manifest_staging (
	carrier pg_catalog.text,
	flight_number pg_catalog.text,
	departure_date pg_catalog.text,
	departure_airport pg_catalog.text,
	arrival_airport pg_catalog.text,
	family_name pg_catalog.text,
	given_names pg_catalog.text,
	date_of_birth pg_catalog.text,
	sex pg_catalog.text,
	citizenship pg_catalog.text,
	document_type pg_catalog.text,
	document_number pg_catalog.text,
	document_country pg_catalog.text,
	seat pg_catalog.text,
	boarding_status pg_catalog.text
);
COMMENT ON TABLE @extschema@.manifest_staging IS
	'carrier departure manifests (APIS) as loaded by COPY, all text; bx_load_departure_manifests() moves each row to departure_manifest or manifest_rejected';

CREATE TABLE @extschema@.departure_manifest (
	departure_manifest_id pg_catalog.int8 GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	flight_id pg_catalog.int8 NOT NULL REFERENCES @extschema@.flight,
	family_name pg_catalog.text NOT NULL
		CHECK (pg_catalog.length(family_name) OPERATOR(pg_catalog.<=) 200),
	given_names pg_catalog.text
		CHECK (pg_catalog.length(given_names) OPERATOR(pg_catalog.<=) 200),
	date_of_birth pg_catalog.date NOT NULL,
	sex pg_catalog.text CHECK (sex OPERATOR(pg_catalog.=) ANY (ARRAY['F', 'M', 'X'])),
	citizenship pg_catalog.text NOT NULL
		CHECK (citizenship OPERATOR(pg_catalog.~) '^[A-Z]{3}$'),
	document_type pg_catalog.text
		CHECK (document_type OPERATOR(pg_catalog.~) '^[A-Z]{1,2}$'),
	document_number pg_catalog.text
		CHECK (document_number OPERATOR(pg_catalog.~) '^[0-9A-Z]{1,20}$'),
	document_country pg_catalog.text
		CHECK (document_country OPERATOR(pg_catalog.~) '^[A-Z]{3}$'),
	seat pg_catalog.text CHECK (seat OPERATOR(pg_catalog.~) '^[0-9]{1,3}[A-Z]?$'),
	boarding_status pg_catalog.text NOT NULL DEFAULT 'boarded'
		CHECK (boarding_status OPERATOR(pg_catalog.=) ANY (ARRAY['boarded', 'not_boarded'])),
	name_key pg_catalog.text GENERATED ALWAYS AS (@extschema@.bx_name_key(family_name, given_names)) STORED
		CONSTRAINT departure_manifest_name_key_present CHECK (name_key IS NOT NULL),
	loaded_at pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.statement_timestamp(),
	loaded_by pg_catalog.name NOT NULL DEFAULT SESSION_USER,
	CONSTRAINT departure_manifest_document_complete
		CHECK ((document_number IS NULL) OPERATOR(pg_catalog.=) (document_country IS NULL)),
	CONSTRAINT departure_manifest_dates_plausible CHECK (@extschema@.bx_plausible_date(date_of_birth))
);
COMMENT ON TABLE @extschema@.departure_manifest IS
	'one passenger of a carrier''s departure manifest (APIS), as read from the travel document: the biographic departure record; written only by bx_load_departure_manifests()';
COMMENT ON COLUMN @extschema@.departure_manifest.document_type IS
	'document code as read (ICAO 9303: P passport, V visa, I identity card...)';
COMMENT ON COLUMN @extschema@.departure_manifest.document_country IS
	'issuing state of the document, ISO 3166-1 alpha-3';
COMMENT ON COLUMN @extschema@.departure_manifest.name_key IS
	'bx_name_key(family_name, given_names): the key the name tiers compare';
COMMENT ON COLUMN @extschema@.departure_manifest.loaded_at IS
	'knowledge time: when bxexit learned of this departure (the loader''s statement time)';
COMMENT ON COLUMN @extschema@.departure_manifest.loaded_by IS 'the login that loaded it';
-- a manifest sent twice lists its passengers twice: one row per passenger and flight
CREATE UNIQUE INDEX departure_manifest_passenger_idx
	ON @extschema@.departure_manifest (flight_id, date_of_birth, name_key);

CREATE TABLE @extschema@.manifest_rejected (
	rejected_id pg_catalog.int8 GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	line pg_catalog.int8 NOT NULL,
	carrier pg_catalog.text,
	flight_number pg_catalog.text,
	departure_date pg_catalog.text,
	departure_airport pg_catalog.text,
	arrival_airport pg_catalog.text,
	family_name pg_catalog.text,
	given_names pg_catalog.text,
	date_of_birth pg_catalog.text,
	sex pg_catalog.text,
	citizenship pg_catalog.text,
	document_type pg_catalog.text,
	document_number pg_catalog.text,
	document_country pg_catalog.text,
	seat pg_catalog.text,
	boarding_status pg_catalog.text,
	reason pg_catalog.text NOT NULL,
	rejected_at pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.statement_timestamp(),
	rejected_by pg_catalog.name NOT NULL DEFAULT SESSION_USER
);
COMMENT ON TABLE @extschema@.manifest_rejected IS
	'staged manifest rows bx_load_departure_manifests() refused, with every reason; values kept as staged, cut to 1,000 characters';
COMMENT ON COLUMN @extschema@.manifest_rejected.line IS
	'position of the row in its batch, in staging order (the CSV line less the header, when the staging table was empty before the COPY)';

/*
 * Who a manifest row is.  A link is never updated in place except to
 * close it: a correction closes the current link (superseded_at) and
 * writes the officer's, so the table is the history.  At most one current
 * link per row; a row without one is unlinked.  Tiers: document (document
 * number and issuing country, date of birth agreeing), name_dob (name key
 * and date of birth), fuzzy (name similarity, date of birth, citizenship),
 * officer (bx_resolve_departure; person_id NULL: nobody on record).
 */
CREATE TABLE @extschema@.departure_link (
	link_id pg_catalog.int8 GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	departure_manifest_id pg_catalog.int8 NOT NULL REFERENCES @extschema@.departure_manifest,
	person_id pg_catalog.int8 REFERENCES @extschema@.person,
	tier pg_catalog.text NOT NULL
		CHECK (tier OPERATOR(pg_catalog.=) ANY (ARRAY['document', 'name_dob', 'fuzzy', 'officer'])),
	score pg_catalog.float4 CHECK (score OPERATOR(pg_catalog.>=) 0 AND score OPERATOR(pg_catalog.<=) 1),
	runner_up_score pg_catalog.float4,
	linked_at pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.statement_timestamp(),
	linked_by pg_catalog.name NOT NULL DEFAULT SESSION_USER,
	superseded_at pg_catalog.timestamptz,
	note pg_catalog.text CHECK (pg_catalog.length(note) OPERATOR(pg_catalog.<=) 1000),
	CONSTRAINT departure_link_person_unless_officer
		CHECK (person_id IS NOT NULL OR tier OPERATOR(pg_catalog.=) 'officer'),
	CONSTRAINT departure_link_officer_note
		CHECK (tier OPERATOR(pg_catalog.<>) 'officer' OR note IS NOT NULL),
	CONSTRAINT departure_link_superseded_after_link
		CHECK (superseded_at OPERATOR(pg_catalog.>=) linked_at)
);
COMMENT ON TABLE @extschema@.departure_link IS
	'who a departure manifest row is: tier, score, knowledge time; corrections supersede, never overwrite; written only by bx_link_departures() and bx_resolve_departure()';
COMMENT ON COLUMN @extschema@.departure_link.person_id IS
	'the person; NULL only for an officer''s decision that the passenger is nobody on record';
COMMENT ON COLUMN @extschema@.departure_link.score IS
	'1 for the exact tiers, the name similarity (bx_name_similarity) for fuzzy, NULL for officer';
COMMENT ON COLUMN @extschema@.departure_link.runner_up_score IS
	'fuzzy: the second-best candidate''s similarity, NULL if there was none';
COMMENT ON COLUMN @extschema@.departure_link.linked_at IS
	'knowledge time: when bxexit linked the row (statement time)';
COMMENT ON COLUMN @extschema@.departure_link.superseded_at IS
	'when a later link replaced this one; NULL for the current link';
CREATE UNIQUE INDEX departure_link_current_idx ON @extschema@.departure_link (departure_manifest_id)
	WHERE superseded_at IS NULL;
CREATE INDEX departure_link_person_idx ON @extschema@.departure_link (person_id);

/* What the tiers search: documents by number, people by birth date and name key or citizenship */
CREATE INDEX travel_document_number_idx ON @extschema@.travel_document (document_number, issuing_country);
CREATE INDEX person_birth_name_idx
	ON @extschema@.person (date_of_birth, @extschema@.bx_name_key(family_name, given_names));
CREATE INDEX person_birth_citizenship_idx ON @extschema@.person (date_of_birth, citizenship);

CREATE VIEW @extschema@.departure_manifest_link WITH (security_invoker = true) AS
	SELECT m.departure_manifest_id, m.flight_id, m.boarding_status, l.person_id, l.tier, l.score,
		   m.loaded_at, l.linked_at, l.link_id
	  FROM @extschema@.departure_manifest m
	  LEFT JOIN @extschema@.departure_link l
		ON l.departure_manifest_id OPERATOR(pg_catalog.=) m.departure_manifest_id
	   AND l.superseded_at IS NULL;
COMMENT ON VIEW @extschema@.departure_manifest_link IS
	'every departure manifest row with its current link; tier NULL: unlinked; tier officer with no person: nobody on record';

/* -------------------------------------------- departures: loading */

/*
 * Move at most max_rows staged rows, in staging order, to
 * departure_manifest (good rows) or manifest_rejected (every other row,
 * with all its reasons); the staged rows are deleted, the rest stay
 * staged.  Flights are found by carrier, flight number and departure
 * date, and created from the first row of the batch that names both
 * airports.  A passenger already loaded on the flight (same date of birth
 * and name key), or listed earlier in the batch, is rejected as a
 * duplicate.  SECURITY DEFINER: administrators read the departure records
 * but write them only here, so loaded_at and loaded_by are the loader's.
 */
CREATE FUNCTION @extschema@.bx_load_departure_manifests(max_rows pg_catalog.int4 DEFAULT 1000000,
	OUT rows_staged pg_catalog.int8, OUT rows_loaded pg_catalog.int8, OUT rows_rejected pg_catalog.int8,
	OUT flights_created pg_catalog.int8, OUT rows_remaining pg_catalog.int8)
	LANGUAGE plpgsql VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	AS $$
BEGIN
	IF max_rows IS NULL OR max_rows < 1 OR max_rows > 10000000 THEN
		RAISE EXCEPTION 'max_rows must be between 1 and 10000000'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	-- no COPY into the batch while it is taken, no second loader
	LOCK TABLE @extschema@.manifest_staging IN EXCLUSIVE MODE;

	CREATE TEMP TABLE bx_manifest_batch ON COMMIT DROP AS
	SELECT pg_catalog.row_number() OVER (ORDER BY s.ctid) AS line, s.ctid AS staged_ctid,
		   s.carrier AS raw_carrier, s.flight_number AS raw_flight_number,
		   s.departure_date AS raw_departure_date, s.departure_airport AS raw_departure_airport,
		   s.arrival_airport AS raw_arrival_airport, s.family_name AS raw_family_name,
		   s.given_names AS raw_given_names, s.date_of_birth AS raw_date_of_birth, s.sex AS raw_sex,
		   s.citizenship AS raw_citizenship, s.document_type AS raw_document_type,
		   s.document_number AS raw_document_number, s.document_country AS raw_document_country,
		   s.seat AS raw_seat, s.boarding_status AS raw_boarding_status,
		   -- values as checked: trimmed, codes upper case, '' as missing; NULL when too long
		   -- to look at (the reasons below say so)
		   c.*
	  FROM (SELECT st.ctid, st.* FROM @extschema@.manifest_staging st ORDER BY st.ctid LIMIT max_rows) s,
	  LATERAL (SELECT
		   upper(nullif(btrim(left(s.carrier, 100)), '')) AS carrier,
		   upper(nullif(btrim(left(s.flight_number, 100)), '')) AS flight_number,
		   nullif(btrim(left(s.departure_date, 100)), '') AS departure_date_text,
		   upper(nullif(btrim(left(s.departure_airport, 100)), '')) AS departure_airport,
		   upper(nullif(btrim(left(s.arrival_airport, 100)), '')) AS arrival_airport,
		   nullif(btrim(left(s.family_name, 1000)), '') AS family_name,
		   nullif(btrim(left(s.given_names, 1000)), '') AS given_names,
		   nullif(btrim(left(s.date_of_birth, 100)), '') AS date_of_birth_text,
		   upper(nullif(btrim(left(s.sex, 100)), '')) AS sex,
		   upper(nullif(btrim(left(s.citizenship, 100)), '')) AS citizenship,
		   upper(nullif(btrim(left(s.document_type, 100)), '')) AS document_type,
		   upper(nullif(btrim(left(s.document_number, 100)), '')) AS document_number,
		   upper(nullif(btrim(left(s.document_country, 100)), '')) AS document_country,
		   upper(nullif(btrim(left(s.seat, 100)), '')) AS seat,
		   lower(coalesce(nullif(btrim(left(s.boarding_status, 100)), ''), 'boarded')) AS boarding_status) c;
	GET DIAGNOSTICS rows_staged = ROW_COUNT;

	ALTER TABLE pg_temp.bx_manifest_batch
		ADD COLUMN departure_date pg_catalog.date, ADD COLUMN date_of_birth pg_catalog.date,
		ADD COLUMN flight_id pg_catalog.int8, ADD COLUMN name_key pg_catalog.text,
		ADD COLUMN reasons pg_catalog.text[];
	UPDATE pg_temp.bx_manifest_batch b
	   SET departure_date = @extschema@.bx_parse_date(b.departure_date_text),
		   date_of_birth = @extschema@.bx_parse_date(b.date_of_birth_text),
		   name_key = CASE WHEN length(b.family_name) <= 200 AND coalesce(length(b.given_names), 0) <= 200
						   THEN @extschema@.bx_name_key(b.family_name, b.given_names) END;

	-- every reason a row is refused: one text each, all of them
	UPDATE pg_temp.bx_manifest_batch b SET reasons = array_remove(ARRAY[
		CASE WHEN b.carrier IS NULL THEN 'carrier missing'
			 WHEN b.carrier !~ '^[A-Z0-9]{2,3}$' THEN 'carrier is not a 2 or 3 character airline code' END,
		CASE WHEN b.flight_number IS NULL THEN 'flight_number missing'
			 WHEN b.flight_number !~ '^[0-9]{1,4}[A-Z]?$' THEN 'flight_number is not 1 to 4 digits and an optional letter' END,
		CASE WHEN b.departure_date_text IS NULL THEN 'departure_date missing'
			 WHEN b.departure_date IS NULL THEN 'departure_date is not a date YYYY-MM-DD'
			 WHEN NOT @extschema@.bx_plausible_date(b.departure_date) THEN 'departure_date outside 1900-01-01 .. 2199-12-31' END,
		CASE WHEN b.departure_airport !~ '^[A-Z]{3}$' THEN 'departure_airport is not a 3-letter airport code' END,
		CASE WHEN b.arrival_airport !~ '^[A-Z]{3}$' THEN 'arrival_airport is not a 3-letter airport code' END,
		CASE WHEN b.family_name IS NULL THEN 'family_name missing'
			 WHEN length(b.family_name) > 200 THEN 'family_name longer than 200 characters'
			 WHEN b.family_name ~ '[[:cntrl:]]' THEN 'family_name has control characters'
			 WHEN @extschema@.bx_normalize_name(b.family_name) IS NULL THEN 'family_name has no letter' END,
		CASE WHEN length(b.given_names) > 200 THEN 'given_names longer than 200 characters'
			 WHEN b.given_names ~ '[[:cntrl:]]' THEN 'given_names has control characters' END,
		CASE WHEN b.date_of_birth_text IS NULL THEN 'date_of_birth missing'
			 WHEN b.date_of_birth IS NULL THEN 'date_of_birth is not a date YYYY-MM-DD'
			 WHEN NOT @extschema@.bx_plausible_date(b.date_of_birth) THEN 'date_of_birth outside 1900-01-01 .. 2199-12-31'
			 WHEN b.date_of_birth > b.departure_date THEN 'date_of_birth after departure_date' END,
		CASE WHEN b.sex NOT IN ('F', 'M', 'X') THEN 'sex is not F, M or X' END,
		CASE WHEN b.citizenship IS NULL THEN 'citizenship missing'
			 WHEN b.citizenship !~ '^[A-Z]{3}$' THEN 'citizenship is not an ISO 3166-1 alpha-3 code' END,
		CASE WHEN b.document_type !~ '^[A-Z]{1,2}$' THEN 'document_type is not a 1 or 2 letter document code' END,
		CASE WHEN b.document_number !~ '^[0-9A-Z]{1,20}$' THEN 'document_number is not 1 to 20 letters and digits'
			 WHEN b.document_number IS NOT NULL AND b.document_country IS NULL THEN 'document_number without document_country' END,
		CASE WHEN b.document_country !~ '^[A-Z]{3}$' THEN 'document_country is not an ISO 3166-1 alpha-3 code'
			 WHEN b.document_country IS NOT NULL AND b.document_number IS NULL THEN 'document_country without document_number' END,
		CASE WHEN b.seat !~ '^[0-9]{1,3}[A-Z]?$' THEN 'seat is not a row number and an optional letter' END,
		CASE WHEN b.boarding_status NOT IN ('boarded', 'not_boarded') THEN 'boarding_status is not boarded or not_boarded' END
		], NULL);

	-- flights: found, or created from the batch's first valid row that names both airports
	INSERT INTO @extschema@.flight (carrier, flight_number, departure_airport, arrival_airport, departure_date)
	SELECT DISTINCT ON (b.carrier, b.flight_number, b.departure_date)
		   b.carrier, b.flight_number, b.departure_airport, b.arrival_airport, b.departure_date
	  FROM pg_temp.bx_manifest_batch b
	 WHERE b.reasons = '{}' AND b.departure_airport IS NOT NULL AND b.arrival_airport IS NOT NULL
	   AND NOT EXISTS (SELECT FROM @extschema@.flight f
						WHERE f.carrier = b.carrier AND f.flight_number = b.flight_number
						  AND f.departure_date = b.departure_date)
	 ORDER BY b.carrier, b.flight_number, b.departure_date, b.line;
	GET DIAGNOSTICS flights_created = ROW_COUNT;

	UPDATE pg_temp.bx_manifest_batch b SET flight_id = f.flight_id
	  FROM @extschema@.flight f
	 WHERE b.reasons = '{}' AND f.carrier = b.carrier AND f.flight_number = b.flight_number
	   AND f.departure_date = b.departure_date;
	UPDATE pg_temp.bx_manifest_batch b
	   SET reasons = ARRAY[format('flight %s %s on %s is unknown and the row names no departure_airport and arrival_airport',
								  b.carrier, b.flight_number, b.departure_date)]
	 WHERE b.reasons = '{}' AND b.flight_id IS NULL;

	-- duplicates: of a row already loaded, or of an earlier line of the batch
	UPDATE pg_temp.bx_manifest_batch b
	   SET reasons = ARRAY[format('duplicate of departure manifest row %s (same flight, date of birth and name)',
								  m.departure_manifest_id)]
	  FROM @extschema@.departure_manifest m
	 WHERE b.reasons = '{}' AND m.flight_id = b.flight_id AND m.date_of_birth = b.date_of_birth
	   AND m.name_key = b.name_key;
	UPDATE pg_temp.bx_manifest_batch b
	   SET reasons = ARRAY[format('duplicate of line %s (same flight, date of birth and name)', d.first_line)]
	  FROM (SELECT x.line, min(x.line) OVER (PARTITION BY x.flight_id, x.date_of_birth, x.name_key) AS first_line
			  FROM pg_temp.bx_manifest_batch x WHERE x.reasons = '{}') d
	 WHERE d.line = b.line AND d.first_line < b.line;

	INSERT INTO @extschema@.departure_manifest
		(flight_id, family_name, given_names, date_of_birth, sex, citizenship, document_type,
		 document_number, document_country, seat, boarding_status)
	SELECT b.flight_id, b.family_name, b.given_names, b.date_of_birth, b.sex, b.citizenship,
		   b.document_type, b.document_number, b.document_country, b.seat, b.boarding_status
	  FROM pg_temp.bx_manifest_batch b
	 WHERE b.reasons = '{}'
	 ORDER BY b.line;
	GET DIAGNOSTICS rows_loaded = ROW_COUNT;

	INSERT INTO @extschema@.manifest_rejected
		(line, carrier, flight_number, departure_date, departure_airport, arrival_airport, family_name,
		 given_names, date_of_birth, sex, citizenship, document_type, document_number, document_country,
		 seat, boarding_status, reason)
	SELECT b.line, left(b.raw_carrier, 1000), left(b.raw_flight_number, 1000),
		   left(b.raw_departure_date, 1000), left(b.raw_departure_airport, 1000),
		   left(b.raw_arrival_airport, 1000), left(b.raw_family_name, 1000), left(b.raw_given_names, 1000),
		   left(b.raw_date_of_birth, 1000), left(b.raw_sex, 1000), left(b.raw_citizenship, 1000),
		   left(b.raw_document_type, 1000), left(b.raw_document_number, 1000),
		   left(b.raw_document_country, 1000), left(b.raw_seat, 1000), left(b.raw_boarding_status, 1000),
		   array_to_string(b.reasons, '; ')
	  FROM pg_temp.bx_manifest_batch b
	 WHERE b.reasons <> '{}'
	 ORDER BY b.line;
	GET DIAGNOSTICS rows_rejected = ROW_COUNT;

	DELETE FROM @extschema@.manifest_staging s
	 USING pg_temp.bx_manifest_batch b WHERE s.ctid = b.staged_ctid;
	SELECT count(*) INTO rows_remaining FROM @extschema@.manifest_staging;
	DROP TABLE pg_temp.bx_manifest_batch;
	RAISE LOG 'bxexit manifests loaded by %: % staged, % loaded, % rejected, % flights created',
		session_user, rows_staged, rows_loaded, rows_rejected, flights_created;
END
$$;
COMMENT ON FUNCTION @extschema@.bx_load_departure_manifests(pg_catalog.int4) IS
	'move at most max_rows staged manifest rows (staging order) to departure_manifest, or to manifest_rejected with their reasons; creates unknown flights; returns the counts';

/* -------------------------------------------- departures: linking */

/*
 * Link every manifest row without a current link, tier by tier:
 *   document  one person holds a document of that number and issuing
 *             country, and has the manifest's date of birth (a mistyped
 *             number can be someone else's: the date must agree);
 *   name_dob  one person has the row's name key and date of birth (when
 *             several do, the one of the row's citizenship, if one);
 *   fuzzy     among people of the row's date of birth and citizenship, the
 *             best name similarity, the name read either way round (family
 *             and given names swapped), reaches min_score and leads the
 *             runner-up by min_margin.
 * A row with several candidates no tier can choose between is ambiguous
 * and stays unlinked for an officer (bx_departure_candidates,
 * bx_resolve_departure); so does a row without a candidate.  Returns the
 * rows per outcome: document, name_dob, fuzzy, ambiguous, no_candidate.
 * SECURITY DEFINER: administrators read links, only this function and
 * bx_resolve_departure write them.
 */
CREATE FUNCTION @extschema@.bx_link_departures(min_score pg_catalog.float4 DEFAULT 0.8,
	min_margin pg_catalog.float4 DEFAULT 0.1)
	RETURNS TABLE (outcome pg_catalog.text, manifest_rows pg_catalog.int8)
	LANGUAGE plpgsql VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	AS $$
BEGIN
	IF min_score IS NULL OR min_score <= 0 OR min_score > 1 OR min_margin IS NULL OR min_margin < 0
	   OR min_margin > 1 THEN
		RAISE EXCEPTION 'min_score must be in (0, 1] and min_margin in [0, 1]'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	-- one linker or correction at a time: at most one current link per row
	LOCK TABLE @extschema@.departure_link IN SHARE ROW EXCLUSIVE MODE;

	CREATE TEMP TABLE bx_link_work ON COMMIT DROP AS
	SELECT m.departure_manifest_id AS id, m.date_of_birth, m.citizenship, m.document_number,
		   m.document_country, m.name_key, @extschema@.bx_name_key(m.given_names, m.family_name) AS swap_key,
		   NULL::pg_catalog.text AS outcome, NULL::pg_catalog.int8 AS person_id,
		   NULL::pg_catalog.float4 AS score, NULL::pg_catalog.float4 AS runner_up_score,
		   false AS ambiguous
	  FROM @extschema@.departure_manifest m
	 WHERE NOT EXISTS (SELECT FROM @extschema@.departure_link l
						WHERE l.departure_manifest_id = m.departure_manifest_id AND l.superseded_at IS NULL);
	ANALYZE pg_temp.bx_link_work;

	-- tier document
	UPDATE pg_temp.bx_link_work w
	   SET outcome = CASE WHEN c.n = 1 THEN 'document' END, person_id = CASE WHEN c.n = 1 THEN c.pid END,
		   score = CASE WHEN c.n = 1 THEN 1 END, ambiguous = c.n > 1
	  FROM (SELECT w2.id, count(DISTINCT d.person_id) AS n, min(d.person_id) AS pid
			  FROM pg_temp.bx_link_work w2
			  JOIN @extschema@.travel_document d
				ON d.document_number = w2.document_number AND d.issuing_country = w2.document_country
			  JOIN @extschema@.person p
				ON p.person_id = d.person_id AND p.date_of_birth = w2.date_of_birth
			 GROUP BY w2.id) c
	 WHERE c.id = w.id;

	-- tier name_dob
	UPDATE pg_temp.bx_link_work w
	   SET outcome = CASE WHEN c.pid IS NOT NULL THEN 'name_dob' END, person_id = c.pid,
		   score = CASE WHEN c.pid IS NOT NULL THEN 1 END,
		   ambiguous = w.ambiguous OR c.pid IS NULL
	  FROM (SELECT w2.id,
				   CASE WHEN count(*) = 1 THEN min(p.person_id)
						WHEN count(*) FILTER (WHERE p.citizenship = w2.citizenship) = 1
						THEN min(p.person_id) FILTER (WHERE p.citizenship = w2.citizenship) END AS pid
			  FROM pg_temp.bx_link_work w2
			  JOIN @extschema@.person p
				ON p.date_of_birth = w2.date_of_birth
			   AND @extschema@.bx_name_key(p.family_name, p.given_names) = w2.name_key
			 WHERE w2.outcome IS NULL
			 GROUP BY w2.id) c
	 WHERE c.id = w.id;

	-- tier fuzzy
	UPDATE pg_temp.bx_link_work w
	   SET outcome = CASE WHEN r.score - coalesce(r.runner_up, 0) >= min_margin THEN 'fuzzy' END,
		   person_id = CASE WHEN r.score - coalesce(r.runner_up, 0) >= min_margin THEN r.person_id END,
		   score = r.score, runner_up_score = r.runner_up,
		   ambiguous = w.ambiguous OR r.score - coalesce(r.runner_up, 0) < min_margin
	  FROM (SELECT s.id, s.person_id, s.score, s.runner_up
			  FROM (SELECT c.id, c.person_id, c.score,
						   row_number() OVER (PARTITION BY c.id ORDER BY c.score DESC, c.person_id) AS rn,
						   lead(c.score) OVER (PARTITION BY c.id ORDER BY c.score DESC, c.person_id) AS runner_up
					  FROM (SELECT w2.id, p.person_id,
								   greatest(@extschema@.bx_name_similarity(w2.name_key, k.key),
											@extschema@.bx_name_similarity(w2.swap_key, k.key)) AS score
							  FROM pg_temp.bx_link_work w2
							  JOIN @extschema@.person p
								ON p.date_of_birth = w2.date_of_birth AND p.citizenship = w2.citizenship
							 CROSS JOIN LATERAL (SELECT @extschema@.bx_name_key(p.family_name, p.given_names) AS key) k
							 WHERE w2.outcome IS NULL) c) s
			 WHERE s.rn = 1 AND s.score >= min_score) r
	 WHERE r.id = w.id;

	INSERT INTO @extschema@.departure_link (departure_manifest_id, person_id, tier, score, runner_up_score)
	SELECT w.id, w.person_id, w.outcome, w.score, w.runner_up_score
	  FROM pg_temp.bx_link_work w WHERE w.outcome IS NOT NULL
	 ORDER BY w.id;

	RETURN QUERY
	SELECT o.outcome, count(w.id)
	  FROM unnest(ARRAY['document', 'name_dob', 'fuzzy', 'ambiguous', 'no_candidate']) WITH ORDINALITY o(outcome, ord)
	  LEFT JOIN pg_temp.bx_link_work w
		ON o.outcome = coalesce(w.outcome, CASE WHEN w.ambiguous THEN 'ambiguous' ELSE 'no_candidate' END)
	 GROUP BY o.outcome, o.ord ORDER BY o.ord;
	DROP TABLE pg_temp.bx_link_work;
END
$$;
COMMENT ON FUNCTION @extschema@.bx_link_departures(pg_catalog.float4, pg_catalog.float4) IS
	'link every departure manifest row without a current link to a person (tiers document, name_dob, fuzzy with min_score and min_margin); returns rows per outcome, ambiguous and no_candidate rows stay unlinked';

/*
 * The candidates of one manifest row, as the tiers see them, best first:
 * for an officer deciding an ambiguous or unlinked row.  Fuzzy candidates
 * are listed down to a similarity of 0.5.
 */
CREATE FUNCTION @extschema@.bx_departure_candidates(departure_manifest_id pg_catalog.int8)
	RETURNS TABLE (person_id pg_catalog.int8, tier pg_catalog.text, score pg_catalog.float4)
	LANGUAGE sql STABLE STRICT PARALLEL SAFE
	BEGIN ATOMIC
		SELECT c.person_id, c.tier, c.score FROM (
			SELECT d.person_id, 'document'::pg_catalog.text AS tier, 1::pg_catalog.float4 AS score, 1 AS ord
			  FROM @extschema@.departure_manifest m
			  JOIN @extschema@.travel_document d
				ON d.document_number OPERATOR(pg_catalog.=) m.document_number
			   AND d.issuing_country OPERATOR(pg_catalog.=) m.document_country
			  JOIN @extschema@.person p ON p.person_id OPERATOR(pg_catalog.=) d.person_id
			   AND p.date_of_birth OPERATOR(pg_catalog.=) m.date_of_birth
			 WHERE m.departure_manifest_id OPERATOR(pg_catalog.=) bx_departure_candidates.departure_manifest_id
			UNION ALL
			SELECT p.person_id, 'name_dob', 1, 2
			  FROM @extschema@.departure_manifest m
			  JOIN @extschema@.person p ON p.date_of_birth OPERATOR(pg_catalog.=) m.date_of_birth
			   AND @extschema@.bx_name_key(p.family_name, p.given_names) OPERATOR(pg_catalog.=) m.name_key
			 WHERE m.departure_manifest_id OPERATOR(pg_catalog.=) bx_departure_candidates.departure_manifest_id
			UNION ALL
			SELECT f.person_id, 'fuzzy', f.score, 3
			  FROM (SELECT p.person_id,
						   GREATEST(
							   @extschema@.bx_name_similarity(m.name_key, @extschema@.bx_name_key(p.family_name, p.given_names)),
							   @extschema@.bx_name_similarity(@extschema@.bx_name_key(m.given_names, m.family_name),
															  @extschema@.bx_name_key(p.family_name, p.given_names))) AS score
					  FROM @extschema@.departure_manifest m
					  JOIN @extschema@.person p ON p.date_of_birth OPERATOR(pg_catalog.=) m.date_of_birth
					   AND p.citizenship OPERATOR(pg_catalog.=) m.citizenship
					 WHERE m.departure_manifest_id OPERATOR(pg_catalog.=) bx_departure_candidates.departure_manifest_id) f
			 WHERE f.score OPERATOR(pg_catalog.>=) 0.5) c
		 ORDER BY c.ord, c.score DESC, c.person_id;
	END;
COMMENT ON FUNCTION @extschema@.bx_departure_candidates(pg_catalog.int8) IS
	'the candidates of a departure manifest row per tier (document, name_dob, fuzzy down to similarity 0.5), best first, for an officer''s decision';

/*
 * An officer confirms or corrects who a manifest row is: the current link,
 * if any, is superseded and a link of tier officer written, with the
 * officer's note (required).  person_id NULL records that the passenger is
 * nobody on record (bx_link_departures then leaves the row alone).
 * Returns the new link.
 */
CREATE FUNCTION @extschema@.bx_resolve_departure(departure_manifest_id pg_catalog.int8,
	person_id pg_catalog.int8, note pg_catalog.text)
	RETURNS pg_catalog.int8
	LANGUAGE plpgsql VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	v_link pg_catalog.int8;
BEGIN
	IF NOT EXISTS (SELECT FROM @extschema@.departure_manifest m
					WHERE m.departure_manifest_id = bx_resolve_departure.departure_manifest_id) THEN
		RAISE EXCEPTION 'departure manifest row % does not exist', bx_resolve_departure.departure_manifest_id
			USING ERRCODE = 'no_data_found';
	END IF;
	IF bx_resolve_departure.person_id IS NOT NULL
	   AND NOT EXISTS (SELECT FROM @extschema@.person p WHERE p.person_id = bx_resolve_departure.person_id) THEN
		RAISE EXCEPTION 'person % does not exist', bx_resolve_departure.person_id
			USING ERRCODE = 'no_data_found';
	END IF;
	IF nullif(btrim(note), '') IS NULL OR length(note) > 1000 THEN
		RAISE EXCEPTION 'a correction needs a note of 1 to 1000 characters'
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Say what was checked, e.g. the passport at the gate.';
	END IF;
	LOCK TABLE @extschema@.departure_link IN SHARE ROW EXCLUSIVE MODE;
	UPDATE @extschema@.departure_link l SET superseded_at = statement_timestamp()
	 WHERE l.departure_manifest_id = bx_resolve_departure.departure_manifest_id AND l.superseded_at IS NULL;
	INSERT INTO @extschema@.departure_link (departure_manifest_id, person_id, tier, note)
	VALUES (bx_resolve_departure.departure_manifest_id, bx_resolve_departure.person_id, 'officer', note)
	RETURNING link_id INTO v_link;
	RETURN v_link;
END
$$;
COMMENT ON FUNCTION @extschema@.bx_resolve_departure(pg_catalog.int8, pg_catalog.int8, pg_catalog.text) IS
	'confirm or correct who a departure manifest row is (person NULL: nobody on record): supersedes the current link, writes a link of tier officer with the note';

/* -------------------------------------------- departures: pg_dump */

SELECT pg_catalog.pg_extension_config_dump('@extschema@.manifest_staging', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.departure_manifest', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.manifest_rejected', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.departure_link', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.departure_manifest_departure_manifest_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.manifest_rejected_rejected_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.departure_link_link_id_seq', '');

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

/* ================================== Departure manifests (issue 13): end */

/* --------------------------------------------- departures and anomalies */
-- departures on all evidence with knowledge time, and the reports on them
-- (issue 13): their result columns change, so they are dropped (dependents
-- first) and created again; their grants follow below
DROP VIEW @extschema@.admission_status;
DROP FUNCTION @extschema@.bx_overstay_report(pg_catalog.int4, pg_catalog.date);
DROP FUNCTION @extschema@.bx_admission_status(pg_catalog.date);
DROP VIEW @extschema@.departure;

-- an admission keeps the citizenship and document presented at that entry
ALTER TABLE @extschema@.admission ADD COLUMN citizenship pg_catalog.text;
UPDATE @extschema@.admission a SET citizenship = p.citizenship
  FROM @extschema@.person p WHERE p.person_id OPERATOR(pg_catalog.=) a.person_id;
ALTER TABLE @extschema@.admission ALTER COLUMN citizenship SET NOT NULL,
	ADD COLUMN document_id pg_catalog.int8,
	ADD CONSTRAINT admission_citizenship_check CHECK (citizenship OPERATOR(pg_catalog.~) '^[A-Z]{3}$'),
	ADD CONSTRAINT admission_document_of_person FOREIGN KEY (document_id, person_id)
		REFERENCES @extschema@.travel_document (document_id, person_id) ON DELETE SET NULL (document_id);
COMMENT ON COLUMN @extschema@.admission.citizenship IS
	'the citizenship presented at this entry (a dual national is reported under the passport they entered with); the person''s citizenship when not given; a later change of the person does not rewrite it';
COMMENT ON COLUMN @extschema@.admission.document_id IS
	'the travel document presented at this entry, if known';
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

CREATE FUNCTION @extschema@.bx_departures(known_by pg_catalog.timestamptz DEFAULT 'infinity')
	RETURNS TABLE (person_id pg_catalog.int8, flight_id pg_catalog.int8, departed_on pg_catalog.date,
				   departure_airport pg_catalog.text, evidence_level pg_catalog.text,
				   known_at pg_catalog.timestamptz, exit_event_id pg_catalog.int8,
				   departure_manifest_id pg_catalog.int8)
	LANGUAGE sql STABLE PARALLEL SAFE
	BEGIN ATOMIC
		WITH evidence AS (
			SELECT x.person_id AS pid, x.flight_id AS fid,
				   CASE WHEN x.probe_source OPERATOR(pg_catalog.=) 'photo' THEN 1 ELSE 3 END AS strength,
				   CASE x.probe_source WHEN 'photo' THEN 'biometric' WHEN 'template' THEN 'template'
						ELSE 'unverified' END AS level,
				   x.occurred_at AS known, x.exit_event_id AS eid, NULL::pg_catalog.int8 AS mid
			  FROM @extschema@.exit_event x
			 WHERE x.decision OPERATOR(pg_catalog.=) 'match'
			   AND x.flight_id IS NOT NULL
			   AND x.occurred_at OPERATOR(pg_catalog.<=) bx_departures.known_by
			UNION ALL
			SELECT x.resolved_person_id, x.flight_id, 2, 'officer', x.resolved_at, x.exit_event_id, NULL
			  FROM @extschema@.exit_event x
			 WHERE x.resolved_person_id IS NOT NULL
			   AND x.resolved_at OPERATOR(pg_catalog.<=) bx_departures.known_by
			UNION ALL
			SELECT l.person_id, m.flight_id, 4, 'biographic',
				   GREATEST(m.loaded_at, l.linked_at), NULL, m.departure_manifest_id
			  FROM @extschema@.departure_manifest m
			  JOIN @extschema@.departure_link l
				ON l.departure_manifest_id OPERATOR(pg_catalog.=) m.departure_manifest_id
			 WHERE l.person_id IS NOT NULL
			   AND m.boarding_status OPERATOR(pg_catalog.=) 'boarded'
			   AND m.loaded_at OPERATOR(pg_catalog.<=) bx_departures.known_by
			   AND l.linked_at OPERATOR(pg_catalog.<=) bx_departures.known_by
			   AND (l.superseded_at IS NULL OR l.superseded_at OPERATOR(pg_catalog.>) bx_departures.known_by)
		)
		SELECT e.pid, e.fid, f.departure_date, f.departure_airport,
			   (pg_catalog.array_agg(e.level ORDER BY e.strength, e.known))[1],
			   pg_catalog.min(e.known),
			   (pg_catalog.array_agg(e.eid ORDER BY e.strength, e.known, e.eid) FILTER (WHERE e.eid IS NOT NULL))[1],
			   pg_catalog.min(e.mid)
		  FROM evidence e
		  JOIN @extschema@.flight f ON f.flight_id OPERATOR(pg_catalog.=) e.fid
		 GROUP BY e.pid, e.fid, f.departure_date, f.departure_airport;
	END;
COMMENT ON FUNCTION @extschema@.bx_departures(pg_catalog.timestamptz) IS
	'departures known by a moment, one per person and flight, at the strongest evidence level (biometric, officer, template, unverified) with when bxexit first learned of it';

CREATE VIEW @extschema@.departure WITH (security_invoker = true) AS
	SELECT * FROM @extschema@.bx_departures('infinity');
COMMENT ON VIEW @extschema@.departure IS
	'every recorded departure, one per person and flight, with its evidence level (biometric: gate photo match; officer: resolved no-match; template: an administrator''s template match; unverified: a 0.1.0 match whose probe was purged) and when it became known';

CREATE FUNCTION @extschema@.bx_admission_status(as_of pg_catalog.date DEFAULT CURRENT_DATE,
	known_by pg_catalog.timestamptz DEFAULT NULL)
	RETURNS TABLE (admission_number pg_catalog.text, person_id pg_catalog.int8,
				   citizenship pg_catalog.text, class_of_admission pg_catalog.text,
				   class_group pg_catalog.text, report_scope pg_catalog.bool, mode pg_catalog.text,
				   port_of_entry pg_catalog.text, admitted_on pg_catalog.date,
				   duration_of_status pg_catalog.bool, expected_departure pg_catalog.date,
				   fiscal_year pg_catalog.int4, departed_on pg_catalog.date,
				   departure_exit_event_id pg_catalog.int8, evidence_level pg_catalog.text,
				   closed_by pg_catalog.text, status pg_catalog.text, days_overstayed pg_catalog.int4)
	LANGUAGE sql STABLE PARALLEL SAFE
	BEGIN ATOMIC
		WITH adm AS (
			SELECT a.admission_number, a.person_id, a.citizenship, a.class_of_admission,
				   c.class_group,
				   c.report_scope AND a.mode OPERATOR(pg_catalog.=) ANY (ARRAY['air', 'sea']) AS in_scope,
				   a.mode, a.port_of_entry, a.admitted_on, a.duration_of_status, a.status_changed_on,
				   CASE WHEN a.duration_of_status
						THEN a.program_end_date OPERATOR(pg_catalog.+) c.ds_grace_days
						ELSE a.admit_until END AS expected
			  FROM @extschema@.admission a
			  JOIN @extschema@.class_of_admission c ON c.code OPERATOR(pg_catalog.=) a.class_of_admission
			 WHERE a.admitted_on OPERATOR(pg_catalog.<=) bx_admission_status.as_of
		), dep AS (
			SELECT d.* FROM @extschema@.bx_departures(coalesce(bx_admission_status.known_by,
					(bx_admission_status.as_of OPERATOR(pg_catalog.+) 1)::pg_catalog.timestamptz
					OPERATOR(pg_catalog.-) '1 microsecond'::pg_catalog.interval)) d
			 WHERE d.departed_on OPERATOR(pg_catalog.<=) bx_admission_status.as_of
		), assigned AS (
			-- each departure to one admission: the last one before its day, else one of that day
			SELECT DISTINCT ON (d.person_id, d.flight_id) d.*, adm.admission_number AS adm_number
			  FROM dep d
			  JOIN adm ON adm.person_id OPERATOR(pg_catalog.=) d.person_id
				AND adm.admitted_on OPERATOR(pg_catalog.<=) d.departed_on
			 ORDER BY d.person_id, d.flight_id,
					  adm.admitted_on OPERATOR(pg_catalog.<) d.departed_on DESC,
					  adm.admitted_on DESC, adm.admission_number DESC
		), closed AS (
			SELECT DISTINCT ON (adm.admission_number) adm.*, s.departed_on, s.exit_event_id,
				   s.evidence_level
			  FROM adm
			  LEFT JOIN assigned s ON s.adm_number OPERATOR(pg_catalog.=) adm.admission_number
			 ORDER BY adm.admission_number, s.departed_on, s.exit_event_id
		), classified AS (
			SELECT closed.*,
				   closed.status_changed_on OPERATOR(pg_catalog.<=) bx_admission_status.as_of AS changed,
				   closed.departed_on IS NOT NULL
				   AND (closed.expected IS NULL
						OR closed.departed_on OPERATOR(pg_catalog.<=) closed.expected) AS left_in_time
			  FROM closed
		), judged AS (
			SELECT c.*,
				   CASE
					   WHEN c.left_in_time THEN 'in_time'
					   WHEN c.changed AND (c.expected IS NULL
										   OR c.status_changed_on OPERATOR(pg_catalog.<=) c.expected)
						   THEN 'in_time'
					   WHEN c.departed_on IS NOT NULL THEN 'out_of_country_overstay'
					   WHEN c.expected OPERATOR(pg_catalog.<) bx_admission_status.as_of
						   THEN 'suspected_in_country_overstay'
					   ELSE 'not_yet_due'
				   END AS status
			  FROM classified c
		)
		SELECT s.admission_number, s.person_id, s.citizenship, s.class_of_admission, s.class_group,
			   s.in_scope, s.mode, s.port_of_entry, s.admitted_on, s.duration_of_status, s.expected,
			   pg_catalog.date_part('year', s.expected OPERATOR(pg_catalog.+) '3 months'::pg_catalog.interval)::pg_catalog.int4,
			   s.departed_on, s.exit_event_id, s.evidence_level,
			   CASE WHEN s.status OPERATOR(pg_catalog.=) 'in_time' AND NOT s.left_in_time THEN 'status_change'
					WHEN s.departed_on IS NOT NULL THEN 'departure'
					WHEN s.status OPERATOR(pg_catalog.=) 'suspected_in_country_overstay' AND s.changed
						THEN 'late_status_change' END,
			   s.status,
			   CASE s.status
				   WHEN 'out_of_country_overstay' THEN s.departed_on OPERATOR(pg_catalog.-) s.expected
				   WHEN 'suspected_in_country_overstay'
					   THEN CASE WHEN s.changed THEN s.status_changed_on ELSE bx_admission_status.as_of END
							OPERATOR(pg_catalog.-) s.expected
				   ELSE 0 END
		  FROM judged s;
	END;
COMMENT ON FUNCTION @extschema@.bx_admission_status(pg_catalog.date, pg_catalog.timestamptz) IS
	'one row per admission as of a date, from what was known by then: expected departure, its fiscal year, the departure that ends it and its evidence level, status (in_time, out_of_country_overstay, suspected_in_country_overstay, not_yet_due) and days overstayed';

CREATE VIEW @extschema@.admission_status WITH (security_invoker = true) AS
	SELECT * FROM @extschema@.bx_admission_status(CURRENT_DATE, NULL);
COMMENT ON VIEW @extschema@.admission_status IS
	'bx_admission_status as of today: one row per admission with its overstay status';

CREATE FUNCTION @extschema@.bx_overstay_report(fy pg_catalog.int4,
	as_of_date pg_catalog.date DEFAULT CURRENT_DATE, known_by pg_catalog.timestamptz DEFAULT NULL)
	RETURNS TABLE (fiscal_year pg_catalog.int4, as_of pg_catalog.date,
				   country_of_citizenship pg_catalog.text, class_group pg_catalog.text,
				   expected_departures pg_catalog.int8, in_time_departures pg_catalog.int8,
				   out_of_country_overstays pg_catalog.int8,
				   suspected_in_country_overstays pg_catalog.int8, total_overstays pg_catalog.int8,
				   total_overstay_rate pg_catalog.numeric, suspected_in_country_rate pg_catalog.numeric,
				   biometric_departures pg_catalog.int8, biometric_overstays pg_catalog.int8)
	LANGUAGE sql STABLE PARALLEL SAFE
	BEGIN ATOMIC
		WITH counts AS (
			SELECT s.citizenship, s.class_group, pg_catalog.count(*) AS expected,
				   pg_catalog.count(*) FILTER (WHERE s.status OPERATOR(pg_catalog.=) 'in_time') AS in_time,
				   pg_catalog.count(*) FILTER (WHERE s.status OPERATOR(pg_catalog.=) 'out_of_country_overstay') AS ooc,
				   pg_catalog.count(*) FILTER (WHERE s.status OPERATOR(pg_catalog.=) 'suspected_in_country_overstay') AS sico,
				   pg_catalog.count(*) FILTER (WHERE s.evidence_level OPERATOR(pg_catalog.=) 'biometric') AS bio,
				   pg_catalog.count(*) FILTER (WHERE s.evidence_level OPERATOR(pg_catalog.=) 'biometric'
												 AND s.status OPERATOR(pg_catalog.=) 'out_of_country_overstay') AS bio_ooc
			  FROM @extschema@.bx_admission_status(bx_overstay_report.as_of_date, bx_overstay_report.known_by) s
			 WHERE s.fiscal_year OPERATOR(pg_catalog.=) bx_overstay_report.fy
			   AND s.expected_departure OPERATOR(pg_catalog.<) bx_overstay_report.as_of_date
			   AND s.report_scope
			 GROUP BY s.citizenship, s.class_group
		)
		SELECT bx_overstay_report.fy, bx_overstay_report.as_of_date,
			   c.citizenship, c.class_group, c.expected, c.in_time, c.ooc, c.sico,
			   c.ooc OPERATOR(pg_catalog.+) c.sico,
			   pg_catalog.round(100.0 OPERATOR(pg_catalog.*) (c.ooc OPERATOR(pg_catalog.+) c.sico)
								OPERATOR(pg_catalog./) c.expected, 2),
			   pg_catalog.round(100.0 OPERATOR(pg_catalog.*) c.sico OPERATOR(pg_catalog./) c.expected, 2),
			   c.bio, c.bio_ooc
		  FROM counts c
		 ORDER BY c.citizenship, c.class_group;
	END;
COMMENT ON FUNCTION @extschema@.bx_overstay_report(pg_catalog.int4, pg_catalog.date, pg_catalog.timestamptz) IS
	'DHS Entry/Exit Overstay Report of a fiscal year as of a date, per country of citizenship (at entry) and class group (VWP, B1B2, F, M, J, OTHER); rates in percent; biometrically confirmed departures and overstays apart';

CREATE FUNCTION @extschema@.bx_overstay_summary(fy pg_catalog.int4,
	as_of_date pg_catalog.date DEFAULT CURRENT_DATE, known_by pg_catalog.timestamptz DEFAULT NULL)
	RETURNS TABLE (fiscal_year pg_catalog.int4, as_of pg_catalog.date, report_group pg_catalog.text,
				   expected_departures pg_catalog.int8, in_time_departures pg_catalog.int8,
				   out_of_country_overstays pg_catalog.int8,
				   suspected_in_country_overstays pg_catalog.int8, total_overstays pg_catalog.int8,
				   total_overstay_rate pg_catalog.numeric, suspected_in_country_rate pg_catalog.numeric,
				   biometric_departures pg_catalog.int8, biometric_overstays pg_catalog.int8,
				   never_due pg_catalog.int8)
	LANGUAGE sql STABLE PARALLEL SAFE
	BEGIN ATOMIC
		WITH s AS (
			SELECT st.*,
				   CASE WHEN st.class_group OPERATOR(pg_catalog.=) 'VWP' THEN 1
						WHEN st.class_group OPERATOR(pg_catalog.=) 'B1B2' AND st.citizenship OPERATOR(pg_catalog.=) 'CAN' THEN 3
						WHEN st.class_group OPERATOR(pg_catalog.=) 'B1B2' AND st.citizenship OPERATOR(pg_catalog.=) 'MEX' THEN 4
						WHEN st.class_group OPERATOR(pg_catalog.=) 'B1B2' THEN 2
						WHEN st.class_group OPERATOR(pg_catalog.=) ANY (ARRAY['F', 'M', 'J']) THEN 5
						ELSE 6 END AS g
			  FROM @extschema@.bx_admission_status(bx_overstay_summary.as_of_date, bx_overstay_summary.known_by) st
			 WHERE st.report_scope
		), groups (g, name) AS (
			VALUES (1, 'VWP'), (2, 'non-VWP excluding Canada and Mexico'), (3, 'Canada'), (4, 'Mexico'),
				   (5, 'students and exchange visitors (F, M, J)'), (6, 'all other classes'), (7, 'total')
		), counted AS (
			SELECT gr.g, gr.name,
				   pg_catalog.count(s.*) FILTER (WHERE s.fiscal_year OPERATOR(pg_catalog.=) bx_overstay_summary.fy
					   AND s.expected_departure OPERATOR(pg_catalog.<) bx_overstay_summary.as_of_date) AS expected,
				   pg_catalog.count(s.*) FILTER (WHERE s.fiscal_year OPERATOR(pg_catalog.=) bx_overstay_summary.fy
					   AND s.expected_departure OPERATOR(pg_catalog.<) bx_overstay_summary.as_of_date
					   AND s.status OPERATOR(pg_catalog.=) 'in_time') AS in_time,
				   pg_catalog.count(s.*) FILTER (WHERE s.fiscal_year OPERATOR(pg_catalog.=) bx_overstay_summary.fy
					   AND s.expected_departure OPERATOR(pg_catalog.<) bx_overstay_summary.as_of_date
					   AND s.status OPERATOR(pg_catalog.=) 'out_of_country_overstay') AS ooc,
				   pg_catalog.count(s.*) FILTER (WHERE s.fiscal_year OPERATOR(pg_catalog.=) bx_overstay_summary.fy
					   AND s.expected_departure OPERATOR(pg_catalog.<) bx_overstay_summary.as_of_date
					   AND s.status OPERATOR(pg_catalog.=) 'suspected_in_country_overstay') AS sico,
				   pg_catalog.count(s.*) FILTER (WHERE s.fiscal_year OPERATOR(pg_catalog.=) bx_overstay_summary.fy
					   AND s.expected_departure OPERATOR(pg_catalog.<) bx_overstay_summary.as_of_date
					   AND s.evidence_level OPERATOR(pg_catalog.=) 'biometric') AS bio,
				   pg_catalog.count(s.*) FILTER (WHERE s.fiscal_year OPERATOR(pg_catalog.=) bx_overstay_summary.fy
					   AND s.expected_departure OPERATOR(pg_catalog.<) bx_overstay_summary.as_of_date
					   AND s.evidence_level OPERATOR(pg_catalog.=) 'biometric'
					   AND s.status OPERATOR(pg_catalog.=) 'out_of_country_overstay') AS bio_ooc,
				   pg_catalog.count(s.*) FILTER (WHERE s.admission_number IS NOT NULL
					   AND s.expected_departure IS NULL) AS never_due
			  FROM groups gr
			  LEFT JOIN s ON s.g OPERATOR(pg_catalog.=) gr.g OR gr.g OPERATOR(pg_catalog.=) 7
			 GROUP BY gr.g, gr.name
		)
		SELECT bx_overstay_summary.fy, bx_overstay_summary.as_of_date, c.name, c.expected, c.in_time,
			   c.ooc, c.sico, c.ooc OPERATOR(pg_catalog.+) c.sico,
			   CASE WHEN c.expected OPERATOR(pg_catalog.>) 0 THEN pg_catalog.round(100.0 OPERATOR(pg_catalog.*)
					(c.ooc OPERATOR(pg_catalog.+) c.sico) OPERATOR(pg_catalog./) c.expected, 2) END,
			   CASE WHEN c.expected OPERATOR(pg_catalog.>) 0 THEN pg_catalog.round(100.0 OPERATOR(pg_catalog.*)
					c.sico OPERATOR(pg_catalog./) c.expected, 2) END,
			   c.bio, c.bio_ooc, c.never_due
		  FROM counted c
		 ORDER BY c.g;
	END;
COMMENT ON FUNCTION @extschema@.bx_overstay_summary(pg_catalog.int4, pg_catalog.date, pg_catalog.timestamptz) IS
	'the first page of the DHS overstay report: VWP, non-VWP excluding Canada and Mexico, Canada, Mexico, students and exchange visitors, all other classes, total; with biometrically confirmed departures and overstays and the never-due admissions of each group';

CREATE VIEW @extschema@.gate_anomaly WITH (security_invoker = true) AS
	SELECT a.searched_by, a.flight_id,
		   pg_catalog.count(*) AS no_matches,
		   pg_catalog.count(*) FILTER (WHERE a.outcome OPERATOR(pg_catalog.=) 'rate_limited') AS rate_limited,
		   pg_catalog.min(a.occurred_at) AS first_at, pg_catalog.max(a.occurred_at) AS last_at
	  FROM @extschema@.search_audit a
	 WHERE a.search OPERATOR(pg_catalog.=) 'match'
	   AND a.outcome IS DISTINCT FROM 'match'
	 GROUP BY a.searched_by, a.flight_id
	HAVING pg_catalog.count(*) FILTER (WHERE a.outcome OPERATOR(pg_catalog.=) 'rate_limited') OPERATOR(pg_catalog.>) 0;
COMMENT ON VIEW @extschema@.gate_anomaly IS
	'logins that reached the no-match limit on a flight (bxexit.gate_nomatch_limit): how many no-matches, how many calls refused, when';

CREATE VIEW @extschema@.lead_departure_without_admission WITH (security_invoker = true) AS
	SELECT d.person_id, p.family_name, p.given_names, p.citizenship, d.flight_id, d.departed_on,
		   d.evidence_level, d.exit_event_id, d.departure_manifest_id
	  FROM @extschema@.departure d
	  JOIN @extschema@.person p ON p.person_id OPERATOR(pg_catalog.=) d.person_id
	 WHERE p.citizenship OPERATOR(pg_catalog.<>) 'USA'
	   AND NOT EXISTS (SELECT FROM @extschema@.admission a
						WHERE a.person_id OPERATOR(pg_catalog.=) d.person_id
						  AND a.admitted_on OPERATOR(pg_catalog.<=) d.departed_on)
	UNION ALL
	SELECT NULL, m.family_name, m.given_names, m.citizenship, m.flight_id, f.departure_date,
		   'unlinked', NULL, m.departure_manifest_id
	  FROM @extschema@.departure_manifest m
	  JOIN @extschema@.flight f ON f.flight_id OPERATOR(pg_catalog.=) m.flight_id
	 WHERE m.boarding_status OPERATOR(pg_catalog.=) 'boarded'
	   AND m.citizenship OPERATOR(pg_catalog.<>) 'USA'
	   AND NOT EXISTS (SELECT FROM @extschema@.departure_link l
						WHERE l.departure_manifest_id OPERATOR(pg_catalog.=) m.departure_manifest_id
						  AND l.superseded_at IS NULL AND l.person_id IS NOT NULL);
COMMENT ON VIEW @extschema@.lead_departure_without_admission IS
	'lead: departures of non-US citizens with no admission on record before them (linked persons, and manifest passengers linked to nobody): possible entries without inspection';

CREATE VIEW @extschema@.lead_gate_match_not_on_manifest WITH (security_invoker = true) AS
	SELECT x.exit_event_id, x.flight_id, f.departure_date, x.person_id, x.probe_source, x.occurred_at
	  FROM @extschema@.exit_event x
	  JOIN @extschema@.flight f ON f.flight_id OPERATOR(pg_catalog.=) x.flight_id
	 WHERE x.decision OPERATOR(pg_catalog.=) 'match'
	   AND EXISTS (SELECT FROM @extschema@.departure_manifest m
					WHERE m.flight_id OPERATOR(pg_catalog.=) x.flight_id)
	   AND NOT EXISTS (SELECT FROM @extschema@.departure_manifest m
					   JOIN @extschema@.departure_link l
						 ON l.departure_manifest_id OPERATOR(pg_catalog.=) m.departure_manifest_id
						AND l.superseded_at IS NULL
					  WHERE m.flight_id OPERATOR(pg_catalog.=) x.flight_id
						AND m.boarding_status OPERATOR(pg_catalog.=) 'boarded'
						AND l.person_id OPERATOR(pg_catalog.=) x.person_id);
COMMENT ON VIEW @extschema@.lead_gate_match_not_on_manifest IS
	'lead: gate matches on a flight whose loaded carrier manifest does not list the matched person';

CREATE VIEW @extschema@.lead_boarded_not_confirmed WITH (security_invoker = true) AS
	WITH unexplained AS (
		SELECT x.flight_id,
			   pg_catalog.count(*) FILTER (WHERE x.decision OPERATOR(pg_catalog.=) 'no_match') AS no_matches,
			   pg_catalog.count(*) FILTER (WHERE x.decision OPERATOR(pg_catalog.=) 'match') AS matches_of_others,
			   pg_catalog.array_agg(x.exit_event_id ORDER BY x.exit_event_id) AS exit_event_ids
		  FROM @extschema@.exit_event x
		 WHERE x.probe_source OPERATOR(pg_catalog.=) 'photo'
		   AND ((x.decision OPERATOR(pg_catalog.=) 'no_match'
				 AND x.reason OPERATOR(pg_catalog.=) 'below_threshold'
				 AND x.resolved_person_id IS NULL)
				OR x.exit_event_id IN (SELECT g.exit_event_id FROM @extschema@.lead_gate_match_not_on_manifest g))
		 GROUP BY x.flight_id
	)
	SELECT m.departure_manifest_id, m.flight_id, f.departure_date, l.person_id, m.family_name,
		   m.given_names, m.citizenship, u.no_matches, u.matches_of_others, u.exit_event_ids
	  FROM @extschema@.departure_manifest m
	  JOIN @extschema@.flight f ON f.flight_id OPERATOR(pg_catalog.=) m.flight_id
	  JOIN @extschema@.departure_link l
		ON l.departure_manifest_id OPERATOR(pg_catalog.=) m.departure_manifest_id
	   AND l.superseded_at IS NULL AND l.person_id IS NOT NULL
	  JOIN unexplained u ON u.flight_id OPERATOR(pg_catalog.=) m.flight_id
	 WHERE m.boarding_status OPERATOR(pg_catalog.=) 'boarded'
	   AND NOT EXISTS (SELECT FROM @extschema@.departure d
					   WHERE d.person_id OPERATOR(pg_catalog.=) l.person_id
						 AND d.flight_id OPERATOR(pg_catalog.=) m.flight_id
						 AND d.evidence_level OPERATOR(pg_catalog.=) ANY (ARRAY['biometric', 'officer']));
COMMENT ON VIEW @extschema@.lead_boarded_not_confirmed IS
	'lead: boarded manifest passengers the gate did not confirm, on flights where a gate photo matched nobody or someone not on the manifest: the person boarding may not be the document holder';

/* --------------------------------------------------------------- retention */
CREATE OR REPLACE FUNCTION @extschema@.bx_apply_retention(OUT probes_purged pg_catalog.int8,
	OUT enrollments_deleted pg_catalog.int8)
	LANGUAGE plpgsql VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	v_cutoff timestamptz := pg_catalog.now() - @extschema@.bx_citizen_photo_retention();
	v_unknown int8;
	v_gallery regclass := @extschema@.bx_gallery();
	v_gallery_deleted int8;
	v_state text;
	v_message text;
	v_detail text;
	v_context text;
BEGIN
	UPDATE @extschema@.exit_event x
	   SET probe_photo = NULL, probe_template = NULL, probe_purged_at = pg_catalog.now()
	  FROM @extschema@.person p
	 WHERE p.person_id = coalesce(x.person_id, x.resolved_person_id)
	   AND p.citizenship = 'USA'
	   AND x.occurred_at < v_cutoff
	   AND (x.probe_photo IS NOT NULL OR x.probe_template IS NOT NULL);
	GET DIAGNOSTICS probes_purged = ROW_COUNT;

	-- a decision on an unknown flight is nobody's departure: its probe goes too
	UPDATE @extschema@.exit_event x
	   SET probe_photo = NULL, probe_template = NULL, probe_purged_at = pg_catalog.now()
	 WHERE x.flight_id IS NULL
	   AND x.occurred_at < v_cutoff
	   AND (x.probe_photo IS NOT NULL OR x.probe_template IS NOT NULL);
	GET DIAGNOSTICS v_unknown = ROW_COUNT;
	probes_purged := probes_purged + v_unknown;

	DELETE FROM @extschema@.enrollment e
	 USING @extschema@.person p
	 WHERE p.person_id = e.person_id
	   AND p.citizenship = 'USA'
	   AND e.source = 'exit'
	   AND e.captured_at < v_cutoff;
	GET DIAGNOSTICS enrollments_deleted = ROW_COUNT;

	-- a gallery named by bx_set_gallery (sharded, say) holds captures too;
	-- the shards filter by source and time, the coordinator by citizenship
	IF v_gallery <> '@extschema@.enrollment'::regclass THEN
		BEGIN
			EXECUTE pg_catalog.format(
				'DELETE FROM %s g
				  WHERE g.source = ''exit'' AND g.captured_at < $1
					AND g.person_id IN (SELECT p.person_id FROM @extschema@.person p
										 WHERE p.citizenship = ''USA'')', v_gallery)
			  USING v_cutoff;
			GET DIAGNOSTICS v_gallery_deleted = ROW_COUNT;
		EXCEPTION WHEN OTHERS OR query_canceled THEN
			GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
				v_detail = PG_EXCEPTION_DETAIL, v_context = PG_EXCEPTION_CONTEXT;
			PERFORM @extschema@.bx_gallery_failure(v_state, v_message, v_detail, v_context);
			RAISE;
		END;
		enrollments_deleted := enrollments_deleted + v_gallery_deleted;
	END IF;
	RAISE LOG 'bxexit retention by %: % probes purged, % exit enrollments deleted',
		session_user, probes_purged, enrollments_deleted;
END
$$;
COMMENT ON FUNCTION @extschema@.bx_apply_retention() IS
	'clear probe photos and templates of US citizens, and of decisions on unknown flights, older than bxexit.citizen_photo_retention (default 12h), and delete citizens'' exit enrollments (from enrollment and from the gallery named by bx_set_gallery); decision records stay';

/* ---------------------------- calibration and demographics (issue 16) */
/* ------------------------------------------------ DET curve, EER, points */

CREATE FUNCTION @extschema@.bx_det_curve(mated pg_catalog.float8[], nonmated pg_catalog.float8[])
	RETURNS TABLE (threshold pg_catalog.float8, fmr pg_catalog.float8, fnmr pg_catalog.float8)
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	BEGIN ATOMIC
		WITH s AS (
			SELECT v, true AS is_mated FROM pg_catalog.unnest(bx_det_curve.mated) v
			UNION ALL
			SELECT v, false FROM pg_catalog.unnest(bx_det_curve.nonmated) v
		), c AS (
			SELECT s.v, pg_catalog.count(*) FILTER (WHERE s.is_mated) AS nm,
				   pg_catalog.count(*) FILTER (WHERE NOT s.is_mated) AS nn
			  FROM s GROUP BY s.v
		), cum AS (
			SELECT c.v, pg_catalog.sum(c.nm) OVER w AS mated_le, pg_catalog.sum(c.nn) OVER w AS non_le
			  FROM c WINDOW w AS (ORDER BY c.v)
		)
		SELECT cum.v,
			   (pg_catalog.cardinality(bx_det_curve.nonmated) OPERATOR(pg_catalog.-) cum.non_le)::pg_catalog.float8
				   OPERATOR(pg_catalog./) NULLIF(pg_catalog.cardinality(bx_det_curve.nonmated), 0),
			   cum.mated_le::pg_catalog.float8
				   OPERATOR(pg_catalog./) NULLIF(pg_catalog.cardinality(bx_det_curve.mated), 0)
		  FROM cum ORDER BY cum.v;
	END;
COMMENT ON FUNCTION @extschema@.bx_det_curve(pg_catalog.float8[], pg_catalog.float8[]) IS
	'DET curve of labelled comparison scores: at every score as threshold, FMR (non-mated scores above it) and FNMR (mated scores at or below it)';

CREATE FUNCTION @extschema@.bx_det_eer(mated pg_catalog.float8[], nonmated pg_catalog.float8[],
	OUT eer pg_catalog.float8, OUT threshold pg_catalog.float8)
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	BEGIN ATOMIC
		SELECT (d.fmr OPERATOR(pg_catalog.+) d.fnmr) OPERATOR(pg_catalog./) 2, d.threshold
		  FROM @extschema@.bx_det_curve(bx_det_eer.mated, bx_det_eer.nonmated) d
		 ORDER BY pg_catalog.abs(d.fnmr OPERATOR(pg_catalog.-) d.fmr), d.threshold
		 LIMIT 1;
	END;
COMMENT ON FUNCTION @extschema@.bx_det_eer(pg_catalog.float8[], pg_catalog.float8[]) IS
	'equal error rate of labelled comparison scores: where FMR and FNMR are closest, their mean, and that threshold';

/*
 * The operating point of a target FMR: the threshold is the (floor(target x
 * N) + 1)-th highest non-mated score, so at most target x N non-mated
 * scores lie above it.
 */
CREATE FUNCTION @extschema@.bx_det_point(mated pg_catalog.float8[], nonmated pg_catalog.float8[],
	target_fmr pg_catalog.float8, OUT threshold pg_catalog.float8, OUT fmr pg_catalog.float8,
	OUT fnmr pg_catalog.float8)
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	BEGIN ATOMIC
		WITH t AS (
			SELECT coalesce((SELECT v FROM pg_catalog.unnest(bx_det_point.nonmated) v
							  ORDER BY v DESC
							 OFFSET pg_catalog.floor(bx_det_point.target_fmr
									OPERATOR(pg_catalog.*) pg_catalog.cardinality(bx_det_point.nonmated))::pg_catalog.int8
							 LIMIT 1), -2.0) AS t
		)
		SELECT t.t,
			   (SELECT pg_catalog.count(*) FROM pg_catalog.unnest(bx_det_point.nonmated) v
				 WHERE v OPERATOR(pg_catalog.>) t.t)::pg_catalog.float8
				   OPERATOR(pg_catalog./) NULLIF(pg_catalog.cardinality(bx_det_point.nonmated), 0),
			   (SELECT pg_catalog.count(*) FROM pg_catalog.unnest(bx_det_point.mated) v
				 WHERE NOT v OPERATOR(pg_catalog.>) t.t)::pg_catalog.float8
				   OPERATOR(pg_catalog./) NULLIF(pg_catalog.cardinality(bx_det_point.mated), 0)
		  FROM t;
	END;
COMMENT ON FUNCTION @extschema@.bx_det_point(pg_catalog.float8[], pg_catalog.float8[], pg_catalog.float8) IS
	'verification operating point: the threshold of a target FMR and the FMR and FNMR measured there';

/*
 * Open-set identification (1:N) at a target FPIR, as NIST FRVT Part 7 and
 * bench/faces do: nonmated_top is each non-mated search's best score,
 * mated_top each mated search's mate score when the mate is the sole
 * rank-1 candidate (else a score below any threshold, e.g. -2).  The
 * threshold is the smallest multiple of 1/scale above the (floor(target x
 * N) + 1)-th highest non-mated score.
 */
CREATE FUNCTION @extschema@.bx_identification_point(nonmated_top pg_catalog.float8[],
	mated_top pg_catalog.float8[], target_fpir pg_catalog.float8, scale pg_catalog.int4 DEFAULT 1000,
	OUT quantile pg_catalog.float8, OUT threshold pg_catalog.float8, OUT fpir pg_catalog.float8,
	OUT fnir pg_catalog.float8)
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	BEGIN ATOMIC
		WITH q AS (
			SELECT coalesce((SELECT v FROM pg_catalog.unnest(bx_identification_point.nonmated_top) v
							  ORDER BY v DESC
							 OFFSET pg_catalog.floor(bx_identification_point.target_fpir
									OPERATOR(pg_catalog.*) pg_catalog.cardinality(bx_identification_point.nonmated_top))::pg_catalog.int8
							 LIMIT 1), -2.0) AS q
		), t AS (
			-- the first multiple of 1/scale strictly above q
			SELECT q.q, (SELECT pg_catalog.min(g)::pg_catalog.float8 OPERATOR(pg_catalog./) bx_identification_point.scale
						   FROM pg_catalog.generate_series(
								  pg_catalog.floor(q.q OPERATOR(pg_catalog.*) bx_identification_point.scale)::pg_catalog.int8 OPERATOR(pg_catalog.-) 1,
								  pg_catalog.floor(q.q OPERATOR(pg_catalog.*) bx_identification_point.scale)::pg_catalog.int8 OPERATOR(pg_catalog.+) 2) g
						  WHERE g::pg_catalog.float8 OPERATOR(pg_catalog./) bx_identification_point.scale OPERATOR(pg_catalog.>) q.q) AS t
			  FROM q
		)
		SELECT t.q, t.t,
			   (SELECT pg_catalog.count(*) FROM pg_catalog.unnest(bx_identification_point.nonmated_top) v
				 WHERE v OPERATOR(pg_catalog.>=) t.t)::pg_catalog.float8
				   OPERATOR(pg_catalog./) NULLIF(pg_catalog.cardinality(bx_identification_point.nonmated_top), 0),
			   (SELECT pg_catalog.count(*) FROM pg_catalog.unnest(bx_identification_point.mated_top) v
				 WHERE NOT v OPERATOR(pg_catalog.>=) t.t)::pg_catalog.float8
				   OPERATOR(pg_catalog./) NULLIF(pg_catalog.cardinality(bx_identification_point.mated_top), 0)
		  FROM t;
	END;
COMMENT ON FUNCTION @extschema@.bx_identification_point(pg_catalog.float8[], pg_catalog.float8[], pg_catalog.float8, pg_catalog.int4) IS
	'1:N operating point: the threshold of a target FPIR (a multiple of 1/scale) and the FPIR and FNIR measured there';

/* ------------------------------------- scores of a labelled template table */

/*
 * Every pair of rows of a table of labelled templates (one label per
 * person): same label, a mated score; different labels, a non-mated one.
 * Runs with the caller's rights; at most max_rows rows (pairs grow with
 * the square).
 */
CREATE FUNCTION @extschema@.bx_labelled_scores(templates pg_catalog.regclass, label_column pg_catalog.name,
	template_column pg_catalog.name, max_rows pg_catalog.int4 DEFAULT 5000,
	OUT mated pg_catalog.float8[], OUT nonmated pg_catalog.float8[])
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	n int8;
BEGIN
	EXECUTE pg_catalog.format('SELECT count(*) FROM %s', templates) INTO n;
	IF n > max_rows THEN
		RAISE EXCEPTION 'table % has % rows, more than max_rows (%)', templates, n, max_rows
			USING ERRCODE = 'program_limit_exceeded',
				  HINT = 'Pairs grow with the square of the rows: sample the table, or raise max_rows.';
	END IF;
	EXECUTE pg_catalog.format(
		'SELECT array_agg(s) FILTER (WHERE same), array_agg(s) FILTER (WHERE NOT same)
		   FROM (SELECT a.%1$I = b.%1$I AS same,
						@extschema@.bx_similarity(a.%2$I, b.%2$I) AS s
				   FROM %3$s a JOIN %3$s b ON a.ctid < b.ctid) pairs',
		label_column, template_column, templates)
	  INTO mated, nonmated;
END
$$;
COMMENT ON FUNCTION @extschema@.bx_labelled_scores(pg_catalog.regclass, pg_catalog.name, pg_catalog.name, pg_catalog.int4) IS
	'mated and non-mated cosine scores of every pair of rows of a table of labelled templates (at most max_rows rows)';

/* --------------------------------------------------- adopting a threshold */

/*
 * Measure the operating point of a target FMR on labelled scores and add
 * it to match_threshold as the model's verification threshold from
 * valid_from: the threshold rounded up to 0.01, with what it measured.
 * Runs with the caller's rights (admins may insert thresholds).
 */
CREATE FUNCTION @extschema@.bx_adopt_verification_threshold(model pg_catalog.text,
	mated pg_catalog.float8[], nonmated pg_catalog.float8[], target_fmr pg_catalog.float8,
	method pg_catalog.text, valid_from pg_catalog.timestamptz DEFAULT pg_catalog.now())
	RETURNS pg_catalog.int8
	LANGUAGE plpgsql VOLATILE
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	t float4;
	fnmr float8;
	id int8;
BEGIN
	IF cardinality(mated) IS NULL OR cardinality(nonmated) IS NULL THEN
		RAISE EXCEPTION 'calibration needs mated and non-mated scores' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	-- the threshold rounded up to 0.01, and the FNMR measured there
	t := ceil((SELECT x.threshold FROM @extschema@.bx_det_point(mated, nonmated, target_fmr) x) * 100) / 100;
	SELECT count(*) FILTER (WHERE NOT v > t)::float8 / cardinality(mated) INTO fnmr FROM unnest(mated) v;
	INSERT INTO @extschema@.match_threshold (model, purpose, threshold, operating_point, measured_error,
											 method, valid_from)
	VALUES (model, 'verification', t, format('FMR %s (1:1 comparison)', target_fmr),
			format('FNMR %s%% at FMR %s (%s mated, %s non-mated comparisons)',
				   round((fnmr * 100)::numeric, 2), target_fmr, cardinality(mated), cardinality(nonmated)),
			method, valid_from)
	RETURNING threshold_id INTO id;
	RETURN id;
END
$$;
COMMENT ON FUNCTION @extschema@.bx_adopt_verification_threshold(pg_catalog.text, pg_catalog.float8[], pg_catalog.float8[], pg_catalog.float8, pg_catalog.text, pg_catalog.timestamptz) IS
	'measure the threshold of a target FMR on labelled scores and insert it (rounded up to 0.01) as the model''s verification threshold with its measured FNMR';

CREATE FUNCTION @extschema@.bx_adopt_identification_threshold(model pg_catalog.text,
	nonmated_top pg_catalog.float8[], mated_top pg_catalog.float8[], target_fpir pg_catalog.float8,
	gallery_size pg_catalog.int4, method pg_catalog.text,
	valid_from pg_catalog.timestamptz DEFAULT pg_catalog.now())
	RETURNS pg_catalog.int8
	LANGUAGE plpgsql VOLATILE
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	p record;
	id int8;
BEGIN
	IF cardinality(mated_top) IS NULL OR cardinality(nonmated_top) IS NULL THEN
		RAISE EXCEPTION 'calibration needs mated and non-mated searches' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	-- the threshold on the 0.01 grid, as the shipped rows
	SELECT * INTO p FROM @extschema@.bx_identification_point(nonmated_top, mated_top, target_fpir, 100);
	INSERT INTO @extschema@.match_threshold (model, purpose, threshold, operating_point, measured_error,
											 method, valid_from)
	VALUES (model, 'identification', p.threshold,
			format('FPIR %s at gallery size %s', target_fpir, gallery_size),
			format('FPIR %s, FNIR %s%% (%s non-mated, %s mated searches)',
				   round(p.fpir::numeric, 4), round((p.fnir * 100)::numeric, 2),
				   cardinality(nonmated_top), cardinality(mated_top)),
			method, valid_from)
	RETURNING threshold_id INTO id;
	RETURN id;
END
$$;
COMMENT ON FUNCTION @extschema@.bx_adopt_identification_threshold(pg_catalog.text, pg_catalog.float8[], pg_catalog.float8[], pg_catalog.float8, pg_catalog.int4, pg_catalog.text, pg_catalog.timestamptz) IS
	'measure the threshold of a target FPIR (0.01 grid) on open-set searches and insert it as the model''s identification threshold with its measured FPIR and FNIR';

/* ---------------------------------------------- demographic breakdowns */

/*
 * Gate decisions by citizenship, sex and age band at the decision, for the
 * travellers the record names (matches, and no-matches an officer
 * resolved): the monitoring GAO asked CBP for.  Decision columns only.
 */
CREATE VIEW @extschema@.match_demographics WITH (security_invoker = true) AS
	SELECT p.citizenship, coalesce(p.sex, 'unknown') AS sex,
		   CASE WHEN p.date_of_birth IS NULL THEN 'unknown'
				WHEN pg_catalog.age(x.occurred_at::pg_catalog.date, p.date_of_birth) OPERATOR(pg_catalog.<) '18 years' THEN 'under 18'
				WHEN pg_catalog.age(x.occurred_at::pg_catalog.date, p.date_of_birth) OPERATOR(pg_catalog.<) '30 years' THEN '18-29'
				WHEN pg_catalog.age(x.occurred_at::pg_catalog.date, p.date_of_birth) OPERATOR(pg_catalog.<) '50 years' THEN '30-49'
				WHEN pg_catalog.age(x.occurred_at::pg_catalog.date, p.date_of_birth) OPERATOR(pg_catalog.<) '70 years' THEN '50-69'
				ELSE '70 and over' END AS age_band,
		   pg_catalog.count(*) AS decisions,
		   pg_catalog.count(*) FILTER (WHERE x.decision OPERATOR(pg_catalog.=) 'match') AS matches,
		   pg_catalog.count(*) FILTER (WHERE x.decision OPERATOR(pg_catalog.=) 'no_match') AS no_matches,
		   pg_catalog.round(100.0 OPERATOR(pg_catalog.*) pg_catalog.count(*) FILTER (WHERE x.decision OPERATOR(pg_catalog.=) 'match')
							OPERATOR(pg_catalog./) pg_catalog.count(*), 2) AS match_rate
	  FROM @extschema@.exit_event x
	  JOIN @extschema@.person p ON p.person_id OPERATOR(pg_catalog.=) coalesce(x.person_id, x.resolved_person_id)
	 WHERE x.probe_source OPERATOR(pg_catalog.=) 'photo'
	 GROUP BY 1, 2, 3;
COMMENT ON VIEW @extschema@.match_demographics IS
	'gate decisions on photos of known travellers (matches and resolved no-matches) by citizenship, sex and age band, with the match rate';

/* ------------------------------------------------------------------ grants */

REVOKE EXECUTE ON FUNCTION
	@extschema@.bx_decide_exit(@extschema@.face_embedding, pg_catalog.bytea, pg_catalog.text, pg_catalog.int8,
		pg_catalog.text, pg_catalog.text, pg_catalog.float4, pg_catalog.text),
	@extschema@.bx_gate_throttled(pg_catalog.int8),
	@extschema@.bx_plausible_date(pg_catalog.date),
	@extschema@.bx_flight_date_guard(),
	@extschema@.bx_match(pg_catalog.bytea, pg_catalog.int8, pg_catalog.text),
	@extschema@.bx_match(@extschema@.face_embedding, pg_catalog.int8)
	FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION
	@extschema@.bx_durable_insert(pg_catalog.regclass, pg_catalog.jsonb),
	@extschema@.bx_gate_settings(),
	@extschema@.bx_gate_nomatch_count(pg_catalog.int8, pg_catalog.interval, pg_catalog.int4)
	FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.bx_match(pg_catalog.bytea, pg_catalog.int8, pg_catalog.text)
	TO bxexit_gate, bxexit_admin;
GRANT EXECUTE ON FUNCTION @extschema@.bx_match(@extschema@.face_embedding, pg_catalog.int8)
	TO bxexit_admin;
GRANT SELECT (probe_source) ON @extschema@.exit_event TO bxexit_analyst;
-- the capture quality of a decision: not a score of any template
GRANT SELECT (capture_quality, quality_component) ON @extschema@.exit_event TO bxexit_analyst;
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

REVOKE EXECUTE ON FUNCTION
	@extschema@.bx_admission_citizenship(),
	@extschema@.bx_departures(pg_catalog.timestamptz),
	@extschema@.bx_overstay_summary(pg_catalog.int4, pg_catalog.date, pg_catalog.timestamptz),
	@extschema@.bx_admission_status(pg_catalog.date, pg_catalog.timestamptz),
	@extschema@.bx_overstay_report(pg_catalog.int4, pg_catalog.date, pg_catalog.timestamptz)
	FROM PUBLIC;
GRANT SELECT ON @extschema@.departure, @extschema@.admission_status TO bxexit_analyst, bxexit_admin;
GRANT SELECT ON @extschema@.lead_departure_without_admission, @extschema@.lead_gate_match_not_on_manifest,
	@extschema@.lead_boarded_not_confirmed
	TO bxexit_analyst, bxexit_admin;
GRANT EXECUTE ON FUNCTION
	@extschema@.bx_admission_status(pg_catalog.date, pg_catalog.timestamptz),
	@extschema@.bx_overstay_report(pg_catalog.int4, pg_catalog.date, pg_catalog.timestamptz),
	@extschema@.bx_overstay_summary(pg_catalog.int4, pg_catalog.date, pg_catalog.timestamptz),
	@extschema@.bx_departures(pg_catalog.timestamptz)
	TO bxexit_analyst, bxexit_admin;
GRANT SELECT ON @extschema@.gate_anomaly TO bxexit_admin;
GRANT EXECUTE ON FUNCTION @extschema@.bx_plausible_date(pg_catalog.date) TO bxexit_admin;

/* ------------------------------------ galleries past one server (issue 15) */

/* ------------------------------------------ border records: the gallery */

/*
 * bx_match, bx_verify and bx_identify read templates from one relation:
 * bxexit.enrollment unless an administrator names another with
 * bx_set_gallery.  That is how a gallery outgrows one server: a table
 * hash-partitioned by person whose partitions are postgres_fdw foreign
 * tables on shard servers, each shard with its own bxann index (README,
 * "Scaling out"; scripts/shard_layout.sh).  The relation needs the columns
 * person_id int8, enrollment_id int8, model text and template
 * face_embedding, and source text and captured_at timestamptz, by which
 * bx_apply_retention deletes citizens' exit captures from it as from
 * enrollment; more are allowed.  Kept as a name, resolved at each use,
 * so a dump restores the row before or after the table it names.
 */
CREATE TABLE @extschema@.gallery_source (
	singleton pg_catalog.bool PRIMARY KEY DEFAULT true CHECK (singleton),
	relation_name pg_catalog.text NOT NULL,
	set_at pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.now(),
	set_by pg_catalog.text NOT NULL DEFAULT session_user
);
COMMENT ON TABLE @extschema@.gallery_source IS
	'the gallery relation the searches read when it is not bxexit.enrollment (bx_set_gallery)';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.gallery_source', '');

/* The relation the searches read: the named gallery, or enrollment. */
CREATE FUNCTION @extschema@.bx_gallery() RETURNS pg_catalog.regclass
	LANGUAGE plpgsql STABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	v_name text;
	v_rel regclass;
BEGIN
	SELECT s.relation_name INTO v_name FROM @extschema@.gallery_source s;
	IF v_name IS NULL THEN
		RETURN '@extschema@.enrollment'::regclass;
	END IF;
	v_rel := pg_catalog.to_regclass(v_name);
	IF v_rel IS NULL THEN
		RAISE EXCEPTION 'gallery relation "%" named by bx_set_gallery does not exist', v_name
			USING ERRCODE = 'undefined_table',
				  HINT = 'Create it again, or call bx_set_gallery(NULL) to search bxexit.enrollment.';
	END IF;
	RETURN v_rel;
END
$$;
COMMENT ON FUNCTION @extschema@.bx_gallery() IS
	'the relation bx_match, bx_verify and bx_identify read templates from: bxexit.enrollment unless bx_set_gallery named another';

/*
 * Name the gallery (NULL: back to enrollment).  The searches run as the
 * extension's owner, so the caller must be able to read the relation
 * itself: naming a table is no way to search what one may not read.
 */
CREATE FUNCTION @extschema@.bx_set_gallery(gallery pg_catalog.regclass) RETURNS pg_catalog.regclass
	LANGUAGE plpgsql VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	v_kind "char";
	v_missing text;
BEGIN
	IF gallery IS NULL THEN
		DELETE FROM @extschema@.gallery_source;
		RETURN @extschema@.bx_gallery();
	END IF;
	SELECT c.relkind INTO v_kind FROM pg_class c WHERE c.oid = gallery;
	IF v_kind NOT IN ('r', 'p', 'f') THEN
		RAISE EXCEPTION '"%" is not a table, a partitioned table or a foreign table', gallery
			USING ERRCODE = 'wrong_object_type';
	END IF;
	IF NOT has_table_privilege(session_user, gallery, 'SELECT') THEN
		RAISE EXCEPTION 'permission denied for table %', gallery
			USING ERRCODE = 'insufficient_privilege',
				  DETAIL = 'The searches would read it for you: you must be able to read it yourself.';
	END IF;
	SELECT string_agg(format('%s %s', w.col, w.typ::regtype), ', ' ORDER BY w.ord) INTO v_missing
	  FROM (VALUES (1, 'person_id', 'int8'::regtype), (2, 'enrollment_id', 'int8'::regtype),
				   (3, 'model', 'text'::regtype), (4, 'template', '@extschema@.face_embedding'::regtype),
				   (5, 'source', 'text'::regtype), (6, 'captured_at', 'timestamptz'::regtype))
		   AS w(ord, col, typ)
	 WHERE NOT EXISTS (SELECT FROM pg_attribute a
						WHERE a.attrelid = gallery AND a.attname = w.col AND a.atttypid = w.typ
						  AND a.attnum > 0 AND NOT a.attisdropped);
	IF v_missing IS NOT NULL THEN
		RAISE EXCEPTION 'gallery % lacks the columns %', gallery, v_missing
			USING ERRCODE = 'invalid_table_definition',
				  HINT = 'A gallery has person_id int8, enrollment_id int8, model text, template face_embedding, '
					  'source text and captured_at timestamptz (retention deletes by the last two).';
	END IF;
	INSERT INTO @extschema@.gallery_source AS s (relation_name)
	VALUES (gallery::text)
	ON CONFLICT (singleton) DO UPDATE
		SET relation_name = excluded.relation_name, set_at = excluded.set_at, set_by = excluded.set_by;
	RAISE LOG 'bxexit: gallery set to % by %', gallery, session_user;
	RETURN gallery;
END
$$;
COMMENT ON FUNCTION @extschema@.bx_set_gallery(pg_catalog.regclass) IS
	'name the relation the searches read templates from (NULL: bxexit.enrollment); it needs person_id, enrollment_id, model, template, source and captured_at';

/*
 * Where the gallery lives: one row per leaf partition (or the relation
 * itself), with the foreign server and remote table of a foreign one.
 */
CREATE FUNCTION @extschema@.bx_gallery_shards()
	RETURNS TABLE (partition pg_catalog.regclass, server pg_catalog.name, remote_table pg_catalog.text)
	LANGUAGE sql STABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
	BEGIN ATOMIC
		SELECT t.relid, s.srvname,
			   CASE WHEN ft.ftrelid IS NOT NULL THEN
				   quote_ident(coalesce((SELECT substr(o, 13) FROM unnest(ft.ftoptions) o
										  WHERE o LIKE 'schema_name=%'), n.nspname::text))
				   || '.' ||
				   quote_ident(coalesce((SELECT substr(o, 12) FROM unnest(ft.ftoptions) o
										  WHERE o LIKE 'table_name=%'), c.relname::text))
			   END
		  FROM pg_partition_tree(@extschema@.bx_gallery()) t
		  JOIN pg_class c ON c.oid = t.relid
		  JOIN pg_namespace n ON n.oid = c.relnamespace
		  LEFT JOIN pg_foreign_table ft ON ft.ftrelid = t.relid
		  LEFT JOIN pg_foreign_server s ON s.oid = ft.ftserver
		 WHERE t.isleaf
		 ORDER BY t.relid::text;
	END;
COMMENT ON FUNCTION @extschema@.bx_gallery_shards() IS
	'the gallery''s leaf partitions, with the foreign server and remote table of each foreign one';

/*
 * The k-nearest query over the gallery, rows (pid, eid, d) nearest first,
 * $1 the probe and $2 the limit.  On a partitioned gallery each leaf gets
 * its own ORDER BY ... LIMIT, which postgres_fdw sends whole to the shard
 * (where that shard's bxann index serves it); the arms form a plain Append
 * behind OFFSET 0, so foreign ones run concurrently (async_capable), and
 * the coordinator sorts the at most leaves x limit rows.  Over the parent,
 * PostgreSQL 15 would merge ordered scans instead (MergeAppend): the
 * ORDER BY goes to the shards but neither the LIMIT nor concurrency.
 */
CREATE FUNCTION @extschema@.bx_gallery_nearest_sql(gallery pg_catalog.regclass, dims pg_catalog.int4,
	model pg_catalog.text) RETURNS pg_catalog.text
	LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	v_arm constant text :=
		'SELECT e.person_id AS pid, e.enrollment_id AS eid,
				e.template::@extschema@.face_embedding(%2$s) OPERATOR(@extschema@.<=>) $1 AS d
		   FROM %1$s e
		  WHERE e.model = %3$L AND @extschema@.bx_cosine_usable(e.template)
		  ORDER BY e.template::@extschema@.face_embedding(%2$s) OPERATOR(@extschema@.<=>) $1
		  LIMIT $2';
	v_arms text;
BEGIN
	-- a plain table has no leaves but itself; a partitioned one without
	-- partitions has none and holds nothing: both take the one query
	SELECT string_agg('(' || format(v_arm, 'ONLY ' || t.relid::regclass::text, dims, model) || ')',
					  ' UNION ALL ' ORDER BY t.relid::regclass::text)
	  INTO v_arms
	  FROM pg_partition_tree(gallery) t
	 WHERE t.isleaf AND t.relid <> gallery;
	IF v_arms IS NULL THEN
		RETURN format(v_arm, gallery, dims, model);
	END IF;
	RETURN 'SELECT u.pid, u.eid, u.d FROM (SELECT * FROM (' || v_arms || ') a OFFSET 0) u
			 ORDER BY u.d, u.eid LIMIT $2';
END
$$;
COMMENT ON FUNCTION @extschema@.bx_gallery_nearest_sql(pg_catalog.regclass, pg_catalog.int4, pg_catalog.text) IS
	'internal: the k-nearest query over a gallery, one ORDER BY ... LIMIT per leaf partition (pushed down to shards)';

/*
 * A gallery query failed: when the failure came from a shard, raise it
 * again naming the shard (its server and partition) with the same
 * SQLSTATE; otherwise return, and the caller raises the original (RAISE).
 * postgres_fdw names the server of a failed connection; a failed remote
 * query is known by the remote table in its remote SQL.  Searches never
 * return what the other shards found: a 1:N answer without one shard's
 * people would look complete and be wrong.
 */
CREATE FUNCTION @extschema@.bx_gallery_failure(sqlstate pg_catalog.text, message pg_catalog.text,
	detail pg_catalog.text, context pg_catalog.text) RETURNS pg_catalog.void
	LANGUAGE plpgsql STABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	v_server name;
	v_partition regclass;
	v_hint constant text := 'A search needs every shard that may hold its people and answers nothing '
		'without one; bx_gallery_shards() lists them.';
BEGIN
	SELECT g.server, g.partition INTO v_server, v_partition
	  FROM @extschema@.bx_gallery_shards() g
	 WHERE g.server IS NOT NULL
	   AND (strpos(message, format('server "%s"', g.server)) > 0
			OR strpos(coalesce(context, '') || ' ', 'FROM ' || g.remote_table || ' ') > 0)
	 ORDER BY g.partition::text
	 LIMIT 1;
	IF v_server IS NULL THEN
		RETURN;
	ELSIF detail IS NULL THEN
		RAISE EXCEPTION 'gallery shard "%" (partition %) failed: %', v_server, v_partition, message
			USING ERRCODE = sqlstate, HINT = v_hint;
	ELSE
		RAISE EXCEPTION 'gallery shard "%" (partition %) failed: %', v_server, v_partition, message
			USING ERRCODE = sqlstate, DETAIL = detail, HINT = v_hint;
	END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.bx_gallery_failure(pg_catalog.text, pg_catalog.text, pg_catalog.text, pg_catalog.text) IS
	'internal: raise a failed gallery query again naming the shard it came from; returns when no shard is to blame';

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

/*
 * Enrolment quality (issue 17, item 3): the capture quality of an
 * enrolment photo, recorded by bx_enroll, which refuses poor photos.  The
 * 0.1.0 column quality keeps its meaning (the detector's score, 0..1).
 */
ALTER TABLE @extschema@.enrollment ADD COLUMN capture_quality pg_catalog.float4
	CHECK (capture_quality OPERATOR(pg_catalog.>=) 0 AND capture_quality OPERATOR(pg_catalog.<=) 100);
COMMENT ON COLUMN @extschema@.enrollment.quality IS
	'face detector score of the source photo, 0 to 1 (bx_enroll records it; the capture quality is capture_quality)';
COMMENT ON COLUMN @extschema@.enrollment.capture_quality IS
	'overall capture quality of the source photo''s face, 0 to 100 (bx_embed_quality''s quality, the scale of exit_event.capture_quality); bx_enroll records it, NULL when not measured';

/*
 * bx_enroll: a person's face template from an enrolment photo, with the
 * photo's capture quality recorded (issue 17, item 3).  The photo goes
 * through the gate's own path (bx_embed_quality) and must meet the same
 * bxexit.quality_* settings as a gate capture: a poor enrolment photo is
 * refused with the failing component, so the enrolling officer takes
 * another.  Refusing, not weighting: bench/RESULTS.md "Several enrolled
 * photos per person" measured that a blurred second photo leaves FNIR where
 * one photo puts it, a good one cuts it, and no use of quality at match time
 * beat the person's best template.  Rule single by default: an enrolment
 * photo showing two faces is the wrong photo.  Runs with the caller's
 * rights (administrators insert into enrollment), so it cannot pin the
 * superuser-only detector settings as bx_match does: it uses the server's,
 * whose defaults (face_score_threshold 0.9, min_eye_distance 0) are the
 * gate's.  Errors carry bx_embed's SQLSTATEs.
 */
CREATE FUNCTION @extschema@.bx_enroll(person_id pg_catalog.int8, photo pg_catalog.bytea,
	source pg_catalog.text, captured_at pg_catalog.timestamptz, rule pg_catalog.text DEFAULT 'single')
	RETURNS pg_catalog.int8
	LANGUAGE plpgsql VOLATILE
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	q record;
	v_id pg_catalog.int8;
BEGIN
	IF person_id IS NULL OR photo IS NULL OR source IS NULL OR captured_at IS NULL OR rule IS NULL THEN
		RAISE EXCEPTION 'bx_enroll needs a person, a photo, a source and a capture time'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF NOT EXISTS (SELECT FROM @extschema@.person p
					WHERE p.person_id OPERATOR(pg_catalog.=) bx_enroll.person_id) THEN
		RAISE EXCEPTION 'person % does not exist', person_id
			USING ERRCODE = 'foreign_key_violation';
	END IF;
	SELECT * INTO q FROM @extschema@.bx_embed_quality(photo, rule);
	IF q.status OPERATOR(pg_catalog.<>) 'ok' THEN
		RAISE EXCEPTION 'no face template in the enrolment photo: %', q.status
			USING ERRCODE = CASE q.status
					WHEN 'invalid_image' THEN 'invalid_binary_representation'
					WHEN 'image_too_large' THEN 'program_limit_exceeded'
					ELSE 'invalid_parameter_value' END,
				  DETAIL = COALESCE(q.detail, pg_catalog.format('bx_embed_quality returned status %s.', q.status)),
				  HINT = 'Enrol a photo that shows the person''s face alone (bx_embed_quality tells what it finds).';
	END IF;
	IF q.quality_failure IS NOT NULL THEN
		RAISE EXCEPTION 'enrolment photo below the capture quality settings: %', q.quality_failure
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = pg_catalog.format('Overall quality %s of 100; %s is the first component below its bxexit.quality_* setting.',
											 pg_catalog.round(q.quality::pg_catalog.numeric), q.quality_failure),
				  HINT = 'Take another photo of the person; bx_embed_quality shows every component.';
	END IF;
	INSERT INTO @extschema@.enrollment (person_id, source, captured_at, template, quality, photo, capture_quality)
	VALUES (person_id, source, captured_at, q.embedding, q.score, photo, q.quality)
	RETURNING enrollment_id INTO v_id;
	RETURN v_id;
END
$$;
COMMENT ON FUNCTION @extschema@.bx_enroll(pg_catalog.int8, pg_catalog.bytea, pg_catalog.text,
	pg_catalog.timestamptz, pg_catalog.text) IS
	'enrol a face photo of a person (source visa, passport, entry, exit or other): embeds it as the gate does, refuses it below the bxexit.quality_* settings, records template, photo, detector score (quality) and capture quality; returns the enrollment_id';
REVOKE EXECUTE ON FUNCTION
	@extschema@.bx_enroll(pg_catalog.int8, pg_catalog.bytea, pg_catalog.text, pg_catalog.timestamptz, pg_catalog.text)
	FROM PUBLIC;
-- enrolment writes enrollment with the caller's rights: administrators
GRANT EXECUTE ON FUNCTION
	@extschema@.bx_enroll(pg_catalog.int8, pg_catalog.bytea, pg_catalog.text, pg_catalog.timestamptz, pg_catalog.text)
	TO bxexit_admin;

/* ------------------------------------------ bxann tunes itself (issue 14) */

-- new result columns: the search settings in use and the build's tuning
DROP FUNCTION @extschema@.bxann_index_info(pg_catalog.regclass);
CREATE FUNCTION @extschema@.bxann_index_info(index pg_catalog.regclass,
	OUT format_version pg_catalog.int4, OUT metric pg_catalog.text, OUT dims pg_catalog.int4,
	OUT lists pg_catalog.int4, OUT m pg_catalog.int4, OUT model pg_catalog.text,
	OUT build_rows pg_catalog.int8, OUT build_seconds pg_catalog.float8,
	OUT pages pg_catalog.int8, OUT element_pages pg_catalog.int8,
	OUT live_elements pg_catalog.int8, OUT deleted_elements pg_catalog.int8,
	OUT probes pg_catalog.int4, OUT ef_search pg_catalog.int4,
	OUT tuned_probes pg_catalog.int4, OUT tuned_ef_search pg_catalog.int4,
	OUT tuned_mate_similarity pg_catalog.float8, OUT tuned_found pg_catalog.float8,
	OUT code_bits pg_catalog.int4)
	AS 'MODULE_PATHNAME' LANGUAGE C STRICT VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bxann_index_info(pg_catalog.regclass) IS
	'what a bxann index holds: frozen build parameters, pages, live and deleted elements, the probes and ef_search a scan uses under the current settings, what CREATE INDEX tuned them to (NULL for an index built by bxexit 0.1.0), and the bits per dimension of its codes (4 or 8)';
REVOKE EXECUTE ON FUNCTION @extschema@.bxann_index_info(pg_catalog.regclass) FROM PUBLIC;
