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
	OUT live_elements pg_catalog.int8, OUT deleted_elements pg_catalog.int8,
	OUT probes pg_catalog.int4)
	AS 'MODULE_PATHNAME' LANGUAGE C STRICT VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bxann_index_info(pg_catalog.regclass) IS
	'what a bxann index holds: frozen build parameters, pages, live and deleted elements, and the lists a scan probes under the current bxann.probes';

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

-- amcheck-style verification: VOLATILE (snapshot, locks) and, like amcheck's
-- functions, PARALLEL RESTRICTED; heap_check locks out VACUUM while it runs
CREATE FUNCTION @extschema@.bxann_check(index pg_catalog.regclass,
	heap_check pg_catalog.bool DEFAULT true,
	OUT lists pg_catalog.int4, OUT pages pg_catalog.int8, OUT element_pages pg_catalog.int8,
	OUT new_pages pg_catalog.int8, OUT live_elements pg_catalog.int8,
	OUT deleted_elements pg_catalog.int8, OUT edges pg_catalog.int8,
	OUT heap_tuples pg_catalog.int8)
	AS 'MODULE_PATHNAME' LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION @extschema@.bxann_check(pg_catalog.regclass, pg_catalog.bool) IS
	'verify a bxann index: metapage, list chains, elements and edges, and with heap_check that every row it must hold has an element and every element a row; raises XX002 at the first inconsistency, else returns counts';
REVOKE EXECUTE ON FUNCTION @extschema@.bxann_check(pg_catalog.regclass, pg_catalog.bool) FROM PUBLIC;

/* ------------------------------------------------ border records: tables */

/*
 * IDENT-style records (../shared/DOMAIN.md, A4): a person has travel
 * documents, face enrollments and admissions (I-94); flights carry a
 * manifest (APIS); every gate decision is an exit event; every search is
 * audited.  Keys are bigint identities; the tables hold user data, so each
 * is registered with pg_extension_config_dump and pg_dump keeps its rows.
 * Reference rows the script inserts are marked builtin and not dumped
 * (the script inserts them again on restore); builtin rows with a numeric key
 * take negative keys, so a later version's new builtin rows never collide
 * with the keys of rows users added.
 */

CREATE TABLE @extschema@.person (
	person_id pg_catalog.int8 GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	fin pg_catalog.text UNIQUE
		CHECK (fin OPERATOR(pg_catalog.~) '^[0-9A-Z]{6,20}$'),
	family_name pg_catalog.text NOT NULL
		CHECK (pg_catalog.length(family_name) OPERATOR(pg_catalog.<=) 200),
	given_names pg_catalog.text
		CHECK (pg_catalog.length(given_names) OPERATOR(pg_catalog.<=) 200),
	date_of_birth pg_catalog.date,
	sex pg_catalog.text CHECK (sex OPERATOR(pg_catalog.=) ANY (ARRAY['F', 'M', 'X'])),
	citizenship pg_catalog.text NOT NULL
		CHECK (citizenship OPERATOR(pg_catalog.~) '^[A-Z]{3}$'),
	country_of_birth pg_catalog.text
		CHECK (country_of_birth OPERATOR(pg_catalog.~) '^[A-Z]{3}$'),
	created_at pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE @extschema@.person IS
	'a traveller: biographic data; citizenship is an ISO 3166-1 alpha-3 code (USA for US citizens)';
COMMENT ON COLUMN @extschema@.person.fin IS
	'Fingerprint Identification Number or another person-centric identifier from IDENT';
CREATE INDEX person_citizenship_idx ON @extschema@.person (citizenship);

CREATE TABLE @extschema@.travel_document (
	document_id pg_catalog.int8 GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	person_id pg_catalog.int8 NOT NULL
		REFERENCES @extschema@.person ON DELETE CASCADE,
	document_type pg_catalog.text NOT NULL
		CHECK (document_type OPERATOR(pg_catalog.=) ANY (ARRAY['passport', 'visa', 'travel_permit', 'other'])),
	document_number pg_catalog.text NOT NULL
		CHECK (document_number OPERATOR(pg_catalog.~) '^[0-9A-Z]{1,20}$'),
	issuing_country pg_catalog.text NOT NULL
		CHECK (issuing_country OPERATOR(pg_catalog.~) '^[A-Z]{3}$'),
	visa_class pg_catalog.text,
	issued_on pg_catalog.date,
	expires_on pg_catalog.date,
	CHECK (expires_on OPERATOR(pg_catalog.>) issued_on),
	UNIQUE (document_type, issuing_country, document_number),
	UNIQUE (document_id, person_id)
);
COMMENT ON TABLE @extschema@.travel_document IS 'passports, visas and other travel documents of a person';
CREATE INDEX travel_document_person_idx ON @extschema@.travel_document (person_id);

CREATE TABLE @extschema@.enrollment (
	enrollment_id pg_catalog.int8 GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	person_id pg_catalog.int8 NOT NULL
		REFERENCES @extschema@.person ON DELETE CASCADE,
	source pg_catalog.text NOT NULL
		CHECK (source OPERATOR(pg_catalog.=) ANY (ARRAY['visa', 'passport', 'entry', 'exit', 'other'])),
	captured_at pg_catalog.timestamptz NOT NULL,
	template @extschema@.face_embedding NOT NULL,
	model pg_catalog.text GENERATED ALWAYS AS (@extschema@.bx_model(template)) STORED
		CONSTRAINT enrollment_template_tagged CHECK (model IS NOT NULL),
	quality pg_catalog.float4
		CHECK (quality OPERATOR(pg_catalog.>=) 0 AND quality OPERATOR(pg_catalog.<=) 1),
	photo pg_catalog.bytea
);
COMMENT ON TABLE @extschema@.enrollment IS
	'face templates of a person (the gallery), with the source photo''s origin and capture time';
COMMENT ON COLUMN @extschema@.enrollment.model IS
	'model tag of the template; galleries only compare templates of the probe''s model';
COMMENT ON COLUMN @extschema@.enrollment.quality IS
	'face detector score of the source photo, 0 to 1';
CREATE INDEX enrollment_person_idx ON @extschema@.enrollment (person_id, model);

CREATE TABLE @extschema@.class_of_admission (
	code pg_catalog.text PRIMARY KEY CHECK (code OPERATOR(pg_catalog.~) '^[A-Z0-9]{1,5}$'),
	class_group pg_catalog.text NOT NULL
		CHECK (class_group OPERATOR(pg_catalog.=) ANY (ARRAY['VWP', 'B1B2', 'F', 'M', 'J', 'OTHER'])),
	description pg_catalog.text NOT NULL,
	report_scope pg_catalog.bool NOT NULL,
	ds_grace_days pg_catalog.int4 NOT NULL DEFAULT 0 CHECK (ds_grace_days OPERATOR(pg_catalog.>=) 0),
	builtin pg_catalog.bool NOT NULL DEFAULT false
);
COMMENT ON TABLE @extschema@.class_of_admission IS
	'I-94 classes of admission: the overstay report''s class group, whether the report counts them, the grace after a duration-of-status programme ends';

INSERT INTO @extschema@.class_of_admission
	(code, class_group, description, report_scope, ds_grace_days, builtin) VALUES
	('WT', 'VWP', 'Visa Waiver Program, tourist', true, 0, true),
	('WB', 'VWP', 'Visa Waiver Program, business', true, 0, true),
	('B1', 'B1B2', 'visitor for business', true, 0, true),
	('B2', 'B1B2', 'visitor for pleasure', true, 0, true),
	('B1B2', 'B1B2', 'visitor for business and pleasure', true, 0, true),
	('F1', 'F', 'academic student', true, 60, true),
	('F2', 'F', 'spouse or child of an F-1 student', true, 60, true),
	('M1', 'M', 'vocational student', true, 30, true),
	('M2', 'M', 'spouse or child of an M-1 student', true, 30, true),
	('J1', 'J', 'exchange visitor', true, 30, true),
	('J2', 'J', 'spouse or child of a J-1 exchange visitor', true, 30, true),
	('H1B', 'OTHER', 'temporary worker in a specialty occupation', true, 0, true),
	('H2A', 'OTHER', 'temporary agricultural worker', true, 0, true),
	('H2B', 'OTHER', 'temporary non-agricultural worker', true, 0, true),
	('L1', 'OTHER', 'intracompany transferee', true, 0, true),
	('O1', 'OTHER', 'person of extraordinary ability', true, 0, true),
	('E2', 'OTHER', 'treaty investor', true, 0, true),
	('TN', 'OTHER', 'USMCA professional', true, 0, true),
	('A1', 'OTHER', 'diplomat (not in the overstay report)', false, 0, true),
	('G4', 'OTHER', 'international organisation staff (not in the overstay report)', false, 0, true),
	('C1', 'OTHER', 'alien in transit (not in the overstay report)', false, 0, true),
	('D1', 'OTHER', 'crew member (not in the overstay report)', false, 0, true);

CREATE TABLE @extschema@.admission (
	admission_number pg_catalog.text PRIMARY KEY
		CHECK (admission_number OPERATOR(pg_catalog.~) '^[0-9A-Z]{11}$'),
	person_id pg_catalog.int8 NOT NULL REFERENCES @extschema@.person,
	class_of_admission pg_catalog.text NOT NULL REFERENCES @extschema@.class_of_admission,
	port_of_entry pg_catalog.text NOT NULL
		CHECK (port_of_entry OPERATOR(pg_catalog.~) '^[A-Z0-9]{3,4}$'),
	mode pg_catalog.text NOT NULL DEFAULT 'air'
		CHECK (mode OPERATOR(pg_catalog.=) ANY (ARRAY['air', 'sea', 'land'])),
	admitted_on pg_catalog.date NOT NULL,
	admit_until pg_catalog.date,
	duration_of_status pg_catalog.bool NOT NULL DEFAULT false,
	program_end_date pg_catalog.date,
	status_changed_on pg_catalog.date,
	CONSTRAINT admission_until_or_ds
		CHECK ((admit_until IS NULL) OPERATOR(pg_catalog.=) duration_of_status),
	CONSTRAINT admission_until_after_admission
		CHECK (admit_until OPERATOR(pg_catalog.>=) admitted_on),
	CONSTRAINT admission_program_end_only_for_ds
		CHECK (program_end_date IS NULL OR duration_of_status),
	CONSTRAINT admission_program_end_after_admission
		CHECK (program_end_date OPERATOR(pg_catalog.>=) admitted_on),
	CONSTRAINT admission_status_change_after_admission
		CHECK (status_changed_on OPERATOR(pg_catalog.>=) admitted_on)
);
COMMENT ON TABLE @extschema@.admission IS
	'I-94 admission records: class, port, admitted date and admit-until date or duration of status (D/S)';
COMMENT ON COLUMN @extschema@.admission.admission_number IS 'I-94 record number, 11 characters, new at each entry';
COMMENT ON COLUMN @extschema@.admission.program_end_date IS
	'D/S only: end of the SEVIS programme (I-20/DS-2019 plus practical training); NULL while unknown';
COMMENT ON COLUMN @extschema@.admission.status_changed_on IS
	'date an extension, change or adjustment of status was filed; filed on or before the expected departure (timely), it closes the admission in time';
CREATE INDEX admission_person_idx ON @extschema@.admission (person_id, admitted_on);
CREATE INDEX admission_until_idx ON @extschema@.admission (admit_until);

CREATE TABLE @extschema@.flight (
	flight_id pg_catalog.int8 GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	carrier pg_catalog.text NOT NULL CHECK (carrier OPERATOR(pg_catalog.~) '^[A-Z0-9]{2,3}$'),
	flight_number pg_catalog.text NOT NULL CHECK (flight_number OPERATOR(pg_catalog.~) '^[0-9]{1,4}[A-Z]?$'),
	departure_airport pg_catalog.text NOT NULL CHECK (departure_airport OPERATOR(pg_catalog.~) '^[A-Z]{3}$'),
	arrival_airport pg_catalog.text NOT NULL CHECK (arrival_airport OPERATOR(pg_catalog.~) '^[A-Z]{3}$'),
	departure_date pg_catalog.date NOT NULL,
	scheduled_departure pg_catalog.timestamptz,
	UNIQUE (carrier, flight_number, departure_date)
);
COMMENT ON TABLE @extschema@.flight IS 'departing international flights';
COMMENT ON COLUMN @extschema@.flight.departure_date IS
	'local date of departure: the date of the departure record a match creates';

CREATE TABLE @extschema@.manifest (
	flight_id pg_catalog.int8 NOT NULL REFERENCES @extschema@.flight ON DELETE CASCADE,
	person_id pg_catalog.int8 NOT NULL REFERENCES @extschema@.person ON DELETE CASCADE,
	document_id pg_catalog.int8,
	PRIMARY KEY (flight_id, person_id),
	-- the document a traveller boards with is their own
	CONSTRAINT manifest_document_of_person FOREIGN KEY (document_id, person_id)
		REFERENCES @extschema@.travel_document (document_id, person_id) ON DELETE SET NULL (document_id)
);
COMMENT ON TABLE @extschema@.manifest IS
	'APIS manifest: who is expected on which departing flight; the flight''s gallery is their enrollments';
CREATE INDEX manifest_person_idx ON @extschema@.manifest (person_id);

CREATE TABLE @extschema@.match_threshold (
	threshold_id pg_catalog.int8 GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	model pg_catalog.text NOT NULL,
	purpose pg_catalog.text NOT NULL
		CHECK (purpose OPERATOR(pg_catalog.=) ANY (ARRAY['identification', 'verification'])),
	threshold pg_catalog.float4 NOT NULL
		CHECK (threshold OPERATOR(pg_catalog.>=) -1 AND threshold OPERATOR(pg_catalog.<=) 1),
	operating_point pg_catalog.text NOT NULL,
	measured_error pg_catalog.text,
	method pg_catalog.text NOT NULL,
	valid_from pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.now(),
	builtin pg_catalog.bool NOT NULL DEFAULT false,
	UNIQUE (model, purpose, valid_from)
);
COMMENT ON TABLE @extschema@.match_threshold IS
	'score thresholds per model and purpose with their operating point; the newest row whose valid_from has passed applies; insert a row to change one';

CREATE TABLE @extschema@.exit_event (
	exit_event_id pg_catalog.int8 GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	occurred_at pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.statement_timestamp(),
	requested_flight_id pg_catalog.int8,
	flight_id pg_catalog.int8 REFERENCES @extschema@.flight,
	decision pg_catalog.text NOT NULL
		CHECK (decision OPERATOR(pg_catalog.=) ANY (ARRAY['match', 'no_match'])),
	reason pg_catalog.text,
	person_id pg_catalog.int8 REFERENCES @extschema@.person,
	score pg_catalog.float4,
	runner_up_score pg_catalog.float4,
	threshold pg_catalog.float4,
	model pg_catalog.text,
	gallery_size pg_catalog.int4,
	recorded_by pg_catalog.name NOT NULL DEFAULT SESSION_USER,
	probe_template @extschema@.face_embedding,
	probe_photo pg_catalog.bytea,
	probe_purged_at pg_catalog.timestamptz,
	resolved_person_id pg_catalog.int8 REFERENCES @extschema@.person,
	resolved_by pg_catalog.name,
	resolved_at pg_catalog.timestamptz,
	resolution_note pg_catalog.text,
	CONSTRAINT exit_event_match_has_person
		CHECK ((decision OPERATOR(pg_catalog.=) 'match') OPERATOR(pg_catalog.=) (person_id IS NOT NULL)),
	CONSTRAINT exit_event_no_match_has_reason
		CHECK ((decision OPERATOR(pg_catalog.=) 'no_match') OPERATOR(pg_catalog.=) (reason IS NOT NULL)),
	CONSTRAINT exit_event_resolution_of_no_match
		CHECK (resolved_person_id IS NULL OR decision OPERATOR(pg_catalog.=) 'no_match')
);
COMMENT ON TABLE @extschema@.exit_event IS
	'every gate decision, matched or not, with score, threshold and gallery size; written only by bx_match';
COMMENT ON COLUMN @extschema@.exit_event.requested_flight_id IS
	'the flight the gate asked for; flight_id is NULL when it does not exist';
COMMENT ON COLUMN @extschema@.exit_event.reason IS
	'why it is not a match: no_photo, no_probe, no_face, face_too_small, invalid_image, image_too_large, unknown_flight, nobody_enrolled, below_threshold';
COMMENT ON COLUMN @extschema@.exit_event.probe_photo IS
	'the gate photo; bx_apply_retention() clears it (and probe_template) for US citizens after bxexit.citizen_photo_retention';
COMMENT ON COLUMN @extschema@.exit_event.resolved_person_id IS
	'set by bx_resolve_exit() when an officer confirms who a no-match traveller was';
CREATE INDEX exit_event_person_idx ON @extschema@.exit_event (person_id);
CREATE INDEX exit_event_resolved_person_idx ON @extschema@.exit_event (resolved_person_id)
	WHERE resolved_person_id IS NOT NULL;
CREATE INDEX exit_event_flight_idx ON @extschema@.exit_event (flight_id);
CREATE INDEX exit_event_occurred_idx ON @extschema@.exit_event (occurred_at);

CREATE TABLE @extschema@.search_audit (
	audit_id pg_catalog.int8 GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	occurred_at pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
	searched_by pg_catalog.name NOT NULL DEFAULT SESSION_USER,
	searched_as pg_catalog.name
		DEFAULT NULLIF(pg_catalog.current_setting('role'), 'none')::pg_catalog.name,
	search pg_catalog.text NOT NULL
		CHECK (search OPERATOR(pg_catalog.=) ANY (ARRAY['match', 'verify', 'identify'])),
	model pg_catalog.text,
	flight_id pg_catalog.int8,
	claimed_person_id pg_catalog.int8,
	k pg_catalog.int4,
	gallery_size pg_catalog.int8,
	candidates pg_catalog.int4,
	top_person_id pg_catalog.int8,
	top_score pg_catalog.float4,
	outcome pg_catalog.text,
	exit_event_id pg_catalog.int8
);
COMMENT ON TABLE @extschema@.search_audit IS
	'one row per 1:1 (verify) and 1:N (match, identify) search: who, when, what, outcome; written only by the search functions';
COMMENT ON COLUMN @extschema@.search_audit.searched_by IS 'the login (session user) that searched';
COMMENT ON COLUMN @extschema@.search_audit.searched_as IS
	'the role the session had set with SET ROLE (a pooler''s per-application role), NULL if none';
CREATE INDEX search_audit_occurred_idx ON @extschema@.search_audit (occurred_at);

SELECT pg_catalog.pg_extension_config_dump('@extschema@.person', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.travel_document', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.enrollment', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.class_of_admission', 'WHERE NOT builtin');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.admission', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.flight', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.manifest', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.match_threshold', 'WHERE NOT builtin');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.exit_event', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.search_audit', '');
-- the identity sequences too, or a restored database hands out keys from 1 again
SELECT pg_catalog.pg_extension_config_dump('@extschema@.person_person_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.travel_document_document_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.enrollment_enrollment_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.flight_flight_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.match_threshold_threshold_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.exit_event_exit_event_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.search_audit_audit_id_seq', '');

/*
 * Thresholds shipped with the extension: cosine similarity of
 * mobilefacenet-v1 templates made by bx_embed at the default detector size
 * (320).  They were measured by bench/faces.sh on the shared face photos;
 * bench/RESULTS.md has the protocol and figures.  A DBA who calibrates on
 * their own data inserts a newer row; the newest valid row applies.
 */
INSERT INTO @extschema@.match_threshold
	(threshold_id, model, purpose, threshold, operating_point, measured_error, method, valid_from, builtin)
	OVERRIDING SYSTEM VALUE VALUES
	(-1, 'mobilefacenet-v1', 'identification', 0.53,
	 'FPIR 0.003 at gallery size 420 (NIST FRVT Part 7 boarding-gate operating point)',
	 'FPIR 0.0023 (11/4,820 non-mated searches); FNIR 1.67% with one enrolled photo per person, 0.31% with two',
	 'bench/faces.sh, detector 320: 20 seeded splits of 420-identity galleries (40 ORL subjects + 380 LFW singletons), the other LFW singletons as non-mated searches; the smallest 0.001 step above the (floor(0.003 N)+1)-th highest non-mated score (0.527), rounded up to 0.01',
	 '-infinity', true),
	(-2, 'mobilefacenet-v1', 'verification', 0.44,
	 'FMR 1e-4 (1:1 comparison)',
	 'FNMR 1.06% at FMR 1e-4 (1,800 mated, 527,106 non-mated pairs)',
	 'bench/faces.sh, detector 320: ORL mated pairs against ORL and LFW-singleton impostor pairs; the threshold of FMR 1e-4 (0.439) rounded up',
	 '-infinity', true);

CREATE FUNCTION @extschema@.bx_threshold(model pg_catalog.text, purpose pg_catalog.text)
	RETURNS pg_catalog.float4
	LANGUAGE sql STABLE STRICT PARALLEL SAFE
	BEGIN ATOMIC
		SELECT t.threshold FROM @extschema@.match_threshold t
		 WHERE t.model OPERATOR(pg_catalog.=) bx_threshold.model
		   AND t.purpose OPERATOR(pg_catalog.=) bx_threshold.purpose
		   AND t.valid_from OPERATOR(pg_catalog.<=) pg_catalog.now()
		 ORDER BY t.valid_from DESC LIMIT 1;
	END;
COMMENT ON FUNCTION @extschema@.bx_threshold(pg_catalog.text, pg_catalog.text) IS
	'the score threshold in force for a model and purpose (identification or verification), NULL if none';

/* -------------------------------------------- border records: searches */

/*
 * The search functions run SECURITY DEFINER: gate systems and officers
 * search the gallery without being able to read it, and only these
 * functions write exit events and audit rows.  Their search_path is pinned
 * and every object they use is schema-qualified.
 *
 * Audit rows are written in the caller's transaction, so a caller that
 * rolls back also removes them; every search therefore also writes a LOG
 * line to the server log, which no rollback removes.
 */

/*
 * The model of a probe, checked: it must be tagged, and a threshold for the
 * purpose must exist.  Raises 22000 otherwise.
 */
CREATE FUNCTION @extschema@.bx_probe_threshold(probe @extschema@.face_embedding, purpose pg_catalog.text,
	OUT model pg_catalog.text, OUT threshold pg_catalog.float4)
	LANGUAGE plpgsql STABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
	AS $$
BEGIN
	model := @extschema@.bx_model(probe);
	IF model IS NULL THEN
		RAISE EXCEPTION 'probe embedding has no model tag'
			USING ERRCODE = 'data_exception',
				  HINT = 'Templates from bx_embed carry their model; tag others with bx_set_model().';
	END IF;
	threshold := @extschema@.bx_threshold(model, purpose);
	IF threshold IS NULL THEN
		RAISE EXCEPTION 'no % threshold for model "%"', purpose, model
			USING ERRCODE = 'data_exception',
				  DETAIL = 'Probes are compared only with templates of their own model, at that model''s threshold.',
				  HINT = 'See table bxexit.match_threshold.';
	END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.bx_probe_threshold(@extschema@.face_embedding, pg_catalog.text) IS
	'internal: the model of a probe and its threshold for a purpose; raises 22000 when either is missing';

/*
 * Decide one gate encounter and record it: the flight's gallery is every
 * enrolled template (of the probe's model) of every person on its
 * manifest; a person scores by their best template; the best person
 * matches when the score reaches the identification threshold.
 */
CREATE FUNCTION @extschema@.bx_decide_exit(probe @extschema@.face_embedding, photo pg_catalog.bytea,
	acquisition pg_catalog.text, requested_flight pg_catalog.int8,
	OUT decision pg_catalog.text, OUT person_id pg_catalog.int8, OUT score pg_catalog.float4,
	OUT margin pg_catalog.float4, OUT reason pg_catalog.text, OUT gallery_size pg_catalog.int4,
	OUT threshold pg_catalog.float4, OUT exit_event_id pg_catalog.int8)
	LANGUAGE plpgsql VOLATILE
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	v_flight int8;
	v_model text;
	v_runner_up float4;
	v_best int8;
	g record;
BEGIN
	SELECT f.flight_id INTO v_flight FROM @extschema@.flight f WHERE f.flight_id = requested_flight;
	gallery_size := 0;
	IF acquisition = 'ok' THEN
		SELECT t.model, t.threshold INTO v_model, threshold
		  FROM @extschema@.bx_probe_threshold(probe, 'identification') t;
	END IF;

	IF v_flight IS NULL THEN
		reason := 'unknown_flight';
	ELSIF acquisition <> 'ok' THEN
		reason := acquisition;
	ELSE
		FOR g IN
			SELECT e.person_id AS pid,
				   max(@extschema@.bx_similarity(e.template, probe))::float4 AS s,
				   count(*) OVER () AS n
			  FROM @extschema@.manifest m
			  JOIN @extschema@.enrollment e ON e.person_id = m.person_id
			 WHERE m.flight_id = v_flight AND e.model = v_model
			 GROUP BY e.person_id
			 ORDER BY s DESC, pid
			 LIMIT 2
		LOOP
			IF v_best IS NULL THEN
				v_best := g.pid;
				score := g.s;
				gallery_size := g.n;
			ELSE
				v_runner_up := g.s;
			END IF;
		END LOOP;
		margin := score - v_runner_up;
		IF v_best IS NULL THEN
			reason := 'nobody_enrolled';
		ELSIF score < threshold THEN
			reason := 'below_threshold';
		ELSE
			person_id := v_best;
		END IF;
	END IF;
	decision := CASE WHEN reason IS NULL THEN 'match' ELSE 'no_match' END;

	INSERT INTO @extschema@.exit_event AS x
		(requested_flight_id, flight_id, decision, reason, person_id, score, runner_up_score,
		 threshold, model, gallery_size, probe_template, probe_photo)
	VALUES (requested_flight, v_flight, decision, reason, person_id, score, v_runner_up,
			threshold, v_model, gallery_size, probe,
			CASE WHEN acquisition IN ('invalid_image', 'image_too_large') THEN NULL ELSE photo END)
	RETURNING x.exit_event_id INTO exit_event_id;

	INSERT INTO @extschema@.search_audit
		(search, model, flight_id, gallery_size, candidates, top_person_id, top_score, outcome, exit_event_id)
	VALUES ('match', v_model, requested_flight, gallery_size, gallery_size, v_best, score,
			coalesce(reason, decision), exit_event_id);
	RAISE LOG 'bxexit audit: match by %, flight %, % (%), exit event %',
		session_user, requested_flight, decision, coalesce(reason, 'matched'), exit_event_id;
END
$$;
COMMENT ON FUNCTION @extschema@.bx_decide_exit(@extschema@.face_embedding, pg_catalog.bytea, pg_catalog.text, pg_catalog.int8) IS
	'internal: score a probe against a flight''s gallery, record the exit event and the audit row';

CREATE FUNCTION @extschema@.bx_match(photo pg_catalog.bytea, flight_id pg_catalog.int8,
	OUT decision pg_catalog.text, OUT person_id pg_catalog.int8, OUT score pg_catalog.float4,
	OUT margin pg_catalog.float4, OUT reason pg_catalog.text, OUT gallery_size pg_catalog.int4,
	OUT threshold pg_catalog.float4, OUT exit_event_id pg_catalog.int8)
	LANGUAGE plpgsql VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	q record;
BEGIN
	IF photo IS NULL THEN
		SELECT NULL::@extschema@.face_embedding AS embedding, 'no_photo' AS status INTO q;
	ELSIF NOT EXISTS (SELECT FROM @extschema@.flight f WHERE f.flight_id = bx_match.flight_id) THEN
		-- no gallery to search: spare the face pipeline (the decision is unknown_flight)
		SELECT NULL::@extschema@.face_embedding AS embedding, 'not_processed' AS status INTO q;
	ELSE
		-- the traveller at the camera is the largest face; people queueing behind are smaller
		SELECT e.embedding, e.status INTO q FROM @extschema@.bx_embed_quality(photo, 'largest') e;
	END IF;
	SELECT d.* INTO decision, person_id, score, margin, reason, gallery_size, threshold, exit_event_id
	  FROM @extschema@.bx_decide_exit(q.embedding, photo, q.status, bx_match.flight_id) d;
END
$$;
COMMENT ON FUNCTION @extschema@.bx_match(pg_catalog.bytea, pg_catalog.int8) IS
	'gate decision for a photo on a flight: match or no_match with person, score, margin to the runner-up and reason; records the exit event';

CREATE FUNCTION @extschema@.bx_match(probe @extschema@.face_embedding, flight_id pg_catalog.int8,
	OUT decision pg_catalog.text, OUT person_id pg_catalog.int8, OUT score pg_catalog.float4,
	OUT margin pg_catalog.float4, OUT reason pg_catalog.text, OUT gallery_size pg_catalog.int4,
	OUT threshold pg_catalog.float4, OUT exit_event_id pg_catalog.int8)
	LANGUAGE plpgsql VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	AS $$
BEGIN
	SELECT d.* INTO decision, person_id, score, margin, reason, gallery_size, threshold, exit_event_id
	  FROM @extschema@.bx_decide_exit(probe, NULL,
			CASE WHEN probe IS NULL THEN 'no_probe' ELSE 'ok' END, bx_match.flight_id) d;
END
$$;
COMMENT ON FUNCTION @extschema@.bx_match(@extschema@.face_embedding, pg_catalog.int8) IS
	'gate decision for a probe template on a flight (as bx_match(photo, flight) without the photo step)';

CREATE FUNCTION @extschema@.bx_verify(probe @extschema@.face_embedding, person_id pg_catalog.int8,
	OUT decision pg_catalog.text, OUT score pg_catalog.float4, OUT threshold pg_catalog.float4,
	OUT templates pg_catalog.int4, OUT reason pg_catalog.text)
	LANGUAGE plpgsql VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	v_model text;
BEGIN
	IF probe IS NULL OR person_id IS NULL THEN
		RAISE EXCEPTION 'bx_verify needs a probe and a person'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	SELECT t.model, t.threshold INTO v_model, threshold
	  FROM @extschema@.bx_probe_threshold(probe, 'verification') t;
	IF NOT EXISTS (SELECT FROM @extschema@.person p WHERE p.person_id = bx_verify.person_id) THEN
		reason := 'unknown_person';
		templates := 0;
	ELSE
		SELECT max(@extschema@.bx_similarity(e.template, probe))::float4, count(*)
		  INTO score, templates
		  FROM @extschema@.enrollment e
		 WHERE e.person_id = bx_verify.person_id AND e.model = v_model;
		IF templates = 0 THEN
			reason := 'nobody_enrolled';
		ELSIF score < threshold THEN
			reason := 'below_threshold';
		END IF;
	END IF;
	decision := CASE WHEN reason IS NULL THEN 'match' ELSE 'no_match' END;

	INSERT INTO @extschema@.search_audit
		(search, model, claimed_person_id, gallery_size, candidates, top_score, outcome)
	VALUES ('verify', v_model, bx_verify.person_id, templates, templates, score, coalesce(reason, decision));
	RAISE LOG 'bxexit audit: verify by % against person %: %',
		session_user, bx_verify.person_id, coalesce(reason, decision);
END
$$;
COMMENT ON FUNCTION @extschema@.bx_verify(@extschema@.face_embedding, pg_catalog.int8) IS
	'1:1: does the probe match this person''s best enrolled template at the verification threshold; audited';

CREATE FUNCTION @extschema@.bx_verify(photo pg_catalog.bytea, person_id pg_catalog.int8,
	OUT decision pg_catalog.text, OUT score pg_catalog.float4, OUT threshold pg_catalog.float4,
	OUT templates pg_catalog.int4, OUT reason pg_catalog.text)
	LANGUAGE sql VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	BEGIN ATOMIC
		SELECT v.* FROM @extschema@.bx_verify(@extschema@.bx_embed(photo, 'largest'), person_id) v;
	END;
COMMENT ON FUNCTION @extschema@.bx_verify(pg_catalog.bytea, pg_catalog.int8) IS
	'1:1 verification of a photo (its largest face) against a person; audited';

/*
 * 1:N across every enrollment of the probe's model, nearest first, one row
 * per person.  The ORDER BY ... LIMIT form lets a bxann index on
 * enrollment.template (cosine) serve it; as people may have several
 * templates, the limit grows until k people are found or the table is
 * exhausted.
 */
CREATE FUNCTION @extschema@.bx_identify(probe @extschema@.face_embedding, k pg_catalog.int4 DEFAULT 10)
	RETURNS TABLE (rank pg_catalog.int4, person_id pg_catalog.int8, score pg_catalog.float4,
				   enrollment_id pg_catalog.int8, above_threshold pg_catalog.bool)
	LANGUAGE plpgsql VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	ROWS 10
	AS $$
DECLARE
	v_model text;
	v_threshold float4;
	v_gallery_dims int4;
	v_limit int8;
	v_fetched int8;
	v_people int8[];
	v_enrollments int8[];
	v_distances float8[];
	v_seen int8[] := '{}';
	i int4;
BEGIN
	IF probe IS NULL OR k IS NULL THEN
		RAISE EXCEPTION 'bx_identify needs a probe and k'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF k < 1 OR k > 1000 THEN
		RAISE EXCEPTION 'k must be between 1 and 1000, not %', k
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	SELECT t.model, t.threshold INTO v_model, v_threshold
	  FROM @extschema@.bx_probe_threshold(probe, 'identification') t;
	SELECT @extschema@.bx_dims(e.template) INTO v_gallery_dims
	  FROM @extschema@.enrollment e WHERE e.model = v_model LIMIT 1;
	IF v_gallery_dims <> @extschema@.bx_dims(probe) THEN
		RAISE EXCEPTION 'probe has % dimensions, templates of model "%" have %',
			@extschema@.bx_dims(probe), v_model, v_gallery_dims
			USING ERRCODE = 'data_exception';
	END IF;

	/*
	 * The gallery column has no typmod (templates of several models may
	 * coexist), so a bxann index on it is an expression index on the cast
	 * to the model's dimensions, usually partial on the model (README).
	 * The query spells the same expression so the planner can use it.
	 */
	v_limit := greatest(4 * k, 40);
	LOOP
		EXECUTE pg_catalog.format(
			'SELECT array_agg(c.pid ORDER BY c.d, c.eid), array_agg(c.eid ORDER BY c.d, c.eid),
					array_agg(c.d ORDER BY c.d, c.eid), count(*)
			   FROM (SELECT e.person_id AS pid, e.enrollment_id AS eid,
							e.template::@extschema@.face_embedding(%s) OPERATOR(@extschema@.<=>) $1 AS d
					   FROM @extschema@.enrollment e
					  WHERE e.model = %L
					  ORDER BY e.template::@extschema@.face_embedding(%s) OPERATOR(@extschema@.<=>) $1
					  LIMIT $2) c',
			@extschema@.bx_dims(probe), v_model, @extschema@.bx_dims(probe))
		  INTO v_people, v_enrollments, v_distances, v_fetched
		 USING probe, v_limit;
		EXIT WHEN v_fetched < v_limit
			OR (SELECT count(DISTINCT p) FROM unnest(v_people) p) >= k;
		v_limit := v_limit * 4;
	END LOOP;

	rank := 0;
	FOR i IN 1 .. coalesce(array_length(v_people, 1), 0) LOOP
		CONTINUE WHEN v_people[i] = ANY (v_seen);
		v_seen := v_seen || v_people[i];
		rank := rank + 1;
		person_id := v_people[i];
		enrollment_id := v_enrollments[i];
		score := (1 - v_distances[i])::float4;
		above_threshold := score >= v_threshold;
		RETURN NEXT;
		EXIT WHEN rank >= k;
	END LOOP;

	INSERT INTO @extschema@.search_audit
		(search, model, k, candidates, top_person_id, top_score, outcome)
	VALUES ('identify', v_model, k, rank, v_people[1], (1 - v_distances[1])::float4,
			CASE WHEN rank = 0 THEN 'nobody_enrolled'
				 WHEN (1 - v_distances[1]) >= v_threshold THEN 'candidate_above_threshold'
				 ELSE 'below_threshold' END);
	RAISE LOG 'bxexit audit: identify by %, k %, % candidates', session_user, k, rank;
END
$$;
COMMENT ON FUNCTION @extschema@.bx_identify(@extschema@.face_embedding, pg_catalog.int4) IS
	'1:N: the k people whose enrolled templates are nearest the probe, best first, flagged at the identification threshold; audited; uses a bxann index on enrollment.template when there is one';

CREATE FUNCTION @extschema@.bx_identify(photo pg_catalog.bytea, k pg_catalog.int4 DEFAULT 10)
	RETURNS TABLE (rank pg_catalog.int4, person_id pg_catalog.int8, score pg_catalog.float4,
				   enrollment_id pg_catalog.int8, above_threshold pg_catalog.bool)
	LANGUAGE sql VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	ROWS 10
	BEGIN ATOMIC
		SELECT i.* FROM @extschema@.bx_identify(@extschema@.bx_embed(photo, 'largest'), k) i;
	END;
COMMENT ON FUNCTION @extschema@.bx_identify(pg_catalog.bytea, pg_catalog.int4) IS
	'1:N identification of a photo (its largest face) across all enrollments; audited';

/* ------------------------------------- border records: officers, retention */

CREATE FUNCTION @extschema@.bx_resolve_exit(exit_event_id pg_catalog.int8, person_id pg_catalog.int8,
	note pg_catalog.text DEFAULT NULL)
	RETURNS void
	LANGUAGE plpgsql VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	v_event record;
BEGIN
	SELECT x.decision, x.flight_id, x.resolved_person_id INTO v_event
	  FROM @extschema@.exit_event x WHERE x.exit_event_id = bx_resolve_exit.exit_event_id
	   FOR UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'exit event % does not exist', exit_event_id USING ERRCODE = 'no_data_found';
	END IF;
	IF v_event.decision <> 'no_match' OR v_event.flight_id IS NULL THEN
		RAISE EXCEPTION 'exit event % is not a no-match on a known flight', exit_event_id
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Only no-match decisions on known flights are resolved by an officer.';
	END IF;
	IF v_event.resolved_person_id IS NOT NULL THEN
		RAISE EXCEPTION 'exit event % is already resolved', exit_event_id
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF NOT EXISTS (SELECT FROM @extschema@.person p WHERE p.person_id = bx_resolve_exit.person_id) THEN
		RAISE EXCEPTION 'person % does not exist', person_id USING ERRCODE = 'foreign_key_violation';
	END IF;
	UPDATE @extschema@.exit_event x
	   SET resolved_person_id = bx_resolve_exit.person_id, resolved_by = session_user,
		   resolved_at = pg_catalog.now(), resolution_note = note
	 WHERE x.exit_event_id = bx_resolve_exit.exit_event_id;
END
$$;
COMMENT ON FUNCTION @extschema@.bx_resolve_exit(pg_catalog.int8, pg_catalog.int8, pg_catalog.text) IS
	'an officer confirms who a no-match traveller was (document check): the event then counts as that person''s departure';

CREATE FUNCTION @extschema@.bx_citizen_photo_retention()
	RETURNS pg_catalog.interval
	AS 'MODULE_PATHNAME', 'bx_citizen_photo_retention_period'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bx_citizen_photo_retention() IS
	'the setting bxexit.citizen_photo_retention as an interval';

/*
 * CBP keeps photos of US citizens at most 12 hours after verification.
 * Probes whose traveller is unknown (no match, not resolved) stay until an
 * officer resolves them, as their citizenship is unknown.
 */
CREATE FUNCTION @extschema@.bx_apply_retention(OUT probes_purged pg_catalog.int8,
	OUT enrollments_deleted pg_catalog.int8)
	LANGUAGE plpgsql VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	v_cutoff timestamptz := pg_catalog.now() - @extschema@.bx_citizen_photo_retention();
BEGIN
	UPDATE @extschema@.exit_event x
	   SET probe_photo = NULL, probe_template = NULL, probe_purged_at = pg_catalog.now()
	  FROM @extschema@.person p
	 WHERE p.person_id = coalesce(x.person_id, x.resolved_person_id)
	   AND p.citizenship = 'USA'
	   AND x.occurred_at < v_cutoff
	   AND (x.probe_photo IS NOT NULL OR x.probe_template IS NOT NULL);
	GET DIAGNOSTICS probes_purged = ROW_COUNT;

	DELETE FROM @extschema@.enrollment e
	 USING @extschema@.person p
	 WHERE p.person_id = e.person_id
	   AND p.citizenship = 'USA'
	   AND e.source = 'exit'
	   AND e.captured_at < v_cutoff;
	GET DIAGNOSTICS enrollments_deleted = ROW_COUNT;
	RAISE LOG 'bxexit retention by %: % probes purged, % exit enrollments deleted',
		session_user, probes_purged, enrollments_deleted;
END
$$;
COMMENT ON FUNCTION @extschema@.bx_apply_retention() IS
	'clear probe photos and templates of US citizens older than bxexit.citizen_photo_retention (default 12h) and delete their exit enrollments; decision records stay';

/* ------------------------------------ border records: overstay analytics */

/*
 * Departures: matched exit events, and no-match events an officer resolved.
 * The date of a departure is the flight's local departure date.
 */
CREATE VIEW @extschema@.departure WITH (security_invoker = true) AS
	SELECT x.exit_event_id, x.person_id, x.flight_id, f.departure_date AS departed_on,
		   f.departure_airport, x.occurred_at, 'biometric'::pg_catalog.text AS confirmed_by
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
	'recorded departures: biometric matches at the gate and officer-resolved no-matches, dated by the flight''s departure date';

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

/* ------------------------------------------ border records: roles, grants */

/*
 * Three group roles (NOLOGIN; a DBA grants them to login roles):
 * - bxexit_gate: gate systems; may call bx_match and nothing else, so they
 *   never read templates, photos or anyone's records;
 * - bxexit_analyst: overstay views and reports, biographic and admission
 *   records, exit decisions without their probe photos and templates;
 * - bxexit_admin: maintains the records, searches (1:1, 1:N), resolves
 *   no-matches, applies retention; reads exit events and the audit log,
 *   which only the search functions write.
 * Roles belong to the cluster, so a second database's CREATE EXTENSION
 * finds them already there and reuses them.
 */
DO $$
DECLARE
	r pg_catalog.text;
BEGIN
	FOREACH r IN ARRAY ARRAY['bxexit_gate', 'bxexit_analyst', 'bxexit_admin'] LOOP
		IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) r) THEN
			EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', r);
		END IF;
	END LOOP;
END
$$;

GRANT USAGE ON SCHEMA @extschema@ TO bxexit_gate, bxexit_analyst, bxexit_admin;

-- functions written in SQL get EXECUTE for PUBLIC by default: take it back
REVOKE EXECUTE ON FUNCTION
	@extschema@.bx_threshold(pg_catalog.text, pg_catalog.text),
	@extschema@.bx_probe_threshold(@extschema@.face_embedding, pg_catalog.text),
	@extschema@.bx_decide_exit(@extschema@.face_embedding, pg_catalog.bytea, pg_catalog.text, pg_catalog.int8),
	@extschema@.bx_match(pg_catalog.bytea, pg_catalog.int8),
	@extschema@.bx_match(@extschema@.face_embedding, pg_catalog.int8),
	@extschema@.bx_verify(@extschema@.face_embedding, pg_catalog.int8),
	@extschema@.bx_verify(pg_catalog.bytea, pg_catalog.int8),
	@extschema@.bx_identify(@extschema@.face_embedding, pg_catalog.int4),
	@extschema@.bx_identify(pg_catalog.bytea, pg_catalog.int4),
	@extschema@.bx_resolve_exit(pg_catalog.int8, pg_catalog.int8, pg_catalog.text),
	@extschema@.bx_citizen_photo_retention(),
	@extschema@.bx_apply_retention(),
	@extschema@.bx_admission_status(pg_catalog.date),
	@extschema@.bx_overstay_report(pg_catalog.int4, pg_catalog.date)
	FROM PUBLIC;

/*
 * Gates send photos.  The template overload is for administrators: a gate
 * able to submit vectors of its choice and read back their best score
 * against a flight could hill-climb towards an enrolled template.
 */
GRANT EXECUTE ON FUNCTION @extschema@.bx_match(pg_catalog.bytea, pg_catalog.int8)
	TO bxexit_gate, bxexit_admin;
GRANT EXECUTE ON FUNCTION @extschema@.bx_match(@extschema@.face_embedding, pg_catalog.int8)
	TO bxexit_admin;

GRANT SELECT ON @extschema@.person, @extschema@.admission, @extschema@.class_of_admission,
	@extschema@.flight, @extschema@.manifest, @extschema@.match_threshold,
	@extschema@.departure, @extschema@.admission_status
	TO bxexit_analyst, bxexit_admin;
GRANT SELECT (exit_event_id, occurred_at, requested_flight_id, flight_id, decision, reason,
			  person_id, score, runner_up_score, threshold, model, gallery_size, recorded_by,
			  probe_purged_at, resolved_person_id, resolved_by, resolved_at, resolution_note)
	ON @extschema@.exit_event TO bxexit_analyst;
GRANT EXECUTE ON FUNCTION
	@extschema@.bx_threshold(pg_catalog.text, pg_catalog.text),
	@extschema@.bx_admission_status(pg_catalog.date),
	@extschema@.bx_overstay_report(pg_catalog.int4, pg_catalog.date)
	TO bxexit_analyst, bxexit_admin;

GRANT SELECT, INSERT, UPDATE, DELETE ON @extschema@.person, @extschema@.travel_document,
	@extschema@.enrollment, @extschema@.admission, @extschema@.flight, @extschema@.manifest
	TO bxexit_admin;
-- builtin rows are not dumped (the script inserts them again): an admin adds
-- rows but never flags one builtin, nor changes or deletes a builtin one,
-- which a dump and restore would silently drop, revert or bring back
GRANT SELECT, INSERT (code, class_group, description, report_scope, ds_grace_days)
	ON @extschema@.class_of_admission TO bxexit_admin;
GRANT SELECT, INSERT (model, purpose, threshold, operating_point, measured_error, method, valid_from)
	ON @extschema@.match_threshold TO bxexit_admin;
GRANT SELECT ON @extschema@.exit_event, @extschema@.search_audit TO bxexit_admin;
GRANT EXECUTE ON FUNCTION
	@extschema@.bx_verify(@extschema@.face_embedding, pg_catalog.int8),
	@extschema@.bx_verify(pg_catalog.bytea, pg_catalog.int8),
	@extschema@.bx_identify(@extschema@.face_embedding, pg_catalog.int4),
	@extschema@.bx_identify(pg_catalog.bytea, pg_catalog.int4),
	@extschema@.bx_resolve_exit(pg_catalog.int8, pg_catalog.int8, pg_catalog.text),
	@extschema@.bx_citizen_photo_retention(),
	@extschema@.bx_apply_retention()
	TO bxexit_admin;

/* ---------------------------------------------------------- privileges */

/*
 * The schema created by CREATE EXTENSION is usable by its owner only; a DBA
 * grants USAGE on it to the roles that may use face embeddings (README).
 * The functions above are pure computations on values the caller already
 * has, so they keep PostgreSQL's default EXECUTE for PUBLIC, unreachable
 * without USAGE on the schema.
 */
