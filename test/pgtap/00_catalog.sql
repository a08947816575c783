-- pgTAP: the catalog contract of the face_embedding type, its functions,
-- operators and operator classes.  One rolled-back transaction.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
-- the extension is committed beforehand (scripts/test.sh): searches commit their
-- audit rows in another session, which must see the extension's tables
CREATE EXTENSION IF NOT EXISTS bxexit;
SET search_path = public, bxexit;
SELECT plan(70);

-- the type and its I/O
SELECT has_type('bxexit', 'face_embedding', 'type face_embedding exists');
SELECT is((SELECT typalign::text || typstorage::text FROM pg_type WHERE oid = 'bxexit.face_embedding'::regtype),
          'ix', 'face_embedding is int-aligned and TOASTable (extended)');
SELECT isnt((SELECT typreceive FROM pg_type WHERE oid = 'bxexit.face_embedding'::regtype),
            0::regproc, 'face_embedding has a binary receive function');
SELECT isnt((SELECT typmodin FROM pg_type WHERE oid = 'bxexit.face_embedding'::regtype),
            0::regproc, 'face_embedding takes a typmod');

-- every SQL-callable scalar function: IMMUTABLE, STRICT, PARALLEL SAFE, not SECURITY DEFINER
SELECT volatility_is('bxexit', f, args, 'immutable', f || ' is IMMUTABLE')
  FROM (VALUES ('bx_l2_distance', ARRAY['face_embedding', 'face_embedding']),
               ('bx_l2_squared_distance', ARRAY['face_embedding', 'face_embedding']),
               ('bx_cosine_distance', ARRAY['face_embedding', 'face_embedding']),
               ('bx_inner_product', ARRAY['face_embedding', 'face_embedding']),
               ('bx_negative_inner_product', ARRAY['face_embedding', 'face_embedding']),
               ('bx_similarity', ARRAY['face_embedding', 'face_embedding']),
               ('bx_dims', ARRAY['face_embedding']),
               ('bx_norm', ARRAY['face_embedding']),
               ('bx_normalize', ARRAY['face_embedding']),
               ('bx_model', ARRAY['face_embedding']),
               ('bx_set_model', ARRAY['face_embedding', 'text'])) v(f, args);
SELECT is_strict('bxexit', f, args, f || ' is STRICT')
  FROM (VALUES ('bx_l2_distance', ARRAY['face_embedding', 'face_embedding']),
               ('bx_cosine_distance', ARRAY['face_embedding', 'face_embedding']),
               ('bx_negative_inner_product', ARRAY['face_embedding', 'face_embedding']),
               ('bx_similarity', ARRAY['face_embedding', 'face_embedding']),
               ('bx_normalize', ARRAY['face_embedding']),
               ('bx_set_model', ARRAY['face_embedding', 'text'])) v(f, args);
-- the functions that write (exit events, audit rows, retention, adopted
-- thresholds) are the only
-- VOLATILE ones besides the index tools, and the only parallel-unsafe ones
-- besides the index check (PARALLEL RESTRICTED like amcheck's: it registers
-- a snapshot and locks out VACUUM) and bx_labelled_scores (its dynamic query
-- may name any table, so it is left parallel-unsafe)
SELECT is(array_agg(p.oid::regprocedure::text ORDER BY p.oid::regprocedure::text),
          ARRAY(SELECT unnest(ARRAY['bx_admission_citizenship()',
                'bx_adopt_identification_threshold(text,double precision[],double precision[],double precision,integer,text,timestamp with time zone)',
                'bx_adopt_verification_threshold(text,double precision[],double precision[],double precision,text,timestamp with time zone)',
                'bx_apply_retention()',
                'bx_audit_search(text,text,bigint,bigint,integer,bigint,integer,bigint,real,text,bigint)',
                'bx_decide_exit(face_embedding,bytea,text,bigint,text,text,real,text)',
                'bx_durable_insert(regclass,jsonb)',
                'bx_enroll(bigint,bytea,text,timestamp with time zone,text)', 'bx_flight_date_guard()',
                'bx_gate_nomatch_count(bigint,interval,integer)', 'bx_gate_throttled(bigint)',
                'bx_identify(bytea,integer)', 'bx_identify(face_embedding,integer)',
                'bx_labelled_scores(regclass,name,name,integer)',
                'bx_link_departures(real,real)', 'bx_load_departure_manifests(integer)',
                'bx_match(bytea,bigint,text)', 'bx_match(face_embedding,bigint)',
                'bx_resolve_departure(bigint,bigint,text)', 'bx_resolve_exit(bigint,bigint,text)',
                'bx_set_gallery(regclass)',
                'bx_verify(bytea,bigint)', 'bx_verify(face_embedding,bigint)',
                'bxann_check(regclass,boolean)']) ORDER BY 1),
          'every bxexit function but the AM handler, the writers and the index check is PARALLEL SAFE')
  FROM pg_proc p WHERE p.pronamespace = 'bxexit'::regnamespace AND p.proparallel <> 's'
   AND p.prorettype <> 'index_am_handler'::regtype;
SELECT is(array_agg(p.proname::text ORDER BY p.proname::text),
          ARRAY(SELECT unnest(ARRAY['bx_admission_citizenship',
                'bx_adopt_identification_threshold', 'bx_adopt_verification_threshold', 'bx_apply_retention', 'bx_audit_search', 'bx_decide_exit',
                'bx_durable_insert', 'bx_enroll', 'bx_flight_date_guard', 'bx_gate_nomatch_count', 'bx_gate_throttled',
                'bx_identify', 'bx_identify', 'bx_link_departures', 'bx_load_departure_manifests',
                'bx_match', 'bx_match', 'bx_model_check', 'bx_resolve_departure', 'bx_resolve_exit',
                'bx_set_gallery', 'bx_verify', 'bx_verify',
                'bxann_check', 'bxann_index_info', 'bxann_list_info', 'bxannhandler']) ORDER BY 1),
          'the VOLATILE functions are exactly the writers, the AM handler, the index inspectors and check, and the model check')
  FROM pg_proc p WHERE p.pronamespace = 'bxexit'::regnamespace AND p.provolatile = 'v';
SELECT is((SELECT proparallel::text FROM pg_proc WHERE oid = 'bxexit.bxann_check(regclass,boolean)'::regprocedure),
          'r', 'bxann_check is PARALLEL RESTRICTED');
SELECT ok(NOT has_function_privilege('public', 'bxexit.bxann_check(regclass,boolean)', 'EXECUTE'),
          'PUBLIC may not run bxann_check');
SELECT is(array_agg(p.oid::regprocedure::text ORDER BY p.oid::regprocedure::text),
          ARRAY['bx_apply_retention()',
                'bx_identify(bytea,integer)', 'bx_identify(face_embedding,integer)',
                'bx_link_departures(real,real)', 'bx_load_departure_manifests(integer)',
                'bx_match(bytea,bigint,text)', 'bx_match(face_embedding,bigint)',
                'bx_resolve_departure(bigint,bigint,text)', 'bx_resolve_exit(bigint,bigint,text)',
                'bx_set_gallery(regclass)',
                'bx_verify(bytea,bigint)', 'bx_verify(face_embedding,bigint)'],
          'the SECURITY DEFINER functions are exactly the searches, the resolutions, the retention, the departure loader and linker and bx_set_gallery')
  FROM pg_proc p WHERE p.pronamespace = 'bxexit'::regnamespace AND p.prosecdef;
SELECT is(array_agg(p.oid::regprocedure::text ORDER BY p.oid::regprocedure::text), NULL,
          'every function in schema bxexit belongs to the extension')
  FROM pg_proc p
 WHERE p.pronamespace = 'bxexit'::regnamespace
   AND NOT EXISTS (SELECT 1 FROM pg_depend d
                    WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                      AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'bxexit')
                      AND d.deptype = 'e');
SELECT is(array_agg(p.oid::regprocedure::text ORDER BY p.oid::regprocedure::text), NULL,
          'every bx_ function has a comment')
  FROM pg_proc p
 WHERE p.pronamespace = 'bxexit'::regnamespace AND p.proname LIKE 'bx\_%'
   AND obj_description(p.oid, 'pg_proc') IS NULL;

-- functions return what they say
SELECT function_returns('bxexit', 'bx_similarity', ARRAY['face_embedding', 'face_embedding'], 'double precision');
SELECT function_returns('bxexit', 'bx_model', ARRAY['face_embedding'], 'text');
SELECT function_returns('bxexit', 'bx_dims', ARRAY['face_embedding'], 'integer');
SELECT function_returns('bxexit', 'bx_normalize', ARRAY['face_embedding'], 'face_embedding');

-- operators and their commutators / negators
SELECT has_operator('face_embedding', 'bxexit', op, 'face_embedding', 'double precision', op || ' exists')
  FROM unnest(ARRAY['<->', '<=>', '<#>']) op;
SELECT is(o.oprcom, o.oid, o.oprname || ' is its own commutator')
  FROM pg_operator o
 WHERE o.oprnamespace = 'bxexit'::regnamespace AND o.oprname IN ('<->', '<=>', '<#>', '=', '<>');
SELECT is((SELECT c.oprname::text FROM pg_operator c WHERE c.oid = o.oprcom), want, o.oprname || ' commutes with ' || want)
  FROM pg_operator o
  JOIN (VALUES ('<', '>'), ('<=', '>='), ('>', '<'), ('>=', '<=')) v(op, want) ON v.op = o.oprname
 WHERE o.oprnamespace = 'bxexit'::regnamespace;
SELECT is((SELECT n.oprname::text FROM pg_operator n WHERE n.oid = o.oprnegate), want, o.oprname || ' negates to ' || want)
  FROM pg_operator o
  JOIN (VALUES ('<', '>='), ('<=', '>'), ('=', '<>'), ('<>', '='), ('>=', '<'), ('>', '<=')) v(op, want) ON v.op = o.oprname
 WHERE o.oprnamespace = 'bxexit'::regnamespace;
SELECT ok((SELECT oprcanmerge FROM pg_operator WHERE oprnamespace = 'bxexit'::regnamespace AND oprname = '='),
          '= is mergejoinable');

-- btree operator class
SELECT has_opclass('bxexit', 'face_embedding_ops', 'btree opclass face_embedding_ops exists');
SELECT ok((SELECT opcdefault FROM pg_opclass WHERE opcname = 'face_embedding_ops'
             AND opcnamespace = 'bxexit'::regnamespace), 'face_embedding_ops is the default btree opclass');
SELECT ok(amvalidate(oid), 'btree opclass passes amvalidate')
  FROM pg_opclass WHERE opcname = 'face_embedding_ops' AND opcnamespace = 'bxexit'::regnamespace;

-- casts
SELECT has_cast(src, 'face_embedding', src || ' -> face_embedding') FROM unnest(ARRAY['real[]', 'double precision[]', 'numeric[]', 'integer[]']) src;
SELECT has_cast('face_embedding', dst, 'face_embedding -> ' || dst) FROM unnest(ARRAY['real[]', 'double precision[]', 'numeric[]']) dst;
SELECT cast_context_is('real[]', 'face_embedding', 'assignment', 'real[] -> face_embedding is an assignment cast');
SELECT cast_context_is('face_embedding', 'face_embedding', 'implicit', 'typmod coercion is implicit');

-- aggregate
SELECT is_aggregate('bxexit', 'avg', ARRAY['face_embedding'], 'avg(face_embedding) is an aggregate');
SELECT isnt((SELECT aggcombinefn FROM pg_aggregate WHERE aggfnoid = 'bxexit.avg(bxexit.face_embedding)'::regprocedure),
            0::regproc, 'avg(face_embedding) has a combine function (parallel aggregation)');

-- errors carry SQLSTATEs
SELECT throws_ok($$SELECT '[1,2]'::bxexit.face_embedding OPERATOR(bxexit.<->) '[1,2,3]'$$, '22000', NULL, 'dimension mismatch is 22000');
SELECT throws_ok($$SELECT 'a:[1]'::bxexit.face_embedding OPERATOR(bxexit.<=>) 'b:[1]'$$, '22000', NULL, 'model mismatch is 22000');
SELECT throws_ok($$SELECT '[1,'::bxexit.face_embedding$$, '22P02', NULL, 'malformed text is 22P02');
SELECT throws_ok($$SELECT array_fill(1::real, ARRAY[16001])::bxexit.face_embedding$$, '54000', NULL, 'too many dimensions is 54000');
CREATE TEMP TABLE tap_chk (id int PRIMARY KEY, v bxexit.face_embedding(2));
SELECT throws_ok($$SELECT bxexit.bxann_check('tap_chk_pkey')$$, '42809', NULL, 'bxann_check of a btree index is 42809');

SELECT * FROM finish();
ROLLBACK;
