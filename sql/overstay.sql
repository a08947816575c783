-- border records: overstay status of admissions and the DHS Entry/Exit
-- Overstay Report (../shared/DOMAIN.md, A3).  Each case is a person named
-- after it; departures are gate matches (bx_match) on flights of the right
-- date, or no-matches an officer resolved.  Every as-of date is explicit.
SET search_path = public, bxexit;
TRUNCATE departure_link, departure_manifest, search_audit, exit_event, manifest, flight, admission, enrollment,
	travel_document, person RESTART IDENTITY;

\i sql/include/template.sql
-- gate(who, day, matched): the traveller goes through the gate of a flight
-- leaving that day (one flight per day, the traveller added to its
-- manifest); matched: the gate photo resembles them (0.99), else it does
-- not (0.3) and the gate says no match
CREATE FUNCTION pg_temp.gate(who text, day date, matched bool DEFAULT true)
RETURNS TABLE (decision text, reason text, exit_event_id int8) LANGUAGE plpgsql AS $f$
DECLARE
	pid int8;
	fid int8;
BEGIN
	SELECT p.person_id INTO STRICT pid FROM bxexit.person p WHERE p.family_name = who;
	SELECT f.flight_id INTO fid FROM bxexit.flight f WHERE f.departure_date = day;
	IF fid IS NULL THEN
		INSERT INTO bxexit.flight (carrier, flight_number, departure_airport, arrival_airport, departure_date)
		VALUES ('BA', '178', 'JFK', 'LHR', day) RETURNING flight_id INTO fid;
	END IF;
	INSERT INTO bxexit.manifest (flight_id, person_id) VALUES (fid, pid) ON CONFLICT DO NOTHING;
	RETURN QUERY SELECT m.decision, m.reason, m.exit_event_id
	  FROM bxexit.bx_match(pg_temp.v(pid::int, 128, CASE WHEN matched THEN 0.99 ELSE 0.3 END), fid) m;
END
$f$;

-- the travellers, each with one template
INSERT INTO person (family_name, citizenship)
VALUES ('OnTheDay', 'GBR'),        -- 1
       ('DayAfter', 'GBR'),        -- 2
       ('Cruise', 'GBR'),          -- 3
       ('NoExit', 'BRA'),          -- 4
       ('LeftEarly', 'BRA'),       -- 5
       ('NotYetDue', 'BRA'),       -- 6
       ('DueOnAsOf', 'BRA'),       -- 7
       ('Twice', 'IND'),           -- 8
       ('LaterExit', 'IND'),       -- 9
       ('StudentOnTime', 'CHN'),   -- 10
       ('StudentLate', 'CHN'),     -- 11
       ('Exchange', 'CHN'),        -- 12
       ('StudentNoEnd', 'CHN'),    -- 13
       ('ChangedOnDay', 'KOR'),    -- 14
       ('ChangedBefore', 'KOR'),   -- 15
       ('LastDayFY24', 'FRA'),     -- 16
       ('FirstDayFY25', 'FRA'),    -- 17
       ('FirstDayFY24', 'FRA'),    -- 18
       ('LastDayFY23', 'FRA'),     -- 19
       ('Resolved', 'DEU'),        -- 20
       ('Unresolved', 'DEU'),      -- 21
       ('LandVisitor', 'MEX'),     -- 22
       ('Diplomat', 'RUS'),        -- 23
       ('Transit', 'SGP'),         -- 24
       ('Crew', 'PHL');            -- 25
INSERT INTO enrollment (person_id, source, captured_at, template)
SELECT person_id, 'visa', '2019-01-01', pg_temp.v(person_id::int) FROM person;

-- their admissions (I-94)
INSERT INTO admission (admission_number, person_id, class_of_admission, port_of_entry, mode,
                       admitted_on, admit_until, duration_of_status, program_end_date, status_changed_on)
VALUES ('00000000001', 1, 'WT', 'JFK', 'air', '2024-03-02', '2024-05-30', false, NULL, NULL),
       ('00000000002', 2, 'WT', 'JFK', 'air', '2024-03-02', '2024-05-30', false, NULL, NULL),
       ('00000000003', 3, 'WT', 'MIA', 'sea', '2024-02-01', '2024-04-30', false, NULL, NULL),
       ('00000000004', 4, 'B2', 'MIA', 'air', '2024-01-10', '2024-07-09', false, NULL, NULL),
       ('00000000005', 5, 'B2', 'MIA', 'air', '2024-02-01', '2024-04-30', false, NULL, NULL),
       ('00000000006', 6, 'B2', 'MIA', 'air', '2024-11-01', '2025-04-30', false, NULL, NULL),
       ('00000000007', 7, 'B1', 'MIA', 'air', '2024-07-01', '2024-12-31', false, NULL, NULL),
       -- several admissions of one person, each closed by its own exit
       ('00000000081', 8, 'B1', 'SFO', 'air', '2024-01-05', '2024-02-04', false, NULL, NULL),
       ('00000000082', 8, 'B1', 'SFO', 'air', '2024-04-10', '2024-05-09', false, NULL, NULL),
       -- no exit after the first admission; the exit after the second is the second's
       ('00000000091', 9, 'B1', 'SFO', 'air', '2024-01-05', '2024-03-04', false, NULL, NULL),
       ('00000000092', 9, 'B1', 'SFO', 'air', '2024-06-01', '2024-08-30', false, NULL, NULL),
       -- duration of status: programme end + 60 days (F-1), + 30 days (J-1)
       ('00000000010', 10, 'F1', 'BOS', 'air', '2020-08-20', NULL, true, '2024-05-15', NULL),
       ('00000000011', 11, 'F1', 'BOS', 'air', '2021-08-15', NULL, true, '2024-06-30', NULL),
       ('00000000012', 12, 'J1', 'BOS', 'air', '2023-08-01', NULL, true, '2024-08-01', NULL),
       ('00000000013', 13, 'F1', 'BOS', 'air', '2019-08-20', NULL, true, NULL, NULL),
       -- changes of status on and before the admit-until date
       ('00000000014', 14, 'B2', 'LAX', 'air', '2024-02-01', '2024-07-31', false, NULL, '2024-07-31'),
       ('00000000015', 15, 'B2', 'LAX', 'air', '2024-01-15', '2024-07-14', false, NULL, '2024-05-01'),
       -- fiscal-year boundaries
       ('00000000016', 16, 'WT', 'JFK', 'air', '2024-07-03', '2024-09-30', false, NULL, NULL),
       ('00000000017', 17, 'WT', 'JFK', 'air', '2024-07-04', '2024-10-01', false, NULL, NULL),
       ('00000000018', 18, 'WT', 'JFK', 'air', '2023-07-04', '2023-10-01', false, NULL, NULL),
       ('00000000019', 19, 'WT', 'JFK', 'air', '2023-07-03', '2023-09-30', false, NULL, NULL),
       -- gate no-matches: one resolved by an officer, one not
       ('00000000020', 20, 'WT', 'ORD', 'air', '2024-04-01', '2024-06-29', false, NULL, NULL),
       ('00000000021', 21, 'WT', 'ORD', 'air', '2024-03-01', '2024-05-29', false, NULL, NULL),
       -- out of the report: a land admission, a diplomat, a transit, a crew member
       ('00000000022', 22, 'B1B2', 'SYS', 'land', '2024-01-02', '2024-06-30', false, NULL, NULL),
       ('00000000023', 23, 'A1', 'IAD', 'air', '2023-11-01', '2024-03-31', false, NULL, NULL),
       ('00000000024', 24, 'C1', 'JFK', 'air', '2024-05-01', '2024-05-29', false, NULL, NULL),
       ('00000000025', 25, 'D1', 'JFK', 'air', '2024-02-10', '2024-03-10', false, NULL, NULL);

-- the departures, at the gate
SELECT who, day, g.decision, g.reason
  FROM (VALUES ('OnTheDay', date '2024-05-30'),
               ('DayAfter', '2024-05-31'),
               ('Cruise', '2024-04-20'),
               ('LeftEarly', '2024-04-28'),
               ('Twice', '2024-02-01'),
               ('Twice', '2024-05-12'),
               ('LaterExit', '2024-08-20'),
               ('StudentOnTime', '2024-07-14'),
               ('StudentLate', '2024-09-02'),
               ('FirstDayFY24', '2023-10-01'),
               ('LastDayFY23', '2023-09-29'),
               ('Transit', '2024-06-05'),
               ('Crew', '2024-03-09')) AS d (who, day),
       LATERAL pg_temp.gate(who, day) g
 ORDER BY day, who;
-- two no-matches; an officer confirms one of them
SELECT who, day, g.decision, g.reason
  FROM (VALUES ('Resolved', date '2024-06-20'), ('Unresolved', '2024-05-20')) AS d (who, day),
       LATERAL pg_temp.gate(who, day, false) g
 ORDER BY day;
SELECT bx_resolve_exit(x.exit_event_id, 20, 'passport checked')
  FROM exit_event x JOIN flight f USING (flight_id)
 WHERE x.decision = 'no_match' AND f.departure_date = '2024-06-20';
-- knowledge time: the gate recorded each decision on its flight's day and
-- the officer resolved the no-match that evening, as in production (this
-- test writes them now, so the times are set here)
UPDATE exit_event x SET occurred_at = f.departure_date + time '20:00',
       resolved_at = CASE WHEN x.resolved_at IS NOT NULL THEN f.departure_date + time '21:00' END
  FROM flight f WHERE f.flight_id = x.flight_id;
SELECT p.family_name, d.departed_on, d.evidence_level
  FROM departure d JOIN person p USING (person_id) ORDER BY d.departed_on, p.family_name;

-- status of every admission at the end of 2024
-- - departed on the admit-until day: in time; the day after: out-of-country, 1 day
-- - NoExit: suspected in-country, 2024-12-31 - 2024-07-09 = 175 days
-- - NotYetDue (2025-04-30) and DueOnAsOf (due 2024-12-31 itself): not yet due
-- - Twice: 2024-02-01 closes the first (in time), 2024-05-12 the second (3 days late)
-- - LaterExit: the exit of 2024-08-20 closes the second admission; the first
--   has none: 2024-12-31 - 2024-03-04 = 302 days
-- - F-1 programme end 2024-05-15 + 60 = 2024-07-14 (left that day: in time);
--   2024-06-30 + 60 = 2024-08-29 (left 2024-09-02: 4 days); J-1 2024-08-01 + 30
--   = 2024-08-31, no exit: 122 days; D/S without a programme end: not yet due
-- - a change of status on or before the admit-until date closes the admission in time
-- - expected 2024-09-30: FY2024 (92 days); 2024-10-01: FY2025 (91 days);
--   2023-10-01: FY2024; 2023-09-30: FY2023
-- - the officer's resolution is a departure (in time); an unresolved no-match
--   is not (2024-12-31 - 2024-05-29 = 216 days)
-- - land, A1, C1, D1: statuses as for anyone (184, 275 days; 7 days late; in time)
SELECT p.family_name, s.admission_number, s.class_of_admission AS class, s.mode,
       s.expected_departure, s.fiscal_year AS fy, s.departed_on, s.closed_by, s.status,
       s.days_overstayed AS days
  FROM bx_admission_status('2024-12-31') s JOIN person p USING (person_id)
 ORDER BY s.person_id, s.admitted_on;
-- each admission of Twice and LaterExit is closed by its own exit event
SELECT s.admission_number, s.departed_on, x.exit_event_id IS NOT NULL AS closed_by_event,
       f.departure_date = s.departed_on AS event_on_that_day
  FROM bx_admission_status('2024-12-31') s
  LEFT JOIN exit_event x ON x.exit_event_id = s.departure_exit_event_id
  LEFT JOIN flight f ON f.flight_id = x.flight_id
 WHERE s.person_id IN (8, 9) ORDER BY s.admission_number;
SELECT count(DISTINCT departure_exit_event_id) = count(departure_exit_event_id) AS no_exit_closes_two
  FROM bx_admission_status('2024-12-31');

-- the status moves with the as-of date
SELECT as_of, s.status, s.departed_on, s.days_overstayed AS days
  FROM unnest(ARRAY[date '2024-05-29', '2024-05-30', '2024-05-31', '2024-06-30']) AS as_of,
       LATERAL bx_admission_status(as_of) s
 WHERE s.admission_number = '00000000002' ORDER BY as_of;
SELECT as_of, s.status, s.days_overstayed AS days
  FROM unnest(ARRAY[date '2024-07-08', '2024-07-09', '2024-07-10', '2025-07-09']) AS as_of,
       LATERAL bx_admission_status(as_of) s
 WHERE s.admission_number = '00000000004' ORDER BY as_of;
-- a change of status counts from its date
SELECT as_of, s.status, s.closed_by
  FROM unnest(ARRAY[date '2024-04-30', '2024-05-01', '2024-12-31']) AS as_of,
       LATERAL bx_admission_status(as_of) s
 WHERE s.admission_number = '00000000015' ORDER BY as_of;
-- D/S with no programme end is never due, however late
SELECT s.status, s.expected_departure, s.fiscal_year, s.days_overstayed
  FROM bx_admission_status('2035-01-01') s WHERE s.admission_number = '00000000013';
-- its programme end becomes known: due 60 days later
UPDATE admission SET program_end_date = '2034-06-30' WHERE admission_number = '00000000013';
SELECT s.status, s.expected_departure, s.fiscal_year, s.days_overstayed
  FROM bx_admission_status('2035-01-01') s WHERE s.admission_number = '00000000013';
UPDATE admission SET program_end_date = NULL WHERE admission_number = '00000000013';

-- land admissions and out-of-scope classes are in the status view
SELECT admission_number, class_of_admission, class_group, mode, report_scope
  FROM admission_status WHERE NOT report_scope OR mode = 'land' ORDER BY admission_number;
SELECT count(*) AS admissions_in_view FROM admission_status;

-- the report for FY2024 (2023-10-01 to 2024-09-30) at the end of 2024:
-- air and sea admissions of in-scope classes expected in FY2024
--   BRA B1B2: NoExit (sico), LeftEarly (in time)                       2: 1/0/1  50.00 50.00
--   CHN F:    StudentOnTime (in time), StudentLate (ooc)               2: 1/1/0  50.00  0.00
--   CHN J:    Exchange (sico)                                          1: 0/0/1 100.00 100.00
--   DEU VWP:  Resolved (in time), Unresolved (sico)                    2: 1/0/1  50.00 50.00
--   FRA VWP:  LastDayFY24 (sico), FirstDayFY24 (in time)               2: 1/0/1  50.00 50.00
--   GBR VWP:  OnTheDay, Cruise (sea) (in time), DayAfter (ooc)         3: 2/1/0  33.33  0.00
--   IND B1B2: Twice 1st, LaterExit 2nd (in time), Twice 2nd (ooc),
--             LaterExit 1st (sico)                                     4: 2/1/1  50.00 25.00
--   KOR B1B2: ChangedOnDay, ChangedBefore (in time)                    2: 2/0/0   0.00  0.00
-- not counted: NotYetDue, DueOnAsOf, FirstDayFY25 (FY2025), LastDayFY23
-- (FY2023), StudentNoEnd (no expected date), LandVisitor (land), Diplomat,
-- Transit, Crew (classes out of scope)
SELECT * FROM bx_overstay_report(2024, '2024-12-31');
-- totals: 18 expected, 10 in time, 3 out-of-country, 5 suspected in-country:
-- 8 / 18 = 44.44 %, 5 / 18 = 27.78 %
SELECT sum(expected_departures) AS expected, sum(in_time_departures) AS in_time,
       sum(out_of_country_overstays) AS ooc, sum(suspected_in_country_overstays) AS sico,
       round(100.0 * sum(total_overstays) / sum(expected_departures), 2) AS total_rate,
       round(100.0 * sum(suspected_in_country_overstays) / sum(expected_departures), 2) AS sico_rate
  FROM bx_overstay_report(2024, '2024-12-31');
-- FY2023: LastDayFY23 only; FY2025 once it is over: NotYetDue, DueOnAsOf and
-- FirstDayFY25 never left
SELECT * FROM bx_overstay_report(2023, '2024-12-31');
SELECT * FROM bx_overstay_report(2025, '2025-12-31');
-- a year without admissions
SELECT count(*) AS rows FROM bx_overstay_report(2020, '2024-12-31');

-- as of a date, admissions that had not happened yet are not there at all
SELECT count(*) FILTER (WHERE admitted_on > '2024-01-01') AS admitted_later,
       count(*) AS admissions
  FROM bx_admission_status('2024-01-01');
-- during the fiscal year, only the periods already over count: as of
-- 2024-06-30, the FY2024 admissions expected by 2024-06-29
SELECT s.admission_number, s.expected_departure, s.status
  FROM bx_admission_status('2024-06-30') s
 WHERE s.fiscal_year = 2024 AND s.report_scope AND s.mode <> 'land'
 ORDER BY s.expected_departure, s.admission_number;
SELECT sum(expected_departures) AS expected, sum(in_time_departures) AS in_time,
       sum(out_of_country_overstays) AS ooc, sum(suspected_in_country_overstays) AS sico
  FROM bx_overstay_report(2024, '2024-06-30');

-- ------------------------------------------ departures on all evidence
-- the gate photographed OnTheDay and DayAfter (their decisions were photo
-- matches, set here as a camera would have): the report counts departures
-- and overstays confirmed biometrically apart
UPDATE exit_event x SET probe_source = 'photo'
  FROM person p WHERE p.person_id = x.person_id AND p.family_name IN ('OnTheDay', 'DayAfter');
SELECT p.family_name, d.evidence_level FROM departure d JOIN person p USING (person_id)
 WHERE p.family_name IN ('OnTheDay', 'DayAfter', 'Resolved', 'Cruise') ORDER BY 1;
SELECT country_of_citizenship, class_group, in_time_departures AS in_time, out_of_country_overstays AS ooc,
       biometric_departures, biometric_overstays
  FROM bx_overstay_report(2024, '2024-12-31') WHERE country_of_citizenship = 'GBR';

-- a departure and a readmission on the same day: exit first, then entry
INSERT INTO person (family_name, citizenship) VALUES ('SameDay', 'NLD'), ('DualNational', 'GBR'),
       ('LateChange', 'PER'), ('Canadian', 'CAN'), ('Mexican', 'MEX');
INSERT INTO enrollment (person_id, source, captured_at, template)
SELECT person_id, 'visa', '2019-01-01', pg_temp.v(person_id::int)
  FROM person WHERE family_name IN ('SameDay', 'DualNational', 'LateChange', 'Canadian', 'Mexican');
INSERT INTO admission (admission_number, person_id, class_of_admission, port_of_entry, mode,
                       admitted_on, admit_until, status_changed_on)
SELECT v.n, p.person_id, v.class, 'JFK', 'air', v.admitted::date, v.until::date, v.changed::date
  FROM (VALUES ('00000000026', 'SameDay', 'WT', '2024-03-01', '2024-05-29', NULL),
               ('00000000027', 'SameDay', 'WT', '2024-04-15', '2024-07-13', NULL),
               ('00000000029', 'LateChange', 'B2', '2024-01-01', '2024-03-31', '2024-05-10'),
               ('00000000030', 'Canadian', 'B2', '2024-01-01', '2024-03-31', NULL),
               ('00000000031', 'Mexican', 'B2', '2024-01-01', '2024-03-31', NULL)) AS v (n, who, class, admitted, until, changed)
  JOIN person p ON p.family_name = v.who;
-- a dual national enters with the passport of another country: the
-- admission keeps the citizenship presented then, whatever the person's
-- record says later
INSERT INTO admission (admission_number, person_id, class_of_admission, port_of_entry, mode,
                       admitted_on, admit_until, citizenship)
SELECT '00000000028', person_id, 'B2', 'JFK', 'air', '2024-02-01', '2024-04-30', 'IND'
  FROM person WHERE family_name = 'DualNational';
UPDATE person SET citizenship = 'USA' WHERE family_name IN ('DualNational', 'SameDay');
SELECT who, day, g.decision FROM (VALUES ('SameDay', date '2024-04-15'), ('SameDay', '2024-07-01'),
                                         ('DualNational', '2024-04-20')) AS d (who, day),
       LATERAL pg_temp.gate(who, day) g ORDER BY day;
UPDATE exit_event x SET occurred_at = f.departure_date + time '20:00'
  FROM flight f WHERE f.flight_id = x.flight_id AND f.departure_date IN ('2024-04-15', '2024-07-01', '2024-04-20');
-- SameDay's 04-15 exit ends the first admission, 07-01 the second; the
-- admission without a citizenship took the person's (NLD) when recorded;
-- LateChange filed its change of status 40 days after its date: an
-- overstay whose days stop at the filing
SELECT s.admission_number, s.citizenship, s.departed_on, s.closed_by, s.status, s.days_overstayed AS days
  FROM bx_admission_status('2024-12-31') s
 WHERE s.admission_number BETWEEN '00000000026' AND '00000000031' ORDER BY s.admission_number;
SELECT count(DISTINCT departure_exit_event_id) = count(departure_exit_event_id) AS no_exit_ends_two
  FROM bx_admission_status('2024-12-31');

-- the first page of the report: its groups, with the never-due D/S
-- admissions (StudentNoEnd) counted in their group
SELECT report_group, expected_departures AS expected, in_time_departures AS in_time,
       out_of_country_overstays AS ooc, suspected_in_country_overstays AS sico, total_overstay_rate AS rate,
       biometric_departures AS bio, never_due
  FROM bx_overstay_summary(2024, '2024-12-31');

-- knowledge time: a report as of a date uses only what was known by then.
-- NoExit left on 2024-08-01, but the record arrives only now; an officer
-- resolves Unresolved's no-match now too.  The report as of 2024-12-31
-- re-run now is the same; the re-measurement (the same fiscal year, as of
-- today) sees both.
CREATE TEMP TABLE report_then AS SELECT * FROM bx_overstay_report(2024, '2024-12-31');
SELECT g.decision FROM pg_temp.gate('NoExit', '2024-08-01') g;
SELECT bx_resolve_exit(x.exit_event_id, 21, 'seen on the CCTV of the gate')
  FROM exit_event x JOIN flight f USING (flight_id)
 WHERE x.decision = 'no_match' AND f.departure_date = '2024-05-20';
SELECT (SELECT count(*) FROM (SELECT * FROM report_then EXCEPT SELECT * FROM bx_overstay_report(2024, '2024-12-31')) a)
     + (SELECT count(*) FROM (SELECT * FROM bx_overstay_report(2024, '2024-12-31') EXCEPT SELECT * FROM report_then) b)
       AS rows_that_differ;
SELECT r.country_of_citizenship, r.class_group, t.out_of_country_overstays AS ooc_then,
       r.out_of_country_overstays AS ooc_now, t.in_time_departures AS in_time_then, r.in_time_departures AS in_time_now,
       t.suspected_in_country_overstays AS sico_then, r.suspected_in_country_overstays AS sico_now
  FROM bx_overstay_report(2024, CURRENT_DATE) r
  JOIN report_then t USING (country_of_citizenship, class_group)
 WHERE (r.out_of_country_overstays, r.in_time_departures, r.suspected_in_country_overstays)
       IS DISTINCT FROM (t.out_of_country_overstays, t.in_time_departures, t.suspected_in_country_overstays)
 ORDER BY 1, 2;
-- the departures as known on a past day and as known today
SELECT count(*) AS known_end_2024 FROM bx_departures('2024-12-31 23:59:59+00');
SELECT count(*) AS known_today FROM departure;

TRUNCATE departure_link, departure_manifest, search_audit, exit_event, manifest, flight, admission, enrollment,
	travel_document, person RESTART IDENTITY;
