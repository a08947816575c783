/*-------------------------------------------------------------------------
 *
 * bxannvalidate.c
 *	  Operator class validator for bxann.
 *
 * A bxann operator class for face_embedding has exactly one ordering
 * operator (strategy 1, face_embedding x face_embedding -> float8, ORDER BY
 * float_ops) and support function 1, the exact distance with the same
 * signature, which must be one of bxexit's three distances: the index uses
 * it to know the metric and to re-rank.
 *
 * src/am/bxannvalidate.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/amvalidate.h"
#include "access/htup_details.h"
#include "bxann.h"
#include "catalog/pg_amop.h"
#include "catalog/pg_amproc.h"
#include "catalog/pg_opclass.h"
#include "catalog/pg_opfamily.h"
#include "catalog/pg_type.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"
#include "utils/syscache.h"

bool
bxannvalidate(Oid opclassoid)
{
	bool		result = true;
	HeapTuple	classtup;
	Form_pg_opclass classform;
	Oid			opfamilyoid;
	Oid			opcintype;
	char	   *opclassname;
	CatCList   *proclist;
	CatCList   *oprlist;
	int			nprocs = 0;
	int			nordering = 0;

	classtup = SearchSysCache1(CLAOID, ObjectIdGetDatum(opclassoid));
	if (!HeapTupleIsValid(classtup))
		elog(ERROR, "cache lookup failed for operator class %u", opclassoid);
	classform = (Form_pg_opclass) GETSTRUCT(classtup);
	opfamilyoid = classform->opcfamily;
	opcintype = classform->opcintype;
	opclassname = NameStr(classform->opcname);

	proclist = SearchSysCacheList1(AMPROCNUM, ObjectIdGetDatum(opfamilyoid));
	for (int i = 0; i < proclist->n_members; i++)
	{
		Form_pg_amproc procform = (Form_pg_amproc) GETSTRUCT(&proclist->members[i]->tuple);

		if (procform->amproclefttype != opcintype || procform->amprocrighttype != opcintype)
			continue;
		if (procform->amprocnum != BXANN_DISTANCE_PROC)
		{
			ereport(INFO,
					(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
					 errmsg("bxann operator class \"%s\" has invalid support function number %d",
							opclassname, procform->amprocnum)));
			result = false;
			continue;
		}
		nprocs++;
		if (!check_amproc_signature(procform->amproc, FLOAT8OID, true, 2, 2,
									opcintype, opcintype) ||
			BxAnnMetricOfFunction(procform->amproc) == 0)
		{
			ereport(INFO,
					(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
					 errmsg("bxann operator class \"%s\" support function 1 %s is not a bxexit distance",
							opclassname, format_procedure(procform->amproc))));
			result = false;
		}
	}

	oprlist = SearchSysCacheList1(AMOPSTRATEGY, ObjectIdGetDatum(opfamilyoid));
	for (int i = 0; i < oprlist->n_members; i++)
	{
		Form_pg_amop oprform = (Form_pg_amop) GETSTRUCT(&oprlist->members[i]->tuple);

		if (oprform->amoplefttype != opcintype || oprform->amoprighttype != opcintype)
			continue;
		if (oprform->amopstrategy != 1 || oprform->amoppurpose != AMOP_ORDER ||
			!check_amop_signature(oprform->amopopr, FLOAT8OID,
								  oprform->amoplefttype, oprform->amoprighttype))
		{
			ereport(INFO,
					(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
					 errmsg("bxann operator class \"%s\" has invalid operator %s",
							opclassname, format_operator(oprform->amopopr))));
			result = false;
			continue;
		}
		if (!OidIsValid(oprform->amopsortfamily) ||
			!opfamily_can_sort_type(oprform->amopsortfamily, FLOAT8OID))
		{
			ereport(INFO,
					(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
					 errmsg("bxann operator class \"%s\": ordering operator %s does not sort by float8",
							opclassname, format_operator(oprform->amopopr))));
			result = false;
		}
		nordering++;
	}

	if (nprocs != 1)
	{
		ereport(INFO,
				(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
				 errmsg("bxann operator class \"%s\" needs support function 1", opclassname)));
		result = false;
	}
	if (nordering != 1)
	{
		ereport(INFO,
				(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
				 errmsg("bxann operator class \"%s\" needs exactly one ordering operator", opclassname)));
		result = false;
	}

	ReleaseCatCacheList(oprlist);
	ReleaseCatCacheList(proclist);
	ReleaseSysCache(classtup);
	return result;
}
