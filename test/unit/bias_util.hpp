// SPDX-License-Identifier: PostgreSQL
// What the bias tests share: a planted biased matrix and a biased fit's options.
#ifndef NMF_TEST_BIAS_UTIL_HPP
#define NMF_TEST_BIAS_UTIL_HPP

#include <random>
#include <vector>

#include "test_util.hpp"

namespace nmf_test
{

// A planted biased matrix: value = mu + b_row[i] + b_col[j] + (W0 H0)_ij on a
// random `density` of the cells (every row and column present), the rest kept
// as held-out truth.
struct Planted
{
	double mu = 6.0;
	Eigen::VectorXd b_row, b_col;
	Eigen::MatrixXd full; // every cell's planted value
	std::vector<NmfTriplet> train, test;
};

inline Planted
planted(int64_t m, int64_t n, int64_t rank, double density, double interaction, uint64_t seed)
{
	std::mt19937_64 rng(seed);
	std::normal_distribution<double> g(0.0, 1.0);
	std::uniform_real_distribution<double> u(0.0, 1.0);
	Planted p;
	p.b_row.resize(m);
	p.b_col.resize(n);
	for (int64_t i = 0; i < m; i++)
		p.b_row(i) = g(rng);
	for (int64_t j = 0; j < n; j++)
		p.b_col(j) = 0.7 * g(rng);
	Eigen::MatrixXd w0(m, rank), h0(rank, n);
	for (int64_t i = 0; i < m; i++)
		for (int64_t k = 0; k < rank; k++)
			w0(i, k) = interaction * u(rng);
	for (int64_t k = 0; k < rank; k++)
		for (int64_t j = 0; j < n; j++)
			h0(k, j) = u(rng);
	p.full = w0 * h0;
	for (int64_t i = 0; i < m; i++)
		for (int64_t j = 0; j < n; j++)
		{
			p.full(i, j) += p.mu + p.b_row(i) + p.b_col(j);
			const NmfTriplet t{i, j, p.full(i, j)};
			if (u(rng) < density || i == j % m || j == i % n)
				p.train.push_back(t);
			else
				p.test.push_back(t);
		}
	return p;
}

// A biased fit's options, without the factors' ridge (the bias machinery
// alone); with max_iter > 0, exactly that many iterations.
inline NmfcOptions
biased(int64_t rank, double l2_bias, int solver = NMF_SOLVER_HALS, int max_iter = 0)
{
	NmfcOptions opt = options(rank, solver, NMF_LOSS_FROBENIUS, NMF_MISSING_IGNORE);
	opt.bias = 1;
	opt.reg = 0;
	opt.l2_bias = l2_bias;
	if (max_iter > 0)
	{
		opt.max_iter = max_iter;
		opt.tol = 0;
	}
	return opt;
}

} // namespace nmf_test

#endif
