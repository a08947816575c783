/* 10_type: the face_embedding type, its I/O, binary send/receive and typmod functions */

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

/*
 * No planner statistics for the type: their most common values and
 * histogram bounds would be whole templates, biometric data that pg_stats
 * shows and retention never reaches (src/type/embedding.c).
 */
CREATE FUNCTION @extschema@.face_embedding_typanalyze(pg_catalog.internal)
	RETURNS pg_catalog.bool
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE @extschema@.face_embedding (
	INPUT = @extschema@.face_embedding_in,
	OUTPUT = @extschema@.face_embedding_out,
	TYPMOD_IN = @extschema@.face_embedding_typmod_in,
	TYPMOD_OUT = @extschema@.face_embedding_typmod_out,
	RECEIVE = @extschema@.face_embedding_recv,
	SEND = @extschema@.face_embedding_send,
	ANALYZE = @extschema@.face_embedding_typanalyze,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = int4,
	STORAGE = extended
);

COMMENT ON FUNCTION @extschema@.face_embedding_typanalyze(pg_catalog.internal) IS
	'ANALYZE support of face_embedding: gathers no statistics, so templates never enter pg_statistic';
COMMENT ON TYPE @extschema@.face_embedding IS
	'face template: float4 vector of 1 to 16000 dimensions, tagged with the model that made it';
