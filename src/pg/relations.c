/* SPDX-License-Identifier: PostgreSQL */
/*
 * W and H as relations keyed by the user's ids: long form (id, factor, weight)
 * for joins and filters, wide form (id, weights float8[]) for one row per id.
 * Factors are numbered from 1, in the model's order (decreasing weight).
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nmfpg.h"
#include "nmfpg_keys.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"

/*
 * ids[count] and factors[count * rank], each id's weights contiguous; the
 * keys, as the result's first column (`key_type`) gives them.
 */
typedef struct FactorSide
{
	const int64 *ids;
	const double *factors;
	int64 count;
	int64 rank;
	NmfpgKeys keys;
	Oid key_type;
} FactorSide;

static FactorSide
side_of(FunctionCallInfo fcinfo, const NmfModelFlat *m, bool w_side, const char *fn)
{
	FactorSide side;

	side.ids = w_side ? nmf_model_row_ids(m) : nmf_model_col_ids(m);
	side.factors = w_side ? nmf_model_w(m) : nmf_model_h(m);
	side.count = w_side ? m->rows : m->cols;
	side.rank = m->rank;
	side.keys = nmfpg_image_keys(m, w_side ? NMFPG_ROWS : NMFPG_COLS);
	side.key_type = nmfpg_result_key_type(fcinfo, 0, &side.keys, fn, w_side ? "row" : "column");
	return side;
}

static Datum
emit_long(FunctionCallInfo fcinfo, bool w_side)
{
	const NmfModelFlat *m = NMFPG_MODEL_P(0);
	FactorSide side = side_of(fcinfo, m, w_side, w_side ? "nmf_w" : "nmf_h");
	ReturnSetInfo *rsinfo = (ReturnSetInfo *)fcinfo->resultinfo;
	Datum values[3];
	bool nulls[3] = {false, false, false};

	InitMaterializedSRF(fcinfo, 0);
	for (int64 i = 0; i < side.count; i++)
	{
		const double *row = side.factors + i * side.rank;

		values[0] = nmfpg_key_datum(&side.keys, side.ids[i], side.key_type);
		for (int64 f = 0; f < side.rank; f++)
		{
			values[1] = Int32GetDatum((int32)(f + 1));
			values[2] = Float8GetDatum(row[f]);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
		CHECK_FOR_INTERRUPTS();
	}
	return (Datum)0;
}

static Datum
emit_wide(FunctionCallInfo fcinfo, bool w_side)
{
	const NmfModelFlat *m = NMFPG_MODEL_P(0);
	FactorSide side = side_of(fcinfo, m, w_side, w_side ? "nmf_w_wide" : "nmf_h_wide");
	ReturnSetInfo *rsinfo = (ReturnSetInfo *)fcinfo->resultinfo;
	Datum *weights = palloc(side.rank * sizeof(Datum));
	Datum values[2];
	bool nulls[2] = {false, false};

	InitMaterializedSRF(fcinfo, 0);
	for (int64 i = 0; i < side.count; i++)
	{
		const double *row = side.factors + i * side.rank;
		ArrayType *a;

		for (int64 f = 0; f < side.rank; f++)
			weights[f] = Float8GetDatum(row[f]);
		a = construct_array(weights, (int)side.rank, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL,
		                    TYPALIGN_DOUBLE);
		values[0] = nmfpg_key_datum(&side.keys, side.ids[i], side.key_type);
		values[1] = PointerGetDatum(a);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		pfree(a);
		CHECK_FOR_INTERRUPTS();
	}
	return (Datum)0;
}

NMFPG_FUNCTION_WITH_FLAG(nmf_w, emit_long, true)
NMFPG_FUNCTION_WITH_FLAG(nmf_h, emit_long, false)
NMFPG_FUNCTION_WITH_FLAG(nmf_w_wide, emit_wide, true)
NMFPG_FUNCTION_WITH_FLAG(nmf_h_wide, emit_wide, false)

PG_FUNCTION_INFO_V1(nmf_bias);

/*
 * nmf_bias(model, side) → (id, bias): the row ('row') or column ('col')
 * biases of a model fitted with bias => true; no rows for a model without.
 */
Datum
nmf_bias(PG_FUNCTION_ARGS)
{
	const NmfModelFlat *m;
	ReturnSetInfo *rsinfo = (ReturnSetInfo *)fcinfo->resultinfo;
	char *side;
	bool rows;
	const int64 *ids;
	const double *b;
	int64 count;
	NmfpgKeys keys;
	Oid key_type;

	if (PG_ARGISNULL(1))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
		                errmsg("nmf_bias: side must not be NULL")));
	side = text_to_cstring(PG_GETARG_TEXT_PP(1));
	if (strcmp(side, "row") != 0 && strcmp(side, "col") != 0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("nmf_bias: unknown side \"%s\"", side),
		                errhint("Valid values: row, col.")));
	rows = strcmp(side, "row") == 0;
	InitMaterializedSRF(fcinfo, 0);
	if (PG_ARGISNULL(0))
		return (Datum)0;
	m = NMFPG_MODEL_P(0);
	if (!m->bias)
		return (Datum)0;
	ids = rows ? nmf_model_row_ids(m) : nmf_model_col_ids(m);
	b = rows ? nmf_model_b_row(m) : nmf_model_b_col(m);
	count = rows ? m->rows : m->cols;
	keys = nmfpg_image_keys(m, rows ? NMFPG_ROWS : NMFPG_COLS);
	key_type = nmfpg_result_key_type(fcinfo, 0, &keys, "nmf_bias", rows ? "row" : "column");
	for (int64 i = 0; i < count; i++)
	{
		Datum values[2] = {nmfpg_key_datum(&keys, ids[i], key_type), Float8GetDatum(b[i])};
		bool nulls[2] = {false, false};

		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		if (i % 65536 == 0)
			CHECK_FOR_INTERRUPTS();
	}
	return (Datum)0;
}
