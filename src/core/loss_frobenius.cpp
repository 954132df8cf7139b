// SPDX-License-Identifier: PostgreSQL
// The Frobenius loss ||V - W H||^2 on sparse V. Absent cells as zeros, by the
// Gram identity
//   ||V - W H||^2 = ||V||^2 - 2 <W, V H^T> + tr(W^T W . H H^T)
// at O(nnz r + (m + n) r^2), never forming the dense residual (the solvers
// get the same quantity for free from the products of their W update).
// Masked (missing = 'ignore'): the residual at the stored cells, O(nnz r).
// And the dispatch to the loss the options name.
#include "parallel.hpp"
#include "solvers.hpp"

namespace nmf::solver
{

// Blocks of columns of H, then of rows of V and W, on ws.threads lanes; the
// blocks' Grams and cross terms are summed in block order.
double
frobenius_loss(const Problem &p, const Matrix &w, const Matrix &h, Workspace &ws)
{
	const int64_t b = ws.block;
	const CsrView &v = p.x;

	const int64_t h_blocks = (v.cols + b - 1) / b;
	parallel_for(ws.threads, h_blocks, [&](int64_t blk, int) {
		poll_interrupts(p.intr);
		Matrix &g = ws.part_gram[static_cast<size_t>(blk)];
		g.setZero();
		gram_add(g, h.middleCols(blk * b, std::min(b, v.cols - blk * b)));
	});
	reduce_blocks(ws, h_blocks, ws.gram_h);
	gram_mirror(ws.gram_h);

	const int64_t w_blocks = (v.rows + b - 1) / b;
	parallel_for(ws.threads, w_blocks, [&](int64_t blk, int lane) {
		poll_interrupts(p.intr);
		const int64_t i0 = blk * b;
		const int64_t len = std::min(b, v.rows - i0);
		Matrix &num = ws.num_of(lane);
		gather(v.row_ptr, v.col_idx, v.values, i0, i0 + len, h, num);
		const auto wb = w.middleCols(i0, len);
		const size_t i = static_cast<size_t>(blk);
		ws.part_cross[i] = (wb.array() * num.leftCols(len).array()).sum();
		ws.part_gram[i].setZero();
		gram_add(ws.part_gram[i], wb);
	});
	const double cross = reduce_blocks(ws, w_blocks, ws.gram_w);
	gram_mirror(ws.gram_w);

	return frobenius_from_parts(p.x_norm_sq, cross, ws.gram_w, ws.gram_h);
}

// Blocks of rows on ws.threads lanes, their sums added in block order.
double
masked_frobenius_loss(const Problem &p, const Matrix &w, const Matrix &h, Workspace &ws)
{
	const CsrView &v = p.x;
	const int64_t r = w.rows();
	const int64_t lines = ws.block;
	const int64_t blocks = (v.rows + lines - 1) / lines;
	parallel_for(ws.threads, blocks, [&](int64_t blk, int) {
		poll_interrupts(p.intr);
		double part = 0.0;
		const int64_t last = std::min(v.rows, (blk + 1) * lines);
		for (int64_t i = blk * lines; i < last; i++)
		{
			const double *wi = w.data() + i * r;
			for (int64_t q = v.row_ptr[i]; q < v.row_ptr[i + 1]; q++)
			{
				const double e =
				    v.values[q] - dot(wi, h.data() + static_cast<int64_t>(v.col_idx[q]) * r, r);
				part += e * e;
			}
		}
		ws.part_cross[static_cast<size_t>(blk)] = part;
	});
	double loss = 0.0;
	for (int64_t k = 0; k < blocks; k++)
		loss += ws.part_cross[static_cast<size_t>(k)];
	return loss;
}

double
loss(const Problem &p, const Matrix &w, const Matrix &h, Workspace &ws)
{
	if (p.opt.loss == NMF_LOSS_KL)
		return kl_loss(p, w, h, ws);
	if (p.masked())
		return masked_frobenius_loss(p, w, h, ws);
	return frobenius_loss(p, w, h, ws);
}

} // namespace nmf::solver
