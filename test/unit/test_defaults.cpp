// SPDX-License-Identifier: PostgreSQL
// What a masked fit gives without tuning: the count-scaled ridge, the ridge
// chosen from the data, the weight bound that stops a fit growing without
// end, the baseline start of a biased fit, early stopping on held-out cells,
// clipping to the training range, and the tuner's choice of rank.
#include <cmath>
#include <random>
#include <vector>

#include "ensemble.hpp"
#include "test_util.hpp"
#include "tune.hpp"

using nmf_test::Image;

namespace
{

// Ratings-like cells 1..5 of a planted non-negative rank-`rank` matrix plus
// noise, on a random `density` of the cells (every row and column present);
// the others are returned as held-out cells.
struct Ratings
{
	std::vector<NmfTriplet> train, test;
};

Ratings
planted_ratings(int64_t m, int64_t n, int64_t rank, double density, double noise, uint64_t seed)
{
	std::mt19937_64 rng(seed);
	std::gamma_distribution<double> g(2.0, 1.0);
	std::normal_distribution<double> e(0.0, noise);
	std::uniform_real_distribution<double> u(0.0, 1.0);
	const Eigen::MatrixXd w = Eigen::MatrixXd::NullaryExpr(m, rank, [&] { return g(rng); });
	const Eigen::MatrixXd h = Eigen::MatrixXd::NullaryExpr(rank, n, [&] { return g(rng); });
	const Eigen::MatrixXd v = w * h;
	const double scale = 4.0 / v.maxCoeff();
	Ratings r;
	for (int64_t i = 0; i < m; i++)
		for (int64_t j = 0; j < n; j++)
		{
			const double x = std::clamp(1.0 + scale * v(i, j) + e(rng), 1.0, 5.0);
			(u(rng) < density || i % n == j || j % m == i ? r.train : r.test)
			    .push_back(NmfTriplet{i, j, x});
		}
	return r;
}

NmfcOptions
masked(int64_t rank)
{
	return nmf_test::options(rank, NMF_SOLVER_HALS, NMF_LOSS_FROBENIUS, NMF_MISSING_IGNORE);
}

// The model of a fit of r's training cells.
Image
fit_train(const Ratings &r, const NmfcOptions &opt, NmfcSummary *summary = nullptr)
{
	return nmf_test::fit_model(nmf_test::matrix_from_triplets(r.train), opt, summary);
}

double
test_rmse(const Image &model, const std::vector<NmfTriplet> &cells)
{
	const NmfcModelView v = nmfc_model_view(nmf_test::header(model));
	double sse = 0;
	for (const NmfTriplet &t : cells)
	{
		double out = 0;
		uint8_t known = 0;
		NmfcError err;
		EXPECT_EQ(nmfc_predict_pairs(&v, 1, &t.row, &t.col, nullptr, &out, &known, nullptr, &err),
		          NMFC_OK);
		sse += (t.value - out) * (t.value - out);
	}
	return std::sqrt(sse / static_cast<double>(cells.size()));
}

double
max_product(const Image &model)
{
	const NmfModelFlat *m = nmf_test::header(model);
	double best = 0;
	for (int64_t k = 0; k < m->rank; k++)
	{
		double wk = 0, hk = 0;
		for (int64_t i = 0; i < m->rows; i++)
			wk = std::max(wk, nmf_model_w(m)[i * m->rank + k]);
		for (int64_t j = 0; j < m->cols; j++)
			hk = std::max(hk, nmf_model_h(m)[j * m->rank + k]);
		best = std::max(best, wk * hk);
	}
	return best;
}

} // namespace

// Every row of a full matrix has n cells and every column m: reg is then the
// uniform ridge reg * n on W and reg * m on H.
TEST(Defaults, RegIsTheRidgeScaledByEachLinesCells)
{
	Eigen::MatrixXd dense;
	const Image matrix = nmf_test::random_sparse(12, 9, 1.0, 3, &dense);
	// solver mu: its ridge pulls toward 0, as the uniform l2 (hals's pulls
	// toward the mean line: RidgePullsTowardTheMeanLine)
	NmfcOptions scaled = masked(3);
	scaled.solver = NMF_SOLVER_MU;
	scaled.reg = 0.05;
	scaled.tol = 0;
	scaled.max_iter = 30;
	NmfcOptions uniform = scaled;
	uniform.reg = 0;
	uniform.l2_w = 0.05 * 9;
	uniform.l2_h = 0.05 * 12;
	Eigen::MatrixXd w1, h1, w2, h2;
	nmf_test::model_factors(nmf_test::fit_model(matrix, scaled), &w1, &h1);
	nmf_test::model_factors(nmf_test::fit_model(matrix, uniform), &w2, &h2);
	EXPECT_LT(((w1 * h1) - (w2 * h2)).cwiseAbs().maxCoeff(), 1e-10);
	// and the ridge does something
	NmfcOptions none = scaled;
	none.reg = 0;
	Eigen::MatrixXd w3, h3;
	nmf_test::model_factors(nmf_test::fit_model(matrix, none), &w3, &h3);
	EXPECT_GT(((w1 * h1) - (w3 * h3)).cwiseAbs().maxCoeff(), 1e-3);
}

// Solver hals's count-scaled ridge pulls each line toward its side's mean
// line: a large one leaves every line of H (and of W) near the mean, not
// near 0, and a column of one cell is pulled to the others' level.
TEST(Defaults, RidgePullsTowardTheMeanLine)
{
	Eigen::MatrixXd dense;
	const Image matrix = nmf_test::random_sparse(30, 20, 0.5, 3, &dense);
	NmfcOptions opt = masked(3);
	opt.reg = 100;
	opt.max_iter = 300;
	Eigen::MatrixXd w, h;
	nmf_test::model_factors(nmf_test::fit_model(matrix, opt), &w, &h);
	const Eigen::VectorXd h_mean = h.rowwise().mean();
	EXPECT_GT(h_mean.norm(), 0.1 * h.norm() / std::sqrt(20.0)) << "H shrunk to 0";
	for (Eigen::Index j = 0; j < h.cols(); j++)
		EXPECT_LT((h.col(j) - h_mean).norm(), 0.05 * h_mean.norm()) << "column " << j;
	const Eigen::VectorXd w_mean = w.colwise().mean().transpose();
	for (Eigen::Index i = 0; i < w.rows(); i++)
		EXPECT_LT((w.row(i).transpose() - w_mean).norm(), 0.05 * w_mean.norm()) << "row " << i;
	// solver mu's pulls toward 0 instead: the same ridge leaves W H near 0
	opt.solver = NMF_SOLVER_MU;
	Eigen::MatrixXd w0, h0;
	nmf_test::model_factors(nmf_test::fit_model(matrix, opt), &w0, &h0);
	EXPECT_LT((w0 * h0).norm(), 0.1 * (w * h).norm());
}

// Left to its defaults, a masked fit chooses its ridge, stays within the
// weight bound and predicts held-out cells better than their mean.
TEST(Defaults, MaskedDefaultFitGeneralises)
{
	const Ratings r = planted_ratings(120, 80, 3, 0.15, 0.3, 7);
	NmfcSummary s;
	const Image model = fit_train(r, masked(3), &s);
	const NmfModelFlat *m = nmf_test::header(model);
	EXPECT_GT(m->reg, 0.0);
	EXPECT_EQ(s.diverged, 0);
	EXPECT_LE(max_product(model), s.weight_bound);
	double mean = 0, sse = 0;
	for (const NmfTriplet &t : r.train)
		mean += t.value / static_cast<double>(r.train.size());
	for (const NmfTriplet &t : r.test)
		sse += (t.value - mean) * (t.value - mean);
	const double mean_rmse = std::sqrt(sse / static_cast<double>(r.test.size()));
	EXPECT_LT(test_rmse(model, r.test), 0.9 * mean_rmse);
}

// A plain masked fit with the ridge from the data also scores the baseline on
// the pilots' held-out cells (the glue warns when the fit is worse); given a
// ridge, or with biases, the baseline is not measured.
TEST(Defaults, PlainFitIsComparedWithTheBaseline)
{
	const Ratings r = planted_ratings(120, 80, 3, 0.15, 0.3, 7);
	NmfcSummary s;
	fit_train(r, masked(3), &s);
	ASSERT_TRUE(std::isfinite(s.pilot_rmse) && std::isfinite(s.baseline_rmse));
	EXPECT_GT(s.baseline_rmse, 0.0);
	EXPECT_GT(s.pilot_rmse, 0.0);
	NmfcOptions given = masked(3);
	given.reg = 0.1;
	fit_train(r, given, &s);
	EXPECT_TRUE(std::isnan(s.pilot_rmse) && std::isnan(s.baseline_rmse));
	NmfcOptions biased = masked(3);
	biased.bias = 1;
	fit_train(r, biased, &s);
	EXPECT_TRUE(std::isfinite(s.pilot_rmse));
	EXPECT_TRUE(std::isnan(s.baseline_rmse));
	// The baseline's figure is a biased fit of no iteration, holding out the
	// pilots' share of the cells.
	NmfcOptions baseline = masked(3);
	baseline.bias = 1;
	baseline.max_iter = 0;
	baseline.holdout = 0.1;
	baseline.reg = 0.1;
	NmfcSummary b;
	fit_train(r, baseline, &b);
	fit_train(r, masked(3), &s);
	EXPECT_EQ(s.baseline_rmse, b.holdout_rmse);
}

// Without a ridge, a masked fit of few cells per line grows its weights
// without end: the fit stops at the bound and keeps the last iterate within it.
TEST(Defaults, UnregularisedMaskedFitStopsAtTheBound)
{
	const Ratings r = planted_ratings(120, 80, 3, 0.03, 0.5, 11);
	NmfcOptions opt = masked(10);
	opt.reg = 0;
	opt.max_iter = 300;
	NmfcSummary s;
	const Image model = fit_train(r, opt, &s);
	const NmfModelFlat *m = nmf_test::header(model);
	EXPECT_EQ(s.diverged, 1);
	EXPECT_EQ(m->stop, NMF_STOP_DIVERGED);
	EXPECT_LT(m->best_iteration, m->iterations);
	EXPECT_GT(s.weight_bound, 0.0);
	EXPECT_LE(max_product(model), s.weight_bound);
}

// A biased fit starts from the baseline: with no iteration, the model's
// predictions are mu + b_row + b_col exactly (W H = 0).
TEST(Defaults, BiasedFitStartsFromTheBaseline)
{
	const Ratings r = planted_ratings(60, 40, 2, 0.3, 0.3, 5);
	NmfcOptions opt = masked(2);
	opt.bias = 1;
	opt.max_iter = 0;
	const Image model = fit_train(r, opt);
	const NmfModelFlat *m = nmf_test::header(model);
	for (int64_t q = 0; q < m->cols * m->rank; q++)
		ASSERT_EQ(nmf_model_h(m)[q], 0.0);
	const NmfcModelView v = nmfc_model_view(m);
	const int64_t i = 4, j = 6;
	double out = 0;
	uint8_t known = 0;
	NmfcError err;
	ASSERT_EQ(nmfc_predict_pairs(&v, 1, &i, &j, nullptr, &out, &known, nullptr, &err), NMFC_OK);
	EXPECT_NEAR(
	    out, std::clamp(m->mu + nmf_model_b_row(m)[i] + nmf_model_b_col(m)[j], m->v_min, m->v_max),
	    1e-12);
}

// Held-out cells stop a fit that overfits and the model is the best iterate on them.
TEST(Defaults, HoldoutKeepsTheBestIterate)
{
	const Ratings r = planted_ratings(120, 80, 2, 0.1, 0.8, 13);
	NmfcOptions opt = masked(8);
	opt.reg = 0.002;
	opt.holdout = 0.2;
	opt.patience = 3;
	opt.tol = 0;
	opt.max_iter = 300;
	NmfcSummary s;
	const Image model = fit_train(r, opt, &s);
	const NmfModelFlat *m = nmf_test::header(model);
	EXPECT_EQ(m->stop == NMF_STOP_EARLY || m->stop == NMF_STOP_DIVERGED, true);
	EXPECT_LT(m->best_iteration, m->iterations);
	EXPECT_LT(m->iterations, 300);
	EXPECT_GT(m->holdout_rmse, 0.0);
	EXPECT_DOUBLE_EQ(m->holdout, 0.2);
}

// A masked model's predictions stay within its training range; clip = 0 lifts it.
TEST(Defaults, PredictionsAreClippedToTheTrainingRange)
{
	const Ratings r = planted_ratings(60, 40, 3, 0.3, 0.3, 17);
	const Image matrix = nmf_test::matrix_from_triplets(r.train);
	const Image model = nmf_test::fit_model(matrix, masked(3));
	const NmfModelFlat *m = nmf_test::header(model);
	EXPECT_LT(m->v_min, m->v_max);
	NmfcModelView v = nmfc_model_view(m);
	ASSERT_EQ(v.clip, 1);
	bool outside_unclipped = false;
	for (const NmfTriplet &t : r.test)
	{
		double out = 0, raw = 0;
		uint8_t known = 0;
		NmfcError err;
		v.clip = 1;
		ASSERT_EQ(nmfc_predict_pairs(&v, 1, &t.row, &t.col, nullptr, &out, &known, nullptr, &err),
		          NMFC_OK);
		EXPECT_GE(out, m->v_min);
		EXPECT_LE(out, m->v_max);
		v.clip = 0;
		ASSERT_EQ(nmfc_predict_pairs(&v, 1, &t.row, &t.col, nullptr, &raw, &known, nullptr, &err),
		          NMFC_OK);
		outside_unclipped = outside_unclipped || raw < m->v_min || raw > m->v_max;
		EXPECT_EQ(out, std::clamp(raw, m->v_min, m->v_max));
	}
	EXPECT_TRUE(outside_unclipped) << "no prediction to clip: the test shows nothing";
}

// On a planted rank-3 matrix the search (with biases, as nmf_tune's
// default) prefers rank 3 to ranks 1 and 8.
TEST(Defaults, TunerPicksThePlantedRank)
{
	const Ratings r = planted_ratings(150, 100, 3, 0.3, 0.1, 19);
	const Image matrix = nmf_test::matrix_from_triplets(r.train);
	NmfcOptions base = masked(1);
	base.bias = 1;
	base.max_iter = 100;
	nmf::TuneSpec spec;
	spec.ranks = {1, 3, 8};
	spec.regs = {0.05, 0.01, 0.002};
	spec.folds = 3;
	const nmf::TuneOutcome out = nmf::tune(nmf_test::csr_of(matrix), base, spec, NmfcInterrupts{});
	EXPECT_EQ(out.rank, 3);
	EXPECT_FALSE(out.budget_hit);
	EXPECT_EQ(out.rows.size() % NMF_TUNE_FIELDS, 0u);
	EXPECT_GT(out.rows.size(), 0u);
}

// The packed ensemble predicts exactly the mean of its fits, unclipped, and
// stays a valid model (W's columns sum to 1, rank K r, a tune row per fit).
TEST(Defaults, EnsembleIsTheMeanOfItsFits)
{
	const Ratings r = planted_ratings(60, 40, 3, 0.4, 0.3, 23);
	const Image matrix = nmf_test::matrix_from_triplets(r.train);
	const nmf::CsrView x = nmf_test::csr_of(matrix);
	std::vector<Image> fits;
	std::vector<const NmfModelFlat *> members;
	std::vector<size_t> sizes;
	for (int64_t seed = 1; seed <= 3; seed++)
	{
		NmfcOptions opt = masked(4);
		opt.bias = 1;
		opt.reg = 0.05;
		opt.seed = seed;
		fits.push_back(fit_train(r, opt));
	}
	for (const Image &f : fits)
	{
		members.push_back(static_cast<const NmfModelFlat *>(f.data()));
		sizes.push_back(f.size());
	}
	const std::vector<double> search = {4, 0.05, 1, 0.9, 1.0, 0.1};
	const int64_t size = nmf::ensemble_size(members, 1);
	ASSERT_GT(size, 0);
	std::vector<double> packed((static_cast<size_t>(size) + 7) / 8);
	nmf::pack_ensemble(x, members, sizes, search, packed.data(), static_cast<size_t>(size));
	const auto *m = reinterpret_cast<const NmfModelFlat *>(packed.data());
	EXPECT_EQ(m->rank, 12);
	EXPECT_EQ(m->tune_len, 4);
	for (int64_t t = 0; t < m->rank; t++)
	{
		double sum = 0.0;
		for (int64_t i = 0; i < m->rows; i++)
			sum += nmf_model_w(m)[i * m->rank + t];
		EXPECT_NEAR(sum, 1.0, 1e-12);
	}
	NmfcError err{};
	for (const NmfTriplet &c : r.test)
	{
		double mean = 0.0, got = 0.0, p = 0.0;
		uint8_t known = 0;
		for (const Image &f : fits)
		{
			NmfcModelView v = nmfc_model_view(static_cast<const NmfModelFlat *>(f.data()));
			v.clip = 0;
			ASSERT_EQ(nmfc_predict_pairs(&v, 1, &c.row, &c.col, nullptr, &p, &known, nullptr, &err),
			          NMFC_OK);
			mean += p / 3.0;
		}
		NmfcModelView v = nmfc_model_view(m);
		v.clip = 0;
		ASSERT_EQ(nmfc_predict_pairs(&v, 1, &c.row, &c.col, nullptr, &got, &known, nullptr, &err),
		          NMFC_OK);
		EXPECT_NEAR(got, mean, 1e-9);
	}
}

// The tuner's model averages `ensemble` fits and says so in its table.
TEST(Defaults, TunerReturnsTheEnsemble)
{
	const Ratings r = planted_ratings(60, 40, 2, 0.4, 0.3, 29);
	const Image matrix = nmf_test::matrix_from_triplets(r.train);
	NmfcOptions base = masked(1);
	base.bias = 1;
	base.max_iter = 30;
	nmf::TuneSpec spec;
	spec.ranks = {2};
	spec.regs = {0.1, 0.03};
	spec.folds = 2;
	spec.ensemble = 3;
	const nmf::TuneOutcome out = nmf::tune(nmf_test::csr_of(matrix), base, spec, NmfcInterrupts{});
	ASSERT_EQ(out.rank, 2);
	EXPECT_EQ(out.members, 3);
	EXPECT_DOUBLE_EQ(out.final_reg, out.reg * 0.5);
	const auto *m = reinterpret_cast<const NmfModelFlat *>(out.model.data());
	EXPECT_EQ(m->rank, 6);
	const double *t = nmf_model_tune(m);
	int final_rows = 0;
	for (int64_t i = 0; i < m->tune_len; i++, t += NMF_TUNE_FIELDS)
		if (t[NMF_TUNE_FOLD] == 0)
		{
			final_rows++;
			EXPECT_EQ(t[NMF_TUNE_REG], out.final_reg);
		}
	EXPECT_EQ(final_rows, 3);

	// Rank 30 leaves room for one fit in 40 columns.
	spec.ranks = {30};
	EXPECT_EQ(nmf::tune(nmf_test::csr_of(matrix), base, spec, NmfcInterrupts{}).members, 1);
}
