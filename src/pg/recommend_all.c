/* SPDX-License-Identifier: PostgreSQL */
/*
 * nmf_recommend_all(model, k, exclude, clip, threads): the top k of every row
 * of the model, as nmf_recommend gives each, computed by the core a batch of
 * rows at a time (a blocked product of W's rows with H on the worker
 * threads) and written to the result batch by batch.
 */
#include "postgres.h"

#include "funcapi.h"
#include "miscadmin.h"
#include "nmfpg_apply.h"
#include "nmfpg_keys.h"
#include "utils/tuplestore.h"

/* The arguments' positions; a keyed declaration has two more after the model (the keys' types). */
enum
{
	ARG_MODEL,
	ARG_K,
	ARG_EXCLUDE,
	ARG_CLIP,
	ARG_THREADS
};

/* Rows per call of the core: enough to keep both cores busy, small enough to cancel quickly. */
#define BATCH_ROWS 2048

static Datum
recommend_all(FunctionCallInfo fcinfo, int shift)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *)fcinfo->resultinfo;
	NmfcInterrupts intr = nmfpg_interrupts();
	NmfcModelView v;
	const NmfMatrixFlat *exclude;
	int32 k, threads;
	int64 batch, *cols, *counts;
	double *scores;
	NmfcError err;
	const NmfModelFlat *m;
	NmfpgKeys row_keys, col_keys;
	Oid row_type, col_type;

	nmfpg_arg_not_null(fcinfo, ARG_K + shift, "nmf_recommend_all", "k");
	k = PG_GETARG_INT32(ARG_K + shift);
	nmfpg_check_k("nmf_recommend_all", k);
	threads = nmfpg_threads_arg(fcinfo, ARG_THREADS + shift, "nmf_recommend_all");
	InitMaterializedSRF(fcinfo, 0);
	if (PG_ARGISNULL(ARG_MODEL))
		return (Datum)0;
	v = nmfpg_model_view_arg(fcinfo, ARG_MODEL, ARG_CLIP + shift, false, &m);
	row_keys = nmfpg_image_keys(m, NMFPG_ROWS);
	col_keys = nmfpg_image_keys(m, NMFPG_COLS);
	row_type = nmfpg_result_key_type(fcinfo, 0, &row_keys, "nmf_recommend_all", "row");
	col_type = nmfpg_result_key_type(fcinfo, 1, &col_keys, "nmf_recommend_all", "column");
	exclude = PG_ARGISNULL(ARG_EXCLUDE + shift) ? NULL : NMFPG_MATRIX_P(ARG_EXCLUDE + shift);
	if (exclude)
		nmfpg_check_same_keys("nmf_recommend_all", m, exclude);
	k = (int32)Min((int64)k, v.cols);
	batch = Min((int64)BATCH_ROWS, v.rows);
	cols = palloc(batch * k * sizeof(int64));
	scores = palloc(batch * k * sizeof(double));
	counts = palloc(batch * sizeof(int64));
	for (int64 first = 0; first < v.rows; first += batch)
	{
		int64 n = Min(batch, v.rows - first);

		CHECK_FOR_INTERRUPTS();
		nmfpg_raise(nmfc_recommend_batch(&v, first, n, k, exclude, threads, cols, scores, counts,
		                                 &intr, &err),
		            &err, ERRCODE_DATA_CORRUPTED);
		for (int64 p = 0; p < n; p++)
		{
			Datum row_key = nmfpg_key_datum(&row_keys, v.row_ids[first + p], row_type);

			for (int64 q = 0; q < counts[p]; q++)
			{
				Datum values[4] = {
				    row_key, nmfpg_key_datum(&col_keys, v.col_ids[cols[p * k + q]], col_type),
				    Float8GetDatum(scores[p * k + q]), Int32GetDatum((int32)(q + 1))};
				bool nulls[4] = {false, false, false, false};

				tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
			}
		}
	}
	return (Datum)0;
}

NMFPG_FUNCTION_WITH_FLAG(nmf_recommend_all, recommend_all, 0)
NMFPG_FUNCTION_WITH_FLAG(nmf_recommend_all_keyed, recommend_all, 2)
