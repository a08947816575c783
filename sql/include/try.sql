-- pg_temp.try(sql): run a statement and show its outcome as a line,
-- "no error" or "SQLSTATE: message", so expected errors sit in the output
-- with their SQLSTATE and the rest of the file goes on.  Included with \i
-- by the test files (pg_regress runs them from the project's top folder).
CREATE FUNCTION pg_temp.try(sql text) RETURNS text LANGUAGE plpgsql AS $f$
BEGIN
	EXECUTE sql;
	RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END
$f$;
