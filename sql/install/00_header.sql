/*
 * 00_header: the psql guard and the install-time check of the schema's owner.
 *
 * bxexit--<version>.sql is built by make from sql/install/NN_*.sql, in name
 * order: edit the parts, never the built script.  Engine parts (10-30: type,
 * casts, functions, operators, aggregates, the bxann index, face functions)
 * come first and never reference the border-records parts (50-90: tables,
 * config-dump registrations, matching, reports, retention, roles and
 * grants).  Every object is schema-qualified (@extschema@ or pg_catalog) and
 * nothing uses CREATE OR REPLACE or IF NOT EXISTS, so the script cannot be
 * hijacked by objects a user created beforehand.
 */

\echo Use "CREATE EXTENSION bxexit" to load this file. \quit

/* ------------------------------------------------------ schema safety */

/*
 * CREATE EXTENSION creates schema bxexit unless it exists.  A schema that
 * already exists and belongs to, or is writable by, another non-superuser
 * would let that role plant objects the extension's functions resolve:
 * refuse to install into it.
 */
DO $$
DECLARE
	owner_oid pg_catalog.oid;
BEGIN
	SELECT nspowner INTO owner_oid FROM pg_catalog.pg_namespace
	 WHERE oid OPERATOR(pg_catalog.=) '@extschema@'::pg_catalog.regnamespace;
	IF owner_oid OPERATOR(pg_catalog.<>) (SELECT oid FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) current_user)
	   AND NOT (SELECT rolsuper FROM pg_catalog.pg_roles WHERE oid OPERATOR(pg_catalog.=) owner_oid)
	   OR EXISTS (SELECT 1 FROM pg_catalog.pg_namespace n,
	                     pg_catalog.aclexplode(n.nspacl) a
	               WHERE n.oid OPERATOR(pg_catalog.=) '@extschema@'::pg_catalog.regnamespace
	                 AND a.privilege_type OPERATOR(pg_catalog.=) 'CREATE'
	                 AND a.grantee OPERATOR(pg_catalog.<>) n.nspowner)
	THEN
		RAISE EXCEPTION 'schema @extschema@ already exists and is owned or writable by another role'
			USING ERRCODE = 'insufficient_privilege',
				  HINT = 'Drop or rename that schema, then run CREATE EXTENSION bxexit again.';
	END IF;
END
$$;
