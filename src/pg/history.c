/* SPDX-License-Identifier: PostgreSQL */
/*
 * nmf_loss_history(model): the objective after every loss_every-th iteration
 * of the fit and after its last, with the solver's elapsed seconds at that
 * point, as a relation.
 */
#include "postgres.h"

#include "funcapi.h"
#include "nmfpg.h"
#include "utils/tuplestore.h"

PG_FUNCTION_INFO_V1(nmf_loss_history);

Datum
nmf_loss_history(PG_FUNCTION_ARGS)
{
	const NmfModelFlat *m = NMFPG_MODEL_P(0);
	const double *loss = nmf_model_history_loss(m);
	const double *seconds = nmf_model_history_seconds(m);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *)fcinfo->resultinfo;
	const int64 every = m->loss_every > 0 ? m->loss_every : 1;
	Datum values[3];
	bool nulls[3] = {false, false, false};

	InitMaterializedSRF(fcinfo, 0);
	for (int64 k = 0; k < m->history_len; k++)
	{
		values[0] = Int32GetDatum((int32)Min((k + 1) * every, (int64)m->iterations));
		values[1] = Float8GetDatum(loss[k]);
		values[2] = Float8GetDatum(seconds[k]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum)0;
}
