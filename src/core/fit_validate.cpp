// SPDX-License-Identifier: PostgreSQL
// The fit's options checked once, before anything is allocated: the matrix
// view, each combination that does not exist (with the one that does), and
// the values a loss cannot take.
#include <cmath>

#include "errors.hpp"
#include "fit.hpp"
#include "options.hpp"
#include "solvers.hpp"

namespace nmf
{

void
Fit::validate(const CsrView &x, const NmfcOptions &opt)
{
	if (!is_dense(x) && (x.rows < 1 || x.cols < 1 || x.nnz < 0 || x.row_ptr == nullptr ||
	                     (x.nnz > 0 && (x.col_idx == nullptr || x.values == nullptr))))
		throw InvalidArgument(message("matrix view of ", x.rows, " x ", x.cols, " with ", x.nnz,
		                              " cells is invalid"));
	// Each option in its range (options.def), then what depends on the matrix.
	options::check(opt);
	const int64_t min_dim = std::min(x.rows, x.cols);
	if (opt.rank > min_dim)
		throw InvalidArgument(
		    message("rank ", opt.rank, " is larger than min(rows, cols) = ", min_dim));
	if (opt.on_small == NMF_ON_SMALL_ERROR && unfittable(x, opt) == NMFC_UNFIT_ZERO)
		throw InvalidArgument(message("every stored cell of the ", x.rows, " x ", x.cols,
		                              " matrix is 0: there is nothing to factorize"));
	if (opt.rank > NMF_MAX_RANK)
		throw LimitExceeded(
		    message("rank ", opt.rank, " is larger than the limit of ", NMF_MAX_RANK));
	// The transpose indexes rows with int32, as the matrix indexes columns.
	if (x.rows > INT32_MAX)
		throw LimitExceeded(
		    message("matrix has ", x.rows, " rows, more than the limit of ", INT32_MAX));
	validate_combinations(x, opt);
}

// Options that are each valid but do not go together.
void
Fit::validate_combinations(const CsrView &x, const NmfcOptions &given)
{
	if (given.beta != NMF_BETA_NONE && given.loss != NMF_LOSS_BETA)
		throw InvalidArgument(message("beta applies only to loss 'beta', not '",
		                              options::name_of(NMFC_OPT_loss, given.loss),
		                              "'; leave it NULL for the other losses"));
	if (given.loss == NMF_LOSS_BETA && given.beta == NMF_BETA_NONE)
		throw InvalidArgument("loss 'beta' needs beta: 0 for Itakura-Saito, 1 for "
		                      "Kullback-Leibler, 2 for Frobenius, or another value in [-10, 10]");
	NmfcOptions opt = given;
	options::resolve(opt);
	if (opt.loss != NMF_LOSS_FROBENIUS && opt.solver != NMF_SOLVER_MU)
		throw InvalidArgument(message("loss '", options::name_of(NMFC_OPT_loss, opt.loss),
		                              "' works only with solver 'mu': solvers 'hals' and 'gd' "
		                              "minimise the frobenius loss; leave solver NULL to have it"));
	if (opt.loss == NMF_LOSS_BETA && opt.beta <= 0)
		check_positive(x, opt);
	if (opt.learning_rate != 0 && opt.solver != NMF_SOLVER_GD)
		throw InvalidArgument("learning_rate applies only to solver 'gd'; leave it NULL "
		                      "for the other solvers");

	// Before bias's own needs, which would otherwise name missing or solver.
	const bool implicit = opt.feedback == NMF_FEEDBACK_IMPLICIT;
	if (implicit && opt.bias)
		throw InvalidArgument("bias is not supported with feedback 'implicit': its preferences "
		                      "are 0 and 1, and the confidence weights already count how often a "
		                      "cell was seen; leave bias false");
	if (opt.bias && opt.missing != NMF_MISSING_IGNORE)
		throw InvalidArgument("bias needs missing 'ignore': with absent cells as zeros the "
		                      "biases would be fitted to every absent cell");
	if (opt.bias && opt.solver == NMF_SOLVER_MU)
		throw InvalidArgument("bias works with solver 'hals' or 'gd', not 'mu': the residual "
		                      "V - mu - b_row - b_col has negative cells, which multiplicative "
		                      "updates cannot fit");

	if (opt.alpha > 0 && !implicit)
		throw InvalidArgument("alpha applies only to feedback 'implicit'; leave it NULL for "
		                      "explicit feedback");
	if (implicit && opt.solver != NMF_SOLVER_HALS)
		throw InvalidArgument("feedback 'implicit' is fitted by solver 'hals' only");
	if (implicit && opt.missing != NMF_MISSING_ZERO)
		throw InvalidArgument("missing 'ignore' does not apply to feedback 'implicit': every "
		                      "cell counts, an absent one as preference 0 at confidence 1");
	if (implicit && opt.holdout > 0)
		throw InvalidArgument("holdout is not supported with feedback 'implicit': its early "
		                      "stopping measures the error of stored values");

	const bool custom = opt.init == NMF_INIT_CUSTOM;
	if ((opt.w_init != nullptr || opt.h_init != nullptr) && !custom)
		throw InvalidArgument("w_init and h_init need init 'custom'");
	if (custom)
	{
		if (opt.w_init == nullptr || opt.h_init == nullptr)
			throw InvalidArgument("init 'custom' needs both w_init and h_init");
		if (opt.w_init_rows != x.rows || opt.w_init_cols != opt.rank)
			throw InvalidArgument(message("w_init is ", opt.w_init_rows, " x ", opt.w_init_cols,
			                              ", expected rows x rank = ", x.rows, " x ", opt.rank));
		if (opt.h_init_rows != opt.rank || opt.h_init_cols != x.cols)
			throw InvalidArgument(message("h_init is ", opt.h_init_rows, " x ", opt.h_init_cols,
			                              ", expected rank x cols = ", opt.rank, " x ", x.cols));
	}

	const bool warm = opt.init == NMF_INIT_WARM_START;
	if (opt.warm_start != nullptr && !warm)
		throw InvalidArgument("a warm_start model needs init 'warm_start'");
	if (warm)
	{
		if (opt.warm_start == nullptr || opt.warm_start_size < sizeof(NmfModelFlat))
			throw InvalidArgument("init 'warm_start' needs a warm_start model");
		if (x.row_ids == nullptr || x.col_ids == nullptr)
			throw InvalidArgument("a warm start needs the matrix's row and column ids");
		NmfModelFlat head;
		std::memcpy(&head, opt.warm_start, sizeof(head));
		if (head.rank != opt.rank)
			throw InvalidArgument(message("the warm_start model has rank ", head.rank,
			                              ", not the rank ", opt.rank, " asked for"));
	}
}

// The beta-divergence with beta <= 0 is infinite at a counted zero whatever
// W H is (Itakura-Saito: x / y - log(x / y) - 1 at x = 0), so such a fit has
// no minimum to find: refused, as scikit-learn does, rather than fitted to an
// epsilon put in the zeros' place.
void
Fit::check_positive(const CsrView &x, const NmfcOptions &opt)
{
	const char *hint = "; give missing 'ignore' so that only stored cells count, or add a small "
	                   "offset to the values";
	if (opt.missing == NMF_MISSING_ZERO &&
	    (x.nnz < x.rows * x.cols || (opt.holdout > 0 && x.nnz > 0)))
		throw InvalidArgument(message("loss 'beta' with beta ", opt.beta,
		                              " <= 0 needs every counted cell > 0, but with missing "
		                              "'zero' the absent cells count as zeros",
		                              hint));
	for (int64_t q = 0; q < x.nnz; q++)
		if (x.values[q] == 0.0)
			throw InvalidArgument(message("loss 'beta' with beta ", opt.beta,
			                              " <= 0 needs every counted cell > 0, but the matrix "
			                              "stores a 0",
			                              hint));
}

} // namespace nmf
