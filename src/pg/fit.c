/* SPDX-License-Identifier: PostgreSQL */
/*
 * nmf(matrix, rank, ...): parses and checks the options, then drives the
 * core one iteration per call, checking for interrupts between iterations
 * (the core also polls the cancel flags inside an iteration). The core's fit
 * handle is freed by a memory-context callback, so an ERROR or a cancel
 * anywhere releases it.
 */
#include "nmfpg.h"

#include <math.h>

#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

PG_FUNCTION_INFO_V1(nmf_fit);

typedef struct FitHolder
{
	NmfcFit *fit;
	MemoryContextCallback callback;
} FitHolder;

static void
fit_holder_release(void *arg)
{
	FitHolder *holder = (FitHolder *) arg;

	if (holder->fit)
	{
		nmfc_fit_free(holder->fit);
		holder->fit = NULL;
	}
}

enum
{
	ARG_MATRIX,
	ARG_RANK,
	ARG_SOLVER,
	ARG_LOSS,
	ARG_INIT,
	ARG_MISSING,
	ARG_MAX_ITER,
	ARG_TOL,
	ARG_SEED,
	ARG_MAX_SECONDS,
	ARG_L1_W,
	ARG_L1_H,
	ARG_L2_W,
	ARG_L2_H,
	ARG_LEARNING_RATE, /* the arguments from here on may be NULL */
	ARG_WARM_START,
	ARG_W_INIT,
	ARG_H_INIT,
	ARG_COUNT
};

static const char *const arg_names[ARG_COUNT] = {
	"matrix", "rank", "solver",		 "loss", "init", "missing", "max_iter",
	"tol",	  "seed", "max_seconds", "l1_w", "l1_h", "l2_w",	"l2_h",
	"learning_rate", "warm_start", "w_init", "h_init"};

static int
option_code(FunctionCallInfo fcinfo, int argno, int (*lookup)(const char *), const char *names)
{
	char *name = text_to_cstring(PG_GETARG_TEXT_PP(argno));
	int code = lookup(name);

	if (code < 0)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("unknown %s \"%s\"", arg_names[argno], name),
						errhint("Valid values: %s.", names)));
	return code;
}

/*
 * A 2-D float8 array without NULLs, as a row-major buffer (the array's own
 * data when it can be read in place).
 */
static const double *
matrix_arg(FunctionCallInfo fcinfo, int argno, int64_t *rows, int64_t *cols)
{
	ArrayType *a = PG_GETARG_ARRAYTYPE_P(argno);
	int ndim = ARR_NDIM(a);

	if (ndim != 2)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("%s must be a 2-D float8 array, not %d-D", arg_names[argno], ndim)));
	if (ARR_HASNULL(a) && array_contains_nulls(a))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						errmsg("%s must not contain NULLs", arg_names[argno])));
	*rows = ARR_DIMS(a)[0];
	*cols = ARR_DIMS(a)[1];
	return (const double *) ARR_DATA_PTR(a);
}

static void
parse_options(FunctionCallInfo fcinfo, NmfcOptions *opt)
{
	for (int i = 0; i < ARG_LEARNING_RATE; i++)
		if (PG_ARGISNULL(i))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("nmf: %s must not be NULL", arg_names[i]),
					 i == ARG_MATRIX
						 ? errhint("nmf_matrix() returns NULL when it aggregates no rows.")
						 : 0));
	nmfc_options_default(opt, PG_GETARG_INT32(ARG_RANK));
	opt->solver = option_code(fcinfo, ARG_SOLVER, nmfc_solver_code, nmfc_solver_names());
	opt->loss = option_code(fcinfo, ARG_LOSS, nmfc_loss_code, nmfc_loss_names());
	opt->init = option_code(fcinfo, ARG_INIT, nmfc_init_code, nmfc_init_names());
	opt->missing = option_code(fcinfo, ARG_MISSING, nmfc_missing_code, nmfc_missing_names());
	opt->max_iter = PG_GETARG_INT32(ARG_MAX_ITER);
	opt->tol = PG_GETARG_FLOAT8(ARG_TOL);
	opt->seed = PG_GETARG_INT64(ARG_SEED);
	opt->max_seconds = PG_GETARG_FLOAT8(ARG_MAX_SECONDS);
	opt->l1_w = PG_GETARG_FLOAT8(ARG_L1_W);
	opt->l1_h = PG_GETARG_FLOAT8(ARG_L1_H);
	opt->l2_w = PG_GETARG_FLOAT8(ARG_L2_W);
	opt->l2_h = PG_GETARG_FLOAT8(ARG_L2_H);

	/* NULL: the adaptive step; a given step must be a positive number. */
	if (!PG_ARGISNULL(ARG_LEARNING_RATE))
	{
		opt->learning_rate = PG_GETARG_FLOAT8(ARG_LEARNING_RATE);
		if (!(opt->learning_rate > 0) || isinf(opt->learning_rate))
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							errmsg("learning_rate %g is not a finite number > 0",
								   opt->learning_rate),
							errhint("Leave learning_rate NULL for the adaptive step.")));
	}

	/*
	 * Initial factors replace the init; init keeps its default ('random') or
	 * names them ('custom', 'warm_start'), and the core refuses the rest.
	 */
	if (!PG_ARGISNULL(ARG_WARM_START))
	{
		const NmfModelFlat *model = NMFPG_MODEL_P(ARG_WARM_START);

		opt->warm_start = model;
		opt->warm_start_size = VARSIZE(model);
		if (opt->init == NMF_INIT_RANDOM)
			opt->init = NMF_INIT_WARM_START;
	}
	if (!PG_ARGISNULL(ARG_W_INIT))
		opt->w_init = matrix_arg(fcinfo, ARG_W_INIT, &opt->w_init_rows, &opt->w_init_cols);
	if (!PG_ARGISNULL(ARG_H_INIT))
		opt->h_init = matrix_arg(fcinfo, ARG_H_INIT, &opt->h_init_rows, &opt->h_init_cols);
	if ((opt->w_init || opt->h_init) && opt->init == NMF_INIT_RANDOM)
		opt->init = NMF_INIT_CUSTOM;
}

Datum
nmf_fit(PG_FUNCTION_ARGS)
{
	NmfcOptions opt;
	const NmfMatrixFlat *m;
	NmfcMatrixView x;
	NmfcInterrupts intr = nmfpg_interrupts();
	NmfcError err;
	NmfcSummary summary;
	FitHolder *holder;
	int64 model_bound, size;
	struct varlena *model;
	int done = 0;

	parse_options(fcinfo, &opt);
	m = NMFPG_MATRIX_P(ARG_MATRIX);
	x = nmfpg_matrix_view(m);
	nmfpg_raise(nmfc_options_validate(&x, &opt, &err), &err, ERRCODE_INVALID_PARAMETER_VALUE);

	/* Everything big is sized before anything is allocated. */
	model_bound = nmfc_model_size(x.rows, x.cols, opt.rank, opt.max_iter);
	nmfpg_check_image_size(model_bound, "the nmf_model");
	nmfpg_check_memory(nmfc_fit_memory(&x, &opt) + model_bound, "the fit");

	holder = palloc0(sizeof(FitHolder));
	holder->callback.func = fit_holder_release;
	holder->callback.arg = holder;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, &holder->callback);
	nmfpg_raise(nmfc_fit_create(&x, &opt, &intr, &holder->fit, &err), &err,
				ERRCODE_INVALID_PARAMETER_VALUE);

	while (!done)
	{
		CHECK_FOR_INTERRUPTS();
		nmfpg_raise(nmfc_fit_step(holder->fit, &done, &err), &err, ERRCODE_DATA_EXCEPTION);
	}

	nmfc_fit_summary(holder->fit, &summary);
	size = nmfc_model_size(x.rows, x.cols, opt.rank, summary.history_len);
	model = (struct varlena *) MemoryContextAllocHuge(CurrentMemoryContext, size);
	memset(model, 0, size);
	nmfpg_raise(nmfc_fit_write_model(holder->fit, nmf_matrix_row_ids(m), nmf_matrix_col_ids(m),
									 model, (size_t) size, &err),
				&err, ERRCODE_INTERNAL_ERROR);
	SET_VARSIZE(model, size);
	fit_holder_release(holder);
	PG_RETURN_POINTER(model);
}
