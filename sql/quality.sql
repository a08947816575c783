-- capture quality (issue 17): bx_embed_quality's components on real photos
-- and on gate captures with known defects that test/image/make_hostile.c
-- makes from them at test time (blurred, dark, 4x smaller, rotated), and
-- bx_match's poor_quality reason with the failing component recorded.
-- Measures are compared with limits, never printed: they move a little
-- with the CPU's BLAS kernels.
SET search_path = public, bxexit;
\set VERBOSITY terse
-- the flights of this file left in 2024: let the gate process them
SET bxexit.gate_departure_window = 36500;
\getenv photos BX_PHOTOS
\i sql/include/try.sql
TRUNCATE departure_link, departure_manifest, search_audit, exit_event, manifest, flight, admission, enrollment,
	travel_document, person RESTART IDENTITY;

CREATE TEMP TABLE capture AS
SELECT f AS name, pg_read_binary_file(:'photos' || '/' || f) AS bytes
  FROM unnest(ARRAY['lfw_1.jpg', 'orl_s1_1.pgm', 'orl_s1_2.pgm', 'capture_blurred.jpg', 'capture_dark.jpg',
					'capture_small.jpg', 'capture_rotated.jpg']) f;

LOAD 'bxexit';
-- the settings: superuser only, defaults calibrated on ORL and LFW
SELECT name, setting, context FROM pg_settings WHERE name LIKE 'bxexit.quality\_%' ORDER BY name;

-- every capture is embedded (status ok): quality is about whether to match
-- it, not whether a face was found; the clean photos meet every default
-- limit, each defect fails its own component first
SELECT c.name, q.status, q.quality_failure, q.quality BETWEEN 0 AND 100 AS score_in_range
  FROM capture c, bx_embed_quality(c.bytes, 'largest') q ORDER BY c.name;

-- the component each defect moves, against the clean photo it was made from
SELECT c.name,
	   q.sharpness < 0.5 AS blurred,
	   q.brightness < 50 AS dark,
	   q.eye_distance < 16 AS small_face,
	   q.quality < l.quality AS worse_than_clean,
	   q.contrast >= 0 AND q.face_size > 0 AND q.face_in_frame BETWEEN 0 AND 1 AS measured
  FROM capture c, bx_embed_quality(c.bytes, 'largest') q,
	   (SELECT quality FROM capture, bx_embed_quality(bytes, 'largest') WHERE name = 'lfw_1.jpg') l
 WHERE c.name IN ('lfw_1.jpg', 'capture_blurred.jpg', 'capture_dark.jpg', 'capture_small.jpg')
 ORDER BY c.name;

-- the rotated capture (ORL subject 1 turned 30 degrees): YuNet's landmarks
-- under-report the turn (about 20 degrees measured), under the default
-- maximum of 25 that no clean photo exceeds; a stricter site refuses it
SELECT c.name, abs(q.roll) > 15 AS rolled, abs(q.roll) <= 25 AS within_default
  FROM capture c, bx_embed_quality(c.bytes, 'largest') q
 WHERE c.name IN ('orl_s1_1.pgm', 'capture_rotated.jpg') ORDER BY c.name;
SET bxexit.quality_max_roll = 15;
SELECT c.name, q.quality_failure
  FROM capture c, bx_embed_quality(c.bytes, 'largest') q
 WHERE c.name IN ('orl_s1_1.pgm', 'capture_rotated.jpg') ORDER BY c.name;
RESET bxexit.quality_max_roll;

-- every limit is a setting: raised above the clean photo, it refuses it
-- with that component; the overall score last of all
SET bxexit.quality_min_sharpness = 10;
SELECT q.quality_failure FROM capture, bx_embed_quality(bytes, 'largest') q WHERE name = 'lfw_1.jpg';
RESET bxexit.quality_min_sharpness;
SET bxexit.quality_max_brightness = 20;
SELECT q.quality_failure FROM capture, bx_embed_quality(bytes, 'largest') q WHERE name = 'lfw_1.jpg';
RESET bxexit.quality_max_brightness;
SET bxexit.quality_min_score = 100;
SELECT q.quality_failure FROM capture, bx_embed_quality(bytes, 'largest') q WHERE name = 'lfw_1.jpg';
RESET bxexit.quality_min_score;
-- no face, no quality
SELECT q.status, q.quality IS NULL AS no_quality, q.quality_failure IS NULL AS no_failure, q.sharpness IS NULL AS no_components
  FROM bx_embed_quality(convert_to('P5 200 200 255' || chr(10), 'UTF8') || decode(repeat('80', 40000), 'hex')) q;

-- at the gate: the LFW traveller and ORL subject 1 on flight 1
INSERT INTO person (family_name, citizenship) VALUES ('Traveller-L', 'FRA'), ('Subject-1', 'USA');
INSERT INTO enrollment (person_id, source, captured_at, template)
SELECT p.person_id, 'visa', '2024-01-01', bx_embed(c.bytes, 'largest')
  FROM person p JOIN capture c ON c.name = CASE p.family_name WHEN 'Traveller-L' THEN 'lfw_1.jpg' ELSE 'orl_s1_2.pgm' END;
INSERT INTO flight (carrier, flight_number, departure_airport, arrival_airport, departure_date)
VALUES ('DL', '17', 'JFK', 'CDG', '2024-06-01');
INSERT INTO manifest (flight_id, person_id) VALUES (1, 1), (1, 2);

-- each defective capture is a no-match with reason poor_quality: the gate
-- asks for a retake and learns nothing more (decision, reason, event)
CREATE TEMP TABLE answer (name text, decision text, reason text, exit_event_id int8);
INSERT INTO answer SELECT c.name, m.* FROM capture c, bx_match(c.bytes, 1) m
 WHERE c.name IN ('lfw_1.jpg', 'capture_blurred.jpg', 'capture_dark.jpg', 'capture_small.jpg')
 ORDER BY c.name;
SET bxexit.quality_max_roll = 15;
INSERT INTO answer SELECT c.name, m.* FROM capture c, bx_match(c.bytes, 1) m WHERE c.name = 'capture_rotated.jpg';
RESET bxexit.quality_max_roll;
SELECT name, decision, reason FROM answer ORDER BY exit_event_id;

-- what the officers see: the failing component and the capture's quality;
-- the photo is kept, no template is made of it and nothing was scored
SELECT a.name, x.decision, x.reason, x.quality_component, x.capture_quality IS NOT NULL AS quality_recorded,
	   x.probe_photo IS NOT NULL AS photo_kept, x.probe_template IS NULL AS no_template,
	   x.score IS NULL AS not_scored, x.person_id
  FROM answer a JOIN exit_event x USING (exit_event_id) ORDER BY x.exit_event_id;
-- the audit row of each search says why
SELECT outcome, count(*) FROM search_audit WHERE search = 'match' GROUP BY outcome ORDER BY outcome;

-- a retried request gets the recorded poor_quality again, without a new event
SELECT m.decision, m.reason FROM capture c, bx_match(c.bytes, 1, 'retake-1') m WHERE c.name = 'capture_dark.jpg';
SELECT m.decision, m.reason FROM capture c, bx_match(c.bytes, 1, 'retake-1') m WHERE c.name = 'lfw_1.jpg';
SELECT count(*) AS events FROM exit_event;

-- the gate may not lower the limits (the settings are superuser only)
CREATE ROLE bx_quality_gate IN ROLE bxexit_gate;
SET ROLE bx_quality_gate;
SELECT pg_temp.try($$SET bxexit.quality_min_sharpness = 0$$);
RESET ROLE;
DROP ROLE bx_quality_gate;
