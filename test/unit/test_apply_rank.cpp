// SPDX-License-Identifier: PostgreSQL
// Top k: recommendations against a full sort (exclusion, ties by id) and
// similar rows or columns against brute force.
#include <algorithm>
#include <numeric>

#include "test_model.hpp"
#include "test_util.hpp"

using nmf_test::flat;
using nmf_test::Image;
using nmf_test::RowMajor;
using nmf_test::TestModel;

TEST(Apply, RecommendIsTheTopOfAFullSort)
{
	const TestModel tm(5, 200, 4, 2);
	const NmfcModelView v = tm.view();
	const Eigen::MatrixXd wh = tm.wh();
	for (int64_t k : {1, 7, 199, 200, 500})
	{
		const int64_t room = std::min<int64_t>(k, 200);
		std::vector<int64_t> ids(static_cast<size_t>(room));
		std::vector<double> scores(static_cast<size_t>(room));
		int64_t count = -1;
		int found = -1;
		NmfcError err;
		ASSERT_EQ(
		    nmfc_recommend(&v, 30, k, nullptr, ids.data(), scores.data(), &count, &found, &err),
		    NMFC_OK)
		    << err.message;
		EXPECT_EQ(found, 1);
		ASSERT_EQ(count, room);
		std::vector<int64_t> order(200);
		std::iota(order.begin(), order.end(), 0);
		std::sort(order.begin(), order.end(),
		          [&](int64_t a, int64_t b) { return wh(2, a) > wh(2, b); });
		for (int64_t p = 0; p < count; p++)
		{
			EXPECT_EQ(ids[static_cast<size_t>(p)],
			          tm.col_ids[static_cast<size_t>(order[static_cast<size_t>(p)])]);
			EXPECT_DOUBLE_EQ(scores[static_cast<size_t>(p)], wh(2, order[static_cast<size_t>(p)]));
		}
	}
}

TEST(Apply, RecommendExcludesTheRowsCellsAndBreaksTiesById)
{
	TestModel tm(2, 6, 1, 3);
	tm.h << 1, 5, 5, 3, 5, 2; // three columns tie at 5
	tm.w << 1, 2;
	const NmfcModelView v = tm.view();
	// The exclude matrix: row 20 has cells in columns 1007 (a tie) and 1021,
	// plus a column the model lacks; row 10 has cells too (not ours).
	const Image ex = nmf_test::matrix_from_triplets(
	    {{20, 1007, 1}, {20, 1021, 0}, {20, 9999, 4}, {10, 1000, 1}, {10, 1014, 2}});
	std::vector<int64_t> ids(6);
	std::vector<double> scores(6);
	int64_t count;
	int found;
	NmfcError err;
	ASSERT_EQ(nmfc_recommend(&v, 20, 6, flat(ex), ids.data(), scores.data(), &count, &found, &err),
	          NMFC_OK)
	    << err.message;
	ASSERT_EQ(count, 4);
	EXPECT_EQ(ids[0], 1014); // ties at 10: 1014 before 1028
	EXPECT_EQ(ids[1], 1028);
	EXPECT_EQ(ids[2], 1035);
	EXPECT_EQ(ids[3], 1000);
	EXPECT_EQ(scores[0], 10.0);
	EXPECT_EQ(scores[3], 2.0);
	// Without exclusion, ties in id order.
	ASSERT_EQ(nmfc_recommend(&v, 20, 3, nullptr, ids.data(), scores.data(), &count, &found, &err),
	          NMFC_OK);
	EXPECT_EQ(count, 3);
	EXPECT_EQ(ids[0], 1007);
	EXPECT_EQ(ids[1], 1014);
	EXPECT_EQ(ids[2], 1028);
	// A row the exclude matrix lacks: nothing excluded.
	const Image other = nmf_test::matrix_from_triplets({{99, 1007, 1}});
	ASSERT_EQ(
	    nmfc_recommend(&v, 20, 6, flat(other), ids.data(), scores.data(), &count, &found, &err),
	    NMFC_OK);
	EXPECT_EQ(count, 6);
	// Every column excluded: an empty answer.
	const Image all = nmf_test::matrix_from_triplets(
	    {{20, 1000, 1}, {20, 1007, 1}, {20, 1014, 1}, {20, 1021, 1}, {20, 1028, 1}, {20, 1035, 1}});
	ASSERT_EQ(nmfc_recommend(&v, 20, 6, flat(all), ids.data(), scores.data(), &count, &found, &err),
	          NMFC_OK);
	EXPECT_EQ(found, 1);
	EXPECT_EQ(count, 0);
	// Unknown row, bad k.
	ASSERT_EQ(nmfc_recommend(&v, 25, 6, nullptr, ids.data(), scores.data(), &count, &found, &err),
	          NMFC_OK);
	EXPECT_EQ(found, 0);
	EXPECT_EQ(count, 0);
	EXPECT_EQ(nmfc_recommend(&v, 20, 0, nullptr, ids.data(), scores.data(), &count, &found, &err),
	          NMFC_INVALID_ARGUMENT);
	EXPECT_STREQ(err.message, "k must be at least 1, not 0");
}

TEST(Apply, SimilarMatchesBruteForce)
{
	const TestModel tm(30, 40, 5, 4);
	const NmfcModelView v = tm.view();
	for (int side : {NMFC_SIDE_ROW, NMFC_SIDE_COL})
		for (int metric : {NMFC_METRIC_COSINE, NMFC_METRIC_DOT})
		{
			const RowMajor &f = side == NMFC_SIDE_ROW ? tm.w : tm.h;
			const std::vector<int64_t> &all = side == NMFC_SIDE_ROW ? tm.row_ids : tm.col_ids;
			const int64_t target = 3;
			std::vector<std::pair<double, int64_t>> brute;
			for (Eigen::Index j = 0; j < f.rows(); j++)
			{
				if (j == target)
					continue;
				double s = f.row(target).dot(f.row(j));
				if (metric == NMFC_METRIC_COSINE)
					s /= f.row(target).norm() * f.row(j).norm();
				brute.emplace_back(-s, all[static_cast<size_t>(j)]);
			}
			std::sort(brute.begin(), brute.end());
			std::vector<int64_t> ids(5);
			std::vector<double> sims(5);
			int64_t count;
			int found;
			NmfcError err;
			ASSERT_EQ(nmfc_similar(&v, side, metric, all[target], 5, ids.data(), sims.data(),
			                       &count, &found, &err),
			          NMFC_OK)
			    << err.message;
			ASSERT_EQ(count, 5);
			for (size_t p = 0; p < 5; p++)
			{
				EXPECT_EQ(ids[p], brute[p].second);
				EXPECT_NEAR(sims[p], -brute[p].first, 1e-12);
				EXPECT_NE(ids[p], all[target]);
			}
		}
}

TEST(Apply, SimilarCosineOfZeroVectorAndSelf)
{
	TestModel tm(3, 2, 2, 5);
	tm.w << 1, 0, 2, 0, 0, 0; // row 20 is parallel to row 10, row 30 is zero
	const NmfcModelView v = tm.view();
	std::vector<int64_t> ids(2);
	std::vector<double> sims(2);
	int64_t count;
	int found;
	NmfcError err;
	ASSERT_EQ(nmfc_similar(&v, NMFC_SIDE_ROW, NMFC_METRIC_COSINE, 10, 10, ids.data(), sims.data(),
	                       &count, &found, &err),
	          NMFC_OK);
	ASSERT_EQ(count, 2);
	EXPECT_EQ(ids[0], 20);
	EXPECT_EQ(sims[0], 1.0);
	EXPECT_EQ(ids[1], 30);
	EXPECT_EQ(sims[1], 0.0);
	ASSERT_EQ(nmfc_similar(&v, NMFC_SIDE_COL, NMFC_METRIC_DOT, 5, 1, ids.data(), sims.data(),
	                       &count, &found, &err),
	          NMFC_OK);
	EXPECT_EQ(found, 0);
	EXPECT_EQ(
	    nmfc_similar(&v, 2, NMFC_METRIC_DOT, 10, 1, ids.data(), sims.data(), &count, &found, &err),
	    NMFC_INVALID_ARGUMENT);
	EXPECT_EQ(
	    nmfc_similar(&v, NMFC_SIDE_ROW, 9, 10, 1, ids.data(), sims.data(), &count, &found, &err),
	    NMFC_INVALID_ARGUMENT);
}
