/* SPDX-License-Identifier: PostgreSQL */
/*
 * nmf_tune(matrix, ranks, regs, folds, max_seconds, bias, seed, solver,
 * max_iter, tol, threads, ensemble): the core's cross-validated search of
 * rank and count-scaled ridge over the stored cells, then the best candidate
 * fitted on every cell once per seed of the ensemble and the fits averaged
 * into one model carrying the search's table, all in the core. The search's
 * handle is held by nmfpg_holder.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "nmfpg.h"
#include "nmfpg_apply.h"
#include "nmfpg_keys.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

PG_FUNCTION_INFO_V1(nmf_tune);

/*
 * The ridges walked when regs is NULL: InstEval's best lies at 0.2-0.4 and
 * MovieLens's at 0.07-0.1 (docs/performance.md#accuracy).
 */
static const double default_regs[] = {0.4, 0.28, 0.2, 0.14, 0.1, 0.07, 0.05};

enum
{
	ARG_MATRIX,
	ARG_RANKS,
	ARG_REGS,
	ARG_FOLDS,
	ARG_MAX_SECONDS,
	ARG_BIAS,
	ARG_SEED,
	ARG_SOLVER,
	ARG_MAX_ITER,
	ARG_TOL,
	ARG_THREADS,
	ARG_ENSEMBLE
};

static void
tune_release(void *tune)
{
	nmfc_tune_free((NmfcTune *)tune);
}

/* A 1-D array argument without NULLs, as doubles. */
static double *
float8_list(FunctionCallInfo fcinfo, int argno, const char *name, int *count)
{
	ArrayType *a = PG_GETARG_ARRAYTYPE_P(argno);
	Datum *elems;
	bool *nulls;
	double *out;

	if (ARR_NDIM(a) > 1)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("nmf_tune: %s must be a 1-D array", name)));
	deconstruct_array(a, ARR_ELEMTYPE(a), ARR_ELEMTYPE(a) == INT4OID ? 4 : 8,
	                  ARR_ELEMTYPE(a) == INT4OID ? true : FLOAT8PASSBYVAL,
	                  ARR_ELEMTYPE(a) == INT4OID ? TYPALIGN_INT : TYPALIGN_DOUBLE, &elems, &nulls,
	                  count);
	if (*count == 0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("nmf_tune: %s must hold at least one value", name)));
	out = palloc(*count * sizeof(double));
	for (int k = 0; k < *count; k++)
	{
		if (nulls[k])
			ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
			                errmsg("nmf_tune: %s must not contain NULLs", name)));
		out[k] =
		    ARR_ELEMTYPE(a) == INT4OID ? (double)DatumGetInt32(elems[k]) : DatumGetFloat8(elems[k]);
	}
	return out;
}

Datum
nmf_tune(PG_FUNCTION_ARGS)
{
	const NmfMatrixFlat *m;
	NmfcMatrixView x;
	NmfcOptions opt;
	NmfcInterrupts intr = nmfpg_interrupts();
	NmfcError err;
	NmfpgHolder *holder;
	NmfcTune *tune = NULL;
	int status;
	double *rank_list, *regs;
	int64 *ranks;
	int nranks, nregs;
	int64 best_rank, nrows, tuned_size, max_rank;
	double best_reg, cv_rmse;
	int budget_hit;
	int32 members;
	NmfModelFlat *tuned;

	for (int a = ARG_RANKS; a <= ARG_ENSEMBLE; a++)
		if (a != ARG_REGS && a != ARG_THREADS)
			nmfpg_arg_not_null(fcinfo, a, "nmf_tune", "an option other than regs and threads");
	if (PG_ARGISNULL(ARG_MATRIX))
		PG_RETURN_NULL();
	rank_list = float8_list(fcinfo, ARG_RANKS, "ranks", &nranks);
	ranks = palloc(nranks * sizeof(int64));
	max_rank = 1;
	for (int k = 0; k < nranks; k++)
	{
		ranks[k] = (int64)rank_list[k];
		max_rank = Max(max_rank, ranks[k]);
	}
	if (PG_ARGISNULL(ARG_REGS))
	{
		nregs = lengthof(default_regs);
		regs = (double *)default_regs;
	}
	else
		regs = float8_list(fcinfo, ARG_REGS, "regs", &nregs);

	m = NMFPG_MATRIX_P(ARG_MATRIX);
	x = nmfpg_matrix_view(m);
	nmfc_options_default(&opt, ranks[0]);
	opt.missing = NMF_MISSING_IGNORE;
	opt.bias = PG_GETARG_BOOL(ARG_BIAS) ? 1 : 0;
	opt.seed = PG_GETARG_INT64(ARG_SEED);
	opt.solver = nmfc_solver_code(text_to_cstring(PG_GETARG_TEXT_PP(ARG_SOLVER)));
	if (opt.solver < 0)
		ereport(ERROR,
		        (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("nmf_tune: unknown solver"),
		         errhint("Valid values: %s.", nmfc_solver_names())));
	opt.max_iter = PG_GETARG_INT32(ARG_MAX_ITER);
	opt.tol = PG_GETARG_FLOAT8(ARG_TOL);
	opt.threads = PG_ARGISNULL(ARG_THREADS) ? nmfpg_threads : PG_GETARG_INT32(ARG_THREADS);
	/* the search's largest fit; the final fits' images are small beside it */
	opt.rank = max_rank;
	nmfpg_check_memory(nmfpg_fit_memory_bound(&x, &opt), "nmf_tune");
	opt.rank = ranks[0];

	holder = nmfpg_holder(tune_release);
	status = nmfc_tune_run(&x, &opt, ranks, nranks, regs, nregs, PG_GETARG_INT32(ARG_FOLDS),
	                       PG_GETARG_FLOAT8(ARG_MAX_SECONDS), PG_GETARG_INT32(ARG_ENSEMBLE), &intr,
	                       &tune, &err);
	holder->handle = tune;
	nmfpg_raise(status, &err, ERRCODE_INVALID_PARAMETER_VALUE);
	nmfc_tune_best(tune, &best_rank, &best_reg, &cv_rmse, &nrows, &budget_hit, &members);
	if (best_rank == 0)
		ereport(NOTICE,
		        (errmsg("nmf_tune: max_seconds %g ran out before any candidate was scored on "
		                "every fold; the first rank is fitted with the ridge chosen from the data",
		                PG_GETARG_FLOAT8(ARG_MAX_SECONDS)),
		         errhint("Give more seconds, fewer folds, or fewer ranks.")));
	else if (budget_hit)
		ereport(NOTICE, (errmsg("nmf_tune: max_seconds ran out after %ld fits; the best "
		                        "candidate scored on every fold is kept",
		                        (long)nrows)));

	tuned_size = nmfc_tune_model_size(tune);
	nmfpg_check_image_size(tuned_size, "the nmf_model");
	tuned = (NmfModelFlat *)palloc0(tuned_size);
	nmfpg_raise(nmfc_tune_model_copy(tune, tuned, (size_t)tuned_size, &err), &err,
	            ERRCODE_INTERNAL_ERROR);
	SET_VARSIZE(tuned, tuned_size);
	nmfpg_holder_release(holder);
	if (tuned->stop == NMF_STOP_DIVERGED)
		ereport(WARNING,
		        (errmsg("nmf_tune: a final fit passed the weight bound and kept its last iterate "
		                "within it"),
		         errhint("Try larger regs or a smaller rank.")));
	PG_RETURN_POINTER(nmfpg_keys_of_matrix(tuned, m));
}
