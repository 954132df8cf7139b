/* SPDX-License-Identifier: PostgreSQL */
/*
 * The SQL pieces of nmf_fit_distributed (see nmf--0.1--0.2.sql): aggregates
 * whose state is a float8[] (a real type with a combine function, so Citus
 * runs their partial step on the workers and ships one state per shard), and
 * the elementwise updates. Factors travel as float8[] r-vectors; H is one
 * float8[] of its n columns, column j at [j*r, j*r + r).
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "nmfpg.h"
#include "utils/array.h"

PG_FUNCTION_INFO_V1(nmf_dist_init);
PG_FUNCTION_INFO_V1(nmf_dist_gram_add);
PG_FUNCTION_INFO_V1(nmf_dist_sum);
PG_FUNCTION_INFO_V1(nmf_dist_update_h);
PG_FUNCTION_INFO_V1(nmf_dist_update_w);
PG_FUNCTION_INFO_V1(nmf_dist_gram_cols);
PG_FUNCTION_INFO_V1(nmf_dist_predict);
PG_FUNCTION_INFO_V1(nmf_dist_cell_loss);
PG_FUNCTION_INFO_V1(nmf_dist_dot);
PG_FUNCTION_INFO_V1(nmf_dist_square);

#define NMF_DIST_MAX_RANK 10000

static void
bad(const char *fmt, int64 a, int64 b)
{
	ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg(fmt, a, b)));
}

/* A 1-D array of the given element type without NULLs; its length. */
static int64
checked_len(ArrayType *a, Oid elemtype, const char *what)
{
	if (ARR_ELEMTYPE(a) != elemtype)
		ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
		                errmsg("%s has the wrong element type", what)));
	if (ARR_NDIM(a) == 0)
		return 0;
	if (ARR_NDIM(a) != 1 || ARR_HASNULL(a))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("%s must be a one-dimensional array without NULLs", what)));
	return ARR_DIMS(a)[0];
}

static ArrayType *
arg_array(FunctionCallInfo fcinfo, int argno, const char *what)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
		        (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("%s must not be NULL", what)));
	return PG_GETARG_ARRAYTYPE_P(argno);
}

static double *
f8(ArrayType *a)
{
	return (double *)ARR_DATA_PTR(a);
}

static ArrayType *
zeros(int64 len)
{
	ArrayType *a;
	int64 bytes = ARR_OVERHEAD_NONULLS(1) + len * (int64)sizeof(double);

	nmfpg_check_image_size(bytes, "the nmf_fit_distributed state");
	nmfpg_check_memory(bytes, "the nmf_fit_distributed state");
	a = (ArrayType *)palloc_extended(bytes, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	SET_VARSIZE(a, bytes);
	a->ndim = 1;
	a->dataoffset = 0;
	a->elemtype = FLOAT8OID;
	ARR_DIMS(a)[0] = (int)len;
	ARR_LBOUND(a)[0] = 1;
	return a;
}

static ArrayType *
copy_array(ArrayType *a)
{
	ArrayType *c = (ArrayType *)palloc_extended(VARSIZE(a), MCXT_ALLOC_HUGE);

	memcpy(c, a, VARSIZE(a));
	return c;
}

/*
 * The state to add to: arg 0 itself when the aggregate owns it (as
 * float8_accum does), a zeroed one when it is NULL, else a copy.
 */
static ArrayType *
agg_state(FunctionCallInfo fcinfo, int64 len)
{
	ArrayType *st;

	if (PG_ARGISNULL(0))
		return zeros(len);
	st = PG_GETARG_ARRAYTYPE_P(0);
	if (checked_len(st, FLOAT8OID, "the state") != len)
		bad("the state has " INT64_FORMAT " entries, not " INT64_FORMAT,
		    checked_len(st, FLOAT8OID, "the state"), len);
	return AggCheckCallContext(fcinfo, NULL) ? st : copy_array(st);
}

static int32
rank_of(int64 len)
{
	if (len < 1 || len > NMF_DIST_MAX_RANK)
		bad("a factor vector has " INT64_FORMAT " entries; the rank must be 1 to " INT64_FORMAT,
		    len, NMF_DIST_MAX_RANK);
	return (int32)len;
}

/* nmf_dist_init(id, seed, side, rank, scale) */
Datum
nmf_dist_init(PG_FUNCTION_ARGS)
{
	int32 r = rank_of(PG_GETARG_INT32(3));
	ArrayType *out = zeros(r);
	NmfcError err;

	nmfpg_raise(nmfc_dist_init(PG_GETARG_INT64(0), PG_GETARG_INT64(1), PG_GETARG_INT32(2), r,
	                           PG_GETARG_FLOAT8(4), f8(out), &err),
	            &err, ERRCODE_DATA_EXCEPTION);
	PG_RETURN_ARRAYTYPE_P(out);
}

/* The columns of H: cols (ascending bigint[]), their count. */
static const int64 *
cols_arg(FunctionCallInfo fcinfo, int argno, int64 *n)
{
	ArrayType *cols = arg_array(fcinfo, argno, "the column ids");

	*n = checked_len(cols, INT8OID, "the column ids");
	return (const int64 *)ARR_DATA_PTR(cols);
}

/* Argument argno: a float8[] of exactly len entries. */
static double *
sized_arg(FunctionCallInfo fcinfo, int argno, const char *what, int64 len)
{
	ArrayType *a = arg_array(fcinfo, argno, what);
	int64 got = checked_len(a, FLOAT8OID, what);

	if (got != len)
		ereport(ERROR,
		        (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		         errmsg("%s has " INT64_FORMAT " entries, not " INT64_FORMAT, what, got, len)));
	return f8(a);
}

/* The Gram matrix (r x r) at argno, needed only when the update is not masked. */
static const double *
gram_arg(FunctionCallInfo fcinfo, int argno, const char *what, int32 r, bool masked)
{
	return masked ? NULL : sized_arg(fcinfo, argno, what, (int64)r * r);
}

/* The rating of a statistics aggregate's row: its value (arg 3), finite and >= 0. */
static double
rating_value(FunctionCallInfo fcinfo)
{
	double v;

	if (PG_ARGISNULL(2) || PG_ARGISNULL(3))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
		                errmsg("nmf_fit_distributed: a column id or value is NULL")));
	v = PG_GETARG_FLOAT8(3);
	if (isnan(v) || isinf(v) || v < 0)
		ereport(ERROR, (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE), errmsg("a value is %g", v),
		                errhint("NMF needs finite, non-negative values.")));
	return v;
}

/*
 * The transition of nmf_dist_hstats (of_h: sums for every column of H) and
 * of nmf_dist_rowstats (sums for one row of W), both over (w, col_id, value,
 * cols, h, masked); masked states carry the denominators after the numerators.
 */
static Datum
stats_add(FunctionCallInfo fcinfo, bool of_h)
{
	ArrayType *w = arg_array(fcinfo, 1, "W's row");
	int32 r = rank_of(checked_len(w, FLOAT8OID, "W's row"));
	int64 n;
	const int64 *cols = cols_arg(fcinfo, 4, &n);
	bool masked = !PG_ARGISNULL(6) && PG_GETARG_BOOL(6);
	double value = rating_value(fcinfo);
	/* H's sums need H itself only for the masked denominators */
	const double *h = masked || !of_h ? sized_arg(fcinfo, 5, "H", n * r) : NULL;
	int64 len = of_h ? n * r : r;
	ArrayType *st = agg_state(fcinfo, (masked ? 2 : 1) * len);
	double *den = masked ? f8(st) + len : NULL;
	int64 col_id = PG_GETARG_INT64(2);
	NmfcError err;

	nmfpg_raise(
	    of_h ? nmfc_dist_hstats_add(f8(st), den, r, cols, n, f8(w), h, col_id, value, &err)
	         : nmfc_dist_rowstats_add(f8(st), den, r, cols, n, f8(w), h, col_id, value, &err),
	    &err, ERRCODE_DATA_EXCEPTION);
	PG_RETURN_ARRAYTYPE_P(st);
}

/* sfuncs of nmf_dist_hstats and nmf_dist_rowstats(w, col_id, value, cols, h, masked) */
NMFPG_FUNCTION_WITH_FLAG(nmf_dist_hstats_add, stats_add, true)
NMFPG_FUNCTION_WITH_FLAG(nmf_dist_rowstats_add, stats_add, false)

/* sfunc of nmf_dist_gram(w): W^T W, r x r */
Datum
nmf_dist_gram_add(PG_FUNCTION_ARGS)
{
	ArrayType *w = arg_array(fcinfo, 1, "W's row");
	int32 r = rank_of(checked_len(w, FLOAT8OID, "W's row"));
	ArrayType *st = agg_state(fcinfo, (int64)r * r);
	NmfcError err;

	nmfpg_raise(nmfc_dist_gram_add(f8(st), r, f8(w), 1, NULL, &err), &err, ERRCODE_DATA_EXCEPTION);
	PG_RETURN_ARRAYTYPE_P(st);
}

/* The combine function of the three: elementwise sum; either side may be NULL. */
Datum
nmf_dist_sum(PG_FUNCTION_ARGS)
{
	ArrayType *b;
	ArrayType *st;
	int64 len;
	double *s;
	const double *x;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	b = PG_GETARG_ARRAYTYPE_P(1);
	len = checked_len(b, FLOAT8OID, "a partial state");
	if (PG_ARGISNULL(0))
		PG_RETURN_ARRAYTYPE_P(copy_array(b));
	st = agg_state(fcinfo, len);
	s = f8(st);
	x = f8(b);
	for (int64 i = 0; i < len; i++)
		s[i] += x[i];
	PG_RETURN_ARRAYTYPE_P(st);
}

/* nmf_dist_update_h(h, stats, gram, rank, masked): H after one multiplicative update. */
Datum
nmf_dist_update_h(PG_FUNCTION_ARGS)
{
	ArrayType *h = copy_array(arg_array(fcinfo, 0, "H"));
	int32 r = rank_of(PG_GETARG_INT32(3));
	bool masked = PG_GETARG_BOOL(4);
	int64 len = checked_len(h, FLOAT8OID, "H");
	const double *stats, *gram;
	NmfcInterrupts intr = nmfpg_interrupts();
	NmfcError err;

	if (len % r != 0)
		bad("H has " INT64_FORMAT " entries, not a multiple of the rank " INT64_FORMAT, len, r);
	stats = sized_arg(fcinfo, 1, "the statistics of H", (masked ? 2 : 1) * len);
	gram = gram_arg(fcinfo, 2, "W^T W", r, masked);
	nmfpg_raise(nmfc_dist_mu_update(f8(h), r, len / r, stats, masked ? stats + len : NULL, gram,
	                                &intr, &err),
	            &err, ERRCODE_DATA_EXCEPTION);
	PG_RETURN_ARRAYTYPE_P(h);
}

/* nmf_dist_update_w(w, stats, hht, masked): one row of W after one update. */
Datum
nmf_dist_update_w(PG_FUNCTION_ARGS)
{
	ArrayType *w = copy_array(arg_array(fcinfo, 0, "W's row"));
	int32 r = rank_of(checked_len(w, FLOAT8OID, "W's row"));
	bool masked = PG_GETARG_BOOL(3);
	const double *stats = sized_arg(fcinfo, 1, "the statistics of W's row", (masked ? 2 : 1) * r);
	const double *gram = gram_arg(fcinfo, 2, "H H^T", r, masked);
	NmfcError err;

	nmfpg_raise(
	    nmfc_dist_mu_update(f8(w), r, 1, stats, masked ? stats + r : NULL, gram, NULL, &err), &err,
	    ERRCODE_DATA_EXCEPTION);
	PG_RETURN_ARRAYTYPE_P(w);
}

/* nmf_dist_gram_cols(h, rank): H H^T, r x r */
Datum
nmf_dist_gram_cols(PG_FUNCTION_ARGS)
{
	ArrayType *h = arg_array(fcinfo, 0, "H");
	int32 r = rank_of(PG_GETARG_INT32(1));
	int64 len = checked_len(h, FLOAT8OID, "H");
	ArrayType *g = zeros((int64)r * r);
	NmfcInterrupts intr = nmfpg_interrupts();
	NmfcError err;

	if (len % r != 0)
		bad("H has " INT64_FORMAT " entries, not a multiple of the rank " INT64_FORMAT, len, r);
	nmfpg_raise(nmfc_dist_gram_add(f8(g), r, f8(h), len / r, &intr, &err), &err,
	            ERRCODE_DATA_EXCEPTION);
	PG_RETURN_ARRAYTYPE_P(g);
}

/* (W H)[row, col] from the arguments (w, col_id, cols, h) of the two functions below. */
static double
predicted(FunctionCallInfo fcinfo)
{
	ArrayType *w = arg_array(fcinfo, 0, "W's row");
	int32 r = rank_of(checked_len(w, FLOAT8OID, "W's row"));
	int64 n;
	const int64 *cols = cols_arg(fcinfo, 2, &n);
	const double *h = sized_arg(fcinfo, 3, "H", n * r);
	double out = 0;
	NmfcError err;

	nmfpg_raise(nmfc_dist_predict(f8(w), r, cols, n, h, PG_GETARG_INT64(1), &out, &err), &err,
	            ERRCODE_DATA_EXCEPTION);
	return out;
}

/* nmf_dist_predict(w, col_id, cols, h): (W H)[row, col] */
Datum
nmf_dist_predict(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(predicted(fcinfo));
}

/*
 * nmf_dist_cell_loss(w, col_id, cols, h, value, masked): masked (v - p)^2,
 * else v p. Computed in C: SQL's float8 arithmetic refuses an underflow, and
 * tiny products are ordinary in a converged factorization.
 */
Datum
nmf_dist_cell_loss(PG_FUNCTION_ARGS)
{
	double v = PG_GETARG_FLOAT8(4);
	double p = predicted(fcinfo);

	PG_RETURN_FLOAT8(PG_GETARG_BOOL(5) ? (v - p) * (v - p) : v * p);
}

/* nmf_dist_dot(a, b): sum of a[i] b[i] (equal lengths). */
Datum
nmf_dist_dot(PG_FUNCTION_ARGS)
{
	ArrayType *a = arg_array(fcinfo, 0, "a");
	ArrayType *b = arg_array(fcinfo, 1, "b");
	int64 len = checked_len(a, FLOAT8OID, "a");
	const double *x = f8(a);
	const double *y = f8(b);
	double s = 0;

	if (checked_len(b, FLOAT8OID, "b") != len)
		bad("the arrays have " INT64_FORMAT " and " INT64_FORMAT " entries", len,
		    checked_len(b, FLOAT8OID, "b"));
	for (int64 i = 0; i < len; i++)
		s += x[i] * y[i];
	PG_RETURN_FLOAT8(s);
}

/* nmf_dist_square(x): x * x, 0 on underflow. */
Datum
nmf_dist_square(PG_FUNCTION_ARGS)
{
	double x = PG_GETARG_FLOAT8(0);

	PG_RETURN_FLOAT8(x * x);
}
