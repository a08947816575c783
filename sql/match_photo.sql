-- bx_match, bx_verify and bx_identify on real photos (needs the face models
-- and the photos scripts/test.sh stages in BX_PHOTOS): every acquisition
-- outcome of the gate becomes a recorded no-match with its reason
SET search_path = public, bxexit;
\set VERBOSITY terse
-- the flights of this file left in 2024: let the gate process them
SET bxexit.gate_departure_window = 36500;
\getenv photos BX_PHOTOS
\i sql/include/try.sql
TRUNCATE departure_link, departure_manifest, search_audit, exit_event, manifest, flight, admission, enrollment,
	travel_document, person RESTART IDENTITY;

CREATE TEMP TABLE photo AS
SELECT f AS name, pg_read_binary_file(:'photos' || '/' || f) AS bytes
  FROM unnest(ARRAY['orl_s1_1.pgm', 'orl_s1_2.pgm', 'orl_s2_1.pgm', 'lfw_1.jpg']) f;
-- a flat grey picture: a valid image without a face
INSERT INTO photo VALUES ('grey.pgm', convert_to('P5 200 200 255' || chr(10), 'UTF8') || decode(repeat('80', 40000), 'hex'));

-- ORL subjects 1 and 2 enrolled from their image 1, both on flight 1
INSERT INTO person (family_name, citizenship) VALUES ('Subject-1', 'FRA'), ('Subject-2', 'USA');
INSERT INTO enrollment (person_id, source, captured_at, template, quality)
SELECT p.person_id, 'visa', '2024-01-01', q.embedding, q.score
  FROM person p
  JOIN photo ph ON ph.name = 'orl_s' || substr(p.family_name, 9) || '_1.pgm',
       bx_embed_quality(ph.bytes, 'largest') q;
SELECT person_id, model, quality > 0.9 AS good_quality FROM enrollment ORDER BY person_id;
INSERT INTO flight (carrier, flight_number, departure_airport, arrival_airport, departure_date)
VALUES ('DL', '1', 'JFK', 'CDG', '2024-06-01');
INSERT INTO manifest (flight_id, person_id) VALUES (1, 1), (1, 2);

-- subject 1 at the gate with another photo: a match; the LFW stranger is
-- not.  The gate gets the decision, the reason and the exit event; person,
-- score and margin are the officer's, in exit_event.
CREATE TEMP TABLE answer (name text, decision text, reason text, exit_event_id int8);
INSERT INTO answer SELECT name, m.* FROM photo, bx_match(bytes, 1) m WHERE name = 'orl_s1_2.pgm';
INSERT INTO answer SELECT name, m.* FROM photo, bx_match(bytes, 1) m WHERE name = 'lfw_1.jpg';
INSERT INTO answer SELECT name, m.* FROM photo, bx_match(bytes, 1) m WHERE name = 'grey.pgm';
SELECT a.decision, x.person_id, x.score > x.threshold AS above,
       x.score - x.runner_up_score > 0.2 AS clear_margin, a.reason, x.gallery_size, x.threshold
  FROM answer a JOIN exit_event x USING (exit_event_id) WHERE a.name = 'orl_s1_2.pgm';
SELECT a.decision, x.person_id, x.score < x.threshold AS below, a.reason
  FROM answer a JOIN exit_event x USING (exit_event_id) WHERE a.name = 'lfw_1.jpg';
-- no face, a corrupt photo, a photo over the size limit, an unknown flight
SELECT a.decision, a.reason, x.score
  FROM answer a JOIN exit_event x USING (exit_event_id) WHERE a.name = 'grey.pgm';
SELECT m.decision, m.reason FROM bx_match('\xffd8ffe000104a464946'::bytea, 1) m;
SET bxexit.max_image_bytes = 2000;
SELECT m.decision, m.reason FROM photo, bx_match(bytes, 1) m WHERE name = 'lfw_1.jpg';
RESET bxexit.max_image_bytes;
SELECT m.decision, m.reason FROM photo, bx_match(bytes, 999) m WHERE name = 'orl_s1_2.pgm';

-- what was recorded: the gate photo byte for byte (not for unreadable input),
-- the probe template when one was made
SELECT x.exit_event_id, x.decision, x.reason, x.person_id,
       x.probe_photo = p.bytes AS photo_kept, x.probe_photo IS NULL AS no_photo_kept,
       bx_model(x.probe_template) AS probe_model
  FROM exit_event x
  LEFT JOIN photo p ON p.bytes = x.probe_photo
 ORDER BY x.exit_event_id;
SELECT count(*) AS audit_rows FROM search_audit WHERE search = 'match';

-- officers: 1:1 and 1:N on photos (the largest face); a photo without a
-- face is an error there, not a decision
SELECT v.decision, v.templates, v.reason FROM photo, bx_verify(bytes, 1) v WHERE name = 'orl_s1_2.pgm';
SELECT v.decision, v.reason FROM photo, bx_verify(bytes, 2) v WHERE name = 'orl_s1_2.pgm';
SELECT i.rank, i.person_id, i.above_threshold FROM photo, bx_identify(bytes, 2) i
 WHERE name = 'orl_s2_1.pgm' ORDER BY i.rank;
SELECT pg_temp.try($$SELECT * FROM photo, bx_identify(bytes, 2) WHERE name = 'grey.pgm'$$);
SELECT pg_temp.try($$SELECT * FROM photo, bx_verify(bytes, 1) WHERE name = 'grey.pgm'$$);
SELECT search, count(*) FROM search_audit GROUP BY search ORDER BY search;

-- a gate photo is decoded under bxexit.gate_max_image_pixels (16 MP): a
-- 50 kB PNG declaring 7200 x 7200 pixels, which the general limit (raised
-- here to 60 MP) lets bx_embed_quality inflate, is refused at the gate
-- before it costs anything
SET bxexit.max_image_pixels = 60000000;
SELECT q.status = 'image_too_large' AS general_refuses
  FROM bx_embed_quality(pg_read_binary_file(:'photos' || '/png_bomb.png'), 'largest') q;
SELECT m.decision, m.reason FROM bx_match(pg_read_binary_file(:'photos' || '/png_bomb.png'), 1) m;
RESET bxexit.max_image_pixels;
SELECT x.reason, x.probe_photo IS NULL AS not_kept FROM exit_event x ORDER BY x.exit_event_id DESC LIMIT 1;

-- A gate probing the gallery (issue: the gate as a score oracle): the photo
-- of Subject-2, who is not on flight 2 (Subject-1's), altered with random
-- grey patches, each call rolled back after reading the answer.  The gate
-- keeps a patch only when the decision improves, the only signal it gets.
-- It never matches, and after bxexit.gate_nomatch_limit (20) no-matches
-- bx_match stops looking at its photos.
INSERT INTO flight (carrier, flight_number, departure_airport, arrival_airport, departure_date)
VALUES ('DL', '2', 'JFK', 'CDG', '2024-06-02') RETURNING flight_id AS hill_flight \gset
INSERT INTO manifest (flight_id, person_id) VALUES (:hill_flight, 1);
CREATE TABLE public.hill_photo AS SELECT bytes FROM photo WHERE name = 'orl_s2_1.pgm';
CREATE TABLE public.hill_result (n int, decision text, reason text);
SELECT current_user AS superuser \gset
DROP ROLE IF EXISTS bx_hill_gate;
CREATE ROLE bx_hill_gate LOGIN IN ROLE bxexit_gate;
ALTER ROLE bx_hill_gate SET bxexit.gate_departure_window = 36500;
GRANT SELECT ON public.hill_photo TO bx_hill_gate;
GRANT INSERT ON public.hill_result TO bx_hill_gate;
\c - bx_hill_gate
SELECT set_config('hill.flight', :'hill_flight', false) IS NOT NULL AS flight_set;
DO $$
DECLARE
	best bytea := (SELECT bytes FROM public.hill_photo);
	pixels int := 92 * 112;
	trial bytea;
	r record;
	off int;
	decisions text[] := '{}';
	reasons text[] := '{}';
BEGIN
	FOR n IN 1 .. 30 LOOP
		trial := best;
		-- a 6x6 patch of random grey at a random place of the 92x112 image
		off := length(best) - pixels + (floor(random() * 106) * 92 + floor(random() * 86))::int;
		FOR y IN 0 .. 5 LOOP
			FOR x IN 0 .. 5 LOOP
				trial := set_byte(trial, off + y * 92 + x, floor(random() * 256)::int);
			END LOOP;
		END LOOP;
		BEGIN
			SELECT * INTO r FROM bxexit.bx_match(trial, current_setting('hill.flight')::bigint);
			RAISE EXCEPTION 'roll this call back';
		EXCEPTION WHEN raise_exception THEN
			NULL;			-- the answer is read, the exit event is gone
		END;
		decisions := decisions || r.decision;
		reasons := reasons || coalesce(r.reason, '');
		IF r.decision = 'match' THEN
			best := trial;
		END IF;
	END LOOP;
	INSERT INTO public.hill_result SELECT n, decisions[n], reasons[n] FROM generate_series(1, 30) n;
END
$$;
\c - :superuser
SET search_path = public, bxexit;
SELECT count(*) FILTER (WHERE decision = 'match') AS matches,
       count(*) FILTER (WHERE reason <> 'rate_limited') AS processed,
       count(*) FILTER (WHERE reason = 'rate_limited') AS refused,
       min(n) FILTER (WHERE reason = 'rate_limited') AS first_refused
  FROM hill_result;
-- every call is in the audit though all were rolled back; the scores the
-- gate never saw stayed under the threshold; no exit event survived
SELECT count(*) AS audit_rows, max(top_score) < bx_threshold('mobilefacenet-v1', 'identification') AS all_below
  FROM search_audit WHERE searched_by = 'bx_hill_gate';
SELECT count(*) AS exit_events FROM exit_event WHERE flight_id = :hill_flight;
DROP TABLE hill_photo, hill_result;
DROP ROLE bx_hill_gate;

TRUNCATE departure_link, departure_manifest, search_audit, exit_event, manifest, flight, admission, enrollment,
	travel_document, person RESTART IDENTITY;
