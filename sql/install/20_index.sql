/* 20_index: the bxann index access method, its operator classes and the DBA tools (index info, list info, check) */

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
	OUT probes pg_catalog.int4, OUT ef_search pg_catalog.int4,
	OUT tuned_probes pg_catalog.int4, OUT tuned_ef_search pg_catalog.int4,
	OUT tuned_mate_similarity pg_catalog.float8, OUT tuned_found pg_catalog.float8,
	OUT code_bits pg_catalog.int4)
	AS 'MODULE_PATHNAME' LANGUAGE C STRICT VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bxann_index_info(pg_catalog.regclass) IS
	'what a bxann index holds: frozen build parameters, pages, live and deleted elements, the probes and ef_search a scan uses under the current settings, what CREATE INDEX tuned them to (NULL for an index built by bxexit 0.1.0), and the bits per dimension of its codes (4 or 8)';

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
