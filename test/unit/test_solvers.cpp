// SPDX-License-Identifier: PostgreSQL
// Every solver: the seed's example from every init, monotone objectives, KKT
// at convergence, masked fits that recover hidden cells, the seed paper's
// additive-equals-multiplicative step, determinism.
#include <Eigen/SVD>
#include <cmath>
#include <random>

#include "solvers.hpp"
#include "sparse.hpp"
#include "test_util.hpp"

using nmf_test::header;
using nmf_test::Image;
using nmf_test::options;
using nmf_test::seed_matrix;
using nmf_test::without_timing;

namespace
{

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
expect_non_increasing(const Image &model, const char *what)
{
	const NmfModelFlat *m = header(model);
	const double *loss = nmf_model_history_loss(m);
	ASSERT_GT(m->history_len, 5) << what;
	for (int64_t k = 1; k < m->history_len; k++)
		ASSERT_LE(loss[k], loss[k - 1] * (1 + 1e-12)) << what << ": iteration " << k + 1;
	EXPECT_LT(loss[m->history_len - 1], loss[0]) << what;
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
			nmf_test::expect_seed_optimum(nmf_test::fit_model(matrix, opt), what.c_str());
		}
	// Custom factors, and a warm start from a model of the same matrix.
	const double w0[] = {1, 1, 1};
	const double h0[] = {1, 1, 1};
	for (int solver : kSolvers)
	{
		NmfcOptions opt = options(1, solver);
		nmf_test::set_custom_init(opt, w0, 3, 1, h0, 1, 3);
		opt.max_iter = 2000;
		opt.tol = 1e-9;
		const Image model = nmf_test::fit_model(matrix, opt);
		nmf_test::expect_seed_optimum(model, "custom");
		EXPECT_EQ(header(model)->init, NMF_INIT_CUSTOM);

		NmfcOptions warm = options(1, solver);
		warm.init = NMF_INIT_WARM_START;
		warm.warm_start = model.data();
		warm.warm_start_size = model.size();
		NmfcSummary s;
		nmf_test::expect_seed_optimum(nmf_test::fit_model(matrix, warm, &s), "warm start");
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
			opt.reg = 0; // the objective without a ridge is the loss recorded
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
	nmf::Problem p;
	p.x = nmf_test::csr_of(img);
	const nmf::CscMatrix xt = nmf::transpose(p.x, p.intr);
	p.xt = &xt;
	nmfc_options_default(&p.opt, 4);
	p.opt.inner_updates = 1; // one update per product: the paper's step
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
	nmf_test::expect_seed_optimum(model, "gd with a fixed step");
	EXPECT_EQ(header(model)->learning_rate, 0.005);
}
