// SPDX-License-Identifier: PostgreSQL
// See fit_blocks.hpp.
#include "fit_blocks.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <numeric>

#include "errors.hpp"
#include "format.hpp"
#include "options.hpp"
#include "parallel.hpp"

namespace nmf::blocks
{

namespace
{

solver::GramHalf
half_of(const NmfcOptions &opt) noexcept
{
	return opt.solver == NMF_SOLVER_MU ? solver::mu_half : solver::hals_half;
}

int
lanes(const NmfcOptions &opt) noexcept
{
	return opt.threads == 0 ? default_threads() : std::clamp(opt.threads, 1, kMaxThreads);
}

const char *
name(int option, int code) noexcept
{
	return options::name_of(option, code);
}

// The lower triangle of an r x r Gram, by columns.
int64_t
triangle(int64_t r) noexcept
{
	return r * (r + 1) / 2;
}

} // namespace

int64_t
sums_length(const NmfcOptions &opt, int64_t cols) noexcept
{
	const int64_t r = opt.rank;
	if (opt.missing == NMF_MISSING_IGNORE)
		return 2 + 2 * r + r * cols + (opt.solver == NMF_SOLVER_HALS ? triangle(r) : r) * cols +
		       (opt.bias ? 1 : 0);
	return opt.loss == NMF_LOSS_KL ? 4 + r + r * r + r * cols : 1 + r * r + r * cols;
}

int64_t
answer_length(const NmfcOptions &opt, int64_t cols, int32_t round) noexcept
{
	if (round == NMFC_ROUND_BIAS_ROWS)
		return cols;
	// with biases a step's sums for H would be of a residual the next sweep
	// replaces: the step sends the loss, W's largest weights, W's row sums and
	// count (for the prior) and mu's sum only
	if (round == NMFC_ROUND_STEP && opt.bias)
		return 3 + 2 * opt.rank;
	return sums_length(opt, cols);
}

NmfcOptions
resolved(const NmfcOptions &given, const Whole &whole)
{
	options::check(given);
	NmfcOptions opt = given;
	options::resolve(opt);
	const int64_t min_dim = std::min(whole.rows, whole.cols);
	if (opt.rank > min_dim)
		throw InvalidArgument(
		    message("rank ", opt.rank, " is larger than min(rows, cols) = ", min_dim));
	if (whole.nonzeros == 0)
		throw InvalidArgument("every stored cell is 0: there is nothing to factorize");
	if (opt.solver != NMF_SOLVER_HALS && opt.solver != NMF_SOLVER_MU)
		throw InvalidArgument(message("the distributed fit runs solvers 'hals' and 'mu', not '",
		                              name(NMFC_OPT_solver, opt.solver), "'"));
	if (opt.loss != NMF_LOSS_FROBENIUS && opt.loss != NMF_LOSS_KL)
		throw InvalidArgument(
		    message("the distributed fit minimises loss 'frobenius' or 'kl', not '",
		            name(NMFC_OPT_loss, opt.loss), "'"));
	if (opt.loss == NMF_LOSS_KL && opt.solver != NMF_SOLVER_MU)
		throw InvalidArgument("loss 'kl' works only with solver 'mu'");
	if (opt.missing == NMF_MISSING_IGNORE && opt.loss != NMF_LOSS_FROBENIUS)
		throw InvalidArgument("with missing 'ignore' the distributed fit minimises loss "
		                      "'frobenius'");
	if (opt.bias && (opt.missing != NMF_MISSING_IGNORE || opt.solver != NMF_SOLVER_HALS))
		throw InvalidArgument("bias needs missing 'ignore' and solver 'hals', as in nmf()");
	if (Fit::reg_from_data(opt))
		throw InvalidArgument("with missing 'ignore' the distributed fit needs a ridge: give reg "
		                      "(the ridge per stored cell) or l2_w and l2_h; the ridge chosen from "
		                      "the data by pilot fits is nmf()'s alone");
	if (opt.feedback == NMF_FEEDBACK_IMPLICIT || opt.holdout > 0)
		throw InvalidArgument("the distributed fit has no implicit feedback or holdout");
	if (opt.init != NMF_INIT_RANDOM)
		throw InvalidArgument(message("the distributed fit starts from init 'random', not '",
		                              name(NMFC_OPT_init, opt.init), "'"));
	if (opt.reg == NMF_REG_AUTO)
		opt.reg = 0.0; // as Fit with absent cells as zeros
	opt.alpha = 0.0;
	return opt;
}

RowBlock::RowBlock(const CsrView &x, const int64_t *all_cols, const Whole &whole,
                   const NmfcOptions &opt, const NmfcInterrupts &intr, const double *w0)
    : row_ptr_(x.row_ptr, x.row_ptr + x.rows + 1), col_idx_(static_cast<size_t>(x.nnz)),
      values_(x.values, x.values + x.nnz), whole_(whole)
{
	// x's columns renumbered as V's: the index of each of its ids in all_cols.
	std::vector<int32_t> to_all(static_cast<size_t>(x.cols));
	for (int64_t c = 0; c < x.cols; c++)
	{
		const int64_t *at = std::lower_bound(all_cols, all_cols + whole.cols, x.col_ids[c]);
		if (at == all_cols + whole.cols || *at != x.col_ids[c])
			throw InvalidData(message("column id ", x.col_ids[c], " is not among V's columns"));
		to_all[static_cast<size_t>(c)] = static_cast<int32_t>(at - all_cols);
	}
	for (int64_t q = 0; q < x.nnz; q++)
		col_idx_[static_cast<size_t>(q)] = to_all[static_cast<size_t>(x.col_idx[q])];
	p_.x = CsrView{x.rows,          whole.cols,     x.nnz,   row_ptr_.data(),
	               col_idx_.data(), values_.data(), nullptr, nullptr};
	p_.opt = resolved(opt, whole);
	p_.intr = intr;
	p_.nonzeros = whole.nonzeros;
	const int64_t r = p_.opt.rank;
	w_ = Eigen::Map<const Matrix>(w0, r, x.rows);
	h_.resize(r, whole.cols);
	gram_h_.resize(r, r);
	ws_ = Workspace(r, 0, std::max(x.rows, whole.cols), lanes(p_.opt), whole.cols);
	if (biased())
	{
		v_ = values_;
		e_.assign(values_.size(), 0.0);
		b_row_.assign(static_cast<size_t>(x.rows), 0.0);
		b_row_before_ = b_row_;
		b_col_.assign(static_cast<size_t>(whole.cols), 0.0);
	}
}

int64_t
RowBlock::memory(const CsrView &x, const Whole &whole, const NmfcOptions &opt) noexcept
{
	const int64_t r = std::clamp<int64_t>(opt.rank, 1, NMF_MAX_RANK);
	const int64_t lines = std::max(x.rows, whole.cols);
	const double bytes =
	    static_cast<double>(x.nnz) * (sizeof(int32_t) + sizeof(double)) +
	    static_cast<double>(x.rows + 1) * sizeof(int64_t) +
	    static_cast<double>(r) * static_cast<double>(2 * x.rows + 2 * whole.cols + r) *
	        sizeof(double) +
	    static_cast<double>(Workspace::bytes(r, 0, lines, lanes(opt), whole.cols)) +
	    // its answer and the one its server combines; biases: V, E, b_row twice, b_col
	    2.0 * static_cast<double>(sums_length(opt, whole.cols)) * sizeof(double) +
	    (opt.bias ? static_cast<double>(2 * x.nnz + 2 * x.rows + whole.cols) * sizeof(double)
	              : 0.0);
	return bytes < 9.0e18 ? static_cast<int64_t>(bytes) : std::numeric_limits<int64_t>::max();
}

void
RowBlock::take_h(const double *h)
{
	const int64_t r = p_.opt.rank;
	h_ = Eigen::Map<const Matrix>(h, r, p_.x.cols);
	gram_h_ = Eigen::Map<const Matrix>(h + r * p_.x.cols, r, r);
	if (p_.masked())
		w_prior_ = gram_h_.col(0);
}

void
RowBlock::sums(double cross, double *out)
{
	const int64_t r = p_.opt.rank;
	solver::scatter_products(p_, w_, ws_);
	out[0] = cross;
	std::memcpy(out + 1, ws_.gram_w.data(), static_cast<size_t>(r * r) * sizeof(double));
	std::memcpy(out + 1 + r * r, ws_.products.data(),
	            static_cast<size_t>(r * p_.x.cols) * sizeof(double));
}

// Loss kl: the block's part of the divergence, W's column sums, then as
// frobenius's message <W, V H^T> and W^T W (for the final relative error)
// and H's numerators: for each of its cells, w_i v_ij / (w_i . h_j) into
// column j (a (W H)_ij of 0 taken as kEpsilon, as solver mu's H half).
void
RowBlock::kl_sums(double *out)
{
	const int64_t r = p_.opt.rank;
	const int64_t n = p_.x.cols;
	const std::array<double, 3> terms = solver::kl_cell_sums(p_, w_, h_, ws_);
	std::copy(terms.begin(), terms.end(), out);
	Eigen::Map<Eigen::VectorXd>(out + 3, r) = w_.rowwise().sum();
	double *rest = out + 3 + r;
	solver::factor_gram(p_, w_, ws_, ws_.gram_w);
	std::memcpy(rest + 1, ws_.gram_w.data(), static_cast<size_t>(r * r) * sizeof(double));
	Eigen::Map<Matrix> num(rest + 1 + r * r, r, n);
	num.setZero();
	double cross = 0.0;
	for (int64_t i = 0; i < p_.x.rows; i++)
	{
		const double *wi = w_.data() + i * r;
		for (int64_t q = p_.x.row_ptr[i]; q < p_.x.row_ptr[i + 1]; q++)
		{
			const int64_t j = p_.x.col_idx[q];
			double wh = dot(wi, h_.data() + j * r, r);
			cross += p_.x.values[q] * wh;
			if (wh == 0.0)
				wh = kEpsilon;
			const double ratio = p_.x.values[q] / wh;
			double *nj = num.data() + j * r;
			for (int64_t t = 0; t < r; t++)
				nj[t] += ratio * wi[t];
		}
	}
	rest[0] = cross;
}

// missing 'ignore': the block's part of the loss, W's largest weight per
// factor, and H's sums over its cells (those of the solver's masked half,
// summed by rows here and by columns in nmf()); with biases also V - W H
// for the next sweep and its part of mu's sum.
void
RowBlock::masked_sums(int32_t round, double *out)
{
	const int64_t r = p_.opt.rank;
	const int64_t n = p_.x.cols;
	const bool hals = p_.opt.solver == NMF_SOLVER_HALS;
	const int64_t len = answer_length(round);
	const bool h_sums = len == blocks::sums_length(p_.opt, n);
	const int64_t per_col = hals ? triangle(r) : r;
	Eigen::Map<Eigen::VectorXd> w_max(out + 1, r);
	Eigen::Map<Eigen::VectorXd> w_sum(out + 1 + r, r);
	Eigen::Map<Matrix> num(out + 2 + 2 * r, r, h_sums ? n : 0);
	Eigen::Map<Matrix> second(out + 2 + 2 * r + r * n, per_col, h_sums ? n : 0);
	w_max = w_.cols() > 0 ? Eigen::VectorXd(w_.rowwise().maxCoeff()) : Eigen::VectorXd::Zero(r);
	// W's prior; other masked fits pull toward 0 and send zeros
	w_sum.setZero();
	out[1 + 2 * r] =
	    pulls_to_mean(p_.opt)
	        ? sum_lines_with_cells(
	              w_, p_.x.rows, [&](int64_t i) { return p_.x.row_ptr[i + 1] > p_.x.row_ptr[i]; },
	              w_sum)
	        : 0.0;
	num.setZero();
	second.setZero();
	double sse = 0.0, mu_part = 0.0;
	for (int64_t i = 0; i < p_.x.rows; i++)
	{
		const double *wi = w_.data() + i * r;
		for (int64_t q = p_.x.row_ptr[i]; q < p_.x.row_ptr[i + 1]; q++)
		{
			const int64_t j = p_.x.col_idx[q];
			const double x = p_.x.values[q];
			const double wh = dot(wi, h_.data() + j * r, r);
			sse += (x - wh) * (x - wh);
			if (h_sums)
			{
				double *nj = num.data() + j * r;
				double *sj = second.data() + j * per_col;
				for (int64_t t = 0; t < r; t++)
					nj[t] += x * wi[t];
				if (hals)
					for (int64_t c = 0, k = 0; c < r; c++)
						for (int64_t a = c; a < r; a++)
							sj[k++] += wi[a] * wi[c];
				else
					for (int64_t t = 0; t < r; t++)
						sj[t] += wh * wi[t];
			}
			if (biased())
			{
				const auto qs = static_cast<size_t>(q);
				e_[qs] = v_[qs] - wh;
				mu_part += e_[qs] - b_row_[static_cast<size_t>(i)] - b_col_[static_cast<size_t>(j)];
			}
		}
	}
	out[0] = sse;
	if (biased())
		out[len - 1] = mu_part;
}

// nmf()'s bias sweep (BiasFit::sweep) on the block's cells, E = V - W H as
// the last message left it: b_row and the column sums for b_col; then,
// given b_col, the residual and H's sums over it.
void
RowBlock::bias_round(int32_t round, const double *in, double *out)
{
	if (!biased() || (round != NMFC_ROUND_BIAS_ROWS && round != NMFC_ROUND_BIAS_COLS))
		throw InvalidArgument(message("a block of this fit has no bias round ", round));
	const CsrView &x = p_.x;
	if (round == NMFC_ROUND_BIAS_ROWS)
	{
		mu_ = in[0];
		b_row_before_ = b_row_;
		std::fill(out, out + x.cols, 0.0);
		for (int64_t i = 0; i < x.rows; i++)
		{
			double sum = 0.0;
			for (int64_t q = x.row_ptr[i]; q < x.row_ptr[i + 1]; q++)
				sum += e_[static_cast<size_t>(q)] - mu_ - b_col_[static_cast<size_t>(x.col_idx[q])];
			const double den =
			    static_cast<double>(x.row_ptr[i + 1] - x.row_ptr[i]) + p_.opt.l2_bias;
			const double bi = den > 0 ? sum / den : 0.0;
			b_row_[static_cast<size_t>(i)] = bi;
			for (int64_t q = x.row_ptr[i]; q < x.row_ptr[i + 1]; q++)
				out[x.col_idx[q]] += e_[static_cast<size_t>(q)] - mu_ - bi;
		}
		return;
	}
	std::copy(in, in + x.cols, b_col_.begin());
	for (int64_t i = 0; i < x.rows; i++)
	{
		const double base = mu_ + b_row_[static_cast<size_t>(i)];
		for (int64_t q = x.row_ptr[i]; q < x.row_ptr[i + 1]; q++)
			values_[static_cast<size_t>(q)] =
			    v_[static_cast<size_t>(q)] - (base + b_col_[static_cast<size_t>(x.col_idx[q])]);
	}
	masked_sums(NMFC_ROUND_BIAS_COLS, out);
}

void
RowBlock::combine(int32_t round, double *into, const double *message) const noexcept
{
	const int64_t r = p_.opt.rank;
	const int64_t len = answer_length(round);
	const bool maxima = p_.masked() && round != NMFC_ROUND_BIAS_ROWS;
	for (int64_t k = 0; k < len; k++)
		into[k] = maxima && k >= 1 && k <= r ? std::max(into[k], message[k]) : into[k] + message[k];
}

void
RowBlock::start(const double *h, double *out)
{
	take_h(h);
	if (p_.masked())
	{
		w_before_ = w_;
		masked_sums(NMFC_ROUND_STEP, out);
		return;
	}
	if (p_.opt.loss == NMF_LOSS_KL)
	{
		kl_sums(out);
		return;
	}
	solver::factor_gram(p_, w_, ws_, ws_.gram_w);
	sums(0.0, out);
}

void
RowBlock::step(const double *h, double *out)
{
	take_h(h);
	if (p_.masked())
	{
		w_before_ = w_;
		// nmf()'s prior: W's mean row over every block, a line's mean cells over V
		Half s = half_w(p_);
		if (pulls_to_mean(p_.opt))
		{
			s.prior_cells = prior_cells_for(whole_.nonzeros, whole_.rows);
			s.prior = w_prior_.data();
		}
		if (p_.opt.solver == NMF_SOLVER_HALS)
			solver::hals_masked_half(p_, s, h_, w_, ws_);
		else
			solver::mu_masked_half(p_, s, h_, w_, ws_);
		masked_sums(NMFC_ROUND_STEP, out);
		return;
	}
	if (p_.opt.loss == NMF_LOSS_KL)
	{
		solver::kl_half(p_, half_w(p_), h_, w_, ws_);
		kl_sums(out);
		return;
	}
	Half s = half_w(p_);
	// nmf()'s rule counts all of V's rows, not the block's.
	s.inner = inner_updates(p_.opt, whole_.nonzeros, whole_.rows, whole_.cols);
	const double cross = half_of(p_.opt)(p_, s, h_, gram_h_, w_, ws_.gram_w, ws_, nullptr);
	sums(cross, out);
}

BlockFit::BlockFit(const Whole &whole, const Totals &totals, const NmfcOptions &given,
                   const NmfcInterrupts &intr)
    : whole_(whole), nnz_(totals.nnz)
{
	p_.opt = resolved(given, whole);
	p_.intr = intr;
	p_.x.rows = whole.rows;
	p_.x.cols = whole.cols;
	p_.nonzeros = whole.nonzeros;
	p_.x_norm_sq = totals.sum_sq;
	const int64_t r = p_.opt.rank;
	w_.resize(r, whole.rows);
	h_.resize(r, whole.cols);
	gram_h_.resize(r, r);
	gram_w_.resize(r, r);
	products_.resize(r, whole.cols);
	ws_ = Workspace(r, 0, whole.cols, lanes(p_.opt), 0);
	// init 'random' as Fit's: the mean over the counted cells.
	const double counted = masked()
	                           ? static_cast<double>(totals.nnz)
	                           : static_cast<double>(whole.rows) * static_cast<double>(whole.cols);
	init::random(p_.opt.seed, counted > 0 ? totals.sum / counted : 0.0, intr, w_, h_);
	if (masked())
	{
		if (totals.col_counts == nullptr)
			throw InvalidArgument("missing 'ignore' needs the stored cells of each column");
		col_counts_.assign(totals.col_counts, totals.col_counts + whole.cols);
		v_min_ = totals.v_min;
		v_max_ = totals.v_max;
		if (v_max_ > 0)
			weight_bound_ = Fit::kWeightBound * std::max(std::fabs(v_min_), std::fabs(v_max_));
		w_max_.resize(r);
		w_mean_ = Eigen::VectorXd::Zero(r);
		den_.resize(p_.opt.solver == NMF_SOLVER_HALS ? triangle(r) : r, whole.cols);
	}
	if (biased())
	{
		// Fit::start_biases: the biases alone first, from H = 0
		h_.setZero();
		b_col_ = Eigen::VectorXd::Zero(whole.cols);
	}
	// as Fit's: kl's loss takes a pass of its own (here the blocks' messages
	// carry it every iteration; the history keeps nmf()'s cadence)
	loss_every_ = p_.opt.loss_every > 0        ? p_.opt.loss_every
	              : p_.opt.loss == NMF_LOSS_KL ? NMF_LOSS_EVERY_COSTLY
	                                           : 1;
	w_sums_.resize(r);
	p_.opt.loss_every = loss_every_;
	check_every_ = std::lcm(kCheckEvery, loss_every_);
	loss_history_.reserve(static_cast<size_t>(p_.opt.max_iter));
	seconds_history_.reserve(static_cast<size_t>(p_.opt.max_iter));
}

int64_t
BlockFit::memory(const Whole &whole, const NmfcOptions &opt) noexcept
{
	const int64_t r = std::clamp<int64_t>(opt.rank, 1, NMF_MAX_RANK);
	// hals over the stored cells: each column's Gram; biases: b_col and its copy
	const int64_t grams = opt.missing == NMF_MISSING_IGNORE && opt.solver != NMF_SOLVER_MU
	                          ? triangle(r) * whole.cols
	                          : 0;
	const double bytes = static_cast<double>(r) *
	                         static_cast<double>(whole.rows + 5 * whole.cols + 2 * r) *
	                         sizeof(double) +
	                     static_cast<double>(grams + 2 * whole.cols) * sizeof(double) +
	                     2.0 * std::max(opt.max_iter, 0) * sizeof(double) +
	                     static_cast<double>(Workspace::bytes(r, 0, whole.cols, lanes(opt), 0));
	return bytes < 9.0e18 ? static_cast<int64_t>(bytes) : std::numeric_limits<int64_t>::max();
}

void
BlockFit::h_half(const Matrix &products, const Matrix &gram_w)
{
	const Half s = make_half(p_, nullptr, nullptr, nullptr, whole_.cols, whole_.rows, p_.opt.l1_h,
	                         p_.opt.l2_h);
	if (masked())
	{
		// the solver's masked half from the blocks' sums: W^T v_j and, for
		// hals, each column's Gram, for mu the denominators; each column
		// pulled toward H's mean column (toward_mean) as in nmf()
		const int64_t r = p_.opt.rank;
		Eigen::VectorXd prior = Eigen::VectorXd::Zero(r), b(r);
		const double with_cells =
		    s.prior_cells > 0
		        ? sum_lines_with_cells(
		              h_, whole_.cols,
		              [&](int64_t j) { return col_counts_[static_cast<size_t>(j)] > 0; }, prior)
		        : 0.0;
		if (with_cells > 0)
			prior /= with_cells;
		Matrix g(r, r);
		for (int64_t j = 0; j < whole_.cols; j++)
		{
			const double pull = pull_of(s, col_counts_[static_cast<size_t>(j)]);
			b = Eigen::Map<const Eigen::VectorXd>(products.data() + j * r, r) + pull * prior;
			if (p_.opt.solver == NMF_SOLVER_HALS)
			{
				const double *tri = den_.data() + j * triangle(r);
				for (int64_t c = 0, k = 0; c < r; c++)
					for (int64_t a = c; a < r; a++, k++)
						g(a, c) = g(c, a) = tri[k];
				solver::hals_line_solve(g, s.l2 + pull, b.data(), s.l1, h_.data() + j * r);
			}
			else
				solver::multiply_update(h_.data() + j * r, b.data(), den_.data() + j * r, r, s.l1,
				                        s.l2 + pull);
		}
		gram_h_.noalias() = h_ * h_.transpose();
	}
	else if (p_.opt.loss == NMF_LOSS_KL)
	{
		// solver mu's KL half from the blocks' numerators and W's column sums
		const int64_t r = p_.opt.rank;
		for (int64_t j = 0; j < whole_.cols; j++)
			solver::kl_update(h_.data() + j * r, products.data() + j * r, w_sums_.data(), r, s.l1,
			                  s.l2);
		gram_h_.noalias() = h_ * h_.transpose();
	}
	else
		half_of(p_.opt)(p_, s, w_, gram_w, h_, gram_h_, ws_, &products);
}

int64_t
BlockFit::payload_length() const noexcept
{
	const int64_t r = p_.opt.rank;
	switch (round_)
	{
	case NMFC_ROUND_BIAS_ROWS:
		return 1;
	case NMFC_ROUND_BIAS_COLS:
		return whole_.cols;
	default:
		return r * whole_.cols + r * r;
	}
}

// A step takes H and H H^T; the bias rounds mu, then b_col.
void
BlockFit::payload(double *out)
{
	if (round_ == NMFC_ROUND_BIAS_ROWS)
	{
		out[0] = mu_;
		return;
	}
	if (round_ == NMFC_ROUND_BIAS_COLS)
	{
		std::copy(b_col_.data(), b_col_.data() + b_col_.size(), out);
		return;
	}
	std::copy(h_.data(), h_.data() + h_.size(), out);
	// missing 'ignore': W's half needs no H H^T but W's mean row (its prior)
	if (masked())
	{
		std::fill(out + h_.size(), out + h_.size() + gram_h_.size(), 0.0);
		std::copy(w_mean_.data(), w_mean_.data() + w_mean_.size(), out + h_.size());
		return;
	}
	// before the first round no half has formed H H^T yet
	if (!started_)
		gram_h_.noalias() = h_ * h_.transpose();
	std::copy(gram_h_.data(), gram_h_.data() + gram_h_.size(), out + h_.size());
}

double
BlockFit::round_loss(double cross) const
{
	if (p_.opt.loss == NMF_LOSS_KL)
		return solver::kl_from_sums(kl_sums_, w_sums_.dot(h_.rowwise().sum()));
	return frobenius_from_parts(p_.x_norm_sq, cross, gram_w_, gram_h_);
}

void
BlockFit::record()
{
	loss_history_.push_back(loss_);
	seconds_history_.push_back(seconds_);
	recorded_ = iterations_;
}

void
BlockFit::keep()
{
	kept_h_ = h_;
	kept_loss_ = loss_;
	kept_iteration_ = iterations_;
	kept_w_max_ = w_max_;
	kept_mu_ = mu_;
	kept_b_col_ = b_col_;
}

void
BlockFit::guard()
{
	const double product = (w_max_.array() * h_.rowwise().maxCoeff().array()).maxCoeff();
	if (!std::isfinite(loss_) || (weight_bound_ > 0 && !(product <= weight_bound_)))
	{
		stop_ = NMF_STOP_DIVERGED;
		done_ = true;
		return;
	}
	keep();
}

void
BlockFit::add_messages(const double *const *messages, int64_t count, double &cross)
{
	const int64_t r = p_.opt.rank;
	const int64_t n = whole_.cols;
	cross = 0.0;
	gram_w_.setZero();
	products_.setZero();
	if (round_ == NMFC_ROUND_BIAS_ROWS)
	{
		// b_col's numerators, in products_'s first row
		for (int64_t b = 0; b < count; b++)
			products_.row(0) += Eigen::Map<const Eigen::RowVectorXd>(messages[b], n);
		return;
	}
	if (masked())
	{
		const int64_t len = answer_length();
		const bool h_sums = len == sums_length(p_.opt, n);
		den_.setZero();
		w_max_.setZero();
		w_mean_.setZero();
		double with_cells = 0.0;
		mu_part_ = 0.0;
		for (int64_t b = 0; b < count; b++)
		{
			const double *msg = messages[b];
			cross += msg[0];
			w_max_ = w_max_.cwiseMax(Eigen::Map<const Eigen::VectorXd>(msg + 1, r));
			w_mean_ += Eigen::Map<const Eigen::VectorXd>(msg + 1 + r, r);
			with_cells += msg[1 + 2 * r];
			if (h_sums)
			{
				products_ += Eigen::Map<const Matrix>(msg + 2 + 2 * r, r, n);
				den_ += Eigen::Map<const Matrix>(msg + 2 + 2 * r + r * n, den_.rows(), n);
			}
			if (biased())
				mu_part_ += msg[len - 1];
		}
		if (with_cells > 0)
			w_mean_ /= with_cells;
		return;
	}
	const bool kl = p_.opt.loss == NMF_LOSS_KL;
	kl_sums_ = {0.0, 0.0, 0.0};
	w_sums_.setZero();
	for (int64_t b = 0; b < count; b++)
	{
		const double *msg = messages[b];
		if (kl)
		{
			for (int k = 0; k < 3; k++)
				kl_sums_[static_cast<size_t>(k)] += msg[k];
			w_sums_ += Eigen::Map<const Eigen::VectorXd>(msg + 3, r);
			msg += 3 + r; // then as frobenius's: <W, V H^T>, W^T W, the numerators
		}
		cross += msg[0];
		gram_w_ += Eigen::Map<const Matrix>(msg + 1, r, r);
		products_ += Eigen::Map<const Matrix>(msg + 1 + r * r, r, n);
	}
}

// The rounds, as Fit runs them: with biases the start is the blocks' first
// message (mu's sum from V), kBiasStartSweeps sweeps of rows then columns,
// the last giving the initial loss (H = 0); each iteration is then a sweep
// (rows, columns: the residual's H sums), H's half, and a step.
bool
BlockFit::take(const double *const *messages, int64_t count)
{
	double cross = 0.0;
	add_messages(messages, count, cross);
	switch (round_)
	{
	case NMFC_ROUND_BIAS_ROWS:
		for (int64_t j = 0; j < whole_.cols; j++)
		{
			const double den =
			    static_cast<double>(col_counts_[static_cast<size_t>(j)]) + p_.opt.l2_bias;
			b_col_[j] = den > 0 ? products_(0, j) / den : 0.0;
		}
		round_ = NMFC_ROUND_BIAS_COLS;
		return false;
	case NMFC_ROUND_BIAS_COLS:
		if (started_)
		{
			h_half(products_, gram_w_);
			round_ = NMFC_ROUND_STEP;
			return false;
		}
		if (--sweeps_left_ > 0)
		{
			next_mu();
			round_ = NMFC_ROUND_BIAS_ROWS;
			return false;
		}
		start_taken(cross);
		return done_;
	default:
		if (started_)
			return iteration_taken(cross);
		if (biased())
		{
			sweeps_left_ = Fit::kBiasStartSweeps;
			next_mu();
			round_ = NMFC_ROUND_BIAS_ROWS;
			return false;
		}
		start_taken(cross);
		return done_;
	}
}

void
BlockFit::begin_iteration()
{
	since_ = std::chrono::steady_clock::now();
	if (biased())
	{
		next_mu();
		round_ = NMFC_ROUND_BIAS_ROWS;
		return;
	}
	h_half(products_, gram_w_);
	round_ = NMFC_ROUND_STEP;
}

// The initial loss, as Fit's constructor.
void
BlockFit::start_taken(double cross)
{
	const bool kl = p_.opt.loss == NMF_LOSS_KL;
	started_ = true;
	gram_h_.noalias() = h_ * h_.transpose();
	// frobenius: <W, V H^T> is <H, W^T V>; kl's messages carry it; masked: the loss itself
	loss_ = initial_loss_ = check_loss_ =
	    masked() ? cross : round_loss(kl ? cross : (h_.array() * products_.array()).sum());
	frobenius_ = kl ? frobenius_from_parts(p_.x_norm_sq, cross, gram_w_, gram_h_) : loss_;
	if (!std::isfinite(loss_))
		throw InvalidArgument(
		    "the loss of the initial factors is not finite: values are too large");
	if (masked())
		keep();
	done_ = p_.opt.max_iter == 0;
	// The initial W is the blocks' now.
	w_.resize(p_.opt.rank, 0);
	if (!done_)
		begin_iteration();
}

// Fit::step's order: the loss, the guard (masked), the stopping rule; when
// done the last loss recorded and a guarded fit's kept iterate restored.
bool
BlockFit::iteration_taken(double cross)
{
	const bool kl = p_.opt.loss == NMF_LOSS_KL;
	seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - since_).count();
	iterations_++;
	loss_ = masked() ? cross : round_loss(cross);
	frobenius_ = kl ? frobenius_from_parts(p_.x_norm_sq, cross, gram_w_, gram_h_) : loss_;
	if (!std::isfinite(loss_) && !masked())
		throw InvalidArgument("the loss is no longer finite: values are too large");
	if (std::isfinite(loss_) && iterations_ % loss_every_ == 0)
		record();
	if (masked())
		guard();
	if (!done_ && loss_ == 0.0)
		converged_ = done_ = true;
	else if (!done_ && p_.opt.tol > 0 && iterations_ % check_every_ == 0)
	{
		const double before = check_loss_;
		check_loss_ = loss_;
		converged_ = done_ = tol_converged(before, loss_, initial_loss_, p_.opt.tol);
	}
	if (iterations_ >= p_.opt.max_iter ||
	    (p_.opt.max_seconds > 0 && seconds_ >= p_.opt.max_seconds))
		done_ = true;
	if (done_)
	{
		if (recorded_ != iterations_ && std::isfinite(loss_))
			record();
		if (masked())
		{
			h_ = kept_h_;
			loss_ = frobenius_ = kept_loss_;
			mu_ = kept_mu_;
			b_col_ = kept_b_col_;
		}
		return true;
	}
	begin_iteration();
	return false;
}

NmfcSummary
BlockFit::summary() const noexcept
{
	NmfcSummary s{};
	s.iterations = iterations_;
	s.converged = converged_ ? 1 : 0;
	s.loss = loss_;
	s.relative_error = p_.x_norm_sq > 0 ? std::sqrt(frobenius_) / std::sqrt(p_.x_norm_sq) : 0.0;
	s.seconds = seconds_;
	s.x_norm_sq = p_.x_norm_sq;
	s.history_len = static_cast<int64_t>(loss_history_.size());
	s.loss_every = loss_every_;
	s.reg = p_.opt.reg;
	s.best_iteration = masked() ? kept_iteration_ : iterations_;
	s.diverged = stop_ == NMF_STOP_DIVERGED ? 1 : 0;
	s.weight_bound = weight_bound_;
	if (masked() && kept_w_max_.size() > 0)
		s.max_product = (kept_w_max_.array() * h_.rowwise().maxCoeff().array()).maxCoeff();
	s.holdout_rmse = std::numeric_limits<double>::quiet_NaN();
	s.pilot_rmse = std::numeric_limits<double>::quiet_NaN();
	s.baseline_rmse = std::numeric_limits<double>::quiet_NaN();
	return s;
}

int64_t
BlockFit::model_size() const noexcept
{
	return nmf::model_size(whole_.rows, whole_.cols, p_.opt.rank,
	                       static_cast<int64_t>(loss_history_.size()), biased());
}

void
BlockFit::write_model(const double *w, const double *b_row, const int64_t *row_ids,
                      const int64_t *col_ids, void *flat, size_t size) const
{
	check_model_buffer(model_size(), row_ids, col_ids, flat, size);
	if (biased() && b_row == nullptr)
		throw InvalidArgument("a biased model needs b_row");
	NmfModelFlat header = model_header(p_.opt, summary(), whole_.rows, whole_.cols, nnz_);
	header.stop = stop_;
	header.mu = biased() ? mu_ : 0.0;
	if (masked())
	{
		header.v_min = v_min_;
		header.v_max = v_max_;
	}
	NmfModelFlat *model = write_header(flat, header);
	write_factors(Eigen::Map<const Matrix>(w, p_.opt.rank, whole_.rows), h_, row_ids, col_ids,
	              model);
	write_history(loss_history_, seconds_history_, model);
	if (biased())
		write_biases(b_row, b_col_.data(), model);
	validate_model(flat, size, NMFC_INTERNAL);
}

} // namespace nmf::blocks
