-- extension life cycle: version, drop and re-create, schema safety
SELECT extname, extversion, extrelocatable, extnamespace::regnamespace
  FROM pg_extension WHERE extname = 'bxexit';
ALTER EXTENSION bxexit UPDATE;

-- DROP EXTENSION removes its objects; the schema CREATE EXTENSION made is
-- not a member of the extension (PostgreSQL's rule), so it stays, empty
DROP EXTENSION bxexit;
SELECT count(*) AS types_left FROM pg_type WHERE typname = 'face_embedding';
SELECT count(*) AS functions_left FROM pg_proc WHERE pronamespace = 'bxexit'::regnamespace;
-- re-installing into that schema (owned by us) works
CREATE EXTENSION bxexit;
DROP EXTENSION bxexit;
DROP SCHEMA bxexit;

-- a pre-existing schema owned by another non-superuser is refused
CREATE ROLE regress_bx_squatter NOLOGIN;
CREATE SCHEMA bxexit AUTHORIZATION regress_bx_squatter;
\i sql/include/try.sql
SELECT pg_temp.try('CREATE EXTENSION bxexit');
-- and so is one that another role may create objects in
ALTER SCHEMA bxexit OWNER TO CURRENT_USER;
GRANT CREATE ON SCHEMA bxexit TO regress_bx_squatter;
SELECT pg_temp.try('CREATE EXTENSION bxexit');
DROP SCHEMA bxexit;
DROP ROLE regress_bx_squatter;

-- the released 0.1.0 still installs, and updates to the default version
-- (test/upgrade.sh compares the updated catalog with a fresh install)
CREATE EXTENSION bxexit VERSION '0.1.0';
SELECT extversion FROM pg_extension WHERE extname = 'bxexit';
ALTER EXTENSION bxexit UPDATE;
SELECT extversion, format_type(atttypid, atttypmod) AS reason_type
  FROM pg_extension, pg_attribute
 WHERE extname = 'bxexit' AND attrelid = 'bxexit.exit_event'::regclass AND attname = 'reason';
DROP EXTENSION bxexit;
DROP SCHEMA bxexit;

-- a clean install works again
CREATE EXTENSION bxexit;
SELECT bxexit.bx_dims('[1,2,3]');
