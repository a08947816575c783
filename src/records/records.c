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
