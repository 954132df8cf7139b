// SPDX-License-Identifier: PostgreSQL
// The fit's life: options checked once, setup, one iteration per step with
// the stopping rule, and the normalised model image at the end.
#include "fit.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>

#include "errors.hpp"
#include "format.hpp"
#include "solvers.hpp"

namespace nmf
{

namespace
{

void
check_code(const char *option, int32_t code, int32_t count)
{
	if (code < 0 || code >= count)
		throw InvalidArgument(message(option, " code ", code, " is unknown"));
}

void
check_nonneg(const char *option, double v)
{
	if (!std::isfinite(v) || !(v >= 0))
		throw InvalidArgument(message(option, " ", v, " is not a finite number >= 0"));
}

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

void
Fit::validate(const CsrView &x, const NmfcOptions &opt)
{
	if (x.rows < 1 || x.cols < 1 || x.nnz < 0 || x.row_ptr == nullptr ||
	    (x.nnz > 0 && (x.col_idx == nullptr || x.values == nullptr)))
		throw InvalidArgument(message("matrix view of ", x.rows, " x ", x.cols, " with ", x.nnz,
		                              " cells is invalid"));
	check_code("solver", opt.solver, NMF_SOLVER_COUNT);
	check_code("loss", opt.loss, NMF_LOSS_COUNT);
	check_code("init", opt.init, NMF_INIT_COUNT);
	check_code("missing", opt.missing, NMF_MISSING_COUNT);

	const int64_t min_dim = std::min(x.rows, x.cols);
	if (opt.rank < 1)
		throw InvalidArgument(message("rank ", opt.rank, " is less than 1"));
	if (opt.rank > min_dim)
		throw InvalidArgument(
		    message("rank ", opt.rank, " is larger than min(rows, cols) = ", min_dim));
	if (opt.rank > NMF_MAX_RANK)
		throw LimitExceeded(
		    message("rank ", opt.rank, " is larger than the limit of ", NMF_MAX_RANK));
	// The transpose indexes rows with int32, as the matrix indexes columns.
	if (x.rows > INT32_MAX)
		throw LimitExceeded(
		    message("matrix has ", x.rows, " rows, more than the limit of ", INT32_MAX));

	if (opt.max_iter < 1)
		throw InvalidArgument(message("max_iter ", opt.max_iter, " is less than 1"));
	check_nonneg("tol", opt.tol);
	check_nonneg("max_seconds", opt.max_seconds);
	check_nonneg("l1_w", opt.l1_w);
	check_nonneg("l1_h", opt.l1_h);
	check_nonneg("l2_w", opt.l2_w);
	check_nonneg("l2_h", opt.l2_h);
}

int64_t
Fit::memory(const CsrView &x, const NmfcOptions &opt) noexcept
{
	constexpr int64_t kDouble = sizeof(double);
	if (x.rows < 0 || x.cols < 0 || x.nnz < 0)
		return std::numeric_limits<int64_t>::max();
	const int64_t r = std::max<int64_t>(opt.rank, 1);
	int64_t total = static_cast<int64_t>(sizeof(Fit));
	// The transpose, and the column cursors used while building it.
	total = sat_mul_add(x.nnz, sizeof(int32_t) + sizeof(double), total);
	total = sat_mul_add(x.cols + 1, sizeof(int64_t), total);
	total = sat_mul_add(x.cols, sizeof(int64_t), total);
	// W, H, the scratch and the history.
	total = sat_mul_add(sat_mul_add(r, x.rows, 0), kDouble, total);
	total = sat_mul_add(sat_mul_add(r, x.cols, 0), kDouble, total);
	total = sat_mul_add(1, Workspace::bytes(std::min<int64_t>(r, NMF_MAX_RANK)), total);
	total = sat_mul_add(std::max<int64_t>(opt.max_iter, 0), 2 * kDouble, total);
	return total;
}

Fit::Fit(const CsrView &x, const NmfcOptions &opt, const NmfcInterrupts &intr)
    : x_(x), opt_(opt), intr_(intr)
{
	validate(x_, opt_);
	xt_ = transpose(x_, intr_);

	for (int64_t p = 0; p < x_.nnz; p++)
		x_norm_sq_ += x_.values[p] * x_.values[p];
	if (!std::isfinite(x_norm_sq_))
		throw InvalidArgument("the squared norm of the matrix overflows: values are too large");

	w_.resize(opt_.rank, x_.rows);
	h_.resize(opt_.rank, x_.cols);
	ws_ = Workspace(opt_.rank);
	loss_history_.reserve(static_cast<size_t>(opt_.max_iter));
	seconds_history_.reserve(static_cast<size_t>(opt_.max_iter));

	init::random(x_, opt_.seed, w_, h_, intr_);
	loss_ = solver::frobenius_loss(x_, w_, h_, x_norm_sq_, ws_, intr_);
	initial_loss_ = loss_;
}

bool
Fit::step()
{
	if (broken_)
		throw InvalidArgument("the fit stopped on an error and cannot continue");
	if (done_)
		return true;

	broken_ = true;
	const auto start = std::chrono::steady_clock::now();
	const double loss =
	    solver::mu_frobenius_iteration(x_, xt_, opt_, x_norm_sq_, w_, h_, ws_, intr_);
	seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
	if (!std::isfinite(loss))
		throw InvalidArgument("the loss is no longer finite: values are too large");

	iterations_++;
	loss_ = loss;
	loss_history_.push_back(loss_);
	seconds_history_.push_back(seconds_);
	update_stopping();
	broken_ = false;
	return done_;
}

// The stopping rule is scikit-learn's (1.2, _fit_multiplicative_update), so
// that tol means what NMF users know: every kCheckEvery iterations, converged
// when the error ||V - W H||_F fell by less than tol times its value at the
// init over those iterations. A rule on one iteration's relative decrease of
// the loss stops far too early: where the residual is large the loss is flat
// near the optimum, so the decrease falls below 1e-4 while the factors are
// still 1e-3 away (the seed's example stops after 3 iterations). A loss of
// exactly 0 has converged; otherwise stop at max_iter or after max_seconds.
void
Fit::update_stopping()
{
	if (loss_ == 0.0)
	{
		converged_ = done_ = true;
		return;
	}
	if (opt_.tol > 0 && iterations_ % kCheckEvery == 0)
	{
		const double before =
		    iterations_ == kCheckEvery
		        ? initial_loss_
		        : loss_history_[static_cast<size_t>(iterations_ - kCheckEvery - 1)];
		const double decrease =
		    (std::sqrt(before) - std::sqrt(loss_)) /
		    std::max(std::sqrt(initial_loss_), std::numeric_limits<double>::min());
		if (decrease < opt_.tol)
		{
			converged_ = done_ = true;
			return;
		}
	}
	if (iterations_ >= opt_.max_iter || (opt_.max_seconds > 0 && seconds_ >= opt_.max_seconds))
		done_ = true;
}

NmfcSummary
Fit::summary() const noexcept
{
	NmfcSummary s;
	s.iterations = iterations_;
	s.converged = converged_ ? 1 : 0;
	s.loss = loss_;
	s.relative_error = x_norm_sq_ > 0 ? std::sqrt(loss_) / std::sqrt(x_norm_sq_) : 0.0;
	s.seconds = seconds_;
	s.x_norm_sq = x_norm_sq_;
	s.history_len = static_cast<int64_t>(loss_history_.size());
	return s;
}

void
Fit::write_model(const int64_t *row_ids, const int64_t *col_ids, void *flat, size_t size) const
{
	const int64_t r = opt_.rank;
	const int64_t m = x_.rows;
	const int64_t n = x_.cols;
	const NmfcSummary s = summary();
	const int64_t expected = model_size(m, n, r, s.history_len);
	if (row_ids == nullptr || col_ids == nullptr || flat == nullptr)
		throw InvalidArgument("model ids or buffer are missing");
	if (expected < 0 || size != static_cast<uint64_t>(expected))
		throw InvalidArgument(message("model buffer has ", size, " bytes, expected ", expected));

	// W diag(1/scale) diag(scale) H = W H: W's columns sum to 1, H compensates.
	const Eigen::VectorXd scale = w_.rowwise().sum();
	Eigen::VectorXd weight(r);
	for (int64_t k = 0; k < r; k++)
		weight(k) = (h_.row(k) * scale(k)).sum();
	std::vector<int64_t> order(static_cast<size_t>(r));
	std::iota(order.begin(), order.end(), 0);
	std::stable_sort(order.begin(), order.end(),
	                 [&weight](int64_t a, int64_t b) { return weight(a) > weight(b); });

	NmfModelFlat header;
	std::memset(&header, 0, sizeof(header));
	header.magic = NMF_MODEL_MAGIC;
	header.version = NMF_FORMAT_VERSION;
	header.rows = m;
	header.cols = n;
	header.rank = r;
	header.nnz = x_.nnz;
	header.solver = opt_.solver;
	header.loss = opt_.loss;
	header.init = opt_.init;
	header.missing = opt_.missing;
	header.max_iter = opt_.max_iter;
	header.tol = opt_.tol;
	header.seed = opt_.seed;
	header.max_seconds = opt_.max_seconds;
	header.l1_w = opt_.l1_w;
	header.l1_h = opt_.l1_h;
	header.l2_w = opt_.l2_w;
	header.l2_h = opt_.l2_h;
	header.iterations = s.iterations;
	header.converged = s.converged;
	header.final_loss = s.loss;
	header.relative_error = s.relative_error;
	header.seconds = s.seconds;
	header.x_norm_sq = s.x_norm_sq;
	header.history_len = s.history_len;
	// Every field but the length word, which belongs to the caller.
	const size_t skip = offsetof(NmfModelFlat, magic);
	std::memcpy(static_cast<char *>(flat) + skip, reinterpret_cast<const char *>(&header) + skip,
	            sizeof(header) - skip);

	NmfModelFlat *model = static_cast<NmfModelFlat *>(flat);
	std::memcpy(const_cast<int64_t *>(nmf_model_row_ids(model)), row_ids,
	            static_cast<size_t>(m) * sizeof(int64_t));
	std::memcpy(const_cast<int64_t *>(nmf_model_col_ids(model)), col_ids,
	            static_cast<size_t>(n) * sizeof(int64_t));
	double *w = const_cast<double *>(nmf_model_w(model));
	for (int64_t i = 0; i < m; i++)
		for (int64_t t = 0; t < r; t++)
		{
			const int64_t k = order[static_cast<size_t>(t)];
			w[i * r + t] = scale(k) > 0 ? w_(k, i) / scale(k) : 0.0;
		}
	double *h = const_cast<double *>(nmf_model_h(model));
	for (int64_t j = 0; j < n; j++)
		for (int64_t t = 0; t < r; t++)
		{
			const int64_t k = order[static_cast<size_t>(t)];
			h[j * r + t] = h_(k, j) * scale(k);
		}
	const size_t history_bytes = static_cast<size_t>(s.history_len) * sizeof(double);
	std::memcpy(const_cast<double *>(nmf_model_history_loss(model)), loss_history_.data(),
	            history_bytes);
	std::memcpy(const_cast<double *>(nmf_model_history_seconds(model)), seconds_history_.data(),
	            history_bytes);

	// What we hand out must pass what every reader checks; if not, a bug.
	validate_model(flat, size, NMFC_INTERNAL);
}

} // namespace nmf
