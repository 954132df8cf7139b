/* SPDX-License-Identifier: PostgreSQL */
/*
 * The nmf_model type: text (base64), binary and bytea forms, all validated by
 * the core's nmfc_model_validate (a value of format version 1, nmf 0.1's, comes
 * in upgraded to the current version); and nmf_info, the model's summary as jsonb.
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "nmfpg.h"
#include "nmfpg_keys.h"

PG_FUNCTION_INFO_V1(nmf_model_in);
PG_FUNCTION_INFO_V1(nmf_model_out);
PG_FUNCTION_INFO_V1(nmf_model_recv);
PG_FUNCTION_INFO_V1(nmf_model_send);
PG_FUNCTION_INFO_V1(nmf_model_from_bytea);
PG_FUNCTION_INFO_V1(nmf_model_to_bytea);
PG_FUNCTION_INFO_V1(nmf_info);

Datum
nmf_model_in(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(nmfpg_model_current(
	    nmfpg_image_from_base64(PG_GETARG_CSTRING(0), nmfc_model_validate, "nmf_model"),
	    ERRCODE_INVALID_TEXT_REPRESENTATION));
}

Datum
nmf_model_out(PG_FUNCTION_ARGS)
{
	PG_RETURN_CSTRING(nmfpg_image_to_base64(nmfpg_detoast_aligned(PG_GETARG_DATUM(0))));
}

Datum
nmf_model_recv(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(
	    nmfpg_model_current(nmfpg_image_recv((StringInfo)PG_GETARG_POINTER(0), nmfc_model_validate),
	                        ERRCODE_INVALID_BINARY_REPRESENTATION));
}

Datum
nmf_model_send(PG_FUNCTION_ARGS)
{
	PG_RETURN_BYTEA_P(nmfpg_image_send(PG_GETARG_DATUM(0)));
}

Datum
nmf_model_from_bytea(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(
	    nmfpg_model_current(nmfpg_image_from_bytea(PG_GETARG_DATUM(0), nmfc_model_validate),
	                        ERRCODE_INVALID_BINARY_REPRESENTATION));
}

/* The bytea is the image after the length word: the same bytes as the send form. */
Datum
nmf_model_to_bytea(PG_FUNCTION_ARGS)
{
	PG_RETURN_BYTEA_P(PG_DETOAST_DATUM(PG_GETARG_DATUM(0)));
}

static void
append_json_string(StringInfo s, const char *key, const char *value)
{
	appendStringInfo(s, "\"%s\": \"%s\"", key, value ? value : "unknown");
}

/* nmf_info's JSON text, also the summary nmf_fit() stores. */
char *
nmfpg_model_info_json(const NmfModelFlat *m)
{
	const double *h = nmf_model_h(m);
	StringInfoData s;

	initStringInfo(&s);
	appendStringInfo(&s,
	                 "{\"rows\": " INT64_FORMAT ", \"cols\": " INT64_FORMAT
	                 ", \"nnz\": " INT64_FORMAT ", \"rank\": " INT64_FORMAT ", ",
	                 m->rows, m->cols, m->nnz, m->rank);
	/* the keys' type: bigint (ids), text or uuid (nmf_matrix's keys) */
	appendStringInfo(&s, "\"row_keys\": \"%s\", \"col_keys\": \"%s\", ",
	                 nmfpg_key_kind_name(nmfpg_image_keys(m, NMFPG_ROWS).kind),
	                 nmfpg_key_kind_name(nmfpg_image_keys(m, NMFPG_COLS).kind));
	append_json_string(&s, "solver", nmfc_solver_name(m->solver));
	appendStringInfoString(&s, ", \"options\": {");
	append_json_string(&s, "loss", nmfc_loss_name(m->loss));
	/* the beta of loss 'beta' (loss 'is' is recorded as beta 0); no key for the others */
	if (m->loss == NMF_LOSS_BETA)
		appendStringInfo(&s, ", \"beta\": %s", nmfpg_json_number(m->beta));
	appendStringInfoString(&s, ", ");
	append_json_string(&s, "init", nmfc_init_name(m->init));
	appendStringInfoString(&s, ", ");
	append_json_string(&s, "missing", nmfc_missing_name(m->missing));
	appendStringInfo(&s, ", \"max_iter\": %d, \"tol\": %s, \"seed\": " INT64_FORMAT, m->max_iter,
	                 nmfpg_json_number(m->tol), m->seed);
	appendStringInfo(&s, ", \"max_seconds\": %s", nmfpg_json_number(m->max_seconds));
	appendStringInfo(&s, ", \"l1_w\": %s", nmfpg_json_number(m->l1_w));
	appendStringInfo(&s, ", \"l1_h\": %s", nmfpg_json_number(m->l1_h));
	appendStringInfo(&s, ", \"l2_w\": %s", nmfpg_json_number(m->l2_w));
	appendStringInfo(&s, ", \"l2_h\": %s", nmfpg_json_number(m->l2_h));
	/* solver gd's fixed step; null for its adaptive step and for the other solvers */
	appendStringInfo(&s, ", \"learning_rate\": %s",
	                 m->learning_rate > 0 ? nmfpg_json_number(m->learning_rate) : "null");
	appendStringInfo(&s, ", \"bias\": %s, \"l2_bias\": %s", m->bias ? "true" : "false",
	                 m->bias ? nmfpg_json_number(m->l2_bias) : "null");
	appendStringInfo(&s, ", \"reg\": %s, \"holdout\": %s", nmfpg_json_number(m->reg),
	                 nmfpg_json_number(m->holdout));
	/* alpha: the confidence of implicit feedback, absent for explicit */
	appendStringInfoString(&s, ", ");
	append_json_string(&s, "feedback", nmfc_feedback_name(m->feedback));
	if (m->feedback == NMF_FEEDBACK_IMPLICIT)
		appendStringInfo(&s, ", \"alpha\": %s", nmfpg_json_number(m->alpha));
	appendStringInfo(&s, ", \"loss_every\": %d", m->loss_every > 0 ? m->loss_every : 1);
	/* inner_updates: null for Gillis & Glineur's rule, else the cap given */
	if (m->inner_updates > 0)
		appendStringInfo(&s, ", \"inner_updates\": %d", m->inner_updates);
	else
		appendStringInfoString(&s, ", \"inner_updates\": null");
	appendStringInfoChar(&s, '}');
	/* mu: the global offset of a biased model; null without biases */
	appendStringInfo(&s, ", \"bias\": %s, \"mu\": %s", m->bias ? "true" : "false",
	                 m->bias ? nmfpg_json_number(m->mu) : "null");
	appendStringInfo(&s, ", \"iterations\": %d, \"converged\": %s", m->iterations,
	                 m->converged ? "true" : "false");
	/* which iterate the model holds, and why the fit ended there */
	appendStringInfo(&s, ", \"best_iteration\": %d, \"stop\": \"%s\"", m->best_iteration,
	                 m->stop == NMF_STOP_DIVERGED ? "diverged"
	                 : m->stop == NMF_STOP_EARLY  ? "early"
	                 : m->converged               ? "converged"
	                                              : "limit");
	appendStringInfo(&s, ", \"holdout_rmse\": %s",
	                 m->holdout > 0 ? nmfpg_json_number(m->holdout_rmse) : "null");
	/* nmf_update calls since the last full fit, and the cells they took in */
	appendStringInfo(&s, ", \"updates\": %d, \"update_cells\": " INT64_FORMAT, m->updates,
	                 m->update_cells);
	/* predictions are clipped to the training range when the model has one */
	if (m->v_min < m->v_max)
		appendStringInfo(&s, ", \"clip\": [%s, %s]", nmfpg_json_number(m->v_min),
		                 nmfpg_json_number(m->v_max));
	else
		appendStringInfoString(&s, ", \"clip\": null");
	/* nmf_tune's search: a row per rank, reg and fold */
	if (m->tune_len > 0)
	{
		const double *t = nmf_model_tune(m);
		int members = 0;

		appendStringInfoString(&s, ", \"tune\": [");
		for (int64 i = 0; i < m->tune_len; i++, t += NMF_TUNE_FIELDS)
			appendStringInfo(
			    &s,
			    "%s{\"rank\": %d, \"reg\": %s, \"fold\": %d, \"train_rmse\": %s, "
			    "\"test_rmse\": %s, \"seconds\": %s}",
			    i > 0 ? ", " : "", (int)t[NMF_TUNE_RANK], nmfpg_json_number(t[NMF_TUNE_REG]),
			    (int)t[NMF_TUNE_FOLD], nmfpg_json_number(t[NMF_TUNE_TRAIN_RMSE]),
			    nmfpg_json_number(t[NMF_TUNE_TEST_RMSE]), nmfpg_json_number(t[NMF_TUNE_SECONDS]));
		appendStringInfoChar(&s, ']');
		/* the final fits the model averages: the rows of fold 0 */
		t = nmf_model_tune(m);
		for (int64 i = 0; i < m->tune_len; i++, t += NMF_TUNE_FIELDS)
			members += t[NMF_TUNE_FOLD] == 0 ? 1 : 0;
		appendStringInfo(&s, ", \"ensemble\": %d", members);
	}
	appendStringInfo(&s, ", \"loss\": %s", nmfpg_json_number(m->final_loss));
	appendStringInfo(&s, ", \"relative_error\": %s", nmfpg_json_number(m->relative_error));
	appendStringInfo(&s, ", \"seconds\": %s", nmfpg_json_number(m->seconds));

	/* A factor's weight is the sum of its row of H (W's columns sum to 1). */
	appendStringInfoString(&s, ", \"factor_weights\": [");
	for (int64 f = 0; f < m->rank; f++)
	{
		double weight = 0.0;

		for (int64 j = 0; j < m->cols; j++)
			weight += h[j * m->rank + f];
		appendStringInfo(&s, "%s%s", f ? ", " : "", nmfpg_json_number(weight));
	}
	appendStringInfo(&s, "], \"format_version\": %d}", (int)m->version);
	return s.data;
}

Datum
nmf_info(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(nmfpg_jsonb_from_cstring(nmfpg_model_info_json(NMFPG_MODEL_P(0))));
}
