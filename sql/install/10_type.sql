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
