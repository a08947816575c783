/* 14_aggregates: avg(face_embedding) and its support functions (parallel-safe with combine) */

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
