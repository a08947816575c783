/* 70_reports: departures, admission status and the DHS overstay report */

/* ------------------------------------ border records: overstay analytics */

/*
 * Departures: matched exit events, and no-match events an officer resolved.
 * The date of a departure is the flight's local departure date.  A match
 * is biometric only when the gate sent a photo: a template submitted by an
 * administrator is no capture of the traveller (confirmed_by template).
 */
CREATE VIEW @extschema@.departure WITH (security_invoker = true) AS
	SELECT x.exit_event_id, x.person_id, x.flight_id, f.departure_date AS departed_on,
		   f.departure_airport, x.occurred_at,
		   CASE x.probe_source WHEN 'photo' THEN 'biometric' WHEN 'template' THEN 'template'
				ELSE 'unknown' END::pg_catalog.text AS confirmed_by
	  FROM @extschema@.exit_event x
	  JOIN @extschema@.flight f ON f.flight_id OPERATOR(pg_catalog.=) x.flight_id
	 WHERE x.decision OPERATOR(pg_catalog.=) 'match'
	UNION ALL
	SELECT x.exit_event_id, x.resolved_person_id, x.flight_id, f.departure_date,
		   f.departure_airport, x.occurred_at, 'officer'
	  FROM @extschema@.exit_event x
	  JOIN @extschema@.flight f ON f.flight_id OPERATOR(pg_catalog.=) x.flight_id
	 WHERE x.resolved_person_id IS NOT NULL;
COMMENT ON VIEW @extschema@.departure IS
	'recorded departures: matches at the gate (confirmed_by biometric for a photo, template for a submitted template, unknown for 0.1.0 events whose probe was purged) and officer-resolved no-matches, dated by the flight''s departure date';

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
 * One row per admission as of a date, following the DHS Entry/Exit Overstay
 * Report definitions (../shared/DOMAIN.md, A3):
 * - expected departure: admit-until, or for duration of status the
 *   programme end plus the class's grace period (NULL while unknown);
 * - the departure that closes an admission is the first one on or after
 *   its admission date and before the person's next admission (a later
 *   departure belongs to the later admission), known by the as-of date;
 * - in_time: departed, or changed status, on or before the expected date;
 *   out_of_country_overstay: departed after it; suspected_in_country_overstay:
 *   no departure and the date has passed; not_yet_due otherwise.
 */
CREATE FUNCTION @extschema@.bx_admission_status(as_of pg_catalog.date DEFAULT CURRENT_DATE)
	RETURNS TABLE (admission_number pg_catalog.text, person_id pg_catalog.int8,
				   citizenship pg_catalog.text, class_of_admission pg_catalog.text,
				   class_group pg_catalog.text, report_scope pg_catalog.bool, mode pg_catalog.text,
				   port_of_entry pg_catalog.text, admitted_on pg_catalog.date,
				   duration_of_status pg_catalog.bool, expected_departure pg_catalog.date,
				   fiscal_year pg_catalog.int4, departed_on pg_catalog.date,
				   departure_exit_event_id pg_catalog.int8, closed_by pg_catalog.text,
				   status pg_catalog.text, days_overstayed pg_catalog.int4)
	LANGUAGE sql STABLE PARALLEL SAFE
	BEGIN ATOMIC
		WITH adm AS (
			SELECT a.admission_number, a.person_id, p.citizenship, a.class_of_admission,
				   c.class_group, c.report_scope, a.mode, a.port_of_entry, a.admitted_on,
				   a.duration_of_status, a.status_changed_on,
				   CASE WHEN a.duration_of_status
						THEN a.program_end_date OPERATOR(pg_catalog.+) c.ds_grace_days
						ELSE a.admit_until END AS expected_departure,
				   pg_catalog.lead(a.admitted_on) OVER (PARTITION BY a.person_id
						ORDER BY a.admitted_on, a.admission_number) AS next_admitted_on
			  FROM @extschema@.admission a
			  JOIN @extschema@.person p ON p.person_id OPERATOR(pg_catalog.=) a.person_id
			  JOIN @extschema@.class_of_admission c ON c.code OPERATOR(pg_catalog.=) a.class_of_admission
		), closed AS (
			SELECT DISTINCT ON (adm.admission_number) adm.*, d.departed_on, d.exit_event_id,
				   adm.status_changed_on OPERATOR(pg_catalog.<=) bx_admission_status.as_of
				   AND (adm.expected_departure IS NULL
						OR adm.status_changed_on OPERATOR(pg_catalog.<=) adm.expected_departure) AS changed_in_time
			  FROM adm
			  LEFT JOIN @extschema@.departure d
				ON d.person_id OPERATOR(pg_catalog.=) adm.person_id
			   AND d.departed_on OPERATOR(pg_catalog.>=) adm.admitted_on
			   AND (adm.next_admitted_on IS NULL OR d.departed_on OPERATOR(pg_catalog.<) adm.next_admitted_on)
			   AND d.departed_on OPERATOR(pg_catalog.<=) bx_admission_status.as_of
			 ORDER BY adm.admission_number, d.departed_on, d.exit_event_id
		), classified AS (
			SELECT closed.*,
				   CASE
					   WHEN closed.departed_on IS NOT NULL
							AND (closed.expected_departure IS NULL
								 OR closed.departed_on OPERATOR(pg_catalog.<=) closed.expected_departure)
						   THEN 'in_time'
					   WHEN closed.changed_in_time THEN 'in_time'
					   WHEN closed.departed_on IS NOT NULL THEN 'out_of_country_overstay'
					   WHEN closed.expected_departure OPERATOR(pg_catalog.<) bx_admission_status.as_of
						   THEN 'suspected_in_country_overstay'
					   ELSE 'not_yet_due'
				   END AS status
			  FROM closed
		)
		SELECT s.admission_number, s.person_id, s.citizenship, s.class_of_admission, s.class_group,
			   s.report_scope, s.mode, s.port_of_entry, s.admitted_on, s.duration_of_status,
			   s.expected_departure,
			   pg_catalog.date_part('year', s.expected_departure OPERATOR(pg_catalog.+) '3 months'::pg_catalog.interval)::pg_catalog.int4,
			   s.departed_on, s.exit_event_id,
			   CASE WHEN s.status OPERATOR(pg_catalog.=) 'in_time'
						 AND NOT (s.departed_on IS NOT NULL
								  AND (s.expected_departure IS NULL
									   OR s.departed_on OPERATOR(pg_catalog.<=) s.expected_departure))
					THEN 'status_change'
					WHEN s.departed_on IS NOT NULL THEN 'departure' END,
			   s.status,
			   CASE s.status
				   WHEN 'out_of_country_overstay' THEN s.departed_on OPERATOR(pg_catalog.-) s.expected_departure
				   WHEN 'suspected_in_country_overstay' THEN bx_admission_status.as_of OPERATOR(pg_catalog.-) s.expected_departure
				   ELSE 0 END
		  FROM classified s
		 WHERE s.admitted_on OPERATOR(pg_catalog.<=) bx_admission_status.as_of;
	END;
COMMENT ON FUNCTION @extschema@.bx_admission_status(pg_catalog.date) IS
	'one row per admission as of a date: expected departure, its fiscal year, the departure that closes it, status (in_time, out_of_country_overstay, suspected_in_country_overstay, not_yet_due) and days overstayed';

CREATE VIEW @extschema@.admission_status WITH (security_invoker = true) AS
	SELECT * FROM @extschema@.bx_admission_status(CURRENT_DATE);
COMMENT ON VIEW @extschema@.admission_status IS
	'bx_admission_status as of today: one row per admission with its overstay status';

/*
 * The DHS overstay report of a fiscal year (October 1 to September 30 of
 * the named year): admissions whose expected departure falls in it and
 * has passed by the as-of date (a report run during the year counts only
 * the periods already over), air and sea only, classes in the report's
 * scope (not diplomats, transit, crew).  Rates are percentages of
 * expected departures.
 */
CREATE FUNCTION @extschema@.bx_overstay_report(fiscal_year pg_catalog.int4,
	as_of pg_catalog.date DEFAULT CURRENT_DATE)
	RETURNS TABLE (country_of_citizenship pg_catalog.text, class_group pg_catalog.text,
				   expected_departures pg_catalog.int8, in_time_departures pg_catalog.int8,
				   out_of_country_overstays pg_catalog.int8,
				   suspected_in_country_overstays pg_catalog.int8, total_overstays pg_catalog.int8,
				   total_overstay_rate pg_catalog.numeric, suspected_in_country_rate pg_catalog.numeric)
	LANGUAGE sql STABLE PARALLEL SAFE
	BEGIN ATOMIC
		WITH counts AS (
			SELECT s.citizenship, s.class_group, pg_catalog.count(*) AS expected,
				   pg_catalog.count(*) FILTER (WHERE s.status OPERATOR(pg_catalog.=) 'in_time') AS in_time,
				   pg_catalog.count(*) FILTER (WHERE s.status OPERATOR(pg_catalog.=) 'out_of_country_overstay') AS ooc,
				   pg_catalog.count(*) FILTER (WHERE s.status OPERATOR(pg_catalog.=) 'suspected_in_country_overstay') AS sico
			  FROM @extschema@.bx_admission_status(bx_overstay_report.as_of) s
			 WHERE s.fiscal_year OPERATOR(pg_catalog.=) bx_overstay_report.fiscal_year
			   AND s.expected_departure OPERATOR(pg_catalog.<) bx_overstay_report.as_of
			   AND s.report_scope
			   AND s.mode OPERATOR(pg_catalog.=) ANY (ARRAY['air', 'sea'])
			 GROUP BY s.citizenship, s.class_group
		)
		SELECT c.citizenship, c.class_group, c.expected, c.in_time, c.ooc, c.sico,
			   c.ooc OPERATOR(pg_catalog.+) c.sico,
			   pg_catalog.round(100.0 OPERATOR(pg_catalog.*) (c.ooc OPERATOR(pg_catalog.+) c.sico)
								OPERATOR(pg_catalog./) c.expected, 2),
			   pg_catalog.round(100.0 OPERATOR(pg_catalog.*) c.sico OPERATOR(pg_catalog./) c.expected, 2)
		  FROM counts c
		 ORDER BY c.citizenship, c.class_group;
	END;
COMMENT ON FUNCTION @extschema@.bx_overstay_report(pg_catalog.int4, pg_catalog.date) IS
	'DHS Entry/Exit Overstay Report of a fiscal year per country of citizenship and class group (VWP, B1B2, F, M, J, OTHER); rates in percent';
