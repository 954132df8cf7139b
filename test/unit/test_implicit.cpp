// SPDX-License-Identifier: PostgreSQL
// feedback = 'implicit': the confidence-weighted objective of Hu, Koren &
// Volinsky against a dense evaluation, its monotone decrease, the per-row
// optimality of W, and the same bits for every thread count.
#include <Eigen/Dense>
#include <cmath>

#include "solvers.hpp"
#include "sparse.hpp"
#include "test_util.hpp"

namespace
{

using nmf_test::Image;

constexpr double kAlpha = 3.0;
constexpr double kReg = 0.5;

NmfcOptions
implicit_options(int64_t rank)
{
	NmfcOptions opt = nmf_test::options(rank);
	opt.feedback = NMF_FEEDBACK_IMPLICIT;
	opt.alpha = kAlpha;
	opt.reg = kReg;
	return opt;
}

// sum over every cell of c (p - W^T H)^2 + reg (||W||^2 + ||H||^2), W r x m.
double
dense_objective(const Eigen::MatrixXd &v, const Eigen::MatrixXd &w, const Eigen::MatrixXd &h)
{
	const Eigen::MatrixXd p = (v.array() > 0).cast<double>();
	const Eigen::MatrixXd c = (1.0 + kAlpha * v.array()).matrix();
	const Eigen::MatrixXd e = p - w.transpose() * h;
	return (c.array() * e.array().square()).sum() + kReg * (w.squaredNorm() + h.squaredNorm());
}

struct Planted
{
	Eigen::MatrixXd dense;
	Image img;
	nmf::Problem p;
	nmf::CscMatrix xt;
};

void
make_problem(Planted &s, int64_t m, int64_t n, int64_t r)
{
	s.img = nmf_test::random_sparse(m, n, 0.15, 5, &s.dense);
	s.p.x = nmf_test::csr_of(s.img);
	s.xt = nmf::transpose(s.p.x, s.p.intr);
	s.p.xt = &s.xt;
	s.p.opt = implicit_options(r);
}

// A planted 30 x 20 problem at rank 3 from a random start, on one lane.
struct Started : Planted
{
	static constexpr int64_t r = 3;
	nmf::Matrix w{r, 30}, h{r, 20};
	nmf::Workspace ws{r, 0, 30, 1};
	Started()
	{
		make_problem(*this, 30, 20, r);
		nmf::init::random(p, w, h);
	}
};

} // namespace

TEST(Implicit, LossIsTheDenseWeightedObjective)
{
	Started t;
	const double loss = nmf::solver::implicit_loss(t.p, t.w, t.h, t.ws);
	const double want = dense_objective(t.dense, t.w, t.h);
	EXPECT_NEAR(loss, want, 1e-10 * want);
}

// Each half minimises each coordinate exactly, so the objective never rises;
// and it is the dense objective after every iteration.
TEST(Implicit, ObjectiveDecreasesMonotonically)
{
	Started t;
	double before = nmf::solver::implicit_loss(t.p, t.w, t.h, t.ws);
	for (int it = 0; it < 40; it++)
	{
		const double loss = nmf::solver::implicit_iteration(t.p, t.w, t.h, t.ws);
		EXPECT_LE(loss, before * (1 + 1e-12)) << "iteration " << it;
		EXPECT_NEAR(loss, dense_objective(t.dense, t.w, t.h), 1e-9 * loss) << "iteration " << it;
		before = loss;
	}
	EXPECT_GE(t.w.minCoeff(), 0.0);
	EXPECT_GE(t.h.minCoeff(), 0.0);
}

// After the W half, row i's w satisfies the KKT conditions of the dense
// normal equations (H C_i H^T + reg I) w = H C_i p_i, w >= 0, up to the few
// sweeps a half makes: so once converged, to near rounding.
TEST(Implicit, RowMatchesTheDenseNormalEquations)
{
	Started t;
	for (int it = 0; it < 300; it++)
		nmf::solver::implicit_iteration(t.p, t.w, t.h, t.ws);
	for (int64_t i : {0, 7, 29})
	{
		const Eigen::VectorXd pi = (t.dense.row(i).array() > 0).cast<double>();
		const Eigen::VectorXd ci = (1.0 + kAlpha * t.dense.row(i).array()).matrix();
		const Eigen::MatrixXd g = t.h * ci.asDiagonal() * t.h.transpose() +
		                          kReg * Eigen::MatrixXd::Identity(Started::r, Started::r);
		const Eigen::VectorXd b = t.h * ci.asDiagonal() * pi;
		const Eigen::VectorXd grad = g * t.w.col(i) - b;
		for (int64_t k = 0; k < Started::r; k++)
		{
			if (t.w(k, i) > 0)
				EXPECT_NEAR(grad(k), 0.0, 1e-6 * b.norm()) << "row " << i << ", factor " << k;
			else
				EXPECT_GE(grad(k), -1e-6 * b.norm()) << "row " << i << ", factor " << k;
		}
	}
}

// Several blocks on each side, so that the lanes really share them.
TEST(Implicit, BitIdenticalForEveryThreadCount)
{
	const Image x = nmf_test::random_sparse(1500, 700, 0.01, 11, nullptr);
	Eigen::MatrixXd w1, h1;
	NmfcOptions opt = implicit_options(16);
	opt.max_iter = 4;
	opt.tol = 0;
	opt.threads = 1;
	NmfcSummary s1;
	nmf_test::model_factors(nmf_test::fit_model(x, opt, &s1), &w1, &h1);
	for (int threads : {2, 3})
	{
		opt.threads = threads;
		Eigen::MatrixXd w2, h2;
		NmfcSummary s2;
		nmf_test::model_factors(nmf_test::fit_model(x, opt, &s2), &w2, &h2);
		EXPECT_TRUE(w1 == w2) << threads << " threads";
		EXPECT_TRUE(h1 == h2) << threads << " threads";
		EXPECT_EQ(s1.loss, s2.loss) << threads << " threads";
	}
}

TEST(Implicit, ModelRecordsFeedbackAndRefusesCombinations)
{
	const Image x = nmf_test::random_sparse(20, 10, 0.3, 1, nullptr);
	NmfcOptions opt = implicit_options(2);
	opt.max_iter = 3;
	const Image model = nmf_test::fit_model(x, opt);
	const NmfModelFlat *m = static_cast<const NmfModelFlat *>(model.data());
	EXPECT_EQ(m->feedback, NMF_FEEDBACK_IMPLICIT);
	EXPECT_EQ(m->alpha, kAlpha);
	EXPECT_EQ(m->reg, kReg);

	const NmfcMatrixView v = nmf_test::view_of(x);
	NmfcError err;
	NmfcFit *fit = nullptr;
	for (int which = 0; which < 4; which++)
	{
		NmfcOptions bad = implicit_options(2);
		if (which == 0)
			bad.missing = NMF_MISSING_IGNORE;
		else if (which == 1)
			bad.solver = NMF_SOLVER_MU;
		else if (which == 2)
		{
			bad.feedback = NMF_FEEDBACK_EXPLICIT; // alpha given without implicit
		}
		else
		{
			bad.bias = 1;
			bad.missing = NMF_MISSING_IGNORE;
		}
		EXPECT_EQ(nmfc_fit_create(&v, &bad, nullptr, &fit, &err), NMFC_INVALID_ARGUMENT) << which;
		EXPECT_EQ(fit, nullptr);
	}
}

// Without a ridge the fold-in of an implicit model solves each training row's
// own problem, on the normalised scale: at a stationary point it gives W back.
TEST(Implicit, TransformOfTheTrainingRowsGivesW)
{
	Eigen::MatrixXd dense;
	const Image matrix = nmf_test::random_sparse(12, 9, 0.3, 3, &dense);
	NmfcOptions opt = implicit_options(2);
	opt.reg = opt.tol = 0;
	opt.max_iter = 3000;
	const Image model = nmf_test::fit_model(matrix, opt);
	const NmfcModelView mv = nmfc_model_view(static_cast<const NmfModelFlat *>(model.data()));
	ASSERT_EQ(mv.feedback, NMF_FEEDBACK_IMPLICIT);
	const NmfcMatrixView xv = nmf_test::view_of(matrix);
	std::vector<double> out(static_cast<size_t>(12 * 2));
	int64_t uc, ucols;
	NmfcError err;
	ASSERT_EQ(nmfc_transform(&mv, &xv, nmf_matrix_col_ids(nmf_test::flat(matrix)), out.data(),
	                         nullptr, &uc, &ucols, nullptr, &err),
	          NMFC_OK)
	    << err.message;
	const double largest = Eigen::Map<const Eigen::VectorXd>(mv.w, 24).maxCoeff();
	for (size_t q = 0; q < out.size(); q++)
		EXPECT_NEAR(out[q], mv.w[q], 1e-6 * largest) << q;
}
