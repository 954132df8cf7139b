// SPDX-License-Identifier: PostgreSQL
// Every solver and every init: the seed's example, monotone objectives, KKT
// at convergence, masked fits that recover hidden cells, the seed paper's
// additive-equals-multiplicative step, determinism and option checks.
#include <Eigen/SVD>
#include <cmath>
#include <random>

#include "solvers.hpp"
#include "sparse.hpp"
#include "test_util.hpp"

using nmf_test::Image;

namespace
{

NmfcOptions
options(int64_t rank, int solver, int loss = NMF_LOSS_FROBENIUS, int missing = NMF_MISSING_ZERO)
{
	NmfcOptions opt;
	nmfc_options_default(&opt, rank);
	opt.solver = solver;
	opt.loss = loss;
	opt.missing = missing;
	return opt;
}

const NmfModelFlat *
header(const Image &model)
{
	return static_cast<const NmfModelFlat *>(model.data());
}

Eigen::MatrixXd
seed_matrix()
{
	Eigen::MatrixXd v(3, 3);
	v << 5, 4, 1, 4, 5, 1, 2, 1, 5;
	return v;
}

// Triplets of the cells of v where keep(i, j), row ids 100 + i, column ids 200 + j.
template <class Keep>
Image
cells(const Eigen::MatrixXd &v, Keep keep)
{
	std::vector<NmfTriplet> t;
	for (Eigen::Index i = 0; i < v.rows(); i++)
		for (Eigen::Index j = 0; j < v.cols(); j++)
			if (keep(i, j))
				t.push_back(NmfTriplet{100 + i, 200 + j, v(i, j)});
	return nmf_test::matrix_from_triplets(t);
}

// A planted rank-r non-negative matrix plus |N(0, noise)| noise.
Eigen::MatrixXd
planted(int64_t m, int64_t n, int64_t r, double noise, uint64_t seed)
{
	std::mt19937_64 rng(seed);
	std::uniform_real_distribution<double> u(0.0, 1.0);
	std::normal_distribution<double> g(0.0, 1.0);
	Eigen::MatrixXd w(m, r), h(r, n);
	for (Eigen::Index k = 0; k < w.size(); k++)
		w.data()[k] = 2 * u(rng);
	for (Eigen::Index k = 0; k < h.size(); k++)
		h.data()[k] = 2 * u(rng);
	Eigen::MatrixXd v = w * h;
	for (Eigen::Index k = 0; k < v.size(); k++)
		v.data()[k] = std::max(0.0, v.data()[k] + noise * g(rng));
	return v;
}

void
expect_seed_optimum(const Image &model, const char *what)
{
	Eigen::MatrixXd w, h;
	nmf_test::model_factors(model, &w, &h);
	const double want_w[] = {0.38873, 0.38630, 0.22497};
	const double want_h[] = {11.2232, 10.5753, 5.41347};
	for (int i = 0; i < 3; i++)
	{
		EXPECT_NEAR(w(i, 0), want_w[i], 1e-3 * want_w[i]) << what << ": W row " << i;
		EXPECT_NEAR(h(0, i), want_h[i], 1e-3 * want_h[i]) << what << ": H column " << i;
	}
}

void
expect_non_increasing(const Image &model, const char *what)
{
	const NmfModelFlat *m = header(model);
	const double *loss = nmf_model_history_loss(m);
	ASSERT_GT(m->history_len, 5) << what;
	for (int64_t k = 1; k < m->history_len; k++)
		ASSERT_LE(loss[k], loss[k - 1] * (1 + 1e-12)) << what << ": iteration " << k + 1;
	EXPECT_LT(loss[m->history_len - 1], loss[0]) << what;
}

Image
without_timing(const Image &model)
{
	Image copy = model;
	NmfModelFlat *m = static_cast<NmfModelFlat *>(copy.data());
	m->seconds = 0;
	double *seconds = const_cast<double *>(nmf_model_history_seconds(m));
	for (int64_t i = 0; i < m->history_len; i++)
		seconds[i] = 0;
	return copy;
}

constexpr int kSolvers[] = {NMF_SOLVER_MU, NMF_SOLVER_HALS, NMF_SOLVER_GD};
constexpr int kInits[] = {NMF_INIT_RANDOM, NMF_INIT_NNDSVD, NMF_INIT_NNDSVDA, NMF_INIT_NNDSVDAR};

} // namespace

TEST(Solvers, SeedExampleEverySolverEveryInit)
{
	const Image matrix = nmf_test::dense_matrix(seed_matrix());
	for (int solver : kSolvers)
		for (int init : kInits)
		{
			NmfcOptions opt = options(1, solver);
			opt.init = init;
			opt.max_iter = 2000;
			opt.tol = 1e-9;
			const std::string what =
			    std::string(nmfc_solver_name(solver)) + " from " + nmfc_init_name(init);
			expect_seed_optimum(nmf_test::fit_model(matrix, opt), what.c_str());
		}
	// Custom factors, and a warm start from a model of the same matrix.
	const double w0[] = {1, 1, 1};
	const double h0[] = {1, 1, 1};
	for (int solver : kSolvers)
	{
		NmfcOptions opt = options(1, solver);
		opt.init = NMF_INIT_CUSTOM;
		opt.w_init = w0;
		opt.w_init_rows = 3;
		opt.w_init_cols = 1;
		opt.h_init = h0;
		opt.h_init_rows = 1;
		opt.h_init_cols = 3;
		opt.max_iter = 2000;
		opt.tol = 1e-9;
		const Image model = nmf_test::fit_model(matrix, opt);
		expect_seed_optimum(model, "custom");
		EXPECT_EQ(header(model)->init, NMF_INIT_CUSTOM);

		NmfcOptions warm = options(1, solver);
		warm.init = NMF_INIT_WARM_START;
		warm.warm_start = model.data();
		warm.warm_start_size = model.size();
		NmfcSummary s;
		expect_seed_optimum(nmf_test::fit_model(matrix, warm, &s), "warm start");
		EXPECT_EQ(s.iterations, 10) << "a converged start converges at the first check";
	}
}

TEST(Solvers, MuAndGdFromTheSameInitReachTheSameFactors)
{
	const Image matrix = nmf_test::dense_matrix(seed_matrix());
	NmfcOptions opt = options(1, NMF_SOLVER_MU);
	opt.init = NMF_INIT_NNDSVDA;
	opt.max_iter = 3000;
	opt.tol = 0;
	Eigen::MatrixXd wm, hm, wg, hg;
	nmf_test::model_factors(nmf_test::fit_model(matrix, opt), &wm, &hm);
	opt.solver = NMF_SOLVER_GD;
	nmf_test::model_factors(nmf_test::fit_model(matrix, opt), &wg, &hg);
	EXPECT_LT((wm - wg).norm(), 1e-9);
	EXPECT_LT((hm - hg).norm() / hm.norm(), 1e-9);
}

TEST(Solvers, ObjectiveNeverIncreases)
{
	Eigen::MatrixXd dense;
	const Image matrix = nmf_test::random_sparse(60, 40, 0.2, 7, &dense);
	struct Case
	{
		int solver, loss, missing;
		const char *what;
	} cases[] = {
	    {NMF_SOLVER_MU, NMF_LOSS_FROBENIUS, NMF_MISSING_ZERO, "mu"},
	    {NMF_SOLVER_MU, NMF_LOSS_FROBENIUS, NMF_MISSING_IGNORE, "mu masked"},
	    {NMF_SOLVER_MU, NMF_LOSS_KL, NMF_MISSING_ZERO, "mu kl"},
	    {NMF_SOLVER_MU, NMF_LOSS_KL, NMF_MISSING_IGNORE, "mu kl masked"},
	    {NMF_SOLVER_HALS, NMF_LOSS_FROBENIUS, NMF_MISSING_ZERO, "hals"},
	    {NMF_SOLVER_HALS, NMF_LOSS_FROBENIUS, NMF_MISSING_IGNORE, "hals masked"},
	    {NMF_SOLVER_GD, NMF_LOSS_FROBENIUS, NMF_MISSING_ZERO, "gd"},
	    {NMF_SOLVER_GD, NMF_LOSS_FROBENIUS, NMF_MISSING_IGNORE, "gd masked"},
	};
	for (const Case &c : cases)
		for (int init : {NMF_INIT_RANDOM, NMF_INIT_NNDSVDA})
		{
			NmfcOptions opt = options(5, c.solver, c.loss, c.missing);
			opt.init = init;
			opt.tol = 0;
			opt.max_iter = 100;
			expect_non_increasing(nmf_test::fit_model(matrix, opt), c.what);
		}
}

TEST(Solvers, HalsIsAtAKktPointWhenConverged)
{
	const Eigen::MatrixXd v = planted(50, 30, 3, 0.1, 11);
	const Image matrix = nmf_test::dense_matrix(v);
	NmfcOptions opt = options(3, NMF_SOLVER_HALS);
	opt.tol = 1e-9;
	opt.max_iter = 5000;
	NmfcSummary s;
	Eigen::MatrixXd w, h;
	nmf_test::model_factors(nmf_test::fit_model(matrix, opt, &s), &w, &h);
	EXPECT_EQ(s.converged, 1);
	// Balance the factors (W H unchanged), then min(F, grad F) = 0 at a KKT point.
	for (int k = 0; k < 3; k++)
	{
		const double d = std::sqrt(h.row(k).norm() / w.col(k).norm());
		w.col(k) *= d;
		h.row(k) /= d;
	}
	const Eigen::MatrixXd gw = (w * h - v) * h.transpose();
	const Eigen::MatrixXd gh = w.transpose() * (w * h - v);
	const double kkt_w = w.cwiseMin(gw).norm() / (v.norm() * h.norm());
	const double kkt_h = h.cwiseMin(gh).norm() / (v.norm() * w.norm());
	EXPECT_LT(kkt_w, 1e-5);
	EXPECT_LT(kkt_h, 1e-5);
	std::printf("hals KKT residuals after %d iterations: W %.3g, H %.3g\n", s.iterations, kkt_w,
	            kkt_h);
}

TEST(Solvers, MaskedFitsRecoverHiddenCells)
{
	const double noise = 0.1;
	const Eigen::MatrixXd v = planted(80, 60, 3, noise, 5);
	std::mt19937_64 rng(9);
	std::uniform_real_distribution<double> u(0.0, 1.0);
	Eigen::MatrixXi hidden(80, 60);
	for (Eigen::Index k = 0; k < hidden.size(); k++)
		hidden.data()[k] = u(rng) < 0.3;
	const Image observed = cells(v, [&](Eigen::Index i, Eigen::Index j) { return !hidden(i, j); });
	for (int solver : kSolvers)
	{
		NmfcOptions opt = options(3, solver, NMF_LOSS_FROBENIUS, NMF_MISSING_IGNORE);
		opt.tol = 1e-7;
		opt.max_iter = 3000;
		Eigen::MatrixXd w, h;
		nmf_test::model_factors(nmf_test::fit_model(observed, opt), &w, &h);
		const Eigen::MatrixXd wh = w * h;
		double sum = 0;
		int count = 0;
		for (Eigen::Index i = 0; i < 80; i++)
			for (Eigen::Index j = 0; j < 60; j++)
				if (hidden(i, j))
				{
					sum += (wh(i, j) - v(i, j)) * (wh(i, j) - v(i, j));
					count++;
				}
		const double rmse = std::sqrt(sum / count);
		EXPECT_LT(rmse, 1.5 * noise) << nmfc_solver_name(solver);
		std::printf("%s masked: RMSE on %d hidden cells %.4f (noise %.2f)\n",
		            nmfc_solver_name(solver), count, rmse, noise);
	}
	// Absent cells taken as zeros pull the hidden predictions towards 0.
	NmfcOptions zero = options(3, NMF_SOLVER_HALS);
	Eigen::MatrixXd w, h;
	nmf_test::model_factors(nmf_test::fit_model(observed, zero), &w, &h);
	double sum = 0;
	for (Eigen::Index i = 0; i < 80; i++)
		for (Eigen::Index j = 0; j < 60; j++)
			if (hidden(i, j))
				sum += std::pow((w * h)(i, j) - v(i, j), 2);
	EXPECT_GT(std::sqrt(sum / hidden.sum()), 5 * noise);
}

// The seed paper's point: additive descent with the per-element step
// eta = H / (W^T W H) is the multiplicative update.
TEST(Solvers, AdditiveStepWithMuLearningRateIsMultiplicative)
{
	Eigen::MatrixXd dense;
	const Image img = nmf_test::random_sparse(30, 20, 0.3, 3, &dense);
	const NmfMatrixFlat *mf = static_cast<const NmfMatrixFlat *>(img.data());
	nmf::Problem p;
	p.x.rows = mf->rows;
	p.x.cols = mf->cols;
	p.x.nnz = mf->nnz;
	p.x.row_ptr = nmf_matrix_row_ptr(mf);
	p.x.col_idx = nmf_matrix_col_idx(mf);
	p.x.values = nmf_matrix_values(mf);
	const nmf::CscMatrix xt = nmf::transpose(p.x, p.intr);
	p.xt = &xt;
	nmfc_options_default(&p.opt, 4);
	const int64_t r = 4;
	nmf::Matrix w(r, 30), h(r, 20);
	nmf::init::random(p, w, h);
	nmf::Workspace ws(r, 30, 30, 1);
	const nmf::Matrix gram_w = w * w.transpose();

	nmf::Matrix h_mu = h, gram_h(r, r);
	nmf::solver::mu_half(p, nmf::half_h(p), w, gram_w, h_mu, gram_h, ws);

	const nmf::Matrix eta = h.array() / (gram_w * h).array();
	nmf::Matrix h_gd = h;
	nmf::solver::gd_elementwise_step(p, nmf::half_h(p), w, gram_w, eta, h_gd, ws);
	EXPECT_LT((h_mu - h_gd).cwiseAbs().maxCoeff(), 1e-12 * h_mu.cwiseAbs().maxCoeff());
	// A plain fixed step is not the same thing.
	nmf::Matrix h_fixed = h;
	const nmf::Matrix one = nmf::Matrix::Constant(r, 20, eta.mean());
	nmf::solver::gd_elementwise_step(p, nmf::half_h(p), w, gram_w, one, h_fixed, ws);
	EXPECT_GT((h_mu - h_fixed).cwiseAbs().maxCoeff(), 1e-6);
}

TEST(Solvers, EverySolverIsDeterministic)
{
	const Image matrix = nmf_test::random_sparse(60, 40, 0.2, 7, nullptr);
	for (int solver : kSolvers)
		for (int missing : {NMF_MISSING_ZERO, NMF_MISSING_IGNORE})
		{
			NmfcOptions opt = options(4, solver, NMF_LOSS_FROBENIUS, missing);
			opt.init = NMF_INIT_NNDSVDAR;
			opt.seed = 17;
			opt.max_iter = 30;
			const Image a = without_timing(nmf_test::fit_model(matrix, opt));
			const Image b = without_timing(nmf_test::fit_model(matrix, opt));
			EXPECT_TRUE(a.same_bytes(b)) << nmfc_solver_name(solver) << " " << missing;
		}
}

TEST(Solvers, GdFixedLearningRate)
{
	const Image matrix = nmf_test::dense_matrix(seed_matrix());
	NmfcOptions opt = options(1, NMF_SOLVER_GD);
	opt.learning_rate = 0.005;
	opt.max_iter = 3000;
	opt.tol = 1e-10;
	const Image model = nmf_test::fit_model(matrix, opt);
	expect_seed_optimum(model, "gd with a fixed step");
	EXPECT_EQ(header(model)->learning_rate, 0.005);
}

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
	opt.init = NMF_INIT_CUSTOM;
	opt.w_init = w0;
	opt.w_init_rows = 3;
	opt.w_init_cols = 1;
	opt.h_init = h0;
	opt.h_init_rows = 3;
	opt.h_init_cols = 1;
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
	expect_seed_optimum(model, "nndsvd, no iteration");
}
