// SPDX-License-Identifier: PostgreSQL
// The fit's life: setup, one iteration per step with the stopping rule, and
// the normalised model image at the end (the options' checks: fit_validate.cpp).
#include "fit.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>

#include "apply.hpp"
#include "errors.hpp"
#include "format.hpp"
#include "options.hpp"
#include "parallel.hpp"
#include "solvers.hpp"
#include "svd.hpp"

namespace nmf
{

namespace
{

// a * b + c, saturating at INT64_MAX, for memory estimates.
int64_t
sat_mul_add(int64_t a, int64_t b, int64_t c) noexcept
{
	int64_t p;
	if (!checked_mul(a, b, &p) || !checked_add(p, c, &p))
		return std::numeric_limits<int64_t>::max();
	return p;
}

} // namespace

int
Fit::unfittable(const CsrView &x, const NmfcOptions &opt) noexcept
{
	if (opt.rank > std::min(x.rows, x.cols))
		return NMFC_UNFIT_RANK;
	// A matrix without a nonzero cell has nothing to factorize: W H = 0 at any W or H.
	if (x.values == nullptr ||
	    std::none_of(x.values, x.values + x.nnz, [](double v) { return v != 0; }))
		return NMFC_UNFIT_ZERO;
	return NMFC_FITTABLE;
}

int64_t
Fit::memory(const CsrView &x, const NmfcOptions &given) noexcept
{
	constexpr int64_t kDouble = sizeof(double);
	NmfcOptions opt = given;
	options::resolve(opt);
	if (x.rows < 0 || x.cols < 0 || x.nnz < 0)
		return std::numeric_limits<int64_t>::max();
	const int64_t r = std::clamp<int64_t>(opt.rank, 1, NMF_MAX_RANK);
	int64_t total = static_cast<int64_t>(sizeof(Fit));
	if (needs_indexes(x, opt)) // full_indexes
		total = sat_mul_add(x.nnz, sizeof(int32_t), sat_mul_add(x.rows + 1, kDouble, total));
	if (dense_path(x, opt))
		total = sat_mul_add(sat_mul_add(x.rows, x.cols, 0), kDouble, total);
	else
	{
		// The transpose, and the column cursors of its chunks used while building it.
		total = sat_mul_add(x.nnz, sizeof(int32_t) + sizeof(double), total);
		total = sat_mul_add(x.cols + 1, sizeof(int64_t), total);
		total =
		    sat_mul_add(sat_mul_add(x.cols, transpose_chunks(x.rows, x.cols, x.nnz, lanes(opt)), 0),
		                sizeof(int64_t), total);
	}
	// W, H, the scratch and the history.
	total = sat_mul_add(sat_mul_add(r, x.rows, 0), kDouble, total);
	total = sat_mul_add(sat_mul_add(r, x.cols, 0), kDouble, total);
	if (x.rows > NMF_MAX_DIM || x.cols > NMF_MAX_DIM)
		return std::numeric_limits<int64_t>::max();
	total = sat_mul_add(1,
	                    Workspace::bytes(r, grad_columns(x, opt), std::max(x.rows, x.cols),
	                                     lanes(opt), product_columns(x, opt)),
	                    total);
	total = sat_mul_add(std::max<int64_t>(opt.max_iter, 0), 2 * kDouble, total);
	if (block_scratch(x, opt))
		total = sat_mul_add(lanes(opt), solver::beta_scratch_bytes(x.rows, x.cols, r), total);
	// (so does the baseline a plain fit's pilots compare with: choose_reg)
	if (opt.bias || compares_baseline(opt))
		total = sat_mul_add(1, BiasFit::memory(x.rows, x.cols, x.nnz), total);
	// A guarded fit keeps a copy of W, H and the biases; holdout copies the
	// cells (so do the pilots of a ridge chosen from the data, which run one
	// at a time before the fit allocates anything else).
	if (opt.missing == NMF_MISSING_IGNORE || opt.holdout > 0)
	{
		total = sat_mul_add(sat_mul_add(r, x.rows + x.cols, 0), kDouble, total);
		total = sat_mul_add(x.rows + x.cols, kDouble, total);
	}
	if (opt.holdout > 0 || reg_from_data(opt))
		total = sat_mul_add(x.nnz, sizeof(int32_t) + kDouble + sizeof(HeldCell), total);
	// The nndsvd inits' SVD is freed before the first iteration, but counts.
	if (opt.init == NMF_INIT_NNDSVD || opt.init == NMF_INIT_NNDSVDA ||
	    opt.init == NMF_INIT_NNDSVDAR)
		total = sat_mul_add(1, truncated_svd_bytes(x.rows, x.cols, r), total);
	return total;
}

int64_t
Fit::grad_columns(const CsrView &x, const NmfcOptions &opt) noexcept
{
	return opt.solver == NMF_SOLVER_GD ? std::max(x.rows, x.cols) : 0;
}

int64_t
Fit::product_columns(const CsrView &x, const NmfcOptions &opt) noexcept
{
	const bool by_rows = opt.solver != NMF_SOLVER_GD && solver::frobenius_like(opt) &&
	                     opt.missing == NMF_MISSING_ZERO && opt.rank <= kScatterMaxRank &&
	                     opt.feedback != NMF_FEEDBACK_IMPLICIT;
	return by_rows ? x.cols : 0;
}

int
Fit::lanes(const NmfcOptions &opt) noexcept
{
	return opt.threads == 0 ? default_threads() : std::clamp(opt.threads, 1, kMaxThreads);
}

Fit::Fit(const CsrView &given_x, const NmfcOptions &given, const NmfcInterrupts &intr)
{
	validate(given_x, given);
	const CsrView x = needs_indexes(given_x, given) ? full_indexes(given_x) : given_x;
	NmfcOptions opt = given;
	options::resolve(opt);
	p_.x = x;
	p_.opt = opt;
	p_.intr = intr;
	if (reg_from_data(opt))
		choose_reg(x, opt);
	else if (opt.reg == NMF_REG_AUTO)
		p_.opt.reg = p_.implicit() ? NMF_DEFAULT_IMPLICIT_REG : 0.0;
	if (!p_.implicit())
		p_.opt.alpha = 0.0;
	else if (opt.alpha == NMF_ALPHA_AUTO)
		p_.opt.alpha = NMF_DEFAULT_ALPHA;
	if (x.nnz > 0)
	{
		const auto range = std::minmax_element(x.values, x.values + x.nnz);
		v_min_ = *range.first;
		v_max_ = *range.second;
	}
	if (opt.holdout > 0)
		hold_out(x);
	if (dense_path(x, opt))
		make_dense();
	else
	{
		xt_ = transpose(p_.x, intr, lanes(opt));
		p_.xt = &xt_;
	}

	// Implicit: the objective at W H = 0, sum of c p^2 over the observed cells.
	for (int64_t q = 0; q < p_.x.nnz; q++)
	{
		p_.x_norm_sq += p_.implicit()
		                    ? (p_.x.values[q] > 0 ? 1.0 + p_.opt.alpha * p_.x.values[q] : 0.0)
		                    : p_.x.values[q] * p_.x.values[q];
		p_.nonzeros += p_.x.values[q] != 0.0 ? 1 : 0;
	}
	if (!std::isfinite(p_.x_norm_sq))
		throw InvalidArgument("the squared norm of the matrix overflows: values are too large");
	p_.beta_x = solver::beta_x_term(p_);

	w_.resize(opt.rank, x.rows);
	h_.resize(opt.rank, x.cols);
	ws_ = Workspace(opt.rank, grad_columns(x, opt), std::max(x.rows, x.cols), lanes(opt),
	                product_columns(x, opt));
	if (block_scratch(x, opt))
	{
		const auto cells = static_cast<size_t>(
		    solver::beta_scratch_bytes(x.rows, x.cols, opt.rank) / int64_t{sizeof(double)});
		ws_.lane_beta.assign(static_cast<size_t>(ws_.threads), std::vector<double>(cells));
		const int64_t lines = solver::beta_block_lines(x.rows, opt.rank);
		ws_.beta_parts.assign(static_cast<size_t>((x.cols + lines - 1) / lines), 0.0);
	}
	loss_history_.reserve(static_cast<size_t>(opt.max_iter));
	seconds_history_.reserve(static_cast<size_t>(opt.max_iter));

	initialise();
	values_ = p_.x.values;
	if (opt.bias)
		start_biases();
	guarded_ = p_.masked() || !held_.empty();
	// A guarded fit needs every loss; kl and the general beta take a pass
	// over the cells for it (a third of an iteration), the others next to nothing.
	const bool costly =
	    p_.opt.solver == NMF_SOLVER_MU && !p_.implicit() &&
	    (solver::kl_like(p_.opt) || (p_.opt.loss == NMF_LOSS_BETA && p_.opt.beta != 2.0));
	loss_every_ = p_.opt.loss_every > 0 ? p_.opt.loss_every
	              : costly && !guarded_ ? NMF_LOSS_EVERY_COSTLY
	                                    : 1;
	p_.opt.loss_every = loss_every_;
	check_every_ = std::lcm(kCheckEvery, loss_every_);
	if (p_.masked() && v_max_ > 0)
		weight_bound_ = kWeightBound * std::max(std::fabs(v_min_), std::fabs(v_max_));
	best_rmse_ = std::numeric_limits<double>::infinity();
	// The pointers of the initial factors are not ours to keep.
	p_.opt.w_init = p_.opt.h_init = nullptr;
	p_.opt.warm_start = nullptr;
	loss_ = solver::loss(p_, w_, h_, ws_);
	if (!std::isfinite(loss_))
		throw InvalidArgument(
		    "the loss of the initial factors is not finite: values are too large");
	initial_loss_ = check_loss_ = loss_;
	if (!held_.empty())
		holdout_rmse_ = best_rmse_ = holdout_rmse();
	if (guarded_)
		keep();
	if (p_.opt.max_iter == 0)
	{
		done_ = true;
		frobenius_ = final_frobenius();
	}
}

double
Fit::final_frobenius()
{
	if (p_.opt.loss == NMF_LOSS_FROBENIUS)
		return loss_;
	return p_.masked() ? solver::masked_frobenius_loss(p_, w_, h_, ws_)
	                   : solver::frobenius_loss(p_, w_, h_, ws_);
}

void
Fit::initialise()
{
	switch (p_.opt.init)
	{
	case NMF_INIT_RANDOM:
		init::random(p_, w_, h_);
		break;
	case NMF_INIT_NNDSVD:
	case NMF_INIT_NNDSVDA:
	case NMF_INIT_NNDSVDAR:
		init::nndsvd(p_, w_, h_);
		break;
	case NMF_INIT_CUSTOM:
		init::custom(p_, w_, h_);
		break;
	default:
		init::warm_start(p_, w_, h_);
		break;
	}
}

// Biased: the solvers see the residual R = V - mu - b_row - b_col of the
// stored cells. The biases start as the baseline (the biases alone, fitted
// by a few sweeps) and H at 0, so the first prediction is the baseline
// itself: the first half-step then fits H to what the baseline leaves, from
// W. Starting W H at V's scale instead puts the data's scale in noise on top
// of the baseline, from which a masked fit may never recover. Given factors
// (custom, warm_start) are kept as they are.
void
Fit::start_biases()
{
	bias_ = BiasFit(p_.x, xt_, p_.opt.l2_bias);
	bias_.start(p_.x, xt_, kBiasStartSweeps, p_.intr);
	p_.x.values = bias_.residual_rows();
	if (p_.opt.init == NMF_INIT_CUSTOM || p_.opt.init == NMF_INIT_WARM_START)
		return;
	h_.setZero();
}

double
Fit::iterate()
{
	if (p_.opt.bias)
	{
		CsrView v = p_.x;
		v.values = values_;
		bias_.update(v, xt_, w_, h_, p_.intr);
	}
	if (p_.implicit())
		return solver::implicit_iteration(p_, w_, h_, ws_);
	switch (p_.opt.solver)
	{
	case NMF_SOLVER_MU:
		if (solver::kl_like(p_.opt))
			return solver::mu_kl_iteration(p_, w_, h_, ws_);
		if (p_.opt.loss == NMF_LOSS_BETA && p_.opt.beta != 2.0)
			return solver::mu_beta_iteration(p_, w_, h_, ws_);
		// beta 2: the frobenius updates; the divergence is half the squared norm.
		return p_.opt.loss == NMF_LOSS_BETA ? solver::mu_iteration(p_, w_, h_, ws_) / 2
		                                    : solver::mu_iteration(p_, w_, h_, ws_);
	case NMF_SOLVER_GD:
		return solver::gd_iteration(p_, w_, h_, ws_);
	default:
		return solver::hals_iteration(p_, w_, h_, ws_);
	}
}

bool
Fit::step()
{
	if (broken_)
		throw InvalidArgument("the fit stopped on an error and cannot continue");
	if (done_)
		return true;

	broken_ = true;
	const int32_t next = iterations_ + 1;
	p_.want_loss = guarded_ || next % loss_every_ == 0 || next >= p_.opt.max_iter;
	const auto start = std::chrono::steady_clock::now();
	const double loss = iterate();
	seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
	iterations_++;
	if (p_.want_loss)
		take_loss(loss);
	if (guarded_)
		guard(loss);
	if (!done_)
		update_stopping(p_.want_loss);
	if (done_)
	{
		// Stopped by time or early stopping between two computed losses.
		if (!p_.want_loss)
			take_loss(solver::loss(p_, w_, h_, ws_));
		if (recorded_ != iterations_ && std::isfinite(loss_))
			record();
		if (guarded_)
			restore_kept();
		frobenius_ = final_frobenius();
	}
	broken_ = false;
	return done_;
}

// The loss after this iteration, recorded in the history every loss_every
// iterations (step records the last one).
void
Fit::take_loss(double loss)
{
	if (!std::isfinite(loss) && !guarded_)
		throw InvalidArgument("the loss is no longer finite: values are too large");
	loss_ = loss;
	if (std::isfinite(loss) && iterations_ % loss_every_ == 0)
		record();
}

void
Fit::record()
{
	loss_history_.push_back(loss_);
	seconds_history_.push_back(seconds_);
	recorded_ = iterations_;
}

// The stopping rule is scikit-learn's (1.2, _fit_multiplicative_update), so
// that tol means what NMF users know: every kCheckEvery iterations, converged
// when the error ||V - W H||_F fell by less than tol times its value at the
// init over those iterations (for loss 'kl', the error is the square root of
// the divergence, as scikit-learn's). The change is taken in absolute value:
// solver gd with a fixed learning_rate may increase the loss, and a growing
// loss has not converged. A rule on one iteration's relative decrease of
// the loss stops far too early: where the residual is large the loss is flat
// near the optimum, so the decrease falls below 1e-4 while the factors are
// still 1e-3 away (the seed's example stops after 3 iterations). A loss of
// exactly 0 has converged; otherwise stop at max_iter or after max_seconds.
// With a loss_every that does not divide kCheckEvery, the rule runs every
// lcm(kCheckEvery, loss_every) iterations, when the loss is there.
void
Fit::update_stopping(bool fresh)
{
	if (fresh && loss_ == 0.0)
	{
		converged_ = done_ = true;
		return;
	}
	if (p_.opt.tol > 0 && iterations_ % check_every_ == 0)
	{
		const double before = check_loss_;
		check_loss_ = loss_;
		if (tol_converged(before, loss_, initial_loss_, p_.opt.tol))
		{
			converged_ = done_ = true;
			return;
		}
	}
	if (iteration_cap_ > 0 && iterations_ >= iteration_cap_)
	{
		stop_ = NMF_STOP_EARLY;
		converged_ = done_ = true;
		return;
	}
	if (iterations_ >= p_.opt.max_iter ||
	    (p_.opt.max_seconds > 0 && seconds_ >= p_.opt.max_seconds))
		done_ = true;
}

NmfcSummary
Fit::summary() const noexcept
{
	NmfcSummary s;
	s.iterations = iterations_;
	s.converged = converged_ ? 1 : 0;
	s.loss = loss_;
	const double x_norm_sq = p_.x_norm_sq;
	const double frobenius = done_ ? frobenius_ : loss_;
	s.relative_error = x_norm_sq > 0 ? std::sqrt(frobenius) / std::sqrt(x_norm_sq) : 0.0;
	s.seconds = seconds_;
	s.x_norm_sq = p_.x_norm_sq;
	s.history_len = static_cast<int64_t>(loss_history_.size());
	s.loss_every = loss_every_;
	s.reg = p_.opt.reg;
	s.diverged = stop_ == NMF_STOP_DIVERGED ? 1 : 0;
	s.early_stopped = stop_ == NMF_STOP_EARLY ? 1 : 0;
	s.best_iteration = guarded_ ? kept_.iteration : iterations_;
	s.holdout_rmse = held_.empty() ? std::numeric_limits<double>::quiet_NaN() : best_rmse_;
	s.max_product = max_product();
	s.weight_bound = weight_bound_;
	s.pilot_rmse = pilot_rmse_;
	s.baseline_rmse = baseline_rmse_;
	return s;
}

bool
tol_converged(double before, double now, double initial, double tol) noexcept
{
	const double decrease = (std::sqrt(before) - std::sqrt(now)) /
	                        std::max(std::sqrt(initial), std::numeric_limits<double>::min());
	return std::fabs(decrease) < tol;
}

void
check_model_buffer(int64_t expected, const int64_t *row_ids, const int64_t *col_ids,
                   const void *flat, size_t size)
{
	if (row_ids == nullptr || col_ids == nullptr || flat == nullptr)
		throw InvalidArgument("model ids or buffer are missing");
	if (expected < 0 || size != static_cast<uint64_t>(expected))
		throw InvalidArgument(message("model buffer has ", size, " bytes, expected ", expected));
}

NmfModelFlat
model_header(const NmfcOptions &opt, const NmfcSummary &s, int64_t rows, int64_t cols,
             int64_t nnz) noexcept
{
	NmfModelFlat header;
	std::memset(&header, 0, sizeof(header));
	header.magic = NMF_MODEL_MAGIC;
	header.version = NMF_MODEL_VERSION;
	header.rows = rows;
	header.cols = cols;
	header.nnz = nnz;
	header.rank = opt.rank;
	header.solver = opt.solver;
	header.loss = opt.loss;
	header.beta = opt.loss == NMF_LOSS_BETA ? opt.beta : 0.0;
	header.init = opt.init;
	header.missing = opt.missing;
	header.max_iter = opt.max_iter;
	header.tol = opt.tol;
	header.seed = opt.seed;
	header.max_seconds = opt.max_seconds;
	header.l1_w = opt.l1_w;
	header.l1_h = opt.l1_h;
	header.l2_w = opt.l2_w;
	header.l2_h = opt.l2_h;
	header.learning_rate = opt.learning_rate;
	header.reg = opt.reg;
	header.feedback = opt.feedback;
	header.alpha = opt.alpha;
	header.inner_updates = opt.inner_updates;
	header.loss_every = s.loss_every;
	header.iterations = s.iterations;
	header.converged = s.converged;
	header.final_loss = s.loss;
	header.relative_error = s.relative_error;
	header.seconds = s.seconds;
	header.x_norm_sq = s.x_norm_sq;
	header.history_len = s.history_len;
	header.best_iteration = s.best_iteration;
	header.bias = opt.bias ? 1 : 0;
	header.l2_bias = opt.bias ? opt.l2_bias : 0.0;
	return header;
}

void
write_factors(const Matrix &w, const Matrix &h, const int64_t *row_ids, const int64_t *col_ids,
              NmfModelFlat *model)
{
	const int64_t r = w.rows();
	const int64_t m = w.cols();
	const int64_t n = h.cols();
	// W diag(1/scale) diag(scale) H = W H: W's columns sum to 1, H compensates.
	const Eigen::VectorXd scale = w.rowwise().sum();
	Eigen::VectorXd weight(r);
	for (int64_t k = 0; k < r; k++)
		weight(k) = (h.row(k) * scale(k)).sum();
	std::vector<int64_t> order(static_cast<size_t>(r));
	std::iota(order.begin(), order.end(), 0);
	std::stable_sort(order.begin(), order.end(),
	                 [&weight](int64_t a, int64_t b) { return weight(a) > weight(b); });

	std::memcpy(const_cast<int64_t *>(nmf_model_row_ids(model)), row_ids,
	            static_cast<size_t>(m) * sizeof(int64_t));
	std::memcpy(const_cast<int64_t *>(nmf_model_col_ids(model)), col_ids,
	            static_cast<size_t>(n) * sizeof(int64_t));
	double *w_out = const_cast<double *>(nmf_model_w(model));
	for (int64_t i = 0; i < m; i++)
		for (int64_t t = 0; t < r; t++)
		{
			const int64_t k = order[static_cast<size_t>(t)];
			w_out[i * r + t] = scale(k) > 0 ? w(k, i) / scale(k) : 0.0;
		}
	double *h_out = const_cast<double *>(nmf_model_h(model));
	for (int64_t j = 0; j < n; j++)
		for (int64_t t = 0; t < r; t++)
		{
			const int64_t k = order[static_cast<size_t>(t)];
			h_out[j * r + t] = h(k, j) * scale(k);
		}
}

void
write_history(const std::vector<double> &loss, const std::vector<double> &seconds,
              NmfModelFlat *model) noexcept
{
	// With max_iter = 0 the history is empty and its data() may be null.
	const size_t history_bytes = loss.size() * sizeof(double);
	if (history_bytes > 0)
	{
		std::memcpy(const_cast<double *>(nmf_model_history_loss(model)), loss.data(),
		            history_bytes);
		std::memcpy(const_cast<double *>(nmf_model_history_seconds(model)), seconds.data(),
		            history_bytes);
	}
}

void
write_biases(const double *b_row, const double *b_col, NmfModelFlat *model) noexcept
{
	std::memcpy(const_cast<double *>(nmf_model_b_row(model)), b_row,
	            static_cast<size_t>(model->rows) * sizeof(double));
	std::memcpy(const_cast<double *>(nmf_model_b_col(model)), b_col,
	            static_cast<size_t>(model->cols) * sizeof(double));
}

void
Fit::write_model(const int64_t *row_ids, const int64_t *col_ids, void *flat, size_t size) const
{
	const int64_t r = p_.opt.rank;
	const int64_t m = p_.x.rows;
	const int64_t n = p_.x.cols;
	const NmfcSummary s = summary();
	const bool bias = p_.opt.bias != 0;
	check_model_buffer(model_size(m, n, r, s.history_len, bias), row_ids, col_ids, flat, size);
	NmfModelFlat header = model_header(p_.opt, s, m, n, p_.x.nnz);
	header.mu = bias ? bias_.mu() : 0.0;
	if (p_.masked())
	{
		header.v_min = v_min_;
		header.v_max = v_max_;
	}
	header.holdout = p_.opt.holdout;
	header.holdout_rmse = held_.empty() ? 0.0 : best_rmse_;
	header.stop = stop_;
	NmfModelFlat *model = write_header(flat, header);
	write_factors(w_, h_, row_ids, col_ids, model);
	write_history(loss_history_, seconds_history_, model);
	if (bias)
		write_biases(bias_.rows().data(), bias_.cols().data(), model);

	// What we hand out must pass what every reader checks; if not, a bug.
	validate_model(flat, size, NMFC_INTERNAL);
}

} // namespace nmf
