// SPDX-License-Identifier: PostgreSQL
// The dense path of a fit (Fit::dense_path): a matrix that stores (nearly)
// every cell is held as one dense block instead of the CSC transpose. The
// same matrix fitted with its zeros stored (dense path) and absent (sparse
// path) gives the same bits, for any thread count (KL: the same to rounding).
#include <random>
#include <utility>

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

using nmf_test::Factors;
using nmf_test::fit_factors;

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
				const Factors a = fit_factors(full, opt);
				const Factors b = fit_factors(sparse, opt);
				const auto where = ::testing::Message()
				                   << "rank " << rank << ", solver " << solver << ", init " << init;
				EXPECT_TRUE(a.w == b.w) << where;
				EXPECT_TRUE(a.h == b.h) << where;
				EXPECT_EQ(a.loss, b.loss) << where;
				EXPECT_LT(a.loss, v.squaredNorm()) << where;
			}
}

// Several blocks on each side (512 columns per block at rank 16; KL's blocks
// of W H hold about 2^18 cells), so that the blocks really are shared out.
TEST(Dense, DensePathIsBitIdenticalForEveryThreadCount)
{
	const Image full = stored(planted_with_zeros(600, 1100, 0.0, 4), true);
	for (const auto &[solver, loss] :
	     {std::pair{NMF_SOLVER_HALS, NMF_LOSS_FROBENIUS},
	      std::pair{NMF_SOLVER_MU, NMF_LOSS_FROBENIUS}, std::pair{NMF_SOLVER_MU, NMF_LOSS_KL}})
	{
		NmfcOptions opt = options(16, solver, NMF_INIT_NNDSVDA, 1);
		opt.loss = loss;
		ASSERT_TRUE(nmf::Fit::dense_path(nmf_test::view_of(full), opt));
		const Factors one = fit_factors(full, opt);
		for (int threads : {3}) // an odd count, so that lanes take unequal shares
		{
			opt.threads = threads;
			const Factors more = fit_factors(full, opt);
			const auto where = ::testing::Message() << "solver " << solver << ", loss " << loss
			                                        << ", threads " << threads;
			EXPECT_TRUE(one.w == more.w) << where;
			EXPECT_TRUE(one.h == more.h) << where;
			EXPECT_EQ(one.loss, more.loss) << where;
		}
	}
}

// Only the Frobenius and KL fits with absent cells as zeros go dense; the
// others keep the transpose their halves read.
TEST(Dense, OnlyCoveredOptionsGoDense)
{
	const Image full = stored(planted_with_zeros(40, 30, 0.0, 5), true);
	const NmfcMatrixView x = nmf_test::view_of(full);
	NmfcOptions opt = nmf_test::options(3, NMF_SOLVER_MU, NMF_LOSS_BETA);
	opt.beta = 0.5;
	EXPECT_FALSE(nmf::Fit::dense_path(x, opt));
	opt = nmf_test::options(3, NMF_SOLVER_HALS, NMF_LOSS_FROBENIUS, NMF_MISSING_IGNORE);
	EXPECT_FALSE(nmf::Fit::dense_path(x, opt));
	opt = nmf_test::options(3, NMF_SOLVER_HALS);
	opt.feedback = NMF_FEEDBACK_IMPLICIT;
	EXPECT_FALSE(nmf::Fit::dense_path(x, opt));
	opt = nmf_test::options(3, NMF_SOLVER_HALS);
	opt.bias = 1;
	EXPECT_FALSE(nmf::Fit::dense_path(x, opt));
	EXPECT_TRUE(nmf::Fit::dense_path(x, nmf_test::options(3, NMF_SOLVER_HALS)));
	EXPECT_TRUE(nmf::Fit::dense_path(x, nmf_test::options(3, NMF_SOLVER_MU, NMF_LOSS_KL)));
}

// The memory bound counts the dense block (8 bytes a cell) instead of the
// transpose (12 bytes a stored cell, the column pointers and the cursors of
// its chunks): nothing else in it depends on the stored cells.
TEST(Dense, MemoryCountsTheDenseBlock)
{
	const int64_t m = 200, n = 300;
	const Eigen::MatrixXd v = planted_with_zeros(m, n, 0.45, 6);
	const Image full = stored(v, true);
	const Image sparse = stored(v, false);
	const NmfcMatrixView xf = nmf_test::view_of(full);
	const NmfcMatrixView xs = nmf_test::view_of(sparse);
	NmfcOptions opt = nmf_test::options(4, NMF_SOLVER_HALS);
	opt.threads = 1;
	ASSERT_TRUE(nmf::Fit::dense_path(xf, opt));
	ASSERT_FALSE(nmf::Fit::dense_path(xs, opt));
	const int64_t transpose =
	    xs.nnz * 12 + (n + 1) * 8 + n * nmf::transpose_chunks(m, n, xs.nnz, 1) * 8;
	EXPECT_EQ(nmfc_fit_memory(&xf, &opt) - nmfc_fit_memory(&xs, &opt), m * n * 8 - transpose);
	// Stored dense: the same on the dense path; off it the fit makes the CSR
	// indexes of the rows (the values are the image's).
	const Image dense = nmf_test::densified(full);
	const NmfcMatrixView xd = nmf_test::view_of(dense);
	EXPECT_EQ(nmfc_fit_memory(&xd, &opt), nmfc_fit_memory(&xf, &opt));
	opt.missing = NMF_MISSING_IGNORE;
	opt.reg = 0;
	ASSERT_FALSE(nmf::Fit::dense_path(xd, opt));
	EXPECT_EQ(nmfc_fit_memory(&xd, &opt) - nmfc_fit_memory(&xf, &opt), (m + 1) * 8 + m * n * 4);
}

// A matrix kept in the dense form (nmf_format.h's NMF_MATRIX_DENSE) fits to
// the bits of its CSR form, on the dense path and off it (where the fit
// makes the CSR indexes).
TEST(Dense, TheDenseFormFitsToTheBitsOfTheCsrForm)
{
	const Eigen::MatrixXd v = planted_with_zeros(90, 140, 0.1, 8);
	const Image csr = stored(v, true);
	const Image dense = nmf_test::densified(csr);
	ASSERT_EQ(nmf_test::flat(dense)->flags, NMF_MATRIX_DENSE);
	ASSERT_LT(dense.size(), csr.size());
	NmfcError err;
	ASSERT_EQ(nmfc_matrix_validate(dense.data(), dense.size(), &err), NMFC_OK) << err.message;
	struct Case
	{
		int solver, loss, missing;
		bool bias;
		double holdout;
	};
	for (const Case c : {Case{NMF_SOLVER_HALS, NMF_LOSS_FROBENIUS, NMF_MISSING_ZERO, false, 0.0},
	                     Case{NMF_SOLVER_MU, NMF_LOSS_FROBENIUS, NMF_MISSING_ZERO, false, 0.0},
	                     Case{NMF_SOLVER_GD, NMF_LOSS_FROBENIUS, NMF_MISSING_ZERO, false, 0.0},
	                     Case{NMF_SOLVER_MU, NMF_LOSS_KL, NMF_MISSING_ZERO, false, 0.0},
	                     Case{NMF_SOLVER_HALS, NMF_LOSS_FROBENIUS, NMF_MISSING_ZERO, false, 0.2},
	                     Case{NMF_SOLVER_HALS, NMF_LOSS_FROBENIUS, NMF_MISSING_IGNORE, true, 0.0},
	                     Case{NMF_SOLVER_MU, NMF_LOSS_FROBENIUS, NMF_MISSING_IGNORE, false, 0.0}})
	{
		NmfcOptions opt = options(6, c.solver, NMF_INIT_NNDSVDA, 2);
		opt.loss = c.loss;
		opt.missing = c.missing;
		opt.bias = c.bias ? 1 : 0;
		opt.holdout = c.holdout;
		if (c.missing == NMF_MISSING_IGNORE)
			opt.init = NMF_INIT_RANDOM;
		const Factors a = fit_factors(csr, opt);
		const Factors b = fit_factors(dense, opt);
		const auto where = ::testing::Message()
		                   << "solver " << c.solver << ", loss " << c.loss << ", missing "
		                   << c.missing << ", bias " << c.bias << ", holdout " << c.holdout;
		EXPECT_TRUE(a.w == b.w) << where;
		EXPECT_TRUE(a.h == b.h) << where;
		EXPECT_EQ(a.loss, b.loss) << where;
	}
}

// KL on the dense path goes by blocks of W H formed by matrix products: the
// same factors as the sparse path's sums over the stored cells, to rounding,
// and the same bits for any thread count (above).
TEST(Dense, KlByBlocksMatchesTheSparsePath)
{
	const Eigen::MatrixXd v = planted_with_zeros(150, 620, 0.45, 7);
	const Image full = stored(v, true);
	const Image sparse = stored(v, false);
	for (int init : {NMF_INIT_RANDOM, NMF_INIT_NNDSVDA})
	{
		NmfcOptions opt = options(6, NMF_SOLVER_MU, init, 2);
		opt.loss = NMF_LOSS_KL;
		opt.max_iter = 20;
		ASSERT_TRUE(nmf::Fit::dense_path(nmf_test::view_of(full), opt));
		ASSERT_FALSE(nmf::Fit::dense_path(nmf_test::view_of(sparse), opt));
		const Factors a = fit_factors(full, opt);
		const Factors b = fit_factors(sparse, opt);
		EXPECT_LT((a.w - b.w).cwiseAbs().maxCoeff(), 1e-9 * b.w.cwiseAbs().maxCoeff()) << init;
		EXPECT_LT((a.h - b.h).cwiseAbs().maxCoeff(), 1e-9 * b.h.cwiseAbs().maxCoeff()) << init;
		EXPECT_NEAR(a.loss, b.loss, 1e-9 * b.loss) << init;
	}
}
