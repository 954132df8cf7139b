/* SPDX-License-Identifier: PostgreSQL */
/*
 * The nmf_matrix aggregates: nmf_matrix(row_id, col_id, value), a cell per
 * row, and nmf_matrix(row_id, values float8[]), a matrix row per row.
 *
 * Its state, nmf_matrix_state, is a real type (not internal) so that
 * PostgreSQL's parallel query and Citus can split the scan: partial states
 * travel as values (Citus ships the text form). Inside one process the state
 * is an expanded object (as array_append's expanded arrays) holding the
 * core's builder, which a row grows in place at O(1) amortised cost; the
 * builder sorts and merges once, when the state is shipped or finished.
 *
 * The builder's memory is the core's (malloc), not a memory context's: it is
 * bounded by nmf.max_memory, checked by the core before each allocation, and
 * released by a reset callback on the state's context, so an ERROR or cancel
 * anywhere frees it with the aggregate's memory.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "nmfpg.h"
#include "nmfpg_keys.h"
#include "parser/parse_coerce.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/expandeddatum.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

PG_FUNCTION_INFO_V1(nmf_matrix_state_add);
PG_FUNCTION_INFO_V1(nmf_matrix_state_add_keys);
PG_FUNCTION_INFO_V1(nmf_matrix_state_combine);
PG_FUNCTION_INFO_V1(nmf_matrix_final);
PG_FUNCTION_INFO_V1(nmf_matrix_state_add_row);
PG_FUNCTION_INFO_V1(nmf_matrix_state_add_vector);
PG_FUNCTION_INFO_V1(nmf_matrix_rows_final);

typedef struct StateExpanded
{
	ExpandedObjectHeader hdr;
	NmfcBuilder *builder;
	MemoryContextCallback release; /* frees builder when hdr.eoh_context goes */
	int32 row_length;              /* the row aggregate's array length so far; 0: none yet */
	bool keys_known;               /* keys' kinds set (by the first row or merged state) */
	Oid key_base[2];               /* the keyed aggregate's argument types' base types */
	NmfpgKeyDict keys[2];          /* text or uuid keys of the rows and columns by id */
	struct varlena *flat;          /* a keyed state's flat image, between the two methods */
} StateExpanded;

/* A builder's errors: a sum overflowing to infinity is out of range. */
static void
raise_build(int status, const NmfcError *err)
{
	nmfpg_raise(status, err, ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE);
}

static void
state_release(void *arg)
{
	StateExpanded *st = (StateExpanded *)arg;

	nmfc_builder_free(st->builder);
	st->builder = NULL;
}

/* Flattening is how a worker's state leaves it: sorted, and packed when it can be. */
static bool
state_keyed(const StateExpanded *st)
{
	return st->keys_known && (st->keys[0].kind != NMF_KEY_ID || st->keys[1].kind != NMF_KEY_ID);
}

/* A keyed state's image: the cells', then the key table of every key it holds. */
static struct varlena *
keyed_state_image(StateExpanded *st, int64 size)
{
	NmfcInterrupts intr = nmfpg_interrupts();
	NmfcError err;
	MemoryContext old = MemoryContextSwitchTo(st->hdr.eoh_context);
	struct varlena *image = nmfpg_alloc_image(size, "the partial nmf_matrix_state");
	NmfpgKeys rows = nmfpg_dict_source(&st->keys[0]), cols = nmfpg_dict_source(&st->keys[1]);
	int64 n_rows, n_cols;
	const int64 *row_ids = nmfpg_dict_ids(&st->keys[0], &n_rows);
	const int64 *col_ids = nmfpg_dict_ids(&st->keys[1], &n_cols);

	nmfpg_raise(nmfc_builder_write(st->builder, NMFC_IMAGE_STATE, image, (size_t)size, &intr, &err),
	            &err, ERRCODE_DATA_CORRUPTED);
	image = nmfpg_with_keys(image, row_ids, n_rows, col_ids, n_cols, &rows, &cols, 1);
	pfree((void *)row_ids);
	pfree((void *)col_ids);
	MemoryContextSwitchTo(old);
	return image;
}

static Size
state_get_flat_size(ExpandedObjectHeader *eohptr)
{
	StateExpanded *st = (StateExpanded *)eohptr;
	NmfcInterrupts intr = nmfpg_interrupts();
	NmfcError err;
	int64 size;

	raise_build(nmfc_builder_measure(st->builder, NMFC_IMAGE_STATE, &size, &intr, &err), &err);
	nmfpg_check_image_size(size, "the partial nmf_matrix_state");
	if (!state_keyed(st))
		return (Size)size;
	st->flat = keyed_state_image(st, size);
	return VARSIZE(st->flat);
}

static void
state_flatten_into(ExpandedObjectHeader *eohptr, void *result, Size allocated_size)
{
	StateExpanded *st = (StateExpanded *)eohptr;
	NmfcInterrupts intr = nmfpg_interrupts();
	NmfcError err;

	if (st->flat != NULL)
	{
		Assert(VARSIZE(st->flat) == allocated_size);
		memcpy(result, st->flat, allocated_size);
		pfree(st->flat);
		st->flat = NULL;
		return;
	}
	nmfpg_raise(
	    nmfc_builder_write(st->builder, NMFC_IMAGE_STATE, result, allocated_size, &intr, &err),
	    &err, ERRCODE_DATA_CORRUPTED);
	SET_VARSIZE(result, allocated_size);
}

static const ExpandedObjectMethods state_methods = {state_get_flat_size, state_flatten_into};

/* A new, empty state in its own context under parent. */
static StateExpanded *
state_new(MemoryContext parent)
{
	MemoryContext cxt = AllocSetContextCreate(parent, "nmf_matrix_state", ALLOCSET_DEFAULT_SIZES);
	StateExpanded *st = MemoryContextAllocZero(cxt, sizeof(StateExpanded));
	NmfcError err;

	EOH_init_header(&st->hdr, &state_methods, cxt);
	st->release.func = state_release;
	st->release.arg = st;
	MemoryContextRegisterResetCallback(cxt, &st->release);
	nmfpg_raise(nmfc_builder_create((int64)nmfpg_max_memory_kb * 1024, &st->builder, &err), &err,
	            ERRCODE_DATA_CORRUPTED);
	return st;
}

/* The kinds of keys of a state: set once, by its first row or the first state merged in. */
static void
state_set_kinds(StateExpanded *st, int row_kind, int col_kind)
{
	if (st->keys_known)
	{
		if (st->keys[0].kind != row_kind || st->keys[1].kind != col_kind)
			ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
			                errmsg("nmf_matrix: partial states with keys of different types")));
		return;
	}
	nmfpg_dict_init(&st->keys[0], row_kind, st->hdr.eoh_context);
	nmfpg_dict_init(&st->keys[1], col_kind, st->hdr.eoh_context);
	st->keys_known = true;
}

/* Adds a state datum (expanded, or a flat image validated on input) as one more sorted run. */
static void
state_add(StateExpanded *st, Datum d)
{
	NmfcInterrupts intr = nmfpg_interrupts();
	NmfcError err;

	if (VARATT_IS_EXTERNAL_EXPANDED(DatumGetPointer(d)))
	{
		StateExpanded *other = (StateExpanded *)DatumGetEOHP(d);

		raise_build(nmfc_builder_add_builder(st->builder, other->builder, &intr, &err), &err);
		if (other->keys_known)
		{
			state_set_kinds(st, other->keys[0].kind, other->keys[1].kind);
			for (int side = 0; side < 2; side++)
				nmfpg_dict_add_dict(&st->keys[side], &other->keys[side]);
		}
	}
	else
	{
		struct varlena *flat = nmfpg_detoast_aligned(d);
		NmfpgKeys rows = nmfpg_image_keys(flat, NMFPG_ROWS),
		          cols = nmfpg_image_keys(flat, NMFPG_COLS);

		raise_build(nmfc_builder_add_state(st->builder, flat, VARSIZE(flat), &intr, &err), &err);
		if (rows.kind != NMF_KEY_ID || cols.kind != NMF_KEY_ID)
		{
			state_set_kinds(st, rows.kind, cols.kind);
			nmfpg_dict_add_keys(&st->keys[0], &rows);
			nmfpg_dict_add_keys(&st->keys[1], &cols);
		}
	}
}

/*
 * The state argument to grow: in place when it is our read-write expanded
 * object, else a new state in aggcxt holding its value (none for NULL).
 */
static StateExpanded *
state_for_update(FunctionCallInfo fcinfo, int argno, MemoryContext aggcxt)
{
	StateExpanded *st;

	if (!PG_ARGISNULL(argno) &&
	    VARATT_IS_EXTERNAL_EXPANDED_RW(DatumGetPointer(PG_GETARG_DATUM(argno))))
		return (StateExpanded *)DatumGetEOHP(PG_GETARG_DATUM(argno));
	st = state_new(aggcxt);
	if (!PG_ARGISNULL(argno))
		state_add(st, PG_GETARG_DATUM(argno));
	return st;
}

static MemoryContext
aggregate_context(FunctionCallInfo fcinfo, const char *fn)
{
	MemoryContext aggcxt;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
		                errmsg("%s can only be called by the nmf_matrix aggregate", fn)));
	return aggcxt;
}

/* A cell's value is finite and >= 0; row and col name its keys in the error. */
static void
check_value(const char *row, const char *col, double value)
{
	if (isnan(value) || isinf(value))
		ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION),
		                errmsg("value at row %s, column %s is %s", row, col,
		                       isnan(value) ? "NaN" : (value > 0 ? "Infinity" : "-Infinity")),
		                errhint("NMF needs finite, non-negative values.")));
	if (value < 0)
		ereport(ERROR, (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
		                errmsg("value at row %s, column %s is negative: %g", row, col, value),
		                errhint("NMF needs finite, non-negative values.")));
}

void
nmfpg_check_cell(int64 row, int64 col, double value)
{
	if (!(value >= 0) || isinf(value))
		check_value(psprintf(INT64_FORMAT, row), psprintf(INT64_FORMAT, col), value);
}

/* Not strict: a NULL row, column or value is an error, not a row skipped. */
static void
check_cell_args(FunctionCallInfo fcinfo, const char *row, const char *col)
{
	const char *const names[] = {NULL, row, col, "value"};

	for (int i = 1; i <= 3; i++)
		if (PG_ARGISNULL(i))
			ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
			                errmsg("nmf_matrix: %s must not be NULL", names[i]),
			                errhint("Filter NULLs out with WHERE, or COALESCE them.")));
}

Datum
nmf_matrix_state_add(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = aggregate_context(fcinfo, "nmf_matrix_state_add");
	StateExpanded *st;
	NmfTriplet t;
	NmfcError err;

	check_cell_args(fcinfo, "row_id", "col_id");
	t.row = PG_GETARG_INT64(1);
	t.col = PG_GETARG_INT64(2);
	t.value = PG_GETARG_FLOAT8(3);
	nmfpg_check_cell(t.row, t.col, t.value);

	st = state_for_update(fcinfo, 0, aggcxt);
	raise_build(nmfc_builder_add(st->builder, &t, &err), &err);
	PG_RETURN_DATUM(EOHPGetRWDatum(&st->hdr));
}

/*
 * nmf_matrix(row_key, col_key, value) with text or uuid keys on either side
 * (bigint on the other): the same cells, each key's id its hash, and the
 * keys kept for the matrix's key table.
 */
Datum
nmf_matrix_state_add_keys(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = aggregate_context(fcinfo, "nmf_matrix_state_add_keys");
	StateExpanded *st;
	NmfTriplet t;
	NmfcError err;

	check_cell_args(fcinfo, "row_key", "col_key");
	t.value = PG_GETARG_FLOAT8(3);
	if (!(t.value >= 0) || isinf(t.value))
		check_value(nmfpg_key_text(PG_GETARG_DATUM(1), nmfpg_arg_type(fcinfo, 1)),
		            nmfpg_key_text(PG_GETARG_DATUM(2), nmfpg_arg_type(fcinfo, 2)), t.value);
	st = state_for_update(fcinfo, 0, aggcxt);
	if (!OidIsValid(st->key_base[0]))
	{
		Oid row_type = nmfpg_arg_type(fcinfo, 1), col_type = nmfpg_arg_type(fcinfo, 2);

		state_set_kinds(st, nmfpg_key_kind(row_type, "nmf_matrix"),
		                nmfpg_key_kind(col_type, "nmf_matrix"));
		st->key_base[0] = getBaseType(row_type);
		st->key_base[1] = getBaseType(col_type);
	}
	t.row = nmfpg_dict_add_datum(&st->keys[0], PG_GETARG_DATUM(1), st->key_base[0]);
	t.col = nmfpg_dict_add_datum(&st->keys[1], PG_GETARG_DATUM(2), st->key_base[1]);
	raise_build(nmfc_builder_add(st->builder, &t, &err), &err);
	PG_RETURN_DATUM(EOHPGetRWDatum(&st->hdr));
}

/* Not strict: either side may be NULL (an empty partial scan). */
Datum
nmf_matrix_state_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = aggregate_context(fcinfo, "nmf_matrix_state_combine");
	StateExpanded *st;

	if (PG_ARGISNULL(0) && PG_ARGISNULL(1))
		PG_RETURN_NULL();
	st = state_for_update(fcinfo, 0, aggcxt);
	if (!PG_ARGISNULL(1))
		state_add(st, PG_GETARG_DATUM(1));
	PG_RETURN_DATUM(EOHPGetRWDatum(&st->hdr));
}

/*
 * Sorts the state in place (FINALFUNC_MODIFY = READ_WRITE says so) and
 * writes the matrix, merging the sorted runs on the way; duplicates are summed.
 */
Datum
nmf_matrix_final(PG_FUNCTION_ARGS)
{
	NmfcInterrupts intr = nmfpg_interrupts();
	NmfcError err;
	StateExpanded *st;
	int64 size;
	struct varlena *image;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	if (VARATT_IS_EXTERNAL_EXPANDED(DatumGetPointer(PG_GETARG_DATUM(0))))
		st = (StateExpanded *)DatumGetEOHP(PG_GETARG_DATUM(0));
	else
	{
		st = state_new(CurrentMemoryContext);
		state_add(st, PG_GETARG_DATUM(0));
	}
	raise_build(nmfc_builder_measure(st->builder, NMFC_IMAGE_MATRIX, &size, &intr, &err), &err);
	image = nmfpg_alloc_image(size, "the nmf_matrix");
	nmfpg_raise(
	    nmfc_builder_write(st->builder, NMFC_IMAGE_MATRIX, image, (size_t)size, &intr, &err), &err,
	    ERRCODE_PROGRAM_LIMIT_EXCEEDED);
	if (state_keyed(st))
	{
		NmfpgKeys rows = nmfpg_dict_source(&st->keys[0]), cols = nmfpg_dict_source(&st->keys[1]);

		image = nmfpg_matrix_with_keys(image, &rows, &cols, 1);
	}
	PG_RETURN_POINTER(nmfpg_matrix_compact(image));
}

/*
 * nmf_matrix(row_id, values): appends the row's cells at columns 1..n of a
 * float8 or float4 array to the state in argument 0, each element stored (a
 * zero too: a dense row observes every cell). Rows of another length are
 * refused here within one process, and by the final function across
 * parallel parts.
 */
static Datum
add_row_values(FunctionCallInfo fcinfo, MemoryContext aggcxt, int64 row, ArrayType *a)
{
	StateExpanded *st;
	NmfTriplet t;
	NmfcError err;
	int n;
	const bool single = ARR_ELEMTYPE(a) == FLOAT4OID;

	t.row = row;
	if (ARR_NDIM(a) != 1)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("nmf_matrix: the values of row " INT64_FORMAT
		                       " must be a 1-dimensional array, not %d-dimensional",
		                       t.row, ARR_NDIM(a)),
		                errhint("Give each row's values as one array, e.g. '{1,0,2}'::float8[].")));
	if (array_contains_nulls(a))
		ereport(ERROR,
		        (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
		         errmsg("nmf_matrix: the values of row " INT64_FORMAT " contain NULL", t.row),
		         errhint("A dense row stores every cell: replace NULLs (0, or an average).")));
	n = ARR_DIMS(a)[0];
	st = state_for_update(fcinfo, 0, aggcxt);
	if (st->row_length == 0)
		st->row_length = n;
	else if (n != st->row_length)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("nmf_matrix: row " INT64_FORMAT " has %d values, an earlier row %d",
		                       t.row, n, st->row_length),
		                errhint("Every row's array must have the same length.")));
	for (int j = 0; j < n; j++)
	{
		t.col = j + 1;
		t.value = single ? (double)((const float4 *)ARR_DATA_PTR(a))[j]
		                 : ((const double *)ARR_DATA_PTR(a))[j];
		nmfpg_check_cell(t.row, t.col, t.value);
		raise_build(nmfc_builder_add(st->builder, &t, &err), &err);
	}
	PG_RETURN_DATUM(EOHPGetRWDatum(&st->hdr));
}

/* Not strict: a NULL row id or array is an error. */
static void
check_row_args(FunctionCallInfo fcinfo)
{
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR,
		        (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
		         errmsg("nmf_matrix: %s must not be NULL", PG_ARGISNULL(1) ? "row_id" : "values"),
		         errhint("Filter NULLs out with WHERE.")));
}

Datum
nmf_matrix_state_add_row(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = aggregate_context(fcinfo, "nmf_matrix_state_add_row");

	check_row_args(fcinfo);
	return add_row_values(fcinfo, aggcxt, PG_GETARG_INT64(1), PG_GETARG_ARRAYTYPE_P(2));
}

/* How a values type becomes an array: its implicit cast to real[] or float8[]. */
typedef struct VectorCast
{
	Oid type;
	FmgrInfo cast;
	int nargs;
} VectorCast;

static VectorCast *
vector_cast(FunctionCallInfo fcinfo)
{
	VectorCast *vc = (VectorCast *)fcinfo->flinfo->fn_extra;
	Oid type = get_fn_expr_argtype(fcinfo->flinfo, 2);
	Oid targets[] = {FLOAT4ARRAYOID, FLOAT8ARRAYOID};

	if (vc != NULL && vc->type == type)
		return vc;
	for (int i = 0; i < 2; i++)
	{
		Oid funcid = InvalidOid;

		if (find_coercion_pathway(targets[i], type, COERCION_IMPLICIT, &funcid) ==
		        COERCION_PATH_FUNC &&
		    OidIsValid(funcid))
		{
			vc = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(VectorCast));
			vc->type = type;
			vc->nargs = get_func_nargs(funcid);
			fmgr_info_cxt(funcid, &vc->cast, fcinfo->flinfo->fn_mcxt);
			fcinfo->flinfo->fn_extra = vc;
			return vc;
		}
	}
	ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
	                errmsg("nmf_matrix: values of type %s are not an array of numbers",
	                       format_type_be(type)),
	                errhint("Give float8[] or real[], or a type with an implicit cast to real[] "
	                        "(pgvector's vector has one).")));
	return NULL;
}

/* nmf_matrix(row_id, values) over a type that casts to real[], e.g. pgvector's vector. */
Datum
nmf_matrix_state_add_vector(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = aggregate_context(fcinfo, "nmf_matrix_state_add_vector");
	VectorCast *vc;
	Datum values;

	check_row_args(fcinfo);
	vc = vector_cast(fcinfo);
	/* A cast function takes the value, then optionally the typmod and "explicit". */
	if (vc->nargs == 1)
		values = FunctionCall1(&vc->cast, PG_GETARG_DATUM(2));
	else if (vc->nargs == 2)
		values = FunctionCall2(&vc->cast, PG_GETARG_DATUM(2), Int32GetDatum(-1));
	else
		values =
		    FunctionCall3(&vc->cast, PG_GETARG_DATUM(2), Int32GetDatum(-1), BoolGetDatum(false));
	return add_row_values(fcinfo, aggcxt, PG_GETARG_INT64(1), DatumGetArrayTypeP(values));
}

/* nmf_matrix_final, then: every row has every column (parts built apart agree). */
Datum
nmf_matrix_rows_final(PG_FUNCTION_ARGS)
{
	Datum d = nmf_matrix_final(fcinfo);
	const NmfMatrixFlat *m;

	if (fcinfo->isnull)
		return d;
	m = (const NmfMatrixFlat *)DatumGetPointer(d);
	if (m->nnz != m->rows * m->cols)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("nmf_matrix: the rows' arrays have different lengths (the longest "
		                       "has " INT64_FORMAT " values)",
		                       m->cols),
		                errhint("Every row's array must have the same length.")));
	return d;
}

NMFPG_IMAGE_IO(nmf_matrix_state_in, nmf_matrix_state_out, nmf_matrix_state_recv,
               nmf_matrix_state_send, nmfc_state_validate, "nmf_matrix_state")
