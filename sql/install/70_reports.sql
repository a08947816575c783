/* 70_reports: departures, admission status and the DHS overstay report */

/* ------------------------------------ border records: overstay analytics */

/*
 * Departures, one per person and flight, from every kind of evidence known
 * by a moment (knowledge time: when bxexit learned it):
 * - biometric: a gate match of a photo (exit_event.occurred_at);
 * - officer: a no-match an officer resolved (exit_event.resolved_at);
 * - template: a match of a template an administrator submitted (no
 *   capture of the traveller; exit_event.occurred_at); unverified: a 0.1.0
 *   match whose probe was purged before 0.2.0 recorded what it was;
 * - biographic: a passenger of a carrier's departure manifest linked to the
 *   person (known when both the row and its link were: the later of
 *   departure_manifest.loaded_at and departure_link.linked_at; a link an
 *   officer superseded stops counting from then).
 * A person with several kinds of evidence for one flight has one departure
 * at the strongest level (biometric, officer, template), known since its
 * earliest evidence.  The date of a departure is the flight's local
 * departure date.  known_by 'infinity' (the default) takes everything.
 */
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

/*
 * Gate anomalies: logins that got many no-matches on one flight, from the
 * audit (which survives rollbacks).  rate_limited counts the calls bx_match
 * refused to process past bxexit.gate_nomatch_limit.
 */
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

/*
 * Integrity leads for officers and analysts (../shared/DOMAIN.md, A6), each
 * row with the evidence behind it.  Like ADIS's Data Integrity Group, they
 * point at records that do not add up; none of them is a finding.
 */

/*
 * A departure of a non-US citizen that no admission on record can be ended
 * by (no admission on or before its date): the passenger may have entered
 * without inspection.  Manifest passengers linked to nobody are in too,
 * under the citizenship their document gave.
 */
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

/*
 * A gate match for a flight whose carrier manifest is loaded and does not
 * list the matched person: the person was not on board as far as the
 * carrier knows, or boarded under another document.
 */
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

/*
 * A boarded manifest passenger the gate did not confirm, on a flight where
 * the gate saw a face it could not account for: a photo that matched
 * nobody (unresolved) or matched someone the manifest does not list.  The
 * person boarding may not be the document holder (an impostor, who also
 * fakes the holder's departure).  The gate does not know which passenger
 * stood at the camera, so every unconfirmed passenger of such a flight is
 * listed with the flight's unexplained decisions.
 */
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

/*
 * One row per admission as of a date, following the DHS Entry/Exit Overstay
 * Report definitions (../shared/DOMAIN.md, A3, A6):
 * - only what bxexit knew by the end of the as-of day counts (known_by,
 *   default: the end of as_of), so a past report re-run later gives the
 *   same answer, and the DHS re-measurement is the same call with a later
 *   date;
 * - expected departure: admit-until, or for duration of status the
 *   programme end plus the class's grace period (NULL while unknown: such
 *   an admission is never due);
 * - a departure ends the last admission before its date; on the day of a
 *   readmission it ends the earlier one (exit first, then entry); a
 *   departure on the day of a person's only admission that day ends that
 *   admission; each departure ends at most one admission, and an admission
 *   is ended by its first departure;
 * - citizenship is the one presented at that entry (admission.citizenship);
 * - report scope: classes in the report's scope, admitted by air or sea;
 * - in_time: departed, or filed a change of status, on or before the
 *   expected date; out_of_country_overstay: departed after it;
 *   suspected_in_country_overstay: no departure and the date has passed
 *   (closed_by late_status_change when a change was filed after the date:
 *   the days overstayed stop at the filing); not_yet_due otherwise.
 */
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

/*
 * The DHS overstay report of a fiscal year (October 1 to September 30 of
 * the named year) as of a date, from what was known by then: admissions
 * whose expected departure falls in the year and has passed by the as-of
 * date (a report run during the year counts only the periods already over),
 * in the report's scope (classes, air and sea).  Rates are percentages of
 * expected departures; the departures and overstays confirmed by a gate
 * photo are counted apart (DHS reports biometrically confirmed overstays as
 * a subset).
 */
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

/*
 * The summary of the DHS report's first page: VWP; non-VWP visitors
 * (B-1/B-2) excluding Canada and Mexico; Canada; Mexico; students and
 * exchange visitors (F, M, J); all other in-scope classes; total.  Each
 * group also counts its admissions that are never due (duration of status
 * with no programme end known by the as-of date): they are in no fiscal
 * year, but not dropped.
 */
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
