// SPDX-License-Identifier: PostgreSQL
// Held-out evaluation: score sums against brute force, and the seeded split
// into folds; every apply entry point answers bad input with a status.
#include <map>
#include <set>

#include "test_model.hpp"
#include "test_util.hpp"

using nmf_test::flat;
using nmf_test::Image;
using nmf_test::TestModel;

TEST(Apply, ScoreMatchesBruteForce)
{
	const TestModel tm(5, 6, 2, 10);
	const Eigen::MatrixXd wh = tm.wh();
	std::vector<NmfTriplet> t = {{10, 1000, 3}, {10, 1035, 1}, {30, 1014, 0}, {50, 1021, 2},
	                             {60, 1000, 5}, {20, 1001, 4}, {20, 1007, 2}};
	const Image x = nmf_test::matrix_from_triplets(t);
	const NmfcMatrixView xv = nmf_test::view_of(x);
	const NmfcModelView v = tm.view();
	NmfcScore s;
	NmfcError err;
	ASSERT_EQ(nmfc_score(&v, &xv, nmf_matrix_row_ids(flat(x)), nmf_matrix_col_ids(flat(x)), &s,
	                     nullptr, &err),
	          NMFC_OK)
	    << err.message;
	double sse = 0, sae = 0, xsq = 0;
	int64_t cells = 0;
	for (const NmfTriplet &c : t)
	{
		const int64_t i = nmfc_find_id(tm.row_ids.data(), 5, c.row);
		const int64_t j = nmfc_find_id(tm.col_ids.data(), 6, c.col);
		if (i < 0 || j < 0)
			continue;
		const double e = c.value - wh(i, j);
		sse += e * e;
		sae += std::fabs(e);
		xsq += c.value * c.value;
		cells++;
	}
	EXPECT_EQ(s.cells, 5);
	EXPECT_EQ(cells, 5);
	EXPECT_EQ(s.unknown_cells, 2); // row 60, column 1001
	EXPECT_NEAR(s.sse, sse, 1e-12);
	EXPECT_NEAR(s.sae, sae, 1e-12);
	EXPECT_NEAR(s.x_sq, xsq, 1e-12);
}

TEST(Apply, SplitPartitionsTheCellsIntoSeededFolds)
{
	Eigen::MatrixXd dense;
	const Image x = nmf_test::random_sparse(60, 50, 0.3, 11, &dense);
	const NmfcMatrixView xv = nmf_test::view_of(x);
	const int32_t folds = 5;
	std::map<std::pair<int64_t, int64_t>, int> seen;
	std::vector<NmfTriplet> out(static_cast<size_t>(xv.nnz));
	NmfcError err;
	for (int32_t fold = 1; fold <= folds; fold++)
	{
		int64_t n_train = -1;
		ASSERT_EQ(nmfc_split(&xv, nmf_matrix_row_ids(flat(x)), nmf_matrix_col_ids(flat(x)), folds,
		                     fold, 42, out.data(), &n_train, nullptr, &err),
		          NMFC_OK)
		    << err.message;
		const int64_t n_test = xv.nnz - n_train;
		// Each fold holds about a fifth of the cells.
		const double nnz = static_cast<double>(xv.nnz);
		EXPECT_NEAR(static_cast<double>(n_test), nnz / 5.0, nnz * 0.05);
		for (int64_t p = n_train; p < xv.nnz; p++)
		{
			const NmfTriplet &c = out[static_cast<size_t>(p)];
			EXPECT_EQ(c.value, dense(c.row, c.col));
			seen[{c.row, c.col}]++;
			EXPECT_EQ(nmf::apply::cell_fold(c.row, c.col, 42, folds), fold - 1);
		}
		for (int64_t p = 0; p < n_train; p++)
			EXPECT_NE(nmf::apply::cell_fold(out[static_cast<size_t>(p)].row,
			                                out[static_cast<size_t>(p)].col, 42, folds),
			          fold - 1);
	}
	// Every cell is in exactly one test fold.
	EXPECT_EQ(static_cast<int64_t>(seen.size()), xv.nnz);
	for (const auto &kv : seen)
		EXPECT_EQ(kv.second, 1);
	// Another seed, another split; the same seed, the same split.
	int moved = 0;
	for (const auto &kv : seen)
		moved += nmf::apply::cell_fold(kv.first.first, kv.first.second, 43, folds) !=
		         nmf::apply::cell_fold(kv.first.first, kv.first.second, 42, folds);
	EXPECT_GT(moved, xv.nnz / 2);
	// Frozen values (SplitMix64 by hand): a split must not change across
	// versions or platforms, or saved experiments could not be repeated.
	EXPECT_EQ(nmf::apply::cell_fold(1, 1, 0, 5), 3);
	EXPECT_EQ(nmf::apply::cell_fold(1, 2, 0, 5), 4);
	EXPECT_EQ(nmf::apply::cell_fold(2, 1, 0, 5), 0);
	EXPECT_EQ(nmf::apply::cell_fold(10, 100, 0, 5), 3);
	EXPECT_EQ(nmf::apply::cell_fold(-1, 7, 0, 5), 0);
	EXPECT_EQ(nmf::apply::cell_fold(1, 1, 42, 5), 3);
	EXPECT_EQ(nmf::apply::cell_fold(123456789, 987654321, -3, 10), 0);
	int64_t n_train;
	EXPECT_EQ(nmfc_split(&xv, nmf_matrix_row_ids(flat(x)), nmf_matrix_col_ids(flat(x)), 1, 1, 0,
	                     out.data(), &n_train, nullptr, &err),
	          NMFC_INVALID_ARGUMENT);
	EXPECT_STREQ(err.message, "folds must be at least 2, not 1");
	EXPECT_EQ(nmfc_split(&xv, nmf_matrix_row_ids(flat(x)), nmf_matrix_col_ids(flat(x)), 5, 6, 0,
	                     out.data(), &n_train, nullptr, &err),
	          NMFC_INVALID_ARGUMENT);
	EXPECT_STREQ(err.message, "fold must be between 1 and folds (5), not 6");
	EXPECT_EQ(nmfc_split(&xv, nmf_matrix_row_ids(flat(x)), nmf_matrix_col_ids(flat(x)), 5, 0, 0,
	                     out.data(), &n_train, nullptr, &err),
	          NMFC_INVALID_ARGUMENT);
}

TEST(Apply, EntryPointsAnswerMissingArgumentsWithAStatus)
{
	const TestModel tm(2, 2, 1, 12);
	const NmfcModelView v = tm.view();
	const Image x = nmf_test::matrix_from_triplets({{10, 1000, 1}});
	const NmfcMatrixView xv = nmf_test::view_of(x);
	int64_t id = 10, count, a, b;
	double d;
	uint8_t known;
	int found;
	NmfcScore s;
	NmfTriplet t;
	NmfcError err;
	EXPECT_EQ(nmfc_predict_pairs(nullptr, 1, &id, &id, nullptr, &d, &known, nullptr, &err),
	          NMFC_INVALID_ARGUMENT);
	EXPECT_STREQ(err.message, "model is missing");
	EXPECT_EQ(nmfc_predict_pairs(&v, 1, &id, nullptr, nullptr, &d, &known, nullptr, &err),
	          NMFC_INVALID_ARGUMENT);
	EXPECT_EQ(nmfc_recommend(&v, 10, 1, nullptr, nullptr, &d, &count, &found, &err),
	          NMFC_INVALID_ARGUMENT);
	EXPECT_EQ(nmfc_similar(&v, 0, 0, 10, 1, &id, &d, nullptr, &found, &err), NMFC_INVALID_ARGUMENT);
	EXPECT_EQ(nmfc_transform(&v, nullptr, &id, &d, nullptr, &a, &b, nullptr, &err),
	          NMFC_INVALID_ARGUMENT);
	EXPECT_STREQ(err.message, "matrix is missing");
	EXPECT_EQ(nmfc_score(&v, &xv, nullptr, &id, &s, nullptr, &err), NMFC_INVALID_ARGUMENT);
	EXPECT_EQ(nmfc_split(&xv, &id, &id, 2, 1, 0, &t, nullptr, nullptr, &err),
	          NMFC_INVALID_ARGUMENT);
	// Interrupt flags stop a long pass with NMFC_CANCELLED.
	const TestModel big(100, 100, 2, 13);
	const NmfcModelView bv = big.view();
	std::vector<int64_t> rows(200000, 10), cols(200000, 1000);
	std::vector<double> out(200000);
	std::vector<uint8_t> kn(200000);
	volatile int flag = 1;
	NmfcInterrupts intr{};
	intr.flags[0] = &flag;
	EXPECT_EQ(nmfc_predict_pairs(&bv, 200000, rows.data(), cols.data(), nullptr, out.data(),
	                             kn.data(), &intr, &err),
	          NMFC_CANCELLED);
}
