/* 80_retention: the citizen photo retention setting and bx_apply_retention */

CREATE FUNCTION @extschema@.bx_citizen_photo_retention()
	RETURNS pg_catalog.interval
	AS 'MODULE_PATHNAME', 'bx_citizen_photo_retention_period'
	LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bx_citizen_photo_retention() IS
	'the setting bxexit.citizen_photo_retention as an interval';

/*
 * CBP keeps photos of US citizens at most 12 hours after verification.
 * Probes whose traveller is unknown (no match, not resolved) stay until an
 * officer resolves them, as their citizenship is unknown.
 */
CREATE FUNCTION @extschema@.bx_apply_retention(OUT probes_purged pg_catalog.int8,
	OUT enrollments_deleted pg_catalog.int8)
	LANGUAGE plpgsql VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	v_cutoff timestamptz := pg_catalog.now() - @extschema@.bx_citizen_photo_retention();
	v_unknown int8;
	v_gallery regclass := @extschema@.bx_gallery();
	v_gallery_deleted int8;
	v_state text;
	v_message text;
	v_detail text;
	v_context text;
BEGIN
	UPDATE @extschema@.exit_event x
	   SET probe_photo = NULL, probe_template = NULL, probe_purged_at = pg_catalog.now()
	  FROM @extschema@.person p
	 WHERE p.person_id = coalesce(x.person_id, x.resolved_person_id)
	   AND p.citizenship = 'USA'
	   AND x.occurred_at < v_cutoff
	   AND (x.probe_photo IS NOT NULL OR x.probe_template IS NOT NULL);
	GET DIAGNOSTICS probes_purged = ROW_COUNT;

	-- a decision on an unknown flight is nobody's departure: its probe goes too
	UPDATE @extschema@.exit_event x
	   SET probe_photo = NULL, probe_template = NULL, probe_purged_at = pg_catalog.now()
	 WHERE x.flight_id IS NULL
	   AND x.occurred_at < v_cutoff
	   AND (x.probe_photo IS NOT NULL OR x.probe_template IS NOT NULL);
	GET DIAGNOSTICS v_unknown = ROW_COUNT;
	probes_purged := probes_purged + v_unknown;

	DELETE FROM @extschema@.enrollment e
	 USING @extschema@.person p
	 WHERE p.person_id = e.person_id
	   AND p.citizenship = 'USA'
	   AND e.source = 'exit'
	   AND e.captured_at < v_cutoff;
	GET DIAGNOSTICS enrollments_deleted = ROW_COUNT;

	-- a gallery named by bx_set_gallery (sharded, say) holds captures too;
	-- the shards filter by source and time, the coordinator by citizenship
	IF v_gallery <> '@extschema@.enrollment'::regclass THEN
		BEGIN
			EXECUTE pg_catalog.format(
				'DELETE FROM %s g
				  WHERE g.source = ''exit'' AND g.captured_at < $1
					AND g.person_id IN (SELECT p.person_id FROM @extschema@.person p
										 WHERE p.citizenship = ''USA'')', v_gallery)
			  USING v_cutoff;
			GET DIAGNOSTICS v_gallery_deleted = ROW_COUNT;
		EXCEPTION WHEN OTHERS OR query_canceled THEN
			GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
				v_detail = PG_EXCEPTION_DETAIL, v_context = PG_EXCEPTION_CONTEXT;
			PERFORM @extschema@.bx_gallery_failure(v_state, v_message, v_detail, v_context);
			RAISE;
		END;
		enrollments_deleted := enrollments_deleted + v_gallery_deleted;
	END IF;
	RAISE LOG 'bxexit retention by %: % probes purged, % exit enrollments deleted',
		session_user, probes_purged, enrollments_deleted;
END
$$;
COMMENT ON FUNCTION @extschema@.bx_apply_retention() IS
	'clear probe photos and templates of US citizens, and of decisions on unknown flights, older than bxexit.citizen_photo_retention (default 12h), and delete citizens'' exit enrollments (from enrollment and from the gallery named by bx_set_gallery); decision records stay';
