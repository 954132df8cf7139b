/* SPDX-License-Identifier: PostgreSQL */
/*
 * nmf_transform: W rows for new rows (fold-in) with H held fixed, without
 * refitting: per row, the non-negative least-squares weights (in the core).
 */
#include "postgres.h"

#include "funcapi.h"
#include "miscadmin.h"
#include "nmfpg_apply.h"
#include "nmfpg_keys.h"
#include "utils/tuplestore.h"

PG_FUNCTION_INFO_V1(nmf_transform);

/*
 * nmf_transform(model, matrix) → (id, factor, weight), one row per (row of
 * matrix, factor); for a biased model also (id, 0, the row's bias).
 */
Datum
nmf_transform(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *)fcinfo->resultinfo;
	NmfcInterrupts intr = nmfpg_interrupts();
	const NmfModelFlat *model = NMFPG_MODEL_P(0);
	const NmfMatrixFlat *x = NMFPG_MATRIX_P(1);
	NmfcModelView v = nmfc_model_view(model);
	NmfcMatrixView xv = nmfpg_matrix_view(x);
	const int64 *row_ids = nmf_matrix_row_ids(x);
	NmfcError err;
	int64 unknown_cells, unknown_cols;
	double *w;
	double *bias = NULL;
	NmfpgKeys keys = nmfpg_image_keys(x, NMFPG_ROWS);
	Oid key_type;

	nmfpg_check_same_keys("nmf_transform", model, x);
	InitMaterializedSRF(fcinfo, 0);
	key_type = nmfpg_result_key_type(fcinfo, 0, &keys, "nmf_transform", "row");
	nmfpg_check_memory(xv.rows * v.rank * (int64)sizeof(double), "nmf_transform");
	w = MemoryContextAllocHuge(CurrentMemoryContext, xv.rows * v.rank * sizeof(double));
	if (v.bias)
		bias = MemoryContextAllocHuge(CurrentMemoryContext, xv.rows * sizeof(double));
	nmfpg_raise(nmfc_transform(&v, &xv, nmf_matrix_col_ids(x), w, bias, &unknown_cells,
	                           &unknown_cols, &intr, &err),
	            &err, ERRCODE_DATA_CORRUPTED);
	if (unknown_cells > 0)
		ereport(NOTICE, (errmsg("nmf_transform: ignored " INT64_FORMAT " cells in " INT64_FORMAT
		                        " columns the model does not know",
		                        unknown_cells, unknown_cols)));

	for (int64 i = 0; i < xv.rows; i++)
	{
		const double *wi = w + i * v.rank;
		Datum key = nmfpg_key_datum(&keys, row_ids[i], key_type);

		/* A biased model: the row's bias first, as factor 0. */
		if (bias)
		{
			Datum values[3] = {key, Int32GetDatum(0), Float8GetDatum(bias[i])};
			bool nulls[3] = {false, false, false};

			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
		for (int64 f = 0; f < v.rank; f++)
		{
			Datum values[3] = {key, Int32GetDatum((int32)(f + 1)), Float8GetDatum(wi[f])};
			bool nulls[3] = {false, false, false};

			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
		CHECK_FOR_INTERRUPTS();
	}
	return (Datum)0;
}
