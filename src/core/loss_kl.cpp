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

double
kl_loss(const Problem &p, const Matrix &w, const Matrix &h, Workspace &ws)
{
	const CsrView &v = p.x;
	const int64_t r = w.rows();
	// Blocks of rows on ws.threads lanes; each leaves its three sums, added
	// in block order below.
	const int64_t blocks =
	    for_line_blocks(p, ws, v.rows, [&](int64_t blk, int64_t first, int64_t last, int) {
		    double log_part = 0.0;
		    double v_sum = 0.0;
		    double wh_stored = 0.0;
		    for (int64_t i = first; i < last; i++)
		    {
			    const double *wi = w.data() + i * r;
			    for (int64_t q = v.row_ptr[i]; q < v.row_ptr[i + 1]; q++)
			    {
				    double wh = dot(wi, h.data() + static_cast<int64_t>(v.col_idx[q]) * r, r);
				    wh_stored += wh;
				    const double x = v.values[q];
				    v_sum += x;
				    if (x > kEpsilon)
				    {
					    if (wh == 0.0)
						    wh = kEpsilon;
					    log_part += x * std::log(x / wh);
				    }
			    }
		    }
		    double *part = ws.part_cross.data() + 3 * blk;
		    part[0] = log_part;
		    part[1] = v_sum;
		    part[2] = wh_stored;
	    });
	double log_part = 0.0;
	double v_sum = 0.0;
	double wh_stored = 0.0;
	for (int64_t k = 0; k < blocks; k++)
	{
		const double *part = ws.part_cross.data() + 3 * k;
		log_part += part[0];
		v_sum += part[1];
		wh_stored += part[2];
	}
	double wh_sum = wh_stored;
	if (!p.masked())
	{
		ws.sums.noalias() = w.rowwise().sum();
		ws.num.col(0).noalias() = h.rowwise().sum();
		wh_sum = ws.sums.dot(ws.num.col(0));
	}
	const double loss = log_part - v_sum + wh_sum;
	return loss > 0 ? loss : 0.0;
}

} // namespace nmf::solver
