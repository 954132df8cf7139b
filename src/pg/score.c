/* SPDX-License-Identifier: PostgreSQL */
/*
 * Evaluation in SQL: nmf_score, the error of a model over the stored cells
 * of a matrix; nmf_rank_score and nmf_popularity_score, the ranking metrics
 * of a model's top-k lists and of the popularity list; and nmf_split, the seeded split of a
 * matrix's stored cells into a training and a test matrix that nmf_cv (in SQL) builds on.
 */
#include "postgres.h"

#include <math.h>

#include "funcapi.h"
#include "lib/stringinfo.h"
#include "nmfpg_apply.h"
#include "nmfpg_keys.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(nmf_score);
PG_FUNCTION_INFO_V1(nmf_split);

/* A number, or JSON null when there were no cells to average over. */
static const char *
number_or_null(double num, double den)
{
	return den > 0 ? nmfpg_json_number(num / den) : "null";
}

/*
 * nmf_score(model, matrix) → jsonb: rmse, mae, frobenius, relative_error,
 * cells, unknown_cells over the matrix's stored cells whose ids the model knows.
 */
Datum
nmf_score(PG_FUNCTION_ARGS)
{
	NmfcInterrupts intr = nmfpg_interrupts();
	const NmfModelFlat *m;
	NmfcModelView v = nmfpg_model_view_arg(fcinfo, 0, 2, true, &m);
	const NmfMatrixFlat *x = NMFPG_MATRIX_P(1);
	NmfcMatrixView xv = nmfpg_matrix_view(x);
	NmfcError err;
	NmfcScore s;
	StringInfoData json;

	nmfpg_check_same_keys("nmf_score", m, x);
	nmfpg_raise(nmfc_score(&v, &xv, nmf_matrix_row_ids(x), nmf_matrix_col_ids(x), &s, &intr, &err),
	            &err, ERRCODE_DATA_CORRUPTED);
	initStringInfo(&json);
	appendStringInfo(&json, "{\"rmse\": %s",
	                 s.cells > 0 ? nmfpg_json_number(sqrt(s.sse / s.cells)) : "null");
	appendStringInfo(&json, ", \"mae\": %s", number_or_null(s.sae, (double)s.cells));
	appendStringInfo(&json, ", \"frobenius\": %s", nmfpg_json_number(sqrt(s.sse)));
	appendStringInfo(&json, ", \"relative_error\": %s",
	                 s.x_sq > 0 ? nmfpg_json_number(sqrt(s.sse / s.x_sq)) : "null");
	appendStringInfo(&json, ", \"cells\": " INT64_FORMAT ", \"unknown_cells\": " INT64_FORMAT "}",
	                 s.cells, s.unknown_cells);
	PG_RETURN_DATUM(nmfpg_jsonb_from_cstring(json.data));
}

/* The jsonb of nmf_rank_score and nmf_popularity_score: means over the rows scored. */
static Datum
rank_score_jsonb(int32 k, const NmfcRankScore *s)
{
	StringInfoData json;
	double n = (double)s->rows;

	initStringInfo(&json);
	appendStringInfo(&json, "{\"k\": %d, \"precision\": %s", k, number_or_null(s->precision, n));
	appendStringInfo(&json, ", \"recall\": %s", number_or_null(s->recall, n));
	appendStringInfo(&json, ", \"ndcg\": %s", number_or_null(s->ndcg, n));
	appendStringInfo(&json, ", \"map\": %s", number_or_null(s->ap, n));
	appendStringInfo(&json, ", \"coverage\": %s",
	                 number_or_null((double)s->listed_cols, (double)s->cols));
	appendStringInfo(&json,
	                 ", \"rows\": " INT64_FORMAT ", \"unknown_rows\": " INT64_FORMAT
	                 ", \"rows_without_known_cells\": " INT64_FORMAT
	                 ", \"unknown_cells\": " INT64_FORMAT "}",
	                 s->rows, s->unknown_rows, s->empty_rows, s->unknown_cells);
	return nmfpg_jsonb_from_cstring(json.data);
}

/* k of a ranking function: not NULL, at least 1. */
static int32
rank_k_arg(FunctionCallInfo fcinfo, int argno, const char *fn)
{
	int32 k;

	nmfpg_arg_not_null(fcinfo, argno, fn, "k");
	k = PG_GETARG_INT32(argno);
	nmfpg_check_k(fn, k);
	return k;
}

/*
 * nmf_rank_score(model, test, k, train, threads) → jsonb: precision, recall,
 * NDCG and MAP at k of the model's lists (each row's train cells left out)
 * against the rows' test cells, averaged over the rows scored, and the
 * catalogue coverage. nmf_popularity_score(train, test, k, threads): the same
 * for the popularity list of train (its columns by their count of stored
 * cells, each row's own train cells left out), the baseline a model's lists
 * should beat. A NULL first or second argument gives NULL.
 */
static Datum
rank_score(FunctionCallInfo fcinfo, bool popularity)
{
	const char *fn = popularity ? "nmf_popularity_score" : "nmf_rank_score";
	NmfcInterrupts intr = nmfpg_interrupts();
	int32 k = rank_k_arg(fcinfo, 2, fn);
	int32 threads = nmfpg_threads_arg(fcinfo, popularity ? 3 : 4, fn);
	NmfcRankScore s;
	NmfcError err;
	int status;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	if (popularity)
	{
		nmfpg_check_same_keys(fn, NMFPG_MATRIX_P(0), NMFPG_MATRIX_P(1));
		status = nmfc_popularity_score(NMFPG_MATRIX_P(0), NMFPG_MATRIX_P(1), k, threads, &s, &intr,
		                               &err);
	}
	else
	{
		const NmfModelFlat *m;
		NmfcModelView v = nmfpg_model_view_arg(fcinfo, 0, PG_NARGS(), true, &m);

		nmfpg_check_same_keys(fn, m, NMFPG_MATRIX_P(1));
		if (!PG_ARGISNULL(3))
			nmfpg_check_same_keys(fn, m, NMFPG_MATRIX_P(3));
		status = nmfc_rank_score(&v, NMFPG_MATRIX_P(1), PG_ARGISNULL(3) ? NULL : NMFPG_MATRIX_P(3),
		                         k, threads, &s, &intr, &err);
	}
	nmfpg_raise(status, &err, ERRCODE_DATA_CORRUPTED);
	PG_RETURN_DATUM(rank_score_jsonb(k, &s));
}

NMFPG_FUNCTION_WITH_FLAG(nmf_rank_score, rank_score, false)
NMFPG_FUNCTION_WITH_FLAG(nmf_popularity_score, rank_score, true)

/*
 * nmf_split(matrix, folds, fold, seed) → (train, test): the stored cells in
 * fold `fold` (1-based) are the test matrix, the others the training matrix;
 * a side without cells is NULL. A NULL matrix gives (NULL, NULL).
 */
Datum
nmf_split(PG_FUNCTION_ARGS)
{
	NmfcInterrupts intr = nmfpg_interrupts();
	TupleDesc desc;
	const NmfMatrixFlat *x;
	NmfcMatrixView xv;
	NmfcError err;
	NmfTriplet *t;
	int64 n_train, n_test;
	Datum values[2] = {0, 0};
	bool nulls[2] = {true, true};
	NmfpgKeys rows, cols;

	nmfpg_arg_not_null(fcinfo, 1, "nmf_split", "folds");
	nmfpg_arg_not_null(fcinfo, 2, "nmf_split", "fold");
	nmfpg_arg_not_null(fcinfo, 3, "nmf_split", "seed");
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "nmf_split must return a composite type");
	desc = BlessTupleDesc(desc);
	if (PG_ARGISNULL(0))
		PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));

	x = NMFPG_MATRIX_P(0);
	xv = nmfpg_matrix_view(x);
	nmfpg_check_memory(Max(xv.nnz, 1) * (int64)sizeof(NmfTriplet), "nmf_split");
	t = MemoryContextAllocHuge(CurrentMemoryContext, Max(xv.nnz, 1) * sizeof(NmfTriplet));
	nmfpg_raise(nmfc_split(&xv, nmf_matrix_row_ids(x), nmf_matrix_col_ids(x), PG_GETARG_INT32(1),
	                       PG_GETARG_INT32(2), PG_GETARG_INT64(3), t, &n_train, &intr, &err),
	            &err, ERRCODE_DATA_CORRUPTED);
	n_test = xv.nnz - n_train;
	rows = nmfpg_image_keys(x, NMFPG_ROWS);
	cols = nmfpg_image_keys(x, NMFPG_COLS);
	if (n_train > 0)
	{
		values[0] = PointerGetDatum(nmfpg_matrix_with_keys(
		    (struct varlena *)nmfpg_matrix_from_triplets(t, n_train), &rows, &cols, 1));
		nulls[0] = false;
	}
	if (n_test > 0)
	{
		values[1] = PointerGetDatum(nmfpg_matrix_with_keys(
		    (struct varlena *)nmfpg_matrix_from_triplets(t + n_train, n_test), &rows, &cols, 1));
		nulls[1] = false;
	}
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}
