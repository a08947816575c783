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
 * Nothing else changes: no other object is re-created.
 */

\echo Use "ALTER EXTENSION bxexit UPDATE TO '0.2.0'" to load this file. \quit

/* ------------------------------------------ the vocabulary of reasons */

CREATE DOMAIN @extschema@.bx_match_reason AS pg_catalog.text
	CONSTRAINT bx_match_reason_check CHECK (VALUE OPERATOR(pg_catalog.=) ANY (ARRAY[
		'no_photo', 'no_probe', 'invalid_image', 'image_too_large', 'no_face', 'several_faces',
		'face_too_small', 'unknown_flight', 'unknown_person', 'nobody_enrolled', 'below_threshold']));
COMMENT ON DOMAIN @extschema@.bx_match_reason IS
	'why a match, verify or identify decision is not a match: no_photo, no_probe, invalid_image, image_too_large, no_face, several_faces, face_too_small, unknown_flight, unknown_person, nobody_enrolled, below_threshold';

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
		INSERT INTO @extschema@.search_audit
			(search, model, flight_id, claimed_person_id, k, gallery_size, candidates,
			 top_person_id, top_score, outcome, exit_event_id)
		VALUES (bx_audit_search.search, bx_audit_search.model, bx_audit_search.flight_id,
				bx_audit_search.claimed_person_id, bx_audit_search.k, bx_audit_search.gallery_size,
				bx_audit_search.candidates, bx_audit_search.top_person_id, bx_audit_search.top_score,
				bx_audit_search.outcome, bx_audit_search.exit_event_id);
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
CREATE OR REPLACE FUNCTION @extschema@.bx_decide_exit(probe @extschema@.face_embedding, photo pg_catalog.bytea,
	acquisition pg_catalog.text, requested_flight pg_catalog.int8,
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

	IF v_flight IS NULL THEN
		reason := 'unknown_flight';
	ELSIF acquisition <> 'ok' THEN
		reason := acquisition;
	ELSE
		FOR g IN
			SELECT e.person_id AS pid,
				   max(@extschema@.bx_similarity(e.template, probe))::float4 AS s,
				   count(*) OVER () AS n
			  FROM @extschema@.manifest m
			  JOIN @extschema@.enrollment e ON e.person_id = m.person_id
			 WHERE m.flight_id = v_flight AND e.model = v_model
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

	INSERT INTO @extschema@.exit_event AS x
		(requested_flight_id, flight_id, decision, reason, person_id, score, runner_up_score,
		 threshold, model, gallery_size, probe_template, probe_photo)
	VALUES (requested_flight, v_flight, decision, reason, person_id, score, v_runner_up,
			threshold, v_model, gallery_size, probe,
			CASE WHEN acquisition IN ('invalid_image', 'image_too_large') THEN NULL ELSE photo END)
	RETURNING x.exit_event_id INTO exit_event_id;

	PERFORM @extschema@.bx_audit_search(search => 'match', model => v_model,
		flight_id => requested_flight, gallery_size => gallery_size, candidates => gallery_size,
		top_person_id => v_best, top_score => score, outcome => coalesce(reason, decision),
		exit_event_id => exit_event_id);
	RAISE LOG 'bxexit audit: match by %, flight %, % (%), exit event %',
		session_user, requested_flight, decision, coalesce(reason, 'matched'), exit_event_id;
END
$$;

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
		 WHERE e.person_id = bx_verify.person_id AND e.model = v_model;
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
					  WHERE e.model = %L
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
