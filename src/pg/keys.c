/* SPDX-License-Identifier: PostgreSQL */
/*
 * Keys of any type: the kinds of key types, ids from text and uuid keys,
 * keys as arguments and as results of the caller's type, and the messages
 * that name a key. The key table of an image is key_table.c's, the
 * aggregate's dictionary key_dict.c's.
 *
 * The id is PostgreSQL's hash_bytes_extended of the key's bytes with a fixed
 * seed: the same key has the same id in a training matrix, a test matrix and
 * a model, so everything that meets by id (scoring, fold-in, updates,
 * excluded cells) works unchanged. Two keys of one matrix with the same id
 * (one chance in 2^64 per pair) are refused when the matrix is built.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "funcapi.h"
#include "nmfpg_apply.h"
#include "nmfpg_keys.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/uuid.h"

#define KEY_HASH_SEED UINT64CONST(0x6e6d665f6b657973) /* "nmf_keys" */

static const char *const kind_names[NMF_KEY_COUNT] = {"bigint", "text", "uuid"};

const char *
nmfpg_key_kind_name(int kind)
{
	return kind >= 0 && kind < NMF_KEY_COUNT ? kind_names[kind] : "unknown";
}

int
nmfpg_key_kind(Oid type, const char *fn)
{
	switch (getBaseType(type))
	{
	case INT8OID:
	case INT4OID:
	case INT2OID:
		return NMF_KEY_ID;
	case TEXTOID:
	case VARCHAROID:
		return NMF_KEY_TEXT;
	case UUIDOID:
		return NMF_KEY_UUID;
	default:
		ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
		                errmsg("%s: keys of type %s are not supported", fn, format_type_be(type)),
		                errhint("Use bigint, integer, text or uuid keys, or cast them to one.")));
	}
	return NMF_KEY_ID;
}

int64
nmfpg_key_hash(const char *bytes, int64 len)
{
	return (int64)hash_bytes_extended((const unsigned char *)bytes, (int)len, KEY_HASH_SEED);
}

const char *
nmfpg_key_datum_bytes(Datum key, Oid base, int64 *len)
{
	if (base == UUIDOID)
	{
		*len = NMF_UUID_BYTES;
		return (const char *)DatumGetUUIDP(key)->data;
	}
	*len = VARSIZE_ANY_EXHDR(DatumGetTextPP(key));
	return VARDATA_ANY(DatumGetTextPP(key));
}

int64
nmfpg_key_id(Datum key, Oid base)
{
	const char *bytes;
	int64 len;

	switch (base)
	{
	case INT8OID:
		return DatumGetInt64(key);
	case INT4OID:
		return DatumGetInt32(key);
	case INT2OID:
		return DatumGetInt16(key);
	default:
		bytes = nmfpg_key_datum_bytes(key, base, &len);
		return nmfpg_key_hash(bytes, len);
	}
}

Oid
nmfpg_check_key_type(const char *fn, const char *what, const NmfpgKeys *k, Oid type)
{
	int kind = nmfpg_key_kind(type, fn);

	if (kind != k->kind)
		ereport(ERROR,
		        (errcode(ERRCODE_DATATYPE_MISMATCH),
		         errmsg("%s: the model's %s keys are %s, not %s", fn, what,
		                nmfpg_key_kind_name(k->kind), format_type_be(type)),
		         k->kind == NMF_KEY_ID
		             ? errhint("Give the %s keys as bigint or integer.", what)
		             : errhint("Give the %s keys as %s (a function that returns keys takes "
		                       "their type as an argument, e.g. NULL::%s).",
		                       what, nmfpg_key_kind_name(k->kind), nmfpg_key_kind_name(k->kind))));
	return getBaseType(type);
}

/* The position of id in k, -1 when it has no key. */
static int64
find_key(const NmfpgKeys *k, int64 id)
{
	int64 lo = 0, hi = k->count;

	while (lo < hi)
	{
		int64 mid = lo + (hi - lo) / 2;

		if (k->ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < k->count && k->ids[lo] == id ? lo : -1;
}

Datum
nmfpg_key_datum(const NmfpgKeys *k, int64 id, Oid base)
{
	int64 at, len;
	const char *bytes;

	if (k->kind == NMF_KEY_ID)
	{
		if (base == INT8OID)
			return Int64GetDatum(id);
		if ((base == INT4OID && (id < PG_INT32_MIN || id > PG_INT32_MAX)) ||
		    (base == INT2OID && (id < PG_INT16_MIN || id > PG_INT16_MAX)))
			ereport(ERROR, (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			                errmsg("id " INT64_FORMAT " is out of range for type %s", id,
			                       format_type_be(base)),
			                errhint("Ask for the keys as bigint.")));
		return base == INT4OID ? Int32GetDatum((int32)id) : Int16GetDatum((int16)id);
	}
	at = find_key(k, id);
	if (at < 0)
		elog(ERROR, "id " INT64_FORMAT " has no key in the key table", id);
	bytes = nmfpg_key_bytes(k, at, &len);
	if (k->kind == NMF_KEY_UUID)
	{
		pg_uuid_t *u = palloc(sizeof(pg_uuid_t));

		memcpy(u->data, bytes, NMF_UUID_BYTES);
		return UUIDPGetDatum(u);
	}
	return PointerGetDatum(cstring_to_text_with_len(bytes, (int)len));
}

Oid
nmfpg_arg_type(FunctionCallInfo fcinfo, int argno)
{
	Oid type = get_fn_expr_argtype(fcinfo->flinfo, argno);
	Oid *declared;
	int nargs;

	if (OidIsValid(type))
		return type;
	/* Called without an expression (Citus's worker_partial_agg): the declared type. */
	get_func_signature(fcinfo->flinfo->fn_oid, &declared, &nargs);
	if (argno >= nargs)
		elog(ERROR, "argument %d of a function of %d", argno, nargs);
	return declared[argno];
}

int64
nmfpg_key_arg(FunctionCallInfo fcinfo, int argno, const NmfpgKeys *k, const char *fn,
              const char *what)
{
	Oid type = nmfpg_arg_type(fcinfo, argno);

	if (type == INT8OID && k->kind == NMF_KEY_ID)
		return PG_GETARG_INT64(argno);
	return nmfpg_key_id(PG_GETARG_DATUM(argno), nmfpg_check_key_type(fn, what, k, type));
}

const int64 *
nmfpg_key_array_arg(FunctionCallInfo fcinfo, int argno, const NmfpgKeys *k, const char *fn,
                    const char *what, int64 *count, uint8 **isnull, Datum **keys)
{
	ArrayType *a = PG_GETARG_ARRAYTYPE_P(argno);
	Oid elem = ARR_ELEMTYPE(a);
	Oid base = nmfpg_check_key_type(fn, what, k, elem);
	int16 len;
	bool byval;
	char align;
	Datum *elems;
	bool *nulls;
	int n;
	int64 *out;
	uint8 *flags;

	*keys = NULL;
	if (elem == INT8OID)
		return nmfpg_int8_array(PointerGetDatum(a), count, isnull);
	get_typlenbyvalalign(elem, &len, &byval, &align);
	deconstruct_array(a, elem, len, byval, align, &elems, &nulls, &n);
	out = palloc(Max(n, 1) * sizeof(int64));
	flags = palloc0(Max(n, 1) * sizeof(uint8));
	for (int i = 0; i < n; i++)
	{
		out[i] = nulls[i] ? 0 : nmfpg_key_id(elems[i], base);
		flags[i] = nulls[i] ? 1 : 0;
	}
	*count = n;
	*isnull = flags;
	*keys = elems;
	return out;
}

Oid
nmfpg_result_key_type(FunctionCallInfo fcinfo, int column, const NmfpgKeys *k, const char *fn,
                      const char *what)
{
	TupleDesc desc;

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "%s: the result is not a row type", fn);
	return nmfpg_check_key_type(fn, what, k, TupleDescAttr(desc, column)->atttypid);
}

char *
nmfpg_key_text(Datum key, Oid type)
{
	Oid out;
	bool varlena;

	getTypeOutputInfo(type, &out, &varlena);
	return OidOutputFunctionCall(out, key);
}

void
nmfpg_unknown_key(const char *fn, const char *what, Datum key, Oid type)
{
	ereport(ERROR,
	        (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
	         errmsg("%s: %s key %s is not in the model", fn, what, nmfpg_key_text(key, type)),
	         errhint("Pass on_unknown => 'null' to get NULL or no rows instead.")));
}

void
nmfpg_unknown_arg(FunctionCallInfo fcinfo, int argno, const char *fn, const char *what, int64 id)
{
	Oid type = nmfpg_arg_type(fcinfo, argno);

	if (nmfpg_key_kind(type, fn) == NMF_KEY_ID)
		nmfpg_unknown_id(fn, what, id);
	nmfpg_unknown_key(fn, what, PG_GETARG_DATUM(argno), type);
}
