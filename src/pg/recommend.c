/* SPDX-License-Identifier: PostgreSQL */
/*
 * nmf_recommend: the k columns with the highest predicted score for a row,
 * leaving out the cells that row has in an optional `exclude` matrix (the
 * training matrix, or just the row's own cells). The core scores every
 * column and selects the k best without sorting them all. With cold_start
 * 'popular', a row the model lacks gets the list of the model's average row.
 */
#include "postgres.h"

#include "funcapi.h"
#include "miscadmin.h"
#include "nmfpg_apply.h"
#include "utils/tuplestore.h"

PG_FUNCTION_INFO_V1(nmf_recommend);
PG_FUNCTION_INFO_V1(nmf_recommend_rows);

enum
{
	ARG_MODEL,
	ARG_ROW,
	ARG_K,
	ARG_EXCLUDE,
	ARG_ON_UNKNOWN,
	ARG_CLIP,
	ARG_COLD_START
};

typedef struct Recommender
{
	NmfcModelView model;
	const NmfMatrixFlat *exclude; /* NULL: exclude nothing */
	int64 k;                      /* at most the number of columns */
	bool strict_ids;
	bool popular; /* cold_start 'popular': unknown rows get the average row's list */
	int64 *ids;
	double *scores;
} Recommender;

/* Checks the arguments other than the model and the row(s); false if there is no model. */
static bool
recommender_init(FunctionCallInfo fcinfo, Recommender *r)
{
	int32 k;

	nmfpg_arg_not_null(fcinfo, ARG_K, "nmf_recommend", "k");
	k = PG_GETARG_INT32(ARG_K);
	nmfpg_check_k("nmf_recommend", k);
	r->strict_ids = nmfpg_on_unknown_error(fcinfo, ARG_ON_UNKNOWN, "nmf_recommend");
	/* An older declaration without cold_start: none. */
	r->popular =
	    ARG_COLD_START < PG_NARGS() && nmfpg_choice_arg(fcinfo, ARG_COLD_START, "nmf_recommend",
	                                                    "cold_start", "none", "popular") == 1;
	if (PG_ARGISNULL(ARG_MODEL))
		return false;
	r->model = nmfpg_model_view_arg(fcinfo, ARG_MODEL, ARG_CLIP, true);
	r->exclude = PG_ARGISNULL(ARG_EXCLUDE) ? NULL : nmfpg_matrix_arg_cached(fcinfo, ARG_EXCLUDE);
	r->k = Min((int64)k, r->model.cols);
	r->ids = palloc(r->k * sizeof(int64));
	r->scores = palloc(r->k * sizeof(double));
	return true;
}

/*
 * The top k of one row into r->ids/scores; returns the count (0 for an
 * unknown row without cold_start).
 */
static int64
recommend_row(Recommender *r, int64 row_id)
{
	NmfcError err;
	int64 count;
	int found;

	nmfpg_raise(nmfc_recommend(&r->model, row_id, r->k, r->exclude, r->ids, r->scores, &count,
	                           &found, &err),
	            &err, ERRCODE_DATA_CORRUPTED);
	if (!found && r->popular)
		nmfpg_raise(nmfc_recommend_popular(&r->model, row_id, r->k, r->exclude, r->ids, r->scores,
		                                   &count, &err),
		            &err, ERRCODE_DATA_CORRUPTED);
	else if (!found && r->strict_ids)
		nmfpg_unknown_id("nmf_recommend", "row", row_id);
	return count;
}

/* nmf_recommend(model, row_id, k, exclude, on_unknown) → (col_id, score), best first. */
Datum
nmf_recommend(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *)fcinfo->resultinfo;
	Recommender r;
	int64 count;

	InitMaterializedSRF(fcinfo, 0);
	if (!recommender_init(fcinfo, &r) || PG_ARGISNULL(ARG_ROW))
		return (Datum)0;
	count = recommend_row(&r, PG_GETARG_INT64(ARG_ROW));
	for (int64 p = 0; p < count; p++)
	{
		Datum values[2] = {Int64GetDatum(r.ids[p]), Float8GetDatum(r.scores[p])};
		bool nulls[2] = {false, false};

		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum)0;
}

/*
 * nmf_recommend(model, row_ids[], k, exclude, on_unknown) → (row_id, col_id,
 * score, rank): each row's top k in array order, rank 1 the best. NULL
 * elements and unknown rows (with on_unknown 'null') give no rows.
 */
Datum
nmf_recommend_rows(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *)fcinfo->resultinfo;
	Recommender r;
	const int64 *rows;
	uint8 *row_null;
	int64 n;

	InitMaterializedSRF(fcinfo, 0);
	if (!recommender_init(fcinfo, &r) || PG_ARGISNULL(ARG_ROW))
		return (Datum)0;
	rows = nmfpg_int8_array(PG_GETARG_DATUM(ARG_ROW), &n, &row_null);
	for (int64 i = 0; i < n; i++)
	{
		int64 count;

		if (row_null && row_null[i])
			continue;
		CHECK_FOR_INTERRUPTS();
		count = recommend_row(&r, rows[i]);
		for (int64 p = 0; p < count; p++)
		{
			Datum values[4] = {Int64GetDatum(rows[i]), Int64GetDatum(r.ids[p]),
			                   Float8GetDatum(r.scores[p]), Int32GetDatum((int32)(p + 1))};
			bool nulls[4] = {false, false, false, false};

			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	return (Datum)0;
}
