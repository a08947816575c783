/* bxexit--0.1.0.sql: install script of version 0.1.0 (frozen once released) */

\echo Use "CREATE EXTENSION bxexit" to load this file. \quit

/*
 * Section order: schema safety; type, I/O and typmod; casts; scalar functions; operators;
 * btree operator class; aggregates; privileges.  Every object is
 * schema-qualified (@extschema@ or pg_catalog) and nothing uses CREATE OR
 * REPLACE or IF NOT EXISTS, so the script cannot be hijacked by objects a
 * user created beforehand.
 */

/* ------------------------------------------------------ schema safety */

/*
 * CREATE EXTENSION creates schema bxexit unless it exists.  A schema that
 * already exists and belongs to, or is writable by, another non-superuser
 * would let that role plant objects the extension's functions resolve:
 * refuse to install into it.
 */
DO $$
DECLARE
	owner_oid pg_catalog.oid;
BEGIN
	SELECT nspowner INTO owner_oid FROM pg_catalog.pg_namespace
	 WHERE oid OPERATOR(pg_catalog.=) '@extschema@'::pg_catalog.regnamespace;
	IF owner_oid OPERATOR(pg_catalog.<>) (SELECT oid FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) current_user)
	   AND NOT (SELECT rolsuper FROM pg_catalog.pg_roles WHERE oid OPERATOR(pg_catalog.=) owner_oid)
	   OR EXISTS (SELECT 1 FROM pg_catalog.pg_namespace n,
	                     pg_catalog.aclexplode(n.nspacl) a
	               WHERE n.oid OPERATOR(pg_catalog.=) '@extschema@'::pg_catalog.regnamespace
	                 AND a.privilege_type OPERATOR(pg_catalog.=) 'CREATE'
	                 AND a.grantee OPERATOR(pg_catalog.<>) n.nspowner)
	THEN
		RAISE EXCEPTION 'schema @extschema@ already exists and is owned or writable by another role'
			USING ERRCODE = 'insufficient_privilege',
				  HINT = 'Drop or rename that schema, then run CREATE EXTENSION bxexit again.';
	END IF;
END
$$;

/* ---------------------------------------------------------------- type */

CREATE TYPE @extschema@.face_embedding;

CREATE FUNCTION @extschema@.face_embedding_in(pg_catalog.cstring, pg_catalog.oid, pg_catalog.int4)
	RETURNS @extschema@.face_embedding
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.face_embedding_out(@extschema@.face_embedding)
	RETURNS pg_catalog.cstring
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.face_embedding_typmod_in(pg_catalog.cstring[])
	RETURNS pg_catalog.int4
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.face_embedding_typmod_out(pg_catalog.int4)
	RETURNS pg_catalog.cstring
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.face_embedding_recv(pg_catalog.internal, pg_catalog.oid, pg_catalog.int4)
	RETURNS @extschema@.face_embedding
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.face_embedding_send(@extschema@.face_embedding)
	RETURNS pg_catalog.bytea
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE @extschema@.face_embedding (
	INPUT = @extschema@.face_embedding_in,
	OUTPUT = @extschema@.face_embedding_out,
	TYPMOD_IN = @extschema@.face_embedding_typmod_in,
	TYPMOD_OUT = @extschema@.face_embedding_typmod_out,
	RECEIVE = @extschema@.face_embedding_recv,
	SEND = @extschema@.face_embedding_send,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = int4,
	STORAGE = extended
);

COMMENT ON TYPE @extschema@.face_embedding IS
	'face template: float4 vector of 1 to 16000 dimensions, tagged with the model that made it';

/* --------------------------------------------------------------- casts */

CREATE FUNCTION @extschema@.face_embedding(@extschema@.face_embedding, pg_catalog.int4, pg_catalog.bool)
	RETURNS @extschema@.face_embedding
	AS 'MODULE_PATHNAME', 'face_embedding_typmod_coerce'
	LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.array_to_face_embedding(pg_catalog.float4[], pg_catalog.int4, pg_catalog.bool)
	RETURNS @extschema@.face_embedding
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.array_to_face_embedding(pg_catalog.float8[], pg_catalog.int4, pg_catalog.bool)
	RETURNS @extschema@.face_embedding
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.array_to_face_embedding(pg_catalog.numeric[], pg_catalog.int4, pg_catalog.bool)
	RETURNS @extschema@.face_embedding
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.array_to_face_embedding(pg_catalog.int4[], pg_catalog.int4, pg_catalog.bool)
	RETURNS @extschema@.face_embedding
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.face_embedding_to_float4(@extschema@.face_embedding, pg_catalog.int4, pg_catalog.bool)
	RETURNS pg_catalog.float4[]
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.face_embedding_to_float8(@extschema@.face_embedding, pg_catalog.int4, pg_catalog.bool)
	RETURNS pg_catalog.float8[]
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION @extschema@.face_embedding_to_numeric(@extschema@.face_embedding, pg_catalog.int4, pg_catalog.bool)
	RETURNS pg_catalog.numeric[]
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE CAST (@extschema@.face_embedding AS @extschema@.face_embedding)
	WITH FUNCTION @extschema@.face_embedding(@extschema@.face_embedding, pg_catalog.int4, pg_catalog.bool)
	AS IMPLICIT;

CREATE CAST (pg_catalog.float4[] AS @extschema@.face_embedding)
	WITH FUNCTION @extschema@.array_to_face_embedding(pg_catalog.float4[], pg_catalog.int4, pg_catalog.bool)
	AS ASSIGNMENT;

CREATE CAST (pg_catalog.float8[] AS @extschema@.face_embedding)
	WITH FUNCTION @extschema@.array_to_face_embedding(pg_catalog.float8[], pg_catalog.int4, pg_catalog.bool)
	AS ASSIGNMENT;

CREATE CAST (pg_catalog.numeric[] AS @extschema@.face_embedding)
	WITH FUNCTION @extschema@.array_to_face_embedding(pg_catalog.numeric[], pg_catalog.int4, pg_catalog.bool)
	AS ASSIGNMENT;

CREATE CAST (pg_catalog.int4[] AS @extschema@.face_embedding)
	WITH FUNCTION @extschema@.array_to_face_embedding(pg_catalog.int4[], pg_catalog.int4, pg_catalog.bool)
	AS ASSIGNMENT;

CREATE CAST (@extschema@.face_embedding AS pg_catalog.float4[])
	WITH FUNCTION @extschema@.face_embedding_to_float4(@extschema@.face_embedding, pg_catalog.int4, pg_catalog.bool)
	AS ASSIGNMENT;

CREATE CAST (@extschema@.face_embedding AS pg_catalog.float8[])
	WITH FUNCTION @extschema@.face_embedding_to_float8(@extschema@.face_embedding, pg_catalog.int4, pg_catalog.bool)
	AS ASSIGNMENT;

CREATE CAST (@extschema@.face_embedding AS pg_catalog.numeric[])
	WITH FUNCTION @extschema@.face_embedding_to_numeric(@extschema@.face_embedding, pg_catalog.int4, pg_catalog.bool)
	AS ASSIGNMENT;

/* ---------------------------------------------------- scalar functions */

CREATE FUNCTION @extschema@.bx_l2_distance(@extschema@.face_embedding, @extschema@.face_embedding)
	RETURNS pg_catalog.float8
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bx_l2_distance(@extschema@.face_embedding, @extschema@.face_embedding) IS
	'Euclidean distance (operator <->)';

CREATE FUNCTION @extschema@.bx_l2_squared_distance(@extschema@.face_embedding, @extschema@.face_embedding)
	RETURNS pg_catalog.float8
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bx_l2_squared_distance(@extschema@.face_embedding, @extschema@.face_embedding) IS
	'squared Euclidean distance: same order as <->, cheaper';

CREATE FUNCTION @extschema@.bx_cosine_distance(@extschema@.face_embedding, @extschema@.face_embedding)
	RETURNS pg_catalog.float8
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bx_cosine_distance(@extschema@.face_embedding, @extschema@.face_embedding) IS
	'1 - cosine similarity, in [0, 2] (operator <=>)';

CREATE FUNCTION @extschema@.bx_inner_product(@extschema@.face_embedding, @extschema@.face_embedding)
	RETURNS pg_catalog.float8
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bx_inner_product(@extschema@.face_embedding, @extschema@.face_embedding) IS
	'inner (dot) product';

CREATE FUNCTION @extschema@.bx_negative_inner_product(@extschema@.face_embedding, @extschema@.face_embedding)
	RETURNS pg_catalog.float8
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bx_negative_inner_product(@extschema@.face_embedding, @extschema@.face_embedding) IS
	'negative inner product, smaller is more similar (operator <#>)';

CREATE FUNCTION @extschema@.bx_similarity(@extschema@.face_embedding, @extschema@.face_embedding)
	RETURNS pg_catalog.float8
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bx_similarity(@extschema@.face_embedding, @extschema@.face_embedding) IS
	'cosine similarity in [-1, 1]: the match score';

CREATE FUNCTION @extschema@.bx_dims(@extschema@.face_embedding)
	RETURNS pg_catalog.int4
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bx_dims(@extschema@.face_embedding) IS
	'number of dimensions';

CREATE FUNCTION @extschema@.bx_norm(@extschema@.face_embedding)
	RETURNS pg_catalog.float8
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bx_norm(@extschema@.face_embedding) IS
	'Euclidean norm';

CREATE FUNCTION @extschema@.bx_normalize(@extschema@.face_embedding)
	RETURNS @extschema@.face_embedding
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bx_normalize(@extschema@.face_embedding) IS
	'the embedding scaled to norm 1, same model tag';

CREATE FUNCTION @extschema@.bx_model(@extschema@.face_embedding)
	RETURNS pg_catalog.text
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bx_model(@extschema@.face_embedding) IS
	'model tag of the embedding, NULL if untagged';

CREATE FUNCTION @extschema@.bx_set_model(@extschema@.face_embedding, pg_catalog.text)
	RETURNS @extschema@.face_embedding
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bx_set_model(@extschema@.face_embedding, pg_catalog.text) IS
	'the embedding tagged with another model name; an empty name removes the tag';

CREATE FUNCTION @extschema@.bx_build_info()
	RETURNS pg_catalog.text
	AS 'MODULE_PATHNAME' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bx_build_info() IS
	'library version and the distance-kernel variant chosen for this CPU';

/* ----------------------------------------------------------- operators */

CREATE OPERATOR @extschema@.<-> (
	LEFTARG = @extschema@.face_embedding, RIGHTARG = @extschema@.face_embedding,
	FUNCTION = @extschema@.bx_l2_distance,
	COMMUTATOR = OPERATOR(@extschema@.<->)
);
COMMENT ON OPERATOR @extschema@.<->(@extschema@.face_embedding, @extschema@.face_embedding) IS
	'Euclidean distance';

CREATE OPERATOR @extschema@.<=> (
	LEFTARG = @extschema@.face_embedding, RIGHTARG = @extschema@.face_embedding,
	FUNCTION = @extschema@.bx_cosine_distance,
	COMMUTATOR = OPERATOR(@extschema@.<=>)
);
COMMENT ON OPERATOR @extschema@.<=>(@extschema@.face_embedding, @extschema@.face_embedding) IS
	'cosine distance';

CREATE OPERATOR @extschema@.<#> (
	LEFTARG = @extschema@.face_embedding, RIGHTARG = @extschema@.face_embedding,
	FUNCTION = @extschema@.bx_negative_inner_product,
	COMMUTATOR = OPERATOR(@extschema@.<#>)
);
COMMENT ON OPERATOR @extschema@.<#>(@extschema@.face_embedding, @extschema@.face_embedding) IS
	'negative inner product';

/* ------------------------------------------------ btree operator class */

CREATE FUNCTION @extschema@.face_embedding_lt(@extschema@.face_embedding, @extschema@.face_embedding)
	RETURNS pg_catalog.bool
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.face_embedding_le(@extschema@.face_embedding, @extschema@.face_embedding)
	RETURNS pg_catalog.bool
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.face_embedding_eq(@extschema@.face_embedding, @extschema@.face_embedding)
	RETURNS pg_catalog.bool
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.face_embedding_ne(@extschema@.face_embedding, @extschema@.face_embedding)
	RETURNS pg_catalog.bool
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.face_embedding_ge(@extschema@.face_embedding, @extschema@.face_embedding)
	RETURNS pg_catalog.bool
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.face_embedding_gt(@extschema@.face_embedding, @extschema@.face_embedding)
	RETURNS pg_catalog.bool
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.face_embedding_cmp(@extschema@.face_embedding, @extschema@.face_embedding)
	RETURNS pg_catalog.int4
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE OPERATOR @extschema@.< (
	LEFTARG = @extschema@.face_embedding, RIGHTARG = @extschema@.face_embedding,
	FUNCTION = @extschema@.face_embedding_lt,
	COMMUTATOR = OPERATOR(@extschema@.>), NEGATOR = OPERATOR(@extschema@.>=),
	RESTRICT = pg_catalog.scalarltsel, JOIN = pg_catalog.scalarltjoinsel
);
CREATE OPERATOR @extschema@.<= (
	LEFTARG = @extschema@.face_embedding, RIGHTARG = @extschema@.face_embedding,
	FUNCTION = @extschema@.face_embedding_le,
	COMMUTATOR = OPERATOR(@extschema@.>=), NEGATOR = OPERATOR(@extschema@.>),
	RESTRICT = pg_catalog.scalarlesel, JOIN = pg_catalog.scalarlejoinsel
);
CREATE OPERATOR @extschema@.= (
	LEFTARG = @extschema@.face_embedding, RIGHTARG = @extschema@.face_embedding,
	FUNCTION = @extschema@.face_embedding_eq,
	COMMUTATOR = OPERATOR(@extschema@.=), NEGATOR = OPERATOR(@extschema@.<>),
	RESTRICT = pg_catalog.eqsel, JOIN = pg_catalog.eqjoinsel,
	MERGES
);
CREATE OPERATOR @extschema@.<> (
	LEFTARG = @extschema@.face_embedding, RIGHTARG = @extschema@.face_embedding,
	FUNCTION = @extschema@.face_embedding_ne,
	COMMUTATOR = OPERATOR(@extschema@.<>), NEGATOR = OPERATOR(@extschema@.=),
	RESTRICT = pg_catalog.neqsel, JOIN = pg_catalog.neqjoinsel
);
CREATE OPERATOR @extschema@.>= (
	LEFTARG = @extschema@.face_embedding, RIGHTARG = @extschema@.face_embedding,
	FUNCTION = @extschema@.face_embedding_ge,
	COMMUTATOR = OPERATOR(@extschema@.<=), NEGATOR = OPERATOR(@extschema@.<),
	RESTRICT = pg_catalog.scalargesel, JOIN = pg_catalog.scalargejoinsel
);
CREATE OPERATOR @extschema@.> (
	LEFTARG = @extschema@.face_embedding, RIGHTARG = @extschema@.face_embedding,
	FUNCTION = @extschema@.face_embedding_gt,
	COMMUTATOR = OPERATOR(@extschema@.<), NEGATOR = OPERATOR(@extschema@.<=),
	RESTRICT = pg_catalog.scalargtsel, JOIN = pg_catalog.scalargtjoinsel
);

CREATE OPERATOR CLASS @extschema@.face_embedding_ops
	DEFAULT FOR TYPE @extschema@.face_embedding USING btree AS
	OPERATOR 1 @extschema@.< ,
	OPERATOR 2 @extschema@.<= ,
	OPERATOR 3 @extschema@.= ,
	OPERATOR 4 @extschema@.>= ,
	OPERATOR 5 @extschema@.> ,
	FUNCTION 1 @extschema@.face_embedding_cmp(@extschema@.face_embedding, @extschema@.face_embedding);

COMMENT ON OPERATOR CLASS @extschema@.face_embedding_ops USING btree IS
	'total order (dimension, elements, model tag) for DISTINCT, GROUP BY and UNIQUE';

/* ---------------------------------------------------------- aggregates */

CREATE FUNCTION @extschema@.face_embedding_avg_accum(pg_catalog.internal, @extschema@.face_embedding)
	RETURNS pg_catalog.internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.face_embedding_avg_combine(pg_catalog.internal, pg_catalog.internal)
	RETURNS pg_catalog.internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.face_embedding_avg_final(pg_catalog.internal)
	RETURNS @extschema@.face_embedding
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION @extschema@.face_embedding_avg_serialize(pg_catalog.internal)
	RETURNS pg_catalog.bytea
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.face_embedding_avg_deserialize(pg_catalog.bytea, pg_catalog.internal)
	RETURNS pg_catalog.internal
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE AGGREGATE @extschema@.avg(@extschema@.face_embedding) (
	SFUNC = @extschema@.face_embedding_avg_accum,
	STYPE = pg_catalog.internal,
	FINALFUNC = @extschema@.face_embedding_avg_final,
	COMBINEFUNC = @extschema@.face_embedding_avg_combine,
	SERIALFUNC = @extschema@.face_embedding_avg_serialize,
	DESERIALFUNC = @extschema@.face_embedding_avg_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.avg(@extschema@.face_embedding) IS
	'element-wise mean (template fusion); apply bx_normalize for a unit template';

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

CREATE FUNCTION @extschema@.bx_embed_quality(photo pg_catalog.bytea, rule pg_catalog.text DEFAULT 'single',
	OUT embedding @extschema@.face_embedding, OUT status pg_catalog.text, OUT faces pg_catalog.int4,
	OUT score pg_catalog.float4, OUT eye_distance pg_catalog.float4, OUT detail pg_catalog.text)
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 10000;
COMMENT ON FUNCTION @extschema@.bx_embed_quality(pg_catalog.bytea, pg_catalog.text) IS
	'like bx_embed, but returns a status (ok, no_face, several_faces, face_too_small, invalid_image, image_too_large) instead of raising';

CREATE FUNCTION @extschema@.bx_detect(photo pg_catalog.bytea,
	OUT face pg_catalog.int4, OUT x pg_catalog.float4, OUT y pg_catalog.float4,
	OUT width pg_catalog.float4, OUT height pg_catalog.float4, OUT score pg_catalog.float4,
	OUT eye_distance pg_catalog.float4, OUT landmarks pg_catalog.float4[])
	RETURNS SETOF record
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 5000 ROWS 1;
COMMENT ON FUNCTION @extschema@.bx_detect(pg_catalog.bytea) IS
	'faces in a photo: box, score, eye distance and 5 landmarks (right eye, left eye, nose, mouth corners) as x,y pairs';

/* ------------------------------------------------- bxann access method */

CREATE FUNCTION @extschema@.bxannhandler(pg_catalog.internal)
	RETURNS pg_catalog.index_am_handler
	AS 'MODULE_PATHNAME' LANGUAGE C;

-- called by the index machinery, which checks no privilege: nobody needs EXECUTE
REVOKE EXECUTE ON FUNCTION @extschema@.bxannhandler(pg_catalog.internal) FROM PUBLIC;

CREATE ACCESS METHOD bxann TYPE INDEX HANDLER @extschema@.bxannhandler;
COMMENT ON ACCESS METHOD bxann IS
	'approximate nearest-neighbour index for face_embedding: IVF entry points, k-NN graph, 8-bit codes';

CREATE OPERATOR CLASS @extschema@.face_embedding_l2_ops
	FOR TYPE @extschema@.face_embedding USING bxann AS
	OPERATOR 1 @extschema@.<-> (@extschema@.face_embedding, @extschema@.face_embedding)
		FOR ORDER BY pg_catalog.float_ops,
	FUNCTION 1 @extschema@.bx_l2_distance(@extschema@.face_embedding, @extschema@.face_embedding);

CREATE OPERATOR CLASS @extschema@.face_embedding_cosine_ops
	FOR TYPE @extschema@.face_embedding USING bxann AS
	OPERATOR 1 @extschema@.<=> (@extschema@.face_embedding, @extschema@.face_embedding)
		FOR ORDER BY pg_catalog.float_ops,
	FUNCTION 1 @extschema@.bx_cosine_distance(@extschema@.face_embedding, @extschema@.face_embedding);

CREATE OPERATOR CLASS @extschema@.face_embedding_ip_ops
	FOR TYPE @extschema@.face_embedding USING bxann AS
	OPERATOR 1 @extschema@.<#> (@extschema@.face_embedding, @extschema@.face_embedding)
		FOR ORDER BY pg_catalog.float_ops,
	FUNCTION 1 @extschema@.bx_negative_inner_product(@extschema@.face_embedding, @extschema@.face_embedding);

CREATE FUNCTION @extschema@.bxann_index_info(index pg_catalog.regclass,
	OUT format_version pg_catalog.int4, OUT metric pg_catalog.text, OUT dims pg_catalog.int4,
	OUT lists pg_catalog.int4, OUT m pg_catalog.int4, OUT model pg_catalog.text,
	OUT build_rows pg_catalog.int8, OUT build_seconds pg_catalog.float8,
	OUT pages pg_catalog.int8, OUT element_pages pg_catalog.int8,
	OUT live_elements pg_catalog.int8, OUT deleted_elements pg_catalog.int8)
	AS 'MODULE_PATHNAME' LANGUAGE C STRICT VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bxann_index_info(pg_catalog.regclass) IS
	'what a bxann index holds: frozen build parameters, pages, live and deleted elements';

CREATE FUNCTION @extschema@.bxann_list_info(index pg_catalog.regclass,
	OUT list pg_catalog.int4, OUT pages pg_catalog.int8,
	OUT live_elements pg_catalog.int8, OUT deleted_elements pg_catalog.int8)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME' LANGUAGE C STRICT VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bxann_list_info(pg_catalog.regclass) IS
	'pages and elements of each list of a bxann index';

-- DBA tools: not for PUBLIC (they also require SELECT on the indexed table)
REVOKE EXECUTE ON FUNCTION @extschema@.bxann_index_info(pg_catalog.regclass) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.bxann_list_info(pg_catalog.regclass) FROM PUBLIC;

/* ---------------------------------------------------------- privileges */

/*
 * The schema created by CREATE EXTENSION is usable by its owner only; a DBA
 * grants USAGE on it to the roles that may use face embeddings (README).
 * The functions above are pure computations on values the caller already
 * has, so they keep PostgreSQL's default EXECUTE for PUBLIC, unreachable
 * without USAGE on the schema.
 */
