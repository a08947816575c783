/* 60_matching: thresholds, enrolment (bx_enroll), the gate decision (bx_match), 1:1 and 1:N searches with their audit, officer resolution */

/*
 * Thresholds shipped with the extension: cosine similarity of
 * mobilefacenet-v1 templates made by bx_embed at the default detector size
 * (320).  They were measured by bench/faces.sh on the shared face photos;
 * bench/RESULTS.md has the protocol and figures.  A DBA who calibrates on
 * their own data inserts a newer row; the newest valid row applies.
 */
INSERT INTO @extschema@.match_threshold
	(threshold_id, model, purpose, threshold, operating_point, measured_error, method, valid_from, builtin)
	OVERRIDING SYSTEM VALUE VALUES
	(-1, 'mobilefacenet-v1', 'identification', 0.53,
	 'FPIR 0.003 at gallery size 420 (NIST FRVT Part 7 boarding-gate operating point)',
	 'FPIR 0.0023 (11/4,820 non-mated searches); FNIR 1.67% with one enrolled photo per person, 0.31% with two',
	 'bench/faces.sh, detector 320: 20 seeded splits of 420-identity galleries (40 ORL subjects + 380 LFW singletons), the other LFW singletons as non-mated searches; the smallest 0.001 step above the (floor(0.003 N)+1)-th highest non-mated score (0.527), rounded up to 0.01',
	 '-infinity', true),
	(-2, 'mobilefacenet-v1', 'verification', 0.44,
	 'FMR 1e-4 (1:1 comparison)',
	 'FNMR 1.06% at FMR 1e-4 (1,800 mated, 527,106 non-mated pairs)',
	 'bench/faces.sh, detector 320: ORL mated pairs against ORL and LFW-singleton impostor pairs; the threshold of FMR 1e-4 (0.439) rounded up',
	 '-infinity', true);

CREATE FUNCTION @extschema@.bx_threshold(model pg_catalog.text, purpose pg_catalog.text)
	RETURNS pg_catalog.float4
	LANGUAGE sql STABLE STRICT PARALLEL SAFE
	BEGIN ATOMIC
		SELECT t.threshold FROM @extschema@.match_threshold t
		 WHERE t.model OPERATOR(pg_catalog.=) bx_threshold.model
		   AND t.purpose OPERATOR(pg_catalog.=) bx_threshold.purpose
		   AND t.valid_from OPERATOR(pg_catalog.<=) pg_catalog.now()
		 ORDER BY t.valid_from DESC LIMIT 1;
	END;
COMMENT ON FUNCTION @extschema@.bx_threshold(pg_catalog.text, pg_catalog.text) IS
	'the score threshold in force for a model and purpose (identification or verification), NULL if none';

/* ------------------------------------------ border records: enrolment */

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

/* -------------------------------------------- border records: searches */

/*
 * The search functions run SECURITY DEFINER: gate systems and officers
 * search the gallery without being able to read it, and only these
 * functions write exit events and audit rows.  Their search_path is pinned
 * and every object they use is schema-qualified.
 *
 * Audit rows survive the caller's rollback: bx_audit_search hands each
 * one to the session's audit writer, a background worker that commits it
 * before the search returns (bx_durable_insert, src/records/durable.c); a
 * search whose audit row cannot be written fails and answers nothing.
 * Exit events stay in the caller's transaction.  Every search also writes
 * a LOG line.
 *
 * The pipeline settings that decide which face a photo yields are pinned
 * on the functions that embed photos (SET clauses below) to the values the
 * shipped thresholds were calibrated with (bench/faces.sh).
 */

CREATE FUNCTION @extschema@.bx_durable_insert(target pg_catalog.regclass, rec pg_catalog.jsonb)
	RETURNS void
	AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION @extschema@.bx_durable_insert(pg_catalog.regclass, pg_catalog.jsonb) IS
	'internal: insert a row (a JSON object of column values) into a table and commit it in the session''s audit writer, whatever the caller''s transaction does next';

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

/*
 * The model of a probe, checked: it must be tagged, and a threshold for the
 * purpose must exist.  Raises 22000 otherwise.
 */
CREATE FUNCTION @extschema@.bx_probe_threshold(probe @extschema@.face_embedding, purpose pg_catalog.text,
	OUT model pg_catalog.text, OUT threshold pg_catalog.float4)
	LANGUAGE plpgsql STABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
	AS $$
BEGIN
	model := @extschema@.bx_model(probe);
	IF model IS NULL THEN
		RAISE EXCEPTION 'probe embedding has no model tag'
			USING ERRCODE = 'data_exception',
				  HINT = 'Templates from bx_embed carry their model; tag others with bx_set_model().';
	END IF;
	threshold := @extschema@.bx_threshold(model, purpose);
	IF threshold IS NULL THEN
		RAISE EXCEPTION 'no % threshold for model "%"', purpose, model
			USING ERRCODE = 'data_exception',
				  DETAIL = 'Probes are compared only with templates of their own model, at that model''s threshold.',
				  HINT = 'See table bxexit.match_threshold.';
	END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.bx_probe_threshold(@extschema@.face_embedding, pg_catalog.text) IS
	'internal: the model of a probe and its threshold for a purpose; raises 22000 when either is missing';

/*
 * Write the audit row of one search: the one INSERT into search_audit of
 * bx_match (through bx_decide_exit), bx_verify and bx_identify, committed
 * by the audit writer so that no rollback of the caller removes it.  Who
 * and when are taken here, in the caller's session (session user, the
 * role set with SET ROLE, clock time).  Internal: no role may execute it;
 * the SECURITY DEFINER searches call it as the extension's owner.
 */
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

/*
 * Whether this login has had too many no-matches on this flight lately:
 * bxexit.gate_nomatch_limit within bxexit.gate_nomatch_window, counted
 * from the audit, which a rollback cannot erase.  A gate probing the
 * gallery with altered photos meets it; so does a broken camera.
 */
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

/*
 * Decide one gate encounter and record it: the flight's gallery is every
 * enrolled template (of the probe's model) of every person on its
 * manifest; a person scores by their best template; the best person
 * matches when the score reaches the identification threshold.  The exit
 * event keeps the photo only for a known flight and a photo that decoded.
 * A rate-limited call records no exit event, only its audit row.  A
 * capture below the quality settings comes as acquisition poor_quality
 * with its failing component, recorded in exit_event.quality_component.
 */
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

/*
 * The gate's call.  The gate learns the decision, why it is not a match
 * (retake, officer) and the exit event: never a score, a margin or a
 * gallery size, with which a client that rolls back and retries could
 * climb towards somebody else's template.  Officers read those in
 * exit_event.
 */
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

CREATE FUNCTION @extschema@.bx_verify(probe @extschema@.face_embedding, person_id pg_catalog.int8,
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
COMMENT ON FUNCTION @extschema@.bx_verify(@extschema@.face_embedding, pg_catalog.int8) IS
	'1:1: does the probe match this person''s best enrolled template at the verification threshold; audited';

CREATE FUNCTION @extschema@.bx_verify(photo pg_catalog.bytea, person_id pg_catalog.int8,
	OUT decision pg_catalog.text, OUT score pg_catalog.float4, OUT threshold pg_catalog.float4,
	OUT templates pg_catalog.int4, OUT reason pg_catalog.text)
	LANGUAGE sql VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	SET bxexit.face_score_threshold = '0.9'
	SET bxexit.min_eye_distance = '0'
	BEGIN ATOMIC
		SELECT v.* FROM @extschema@.bx_verify(@extschema@.bx_embed(photo, 'largest'), person_id) v;
	END;
COMMENT ON FUNCTION @extschema@.bx_verify(pg_catalog.bytea, pg_catalog.int8) IS
	'1:1 verification of a photo (its largest face) against a person; audited';

/*
 * 1:N across every enrollment of the probe's model, nearest first, one row
 * per person.  The ORDER BY ... LIMIT form lets a bxann index on
 * enrollment.template (cosine) serve it; as people may have several
 * templates, the limit grows until k people are found or the table is
 * exhausted.
 */
CREATE FUNCTION @extschema@.bx_identify(probe @extschema@.face_embedding, k pg_catalog.int4 DEFAULT 10)
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
COMMENT ON FUNCTION @extschema@.bx_identify(@extschema@.face_embedding, pg_catalog.int4) IS
	'1:N: the k people whose enrolled templates are nearest the probe, best first, flagged at the identification threshold; audited; uses a bxann index on enrollment.template when there is one';

CREATE FUNCTION @extschema@.bx_identify(photo pg_catalog.bytea, k pg_catalog.int4 DEFAULT 10)
	RETURNS TABLE (rank pg_catalog.int4, person_id pg_catalog.int8, score pg_catalog.float4,
				   enrollment_id pg_catalog.int8, above_threshold pg_catalog.bool)
	LANGUAGE sql VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	SET bxexit.face_score_threshold = '0.9'
	SET bxexit.min_eye_distance = '0'
	ROWS 10
	BEGIN ATOMIC
		SELECT i.* FROM @extschema@.bx_identify(@extschema@.bx_embed(photo, 'largest'), k) i;
	END;
COMMENT ON FUNCTION @extschema@.bx_identify(pg_catalog.bytea, pg_catalog.int4) IS
	'1:N identification of a photo (its largest face) across all enrollments; audited';

/* ------------------------------------- border records: officers, retention */

CREATE FUNCTION @extschema@.bx_resolve_exit(exit_event_id pg_catalog.int8, person_id pg_catalog.int8,
	note pg_catalog.text DEFAULT NULL)
	RETURNS void
	LANGUAGE plpgsql VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	v_event record;
BEGIN
	SELECT x.decision, x.flight_id, x.resolved_person_id INTO v_event
	  FROM @extschema@.exit_event x WHERE x.exit_event_id = bx_resolve_exit.exit_event_id
	   FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'exit event % does not exist', exit_event_id USING ERRCODE = 'no_data_found';
	END IF;
	IF v_event.decision <> 'no_match' OR v_event.flight_id IS NULL THEN
		RAISE EXCEPTION 'exit event % is not a no-match on a known flight', exit_event_id
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Only no-match decisions on known flights are resolved by an officer.';
	END IF;
	IF v_event.resolved_person_id IS NOT NULL THEN
		RAISE EXCEPTION 'exit event % is already resolved', exit_event_id
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF NOT EXISTS (SELECT FROM @extschema@.person p WHERE p.person_id = bx_resolve_exit.person_id) THEN
		RAISE EXCEPTION 'person % does not exist', person_id USING ERRCODE = 'foreign_key_violation';
	END IF;
	UPDATE @extschema@.exit_event x
	   SET resolved_person_id = bx_resolve_exit.person_id, resolved_by = session_user,
		   resolved_at = pg_catalog.now(), resolution_note = note
	 WHERE x.exit_event_id = bx_resolve_exit.exit_event_id;
END
$$;
COMMENT ON FUNCTION @extschema@.bx_resolve_exit(pg_catalog.int8, pg_catalog.int8, pg_catalog.text) IS
	'an officer confirms who a no-match traveller was (document check): the event then counts as that person''s departure';
