// SPDX-License-Identifier: PostgreSQL
// solver = 'mu', loss = 'kl': Lee & Seung's multiplicative updates for the
// generalised Kullback-Leibler divergence D(V || W H) = sum V log(V / W H) - V + W H
// (Algorithms for Non-negative Matrix Factorization, NIPS 2000, theorem 2):
//
//   H_tj <- H_tj (sum_i W_it V_ij / (W H)_ij) / (sum_i W_it)
//   W_it <- W_it (sum_j H_tj V_ij / (W H)_ij) / (sum_j H_tj)    with the new H
//
// Absent cells as zeros add nothing to the numerators (V_ij = 0), so the
// sums run over the stored cells only, and the denominators are the factor's
// sums: O(nnz r + (m + n) r) per iteration. With missing = 'ignore' the
// denominators sum over the stored cells of the line too: sum_{i in line} W_it.
//
// On a fully stored V (the fit's dense path) the halves go by blocks of W H
// formed by matrix products instead (kl_dense_half).
//
// As scikit-learn 1.2 does: a (W H)_ij that is exactly 0 is replaced by
// kEpsilon; penalties add l1 + l2 * (the factor) to the denominator, which
// becomes kEpsilon if exactly 0; values below the float64 epsilon are set to 0
// after each half (scikit-learn does this for H; we do it for both halves, so
// the two halves stay the same computation on either side of V).
#include <cfloat>

#include "solver_blocks.hpp"

namespace nmf::solver
{

void
kl_update(double *fk, const double *num, const double *den, int64_t r, double l1, double l2)
{
	multiply_update(fk, num, den, r, l1, l2);
	for (int64_t t = 0; t < r; t++)
		if (fk[t] < DBL_EPSILON)
			fk[t] = 0.0;
}

namespace
{

// Absent cells as zeros on a fit that holds V dense (Problem::dense: nearly
// every cell stored): a block of lines at a time, Y = O^T F (the other
// side's count x the block's lines) by Eigen, Y <- V / Y in place (V's
// column from the dense block for H's half, the line's cells from the CSR
// for W's), and the numerators O Y by the rank's SIMD dense gather: two
// products of the block instead of a dot product and a sum per stored cell. The blocks are
// fixed by the rank and the sizes, so the bits do not depend on the lanes.
void
kl_dense_half(const Problem &p, const Half &s, const Matrix &other, Matrix &f, Workspace &ws)
{
	const int64_t r = f.rows();
	const int64_t cells = other.cols();
	ws.sums.noalias() = other.rowwise().sum();
	for_dense_blocks(
	    p, s, other, f, ws,
	    [&](int64_t, int64_t k0, int64_t len, Eigen::Map<Matrix> &y, double *rest, int) {
		double *buf = y.data();
		for (int64_t c = 0; c < len; c++)
		{
			double *yc = buf + c * cells;
			const int64_t k = k0 + c;
			if (s.dense != nullptr)
			{
				simd::active().kl_ratios(s.dense + k * s.dense_len, yc, cells, kEpsilon);
				continue;
			}
			int64_t next = 0; // cells before it done; absent ones are 0
			for (int64_t q = s.ptr[k]; q < s.ptr[k + 1]; q++)
			{
				const int64_t i = s.idx[q];
				std::fill(yc + next, yc + i, 0.0);
				yc[i] = loops::kl_ratio(s.val[q], yc[i], kEpsilon);
				next = i + 1;
			}
			std::fill(yc + next, yc + cells, 0.0);
		}
		gather_dense(buf, cells, 0, len, other, rest);
		for (int64_t c = 0; c < len; c++)
			kl_update(f.data() + (k0 + c) * r, rest + c * r, ws.sums.data(), r, s.l1, s.l2);
	    });
}

} // namespace

// Lines are independent: blocks of them run on ws.threads lanes, each with
// its own scratch (ws.sums is only read).
void
kl_half(const Problem &p, const Half &s, const Matrix &other, Matrix &f, Workspace &ws)
{
	if (!s.masked && p.dense != nullptr)
	{
		kl_dense_half(p, s, other, f, ws);
		return;
	}
	const int64_t r = f.rows();
	if (!s.masked)
		ws.sums.noalias() = other.rowwise().sum();
	const simd::Kernels &kernels = simd::active();
	const bool fixed = r <= simd::kFixedRankMax;
	for_lines(p, s, f, ws, [&](int64_t k, double *fk, double *num, double *den) {
		if (s.masked)
			std::fill(den, den + r, 0.0);
		else
			std::copy(ws.sums.data(), ws.sums.data() + r, den);
		if (fixed)
		{
			const auto line =
			    (s.masked ? kernels.kl_line_masked : kernels.kl_line)[static_cast<size_t>(r)];
			line(s.idx + s.ptr[k], s.val + s.ptr[k], s.ptr[k + 1] - s.ptr[k], other.data(), fk,
			     kEpsilon, num, s.masked ? den : nullptr);
			kl_update(fk, num, den, r, s.l1, s.masked ? line_l2(s, k) : s.l2);
			return;
		}
		for (int64_t q = s.ptr[k]; q < s.ptr[k + 1]; q++)
		{
			const double *o = other.data() + static_cast<int64_t>(s.idx[q]) * r;
			double wh = dot(o, fk, r);
			if (wh == 0.0)
				wh = kEpsilon;
			const double ratio = s.val[q] / wh;
			for (int64_t t = 0; t < r; t++)
				num[t] += ratio * o[t];
			if (s.masked)
				for (int64_t t = 0; t < r; t++)
					den[t] += o[t];
		}
		kl_update(fk, num, den, r, s.l1, s.masked ? line_l2(s, k) : s.l2);
	});
}

double
mu_kl_iteration(const Problem &p, Matrix &w, Matrix &h, Workspace &ws)
{
	return h_then_w(p, w, h, ws, kl_half, kl_loss);
}

} // namespace nmf::solver
