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

#include "miscadmin.h"
#include "nmfpg.h"
#include "nmfpg_keys.h"
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

/*
 * The argument of option o (options.def's rows, in nmf()'s order from the
 * rank): nmf_fit() has models_table after verbose, `gap` more arguments.
 */
static int
option_arg(int rank_arg, int gap, int o)
{
	return rank_arg + o + (o > NMFC_OPT_verbose ? gap : 0);
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

/* The arguments the glue reads itself (NMF_KIND_GLUE rows), given and not NULL. */
static void
read_glue_option(FunctionCallInfo fcinfo, int o, int arg, NmfcOptions *opt, NmfpgFitRun *run)
{
	switch (o)
	{
	case NMFC_OPT_warm_start:
	{
		const NmfModelFlat *model = NMFPG_MODEL_P(arg);

		opt->warm_start = model;
		opt->warm_start_size = VARSIZE(model);
		break;
	}
	case NMFC_OPT_w_init:
		opt->w_init = matrix_arg(fcinfo, arg, "w_init", &opt->w_init_rows, &opt->w_init_cols);
		break;
	case NMFC_OPT_h_init:
		opt->h_init = matrix_arg(fcinfo, arg, "h_init", &opt->h_init_rows, &opt->h_init_cols);
		break;
	case NMFC_OPT_verbose:
		run->verbose = PG_GETARG_BOOL(arg);
		break;
	default:
		elog(ERROR, "nmf: option %d has no reader in the glue", o);
	}
}

/* One given option into opt, checked by the core against options.def. */
static void
read_option(FunctionCallInfo fcinfo, int o, int arg, NmfcOptions *opt)
{
	const NmfcOptionInfo *info = nmfc_option_info(o);
	NmfcError err;
	int status;

	switch (info->kind)
	{
	case NMF_KIND_TEXT:
		status = nmfc_option_set_name(opt, o, text_to_cstring(PG_GETARG_TEXT_PP(arg)), &err);
		break;
	case NMF_KIND_INT:
		status = nmfc_option_set_int(opt, o, PG_GETARG_INT32(arg), &err);
		break;
	case NMF_KIND_BIGINT:
		status = nmfc_option_set_int(opt, o, PG_GETARG_INT64(arg), &err);
		break;
	case NMF_KIND_BOOL:
		status = nmfc_option_set_int(opt, o, PG_GETARG_BOOL(arg) ? 1 : 0, &err);
		break;
	default:
		status = nmfc_option_set_real(opt, o, PG_GETARG_FLOAT8(arg), &err);
	}
	if (status == NMFC_INVALID_ARGUMENT && info->values)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("%s", err.message),
		                errhint("Valid values: %s.", info->values)));
	if (status == NMFC_INVALID_ARGUMENT && info->hint[0])
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("%s", err.message),
		                errhint("%s", info->hint)));
	nmfpg_raise(status, &err, ERRCODE_INVALID_PARAMETER_VALUE);
}

/*
 * The options, read by options.def's rows: a NULL leaves the default where
 * the SQL default is NULL and is an error elsewhere; an argument an older
 * declaration lacks (fewer arguments) leaves the default.
 */
void
nmfpg_parse_fit_options(FunctionCallInfo fcinfo, int rank_arg, int gap, NmfcOptions *opt,
                        NmfpgFitRun *run)
{
	nmfc_options_default(opt, 1);
	opt->threads = nmfpg_threads;
	run->verbose = false;
	run->warn_unconverged = true; /* max_iter left NULL: not converging is a WARNING */
	for (int o = 0; o < NMFC_OPT_COUNT; o++)
	{
		const NmfcOptionInfo *info = nmfc_option_info(o);
		int arg = option_arg(rank_arg, gap, o);

		if (arg >= PG_NARGS())
			continue;
		if (PG_ARGISNULL(arg))
		{
			if (!info->nullable)
				ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				                errmsg("nmf: %s must not be NULL", info->name)));
			continue;
		}
		if (info->kind == NMF_KIND_GLUE)
			read_glue_option(fcinfo, o, arg, opt, run);
		else
			read_option(fcinfo, o, arg, opt);
	}
	if (option_arg(rank_arg, gap, NMFC_OPT_max_iter) < PG_NARGS() &&
	    !PG_ARGISNULL(option_arg(rank_arg, gap, NMFC_OPT_max_iter)))
		run->warn_unconverged = false;

	/*
	 * Initial factors replace the init; init keeps its default ('random') or
	 * names them ('custom', 'warm_start'), and the core refuses the rest.
	 */
	if (opt->warm_start && opt->init == NMF_INIT_RANDOM)
		opt->init = NMF_INIT_WARM_START;
	if ((opt->w_init || opt->h_init) && opt->init == NMF_INIT_RANDOM)
		opt->init = NMF_INIT_CUSTOM;
	/* solver NULL: hals for frobenius, mu for the rest; loss 'is': beta 0 */
	nmfc_options_resolve(opt);
}

/* The core's check of the options against each other and the matrix. */
void
nmfpg_validate_fit_options(const NmfcMatrixView *x, const NmfcOptions *opt)
{
	NmfcError err;

	nmfpg_raise(nmfc_options_validate(x, opt, &err), &err, ERRCODE_INVALID_PARAMETER_VALUE);
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

bool
nmfpg_fit_skipped(const char *fn, const NmfcMatrixView *x, const NmfcOptions *opt)
{
	const char *fix = "on_small => 'error' makes this an error.";

	if (opt->on_small != NMF_ON_SMALL_NULL)
		return false;
	if (x == NULL)
		ereport(WARNING,
		        (errmsg("%s: there are no cells to fit (a NULL matrix, as nmf_matrix() of no rows "
		                "gives, or an empty source); the result is NULL",
		                fn),
		         errhint("Leave out the groups without cells; %s", fix)));
	else
		switch (nmfc_fit_unfittable(x, opt))
		{
		case NMFC_UNFIT_RANK:
			ereport(
			    WARNING,
			    (errmsg("%s: rank " INT64_FORMAT " is larger than min(rows, cols) = " INT64_FORMAT
			            " of this " INT64_FORMAT " x " INT64_FORMAT " matrix; the result is NULL",
			            fn, opt->rank, Min(x->rows, x->cols), x->rows, x->cols),
			     errhint("Give a rank of at most min(rows, cols), or leave out the groups with "
			             "fewer rows or columns than the rank; %s",
			             fix)));
			break;
		case NMFC_UNFIT_ZERO:
			ereport(
			    WARNING,
			    (errmsg("%s: every stored cell of this " INT64_FORMAT " x " INT64_FORMAT
			            " matrix is 0, there is nothing to factorize; the result is NULL",
			            fn, x->rows, x->cols),
			     errhint("Leave out the groups without a nonzero value (HAVING max(value) > 0); "
			             "%s",
			             fix)));
			break;
		default:
			return false;
		}
	return true;
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
void
nmfpg_warn_about_ending(const NmfcSummary *s, const NmfcOptions *opt, const NmfpgFitRun *run)
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
	if (s->pilot_rmse > s->baseline_rmse) /* false when either is NaN */
		ereport(
		    WARNING,
		    (errmsg("nmf: on held-out cells this fit predicts worse than the baseline "
		            "mu + b_row + b_col (RMSE %.4f against %.4f)",
		            s->pilot_rmse, s->baseline_rmse),
		     errdetail("Rows or columns with few cells are predicted near the average line, "
		               "without offsets of their own."),
		     errhint("Add bias => true (the baseline plus factors), or tune with nmf_tune().")));
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
		/* the first iteration's loss exists only when every loss is computed */
		if (run->verbose && ((summary.iterations == 1 && summary.loss_every == 1) ||
		                     summary.iterations % every == 0 || done))
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
	nmfpg_warn_about_ending(&summary, opt, run);
	*image_size = size;
	return model;
}

Datum
nmf(PG_FUNCTION_ARGS)
{
	NmfcOptions opt;
	const NmfMatrixFlat *m;
	NmfcMatrixView x;
	int64 size;
	NmfpgFitRun run;

	nmfpg_parse_fit_options(fcinfo, 1, 0, &opt, &run);
	if (PG_ARGISNULL(0))
	{
		if (nmfpg_fit_skipped("nmf", NULL, &opt))
			PG_RETURN_NULL();
		ereport(ERROR,
		        (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("nmf: matrix must not be NULL"),
		         errhint("nmf_matrix() returns NULL when it aggregates no rows.")));
	}
	m = nmfpg_matrix_arg_stored(PG_GETARG_DATUM(0));
	x = nmfpg_matrix_view(m);
	if (nmfpg_fit_skipped("nmf", &x, &opt))
		PG_RETURN_NULL();
	nmfpg_validate_fit_options(&x, &opt);

	/* Everything big is sized before anything is allocated. */
	nmfpg_check_image_size(nmfc_model_size_bias(x.rows, x.cols, opt.rank, opt.max_iter, opt.bias),
	                       "the nmf_model");
	nmfpg_check_memory(nmfpg_fit_memory_bound(&x, &opt), "the fit");
	if (opt.warm_start)
		nmfpg_check_same_keys("nmf", opt.warm_start, m);
	PG_RETURN_POINTER(nmfpg_keys_of_matrix(
	    nmfpg_fit_matrix(&x, nmf_matrix_row_ids(m), nmf_matrix_col_ids(m), &opt, &run, &size), m));
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
