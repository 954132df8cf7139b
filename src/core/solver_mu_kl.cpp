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
// As scikit-learn 1.2 does: a (W H)_ij that is exactly 0 is replaced by
// kEpsilon; penalties add l1 + l2 * (the factor) to the denominator, which
// becomes kEpsilon if exactly 0; values below the float64 epsilon are set to 0
// after each half (scikit-learn does this for H; we do it for both halves, so
// the two halves stay the same computation on either side of V).
#include <cfloat>

#include "solver_blocks.hpp"

namespace nmf::solver
{

namespace
{

// Lines are independent: blocks of them run on ws.threads lanes, each with
// its own scratch (ws.sums is only read).
void
kl_half(const Problem &p, const Half &s, const Matrix &other, Matrix &f, Workspace &ws)
{
	const int64_t r = f.rows();
	if (!s.masked)
		ws.sums.noalias() = other.rowwise().sum();
	for_lines(p, s, f, ws, [&](int64_t k, double *fk, double *num, double *den) {
		if (s.masked)
			std::fill(den, den + r, 0.0);
		else
			std::copy(ws.sums.data(), ws.sums.data() + r, den);
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
		const double l2 = s.masked ? line_l2(s, k) : s.l2;
		for (int64_t t = 0; t < r; t++)
		{
			double d = den[t] + s.l1 + l2 * fk[t];
			if (d == 0.0)
				d = kEpsilon;
			fk[t] *= num[t] / d;
			if (fk[t] < DBL_EPSILON)
				fk[t] = 0.0;
		}
	});
}

} // namespace

double
mu_kl_iteration(const Problem &p, Matrix &w, Matrix &h, Workspace &ws)
{
	return h_then_w(p, w, h, ws, kl_half, kl_loss);
}

} // namespace nmf::solver
