/* SPDX-License-Identifier: PostgreSQL */
/*
 * nmf_predict: predicted cells (W H)_ij, one at a time or for two arrays of
 * ids in one call (one setup, one pass in the core, for millions of pairs).
 */
#include "postgres.h"

#include "funcapi.h"
#include "miscadmin.h"
#include "nmfpg_apply.h"
#include "utils/tuplestore.h"

PG_FUNCTION_INFO_V1(nmf_predict);
PG_FUNCTION_INFO_V1(nmf_predict_pairs);

/* Names the first unknown id of an unknown pair. */
static void
raise_unknown_pair(const NmfcModelView *v, int64 row_id, int64 col_id)
{
	if (nmfc_find_id(v->row_ids, v->rows, row_id) < 0)
		nmfpg_unknown_id("nmf_predict", "row", row_id);
	nmfpg_unknown_id("nmf_predict", "column", col_id);
}

/* nmf_predict(model, row_id, col_id, on_unknown): NULL model or id, NULL. */
Datum
nmf_predict(PG_FUNCTION_ARGS)
{
	bool strict_ids = nmfpg_on_unknown_error(fcinfo, 3, "nmf_predict");
	NmfcModelView v;
	NmfcError err;
	int64 row_id, col_id;
	double score;
	uint8 known;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_NULL();
	v = nmfpg_model_view_arg(fcinfo, 0, 4, true);
	row_id = PG_GETARG_INT64(1);
	col_id = PG_GETARG_INT64(2);
	nmfpg_raise(nmfc_predict_pairs(&v, 1, &row_id, &col_id, NULL, &score, &known, NULL, &err), &err,
	            ERRCODE_DATA_CORRUPTED);
	if (!known)
	{
		if (strict_ids)
			raise_unknown_pair(&v, row_id, col_id);
		PG_RETURN_NULL();
	}
	PG_RETURN_FLOAT8(score);
}

/*
 * nmf_predict(model, row_ids[], col_ids[], on_unknown) → (row_id, col_id,
 * score), pairs in array order; a NULL element gives a NULL id and score.
 */
Datum
nmf_predict_pairs(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *)fcinfo->resultinfo;
	bool strict_ids = nmfpg_on_unknown_error(fcinfo, 3, "nmf_predict");
	NmfcInterrupts intr = nmfpg_interrupts();
	NmfcModelView v;
	NmfcError err;
	const int64 *rows, *cols;
	uint8 *row_null, *col_null, *skip = NULL, *known;
	int64 n_rows, n_cols;
	double *scores;

	InitMaterializedSRF(fcinfo, 0);
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		return (Datum)0;
	rows = nmfpg_int8_array(PG_GETARG_DATUM(1), &n_rows, &row_null);
	cols = nmfpg_int8_array(PG_GETARG_DATUM(2), &n_cols, &col_null);
	if (n_rows != n_cols)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("nmf_predict: row_ids has " INT64_FORMAT
		                       " elements but col_ids has " INT64_FORMAT,
		                       n_rows, n_cols),
		                errhint("Pass one row id and one column id per pair.")));
	if (n_rows == 0)
		return (Datum)0;
	if (row_null || col_null)
	{
		skip = palloc0(n_rows);
		for (int64 p = 0; p < n_rows; p++)
			skip[p] = (row_null && row_null[p]) || (col_null && col_null[p]);
	}
	nmfpg_check_memory(n_rows * (int64)(sizeof(double) + 1), "nmf_predict");
	scores = MemoryContextAllocHuge(CurrentMemoryContext, n_rows * sizeof(double));
	known = MemoryContextAllocHuge(CurrentMemoryContext, n_rows);
	v = nmfpg_model_view_arg(fcinfo, 0, 4, false);
	nmfpg_raise(nmfc_predict_pairs(&v, n_rows, rows, cols, skip, scores, known, &intr, &err), &err,
	            ERRCODE_DATA_CORRUPTED);

	for (int64 p = 0; p < n_rows; p++)
	{
		Datum values[3];
		bool nulls[3];

		if (!known[p] && strict_ids && !(skip && skip[p]))
			raise_unknown_pair(&v, rows[p], cols[p]);
		values[0] = Int64GetDatum(rows[p]);
		values[1] = Int64GetDatum(cols[p]);
		values[2] = Float8GetDatum(scores[p]);
		nulls[0] = row_null && row_null[p];
		nulls[1] = col_null && col_null[p];
		nulls[2] = !known[p];
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		if ((p & 0xffff) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	return (Datum)0;
}
