// SPDX-License-Identifier: PostgreSQL
// solver = 'mu', loss = 'frobenius': Lee & Seung's multiplicative updates
// (Algorithms for Non-negative Matrix Factorization, NIPS 2000), minimising
// ||V - W H||^2 subject to W, H >= 0. One iteration, H first as in the paper:
//
//   H <- H o (W^T V) / (W^T W H)
//   W <- W o (V H^T) / (W H H^T)        with the new H
//
// (o and / elementwise). Each is gradient descent with the per-element step
// H / (W^T W H), which is why it stays non-negative and never increases the
// loss. Regularisation enters the denominators as scikit-learn 1.2 does:
// + l1 + l2 * (the factor), i.e. the objective is
// 1/2 ||V - W H||^2 + l1_w sum(W) + l2_w / 2 ||W||^2 + (the same for H).
// A denominator that is exactly 0 becomes kEpsilon, again as scikit-learn,
// only to avoid dividing by zero.
//
// Absent cells as zeros: O(nnz r + (m + n) r^2) per iteration. W^T V over
// V's columns (CSC) and V H^T over its rows (CSR) add contiguous r-vectors;
// the r x r Grams and their products with a block of the factor by Eigen; the
// loss after the iteration comes from the same products, at no extra pass.
//
// missing = 'ignore' (only stored cells count, M the mask): the products
// become W^T (M o V) and W^T (M o W H), line by line over the stored cells,
// O(nnz r) per iteration, plus one pass for the masked loss.
#include "solver_blocks.hpp"

namespace nmf::solver
{

void
multiply_update(double *f, const double *num, const double *den, int64_t n, double l1, double l2)
{
	simd::active().multiply_update(f, num, den, n, l1, l2, kEpsilon);
}

// The masked half: line k's numerator sum v o_i and denominator
// sum (o_i . f_k) o_i over its stored cells. Lines are independent: blocks of
// them run on ws.threads lanes.
void
mu_masked_half(const Problem &p, const Half &s, const Matrix &other, Matrix &f, Workspace &ws)
{
	const int64_t r = f.rows();
	masked_sums(
	    p, s, other, f, ws, [](double v, double wh) { return std::make_pair(v, wh); },
	    [&](int64_t k, double *fk, const double *num, const double *den) {
		multiply_update(fk, num, den, r, s.l1, line_l2(s, k));
	    });
}

double
mu_half(const Problem &p, const Half &s, const Matrix &other, const Matrix &gram_other, Matrix &f,
        Matrix &gram_f, Workspace &ws, const Matrix *products)
{
	return cross_and_gram(p, s, other, f, gram_f, ws, products,
	                      [&](const auto &num, auto &fb, int lane) {
		Matrix &den = ws.den_of(lane);
		repeat_update(s, fb, ws.prev_of(lane), [&] {
			den.leftCols(fb.cols()).noalias() = gram_other * fb;
			simd::active().multiply_update(fb.data(), num.data(), den.data(), fb.rows() * fb.cols(),
			                               s.l1, s.l2, kEpsilon);
		});
	});
}

const Matrix *
products_by_rows(const Problem &p, const Matrix &w, Workspace &ws)
{
	if (ws.products.cols() != p.x.cols || !scatter_wins(w) || p.x.row_ptr == nullptr)
		return nullptr;
	scatter_products(p, w, ws);
	return &ws.products;
}

// scatter_rows for the ranks it specialises, else the same sums by Eigen.
void
scatter_products(const Problem &p, const Matrix &w, Workspace &ws)
{
	const int64_t n = p.x.cols;
	const int64_t lanes = std::max<int64_t>(std::min<int64_t>(ws.threads, n), 1);
	parallel_for(ws.threads, lanes, [&](int64_t k, int) {
		poll_interrupts(p.intr);
		const auto c0 = static_cast<int32_t>(n * k / lanes);
		const auto c1 = static_cast<int32_t>(n * (k + 1) / lanes);
		if (scatter_rows(p.x, w, c0, c1, ws.products))
			return;
		ws.products.middleCols(c0, c1 - c0).setZero();
		for (int64_t i = 0; i < p.x.rows; i++)
			for (int64_t q = p.x.row_ptr[i]; q < p.x.row_ptr[i + 1]; q++)
				if (p.x.col_idx[q] >= c0 && p.x.col_idx[q] < c1)
					ws.products.col(p.x.col_idx[q]) += p.x.values[q] * w.col(i);
	});
}

double
mu_iteration(const Problem &p, Matrix &w, Matrix &h, Workspace &ws)
{
	return frobenius_iteration(p, w, h, ws, mu_masked_half, mu_half);
}

} // namespace nmf::solver
