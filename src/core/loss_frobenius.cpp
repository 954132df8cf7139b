// SPDX-License-Identifier: PostgreSQL
// The Frobenius loss ||V - W H||^2 on sparse V, by the Gram identity
//   ||V - W H||^2 = ||V||^2 - 2 <W, V H^T> + tr(W^T W . H H^T)
// at O(nnz r + (m + n) r^2), never forming the dense residual. The solvers
// get the same quantity for free from the products of their W update.
#include "solvers.hpp"

namespace nmf::solver
{

double
frobenius_loss(const CsrView &v, const Matrix &w, const Matrix &h, double x_norm_sq, Workspace &ws,
               const NmfcInterrupts &intr)
{
	const int64_t b = ws.block;

	ws.gram_h.setZero();
	for (int64_t j0 = 0; j0 < v.cols; j0 += b)
	{
		poll_interrupts(intr);
		gram_add(ws.gram_h, h.middleCols(j0, std::min(b, v.cols - j0)));
	}
	gram_mirror(ws.gram_h);

	ws.gram_w.setZero();
	double cross = 0.0;
	for (int64_t i0 = 0; i0 < v.rows; i0 += b)
	{
		poll_interrupts(intr);
		const int64_t len = std::min(b, v.rows - i0);
		gather(v.row_ptr, v.col_idx, v.values, i0, i0 + len, h, ws.num);
		const auto wb = w.middleCols(i0, len);
		cross += (wb.array() * ws.num.leftCols(len).array()).sum();
		gram_add(ws.gram_w, wb);
	}
	gram_mirror(ws.gram_w);

	return frobenius_from_parts(x_norm_sq, cross, ws.gram_w, ws.gram_h);
}

} // namespace nmf::solver
