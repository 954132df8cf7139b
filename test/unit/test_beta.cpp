// SPDX-License-Identifier: PostgreSQL
// loss = 'beta': the divergence on a 2 x 2 worked by hand, the update rule
// against a dense transcription of Fevotte & Idier's (scikit-learn's) rule,
// with absent cells as zeros and masked, and the options around it.
#include <cmath>
#include <functional>
#include <vector>

#include "test_util.hpp"

using nmf_test::Image;

namespace
{

using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

NmfcOptions
beta_options(int64_t rank, double beta, int missing = NMF_MISSING_ZERO)
{
	NmfcOptions opt = nmf_test::options(rank, NMF_SOLVER_MU, NMF_LOSS_BETA, missing);
	opt.beta = beta;
	opt.tol = 0;
	opt.reg = 0; // masked: no ridge chosen from the data
	return opt;
}

// The fit of `matrix` from W0, H0 after max_iter iterations: its loss, and
// W H from the model (the product does not depend on the normalisation).
struct FitRun
{
	NmfcSummary summary{};
	Eigen::MatrixXd wh;
};

FitRun
run(const Image &matrix, NmfcOptions opt, const RowMajor &w0, const RowMajor &h0, int max_iter)
{
	opt.max_iter = max_iter;
	nmf_test::set_custom_init(opt, w0.data(), w0.rows(), w0.cols(), h0.data(), h0.rows(),
	                          h0.cols());
	FitRun out;
	const Image model = nmf_test::fit_model(matrix, opt, &out.summary);
	Eigen::MatrixXd w, h;
	nmf_test::model_factors(model, &w, &h);
	out.wh = w * h;
	return out;
}

// One iteration of the rule, H then W, densely: the counted cells are those
// with mask 1 (all of them with absent cells as zeros).
void
dense_iteration(const Eigen::MatrixXd &v, const Eigen::MatrixXd &mask, double beta,
                Eigen::MatrixXd &w, Eigen::MatrixXd &h)
{
	const double eps = 0x1.0p-23;
	const double gamma = beta < 1 ? 1 / (2 - beta) : beta > 2 ? 1 / (beta - 1) : 1;
	auto weights = [&](const Eigen::MatrixXd &y, Eigen::MatrixXd &num, Eigen::MatrixXd &den) {
		num.resize(y.rows(), y.cols());
		den.resize(y.rows(), y.cols());
		for (Eigen::Index i = 0; i < y.rows(); i++)
			for (Eigen::Index j = 0; j < y.cols(); j++)
			{
				const double yn = (beta < 2 && y(i, j) == 0) ? eps : y(i, j);
				const double yd = (beta < 1 && y(i, j) == 0) ? eps : y(i, j);
				num(i, j) = mask(i, j) * v(i, j) * std::pow(yn, beta - 2);
				den(i, j) = mask(i, j) * std::pow(yd, beta - 1);
			}
	};
	auto finish = [&](Eigen::MatrixXd &f, const Eigen::MatrixXd &num, const Eigen::MatrixXd &den) {
		for (Eigen::Index k = 0; k < f.size(); k++)
		{
			const double d = den(k) == 0 ? eps : den(k);
			f(k) *= std::pow(num(k) / d, gamma);
			if (beta < 1 && f(k) < 2.220446049250313e-16)
				f(k) = 0;
		}
	};
	Eigen::MatrixXd num, den;
	weights(w * h, num, den);
	Eigen::MatrixXd hn = w.transpose() * num, hd = w.transpose() * den;
	finish(h, hn, hd);
	weights(w * h, num, den);
	Eigen::MatrixXd wn = num * h.transpose(), wd = den * h.transpose();
	finish(w, wn, wd);
}

// A 6 x 5 matrix with four absent cells, and a positive start.
struct Small
{
	Eigen::MatrixXd v = Eigen::MatrixXd(6, 5);
	Eigen::MatrixXd mask = Eigen::MatrixXd::Ones(6, 5);
	RowMajor w0 = RowMajor(6, 2);
	RowMajor h0 = RowMajor(2, 5);
	Image matrix;

	Small()
	{
		v << 1, 2, 0.5, 3, 1, 2, 1, 4, 0.25, 2, 3, 3, 1, 2, 5, 0.5, 1, 2, 2, 1, 4, 2, 3, 1, 2, 1, 3,
		    2, 2, 1;
		std::vector<NmfTriplet> t;
		for (int i = 0; i < 6; i++)
			for (int j = 0; j < 5; j++)
				if ((i * 5 + j) % 7 == 3)
				{
					v(i, j) = 0;
					mask(i, j) = 0;
				}
				else
					t.push_back(NmfTriplet{i, j, v(i, j)});
		matrix = nmf_test::matrix_from_triplets(t);
		for (int k = 0; k < 12; k++)
			w0.data()[k] = 0.2 + 0.1 * (k % 5);
		for (int k = 0; k < 10; k++)
			h0.data()[k] = 0.3 + 0.15 * (k % 4);
	}
};

} // namespace

// V = [1 2; 3 4], W = [1; 1], H = [2 2]: every (W H)_ij is 2.
TEST(Beta, DivergenceOfTwoByTwoByHand)
{
	Eigen::MatrixXd v(2, 2);
	v << 1, 2, 3, 4;
	const Image matrix = nmf_test::dense_matrix(v);
	RowMajor w0(2, 1), h0(1, 2);
	w0 << 1, 1;
	h0 << 2, 2;
	struct Case
	{
		double beta;
		double want;
	};
	const double r2 = std::sqrt(2.0), r3 = std::sqrt(3.0);
	for (const Case &c : {
	         // sum x / 2 - log(x / 2) - 1 = 5 - log(1 / 2 * 1 * 3 / 2 * 2) - 4
	         Case{0.0, 1 - std::log(1.5)},
	         // -4 (sum sqrt(x) - 1/2 sum sqrt(2) - 1/2 sum x / sqrt(2))
	         Case{0.5, -4 * (1 + r2 + r3 + 2 - 2 * r2 - 5 / r2)},
	         // (x^3 + 2 * 8 - 3 * 4 x) / 6: 5/6 + 0 + 7/6 + 32/6
	         Case{3.0, 44.0 / 6},
	         // half of (1 + 0 + 1 + 4)
	         Case{2.0, 3.0},
	         // sum x log(x / 2) - x + 2
	         Case{1.0, std::log(0.5) + 0 + 3 * std::log(1.5) + 4 * std::log(2.0) - 10 + 8},
	     })
	{
		const FitRun r = run(matrix, beta_options(1, c.beta), w0, h0, 0);
		EXPECT_NEAR(r.summary.loss, c.want, 1e-14 * std::max(1.0, c.want)) << "beta " << c.beta;
	}

	// Cell (0, 1) absent. As a zero it costs y^beta / beta = 2 sqrt(2) at beta
	// 1/2 instead of its stored term; masked it costs nothing.
	const Image sparse = nmf_test::matrix_from_triplets(
	    {NmfTriplet{0, 0, 1.0}, NmfTriplet{1, 0, 3.0}, NmfTriplet{1, 1, 4.0}});
	const double stored = -4 * (1 + r3 + 2 - 1.5 * r2 - 4 / r2);
	EXPECT_NEAR(run(sparse, beta_options(1, 0.5), w0, h0, 0).summary.loss, stored + 2 * r2, 1e-14);
	EXPECT_NEAR(run(sparse, beta_options(1, 0.5, NMF_MISSING_IGNORE), w0, h0, 0).summary.loss,
	            stored, 1e-14);
}

TEST(Beta, UpdateRuleMatchesTheDenseRule)
{
	const Small s;
	for (const int missing : {NMF_MISSING_ZERO, NMF_MISSING_IGNORE})
		for (const double beta : {-0.5, 0.0, 0.5, 1.5, 3.0})
		{
			if (beta <= 0 && missing == NMF_MISSING_ZERO)
				continue; // absent cells as zeros: refused (below)
			const Eigen::MatrixXd mask =
			    missing == NMF_MISSING_ZERO ? Eigen::MatrixXd::Ones(6, 5).eval() : s.mask;
			Eigen::MatrixXd w = s.w0, h = s.h0;
			for (int it = 0; it < 3; it++)
				dense_iteration(s.v, mask, beta, w, h);
			const FitRun r = run(s.matrix, beta_options(2, beta, missing), s.w0, s.h0, 3);
			const Eigen::MatrixXd want = w * h;
			EXPECT_LT((r.wh - want).cwiseAbs().maxCoeff(), 1e-12 * want.cwiseAbs().maxCoeff())
			    << "beta " << beta << " missing " << missing;
			// The divergence never increased (the majorisation's promise).
			EXPECT_EQ(r.summary.iterations, 3);
		}
}

TEST(Beta, DivergenceDoesNotIncrease)
{
	Eigen::MatrixXd dense;
	const Image matrix = nmf_test::random_sparse(30, 20, 0.3, 11, &dense);
	for (const double beta : {0.5, 1.5, 3.0})
	{
		NmfcOptions opt = beta_options(3, beta);
		opt.max_iter = 40;
		opt.init = NMF_INIT_RANDOM;
		NmfcSummary s;
		const Image model = nmf_test::fit_model(matrix, opt, &s);
		const NmfModelFlat *m = nmf_test::header(model);
		const double *loss = nmf_model_history_loss(m);
		for (int64_t k = 1; k < m->history_len; k++)
			EXPECT_LE(loss[k], loss[k - 1] * (1 + 1e-12)) << "beta " << beta << " iteration " << k;
		EXPECT_EQ(m->loss, NMF_LOSS_BETA);
		EXPECT_EQ(m->beta, beta);
	}
}

TEST(Beta, ThreadsDoNotChangeTheBits)
{
	Eigen::MatrixXd dense;
	const Image matrix = nmf_test::random_sparse(70, 300, 0.1, 5, &dense);
	for (const int missing : {NMF_MISSING_ZERO, NMF_MISSING_IGNORE})
	{
		NmfcOptions opt = beta_options(4, 0.5, missing);
		opt.init = NMF_INIT_RANDOM;
		opt.max_iter = 5;
		opt.threads = 1;
		const Image one = nmf_test::without_timing(nmf_test::fit_model(matrix, opt));
		opt.threads = 3;
		const Image three = nmf_test::without_timing(nmf_test::fit_model(matrix, opt));
		EXPECT_TRUE(one.same_bytes(three)) << "missing " << missing;
	}
}

TEST(Beta, OptionsResolveAndRefuse)
{
	NmfcOptions opt;
	nmfc_options_default(&opt, 1);
	EXPECT_EQ(opt.solver, NMF_SOLVER_AUTO);
	EXPECT_EQ(opt.beta, NMF_BETA_NONE);
	nmfc_options_resolve(&opt);
	EXPECT_EQ(opt.solver, NMF_SOLVER_HALS);

	nmfc_options_default(&opt, 1);
	opt.loss = NMF_LOSS_IS;
	nmfc_options_resolve(&opt);
	EXPECT_EQ(opt.solver, NMF_SOLVER_MU);
	EXPECT_EQ(opt.loss, NMF_LOSS_BETA);
	EXPECT_EQ(opt.beta, 0.0);

	Eigen::MatrixXd v(2, 2);
	v << 1, 2, 3, 4;
	const Image full = nmf_test::dense_matrix(v);
	const NmfcMatrixView x = nmf_test::view_of(full);
	const Image holed = nmf_test::matrix_from_triplets(
	    {NmfTriplet{0, 0, 1.0}, NmfTriplet{1, 0, 3.0}, NmfTriplet{1, 1, 4.0}});
	const NmfcMatrixView xh = nmf_test::view_of(holed);
	const Image zero =
	    nmf_test::matrix_from_triplets({NmfTriplet{0, 0, 1.0}, NmfTriplet{0, 1, 0.0},
	                                    NmfTriplet{1, 0, 3.0}, NmfTriplet{1, 1, 4.0}});
	const NmfcMatrixView xz = nmf_test::view_of(zero);
	struct Case
	{
		const NmfcMatrixView *x;
		std::function<void(NmfcOptions &)> set;
		const char *message; // nullptr: accepted
	};
	const Case cases[] =
	    {
	        {&x,
	         [](NmfcOptions &o) {
		o.loss = NMF_LOSS_BETA;
	         },
	         "loss 'beta' needs beta: 0 for Itakura-Saito, 1 for Kullback-Leibler, 2 for "
	         "Frobenius, "
	         "or another value in [-10, 10]"},
	        {&x, [](NmfcOptions &o) { o.beta = 1.5; },
	         "beta applies only to loss 'beta', not 'frobenius'; leave it NULL for the other "
	         "losses"},
	        {&x,
	         [](NmfcOptions &o) {
		o.loss = NMF_LOSS_IS;
		o.beta = 0;
	         },
	         "beta applies only to loss 'beta', not 'is'; leave it NULL for the other losses"},
	           {&x,
	            [](NmfcOptions &o) {
		o.loss = NMF_LOSS_BETA;
		o.beta = 0.5;
		o.solver = NMF_SOLVER_HALS;
	            },
	            "loss 'beta' works only with solver 'mu': solvers 'hals' and 'gd' minimise the "
	            "frobenius loss; leave solver NULL to have it"},
	    {&x, [](NmfcOptions &o) { o.loss = NMF_LOSS_IS; }, nullptr},
	    {&x, [](NmfcOptions &o) { o.loss = NMF_LOSS_KL; }, nullptr},
	    {&xh, [](NmfcOptions &o) { o.loss = NMF_LOSS_IS; },
	     "loss 'beta' with beta 0 <= 0 needs every counted cell > 0, but with missing 'zero' the "
	     "absent cells count as zeros; give missing 'ignore' so that only stored cells count, or "
	     "add a small offset to the values"},
	    {&xh,
	     [](NmfcOptions &o) {
		o.loss = NMF_LOSS_IS;
		o.missing = NMF_MISSING_IGNORE;
	     },
	     nullptr},
	    {&xz,
	     [](NmfcOptions &o) {
		o.loss = NMF_LOSS_BETA;
		o.beta = -1;
		o.missing = NMF_MISSING_IGNORE;
	     },
	     "loss 'beta' with beta -1 <= 0 needs every counted cell > 0, but the matrix stores a 0; "
	     "give missing 'ignore' so that only stored cells count, or add a small offset to the "
	     "values"},
	    {&xz,
	     [](NmfcOptions &o) {
		o.loss = NMF_LOSS_BETA;
		o.beta = 0.5;
	     },
	     nullptr},
	    };
	for (const Case &c : cases)
	{
		nmfc_options_default(&opt, 1);
		c.set(opt);
		NmfcError err;
		const int status = nmfc_options_validate(c.x, &opt, &err);
		if (c.message == nullptr)
			EXPECT_EQ(status, NMFC_OK) << err.message;
		else
		{
			EXPECT_EQ(status, NMFC_INVALID_ARGUMENT);
			EXPECT_STREQ(err.message, c.message);
		}
	}
	EXPECT_EQ(nmfc_option_set_real(&opt, NMFC_OPT_beta, 10.5, nullptr), NMFC_INVALID_ARGUMENT);
	EXPECT_EQ(nmfc_option_set_real(&opt, NMFC_OPT_beta, -10, nullptr), NMFC_OK);
}
