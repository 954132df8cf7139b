// SPDX-License-Identifier: PostgreSQL
// The pieces of the distributed fit, put together as two "shards" of rows
// would be, give the dense multiplicative updates (H first; zero-filled and
// masked); a rating whose column H lacks is refused.
#include <Eigen/Dense>
#include <cmath>
#include <gtest/gtest.h>
#include <vector>

#include "nmf_api.h"

namespace
{

struct Cell
{
	int64_t row, col;
	double value;
};

// The dense updates, den == 0 -> 2^-23.
void
reference(const Eigen::MatrixXd &v, const Eigen::MatrixXd *mask, Eigen::MatrixXd &w,
          Eigen::MatrixXd &h, int iters)
{
	const auto fix = [](Eigen::MatrixXd d) {
		return d.unaryExpr([](double x) { return x == 0.0 ? 0x1.0p-23 : x; });
	};
	for (int it = 0; it < iters; it++)
	{
		Eigen::MatrixXd den = mask ? Eigen::MatrixXd(w.transpose() * mask->cwiseProduct(w * h))
		                           : Eigen::MatrixXd(w.transpose() * w * h);
		h = h.cwiseProduct((w.transpose() * v).cwiseQuotient(fix(den)));
		den = mask ? Eigen::MatrixXd(mask->cwiseProduct(w * h) * h.transpose())
		           : Eigen::MatrixXd(w * (h * h.transpose()));
		w = w.cwiseProduct((v * h.transpose()).cwiseQuotient(fix(den)));
	}
}

void
run(bool masked)
{
	const int32_t r = 3;
	const int64_t m = 9, n = 6;
	std::vector<Cell> cells;
	Eigen::MatrixXd v = Eigen::MatrixXd::Zero(m, n), mask = Eigen::MatrixXd::Zero(m, n);
	for (int64_t i = 0; i < m; i++)
		for (int64_t j = 0; j < n; j++)
			if ((i * 5 + j * 3) % 4 != 0)
			{
				const double x = static_cast<double>((i * 7 + j * 13) % 5 + 1);
				cells.push_back({i + 100, 10 * j, x});
				v(i, j) = x;
				mask(i, j) = 1;
			}
	std::vector<int64_t> col_ids;
	for (int64_t j = 0; j < n; j++)
		col_ids.push_back(10 * j);
	NmfcError err;

	// W row by row (w[i*r+k]), H column by column (h[j*r+k]), as the SQL keeps them.
	std::vector<double> w(static_cast<size_t>(m * r)), h(static_cast<size_t>(n * r));
	for (int64_t i = 0; i < m; i++)
		ASSERT_EQ(nmfc_dist_init(i + 100, 5, 0, r, 0.8, &w[static_cast<size_t>(i * r)], &err),
		          NMFC_OK);
	for (int64_t j = 0; j < n; j++)
		ASSERT_EQ(nmfc_dist_init(10 * j, 5, 1, r, 0.8, &h[static_cast<size_t>(j * r)], &err),
		          NMFC_OK);
	Eigen::MatrixXd we(m, r), he(r, n);
	for (int64_t i = 0; i < m; i++)
		for (int32_t k = 0; k < r; k++)
		{
			we(i, k) = w[static_cast<size_t>(i * r + k)];
			EXPECT_GT(we(i, k), 0.0);
			EXPECT_LE(we(i, k), 0.8);
		}
	for (int64_t j = 0; j < n; j++)
		for (int32_t k = 0; k < r; k++)
			he(k, j) = h[static_cast<size_t>(j * r + k)];

	const int iters = 12;
	const size_t rn = static_cast<size_t>(r * n);
	for (int it = 0; it < iters; it++)
	{
		// Two shards: even and odd rows; their partial states are summed.
		std::vector<double> stats(2 * rn, 0.0), gram(static_cast<size_t>(r * r), 0.0);
		for (int shard = 0; shard < 2; shard++)
		{
			std::vector<double> part(2 * rn, 0.0), gpart(static_cast<size_t>(r * r), 0.0);
			for (const Cell &c : cells)
			{
				if ((c.row - 100) % 2 == shard)
				{
					ASSERT_EQ(nmfc_dist_hstats_add(part.data(), masked ? part.data() + rn : nullptr,
					                               r, col_ids.data(), n,
					                               &w[static_cast<size_t>((c.row - 100) * r)],
					                               h.data(), c.col, c.value, &err),
					          NMFC_OK);
				}
			}
			for (int64_t i = shard; i < m; i += 2)
				ASSERT_EQ(nmfc_dist_gram_add(gpart.data(), r, &w[static_cast<size_t>(i * r)], 1,
				                             nullptr, &err),
				          NMFC_OK);
			for (size_t k = 0; k < stats.size(); k++)
				stats[k] += part[k];
			for (size_t k = 0; k < gram.size(); k++)
				gram[k] += gpart[k];
		}
		ASSERT_EQ(nmfc_dist_mu_update(h.data(), r, n, stats.data(),
		                              masked ? stats.data() + rn : nullptr, gram.data(), nullptr,
		                              &err),
		          NMFC_OK);
		std::vector<double> hht(static_cast<size_t>(r * r), 0.0);
		ASSERT_EQ(nmfc_dist_gram_add(hht.data(), r, h.data(), n, nullptr, &err), NMFC_OK);
		for (int64_t i = 0; i < m; i++)
		{
			std::vector<double> rs(static_cast<size_t>(2 * r), 0.0);
			for (const Cell &c : cells)
			{
				if (c.row - 100 == i)
				{
					ASSERT_EQ(nmfc_dist_rowstats_add(
					              rs.data(), masked ? rs.data() + r : nullptr, r, col_ids.data(), n,
					              &w[static_cast<size_t>(i * r)], h.data(), c.col, c.value, &err),
					          NMFC_OK);
				}
			}
			ASSERT_EQ(nmfc_dist_mu_update(&w[static_cast<size_t>(i * r)], r, 1, rs.data(),
			                              masked ? rs.data() + r : nullptr, hht.data(), nullptr,
			                              &err),
			          NMFC_OK);
		}
	}
	reference(v, masked ? &mask : nullptr, we, he, iters);
	double worst = 0.0;
	for (int64_t i = 0; i < m; i++)
		for (int32_t k = 0; k < r; k++)
			worst = std::max(worst, std::abs(w[static_cast<size_t>(i * r + k)] - we(i, k)) /
			                            we.cwiseAbs().maxCoeff());
	for (int64_t j = 0; j < n; j++)
		for (int32_t k = 0; k < r; k++)
			worst = std::max(worst, std::abs(h[static_cast<size_t>(j * r + k)] - he(k, j)) /
			                            he.cwiseAbs().maxCoeff());
	EXPECT_LT(worst, 1e-12);

	double pred = -1;
	ASSERT_EQ(nmfc_dist_predict(w.data(), r, col_ids.data(), n, h.data(), 30, &pred, &err),
	          NMFC_OK);
	EXPECT_NEAR(pred, (we.row(0) * he.col(3))(0), 1e-12);
}

} // namespace

TEST(Distributed, PiecesGiveTheDenseUpdatesZeroFilled)
{
	run(false);
}

TEST(Distributed, PiecesGiveTheDenseUpdatesMasked)
{
	run(true);
}

TEST(Distributed, UnknownColumnIsInvalidData)
{
	const int64_t cols[] = {1, 5, 9};
	double w[2] = {1, 1}, h[6] = {1, 1, 1, 1, 1, 1}, num[6] = {0}, out = 0;
	NmfcError err;
	EXPECT_EQ(nmfc_dist_hstats_add(num, nullptr, 2, cols, 3, w, h, 4, 1.0, &err),
	          NMFC_INVALID_DATA);
	EXPECT_NE(std::string(err.message).find("column id 4"), std::string::npos) << err.message;
	EXPECT_EQ(nmfc_dist_rowstats_add(num, nullptr, 2, cols, 3, w, h, 10, 1.0, &err),
	          NMFC_INVALID_DATA);
	EXPECT_EQ(nmfc_dist_predict(w, 2, cols, 3, h, 0, &out, &err), NMFC_INVALID_DATA);
	EXPECT_EQ(nmfc_dist_hstats_add(num, nullptr, 2, nullptr, 3, w, h, 1, 1.0, &err),
	          NMFC_INVALID_ARGUMENT);
	EXPECT_EQ(nmfc_dist_hstats_add(num, nullptr, 2, cols, 3, w, h, 9, 2.0, &err), NMFC_OK);
	EXPECT_EQ(num[4], 2.0);
	EXPECT_EQ(num[5], 2.0);
}

TEST(Distributed, UpdatesStopOnAnInterrupt)
{
	std::vector<double> f(3 * 1000, 1.0), num(3 * 1000, 1.0), gram(9, 1.0);
	volatile int flag = 1;
	NmfcInterrupts intr{};
	intr.flags[0] = &flag;
	NmfcError err;
	EXPECT_EQ(nmfc_dist_mu_update(f.data(), 3, 1000, num.data(), nullptr, gram.data(), &intr, &err),
	          NMFC_CANCELLED);
	EXPECT_EQ(nmfc_dist_gram_add(gram.data(), 3, f.data(), 1000, &intr, &err), NMFC_CANCELLED);
	flag = 0;
	EXPECT_EQ(nmfc_dist_mu_update(f.data(), 3, 1000, num.data(), nullptr, gram.data(), &intr, &err),
	          NMFC_OK);
}
