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
#include "nmfpg_keys.h"
#include "utils/tuplestore.h"

/*
 * The arguments' positions; a keyed declaration (a text or uuid model) has
 * one more, the column keys' type, after the row: every later one is shifted.
 */
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
	int shift; /* 1 in a keyed declaration, else 0 */
	NmfcModelView model;
	NmfpgKeys row_keys, col_keys;
	Oid col_type;                 /* of the result's column keys */
	const NmfMatrixFlat *exclude; /* NULL: exclude nothing */
	int64 k;                      /* at most the number of columns */
	bool strict_ids;
	bool popular; /* cold_start 'popular': unknown rows get the average row's list */
	int64 *ids;
	double *scores;
} Recommender;

/* Checks the arguments other than the model and the row(s); false if there is no model. */
static bool
recommender_init(FunctionCallInfo fcinfo, Recommender *r, int shift, int col_column)
{
	int32 k;
	const NmfModelFlat *m;

	r->shift = shift;
	nmfpg_arg_not_null(fcinfo, ARG_K + shift, "nmf_recommend", "k");
	k = PG_GETARG_INT32(ARG_K + shift);
	nmfpg_check_k("nmf_recommend", k);
	r->strict_ids = nmfpg_on_unknown_error(fcinfo, ARG_ON_UNKNOWN + shift, "nmf_recommend");
	/* An older declaration without cold_start: none. */
	r->popular = ARG_COLD_START + shift < PG_NARGS() &&
	             nmfpg_choice_arg(fcinfo, ARG_COLD_START + shift, "nmf_recommend", "cold_start",
	                              "none", "popular") == 1;
	if (PG_ARGISNULL(ARG_MODEL))
		return false;
	r->model = nmfpg_model_view_arg(fcinfo, ARG_MODEL, ARG_CLIP + shift, true, &m);
	r->row_keys = nmfpg_image_keys(m, NMFPG_ROWS);
	r->col_keys = nmfpg_image_keys(m, NMFPG_COLS);
	r->col_type =
	    nmfpg_result_key_type(fcinfo, col_column, &r->col_keys, "nmf_recommend", "column");
	r->exclude = PG_ARGISNULL(ARG_EXCLUDE + shift)
	                 ? NULL
	                 : nmfpg_matrix_arg_cached(fcinfo, ARG_EXCLUDE + shift);
	if (r->exclude)
		nmfpg_check_same_keys("nmf_recommend", m, r->exclude);
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
recommend_row(FunctionCallInfo fcinfo, Recommender *r, int64 row_id, Datum row_key, Oid row_type)
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
	else if (!found && r->strict_ids && r->row_keys.kind == NMF_KEY_ID)
		nmfpg_unknown_id("nmf_recommend", "row", row_id);
	else if (!found && r->strict_ids)
		nmfpg_unknown_key("nmf_recommend", "row", row_key, row_type);
	return count;
}

/*
 * nmf_recommend(model, row_id, k, exclude, on_unknown, clip, cold_start) →
 * (col_id, score), best first; keyed: nmf_recommend(model, row_key,
 * col_keys, k, ...).
 */
static Datum
recommend_one(FunctionCallInfo fcinfo, int shift)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *)fcinfo->resultinfo;
	Recommender r;
	int64 count, row_id;

	InitMaterializedSRF(fcinfo, 0);
	if (!recommender_init(fcinfo, &r, shift, 0) || PG_ARGISNULL(ARG_ROW))
		return (Datum)0;
	row_id = nmfpg_key_arg(fcinfo, ARG_ROW, &r.row_keys, "nmf_recommend", "row");
	count = recommend_row(fcinfo, &r, row_id, PG_GETARG_DATUM(ARG_ROW),
	                      nmfpg_arg_type(fcinfo, ARG_ROW));
	for (int64 p = 0; p < count; p++)
	{
		Datum values[2] = {nmfpg_key_datum(&r.col_keys, r.ids[p], r.col_type),
		                   Float8GetDatum(r.scores[p])};
		bool nulls[2] = {false, false};

		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum)0;
}

/*
 * nmf_recommend(model, row_ids[], k, ...) → (row_id, col_id, score, rank):
 * each row's top k in array order, rank 1 the best. NULL elements and
 * unknown rows (with on_unknown 'null') give no rows.
 */
static Datum
recommend_rows(FunctionCallInfo fcinfo, int shift)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *)fcinfo->resultinfo;
	Recommender r;
	const int64 *rows;
	uint8 *row_null;
	Datum *given;
	int64 n;
	Oid row_type;

	InitMaterializedSRF(fcinfo, 0);
	if (!recommender_init(fcinfo, &r, shift, 1) || PG_ARGISNULL(ARG_ROW))
		return (Datum)0;
	rows = nmfpg_key_array_arg(fcinfo, ARG_ROW, &r.row_keys, "nmf_recommend", "row", &n, &row_null,
	                           &given);
	row_type = TupleDescAttr(rsinfo->setDesc, 0)->atttypid;
	for (int64 i = 0; i < n; i++)
	{
		int64 count;
		Datum row_key;

		if (row_null && row_null[i])
			continue;
		CHECK_FOR_INTERRUPTS();
		row_key = given ? given[i] : Int64GetDatum(rows[i]);
		count = recommend_row(fcinfo, &r, rows[i], row_key, row_type);
		for (int64 p = 0; p < count; p++)
		{
			Datum values[4] = {row_key, nmfpg_key_datum(&r.col_keys, r.ids[p], r.col_type),
			                   Float8GetDatum(r.scores[p]), Int32GetDatum((int32)(p + 1))};
			bool nulls[4] = {false, false, false, false};

			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	return (Datum)0;
}

NMFPG_FUNCTION_WITH_FLAG(nmf_recommend, recommend_one, 0)
NMFPG_FUNCTION_WITH_FLAG(nmf_recommend_keyed, recommend_one, 1)
NMFPG_FUNCTION_WITH_FLAG(nmf_recommend_rows, recommend_rows, 0)
NMFPG_FUNCTION_WITH_FLAG(nmf_recommend_rows_keyed, recommend_rows, 1)
