/* SPDX-License-Identifier: PostgreSQL */
/*
 * nmf_predict: predicted cells (W H)_ij, one at a time or for two arrays of
 * ids in one call (one setup, one pass in the core, for millions of pairs).
 */
#include "postgres.h"

#include "funcapi.h"
#include "miscadmin.h"
#include "nmfpg_apply.h"
#include "nmfpg_keys.h"
#include "utils/tuplestore.h"

PG_FUNCTION_INFO_V1(nmf_predict);
PG_FUNCTION_INFO_V1(nmf_predict_pairs);

/* Whether the row of an unknown pair is the unknown one (else its column is). */
static bool
row_unknown(const NmfcModelView *v, int64 row_id)
{
	return nmfc_find_id(v->row_ids, v->rows, row_id) < 0;
}

/* Names the first unknown key of an unknown pair of keys given as arrays. */
static void
raise_unknown_pair(const NmfcModelView *v, int64 row_id, int64 col_id, Datum row_key, Datum col_key,
                   Oid row_type, Oid col_type)
{
	bool row = row_unknown(v, row_id);
	Oid type = row ? row_type : col_type;

	if (type == INT8OID)
		nmfpg_unknown_id("nmf_predict", row ? "row" : "column", row ? row_id : col_id);
	nmfpg_unknown_key("nmf_predict", row ? "row" : "column", row ? row_key : col_key, type);
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
	NmfpgKeys rows, cols;
	const NmfModelFlat *m;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_NULL();
	v = nmfpg_model_view_arg(fcinfo, 0, 4, true, &m);
	rows = nmfpg_image_keys(m, NMFPG_ROWS);
	cols = nmfpg_image_keys(m, NMFPG_COLS);
	row_id = nmfpg_key_arg(fcinfo, 1, &rows, "nmf_predict", "row");
	col_id = nmfpg_key_arg(fcinfo, 2, &cols, "nmf_predict", "column");
	nmfpg_raise(nmfc_predict_pairs(&v, 1, &row_id, &col_id, NULL, &score, &known, NULL, &err), &err,
	            ERRCODE_DATA_CORRUPTED);
	if (!known)
	{
		if (strict_ids && row_unknown(&v, row_id))
			nmfpg_unknown_arg(fcinfo, 1, "nmf_predict", "row", row_id);
		if (strict_ids)
			nmfpg_unknown_arg(fcinfo, 2, "nmf_predict", "column", col_id);
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
	NmfpgKeys row_keys, col_keys;
	const NmfModelFlat *m;
	Datum *row_given, *col_given;
	Oid row_type, col_type;

	InitMaterializedSRF(fcinfo, 0);
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		return (Datum)0;
	v = nmfpg_model_view_arg(fcinfo, 0, 4, false, &m);
	row_keys = nmfpg_image_keys(m, NMFPG_ROWS);
	col_keys = nmfpg_image_keys(m, NMFPG_COLS);
	rows = nmfpg_key_array_arg(fcinfo, 1, &row_keys, "nmf_predict", "row", &n_rows, &row_null,
	                           &row_given);
	cols = nmfpg_key_array_arg(fcinfo, 2, &col_keys, "nmf_predict", "column", &n_cols, &col_null,
	                           &col_given);
	row_type = TupleDescAttr(rsinfo->setDesc, 0)->atttypid;
	col_type = TupleDescAttr(rsinfo->setDesc, 1)->atttypid;
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
	nmfpg_raise(nmfc_predict_pairs(&v, n_rows, rows, cols, skip, scores, known, &intr, &err), &err,
	            ERRCODE_DATA_CORRUPTED);

	for (int64 p = 0; p < n_rows; p++)
	{
		Datum values[3];
		bool nulls[3];

		values[0] = row_given ? row_given[p] : Int64GetDatum(rows[p]);
		values[1] = col_given ? col_given[p] : Int64GetDatum(cols[p]);
		if (!known[p] && strict_ids && !(skip && skip[p]))
			raise_unknown_pair(&v, rows[p], cols[p], values[0], values[1], row_type, col_type);
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
