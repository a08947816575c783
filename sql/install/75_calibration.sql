/*
 * 75_calibration: threshold calibration from labelled comparisons (DET
 * curves, equal error rate, operating points of verification and of 1:N
 * identification), adopting a threshold into match_threshold, and the
 * demographic breakdown of gate decisions.
 *
 * The definitions are those of bench/faces (metrics.c), so a curve computed
 * here from the benchmark's scores gives the benchmark's figures: a
 * comparison matches when its score is above the threshold (FMR = share of
 * non-mated scores > t, FNMR = share of mated scores <= t); an open-set
 * search is a false positive when its top non-mated score is >= t, a miss
 * unless its mate is the sole rank-1 candidate with a score >= t.
 */

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
