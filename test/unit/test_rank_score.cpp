// SPDX-License-Identifier: PostgreSQL
// Ranking metrics: the formulas of rank_score.cpp on lists worked by hand,
// the scoring of a model's lists against brute force, the popularity
// baseline, the thread count changing no bit, and statuses, not throws.
#include <cmath>
#include <numeric>

#include "serve.hpp"
#include "test_model.hpp"
#include "test_util.hpp"

using nmf_test::flat;
using nmf_test::Image;
using nmf_test::TestModel;

namespace
{

double
discount(int q) // position q, 1-based
{
	return 1.0 / std::log2(q + 1.0);
}

} // namespace

TEST(RankScore, MetricsOfAListWorkedByHand)
{
	// List 7, 3, 9, 5 at k = 4 against relevant {3, 5, 8}: hits at 2 and 4.
	const int64_t list[] = {7, 3, 9, 5};
	const int64_t relevant[] = {3, 5, 8};
	const nmf::serve::RankMetrics m = nmf::serve::rank_metrics(list, 4, 4, relevant, 3);
	EXPECT_DOUBLE_EQ(m.precision, 2.0 / 4);
	EXPECT_DOUBLE_EQ(m.recall, 2.0 / 3);
	// DCG = 1/log2(3) + 1/log2(5); IDCG = the first min(3, 4) = 3 discounts.
	EXPECT_DOUBLE_EQ(m.ndcg,
	                 (discount(2) + discount(4)) / (discount(1) + discount(2) + discount(3)));
	// AP = (P@2 + P@4) / min(3, 4) = (1/2 + 2/4) / 3.
	EXPECT_DOUBLE_EQ(m.ap, (0.5 + 0.5) / 3);
}

TEST(RankScore, IdealListsScoreOneAndMissesZero)
{
	const int64_t relevant[] = {1, 2};
	const int64_t ideal[] = {2, 1, 6};
	const nmf::serve::RankMetrics best = nmf::serve::rank_metrics(ideal, 3, 3, relevant, 2);
	EXPECT_DOUBLE_EQ(best.ndcg, 1.0);
	EXPECT_DOUBLE_EQ(best.ap, 1.0);
	EXPECT_DOUBLE_EQ(best.recall, 1.0);
	EXPECT_DOUBLE_EQ(best.precision, 2.0 / 3);
	const int64_t miss[] = {4, 5, 6};
	const nmf::serve::RankMetrics none = nmf::serve::rank_metrics(miss, 3, 3, relevant, 2);
	EXPECT_EQ(none.ndcg, 0.0);
	EXPECT_EQ(none.ap, 0.0);
	EXPECT_EQ(none.precision, 0.0);
	// More relevant columns than k: the ideal list is k long, so a full list of hits is 1.
	const int64_t many[] = {1, 2, 3, 4, 5};
	const int64_t top2[] = {4, 1};
	const nmf::serve::RankMetrics cut = nmf::serve::rank_metrics(top2, 2, 2, many, 5);
	EXPECT_DOUBLE_EQ(cut.ndcg, 1.0);
	EXPECT_DOUBLE_EQ(cut.ap, 1.0);
	EXPECT_DOUBLE_EQ(cut.recall, 2.0 / 5);
	// A list shorter than k (few columns) still divides precision by k.
	const int64_t one[] = {1};
	EXPECT_DOUBLE_EQ(nmf::serve::rank_metrics(one, 1, 4, relevant, 2).precision, 0.25);
}

TEST(RankScore, ModelListsAgainstBruteForce)
{
	const TestModel tm(40, 30, 3, 11);
	const NmfcModelView v = tm.view();
	std::vector<NmfTriplet> train, test;
	for (int64_t i = 0; i < 40; i++)
		for (int64_t j = 0; j < 30; j++)
		{
			const NmfTriplet cell = {tm.row_ids[size_t(i)], tm.col_ids[size_t(j)], 1};
			const int64_t h = (i * 31 + j * 17) % 11;
			if (h == 0 || (h == 1 && i % 5 != 0))
				(h == 0 ? train : test).push_back(cell);
		}
	test.push_back({999, tm.col_ids[0], 1}); // a row the model lacks
	const Image tr = nmf_test::matrix_from_triplets(train);
	const Image te = nmf_test::matrix_from_triplets(test);
	const int64_t k = 5;

	// Brute force: each test row's list from a full sort of its scores.
	const Eigen::MatrixXd wh = tm.wh();
	double sum_ndcg = 0, sum_ap = 0, sum_p = 0, sum_r = 0;
	int64_t rows = 0;
	std::vector<char> listed(30, 0);
	for (int64_t i = 0; i < 40; i++)
	{
		std::vector<int64_t> rel, skip;
		for (const NmfTriplet &t : test)
			if (t.row == tm.row_ids[size_t(i)])
				rel.push_back((t.col - 1000) / 7);
		if (rel.empty())
			continue;
		for (const NmfTriplet &t : train)
			if (t.row == tm.row_ids[size_t(i)])
				skip.push_back((t.col - 1000) / 7);
		std::vector<int64_t> order;
		for (int64_t j = 0; j < 30; j++)
			if (std::find(skip.begin(), skip.end(), j) == skip.end())
				order.push_back(j);
		std::stable_sort(order.begin(), order.end(),
		                 [&](int64_t a, int64_t b) { return wh(i, a) > wh(i, b); });
		order.resize(size_t(k));
		std::sort(rel.begin(), rel.end());
		const nmf::serve::RankMetrics m =
		    nmf::serve::rank_metrics(order.data(), k, k, rel.data(), int64_t(rel.size()));
		sum_ndcg += m.ndcg;
		sum_ap += m.ap;
		sum_p += m.precision;
		sum_r += m.recall;
		rows++;
		for (int64_t j : order)
			listed[size_t(j)] = 1;
	}
	for (int32_t threads : {1, 2, 3})
	{
		NmfcRankScore s;
		NmfcError err;
		ASSERT_EQ(nmfc_rank_score(&v, flat(te), flat(tr), k, threads, &s, nullptr, &err), NMFC_OK)
		    << err.message;
		EXPECT_EQ(s.rows, rows);
		EXPECT_EQ(s.unknown_rows, 1);
		EXPECT_EQ(s.unknown_cells, 1);
		EXPECT_EQ(s.cols, 30);
		EXPECT_EQ(s.listed_cols, std::accumulate(listed.begin(), listed.end(), int64_t(0)));
		// Sums in test row order: the same bits as the row-by-row sums here.
		EXPECT_EQ(s.ndcg, sum_ndcg);
		EXPECT_EQ(s.ap, sum_ap);
		EXPECT_EQ(s.precision, sum_p);
		EXPECT_EQ(s.recall, sum_r);
	}
}

TEST(RankScore, PopularityListsTheMostStoredColumns)
{
	// train: column 1 in 3 rows, column 2 in 2, column 3 in 1.
	const Image tr = nmf_test::matrix_from_triplets(
	    {{1, 1, 5}, {2, 1, 1}, {3, 1, 2}, {1, 2, 1}, {2, 2, 1}, {3, 3, 1}});
	// Row 1 (has 1, 2): its list is [3]; row 3 (has 1, 3): [2]; row 7 is not in train.
	const Image te = nmf_test::matrix_from_triplets({{1, 3, 1}, {3, 1, 1}, {7, 1, 1}});
	NmfcRankScore s;
	NmfcError err;
	ASSERT_EQ(nmfc_popularity_score(flat(tr), flat(te), 2, 1, &s, nullptr, &err), NMFC_OK)
	    << err.message;
	EXPECT_EQ(s.rows, 2);
	EXPECT_EQ(s.unknown_rows, 1);
	// Row 1: a hit at 1 of a list of 1 (k 2); row 3: its one relevant column is in train, a miss.
	EXPECT_DOUBLE_EQ(s.precision, 0.5);
	EXPECT_DOUBLE_EQ(s.ndcg, 1.0);
	EXPECT_DOUBLE_EQ(s.ap, 1.0);
	EXPECT_EQ(s.listed_cols, 2);
	EXPECT_EQ(s.cols, 3);
}

TEST(RankScore, BadArgumentsAreStatuses)
{
	const TestModel tm(3, 4, 1, 2);
	const NmfcModelView v = tm.view();
	const Image te = nmf_test::matrix_from_triplets({{10, 1000, 1}});
	NmfcRankScore s;
	NmfcError err;
	EXPECT_EQ(nmfc_rank_score(&v, flat(te), nullptr, 0, 1, &s, nullptr, &err),
	          NMFC_INVALID_ARGUMENT);
	EXPECT_EQ(nmfc_rank_score(&v, nullptr, nullptr, 3, 1, &s, nullptr, &err),
	          NMFC_INVALID_ARGUMENT);
	EXPECT_EQ(nmfc_popularity_score(nullptr, flat(te), 3, 1, &s, nullptr, &err),
	          NMFC_INVALID_ARGUMENT);
	EXPECT_EQ(nmfc_popularity_score(flat(te), flat(te), -1, 1, &s, nullptr, &err),
	          NMFC_INVALID_ARGUMENT);
}
