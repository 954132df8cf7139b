// SPDX-License-Identifier: PostgreSQL
// The dense path of a fit (Fit::dense_path): a matrix that stores (nearly)
// every cell is held as one dense block instead of the CSC transpose. The
// same matrix fitted with its zeros stored (dense path) and absent (sparse
// path) gives the same bits, for any thread count.
#include <random>

#include "fit.hpp"
#include "test_util.hpp"

using nmf_test::Image;

namespace
{

// A planted non-negative rank-5 matrix with about `zeros` of its cells 0.
Eigen::MatrixXd
planted_with_zeros(int64_t m, int64_t n, double zeros, uint64_t seed)
{
	std::mt19937_64 rng(seed);
	std::uniform_real_distribution<double> u(0.0, 1.0);
	const Eigen::MatrixXd w = Eigen::MatrixXd::NullaryExpr(m, 5, [&] { return u(rng); });
	const Eigen::MatrixXd h = Eigen::MatrixXd::NullaryExpr(5, n, [&] { return u(rng); });
	Eigen::MatrixXd v = w * h;
	for (Eigen::Index k = 0; k < v.size(); k++)
		v.data()[k] = u(rng) < zeros ? 0.0 : std::round(40 * v.data()[k] + 10 * u(rng));
	return v;
}

// The cells of v, its zeros stored or left out.
Image
stored(const Eigen::MatrixXd &v, bool zeros)
{
	std::vector<NmfTriplet> t;
	for (Eigen::Index i = 0; i < v.rows(); i++)
		for (Eigen::Index j = 0; j < v.cols(); j++)
			if (zeros || v(i, j) != 0.0)
				t.push_back(NmfTriplet{100 + i, 200 + j, v(i, j)});
	return nmf_test::matrix_from_triplets(t);
}

struct Factors
{
	Eigen::MatrixXd w, h;
	double loss = 0;
};

Factors
fit(const Image &x, const NmfcOptions &opt)
{
	NmfcSummary s;
	const Image model = nmf_test::fit_model(x, opt, &s);
	Factors f;
	nmf_test::model_factors(model, &f.w, &f.h);
	f.loss = s.loss;
	return f;
}

NmfcOptions
options(int64_t rank, int solver, int init, int threads)
{
	NmfcOptions opt = nmf_test::options(rank, solver);
	opt.init = init;
	opt.seed = 5;
	opt.max_iter = 6;
	opt.tol = 0;
	opt.threads = threads;
	return opt;
}

} // namespace

TEST(Dense, SparseAndDensePathsGiveTheSameBits)
{
	// 45 % zeros: stored, every cell (dense path); left out, 55 % (sparse path).
	const Eigen::MatrixXd v = planted_with_zeros(150, 620, 0.45, 3);
	const Image full = stored(v, true);
	const Image sparse = stored(v, false);
	for (int64_t rank : {16, 36})
		for (int solver : {NMF_SOLVER_HALS, NMF_SOLVER_MU, NMF_SOLVER_GD})
			for (int init : {NMF_INIT_RANDOM, NMF_INIT_NNDSVDA})
			{
				const NmfcOptions opt = options(rank, solver, init, 2);
				ASSERT_TRUE(nmf::Fit::dense_path(nmf_test::view_of(full), opt));
				ASSERT_FALSE(nmf::Fit::dense_path(nmf_test::view_of(sparse), opt));
				const Factors a = fit(full, opt);
				const Factors b = fit(sparse, opt);
				const auto where = ::testing::Message()
				                   << "rank " << rank << ", solver " << solver << ", init " << init;
				EXPECT_TRUE(a.w == b.w) << where;
				EXPECT_TRUE(a.h == b.h) << where;
				EXPECT_EQ(a.loss, b.loss) << where;
				EXPECT_LT(a.loss, v.squaredNorm()) << where;
			}
}

// Several blocks on each side (512 columns per block at rank 16), so that
// the blocks of the dense products really are shared out.
TEST(Dense, DensePathIsBitIdenticalForEveryThreadCount)
{
	const Image full = stored(planted_with_zeros(600, 1100, 0.0, 4), true);
	for (int solver : {NMF_SOLVER_HALS, NMF_SOLVER_MU})
	{
		ASSERT_TRUE(
		    nmf::Fit::dense_path(nmf_test::view_of(full), options(16, solver, NMF_INIT_RANDOM, 1)));
		const Factors one = fit(full, options(16, solver, NMF_INIT_NNDSVDA, 1));
		for (int threads : {2, 3})
		{
			const Factors more = fit(full, options(16, solver, NMF_INIT_NNDSVDA, threads));
			EXPECT_TRUE(one.w == more.w) << solver << ", threads " << threads;
			EXPECT_TRUE(one.h == more.h) << solver << ", threads " << threads;
			EXPECT_EQ(one.loss, more.loss) << solver << ", threads " << threads;
		}
	}
}

// Only the Frobenius fits with absent cells as zeros go dense; the others
// keep the transpose their halves read.
TEST(Dense, OnlyCoveredOptionsGoDense)
{
	const Image full = stored(planted_with_zeros(40, 30, 0.0, 5), true);
	const NmfcMatrixView x = nmf_test::view_of(full);
	NmfcOptions opt = nmf_test::options(3, NMF_SOLVER_MU, NMF_LOSS_KL);
	EXPECT_FALSE(nmf::Fit::dense_path(x, opt));
	opt = nmf_test::options(3, NMF_SOLVER_HALS, NMF_LOSS_FROBENIUS, NMF_MISSING_IGNORE);
	EXPECT_FALSE(nmf::Fit::dense_path(x, opt));
	opt = nmf_test::options(3, NMF_SOLVER_HALS);
	opt.feedback = NMF_FEEDBACK_IMPLICIT;
	EXPECT_FALSE(nmf::Fit::dense_path(x, opt));
	opt = nmf_test::options(3, NMF_SOLVER_HALS);
	EXPECT_TRUE(nmf::Fit::dense_path(x, opt));
}

// The memory bound counts the dense block (8 bytes a cell) instead of the
// transpose (12 bytes a stored cell and the column pointers).
TEST(Dense, MemoryCountsTheDenseBlock)
{
	const Eigen::MatrixXd v = planted_with_zeros(200, 300, 0.0, 6);
	const Image full = stored(v, true);
	const NmfcMatrixView x = nmf_test::view_of(full);
	const NmfcOptions dense = nmf_test::options(4, NMF_SOLVER_HALS);
	const NmfcOptions kl = nmf_test::options(4, NMF_SOLVER_MU, NMF_LOSS_KL);
	const int64_t with_dense = nmfc_fit_memory(&x, &dense);
	const int64_t with_csc = nmfc_fit_memory(&x, &kl);
	EXPECT_GE(with_dense, 200 * 300 * 8);
	EXPECT_LT(with_dense, with_csc);
}
