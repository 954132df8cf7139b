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
// + l1 + l2 * (the factor). A denominator that is exactly 0 becomes EPSILON,
// again as scikit-learn, only to avoid dividing by zero.
//
// Cost per iteration O(nnz r + (m + n) r^2): W^T V over V's columns (CSC)
// and V H^T over its rows (CSR), both adding contiguous r-vectors; the r x r
// Grams W^T W and H H^T and their products with a block of the factor by Eigen.
// The loss after the iteration comes from the same products, at no extra pass.
#include "solvers.hpp"

namespace nmf::solver
{

namespace
{

// float32 machine epsilon, scikit-learn's EPSILON in _nmf.py.
constexpr double kEpsilon = 0x1.0p-23;

void
multiply_update(double *f, const double *num, const double *den, int64_t n, double l1, double l2)
{
	for (int64_t k = 0; k < n; k++)
	{
		double d = den[k] + l1 + l2 * f[k];
		if (d == 0.0)
			d = kEpsilon;
		f[k] *= num[k] / d;
	}
}

} // namespace

double
mu_frobenius_iteration(const CsrView &v, const CscMatrix &vt, const NmfcOptions &opt,
                       double x_norm_sq, Matrix &w, Matrix &h, Workspace &ws,
                       const NmfcInterrupts &intr)
{
	const int64_t r = w.rows();
	const int64_t b = ws.block;

	// H <- H o (W^T V) / (W^T W H), a block of H's columns at a time; the
	// Gram of the new H builds up as the blocks are done.
	ws.gram_h.setZero();
	for (int64_t j0 = 0; j0 < v.cols; j0 += b)
	{
		poll_interrupts(intr);
		const int64_t len = std::min(b, v.cols - j0);
		gather(vt.col_ptr.data(), vt.row_idx.data(), vt.values.data(), j0, j0 + len, w, ws.num);
		auto hb = h.middleCols(j0, len);
		ws.den.leftCols(len).noalias() = ws.gram_w * hb;
		multiply_update(hb.data(), ws.num.data(), ws.den.data(), r * len, opt.l1_h, opt.l2_h);
		gram_add(ws.gram_h, hb);
	}
	gram_mirror(ws.gram_h);

	// W <- W o (V H^T) / (W H H^T), a block of W's rows at a time; the cross
	// term <W, V H^T> of the loss uses the numerator just computed.
	ws.gram_w.setZero();
	double cross = 0.0;
	for (int64_t i0 = 0; i0 < v.rows; i0 += b)
	{
		poll_interrupts(intr);
		const int64_t len = std::min(b, v.rows - i0);
		gather(v.row_ptr, v.col_idx, v.values, i0, i0 + len, h, ws.num);
		auto wb = w.middleCols(i0, len);
		ws.den.leftCols(len).noalias() = ws.gram_h * wb;
		multiply_update(wb.data(), ws.num.data(), ws.den.data(), r * len, opt.l1_w, opt.l2_w);
		cross += (wb.array() * ws.num.leftCols(len).array()).sum();
		gram_add(ws.gram_w, wb);
	}
	gram_mirror(ws.gram_w);

	return frobenius_from_parts(x_norm_sq, cross, ws.gram_w, ws.gram_h);
}

} // namespace nmf::solver
