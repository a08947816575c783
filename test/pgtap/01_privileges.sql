-- pgTAP: nothing of bxexit is reachable by PUBLIC; a DBA grants USAGE on the
-- schema to the roles that may use face embeddings.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
-- the extension is committed beforehand (scripts/test.sh): searches commit their
-- audit rows in another session, which must see the extension's tables
CREATE EXTENSION IF NOT EXISTS bxexit;
SELECT plan(9);

SELECT ok(NOT has_schema_privilege('public', 'bxexit', 'USAGE'), 'PUBLIC has no USAGE on schema bxexit');
SELECT ok(NOT has_schema_privilege('public', 'bxexit', 'CREATE'), 'PUBLIC cannot CREATE in schema bxexit');
SELECT is(array_agg(c.oid::regclass::text ORDER BY c.oid::regclass::text), NULL, 'no table or view in schema bxexit is granted to PUBLIC')
  FROM pg_class c
 WHERE c.relnamespace = 'bxexit'::regnamespace
   AND has_table_privilege('public', c.oid, 'SELECT,INSERT,UPDATE,DELETE,TRUNCATE');
SELECT is(array_agg(p.oid::regprocedure::text ORDER BY p.oid::regprocedure::text), NULL,
          'no function PUBLIC may execute is VOLATILE or SECURITY DEFINER')
  FROM pg_proc p
 WHERE p.pronamespace = 'bxexit'::regnamespace
   AND has_function_privilege('public', p.oid, 'EXECUTE')
   AND (p.provolatile = 'v' OR p.prosecdef);

CREATE ROLE bx_tap_nobody NOLOGIN;
CREATE ROLE bx_tap_user NOLOGIN;
GRANT USAGE ON SCHEMA bxexit TO bx_tap_user;

SET ROLE bx_tap_nobody;
SELECT throws_ok($$SELECT '[1,2]'::bxexit.face_embedding$$, '42501', NULL,
                 'a role without USAGE on bxexit cannot use face_embedding');
SELECT throws_ok($$SELECT bxexit.bx_dims('[1]')$$, '42501', NULL,
                 'a role without USAGE on bxexit cannot call bx_dims');
RESET ROLE;

SET ROLE bx_tap_user;
SELECT is(bxexit.bx_similarity('m:[1,0]', 'm:[1,0]'), 1::float8, 'a role granted USAGE computes similarities');
SELECT lives_ok($$CREATE TEMP TABLE t (e bxexit.face_embedding(2)); INSERT INTO t VALUES ('[1,2]')$$,
                'a role granted USAGE stores embeddings in its own table');
SELECT throws_ok($$CREATE TABLE bxexit.intruder (x int)$$, '42501', NULL,
                 'a role granted USAGE still cannot create objects in schema bxexit');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
