/* SPDX-License-Identifier: PostgreSQL */
/*
 * Arguments of the functions that use a model: NULL checks, k, on_unknown,
 * bigint[] elements, and models and matrices detoasted once per query.
 */
#include "postgres.h"

#include "access/detoast.h"
#include "catalog/pg_type.h"
#include "nmfpg_apply.h"
#include "utils/array.h"
#include "utils/builtins.h"

void
nmfpg_arg_not_null(FunctionCallInfo fcinfo, int argno, const char *fn, const char *name)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
		                errmsg("%s: %s must not be NULL", fn, name)));
}

void
nmfpg_check_k(const char *fn, int32 k)
{
	if (k < 1)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("%s: k must be at least 1, not %d", fn, k)));
}

/* An optional threads argument: NULL is the setting nmf.threads. */
int32
nmfpg_threads_arg(FunctionCallInfo fcinfo, int arg, const char *fn)
{
	int32 threads = PG_ARGISNULL(arg) ? nmfpg_threads : PG_GETARG_INT32(arg);

	if (threads < 1 || threads > NMF_MAX_THREADS)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("%s: threads must be between 1 and %d, not %d", fn, NMF_MAX_THREADS,
		                       threads)));
	return threads;
}

int
nmfpg_choice_arg(FunctionCallInfo fcinfo, int argno, const char *fn, const char *name,
                 const char *first, const char *second)
{
	char *s;

	nmfpg_arg_not_null(fcinfo, argno, fn, name);
	s = text_to_cstring(PG_GETARG_TEXT_PP(argno));
	if (strcmp(s, first) == 0)
		return 0;
	if (strcmp(s, second) == 0)
		return 1;
	ereport(ERROR,
	        (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("%s: unknown %s \"%s\"", fn, name, s),
	         errhint("Valid values: %s, %s.", first, second)));
	return -1; /* not reached */
}

bool
nmfpg_on_unknown_error(FunctionCallInfo fcinfo, int argno, const char *fn)
{
	return nmfpg_choice_arg(fcinfo, argno, fn, "on_unknown", "null", "error") == 1;
}

void
nmfpg_unknown_id(const char *fn, const char *what, int64 id)
{
	ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
	                errmsg("%s: %s id " INT64_FORMAT " is not in the model", fn, what, id),
	                errhint("Pass on_unknown => 'null' to get NULL or no rows instead.")));
	pg_unreachable();
}

/*
 * One cached value per argument: the TOAST pointer that identifies it (a
 * TOAST value never changes, an update writes a new one) and the detoasted,
 * checked copy in the function's memory context.
 */
typedef struct ArgCache
{
	bool valid;
	Oid toastrelid;
	Oid valueid;
	const void *image;
} ArgCache;

#define ARG_CACHE_SLOTS 8

static const void *
cached_arg(FunctionCallInfo fcinfo, int argno, const void *(*load)(Datum))
{
	Datum d = PG_GETARG_DATUM(argno);
	struct varlena *raw = (struct varlena *)DatumGetPointer(d);
	struct varatt_external ext;
	ArgCache *cache;
	MemoryContext old;

	if (!VARATT_IS_EXTERNAL_ONDISK(raw) || argno >= ARG_CACHE_SLOTS)
		return load(d);
	VARATT_EXTERNAL_GET_POINTER(ext, raw);
	if (fcinfo->flinfo->fn_extra == NULL)
		fcinfo->flinfo->fn_extra =
		    MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, ARG_CACHE_SLOTS * sizeof(ArgCache));
	cache = (ArgCache *)fcinfo->flinfo->fn_extra + argno;
	if (cache->valid && cache->toastrelid == ext.va_toastrelid && cache->valueid == ext.va_valueid)
		return cache->image;
	if (cache->valid)
	{
		pfree((void *)cache->image);
		cache->valid = false;
	}
	old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	cache->image = load(d);
	MemoryContextSwitchTo(old);
	cache->toastrelid = ext.va_toastrelid;
	cache->valueid = ext.va_valueid;
	cache->valid = true;
	return cache->image;
}

static const void *
load_model(Datum d)
{
	return nmfpg_model_arg(d);
}

static const void *
load_matrix(Datum d)
{
	return nmfpg_matrix_arg(d);
}

/* A model read from a table is kept for the backend's next queries too (model_cache.c). */
const NmfModelFlat *
nmfpg_model_arg_cached(FunctionCallInfo fcinfo, int argno)
{
	const NmfModelFlat *m = nmfpg_model_backend_cached(PG_GETARG_DATUM(argno));

	return m ? m : (const NmfModelFlat *)cached_arg(fcinfo, argno, load_model);
}

const NmfMatrixFlat *
nmfpg_matrix_arg_cached(FunctionCallInfo fcinfo, int argno)
{
	return (const NmfMatrixFlat *)cached_arg(fcinfo, argno, load_matrix);
}

const int64 *
nmfpg_int8_array(Datum d, int64 *count, uint8 **isnull)
{
	ArrayType *a = DatumGetArrayTypeP(d);
	int n = ArrayGetNItems(ARR_NDIM(a), ARR_DIMS(a));
	Datum *elems;
	bool *nulls;
	int64 *out;
	uint8 *flags;

	Assert(ARR_ELEMTYPE(a) == INT8OID);
	*count = n;
	*isnull = NULL;
	/* A detoasted array without NULLs holds its int8s aligned and contiguous. */
	if (!ARR_HASNULL(a))
		return (const int64 *)ARR_DATA_PTR(a);
	deconstruct_array(a, INT8OID, sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &elems, &nulls,
	                  &n);
	out = palloc(Max(n, 1) * sizeof(int64));
	flags = palloc(Max(n, 1) * sizeof(uint8));
	for (int i = 0; i < n; i++)
	{
		out[i] = nulls[i] ? 0 : DatumGetInt64(elems[i]);
		flags[i] = nulls[i] ? 1 : 0;
	}
	pfree(elems);
	pfree(nulls);
	*isnull = flags;
	return out;
}

NmfcModelView
nmfpg_model_view_arg(FunctionCallInfo fcinfo, int model_arg, int clip_arg, bool cached,
                     const NmfModelFlat **model)
{
	const NmfModelFlat *m = cached ? nmfpg_model_arg_cached(fcinfo, model_arg)
	                               : nmfpg_model_arg(PG_GETARG_DATUM(model_arg));
	NmfcModelView v = nmfc_model_view(m);

	if (clip_arg < PG_NARGS())
	{
		nmfpg_arg_not_null(fcinfo, clip_arg, "nmf", "clip");
		if (!PG_GETARG_BOOL(clip_arg))
			v.clip = 0;
	}
	if (model)
		*model = m;
	return v;
}
