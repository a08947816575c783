-- bxexit demo: face templates as a column type, 1:N search as ORDER BY,
-- template fusion, and the guard against comparing different face models.
-- Run by scripts/demo.sh against a throwaway cluster.
\set ON_ERROR_STOP on
\pset footer off
CREATE EXTENSION bxexit;
SET search_path = public, bxexit;
SELECT bx_build_info();

-- An enrollment gallery: 200 travellers, 3 templates each (visa, passport,
-- entry photo).  Real templates come from bx_embed() once the photo
-- pipeline lands; here each traveller has a random 128-d identity and each
-- capture adds noise, which is how face embeddings behave.
SELECT setseed(0.42);
CREATE TABLE identity AS
SELECT person_id,
       bx_normalize(array_agg(random() - 0.5)::face_embedding) AS centre
  FROM generate_series(1, 200) person_id, generate_series(1, 128) d
 GROUP BY person_id;

CREATE TABLE enrollment (
	enrollment_id bigserial PRIMARY KEY,
	person_id int NOT NULL,
	source text NOT NULL,
	template face_embedding(128) NOT NULL
);
INSERT INTO enrollment (person_id, source, template)
SELECT i.person_id, s.source,
       bx_set_model(i.centre, 'mobilefacenet-v1')
  FROM identity i, unnest(ARRAY['visa', 'passport', 'entry']) s(source);
-- add capture noise to every template
UPDATE enrollment e
   SET template = bx_set_model(bx_normalize(n.v::face_embedding), 'mobilefacenet-v1')
  FROM (SELECT enrollment_id, array_agg(x + (random() - 0.5) * 0.25 ORDER BY ord) AS v
          FROM enrollment, unnest(template::real[]) WITH ORDINALITY u(x, ord)
         GROUP BY enrollment_id) n
 WHERE n.enrollment_id = e.enrollment_id;
SELECT count(*) AS templates, count(DISTINCT person_id) AS people,
       string_agg(DISTINCT bx_model(template), ', ') AS models
  FROM enrollment;

-- A gate photo of traveller 17, as a probe template.
CREATE TABLE probe AS
SELECT bx_set_model(bx_normalize(array_agg(x + (random() - 0.5) * 0.25 ORDER BY ord)::face_embedding),
                    'mobilefacenet-v1') AS template
  FROM identity, unnest(centre::real[]) WITH ORDINALITY u(x, ord)
 WHERE person_id = 17;

-- 1:N identification: the five closest enrollments by cosine distance.
SELECT e.person_id, e.source, round(bx_similarity(e.template, p.template)::numeric, 3) AS score
  FROM enrollment e, probe p
 ORDER BY e.template <=> p.template
 LIMIT 5;

-- The same search through the bxann index (IVF entry lists + k-NN graph).
-- The gallery is tiny, so the planner would rightly sort it; force the index
-- to show it.
CREATE INDEX enrollment_template ON enrollment USING bxann (template face_embedding_cosine_ops);
SELECT lists, m, model, live_elements FROM bxann_index_info('enrollment_template');
SET enable_seqscan = off;
EXPLAIN (COSTS OFF)
SELECT e.person_id FROM enrollment e ORDER BY e.template <=> (SELECT template FROM probe) LIMIT 5;
SELECT e.person_id, e.source
  FROM enrollment e ORDER BY e.template <=> (SELECT template FROM probe) LIMIT 5;
RESET enable_seqscan;

-- Template fusion: one averaged, re-normalised template per person.
CREATE TABLE fused AS
SELECT person_id, bx_normalize(avg(template)) AS template FROM enrollment GROUP BY person_id;
SELECT f.person_id, round(bx_similarity(f.template, p.template)::numeric, 3) AS score
  FROM fused f, probe p
 ORDER BY f.template <=> p.template
 LIMIT 3;

-- Score distributions: same person vs different people.
SELECT f.person_id = 17 AS same_person,
       round(avg(bx_similarity(f.template, p.template))::numeric, 3) AS mean_score,
       round(max(bx_similarity(f.template, p.template))::numeric, 3) AS max_score
  FROM fused f, probe p GROUP BY 1 ORDER BY 1;

-- Templates of another face model are never compared by mistake.
\set ON_ERROR_STOP off
SELECT e.person_id FROM enrollment e
 ORDER BY e.template <=> bx_set_model((SELECT template FROM probe), 'arcface-r100') LIMIT 1;

\set ON_ERROR_STOP on
-- From gate photos to templates, inside the database (needs the face models
-- and photos of ../shared; scripts/demo.sh copies them where the server can
-- read them).
\getenv photos BX_PHOTOS
\if :{?photos}
CREATE TABLE gate_photo (name text PRIMARY KEY, photo bytea);
INSERT INTO gate_photo
SELECT f, pg_read_binary_file(:'photos' || '/' || f)
  FROM unnest(ARRAY['orl_s1_1.pgm', 'orl_s1_2.pgm', 'orl_s2_1.pgm', 'lfw_1.jpg']) f;
SELECT name, length(photo) AS bytes FROM gate_photo ORDER BY name;

-- every face the detector finds (the LFW photo has a second person behind)
SELECT g.name, d.face, round(d.score::numeric, 3) AS score, round(d.eye_distance::numeric, 1) AS eye_distance
  FROM gate_photo g, bx_detect(g.photo) d ORDER BY g.name, d.face;

-- templates, and what a gate application gets for each photo
SELECT g.name, q.status, q.faces, bx_model(q.embedding) AS model
  FROM gate_photo g, bx_embed_quality(g.photo) q ORDER BY g.name;

-- same person, different people
CREATE TABLE gate_template AS
SELECT name, bx_embed(photo, 'largest') AS template FROM gate_photo;
SELECT a.name AS probe, b.name AS reference, round(bx_similarity(a.template, b.template)::numeric, 3) AS score
  FROM gate_template a, gate_template b
 WHERE a.name = 'orl_s1_2.pgm' AND b.name <> a.name ORDER BY score DESC;
\else
\echo 'No face models or photos found (../shared): photo part of the demo skipped.'
\endif
