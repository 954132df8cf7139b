// SPDX-License-Identifier: PostgreSQL
// The Frobenius loss ||V - W H||^2 on sparse V. Absent cells as zeros, by the
// Gram identity
//   ||V - W H||^2 = ||V||^2 - 2 <W, V H^T> + tr(W^T W . H H^T)
// at O(nnz r + (m + n) r^2), never forming the dense residual (the solvers
// get the same quantity for free from the products of their W update).
// Masked (missing = 'ignore'): the residual at the stored cells, O(nnz r).
// And the dispatch to the loss the options name.
#include "solver_blocks.hpp"

namespace nmf::solver
{

// Blocks of columns of H, then of rows of V and W, on ws.threads lanes; the
// blocks' Grams and cross terms are summed in block order.
double
frobenius_loss(const Problem &p, const Matrix &w, const Matrix &h, Workspace &ws)
{
	const int64_t h_blocks =
	    for_line_blocks(p, ws, p.x.cols, [&](int64_t blk, int64_t first, int64_t last, int) {
		    Matrix &g = ws.part_gram[static_cast<size_t>(blk)];
		    g.setZero();
		    gram_add(g, h.middleCols(first, last - first));
	    });
	reduce_blocks(ws, h_blocks, ws.gram_h);
	gram_mirror(ws.gram_h);

	const double cross = cross_and_gram(p, half_w(p), h, w, ws.gram_w, ws, nullptr,
	                                    [](const auto &, auto &, int) {});

	return frobenius_from_parts(p.x_norm_sq, cross, ws.gram_w, ws.gram_h);
}

// Blocks of rows on ws.threads lanes, their sums added in block order.
double
masked_frobenius_loss(const Problem &p, const Matrix &w, const Matrix &h, Workspace &ws)
{
	const CsrView &v = p.x;
	const int64_t r = w.rows();
	const int64_t blocks =
	    for_line_blocks(p, ws, v.rows, [&](int64_t blk, int64_t first, int64_t last, int) {
		    double part = 0.0;
		    for (int64_t i = first; i < last; i++)
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
