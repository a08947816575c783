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
 */

\echo Use "ALTER EXTENSION bxexit UPDATE TO '0.2.0'" to load this file. \quit

/* ------------------------------------------ the vocabulary of reasons */

CREATE DOMAIN @extschema@.bx_match_reason AS pg_catalog.text
	CONSTRAINT bx_match_reason_check CHECK (VALUE OPERATOR(pg_catalog.=) ANY (ARRAY[
		'no_photo', 'no_probe', 'invalid_image', 'image_too_large', 'no_face', 'several_faces',
		'face_too_small', 'unknown_flight', 'unknown_person', 'nobody_enrolled', 'below_threshold',
		'rate_limited', 'flight_not_departing']));
COMMENT ON DOMAIN @extschema@.bx_match_reason IS
	'why a match, verify or identify decision is not a match: no_photo, no_probe, invalid_image, image_too_large, no_face, several_faces, face_too_small, unknown_flight, unknown_person, nobody_enrolled, below_threshold, rate_limited, flight_not_departing';

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
		SELECT max(@extschema@.bx_similarity(e.template, probe))::float4, count(*)
		  INTO score, templates
		  FROM @extschema@.enrollment e
		 WHERE e.person_id = bx_verify.person_id AND e.model = v_model
		   AND @extschema@.bx_cosine_usable(e.template);
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
	SELECT @extschema@.bx_dims(e.template) INTO v_gallery_dims
	  FROM @extschema@.enrollment e WHERE e.model = v_model LIMIT 1;
	IF v_gallery_dims <> @extschema@.bx_dims(probe) THEN
		RAISE EXCEPTION 'probe has % dimensions, templates of model "%" have %',
			@extschema@.bx_dims(probe), v_model, v_gallery_dims
			USING ERRCODE = 'data_exception';
	END IF;

	/*
	 * The gallery column has no typmod (templates of several models may
	 * coexist), so a bxann index on it is an expression index on the cast
	 * to the model's dimensions, usually partial on the model (README).
	 * The query spells the same expression so the planner can use it.
	 */
	v_limit := greatest(4 * k, 40);
	LOOP
		EXECUTE pg_catalog.format(
			'SELECT array_agg(c.pid ORDER BY c.d, c.eid), array_agg(c.eid ORDER BY c.d, c.eid),
					array_agg(c.d ORDER BY c.d, c.eid), count(*)
			   FROM (SELECT e.person_id AS pid, e.enrollment_id AS eid,
							e.template::@extschema@.face_embedding(%s) OPERATOR(@extschema@.<=>) $1 AS d
					   FROM @extschema@.enrollment e
					  WHERE e.model = %L AND @extschema@.bx_cosine_usable(e.template)
					  ORDER BY e.template::@extschema@.face_embedding(%s) OPERATOR(@extschema@.<=>) $1
					  LIMIT $2) c',
			@extschema@.bx_dims(probe), v_model, @extschema@.bx_dims(probe))
		  INTO v_people, v_enrollments, v_distances, v_fetched
		 USING probe, v_limit;
		EXIT WHEN v_fetched < v_limit
			OR (SELECT count(DISTINCT p) FROM unnest(v_people) p) >= k;
		v_limit := v_limit * 4;
	END LOOP;

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

/* --------------------------------------------- gate photos: pixel limit */
CREATE FUNCTION @extschema@.bx_embed_quality(photo pg_catalog.bytea, rule pg_catalog.text,
	max_pixels pg_catalog.int8,
	OUT embedding @extschema@.face_embedding, OUT status pg_catalog.text, OUT faces pg_catalog.int4,
	OUT score pg_catalog.float4, OUT eye_distance pg_catalog.float4, OUT detail pg_catalog.text)
	AS 'MODULE_PATHNAME', 'bx_embed_quality' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 10000;
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
	request_id pg_catalog.text,
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
	g record;
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
		-- a template cosine cannot compare stays out of the gallery: it must
		-- not fail the flight for everybody (enrollment refuses new ones)
		FOR g IN
			SELECT e.person_id AS pid,
				   max(@extschema@.bx_similarity(e.template, probe))::float4 AS s,
				   count(*) OVER () AS n
			  FROM @extschema@.manifest m
			  JOIN @extschema@.enrollment e ON e.person_id = m.person_id
			 WHERE m.flight_id = v_flight AND e.model = v_model
			   AND @extschema@.bx_cosine_usable(e.template)
			 GROUP BY e.person_id
			 ORDER BY s DESC, pid
			 LIMIT 2
		LOOP
			IF v_best IS NULL THEN
				v_best := g.pid;
				score := g.s;
				gallery_size := g.n;
			ELSE
				v_runner_up := g.s;
			END IF;
		END LOOP;
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
			 threshold, model, gallery_size, probe_template, probe_photo, probe_source, request_id)
		VALUES (requested_flight, v_flight, decision, reason, person_id, score, v_runner_up,
				threshold, v_model, gallery_size, probe,
				CASE WHEN v_flight IS NULL
						  OR acquisition IN ('invalid_image', 'image_too_large', 'flight_not_departing')
					 THEN NULL ELSE photo END,
				probe_source, request_id)
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
COMMENT ON FUNCTION @extschema@.bx_decide_exit(@extschema@.face_embedding, pg_catalog.bytea, pg_catalog.text, pg_catalog.int8, pg_catalog.text, pg_catalog.text) IS
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
	q record;
	s record;
	v_departs date;
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
		SELECT NULL::@extschema@.face_embedding AS embedding, 'rate_limited' AS status INTO q;
	ELSIF photo IS NULL THEN
		SELECT NULL::@extschema@.face_embedding AS embedding, 'no_photo' AS status INTO q;
	ELSIF pg_catalog.octet_length(photo) > s.max_image_bytes THEN
		SELECT NULL::@extschema@.face_embedding AS embedding, 'image_too_large' AS status INTO q;
	ELSIF v_departs IS NULL THEN
		-- no gallery to search: spare the face pipeline (the decision is unknown_flight)
		SELECT NULL::@extschema@.face_embedding AS embedding, 'not_processed' AS status INTO q;
	ELSIF pg_catalog.abs(v_departs - CURRENT_DATE) > s.departure_window THEN
		-- a gate matches travellers of flights leaving now
		SELECT NULL::@extschema@.face_embedding AS embedding, 'flight_not_departing' AS status INTO q;
	ELSE
		-- the traveller at the camera is the largest face; people queueing behind are smaller
		SELECT e.embedding, e.status INTO q
		  FROM @extschema@.bx_embed_quality(photo, 'largest', s.max_image_pixels) e;
	END IF;
	SELECT d.decision, d.reason, d.exit_event_id INTO decision, reason, exit_event_id
	  FROM @extschema@.bx_decide_exit(q.embedding, photo, q.status, bx_match.flight_id, 'photo',
									  bx_match.request_id) d;
END
$$;
COMMENT ON FUNCTION @extschema@.bx_match(pg_catalog.bytea, pg_catalog.int8, pg_catalog.text) IS
	'gate decision for a photo on a flight departing around today: match or no_match, the reason of a no-match and the exit event recorded (scores stay in exit_event); a retry with the same request_id returns the first decision';

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
			bx_match.flight_id, 'template', NULL) d;
END
$$;
COMMENT ON FUNCTION @extschema@.bx_match(@extschema@.face_embedding, pg_catalog.int8) IS
	'decision for a probe template on a flight (bx_match(photo, flight) without the photo step); recorded with probe_source template: not a biometric capture';

-- the photo variants of the 1:1 and 1:N searches pin the pipeline settings too
ALTER FUNCTION @extschema@.bx_verify(pg_catalog.bytea, pg_catalog.int8)
	SET bxexit.face_score_threshold = '0.9' SET bxexit.min_eye_distance = '0';
ALTER FUNCTION @extschema@.bx_identify(pg_catalog.bytea, pg_catalog.int4)
	SET bxexit.face_score_threshold = '0.9' SET bxexit.min_eye_distance = '0';

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
				   known_at pg_catalog.timestamptz, exit_event_id pg_catalog.int8)
	LANGUAGE sql STABLE PARALLEL SAFE
	BEGIN ATOMIC
		WITH evidence AS (
			SELECT x.person_id AS pid, x.flight_id AS fid,
				   CASE WHEN x.probe_source OPERATOR(pg_catalog.=) 'photo' THEN 1 ELSE 3 END AS strength,
				   CASE x.probe_source WHEN 'photo' THEN 'biometric' WHEN 'template' THEN 'template'
						ELSE 'unverified' END AS level,
				   x.occurred_at AS known, x.exit_event_id AS eid
			  FROM @extschema@.exit_event x
			 WHERE x.decision OPERATOR(pg_catalog.=) 'match'
			   AND x.flight_id IS NOT NULL
			   AND x.occurred_at OPERATOR(pg_catalog.<=) bx_departures.known_by
			UNION ALL
			SELECT x.resolved_person_id, x.flight_id, 2, 'officer', x.resolved_at, x.exit_event_id
			  FROM @extschema@.exit_event x
			 WHERE x.resolved_person_id IS NOT NULL
			   AND x.resolved_at OPERATOR(pg_catalog.<=) bx_departures.known_by
		)
		SELECT DISTINCT ON (e.pid, e.fid) e.pid, e.fid, f.departure_date, f.departure_airport, e.level,
			   pg_catalog.min(e.known) OVER (PARTITION BY e.pid, e.fid), e.eid
		  FROM evidence e
		  JOIN @extschema@.flight f ON f.flight_id OPERATOR(pg_catalog.=) e.fid
		 ORDER BY e.pid, e.fid, e.strength, e.known, e.eid;
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

/* --------------------------------------------------------------- retention */
CREATE OR REPLACE FUNCTION @extschema@.bx_apply_retention(OUT probes_purged pg_catalog.int8,
	OUT enrollments_deleted pg_catalog.int8)
	LANGUAGE plpgsql VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	v_cutoff timestamptz := pg_catalog.now() - @extschema@.bx_citizen_photo_retention();
	v_unknown int8;
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
	RAISE LOG 'bxexit retention by %: % probes purged, % exit enrollments deleted',
		session_user, probes_purged, enrollments_deleted;
END
$$;
COMMENT ON FUNCTION @extschema@.bx_apply_retention() IS
	'clear probe photos and templates of US citizens, and of decisions on unknown flights, older than bxexit.citizen_photo_retention (default 12h), and delete citizens'' exit enrollments; decision records stay';

/* ------------------------------------------------------------------ grants */

REVOKE EXECUTE ON FUNCTION
	@extschema@.bx_decide_exit(@extschema@.face_embedding, pg_catalog.bytea, pg_catalog.text, pg_catalog.int8,
		pg_catalog.text, pg_catalog.text),
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
REVOKE EXECUTE ON FUNCTION
	@extschema@.bx_admission_citizenship(),
	@extschema@.bx_departures(pg_catalog.timestamptz),
	@extschema@.bx_overstay_summary(pg_catalog.int4, pg_catalog.date, pg_catalog.timestamptz),
	@extschema@.bx_admission_status(pg_catalog.date, pg_catalog.timestamptz),
	@extschema@.bx_overstay_report(pg_catalog.int4, pg_catalog.date, pg_catalog.timestamptz)
	FROM PUBLIC;
GRANT SELECT ON @extschema@.departure, @extschema@.admission_status TO bxexit_analyst, bxexit_admin;
GRANT EXECUTE ON FUNCTION
	@extschema@.bx_admission_status(pg_catalog.date, pg_catalog.timestamptz),
	@extschema@.bx_overstay_report(pg_catalog.int4, pg_catalog.date, pg_catalog.timestamptz),
	@extschema@.bx_overstay_summary(pg_catalog.int4, pg_catalog.date, pg_catalog.timestamptz),
	@extschema@.bx_departures(pg_catalog.timestamptz)
	TO bxexit_analyst, bxexit_admin;
GRANT SELECT ON @extschema@.gate_anomaly TO bxexit_admin;
GRANT EXECUTE ON FUNCTION @extschema@.bx_plausible_date(pg_catalog.date) TO bxexit_admin;
