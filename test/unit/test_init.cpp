// SPDX-License-Identifier: PostgreSQL
// Where a fit starts: nndsvd, custom initial factors and their checks, a warm
// start matched by ids, and max_iter = 0 returning the start.
#include "test_util.hpp"

using nmf_test::header;
using nmf_test::Image;
using nmf_test::options;
using nmf_test::seed_matrix;

TEST(Solvers, NndsvdOfARankOneMatrixIsExact)
{
	Eigen::VectorXd a(4), b(5);
	a << 1, 2, 3, 4;
	b << 5, 1, 2, 0.5, 3;
	const Image matrix = nmf_test::dense_matrix(a * b.transpose());
	NmfcOptions opt = options(1, NMF_SOLVER_HALS);
	opt.init = NMF_INIT_NNDSVD;
	const NmfcMatrixView v = nmf_test::view_of(matrix);
	NmfcFit *fit = nullptr;
	NmfcError err;
	ASSERT_EQ(nmfc_fit_create(&v, &opt, nullptr, &fit, &err), NMFC_OK) << err.message;
	NmfcSummary s;
	nmfc_fit_summary(fit, &s);
	EXPECT_LT(s.loss, 1e-20);
	nmfc_fit_free(fit);
}

TEST(Solvers, InitialFactorsAreChecked)
{
	const Image matrix = nmf_test::dense_matrix(seed_matrix());
	const NmfcMatrixView v = nmf_test::view_of(matrix);
	const double w0[] = {1, -1, 1};
	const double h0[] = {1, 1, 1};
	NmfcOptions opt = options(1, NMF_SOLVER_HALS);
	nmf_test::set_custom_init(opt, w0, 3, 1, h0, 3, 1);
	NmfcFit *fit = nullptr;
	NmfcError err;
	EXPECT_EQ(nmfc_fit_create(&v, &opt, nullptr, &fit, &err), NMFC_INVALID_ARGUMENT);
	EXPECT_STREQ(err.message, "h_init is 3 x 1, expected rank x cols = 1 x 3");
	opt.h_init_rows = 1;
	opt.h_init_cols = 3;
	EXPECT_EQ(nmfc_fit_create(&v, &opt, nullptr, &fit, &err), NMFC_INVALID_ARGUMENT);
	EXPECT_STREQ(err.message, "w_init has the value -1 at position 2: every value must be a "
	                          "finite number >= 0");
	EXPECT_EQ(fit, nullptr);
}

TEST(Solvers, WarmStartMatchesIdsAndFillsNewOnes)
{
	Eigen::MatrixXd dense;
	const Image matrix = nmf_test::random_sparse(60, 40, 0.2, 7, &dense);
	NmfcOptions opt = options(4, NMF_SOLVER_HALS);
	opt.max_iter = 500;
	opt.tol = 1e-8;
	NmfcSummary first;
	const Image model = nmf_test::fit_model(matrix, opt, &first);

	// The same matrix with 5 more rows: a warm start begins close to the end.
	std::vector<NmfTriplet> t;
	for (Eigen::Index i = 0; i < 65; i++)
		for (Eigen::Index j = 0; j < 40; j++)
		{
			const double x = i < 60 ? dense(i, j) : dense(i - 60, j);
			if (x != 0)
				t.push_back(NmfTriplet{i, j, x});
		}
	const Image bigger = nmf_test::matrix_from_triplets(t);
	NmfcOptions warm = options(4, NMF_SOLVER_HALS);
	warm.init = NMF_INIT_WARM_START;
	warm.warm_start = model.data();
	warm.warm_start_size = model.size();
	warm.max_iter = 1;
	NmfcSummary s_warm, s_cold;
	nmf_test::fit_model(bigger, warm, &s_warm);
	NmfcOptions cold = options(4, NMF_SOLVER_HALS);
	cold.max_iter = 1;
	nmf_test::fit_model(bigger, cold, &s_cold);
	cold.max_iter = 500;
	cold.tol = 1e-8;
	NmfcSummary s_best;
	nmf_test::fit_model(bigger, cold, &s_best);
	// One iteration from the warm start is within 3% of the converged loss,
	// one from a random start more than 10% above it.
	EXPECT_LT(s_warm.loss, 1.03 * s_best.loss);
	EXPECT_GT(s_cold.loss, 1.10 * s_best.loss);

	warm = options(3, NMF_SOLVER_HALS);
	warm.init = NMF_INIT_WARM_START;
	warm.warm_start = model.data();
	warm.warm_start_size = model.size();
	const NmfcMatrixView v = nmf_test::view_of(bigger);
	NmfcError err;
	NmfcFit *fit = nullptr;
	EXPECT_EQ(nmfc_fit_create(&v, &warm, nullptr, &fit, &err), NMFC_INVALID_ARGUMENT);
	EXPECT_STREQ(err.message, "the warm_start model has rank 4, not the rank 3 asked for");
}

TEST(Solvers, MaxIterZeroKeepsTheInit)
{
	const Image matrix = nmf_test::dense_matrix(seed_matrix());
	NmfcOptions opt = options(1, NMF_SOLVER_HALS);
	opt.init = NMF_INIT_NNDSVD;
	opt.max_iter = 0;
	NmfcSummary s;
	const Image model = nmf_test::fit_model(matrix, opt, &s);
	EXPECT_EQ(s.iterations, 0);
	EXPECT_EQ(s.history_len, 0);
	EXPECT_EQ(header(model)->max_iter, 0);
	// NNDSVD at rank 1 is the leading singular pair: already the optimum.
	nmf_test::expect_seed_optimum(model, "nndsvd, no iteration");
}
