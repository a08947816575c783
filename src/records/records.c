/*-------------------------------------------------------------------------
 *
 * records.c
 *	  C helpers of the border-records layer (bx_match and friends are SQL).
 *
 * The records layer is plain SQL and PL/pgSQL in the install script; the
 * settings it needs are read here, because a PL/pgSQL current_setting()
 * of a custom setting fails in a session that has not loaded the module.
 *
 * src/records/records.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "bxexit.h"
#include "fmgr.h"
#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"


/* bx_citizen_photo_retention(): bxexit.citizen_photo_retention as an interval */
PG_FUNCTION_INFO_V1(bx_citizen_photo_retention_period);
Datum
bx_citizen_photo_retention_period(PG_FUNCTION_ARGS)
{
	Interval   *result = palloc0(sizeof(Interval));

	result->time = (int64) bx_citizen_photo_retention * USECS_PER_MINUTE;
	PG_RETURN_INTERVAL_P(result);
}

/*
 * bx_gate_settings(): the settings bx_match applies at the gate, read here
 * for the same reason as above: (nomatch_limit, nomatch_window,
 * max_image_pixels, max_image_bytes, departure_window).  max_image_pixels is the smaller of
 * bxexit.gate_max_image_pixels and bxexit.max_image_pixels.
 */
PG_FUNCTION_INFO_V1(bx_gate_settings);
Datum
bx_gate_settings(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		values[5];
	bool		nulls[5] = {0};
	Interval   *window = palloc0(sizeof(Interval));

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	window->time = (int64) bx_gate_nomatch_window * USECS_PER_MINUTE;
	values[0] = Int32GetDatum(bx_gate_nomatch_limit);
	values[1] = IntervalPGetDatum(window);
	values[2] = Int64GetDatum(Min((int64) bx_gate_max_image_pixels, (int64) bx_max_image_pixels));
	values[3] = Int32GetDatum(bx_max_image_bytes);
	values[4] = Int32GetDatum(bx_gate_departure_window);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/*
 * bx_gate_nomatch_count(flight, window, cap): the session user's no-match
 * searches on a flight within the window, at most cap of them (the limit:
 * counting further is work for nothing), counted in search_audit with
 * the latest snapshot rather than the transaction's.  The audit writer
 * commits those rows in its own transactions, and a gate that probes from
 * inside one REPEATABLE READ transaction (rolling back to a savepoint after
 * each answer) must see every one of them, not the count its snapshot
 * froze at the start.
 */
PG_FUNCTION_INFO_V1(bx_gate_nomatch_count);
Datum
bx_gate_nomatch_count(PG_FUNCTION_ARGS)
{
	Oid			argtypes[3] = {INT8OID, INTERVALOID, INT4OID};
	Datum		values[3] = {PG_GETARG_DATUM(0), PG_GETARG_DATUM(1), PG_GETARG_DATUM(2)};
	char	   *schema = get_namespace_name(get_func_namespace(fcinfo->flinfo->fn_oid));
	char	   *sql;
	SPIPlanPtr	plan;
	bool		isnull;
	int64		count;

	sql = psprintf("SELECT pg_catalog.count(*) FROM (SELECT FROM %s.search_audit a"
				   " WHERE a.searched_by OPERATOR(pg_catalog.=) SESSION_USER"
				   " AND a.search OPERATOR(pg_catalog.=) 'match'"
				   " AND a.flight_id OPERATOR(pg_catalog.=) $1"
				   " AND a.occurred_at OPERATOR(pg_catalog.>) (pg_catalog.clock_timestamp() OPERATOR(pg_catalog.-) $2)"
				   " AND a.outcome IS DISTINCT FROM 'match' LIMIT $3) capped",
				   quote_identifier(schema));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	plan = SPI_prepare(sql, 3, argtypes);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	if (SPI_execute_snapshot(plan, values, NULL, GetLatestSnapshot(), InvalidSnapshot,
							 true, false, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "counting a gate's no-matches failed");
	count = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();
	PG_RETURN_INT64(count);
}
