/* 30_face: face models and photo functions (bx_model_check, bx_embed, bx_embed_quality, bx_detect) */

/* --------------------------------------------------------- face models */

CREATE FUNCTION @extschema@.bx_model_check(
	OUT model pg_catalog.text, OUT path pg_catalog.text, OUT bytes pg_catalog.int8,
	OUT sha256 pg_catalog.text, OUT shape pg_catalog.text, OUT memory_bytes pg_catalog.int8)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bx_model_check() IS
	'load and verify every face model below bxexit.model_path (size, SHA-256, graph)';
REVOKE EXECUTE ON FUNCTION @extschema@.bx_model_check() FROM PUBLIC;

/* ---------------------------------------------- photo to face template */

CREATE FUNCTION @extschema@.bx_embed(photo pg_catalog.bytea, rule pg_catalog.text DEFAULT 'single')
	RETURNS @extschema@.face_embedding
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 10000;
COMMENT ON FUNCTION @extschema@.bx_embed(pg_catalog.bytea, pg_catalog.text) IS
	'face template of the face in a JPEG/PNG/PGM/PPM photo (rule: single or largest); ERROR if none';

/*
 * bx_embed_quality: the template, or the reason there is none, and the
 * capture quality of the face embedded (lib/facepipe/quality.h; README
 * "Capture quality"): the overall score, the first component below the
 * bxexit.quality_* settings (NULL when the capture meets them: bx_match's
 * poor_quality), and each component; score is the detector's confidence,
 * eye_distance the inter-eye distance in pixels.
 */
CREATE FUNCTION @extschema@.bx_embed_quality(photo pg_catalog.bytea, rule pg_catalog.text DEFAULT 'single',
	OUT embedding @extschema@.face_embedding, OUT status pg_catalog.text, OUT faces pg_catalog.int4,
	OUT score pg_catalog.float4, OUT eye_distance pg_catalog.float4, OUT detail pg_catalog.text,
	OUT quality pg_catalog.float4, OUT quality_failure pg_catalog.text, OUT sharpness pg_catalog.float4,
	OUT brightness pg_catalog.float4, OUT contrast pg_catalog.float4, OUT roll pg_catalog.float4,
	OUT yaw pg_catalog.float4, OUT pitch pg_catalog.float4, OUT face_size pg_catalog.float4,
	OUT face_in_frame pg_catalog.float4)
	AS 'MODULE_PATHNAME', 'bx_embed_quality_0_2' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 10000;
COMMENT ON FUNCTION @extschema@.bx_embed_quality(pg_catalog.bytea, pg_catalog.text) IS
	'like bx_embed, but returns a status (ok, no_face, several_faces, face_too_small, invalid_image, image_too_large) instead of raising, and the capture quality of the face: overall score 0-100, the first component below the bxexit.quality_* settings, each component';

CREATE FUNCTION @extschema@.bx_embed_quality(photo pg_catalog.bytea, rule pg_catalog.text,
	max_pixels pg_catalog.int8,
	OUT embedding @extschema@.face_embedding, OUT status pg_catalog.text, OUT faces pg_catalog.int4,
	OUT score pg_catalog.float4, OUT eye_distance pg_catalog.float4, OUT detail pg_catalog.text,
	OUT quality pg_catalog.float4, OUT quality_failure pg_catalog.text, OUT sharpness pg_catalog.float4,
	OUT brightness pg_catalog.float4, OUT contrast pg_catalog.float4, OUT roll pg_catalog.float4,
	OUT yaw pg_catalog.float4, OUT pitch pg_catalog.float4, OUT face_size pg_catalog.float4,
	OUT face_in_frame pg_catalog.float4)
	AS 'MODULE_PATHNAME', 'bx_embed_quality_0_2' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 10000;
COMMENT ON FUNCTION @extschema@.bx_embed_quality(pg_catalog.bytea, pg_catalog.text, pg_catalog.int8) IS
	'bx_embed_quality under a lower pixel limit (the smaller of max_pixels and bxexit.max_image_pixels): bx_match''s gate photos';

CREATE FUNCTION @extschema@.bx_detect(photo pg_catalog.bytea,
	OUT face pg_catalog.int4, OUT x pg_catalog.float4, OUT y pg_catalog.float4,
	OUT width pg_catalog.float4, OUT height pg_catalog.float4, OUT score pg_catalog.float4,
	OUT eye_distance pg_catalog.float4, OUT landmarks pg_catalog.float4[])
	RETURNS SETOF record
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 5000 ROWS 1;
COMMENT ON FUNCTION @extschema@.bx_detect(pg_catalog.bytea) IS
	'faces in a photo: box, score, eye distance and 5 landmarks (right eye, left eye, nose, mouth corners) as x,y pairs';

/* ------------------------------------------------- engine privileges */

/*
 * The schema created by CREATE EXTENSION is usable by its owner only; a DBA
 * grants USAGE on it to the roles that may use face embeddings (README).
 * The engine's functions (parts 10 to 30) are pure computations on values
 * the caller already has, so they keep PostgreSQL's default EXECUTE for
 * PUBLIC, unreachable without USAGE on the schema; the model check and the
 * index tools above are revoked from PUBLIC.
 */
