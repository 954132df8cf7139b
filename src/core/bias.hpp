// SPDX-License-Identifier: PostgreSQL
// The biases of a fit with bias = 1: the model is
//   mu + b_row[i] + b_col[j] + (W H)_ij,   W, H >= 0, biases unconstrained,
// fitted over the stored cells only, with the objective
//   1/2 sum (V - mu - b_row - b_col - W H)^2 + l2_bias / 2 (||b_row||^2 + ||b_col||^2)
// (plus the factors' own penalties). Each iteration first takes the exact
// minimiser over mu, then over b_row, then over b_col (W, H fixed), then lets
// the solver update W and H on the residual R = V - mu - b_row - b_col of
// the stored cells: each step is an exact block minimisation or a solver
// half that never increases the objective, so neither does the iteration.
#ifndef NMF_BIAS_HPP
#define NMF_BIAS_HPP

#include <cstdint>
#include <vector>

#include "kernels.hpp"
#include "sparse.hpp"

namespace nmf
{

class BiasFit
{
  public:
	BiasFit() = default;

	// Keeps V's values by rows (x.values, the caller's) and by columns (a
	// copy of xt's), and starts with zero biases: the residual is V.
	BiasFit(const CsrView &x, const CscMatrix &xt, double l2_bias);

	// Bytes a biased fit adds to an unbiased one.
	static int64_t memory(int64_t rows, int64_t cols, int64_t nnz) noexcept;

	// The residual of the stored cells by rows: what the solver sees as V.
	const double *
	residual_rows() const noexcept
	{
		return resid_.data();
	}

	// One block sweep over mu, b_row, b_col for the current W and H, then the
	// residual by rows and, in place, by columns (xt.values) for the solver.
	void update(const CsrView &x, CscMatrix &xt, const Matrix &w, const Matrix &h,
	            const NmfcInterrupts &intr);

	// The fit's start: `sweeps` block sweeps with W H = 0 (the biases alone,
	// the baseline), leaving the residual for the factors' first half.
	void start(const CsrView &x, CscMatrix &xt, int sweeps, const NmfcInterrupts &intr);

	// Biases of a kept iterate; the residual is stale until the next update.
	void
	restore(double mu, const std::vector<double> &b_row, const std::vector<double> &b_col)
	{
		mu_ = mu;
		b_row_ = b_row;
		b_col_ = b_col;
	}

	double
	mu() const noexcept
	{
		return mu_;
	}
	const std::vector<double> &
	rows() const noexcept
	{
		return b_row_;
	}
	const std::vector<double> &
	cols() const noexcept
	{
		return b_col_;
	}

  private:
	// update() with W H = 0 when w is null.
	void sweep(const CsrView &x, CscMatrix &xt, const Matrix *w, const Matrix *h,
	           const NmfcInterrupts &intr);

	double l2_ = 0.0;
	double mu_ = 0.0;
	const double *values_ = nullptr; // V by rows (the caller's)
	std::vector<double> values_t_;   // V by columns
	std::vector<double> resid_;      // by rows; holds V - W H during an update
	std::vector<double> b_row_, b_col_;
	std::vector<double> col_sum_; // scratch, cols
};

} // namespace nmf

#endif
