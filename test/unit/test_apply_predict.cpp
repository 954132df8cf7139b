// SPDX-License-Identifier: PostgreSQL
// Predicted cells: id lookup, and nmf_predict's pairs against W H.
#include "test_model.hpp"
#include "test_util.hpp"

using nmf_test::TestModel;

TEST(Apply, FindId)
{
	const std::vector<int64_t> ids = {-5, 3, 7, 100};
	EXPECT_EQ(nmfc_find_id(ids.data(), 4, -5), 0);
	EXPECT_EQ(nmfc_find_id(ids.data(), 4, 7), 2);
	EXPECT_EQ(nmfc_find_id(ids.data(), 4, 100), 3);
	EXPECT_EQ(nmfc_find_id(ids.data(), 4, 4), -1);
	EXPECT_EQ(nmfc_find_id(ids.data(), 4, 101), -1);
	EXPECT_EQ(nmfc_find_id(ids.data(), 4, -6), -1);
	EXPECT_EQ(nmfc_find_id(ids.data(), 0, 3), -1);
	EXPECT_EQ(nmfc_find_id(nullptr, 4, 3), -1);
}

TEST(Apply, PredictPairsMatchesWH)
{
	const TestModel tm(6, 9, 3, 1);
	const NmfcModelView v = tm.view();
	const Eigen::MatrixXd wh = tm.wh();
	std::vector<int64_t> rows, cols;
	for (int64_t i = 0; i < 6; i++)
		for (int64_t j = 0; j < 9; j++)
		{
			rows.push_back(tm.row_ids[static_cast<size_t>(i)]);
			cols.push_back(tm.col_ids[static_cast<size_t>(j)]);
		}
	rows.push_back(15); // unknown row
	cols.push_back(1000);
	rows.push_back(10); // unknown column
	cols.push_back(1001);
	rows.push_back(10); // skipped
	cols.push_back(1000);
	const size_t n = rows.size();
	std::vector<uint8_t> skip(n, 0), known(n, 7);
	skip[n - 1] = 1;
	std::vector<double> out(n, -1);
	NmfcError err;
	ASSERT_EQ(nmfc_predict_pairs(&v, static_cast<int64_t>(n), rows.data(), cols.data(), skip.data(),
	                             out.data(), known.data(), nullptr, &err),
	          NMFC_OK)
	    << err.message;
	for (int64_t i = 0; i < 6; i++)
		for (int64_t j = 0; j < 9; j++)
		{
			const size_t p = static_cast<size_t>(i * 9 + j);
			EXPECT_EQ(known[p], 1);
			EXPECT_NEAR(out[p], wh(i, j), 1e-12);
		}
	for (size_t p = n - 3; p < n; p++)
	{
		EXPECT_EQ(known[p], 0) << p;
		EXPECT_EQ(out[p], 0.0) << p;
	}
}
