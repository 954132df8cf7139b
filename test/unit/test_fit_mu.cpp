// SPDX-License-Identifier: PostgreSQL
// The mu solver on the Frobenius loss: the seed's worked example, the
// normalisation convention, monotone loss, the cheap loss and determinism.
#include <Eigen/SVD>
#include <cmath>

#include "test_util.hpp"

using nmf_test::header;
using nmf_test::Image;
using nmf_test::seed_matrix;
using nmf_test::without_timing;

namespace
{

NmfcOptions
defaults(int64_t rank)
{
	return nmf_test::options(rank, NMF_SOLVER_MU);
}

// ||V - W H||^2 from dense matrices, the way the cheap loss must agree with.
[[maybe_unused]] double
dense_loss(const Eigen::MatrixXd &v, const Eigen::MatrixXd &w, const Eigen::MatrixXd &h)
{
	return (v - w * h).squaredNorm();
}

} // namespace

TEST(FitMu, SeedExampleMatchesLeadingSingularPair)
{
	const Eigen::MatrixXd v = seed_matrix();
	NmfcSummary s;
	const Image model = nmf_test::fit_model(nmf_test::dense_matrix(v), defaults(1), &s);
	Eigen::MatrixXd w, h;
	nmf_test::model_factors(model, &w, &h);

	// The rank-1 optimum of a positive matrix is its leading singular pair,
	// taken positive and scaled so that W sums to 1.
	Eigen::JacobiSVD<Eigen::MatrixXd> svd(v, Eigen::ComputeFullU | Eigen::ComputeFullV);
	const Eigen::VectorXd u1 = svd.matrixU().col(0).cwiseAbs();
	const Eigen::VectorXd v1 = svd.matrixV().col(0).cwiseAbs();
	const Eigen::VectorXd w_opt = u1 / u1.sum();
	const Eigen::VectorXd h_opt = svd.singularValues()(0) * u1.sum() * v1;

	for (int i = 0; i < 3; i++)
	{
		EXPECT_NEAR(w(i, 0), w_opt(i), 1e-3 * w_opt(i)) << "W row " << i;
		EXPECT_NEAR(h(0, i), h_opt(i), 1e-3 * h_opt(i)) << "H column " << i;
	}
	// The figures the seed documents quote.
	EXPECT_NEAR(w(0, 0), 0.3887, 5e-4);
	EXPECT_NEAR(w(1, 0), 0.3863, 5e-4);
	EXPECT_NEAR(w(2, 0), 0.2250, 5e-4);
	EXPECT_NEAR(h(0, 0), 11.223, 11.223e-3);
	EXPECT_NEAR(h(0, 1), 10.575, 10.575e-3);
	EXPECT_NEAR(h(0, 2), 5.413, 5.413e-3);
	std::printf("seed example: %d iterations, converged %d, loss %.10g, W = [%.6f %.6f %.6f], "
	            "H = [%.5f %.5f %.5f], optimum W = [%.6f %.6f %.6f] H = [%.5f %.5f %.5f]\n",
	            s.iterations, s.converged, s.loss, w(0, 0), w(1, 0), w(2, 0), h(0, 0), h(0, 1),
	            h(0, 2), w_opt(0), w_opt(1), w_opt(2), h_opt(0), h_opt(1), h_opt(2));
}

namespace
{

// The random sparse 60 x 40 matrix of the property tests below.
struct Sparse60x40
{
	Eigen::MatrixXd dense;
	Image matrix;
	Sparse60x40() : matrix(nmf_test::random_sparse(60, 40, 0.2, 7, &dense))
	{
	}
};

} // namespace

TEST(FitMu, WritesAValidNormalisedOrderedModel)
{
	Sparse60x40 data;
	NmfcSummary s;
	const Image model = nmf_test::fit_model(data.matrix, defaults(5), &s);
	NmfcError err;
	ASSERT_EQ(nmfc_model_validate(model.data(), model.size(), &err), NMFC_OK) << err.message;

	const NmfModelFlat *m = header(model);
	EXPECT_EQ(m->rows, 60);
	EXPECT_EQ(m->cols, 40);
	EXPECT_EQ(m->rank, 5);
	EXPECT_EQ(m->iterations, s.iterations);
	EXPECT_EQ(m->history_len, s.iterations);
	EXPECT_EQ(m->converged, s.converged);
	EXPECT_EQ(m->final_loss, s.loss);
	EXPECT_EQ(m->max_iter, 200);
	EXPECT_EQ(m->tol, 1e-4);
	EXPECT_EQ(nmf_model_row_ids(m)[0], 0);
	EXPECT_EQ(nmf_model_col_ids(m)[39], 39);

	Eigen::MatrixXd w, h;
	nmf_test::model_factors(model, &w, &h);
	for (int k = 0; k < 5; k++)
		EXPECT_NEAR(w.col(k).sum(), 1.0, 1e-12) << "W column " << k;
	for (int k = 1; k < 5; k++)
		EXPECT_GE(h.row(k - 1).sum(), h.row(k).sum()) << "factor " << k;
	// Normalising changes neither W H nor the loss.
	EXPECT_NEAR(dense_loss(data.dense, w, h), s.loss, 1e-9 * s.loss);
}

TEST(FitMu, LossNeverIncreases)
{
	Sparse60x40 data;
	NmfcOptions opt = defaults(5);
	opt.tol = 0;
	NmfcSummary s;
	const Image model = nmf_test::fit_model(data.matrix, opt, &s);
	ASSERT_EQ(s.iterations, 200);
	EXPECT_EQ(s.converged, 0);
	const double *loss = nmf_model_history_loss(header(model));
	for (int k = 1; k < 200; k++)
		EXPECT_LE(loss[k], loss[k - 1] * (1 + 1e-12)) << "iteration " << k + 1;
	EXPECT_LT(loss[199], loss[0]);
}

TEST(FitMu, CheapLossEqualsDenseResidual)
{
	Sparse60x40 data;
	const NmfMatrixFlat *mf = static_cast<const NmfMatrixFlat *>(data.matrix.data());
	const NmfcMatrixView v = nmf_test::view_of(data.matrix);
	NmfcOptions opt = defaults(5);
	opt.tol = 0;
	NmfcError err;
	NmfcFit *fit = nullptr;
	ASSERT_EQ(nmfc_fit_create(&v, &opt, nullptr, &fit, &err), NMFC_OK) << err.message;
	for (int k = 0; k <= 50; k++)
	{
		int done = 0;
		if (k > 0)
		{
			ASSERT_EQ(nmfc_fit_step(fit, &done, &err), NMFC_OK) << err.message;
		}
		if (k > 3 && k % 10 != 0)
			continue;
		NmfcSummary s;
		nmfc_fit_summary(fit, &s);
		Image model(static_cast<size_t>(nmfc_model_size(60, 40, 5, s.history_len)));
		ASSERT_EQ(nmfc_fit_write_model(fit, nmf_matrix_row_ids(mf), nmf_matrix_col_ids(mf),
		                               model.data(), model.size(), &err),
		          NMFC_OK)
		    << err.message;
		Eigen::MatrixXd w, h;
		nmf_test::model_factors(model, &w, &h);
		const double dense = dense_loss(data.dense, w, h);
		EXPECT_NEAR(s.loss, dense, 1e-9 * dense) << "after " << k << " iterations";
		EXPECT_NEAR(s.relative_error, std::sqrt(dense) / data.dense.norm(), 1e-9);
		EXPECT_NEAR(s.x_norm_sq, data.dense.squaredNorm(), 1e-12 * s.x_norm_sq);
	}
	nmfc_fit_free(fit);
}

TEST(FitMu, SameSeedSameModelOtherSeedOtherModel)
{
	Sparse60x40 data;
	NmfcOptions opt = defaults(5);
	opt.seed = 42;
	const Image a = without_timing(nmf_test::fit_model(data.matrix, opt));
	const Image b = without_timing(nmf_test::fit_model(data.matrix, opt));
	EXPECT_TRUE(a.same_bytes(b));
	opt.seed = 43;
	const Image c = without_timing(nmf_test::fit_model(data.matrix, opt));
	EXPECT_FALSE(a.same_bytes(c));
	// The seed is the one thing that differs in the header.
	EXPECT_EQ(header(c)->seed, 43);
}

TEST(FitMu, NegativeAndExtremeSeedsWork)
{
	const Image matrix = nmf_test::dense_matrix(seed_matrix());
	for (int64_t seed : {INT64_MIN, int64_t(-1), INT64_MAX})
	{
		NmfcOptions opt = defaults(1);
		opt.seed = seed;
		Eigen::MatrixXd w, h;
		nmf_test::model_factors(nmf_test::fit_model(matrix, opt), &w, &h);
		EXPECT_NEAR(w(0, 0), 0.38873, 1e-3) << "seed " << seed;
	}
}

TEST(FitMu, StopsAtMaxIterAndMaxSeconds)
{
	Sparse60x40 data;
	NmfcOptions opt = defaults(5);
	opt.max_iter = 7;
	NmfcSummary s;
	nmf_test::fit_model(data.matrix, opt, &s);
	EXPECT_EQ(s.iterations, 7);
	EXPECT_EQ(s.converged, 0);
	EXPECT_EQ(s.history_len, 7);

	opt = defaults(5);
	opt.max_seconds = 1e-300;
	nmf_test::fit_model(data.matrix, opt, &s);
	EXPECT_EQ(s.iterations, 1);
	EXPECT_EQ(s.converged, 0);
	EXPECT_GT(s.seconds, 0);
}

TEST(FitMu, ConvergesWithDefaultTolerance)
{
	Sparse60x40 data;
	NmfcSummary s;
	nmf_test::fit_model(data.matrix, defaults(2), &s);
	EXPECT_EQ(s.converged, 1);
	EXPECT_LT(s.iterations, 200);
	EXPECT_EQ(s.iterations % 10, 0);
}

TEST(FitMu, AllZeroMatrixConvergesToZero)
{
	const Image matrix = nmf_test::dense_matrix(Eigen::MatrixXd::Zero(3, 4));
	NmfcSummary s;
	const Image model = nmf_test::fit_model(matrix, defaults(2), &s);
	EXPECT_EQ(s.iterations, 1);
	EXPECT_EQ(s.converged, 1);
	EXPECT_EQ(s.loss, 0);
	EXPECT_EQ(s.relative_error, 0);
	Eigen::MatrixXd w, h;
	nmf_test::model_factors(model, &w, &h);
	EXPECT_EQ(w.sum(), 0);
	EXPECT_EQ(h.sum(), 0);
}

TEST(FitMu, RegularisationShrinksTheFactors)
{
	Sparse60x40 data;
	NmfcOptions opt = defaults(5);
	opt.tol = 0;
	opt.max_iter = 100;
	NmfcSummary plain, l1, l2;
	const Image a = nmf_test::fit_model(data.matrix, opt, &plain);
	opt.l1_w = opt.l1_h = 5;
	const Image b = nmf_test::fit_model(data.matrix, opt, &l1);
	opt.l1_w = opt.l1_h = 0;
	opt.l2_w = opt.l2_h = 5;
	const Image c = nmf_test::fit_model(data.matrix, opt, &l2);
	// A penalty trades fit for smaller factors: the loss can only be worse.
	EXPECT_GT(l1.loss, plain.loss);
	EXPECT_GT(l2.loss, plain.loss);
	Eigen::MatrixXd w, h;
	nmf_test::model_factors(a, &w, &h);
	const Eigen::Index plain_zeros = (h.array() < 1e-9).count();
	nmf_test::model_factors(b, &w, &h);
	EXPECT_GT((h.array() < 1e-9).count(), plain_zeros) << "l1 makes H sparser";
	EXPECT_EQ(header(b)->l1_w, 5);
	EXPECT_EQ(header(c)->l2_h, 5);
}
