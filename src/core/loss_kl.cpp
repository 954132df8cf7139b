// SPDX-License-Identifier: PostgreSQL
// The generalised Kullback-Leibler divergence D(V || W H) = sum V log(V / W H) - V + W H.
// Absent cells as zeros contribute (W H)_ij each, so their part is
// sum(W H) - sum over stored cells of (W H)_ij, with sum(W H) = (W 1)^T (H 1):
// O(nnz r + (m + n) r), never forming W H. Masked: the stored cells only.
// As scikit-learn 1.2: cells with V <= kEpsilon skip the log term, and a
// (W H)_ij of exactly 0 is taken as kEpsilon there.
#include <cmath>

#include "solver_blocks.hpp"

namespace nmf::solver
{

std::array<double, 3>
kl_cell_sums(const Problem &p, const Matrix &w, const Matrix &h, Workspace &ws)
{
	return sum_over_cells<3>(p, w, h, ws, [](std::array<double, 3> &part, double x, double wh) {
		part[2] += wh;
		part[1] += x;
		if (x > kEpsilon)
		{
			if (wh == 0.0)
				wh = kEpsilon;
			part[0] += x * std::log(x / wh);
		}
	});
}

double
kl_from_sums(const std::array<double, 3> &sums, double wh_sum)
{
	const double loss = sums[0] - sums[1] + wh_sum;
	return loss > 0 ? loss : 0.0;
}

double
kl_loss(const Problem &p, const Matrix &w, const Matrix &h, Workspace &ws)
{
	// sums: the log terms, V's sum, (W H)'s sum over the stored cells.
	const auto sums = kl_cell_sums(p, w, h, ws);
	double wh_sum = sums[2];
	if (!p.masked())
	{
		ws.sums.noalias() = w.rowwise().sum();
		ws.num.col(0).noalias() = h.rowwise().sum();
		wh_sum = ws.sums.dot(ws.num.col(0));
	}
	return kl_from_sums(sums, wh_sum);
}

} // namespace nmf::solver
