// SPDX-License-Identifier: PostgreSQL
// solver = 'hals': coordinate descent on the Frobenius loss (Cichocki & Phan,
// Fast local algorithms for large scale nonnegative matrix and tensor
// factorizations, 2009; scikit-learn's solver='cd'). The objective is
// 1/2 ||V - W H||^2 + l1_w sum(W) + l2_w / 2 ||W||^2 + (the same for H).
//
// Half for H (W fixed), with G = W^T W + l2 I and B = W^T V - l1: each column
// h of H is a non-negative least-squares problem min 1/2 h^T G h - b^T h, and
// one sweep over its coordinates t = 1..r takes the exact minimiser of each:
//
//   h_t <- max(0, h_t - ((G h)_t - b_t) / G_tt)
//
// The loss never increases (each step is an exact minimisation). Absent cells
// as zeros: B comes from the CSC gather, G from the r x r Gram, so a half
// costs O(nnz r + n r^2), and the loss comes from the same products, as mu's.
// The columns' sweeps are independent problems sharing G: they run several
// columns side by side (simd.hpp's cd_sweep_columns), each column adding its
// gradient in the same order as alone, so a sweep's dependency chains overlap.
//
// missing = 'ignore': only the stored cells of a column count, so each column
// has its own Gram G_j = sum over its stored rows i of w_i w_i^T
// (+ (l2 + reg n_j) I, n_j its stored cells) and
// b_j = sum v_ij w_i - l1: O(nnz r^2) per iteration to form them. Since that
// dominates, the coordinate sweeps are repeated (up to kMaskedSweeps, stopping
// once a sweep moves the line by under kSweepSettled of the first sweep's
// move) to solve each small problem well.
#include <cmath>

#include "solver_blocks.hpp"

namespace nmf::solver
{

namespace
{

// Sweeps per line of a masked half at most: forming G_j costs O(nnz_j r^2),
// a sweep O(r^2), so a few more sweeps are nearly free.
constexpr int kMaskedSweeps = 8;
// A line of a few cells (most columns of a rating set) costs about a sweep to
// form, so sweeping until nothing moves at all would cost several times its
// forming; a sweep that moves it by under this share of the first one's move
// ends it, with the same test RMSEs to 4 digits (docs/performance.md,
// "Masked sweeps").
constexpr double kSweepSettled = 1e-2;

// One coordinate sweep of min 1/2 f^T G f - (b - l1)^T f, f >= 0, in the
// order scikit-learn's _update_cdnmf_fast sums (gradient from -b, then G's
// row), as loops::cd_sweep_lanes does for the unmasked halves. Returns the
// largest change. G is symmetric (gram_mirror), so its row
// t is read as the contiguous column t.
double
cd_sweep(const Matrix &g, const double *b, double l1, double *f, int64_t r)
{
	double moved = 0.0;
	for (int64_t t = 0; t < r; t++)
	{
		const double hess = g(t, t);
		if (hess == 0.0)
			continue;
		const double *gt = g.data() + t * r;
		double grad = -(b[t] - l1);
		for (int64_t u = 0; u < r; u++)
			grad += gt[u] * f[u];
		const double next = std::max(f[t] - grad / hess, 0.0);
		moved = std::max(moved, std::fabs(next - f[t]));
		f[t] = next;
	}
	return moved;
}

// Each line's problem is its own: blocks of lines run on ws.threads lanes,
// each with its own scratch. Implicit feedback (s.alpha >= 0, gram_other the
// other factor's full Gram): line k's system is
// G_k = O O^T + sum over its stored cells of (c - 1) o o^T + l2 I and
// b_k = sum of c o - l1 (p = 1 there, c = 1 + alpha v), so only the
// correction is formed per line, from the copies scaled by sqrt(c - 1).
void
hals_line_half(const Problem &p, const Half &given, const Matrix &other, Matrix &f, Workspace &ws,
               const Matrix *gram_other)
{
	const Half s = toward_mean(given, f, ws);
	const bool implicit = s.alpha >= 0;
	const int64_t r = f.rows();
	for_line_blocks(p, ws, s.count, [&](int64_t, int64_t first, int64_t last, int lane) {
		double *bk = ws.num_of(lane).data();
		Matrix &copies = ws.den_of(lane);
		Matrix &g = ws.gram_of(lane);
		for (int64_t k = first; k < last; k++)
		{
			std::fill(bk, bk + r, 0.0);
			if (implicit)
				g = *gram_other;
			else
				g.setZero();
			// The line's vectors of O are copied a block at a time into
			// `copies` so that their Gram is one vectorised rank update per block.
			for (int64_t q0 = s.ptr[k]; q0 < s.ptr[k + 1]; q0 += ws.block)
			{
				const int64_t len = std::min(ws.block, s.ptr[k + 1] - q0);
				for (int64_t c = 0; c < len; c++)
				{
					const double *o = other.data() + static_cast<int64_t>(s.idx[q0 + c]) * r;
					const double x = s.val[q0 + c];
					double *copy = copies.data() + c * r;
					if (!implicit)
					{
						std::copy(o, o + r, copy);
						for (int64_t t = 0; t < r; t++)
							bk[t] += x * o[t];
						continue;
					}
					// A stored 0 is no observation: preference 0, confidence 1.
					const double extra = x > 0 ? s.alpha * x : 0.0;
					const double root = std::sqrt(extra);
					const double weight = x > 0 ? 1.0 + extra : 0.0;
					for (int64_t t = 0; t < r; t++)
					{
						copy[t] = root * o[t];
						bk[t] += weight * o[t];
					}
				}
				gram_add(g, copies.leftCols(len));
			}
			gram_mirror(g);
			add_prior(s, k, bk, r);
			hals_line_solve(g, line_l2(s, k), bk, s.l1, f.data() + k * r);
		}
	});
}

} // namespace

void
hals_line_solve(Matrix &g, double l2, const double *b, double l1, double *f)
{
	g.diagonal().array() += l2;
	double first = 0.0;
	for (int sweep = 0; sweep < kMaskedSweeps; sweep++)
	{
		const double moved = cd_sweep(g, b, l1, f, g.rows());
		if (sweep == 0)
			first = moved;
		if (moved <= kSweepSettled * first)
			break;
	}
}

void
hals_masked_half(const Problem &p, const Half &s, const Matrix &other, Matrix &f, Workspace &ws)
{
	hals_line_half(p, s, other, f, ws, nullptr);
}

// Absent cells as zeros: one sweep per column; returns <F_new, B> (without
// l1) and leaves F's new Gram in gram_f. The blocks of columns run on
// ws.threads lanes; their Grams and cross terms are summed in block order.
double
hals_half(const Problem &p, const Half &s, const Matrix &other, const Matrix &gram_other, Matrix &f,
          Matrix &gram_f, Workspace &ws, const Matrix *products)
{
	ws.gram_line = gram_other;
	ws.gram_line.diagonal().array() += s.l2;
	const Matrix &g = ws.gram_line;
	return cross_and_gram(p, s, other, f, gram_f, ws, products,
	                      [&](const auto &num, auto &fb, int lane) {
		repeat_update(s, fb, ws.prev_of(lane), [&] {
			simd::active().cd_sweep_columns(g.data(), fb.rows(), num.data(), s.l1, fb.data(),
			                                fb.cols(), ws.sweep_of(lane));
		});
	});
}

double
hals_iteration(const Problem &p, Matrix &w, Matrix &h, Workspace &ws)
{
	return frobenius_iteration(p, w, h, ws, hals_masked_half, hals_half);
}

// Hu, Koren & Volinsky's alternating least squares with the non-negative
// per-line solve: W W^T once for H's half, H H^T once for W's, the rest per
// line over its stored cells, O(nnz r^2 + (m + n) r^2) per iteration plus the
// sweeps, every cell counted and none formed.
double
implicit_iteration(const Problem &p, Matrix &w, Matrix &h, Workspace &ws)
{
	factor_gram(p, w, ws, ws.gram_w);
	hals_line_half(p, half_h(p), w, h, ws, &ws.gram_w);
	factor_gram(p, h, ws, ws.gram_h);
	hals_line_half(p, half_w(p), h, w, ws, &ws.gram_h);
	return implicit_loss(p, w, h, ws);
}

} // namespace nmf::solver
