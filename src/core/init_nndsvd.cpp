// SPDX-License-Identifier: PostgreSQL
// init = 'nndsvd', 'nndsvda', 'nndsvdar': Boutsidis & Gallopoulos, SVD based
// initialization: a head start for nonnegative matrix factorization (Pattern
// Recognition 41, 2008), as scikit-learn 1.2's _initialize_nmf computes it.
//
// From V's leading triplets (u_k, s_k, v_k): factor 1 is sqrt(s_1) |u_1|,
// sqrt(s_1) |v_1|; factor k > 1 takes the positive parts of u_k and v_k, or
// their negative parts if those have the larger product of norms (the
// negative parts on a tie), scaled by sqrt(s_k * that product). Values below
// kZero become 0. Flipping the signs of a triplet swaps its positive and
// negative parts, so the result does not depend on the SVD's sign convention
// except on an exact tie; ours is scikit-learn's (svd.hpp).
//
// nndsvd keeps the zeros; nndsvda sets them to the mean of the counted cells;
// nndsvdar to |mean * N(0, 1) / 100| drawn, W's zeros first (row by row) and
// then H's (factor by factor), from numpy's RandomState(seed) stream, as
// scikit-learn does with random_state = seed. With missing = 'ignore' the SVD
// is still that of V with absent cells as zeros: only a starting point.
#include <cmath>

#include "random_source.hpp"
#include "svd.hpp"

namespace nmf::init
{

namespace
{

// scikit-learn's eps argument of _initialize_nmf.
constexpr double kZero = 1e-6;

} // namespace

void
nndsvd(const Problem &p, Matrix &w, Matrix &h)
{
	const int64_t r = p.opt.rank, m = p.x.rows, n = p.x.cols;
	Matrix u, v;
	Eigen::VectorXd s;
	truncated_svd(p, r, u, s, v);

	for (int64_t i = 0; i < m; i++)
		w(0, i) = std::sqrt(s(0)) * std::fabs(u(i, 0));
	for (int64_t j = 0; j < n; j++)
		h(0, j) = std::sqrt(s(0)) * std::fabs(v(j, 0));
	for (int64_t k = 1; k < r; k++)
	{
		const Eigen::VectorXd xp = u.col(k).cwiseMax(0.0), yp = v.col(k).cwiseMax(0.0);
		const Eigen::VectorXd xn = (-u.col(k)).cwiseMax(0.0), yn = (-v.col(k)).cwiseMax(0.0);
		const double xp_norm = xp.norm(), yp_norm = yp.norm();
		const double xn_norm = xn.norm(), yn_norm = yn.norm();
		const double mp = xp_norm * yp_norm, mn = xn_norm * yn_norm;
		const bool positive = mp > mn;
		const double sigma = positive ? mp : mn;
		const double lbd = std::sqrt(s(k) * sigma);
		for (int64_t i = 0; i < m; i++)
			w(k, i) = sigma > 0 ? lbd * (positive ? xp(i) / xp_norm : xn(i) / xn_norm) : 0.0;
		for (int64_t j = 0; j < n; j++)
			h(k, j) = sigma > 0 ? lbd * (positive ? yp(j) / yp_norm : yn(j) / yn_norm) : 0.0;
	}
	for (int64_t q = 0; q < w.size(); q++)
		if (w.data()[q] < kZero)
			w.data()[q] = 0.0;
	for (int64_t q = 0; q < h.size(); q++)
		if (h.data()[q] < kZero)
			h.data()[q] = 0.0;

	if (p.opt.init == NMF_INIT_NNDSVDA)
	{
		const double avg = counted_mean(p);
		w = (w.array() == 0.0).select(avg, w);
		h = (h.array() == 0.0).select(avg, h);
	}
	else if (p.opt.init == NMF_INIT_NNDSVDAR)
	{
		const double avg = counted_mean(p);
		LegacyGauss gauss(p.opt.seed);
		// W row-major is our storage order; H row-major is factor by factor.
		for (int64_t q = 0; q < w.size(); q++)
			if (w.data()[q] == 0.0)
				w.data()[q] = std::fabs(avg * gauss.next() / 100.0);
		for (int64_t k = 0; k < r; k++)
			for (int64_t j = 0; j < n; j++)
				if (h(k, j) == 0.0)
					h(k, j) = std::fabs(avg * gauss.next() / 100.0);
	}
}

} // namespace nmf::init
