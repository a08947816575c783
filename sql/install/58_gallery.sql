/* 58_gallery: the table the searches read templates from (bxexit.enrollment, or a DBA's gallery: partitioned, sharded) */

/* ------------------------------------------ border records: the gallery */

/*
 * bx_match, bx_verify and bx_identify read templates from one relation:
 * bxexit.enrollment unless an administrator names another with
 * bx_set_gallery.  That is how a gallery outgrows one server: a table
 * hash-partitioned by person whose partitions are postgres_fdw foreign
 * tables on shard servers, each shard with its own bxann index (README,
 * "Scaling out"; scripts/shard_layout.sh).  The relation needs the columns
 * person_id int8, enrollment_id int8, model text and template
 * face_embedding, and source text and captured_at timestamptz, by which
 * bx_apply_retention deletes citizens' exit captures from it as from
 * enrollment; more are allowed.  Kept as a name, resolved at each use,
 * so a dump restores the row before or after the table it names.
 */
CREATE TABLE @extschema@.gallery_source (
	singleton pg_catalog.bool PRIMARY KEY DEFAULT true CHECK (singleton),
	relation_name pg_catalog.text NOT NULL,
	set_at pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.now(),
	set_by pg_catalog.text NOT NULL DEFAULT session_user
);
COMMENT ON TABLE @extschema@.gallery_source IS
	'the gallery relation the searches read when it is not bxexit.enrollment (bx_set_gallery)';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.gallery_source', '');

/* The relation the searches read: the named gallery, or enrollment. */
CREATE FUNCTION @extschema@.bx_gallery() RETURNS pg_catalog.regclass
	LANGUAGE plpgsql STABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	v_name text;
	v_rel regclass;
BEGIN
	SELECT s.relation_name INTO v_name FROM @extschema@.gallery_source s;
	IF v_name IS NULL THEN
		RETURN '@extschema@.enrollment'::regclass;
	END IF;
	v_rel := pg_catalog.to_regclass(v_name);
	IF v_rel IS NULL THEN
		RAISE EXCEPTION 'gallery relation "%" named by bx_set_gallery does not exist', v_name
			USING ERRCODE = 'undefined_table',
				  HINT = 'Create it again, or call bx_set_gallery(NULL) to search bxexit.enrollment.';
	END IF;
	RETURN v_rel;
END
$$;
COMMENT ON FUNCTION @extschema@.bx_gallery() IS
	'the relation bx_match, bx_verify and bx_identify read templates from: bxexit.enrollment unless bx_set_gallery named another';

/*
 * Name the gallery (NULL: back to enrollment).  The searches run as the
 * extension's owner, so the caller must be able to read the relation
 * itself: naming a table is no way to search what one may not read.
 */
CREATE FUNCTION @extschema@.bx_set_gallery(gallery pg_catalog.regclass) RETURNS pg_catalog.regclass
	LANGUAGE plpgsql VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	v_kind "char";
	v_missing text;
BEGIN
	IF gallery IS NULL THEN
		DELETE FROM @extschema@.gallery_source;
		RETURN @extschema@.bx_gallery();
	END IF;
	SELECT c.relkind INTO v_kind FROM pg_class c WHERE c.oid = gallery;
	IF v_kind NOT IN ('r', 'p', 'f') THEN
		RAISE EXCEPTION '"%" is not a table, a partitioned table or a foreign table', gallery
			USING ERRCODE = 'wrong_object_type';
	END IF;
	IF NOT has_table_privilege(session_user, gallery, 'SELECT') THEN
		RAISE EXCEPTION 'permission denied for table %', gallery
			USING ERRCODE = 'insufficient_privilege',
				  DETAIL = 'The searches would read it for you: you must be able to read it yourself.';
	END IF;
	SELECT string_agg(format('%s %s', w.col, w.typ::regtype), ', ' ORDER BY w.ord) INTO v_missing
	  FROM (VALUES (1, 'person_id', 'int8'::regtype), (2, 'enrollment_id', 'int8'::regtype),
				   (3, 'model', 'text'::regtype), (4, 'template', '@extschema@.face_embedding'::regtype),
				   (5, 'source', 'text'::regtype), (6, 'captured_at', 'timestamptz'::regtype))
		   AS w(ord, col, typ)
	 WHERE NOT EXISTS (SELECT FROM pg_attribute a
						WHERE a.attrelid = gallery AND a.attname = w.col AND a.atttypid = w.typ
						  AND a.attnum > 0 AND NOT a.attisdropped);
	IF v_missing IS NOT NULL THEN
		RAISE EXCEPTION 'gallery % lacks the columns %', gallery, v_missing
			USING ERRCODE = 'invalid_table_definition',
				  HINT = 'A gallery has person_id int8, enrollment_id int8, model text, template face_embedding, '
					  'source text and captured_at timestamptz (retention deletes by the last two).';
	END IF;
	INSERT INTO @extschema@.gallery_source AS s (relation_name)
	VALUES (gallery::text)
	ON CONFLICT (singleton) DO UPDATE
		SET relation_name = excluded.relation_name, set_at = excluded.set_at, set_by = excluded.set_by;
	RAISE LOG 'bxexit: gallery set to % by %', gallery, session_user;
	RETURN gallery;
END
$$;
COMMENT ON FUNCTION @extschema@.bx_set_gallery(pg_catalog.regclass) IS
	'name the relation the searches read templates from (NULL: bxexit.enrollment); it needs person_id, enrollment_id, model, template, source and captured_at';

/*
 * Where the gallery lives: one row per leaf partition (or the relation
 * itself), with the foreign server and remote table of a foreign one.
 */
CREATE FUNCTION @extschema@.bx_gallery_shards()
	RETURNS TABLE (partition pg_catalog.regclass, server pg_catalog.name, remote_table pg_catalog.text)
	LANGUAGE sql STABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
	BEGIN ATOMIC
		SELECT t.relid, s.srvname,
			   CASE WHEN ft.ftrelid IS NOT NULL THEN
				   quote_ident(coalesce((SELECT substr(o, 13) FROM unnest(ft.ftoptions) o
										  WHERE o LIKE 'schema_name=%'), n.nspname::text))
				   || '.' ||
				   quote_ident(coalesce((SELECT substr(o, 12) FROM unnest(ft.ftoptions) o
										  WHERE o LIKE 'table_name=%'), c.relname::text))
			   END
		  FROM pg_partition_tree(@extschema@.bx_gallery()) t
		  JOIN pg_class c ON c.oid = t.relid
		  JOIN pg_namespace n ON n.oid = c.relnamespace
		  LEFT JOIN pg_foreign_table ft ON ft.ftrelid = t.relid
		  LEFT JOIN pg_foreign_server s ON s.oid = ft.ftserver
		 WHERE t.isleaf
		 ORDER BY t.relid::text;
	END;
COMMENT ON FUNCTION @extschema@.bx_gallery_shards() IS
	'the gallery''s leaf partitions, with the foreign server and remote table of each foreign one';

/*
 * The k-nearest query over the gallery, rows (pid, eid, d) nearest first,
 * $1 the probe and $2 the limit.  On a partitioned gallery each leaf gets
 * its own ORDER BY ... LIMIT, which postgres_fdw sends whole to the shard
 * (where that shard's bxann index serves it); the arms form a plain Append
 * behind OFFSET 0, so foreign ones run concurrently (async_capable), and
 * the coordinator sorts the at most leaves x limit rows.  Over the parent,
 * PostgreSQL 15 would merge ordered scans instead (MergeAppend): the
 * ORDER BY goes to the shards but neither the LIMIT nor concurrency.
 */
CREATE FUNCTION @extschema@.bx_gallery_nearest_sql(gallery pg_catalog.regclass, dims pg_catalog.int4,
	model pg_catalog.text) RETURNS pg_catalog.text
	LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	v_arm constant text :=
		'SELECT e.person_id AS pid, e.enrollment_id AS eid,
				e.template::@extschema@.face_embedding(%2$s) OPERATOR(@extschema@.<=>) $1 AS d
		   FROM %1$s e
		  WHERE e.model = %3$L AND @extschema@.bx_cosine_usable(e.template)
		  ORDER BY e.template::@extschema@.face_embedding(%2$s) OPERATOR(@extschema@.<=>) $1
		  LIMIT $2';
	v_arms text;
BEGIN
	-- a plain table has no leaves but itself; a partitioned one without
	-- partitions has none and holds nothing: both take the one query
	SELECT string_agg('(' || format(v_arm, 'ONLY ' || t.relid::regclass::text, dims, model) || ')',
					  ' UNION ALL ' ORDER BY t.relid::regclass::text)
	  INTO v_arms
	  FROM pg_partition_tree(gallery) t
	 WHERE t.isleaf AND t.relid <> gallery;
	IF v_arms IS NULL THEN
		RETURN format(v_arm, gallery, dims, model);
	END IF;
	RETURN 'SELECT u.pid, u.eid, u.d FROM (SELECT * FROM (' || v_arms || ') a OFFSET 0) u
			 ORDER BY u.d, u.eid LIMIT $2';
END
$$;
COMMENT ON FUNCTION @extschema@.bx_gallery_nearest_sql(pg_catalog.regclass, pg_catalog.int4, pg_catalog.text) IS
	'internal: the k-nearest query over a gallery, one ORDER BY ... LIMIT per leaf partition (pushed down to shards)';

/*
 * A gallery query failed: when the failure came from a shard, raise it
 * again naming the shard (its server and partition) with the same
 * SQLSTATE; otherwise return, and the caller raises the original (RAISE).
 * postgres_fdw names the server of a failed connection; a failed remote
 * query is known by the remote table in its remote SQL.  Searches never
 * return what the other shards found: a 1:N answer without one shard's
 * people would look complete and be wrong.
 */
CREATE FUNCTION @extschema@.bx_gallery_failure(sqlstate pg_catalog.text, message pg_catalog.text,
	detail pg_catalog.text, context pg_catalog.text) RETURNS pg_catalog.void
	LANGUAGE plpgsql STABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	v_server name;
	v_partition regclass;
	v_hint constant text := 'A search needs every shard that may hold its people and answers nothing '
		'without one; bx_gallery_shards() lists them.';
BEGIN
	SELECT g.server, g.partition INTO v_server, v_partition
	  FROM @extschema@.bx_gallery_shards() g
	 WHERE g.server IS NOT NULL
	   AND (strpos(message, format('server "%s"', g.server)) > 0
			OR strpos(coalesce(context, '') || ' ', 'FROM ' || g.remote_table || ' ') > 0)
	 ORDER BY g.partition::text
	 LIMIT 1;
	IF v_server IS NULL THEN
		RETURN;
	ELSIF detail IS NULL THEN
		RAISE EXCEPTION 'gallery shard "%" (partition %) failed: %', v_server, v_partition, message
			USING ERRCODE = sqlstate, HINT = v_hint;
	ELSE
		RAISE EXCEPTION 'gallery shard "%" (partition %) failed: %', v_server, v_partition, message
			USING ERRCODE = sqlstate, DETAIL = detail, HINT = v_hint;
	END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.bx_gallery_failure(pg_catalog.text, pg_catalog.text, pg_catalog.text, pg_catalog.text) IS
	'internal: raise a failed gallery query again naming the shard it came from; returns when no shard is to blame';
