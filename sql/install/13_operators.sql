/* 13_operators: distance operators <->, <=>, <#> and the comparison operators with the btree operator class */

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
