/* 11_casts: typmod coercion and casts between face_embedding and float4[], float8[], numeric[], int4[] */

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
