// SPDX-License-Identifier: PostgreSQL
// Fold-in: the NNLS of new rows with H fixed (plain and masked) against
// brute force over every support.
#include <cmath>

#include "test_model.hpp"
#include "test_util.hpp"

using nmf_test::csr_of;
using nmf_test::flat;
using nmf_test::Image;
using nmf_test::TestModel;

namespace
{

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
