/* SPDX-License-Identifier: PostgreSQL */
/*
 * nmf_similar: the rows (of W) or columns (of H) nearest to one of them in
 * factor space, by cosine or dot product, the item itself left out.
 */
#include "postgres.h"

#include "funcapi.h"
#include "nmfpg_apply.h"
#include "nmfpg_keys.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"

PG_FUNCTION_INFO_V1(nmf_similar);

enum
{
	ARG_MODEL,
	ARG_SIDE,
	ARG_ID,
	ARG_K,
	ARG_METRIC,
	ARG_ON_UNKNOWN
};

/* nmf_similar(model, side, id, k, metric, on_unknown) → (id, similarity), most similar first. */
Datum
nmf_similar(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *)fcinfo->resultinfo;
	int side = nmfpg_choice_arg(fcinfo, ARG_SIDE, "nmf_similar", "side", "row", "col") == 0
	               ? NMFC_SIDE_ROW
	               : NMFC_SIDE_COL;
	int metric = nmfpg_choice_arg(fcinfo, ARG_METRIC, "nmf_similar", "metric", "cosine", "dot") == 0
	                 ? NMFC_METRIC_COSINE
	                 : NMFC_METRIC_DOT;
	bool strict_ids = nmfpg_on_unknown_error(fcinfo, ARG_ON_UNKNOWN, "nmf_similar");
	NmfcModelView v;
	NmfcError err;
	int64 id, k, count;
	int64 *ids;
	double *sims;
	int found;
	const NmfModelFlat *m;
	NmfpgKeys keys;
	Oid key_type;
	const char *what = side == NMFC_SIDE_ROW ? "row" : "column";

	nmfpg_arg_not_null(fcinfo, ARG_K, "nmf_similar", "k");
	nmfpg_check_k("nmf_similar", PG_GETARG_INT32(ARG_K));
	InitMaterializedSRF(fcinfo, 0);
	if (PG_ARGISNULL(ARG_MODEL) || PG_ARGISNULL(ARG_ID))
		return (Datum)0;
	m = nmfpg_model_arg_cached(fcinfo, ARG_MODEL);
	v = nmfc_model_view(m);
	keys = nmfpg_image_keys(m, side == NMFC_SIDE_ROW ? NMFPG_ROWS : NMFPG_COLS);
	id = nmfpg_key_arg(fcinfo, ARG_ID, &keys, "nmf_similar", what);
	key_type = nmfpg_result_key_type(fcinfo, 0, &keys, "nmf_similar", what);
	k = Min((int64)PG_GETARG_INT32(ARG_K), side == NMFC_SIDE_ROW ? v.rows : v.cols);
	ids = palloc(k * sizeof(int64));
	sims = palloc(k * sizeof(double));
	nmfpg_raise(nmfc_similar(&v, side, metric, id, k, ids, sims, &count, &found, &err), &err,
	            ERRCODE_DATA_CORRUPTED);
	if (!found && strict_ids)
		nmfpg_unknown_arg(fcinfo, ARG_ID, "nmf_similar", what, id);
	for (int64 p = 0; p < count; p++)
	{
		Datum values[2] = {nmfpg_key_datum(&keys, ids[p], key_type), Float8GetDatum(sims[p])};
		bool nulls[2] = {false, false};

		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum)0;
}
