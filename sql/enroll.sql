-- enrolment with its capture quality (issue 17, item 3): bx_enroll embeds a
-- photo as the gate does, records the detector's score (quality) and the
-- capture quality, refuses photos below the bxexit.quality_* settings with
-- the failing component, and the gate then matches against what was
-- enrolled.  Needs the face models and the photos and captures of
-- BX_PHOTOS (test/image/make_hostile.c makes the captures at test time).
-- Measures are compared with limits, never printed.
SET search_path = public, bxexit;
\set VERBOSITY terse
SET bxexit.gate_departure_window = 36500;
\getenv photos BX_PHOTOS
\i sql/include/try.sql
TRUNCATE departure_link, departure_manifest, search_audit, exit_event, manifest, flight, admission, enrollment,
	travel_document, person RESTART IDENTITY;

CREATE TEMP TABLE photo AS
SELECT f AS name, pg_read_binary_file(:'photos' || '/' || f) AS bytes
  FROM unnest(ARRAY['orl_s1_1.pgm', 'orl_s1_2.pgm', 'orl_s2_1.pgm', 'lfw_1.jpg', 'capture_blurred.jpg',
					'capture_small.jpg', 'capture_dark.jpg']) f;
-- a flat grey picture: a valid image without a face
INSERT INTO photo VALUES ('grey.pgm', convert_to('P5 200 200 255' || chr(10), 'UTF8') || decode(repeat('80', 40000), 'hex'));
INSERT INTO person (family_name, citizenship) VALUES ('Subject-1', 'FRA'), ('Subject-2', 'USA'), ('Stranger', 'GBR');

-- ORL subject 1 from two photos, subject 2 from one: each call returns the
-- new enrollment's id
SELECT bx_enroll(1, bytes, 'visa', '2024-01-01') AS enrollment_id FROM photo WHERE name = 'orl_s1_1.pgm';
SELECT bx_enroll(1, bytes, 'entry', '2024-02-01') AS enrollment_id FROM photo WHERE name = 'orl_s1_2.pgm';
SELECT bx_enroll(2, bytes, 'passport', '2024-01-15') AS enrollment_id FROM photo WHERE name = 'orl_s2_1.pgm';

-- what was recorded: the template bx_embed makes of the photo, the photo
-- byte for byte, the detector's score in quality (0..1, its 0.1.0 meaning),
-- the capture quality (0..100) equal to bx_embed_quality's
SELECT e.enrollment_id, e.person_id, e.source, e.model,
	   e.template = q.embedding AS template_is_bx_embed_quality,
	   e.photo = p.bytes AS photo_kept,
	   e.quality BETWEEN 0.9 AND 1 AS detector_score,
	   e.capture_quality = q.quality AS capture_quality_recorded,
	   e.capture_quality BETWEEN 40 AND 100 AS meets_min_score
  FROM enrollment e
  JOIN photo p ON p.bytes = e.photo,
	   bx_embed_quality(p.bytes) q
 ORDER BY e.enrollment_id;

-- refused, nothing written: each error names what is wrong
SELECT name, pg_temp.try(format('SELECT bx_enroll(3, %L::bytea, %L, %L)', bytes, 'visa', '2024-03-01')) AS outcome
  FROM photo WHERE name IN ('capture_blurred.jpg', 'capture_small.jpg', 'capture_dark.jpg', 'grey.pgm')
 ORDER BY name;
SELECT pg_temp.try($$SELECT bx_enroll(3, '\xffd8ffe000104a464946'::bytea, 'visa', '2024-03-01')$$) AS corrupt_photo;
SELECT pg_temp.try($$SELECT bx_enroll(3, NULL, 'visa', '2024-03-01')$$) AS null_photo;
SELECT pg_temp.try($$SELECT bx_enroll(NULL, '\x01'::bytea, 'visa', '2024-03-01')$$) AS null_person;
SELECT pg_temp.try($$SELECT bx_enroll(99, '\x01'::bytea, 'visa', '2024-03-01')$$) AS unknown_person;
SELECT pg_temp.try(format('SELECT bx_enroll(3, %L::bytea, %L, %L)', bytes, 'selfie', '2024-03-01')) AS bad_source
  FROM photo WHERE name = 'orl_s2_1.pgm';
-- rule single by default: a photo showing several people is the wrong
-- photo; rule largest takes the largest face (this LFW photo has two)
SELECT pg_temp.try(format('SELECT bx_enroll(3, %L::bytea, %L, %L)', bytes, 'visa', '2024-03-01')) AS several
  FROM photo WHERE name = 'lfw_1.jpg';
SELECT pg_temp.try(format('SELECT bx_enroll(3, %L::bytea, %L, %L, %L)', bytes, 'visa', '2024-03-01', 'best'))
	   AS bad_rule
  FROM photo WHERE name = 'lfw_1.jpg';
SELECT count(*) AS enrollments_of_stranger FROM enrollment WHERE person_id = 3;
-- the full message of a poor photo: component, overall quality, what to do
\set VERBOSITY default
SELECT bx_enroll(3, bytes, 'visa', '2024-03-01') FROM photo WHERE name = 'capture_blurred.jpg';
\set VERBOSITY terse

-- the limits are the gate's settings: relaxed, the blurred capture is
-- enrolled, with a capture quality below the clean photo's
SET bxexit.quality_min_sharpness = 0;
SET bxexit.quality_min_score = 0;
SELECT pg_temp.try(format('SELECT bx_enroll(3, %L::bytea, %L, %L)', bytes, 'other', '2024-03-01')) AS relaxed
  FROM photo WHERE name = 'capture_blurred.jpg';
RESET bxexit.quality_min_sharpness;
RESET bxexit.quality_min_score;
SELECT e.source, e.capture_quality < (SELECT capture_quality FROM enrollment WHERE enrollment_id = 1) AS poorer_than_clean
  FROM enrollment e WHERE e.person_id = 3;

-- rule largest, as at the gate, enrols the largest face of that LFW photo
SELECT bx_enroll(3, bytes, 'exit', '2024-03-02', 'largest') AS enrollment_id FROM photo WHERE name = 'lfw_1.jpg';

-- the gate matches against what bx_enroll recorded, a person by their best
-- template: subject 1's image 2 (enrolled too: cosine 1 with that template,
-- lower with image 1) and subject 2's image 1; the gallery holds the two
-- people of the manifest (three templates)
INSERT INTO flight (carrier, flight_number, departure_airport, arrival_airport, departure_date)
VALUES ('DL', '1', 'JFK', 'CDG', '2024-06-01');
INSERT INTO manifest (flight_id, person_id) VALUES (1, 1), (1, 2);
CREATE TEMP TABLE answer (name text, decision text, reason text, exit_event_id int8);
INSERT INTO answer SELECT p.name, m.* FROM photo p, bx_match(p.bytes, 1) m
 WHERE p.name IN ('orl_s1_2.pgm', 'orl_s2_1.pgm');
SELECT a.name, a.decision, a.reason, x.person_id, x.gallery_size, x.score > 0.99 AS scored_by_best_template
  FROM answer a JOIN exit_event x USING (exit_event_id) ORDER BY a.name;

TRUNCATE departure_link, departure_manifest, search_audit, exit_event, manifest, flight, admission, enrollment,
	travel_document, person RESTART IDENTITY;
