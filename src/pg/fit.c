/* SPDX-License-Identifier: PostgreSQL */
/*
 * nmf(matrix, rank, ...): parses and checks the options, then drives the
 * core one iteration per call, checking for interrupts between iterations
 * (the core also polls the cancel flags inside an iteration). The core's fit
 * handle is freed by a memory-context callback, so an ERROR or a cancel
 * anywhere releases it. nmf_fit() (fit_table.c) shares the options and the
 * driver.
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"
#include "nmfpg.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

PG_FUNCTION_INFO_V1(nmf);
PG_FUNCTION_INFO_V1(nmf_fit);

/* A fit's handle goes with its row in nmf_progress. */
static void
fit_release(void *fit)
{
	nmfc_fit_free((NmfcFit *)fit);
	nmfpg_progress_end();
}

/* nmf()'s options, in its argument order, counted from the rank. */
enum
{
	OPT_RANK,
	OPT_SOLVER,
	OPT_LOSS,
	OPT_INIT,
	OPT_MISSING,
	OPT_MAX_ITER,
	OPT_TOL,
	OPT_SEED,
	OPT_MAX_SECONDS,
	OPT_L1_W,
	OPT_L1_H,
	OPT_L2_W,
	OPT_L2_H,
	OPT_LEARNING_RATE, /* from here to OPT_H_INIT, NULL means not given */
	OPT_WARM_START,
	OPT_W_INIT,
	OPT_H_INIT,
	OPT_VERBOSE,
	OPT_COUNT
};

StaticAssertDecl(OPT_COUNT == NMFPG_FIT_OPTIONS, "nmfpg.h must count nmf()'s options");

/*
 * Options added since 0.3, counted from extra_arg (after verbose, or after
 * nmf_fit's models_table).
 */
enum
{
	XOPT_BIAS,
	XOPT_L2_BIAS,
	XOPT_THREADS,  /* NULL means the setting nmf.threads */
	XOPT_REG,      /* NULL: chosen from the data (missing 'ignore') or 0 */
	XOPT_HOLDOUT,  /* 0: no early stopping */
	XOPT_PATIENCE, /* NULL: NMF_DEFAULT_PATIENCE */
	XOPT_COUNT
};

StaticAssertDecl(XOPT_COUNT == NMFPG_FIT_EXTRA_OPTIONS, "nmfpg.h must count nmf()'s later options");

static const char *const option_names[OPT_COUNT] = {
    "rank", "solver",        "loss",        "init",   "missing", "max_iter",
    "tol",  "seed",          "max_seconds", "l1_w",   "l1_h",    "l2_w",
    "l2_h", "learning_rate", "warm_start",  "w_init", "h_init",  "verbose"};

static int
option_code(FunctionCallInfo fcinfo, int argno, const char *option, int (*lookup)(const char *),
            const char *names)
{
	char *name = text_to_cstring(PG_GETARG_TEXT_PP(argno));
	int code = lookup(name);

	if (code < 0)
		ereport(ERROR,
		        (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		         errmsg("unknown %s \"%s\"", option, name), errhint("Valid values: %s.", names)));
	return code;
}

/*
 * A 2-D float8 array without NULLs, as a row-major buffer (the array's own
 * data when it can be read in place).
 */
static const double *
matrix_arg(FunctionCallInfo fcinfo, int argno, const char *name, int64_t *rows, int64_t *cols)
{
	ArrayType *a = PG_GETARG_ARRAYTYPE_P(argno);
	int ndim = ARR_NDIM(a);

	if (ndim != 2)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("%s must be a 2-D float8 array, not %d-D", name, ndim)));
	if (ARR_HASNULL(a) && array_contains_nulls(a))
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
		                errmsg("%s must not contain NULLs", name)));
	*rows = ARR_DIMS(a)[0];
	*cols = ARR_DIMS(a)[1];
	return (const double *)ARR_DATA_PTR(a);
}

/* The options after verbose (nmf_fit: after models_table). */
static void
parse_extra_options(FunctionCallInfo fcinfo, int extra_arg, NmfcOptions *opt)
{
#define XARG(o) (extra_arg + (o))
#define XHAS(o) (XARG(o) < PG_NARGS())
	if (XHAS(XOPT_BIAS) && PG_ARGISNULL(XARG(XOPT_BIAS)))
		ereport(ERROR,
		        (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("nmf: bias must not be NULL")));
	if (XHAS(XOPT_L2_BIAS) && PG_ARGISNULL(XARG(XOPT_L2_BIAS)))
		ereport(ERROR,
		        (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("nmf: l2_bias must not be NULL")));
	if (XHAS(XOPT_BIAS))
		opt->bias = PG_GETARG_BOOL(XARG(XOPT_BIAS)) ? 1 : 0;
	if (XHAS(XOPT_L2_BIAS))
	{
		opt->l2_bias = PG_GETARG_FLOAT8(XARG(XOPT_L2_BIAS));
		if (!(opt->l2_bias >= 0) || isinf(opt->l2_bias))
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			                errmsg("l2_bias %g is not a finite number >= 0", opt->l2_bias)));
	}
	if (XHAS(XOPT_THREADS) && !PG_ARGISNULL(XARG(XOPT_THREADS)))
	{
		int32 threads = PG_GETARG_INT32(XARG(XOPT_THREADS));

		if (threads < 1 || threads > NMFPG_MAX_THREADS)
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			                errmsg("threads %d is outside 1..%d", threads, NMFPG_MAX_THREADS),
			                errhint("Leave threads NULL for the setting nmf.threads (now %d).",
			                        nmfpg_threads)));
		opt->threads = threads;
	}
	if (XHAS(XOPT_REG) && !PG_ARGISNULL(XARG(XOPT_REG)))
	{
		opt->reg = PG_GETARG_FLOAT8(XARG(XOPT_REG));
		if (!(opt->reg >= 0) || isinf(opt->reg))
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			                errmsg("reg %g is not a finite number >= 0", opt->reg),
			                errhint("Leave reg NULL to have it chosen from the data.")));
	}
	if (XHAS(XOPT_HOLDOUT))
	{
		if (PG_ARGISNULL(XARG(XOPT_HOLDOUT)))
			ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
			                errmsg("nmf: holdout must not be NULL")));
		opt->holdout = PG_GETARG_FLOAT8(XARG(XOPT_HOLDOUT));
		if (!(opt->holdout >= 0 && opt->holdout < 0.5))
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			                errmsg("holdout %g is outside [0, 0.5)", opt->holdout),
			                errhint("holdout is the share of the stored cells left out to stop "
			                        "on; 0 turns early stopping off.")));
	}
	if (XHAS(XOPT_PATIENCE) && !PG_ARGISNULL(XARG(XOPT_PATIENCE)))
	{
		opt->patience = PG_GETARG_INT32(XARG(XOPT_PATIENCE));
		if (opt->patience < 1)
			ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			                errmsg("patience %d is less than 1", opt->patience)));
	}
#undef XHAS
#undef XARG
}

void
nmfpg_parse_fit_options(FunctionCallInfo fcinfo, int rank_arg, int extra_arg, NmfcOptions *opt,
                        NmfpgFitRun *run)
{
#define ARG(o) (rank_arg + (o))
/* Options a declaration from an older version lacks take their defaults. */
#define HAS(o) (ARG(o) < PG_NARGS())
	for (int o = 0; o < OPT_COUNT; o++)
		if (HAS(o) && PG_ARGISNULL(ARG(o)) && o != OPT_MAX_ITER &&
		    (o < OPT_LEARNING_RATE || o > OPT_H_INIT))
			ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
			                errmsg("nmf: %s must not be NULL", option_names[o])));
	nmfc_options_default(opt, PG_GETARG_INT32(ARG(OPT_RANK)));
	opt->solver =
	    option_code(fcinfo, ARG(OPT_SOLVER), "solver", nmfc_solver_code, nmfc_solver_names());
	opt->loss = option_code(fcinfo, ARG(OPT_LOSS), "loss", nmfc_loss_code, nmfc_loss_names());
	opt->init = option_code(fcinfo, ARG(OPT_INIT), "init", nmfc_init_code, nmfc_init_names());
	opt->missing =
	    option_code(fcinfo, ARG(OPT_MISSING), "missing", nmfc_missing_code, nmfc_missing_names());
	/* NULL (0.5's default): the core's, and a fit that does not converge in them warns. */
	run->warn_unconverged = PG_ARGISNULL(ARG(OPT_MAX_ITER));
	if (!run->warn_unconverged)
		opt->max_iter = PG_GETARG_INT32(ARG(OPT_MAX_ITER));
	opt->tol = PG_GETARG_FLOAT8(ARG(OPT_TOL));
	opt->seed = PG_GETARG_INT64(ARG(OPT_SEED));
	opt->max_seconds = PG_GETARG_FLOAT8(ARG(OPT_MAX_SECONDS));
	opt->l1_w = PG_GETARG_FLOAT8(ARG(OPT_L1_W));
	opt->l1_h = PG_GETARG_FLOAT8(ARG(OPT_L1_H));
	opt->l2_w = PG_GETARG_FLOAT8(ARG(OPT_L2_W));
	opt->l2_h = PG_GETARG_FLOAT8(ARG(OPT_L2_H));
	opt->threads = nmfpg_threads;

	/* NULL: the adaptive step; a given step must be a positive number. */
	if (HAS(OPT_LEARNING_RATE) && !PG_ARGISNULL(ARG(OPT_LEARNING_RATE)))
	{
		opt->learning_rate = PG_GETARG_FLOAT8(ARG(OPT_LEARNING_RATE));
		if (!(opt->learning_rate > 0) || isinf(opt->learning_rate))
			ereport(ERROR,
			        (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			         errmsg("learning_rate %g is not a finite number > 0", opt->learning_rate),
			         errhint("Leave learning_rate NULL for the adaptive step.")));
	}

	/*
	 * Initial factors replace the init; init keeps its default ('random') or
	 * names them ('custom', 'warm_start'), and the core refuses the rest.
	 */
	if (HAS(OPT_WARM_START) && !PG_ARGISNULL(ARG(OPT_WARM_START)))
	{
		const NmfModelFlat *model = NMFPG_MODEL_P(ARG(OPT_WARM_START));

		opt->warm_start = model;
		opt->warm_start_size = VARSIZE(model);
		if (opt->init == NMF_INIT_RANDOM)
			opt->init = NMF_INIT_WARM_START;
	}
	if (HAS(OPT_W_INIT) && !PG_ARGISNULL(ARG(OPT_W_INIT)))
		opt->w_init =
		    matrix_arg(fcinfo, ARG(OPT_W_INIT), "w_init", &opt->w_init_rows, &opt->w_init_cols);
	if (HAS(OPT_H_INIT) && !PG_ARGISNULL(ARG(OPT_H_INIT)))
		opt->h_init =
		    matrix_arg(fcinfo, ARG(OPT_H_INIT), "h_init", &opt->h_init_rows, &opt->h_init_cols);
	if ((opt->w_init || opt->h_init) && opt->init == NMF_INIT_RANDOM)
		opt->init = NMF_INIT_CUSTOM;
	run->verbose = HAS(OPT_VERBOSE) ? PG_GETARG_BOOL(ARG(OPT_VERBOSE)) : false;
	parse_extra_options(fcinfo, extra_arg, opt);
#undef HAS
#undef ARG
}

/* verbose => true: where the fit is, what it gained lately, and a bound on what is left. */
static void
report_progress(const NmfcSummary *s, const NmfcOptions *opt, double loss_before, int every,
                bool done)
{
	double per_iteration = s->iterations > 0 ? s->seconds / s->iterations : 0.0;
	double left = per_iteration * (opt->max_iter - s->iterations);
	double change = loss_before > 0 ? 100.0 * (s->loss - loss_before) / loss_before : 0.0;

	if (opt->max_seconds > 0 && left > opt->max_seconds - s->seconds)
		left = Max(opt->max_seconds - s->seconds, 0.0);
	if (done)
		ereport(NOTICE, (errmsg("nmf: %s after %d iterations, loss %.6g, %.3f s",
		                        s->converged ? "converged" : "stopped", s->iterations, s->loss,
		                        s->seconds)));
	else if (loss_before <= 0)
		ereport(NOTICE, (errmsg("nmf: iteration %d of %d, loss %.6g, %.3f s, at most %.3g s to go",
		                        s->iterations, opt->max_iter, s->loss, s->seconds, left)));
	else
		ereport(NOTICE,
		        (errmsg("nmf: iteration %d of %d, loss %.6g (%+.3g%% over the last %d), %.3f s, "
		                "at most %.3g s to go",
		                s->iterations, opt->max_iter, s->loss, change, every, s->seconds, left)));
}

int64
nmfpg_fit_memory_bound(const NmfcMatrixView *x, const NmfcOptions *opt)
{
	return nmfc_fit_memory(x, opt) +
	       nmfc_model_size_bias(x->rows, x->cols, opt->rank, opt->max_iter, opt->bias);
}

/*
 * A fit that ended on its guard or did not converge says so, with what to
 * change: a model is returned either way (the last good iterate).
 */
static void
warn_about_ending(const NmfcSummary *s, const NmfcOptions *opt, const NmfpgFitRun *run)
{
	if (s->diverged)
		ereport(WARNING,
		        (errmsg("nmf: the weights grew past the bound (a factor's largest W weight times "
		                "its largest H weight passed %g); the model holds iteration %d, the last "
		                "within it",
		                s->weight_bound, s->best_iteration),
		         errhint("With missing => 'ignore' a row or column with few cells needs a ridge: "
		                 "leave reg NULL (chosen from the data), give reg => 0.1, or add "
		                 "bias => true.")));
	else if (!s->converged && !s->early_stopped && run->warn_unconverged && opt->tol > 0 &&
	         !(opt->max_seconds > 0 && s->seconds >= opt->max_seconds))
		ereport(WARNING,
		        (errmsg("nmf: not converged after %d iterations (tol %g)", s->iterations, opt->tol),
		         errhint("Give a larger max_iter, or a larger tol; max_iter given explicitly "
		                 "turns this warning off.")));
}

NmfModelFlat *
nmfpg_fit_matrix(const NmfcMatrixView *x, const int64 *row_ids, const int64 *col_ids,
                 const NmfcOptions *opt, const NmfpgFitRun *run, int64 *image_size)
{
	const int every = 10;
	NmfcInterrupts intr = nmfpg_interrupts();
	NmfcError err;
	NmfcSummary summary;
	NmfpgHolder *holder;
	NmfcFit *fit = NULL;
	int status;
	NmfModelFlat *model;
	double loss_before = 0.0;
	int64 size;
	int done = 0;

	holder = nmfpg_holder(fit_release);
	status = nmfc_fit_create(x, opt, &intr, &fit, &err);
	holder->handle = fit;
	nmfpg_raise(status, &err, ERRCODE_INVALID_PARAMETER_VALUE);

	nmfpg_progress_begin(nmfc_solver_name(opt->solver), x->rows, x->cols, opt->rank, opt->max_iter);
	while (!done)
	{
		CHECK_FOR_INTERRUPTS();
		nmfpg_raise(nmfc_fit_step(fit, &done, &err), &err, ERRCODE_DATA_EXCEPTION);
		nmfc_fit_summary(fit, &summary);
		nmfpg_progress_update(summary.iterations, summary.loss, summary.seconds);
		if (run->verbose && (summary.iterations == 1 || summary.iterations % every == 0 || done))
		{
			report_progress(&summary, opt, loss_before, every, done);
			loss_before = summary.loss;
		}
	}

	size = nmfc_model_size_bias(x->rows, x->cols, opt->rank, summary.history_len, opt->bias);
	model = (NmfModelFlat *)MemoryContextAllocHuge(CurrentMemoryContext, size);
	memset(model, 0, size);
	nmfpg_raise(nmfc_fit_write_model(fit, row_ids, col_ids, model, (size_t)size, &err), &err,
	            ERRCODE_INTERNAL_ERROR);
	if ((Size)size <= MaxAllocSize)
		SET_VARSIZE(model, size);
	nmfpg_holder_release(holder);
	warn_about_ending(&summary, opt, run);
	*image_size = size;
	return model;
}

Datum
nmf(PG_FUNCTION_ARGS)
{
	NmfcOptions opt;
	const NmfMatrixFlat *m;
	NmfcMatrixView x;
	NmfcError err;
	int64 size;
	NmfpgFitRun run;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
		        (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("nmf: matrix must not be NULL"),
		         errhint("nmf_matrix() returns NULL when it aggregates no rows.")));
	nmfpg_parse_fit_options(fcinfo, 1, 1 + NMFPG_FIT_OPTIONS, &opt, &run);
	m = NMFPG_MATRIX_P(0);
	x = nmfpg_matrix_view(m);
	nmfpg_raise(nmfc_options_validate(&x, &opt, &err), &err, ERRCODE_INVALID_PARAMETER_VALUE);

	/* Everything big is sized before anything is allocated. */
	nmfpg_check_image_size(nmfc_model_size_bias(x.rows, x.cols, opt.rank, opt.max_iter, opt.bias),
	                       "the nmf_model");
	nmfpg_check_memory(nmfpg_fit_memory_bound(&x, &opt), "the fit");
	PG_RETURN_POINTER(
	    nmfpg_fit_matrix(&x, nmf_matrix_row_ids(m), nmf_matrix_col_ids(m), &opt, &run, &size));
}

/*
 * Catalogs of versions 0.1 to 0.5 bind SQL nmf() to the C name 'nmf_fit'
 * (and SQL nmf_fit() to 'nmf_fit_table'): until they are updated, that name
 * must go on meaning nmf(), with nmf()'s arguments.
 */
Datum
nmf_fit(PG_FUNCTION_ARGS)
{
	return nmf(fcinfo);
}
