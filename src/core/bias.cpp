// SPDX-License-Identifier: PostgreSQL
// The bias step of a fit with bias = 1 (see bias.hpp). With E = V - W H on
// the stored cells, n_i and n_j the stored cells of row i and column j:
//
//   mu       <- sum (E - b_row - b_col) / nnz
//   b_row[i] <- sum over row i    of (E - mu - b_col) / (n_i + l2_bias)
//   b_col[j] <- sum over column j of (E - mu - b_row) / (n_j + l2_bias)
//
// each the exact minimiser of the objective in its block, mu unpenalised.
// Costs O(nnz r) for W H on the stored cells and O(nnz) for the rest, on one
// thread in a fixed order, so the result does not depend on nmf.threads.
#include "bias.hpp"

#include <cmath>

namespace nmf
{

BiasFit::BiasFit(const CsrView &x, const CscMatrix &xt, double l2_bias)
    : l2_(l2_bias), values_(x.values), values_t_(xt.values), resid_(x.values, x.values + x.nnz),
      b_row_(static_cast<size_t>(x.rows), 0.0), b_col_(static_cast<size_t>(x.cols), 0.0),
      col_sum_(static_cast<size_t>(x.cols), 0.0)
{
}

int64_t
BiasFit::memory(int64_t rows, int64_t cols, int64_t nnz) noexcept
{
	return (2 * nnz + rows + 2 * cols) * static_cast<int64_t>(sizeof(double));
}

void
BiasFit::update(const CsrView &x, CscMatrix &xt, const Matrix &w, const Matrix &h,
                const NmfcInterrupts &intr)
{
	sweep(x, xt, &w, &h, intr);
}

void
BiasFit::start(const CsrView &x, CscMatrix &xt, int sweeps, const NmfcInterrupts &intr)
{
	for (int s = 0; s < sweeps; s++)
		sweep(x, xt, nullptr, nullptr, intr);
}

void
BiasFit::sweep(const CsrView &x, CscMatrix &xt, const Matrix *w, const Matrix *h,
               const NmfcInterrupts &intr)
{
	const int64_t r = w != nullptr ? w->rows() : 0;
	int64_t since_poll = 0;
	auto poll = [&](int64_t work) {
		since_poll += work;
		if (since_poll >= kPollElements)
		{
			poll_interrupts(intr);
			since_poll = 0;
		}
	};

	// E = V - W H on the stored cells, and mu.
	double sum = 0.0;
	for (int64_t i = 0; i < x.rows; i++)
	{
		const double *wi = w != nullptr ? w->data() + i * r : nullptr;
		const double bi = b_row_[static_cast<size_t>(i)];
		for (int64_t q = x.row_ptr[i]; q < x.row_ptr[i + 1]; q++)
		{
			const int32_t j = x.col_idx[q];
			const double *hj = h != nullptr ? h->data() + static_cast<int64_t>(j) * r : nullptr;
			double wh = 0.0;
			for (int64_t t = 0; t < r; t++)
				wh += wi[t] * hj[t];
			resid_[static_cast<size_t>(q)] = values_[q] - wh;
			sum += resid_[static_cast<size_t>(q)] - bi - b_col_[static_cast<size_t>(j)];
		}
		poll((x.row_ptr[i + 1] - x.row_ptr[i] + 1) * r);
	}
	mu_ = x.nnz > 0 ? sum / static_cast<double>(x.nnz) : 0.0;

	// Rows, then columns (their sums gathered from the rows in one pass).
	for (int64_t i = 0; i < x.rows; i++)
	{
		double s = 0.0;
		for (int64_t q = x.row_ptr[i]; q < x.row_ptr[i + 1]; q++)
			s += resid_[static_cast<size_t>(q)] - mu_ - b_col_[static_cast<size_t>(x.col_idx[q])];
		const double den = static_cast<double>(x.row_ptr[i + 1] - x.row_ptr[i]) + l2_;
		b_row_[static_cast<size_t>(i)] = den > 0 ? s / den : 0.0;
	}
	std::fill(col_sum_.begin(), col_sum_.end(), 0.0);
	for (int64_t i = 0; i < x.rows; i++)
	{
		const double bi = b_row_[static_cast<size_t>(i)];
		for (int64_t q = x.row_ptr[i]; q < x.row_ptr[i + 1]; q++)
			col_sum_[static_cast<size_t>(x.col_idx[q])] +=
			    resid_[static_cast<size_t>(q)] - mu_ - bi;
	}
	for (int64_t j = 0; j < x.cols; j++)
	{
		const double den = static_cast<double>(xt.col_ptr[static_cast<size_t>(j) + 1] -
		                                       xt.col_ptr[static_cast<size_t>(j)]) +
		                   l2_;
		b_col_[static_cast<size_t>(j)] = den > 0 ? col_sum_[static_cast<size_t>(j)] / den : 0.0;
	}
	poll(3 * x.nnz);

	// The residual R = V - mu - b_row - b_col, by rows and by columns.
	for (int64_t i = 0; i < x.rows; i++)
	{
		const double base = mu_ + b_row_[static_cast<size_t>(i)];
		for (int64_t q = x.row_ptr[i]; q < x.row_ptr[i + 1]; q++)
			resid_[static_cast<size_t>(q)] =
			    values_[q] - (base + b_col_[static_cast<size_t>(x.col_idx[q])]);
	}
	for (int64_t j = 0; j < x.cols; j++)
	{
		const double bj = b_col_[static_cast<size_t>(j)];
		for (int64_t p = xt.col_ptr[static_cast<size_t>(j)];
		     p < xt.col_ptr[static_cast<size_t>(j) + 1]; p++)
		{
			const size_t ps = static_cast<size_t>(p);
			xt.values[ps] =
			    values_t_[ps] - (mu_ + b_row_[static_cast<size_t>(xt.row_idx[ps])] + bj);
		}
	}
	poll(2 * x.nnz);
}

} // namespace nmf
