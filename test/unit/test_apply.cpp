// SPDX-License-Identifier: PostgreSQL
// Using a model: predicted cells, top-k against a full sort, similarity,
// NNLS fold-in (plain and masked) against brute force, score sums and the
// seeded split; every entry point answers bad input with a status.
#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <set>

#include "apply.hpp"
#include "test_util.hpp"

using nmf_test::Image;

namespace
{

using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// A model held in vectors: ids 10, 20, ... for rows, 1000 + 7 j for columns.
struct TestModel
{
	std::vector<int64_t> row_ids, col_ids;
	RowMajor w; // rows x r
	RowMajor h; // cols x r (column j's weights contiguous)

	TestModel(int64_t rows, int64_t cols, int64_t r, uint64_t seed) : w(rows, r), h(cols, r)
	{
		std::mt19937_64 rng(seed);
		std::uniform_real_distribution<double> u(0.0, 1.0);
		for (int64_t i = 0; i < rows; i++)
			row_ids.push_back(10 * (i + 1));
		for (int64_t j = 0; j < cols; j++)
			col_ids.push_back(1000 + 7 * j);
		for (Eigen::Index i = 0; i < w.size(); i++)
			w.data()[i] = u(rng);
		for (Eigen::Index i = 0; i < h.size(); i++)
			h.data()[i] = u(rng);
	}

	NmfcModelView
	view() const
	{
		NmfcModelView v{};
		v.rows = w.rows();
		v.cols = h.rows();
		v.rank = w.cols();
		v.row_ids = row_ids.data();
		v.col_ids = col_ids.data();
		v.w = w.data();
		v.h = h.data();
		v.missing = NMF_MISSING_ZERO;
		return v;
	}

	nmf::apply::ModelView
	core_view(bool masked) const
	{
		nmf::apply::ModelView v;
		v.rows = w.rows();
		v.cols = h.rows();
		v.rank = w.cols();
		v.row_ids = row_ids.data();
		v.col_ids = col_ids.data();
		v.w = w.data();
		v.h = h.data();
		v.masked = masked;
		return v;
	}

	Eigen::MatrixXd
	wh() const
	{
		return w * h.transpose();
	}
};

nmf::CsrView
csr_of(const Image &img)
{
	return nmf_test::view_of(img);
}

const NmfMatrixFlat *
flat(const Image &img)
{
	return static_cast<const NmfMatrixFlat *>(img.data());
}

// min_{w >= 0} 1/2 w'Gw - b'w by trying every support: the exact answer for small r.
Eigen::VectorXd
nnls_brute(const Eigen::MatrixXd &g, const Eigen::VectorXd &b)
{
	const int r = static_cast<int>(g.rows());
	Eigen::VectorXd best = Eigen::VectorXd::Zero(r);
	double best_obj = 0;
	for (int mask = 1; mask < (1 << r); mask++)
	{
		std::vector<int> s;
		for (int f = 0; f < r; f++)
			if (mask & (1 << f))
				s.push_back(f);
		const int n = static_cast<int>(s.size());
		Eigen::MatrixXd gs(n, n);
		Eigen::VectorXd bs(n);
		for (int a = 0; a < n; a++)
		{
			bs(a) = b(s[a]);
			for (int c = 0; c < n; c++)
				gs(a, c) = g(s[a], s[c]);
		}
		const Eigen::VectorXd ws = gs.ldlt().solve(bs);
		if (ws.minCoeff() < 0)
			continue;
		Eigen::VectorXd w = Eigen::VectorXd::Zero(r);
		for (int a = 0; a < n; a++)
			w(s[a]) = ws(a);
		const double obj = 0.5 * w.dot(g * w) - b.dot(w);
		if (obj < best_obj)
		{
			best_obj = obj;
			best = w;
		}
	}
	return best;
}

} // namespace

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

TEST(Apply, NnlsCoordinateDescentIsExact)
{
	std::mt19937_64 rng(6);
	std::normal_distribution<double> nd(0.0, 1.0);
	for (int trial = 0; trial < 50; trial++)
	{
		const int r = 1 + trial % 6;
		Eigen::MatrixXd a(r + 3, r);
		for (Eigen::Index i = 0; i < a.size(); i++)
			a.data()[i] = nd(rng);
		const Eigen::MatrixXd g = a.transpose() * a;
		Eigen::VectorXd b(r);
		for (int f = 0; f < r; f++)
			b(f) = nd(rng); // some negative: some weights end at 0
		Eigen::VectorXd w = Eigen::VectorXd::Zero(r);
		nmf::apply::nnls_cd(g.data(), b.data(), r, w.data());
		const Eigen::VectorXd expect = nnls_brute(g, b);
		for (int f = 0; f < r; f++)
			EXPECT_NEAR(w(f), expect(f), 1e-7 * (1 + expect.cwiseAbs().maxCoeff()))
			    << "trial " << trial << " factor " << f;
		EXPECT_GE(w.minCoeff(), 0.0);
	}
}

TEST(Apply, TransformSolvesNnlsOverAllColumns)
{
	const TestModel tm(4, 12, 3, 7);
	Eigen::MatrixXd x_dense;
	// Stored cells of 5 new rows; some cells in columns the model lacks.
	std::vector<NmfTriplet> t;
	std::mt19937_64 rng(8);
	std::uniform_real_distribution<double> u(0.0, 1.0);
	Eigen::MatrixXd dense = Eigen::MatrixXd::Zero(5, 12);
	for (int64_t i = 0; i < 5; i++)
		for (int64_t j = 0; j < 12; j++)
			if (u(rng) < 0.5)
			{
				dense(i, j) = std::floor(1 + 5 * u(rng));
				t.push_back(NmfTriplet{500 + i, tm.col_ids[static_cast<size_t>(j)], dense(i, j)});
			}
	t.push_back(NmfTriplet{500, 5, 3.0});
	t.push_back(NmfTriplet{502, 5, 1.0});
	t.push_back(NmfTriplet{502, 6, 1.0});
	const Image x = nmf_test::matrix_from_triplets(t);
	const NmfcMatrixView xv = nmf_test::view_of(x);
	const NmfcModelView v = tm.view();
	std::vector<double> out(static_cast<size_t>(xv.rows * 3));
	int64_t unknown_cells = -1, unknown_cols = -1;
	NmfcError err;
	ASSERT_EQ(nmfc_transform(&v, &xv, nmf_matrix_col_ids(flat(x)), out.data(), nullptr,
	                         &unknown_cells, &unknown_cols, nullptr, &err),
	          NMFC_OK)
	    << err.message;
	EXPECT_EQ(unknown_cells, 3);
	EXPECT_EQ(unknown_cols, 2);
	const Eigen::MatrixXd h = tm.h.transpose(); // r x cols
	const Eigen::MatrixXd g = h * h.transpose();
	for (int64_t i = 0; i < 5; i++)
	{
		const Eigen::VectorXd b = h * dense.row(i).transpose();
		const Eigen::VectorXd expect = nnls_brute(g, b);
		for (int64_t f = 0; f < 3; f++)
			EXPECT_NEAR(out[static_cast<size_t>(i * 3 + f)], expect(f), 1e-8) << i << " " << f;
	}
}

TEST(Apply, TransformMaskedCountsOnlyStoredCells)
{
	const TestModel tm(4, 10, 3, 9);
	// A row that is exactly w* H on its 4 stored cells: masked fold-in finds
	// w*; with absent cells as zeros it cannot.
	const Eigen::Vector3d w_star(0.5, 1.5, 0.25);
	const std::vector<int64_t> obs = {0, 3, 4, 8};
	std::vector<NmfTriplet> t;
	for (int64_t j : obs)
		t.push_back(
		    NmfTriplet{7, tm.col_ids[static_cast<size_t>(j)], w_star.dot(tm.h.row(j).transpose())});
	const Image x = nmf_test::matrix_from_triplets(t);
	const nmf::CsrView xc = csr_of(x);
	std::vector<double> masked(3), zero(3);
	nmf::apply::transform(tm.core_view(true), xc, nmf_matrix_col_ids(flat(x)), true, masked.data(),
	                      NmfcInterrupts{});
	nmf::apply::transform(tm.core_view(false), xc, nmf_matrix_col_ids(flat(x)), false, zero.data(),
	                      NmfcInterrupts{});
	for (int f = 0; f < 3; f++)
		EXPECT_NEAR(masked[static_cast<size_t>(f)], w_star(f), 1e-8) << f;
	double diff = 0;
	for (int f = 0; f < 3; f++)
		diff += std::fabs(zero[static_cast<size_t>(f)] - w_star(f));
	EXPECT_GT(diff, 1e-3);
	// A row with no known stored cell gets zeros, masked or not.
	const Image none = nmf_test::matrix_from_triplets({{8, 5, 2.0}});
	std::vector<double> z(3, 9.0);
	const nmf::apply::TransformCounts c =
	    nmf::apply::transform(tm.core_view(true), csr_of(none), nmf_matrix_col_ids(flat(none)),
	                          true, z.data(), NmfcInterrupts{});
	EXPECT_EQ(c.unknown_cells, 1);
	EXPECT_EQ(z, std::vector<double>(3, 0.0));
}

TEST(Apply, TransformOfTheTrainingRowsGivesW)
{
	// At a fitted model's stationary point, W's rows are their own fold-in.
	Eigen::MatrixXd v(4, 3);
	v << 5, 4, 1, 4, 5, 1, 2, 1, 5, 1, 0, 4;
	const Image matrix = nmf_test::dense_matrix(v);
	NmfcOptions opt;
	nmfc_options_default(&opt, 2);
	opt.max_iter = 20000;
	opt.tol = 0;
	const Image model = nmf_test::fit_model(matrix, opt);
	const NmfcModelView mv = nmfc_model_view(static_cast<const NmfModelFlat *>(model.data()));
	const NmfcMatrixView xv = nmf_test::view_of(matrix);
	std::vector<double> out(8);
	int64_t uc, ucols;
	NmfcError err;
	ASSERT_EQ(nmfc_transform(&mv, &xv, nmf_matrix_col_ids(flat(matrix)), out.data(), nullptr, &uc,
	                         &ucols, nullptr, &err),
	          NMFC_OK);
	for (size_t p = 0; p < 8; p++)
		EXPECT_NEAR(out[p], mv.w[p], 1e-4) << p;
}

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
