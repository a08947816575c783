/*-------------------------------------------------------------------------
 *
 * names.c
 *	  Name similarity for the biographic matching of departure manifests.
 *
 * ADIS matches names with the Damerau-Levenshtein distance (DOMAIN.md A6).
 * This is its restricted form, the optimal string alignment distance:
 * insertions, deletions, substitutions and transpositions of two adjacent
 * characters, each costing one, no substring edited twice.  It is computed
 * on characters (not bytes), in three rows of the usual matrix, so memory is
 * O(length) and time O(length^2); both strings are bounded by
 * BX_NAME_MAX_CHARS.  The strings compared are normalised name keys
 * (bx_name_key), so case, diacritics and punctuation never count.
 *
 * bxexit does not depend on contrib's fuzzystrmatch for this: see the
 * README, "Departure manifests", for why.
 *
 * src/records/names.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"

/* longest name key compared: two name fields of 200 characters and more */
#define BX_NAME_MAX_CHARS 512

/* Characters of a text as wide characters; *len receives their count. */
static pg_wchar *
NameChars(text *t, int *len)
{
	int			bytes = VARSIZE_ANY_EXHDR(t);
	int			chars = pg_mbstrlen_with_len(VARDATA_ANY(t), bytes);
	pg_wchar   *w;

	if (chars > BX_NAME_MAX_CHARS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("name of %d characters is too long to compare", chars),
				 errdetail("Names of at most %d characters are compared.", BX_NAME_MAX_CHARS)));
	w = palloc((chars + 1) * sizeof(pg_wchar));
	*len = pg_mb2wchar_with_len(VARDATA_ANY(t), w, bytes);
	return w;
}

/* Optimal string alignment distance of a[0..m) and b[0..n). */
static int
OsaDistance(const pg_wchar *a, int m, const pg_wchar *b, int n)
{
	int		   *prev2 = palloc((n + 1) * sizeof(int));
	int		   *prev = palloc((n + 1) * sizeof(int));
	int		   *cur = palloc((n + 1) * sizeof(int));
	int			i,
				j,
				d;

	for (j = 0; j <= n; j++)
		prev[j] = j;
	for (i = 1; i <= m; i++)
	{
		int		   *t;

		cur[0] = i;
		for (j = 1; j <= n; j++)
		{
			int			cost = (a[i - 1] == b[j - 1]) ? 0 : 1;
			int			v = prev[j] + 1;

			if (cur[j - 1] + 1 < v)
				v = cur[j - 1] + 1;
			if (prev[j - 1] + cost < v)
				v = prev[j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
				prev2[j - 2] + 1 < v)
				v = prev2[j - 2] + 1;
			cur[j] = v;
		}
		t = prev2;
		prev2 = prev;
		prev = cur;
		cur = t;
	}
	d = prev[n];
	pfree(prev2);
	pfree(prev);
	pfree(cur);
	return d;
}

/*
 * bx_name_distance(a text, b text) int4: the optimal string alignment
 * (restricted Damerau-Levenshtein) distance, in characters.
 */
PG_FUNCTION_INFO_V1(bx_name_distance);
Datum
bx_name_distance(PG_FUNCTION_ARGS)
{
	int			m,
				n;
	pg_wchar   *a = NameChars(PG_GETARG_TEXT_PP(0), &m);
	pg_wchar   *b = NameChars(PG_GETARG_TEXT_PP(1), &n);

	PG_RETURN_INT32(OsaDistance(a, m, b, n));
}

/*
 * bx_name_similarity(a text, b text) float4: 1 - distance / length of the
 * longer string, in 0 .. 1; 1 for two empty strings.
 */
PG_FUNCTION_INFO_V1(bx_name_similarity);
Datum
bx_name_similarity(PG_FUNCTION_ARGS)
{
	int			m,
				n;
	pg_wchar   *a = NameChars(PG_GETARG_TEXT_PP(0), &m);
	pg_wchar   *b = NameChars(PG_GETARG_TEXT_PP(1), &n);
	int			longer = Max(m, n);

	if (longer == 0)
		PG_RETURN_FLOAT4(1.0f);
	PG_RETURN_FLOAT4(1.0f - (float4) OsaDistance(a, m, b, n) / (float4) longer);
}
