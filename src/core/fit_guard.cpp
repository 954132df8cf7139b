// SPDX-License-Identifier: PostgreSQL
// What keeps a masked fit from returning garbage: the ridge chosen from the
// data by pilot fits, the cells held out for early stopping, and the weight
// bound, with the iterate a guarded fit returns.
#include <algorithm>
#include <cmath>
#include <limits>

#include "apply.hpp"
#include "fit.hpp"

namespace nmf
{

bool
Fit::reg_from_data(const NmfcOptions &opt) noexcept
{
	const bool penalised = opt.l1_w > 0 || opt.l1_h > 0 || opt.l2_w > 0 || opt.l2_h > 0;
	return opt.reg == NMF_REG_AUTO && opt.missing == NMF_MISSING_IGNORE && !penalised &&
	       opt.holdout == 0 && opt.max_iter > 0;
}

bool
Fit::compares_baseline(const NmfcOptions &opt) noexcept
{
	return reg_from_data(opt) && !opt.bias && opt.loss == NMF_LOSS_FROBENIUS;
}

// The best ridge differs between rating sets by more than any one default
// can cover (MovieLens 100k wants ~0.1, InstEval ~0.2-0.4: bench/accuracy),
// so a masked fit left to its defaults measures it: pilot fits down the
// ridge path, each on 90 % of the cells and stopped early on the other 10 %,
// until the held-out error has risen twice in a row (once can be noise: on
// weak data a plain fit, pulled toward the mean line, would stop on a
// plateau of average predictions and keep no factor of its own). The fit then takes the best ridge,
// and the best pilot's iteration count scaled to every cell (early stopping carried over: on weak
// interactions it beats a fit run to convergence).
void
Fit::choose_reg(const CsrView &x, const NmfcOptions &opt)
{
	NmfcOptions pilot = opt;
	pilot.holdout = kPilotHoldout;
	double best = std::numeric_limits<double>::infinity();
	double best_reg = kPilotRegs[0];
	int32_t best_iterations = opt.max_iter;
	int rises = 0;
	for (double reg : kPilotRegs)
	{
		pilot.reg = reg;
		Fit f(x, pilot, p_.intr);
		while (!f.step())
		{
		}
		const NmfcSummary s = f.summary();
		pilot_.push_back(s.holdout_rmse);
		if (!(s.holdout_rmse < best))
		{
			if (++rises >= 2)
				break;
			continue;
		}
		rises = 0;
		best = s.holdout_rmse;
		best_reg = reg;
		best_iterations = s.best_iteration;
	}
	p_.opt.reg = best_reg;
	pilot_rmse_ = best;
	if (compares_baseline(opt))
		baseline_rmse_ = baseline_rmse(x, pilot);
	if (best_iterations < opt.max_iter)
		iteration_cap_ = std::max<int32_t>(
		    1, static_cast<int32_t>(std::lround(best_iterations / (1.0 - kPilotHoldout))));
}

// The baseline mu + b_row + b_col on the pilots' held-out cells: a biased fit
// of no iterations predicts it (its H starts at 0). A plain fit worse than
// it is worth a warning (rows or columns with a few cells are predicted from
// them alone, shrunk toward 0 rather than toward an average).
double
Fit::baseline_rmse(const CsrView &x, const NmfcOptions &pilot)
{
	NmfcOptions base = pilot;
	base.bias = 1;
	base.solver = NMF_SOLVER_HALS;
	base.init = NMF_INIT_RANDOM; // no SVD for factors that are not used
	base.w_init = base.h_init = nullptr;
	base.warm_start = nullptr;
	base.max_iter = 0;
	const Fit f(x, base, p_.intr);
	return f.summary().holdout_rmse;
}

void
Fit::hold_out(const CsrView &x)
{
	const double p = p_.opt.holdout;
	train_ptr_.assign(static_cast<size_t>(x.rows) + 1, 0);
	train_idx_.reserve(static_cast<size_t>(x.nnz));
	train_val_.reserve(static_cast<size_t>(x.nnz));
	for (int64_t i = 0; i < x.rows; i++)
	{
		const int64_t row_id = x.row_ids != nullptr ? x.row_ids[i] : i;
		for (int64_t q = x.row_ptr[i]; q < x.row_ptr[i + 1]; q++)
		{
			const int32_t j = x.col_idx[q];
			const int64_t col_id = x.col_ids != nullptr ? x.col_ids[j] : j;
			if (apply::cell_uniform(row_id, col_id, p_.opt.seed) < p)
				held_.push_back(HeldCell{i, j, x.values[q]});
			else
			{
				train_idx_.push_back(j);
				train_val_.push_back(x.values[q]);
			}
		}
		train_ptr_[static_cast<size_t>(i) + 1] = static_cast<int64_t>(train_idx_.size());
	}
	p_.x.row_ptr = train_ptr_.data();
	p_.x.col_idx = train_idx_.data();
	p_.x.values = train_val_.data();
	p_.x.nnz = static_cast<int64_t>(train_idx_.size());
}

double
Fit::holdout_rmse() const
{
	double sse = 0.0;
	for (const HeldCell &c : held_)
	{
		const double e = c.v - predict(c.i, c.j);
		sse += e * e;
	}
	return held_.empty() ? 0.0 : std::sqrt(sse / static_cast<double>(held_.size()));
}

double
Fit::predict(int64_t i, int32_t j) const noexcept
{
	double pred = w_.col(i).dot(h_.col(j));
	if (p_.opt.bias)
		pred += bias_.mu() + bias_.rows()[static_cast<size_t>(i)] +
		        bias_.cols()[static_cast<size_t>(j)];
	if (p_.masked() && v_min_ < v_max_)
		pred = std::clamp(pred, v_min_, v_max_);
	return pred;
}

void
Fit::factors(std::vector<double> *w, std::vector<double> *h) const
{
	// w_ is r x m column-major: its memory is W row-major already.
	w->assign(w_.data(), w_.data() + w_.size());
	const Matrix ht = h_.transpose();
	h->assign(ht.data(), ht.data() + ht.size());
}

double
Fit::max_product() const
{
	if (w_.cols() == 0 || h_.cols() == 0)
		return 0.0;
	return (w_.rowwise().maxCoeff().array() * h_.rowwise().maxCoeff().array()).maxCoeff();
}

void
Fit::keep()
{
	kept_.w = w_;
	kept_.h = h_;
	kept_.loss = loss_;
	kept_.iteration = iterations_;
	if (p_.opt.bias)
	{
		kept_.mu = bias_.mu();
		kept_.b_row = bias_.rows();
		kept_.b_col = bias_.cols();
	}
}

void
Fit::restore_kept()
{
	w_ = kept_.w;
	h_ = kept_.h;
	loss_ = kept_.loss;
	if (p_.opt.bias)
		bias_.restore(kept_.mu, kept_.b_row, kept_.b_col);
}

// After each iteration of a guarded fit: stop on weights past the bound (or
// a loss no longer finite), or on held-out error that stopped falling;
// otherwise the iterate becomes the one to return.
void
Fit::guard(double loss)
{
	if (!std::isfinite(loss) || (weight_bound_ > 0 && !(max_product() <= weight_bound_)))
	{
		stop_ = NMF_STOP_DIVERGED;
		done_ = true;
		return;
	}
	if (held_.empty())
	{
		keep();
		return;
	}
	holdout_rmse_ = holdout_rmse();
	if (holdout_rmse_ < best_rmse_)
	{
		best_rmse_ = holdout_rmse_;
		since_best_ = 0;
		keep();
	}
	else if (++since_best_ >= p_.opt.patience)
	{
		stop_ = NMF_STOP_EARLY;
		done_ = true;
	}
}

} // namespace nmf
