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

void
factor_gram(const Problem &p, const Matrix &f, Workspace &ws, Matrix &gram)
{
	const int64_t blocks =
	    for_line_blocks(p, ws, f.cols(), [&](int64_t blk, int64_t first, int64_t last, int) {
		    Matrix &g = ws.part_gram[static_cast<size_t>(blk)];
		    g.setZero();
		    gram_add(g, f.middleCols(first, last - first));
	    });
	reduce_blocks(ws, blocks, gram);
	gram_mirror(gram);
}

// Blocks of columns of H, then of rows of V and W, on ws.threads lanes; the
// blocks' Grams and cross terms are summed in block order.
double
frobenius_loss(const Problem &p, const Matrix &w, const Matrix &h, Workspace &ws)
{
	factor_gram(p, h, ws, ws.gram_h);

	const double cross = cross_and_gram(p, half_w(p), h, w, ws.gram_w, ws, nullptr,
	                                    [](const auto &, auto &, int) {});

	return frobenius_from_parts(p.x_norm_sq, cross, ws.gram_w, ws.gram_h);
}

// Blocks of rows on ws.threads lanes, their sums added in block order.
double
masked_frobenius_loss(const Problem &p, const Matrix &w, const Matrix &h, Workspace &ws)
{
	return sum_over_cells<1>(p, w, h, ws, [](std::array<double, 1> &part, double x, double wh) {
		const double e = x - wh;
		part[0] += e * e;
	})[0];
}

double
frobenius_iteration(const Problem &p, Matrix &w, Matrix &h, Workspace &ws, MaskedHalf masked_half,
                    GramHalf half)
{
	if (p.masked())
	{
		masked_half(p, half_h(p), w, h, ws);
		masked_half(p, half_w(p), h, w, ws);
		return masked_frobenius_loss(p, w, h, ws);
	}
	// ws.gram_w is W^T W on entry; the H half leaves H H^T for the W half,
	// whose cross term <W, V H^T> gives the loss.
	half(p, half_h(p), w, ws.gram_w, h, ws.gram_h, ws, products_by_rows(p, w, ws));
	const double cross = half(p, half_w(p), h, ws.gram_h, w, ws.gram_w, ws, nullptr);
	return frobenius_from_parts(p.x_norm_sq, cross, ws.gram_w, ws.gram_h);
}

// Every cell counts (W H)^2 at confidence 1 and preference 0: the Gram
// identity gives that sum, tr(W W^T . H H^T); a stored cell (v > 0) then
// trades its term for c (1 - wh)^2. The penalties are those the halves
// minimise (times 2, as the sum of squares is not halved here).
double
implicit_loss(const Problem &p, const Matrix &w, const Matrix &h, Workspace &ws)
{
	factor_gram(p, w, ws, ws.gram_w);
	factor_gram(p, h, ws, ws.gram_h);
	const double alpha = p.opt.alpha;
	const double stored =
	    sum_over_cells<1>(p, w, h, ws, [alpha](std::array<double, 1> &part, double x, double wh) {
		    if (x > 0)
		    {
			    const double e = 1.0 - wh;
			    part[0] += (1.0 + alpha * x) * e * e - wh * wh;
		    }
	    })[0];
	const double everywhere = (ws.gram_w.array() * ws.gram_h.array()).sum();
	const Half hw = half_w(p);
	const Half hh = half_h(p);
	const double penalty = hw.l2 * ws.gram_w.trace() + hh.l2 * ws.gram_h.trace() +
	                       2.0 * (hw.l1 * w.sum() + hh.l1 * h.sum());
	const double loss = everywhere + stored + penalty;
	return loss > 0 ? loss : 0.0;
}

double
loss(const Problem &p, const Matrix &w, const Matrix &h, Workspace &ws)
{
	if (p.implicit())
		return implicit_loss(p, w, h, ws);
	if (kl_like(p.opt))
		return kl_loss(p, w, h, ws);
	if (!frobenius_like(p.opt))
		return beta_loss(p, w, h, ws);
	const double loss =
	    p.masked() ? masked_frobenius_loss(p, w, h, ws) : frobenius_loss(p, w, h, ws);
	return p.opt.loss == NMF_LOSS_BETA ? loss / 2 : loss;
}

} // namespace nmf::solver
