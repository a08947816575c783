/* 12_functions: scalar functions of face_embedding (distances, similarity, norm, model tag, build info) */

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

CREATE FUNCTION @extschema@.bx_cosine_usable(@extschema@.face_embedding)
	RETURNS pg_catalog.bool
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bx_cosine_usable(@extschema@.face_embedding) IS
	'whether cosine distance can compare the embedding: its norm is at least 1e-6 (the rule the distances and bxann apply)';

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
