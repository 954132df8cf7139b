// SPDX-License-Identifier: PostgreSQL
// What an iteration computes besides the updates: the loss only every
// loss_every iterations (the factors unchanged), and inner updates that reach
// a lower loss in the same number of products with V.
#include <random>

#include "test_util.hpp"

using nmf_test::header;
using nmf_test::Image;
using nmf_test::options;

namespace
{

Image
dense_planted(int64_t m, int64_t n, int64_t r, uint64_t seed)
{
	std::mt19937_64 rng(seed);
	std::uniform_real_distribution<double> u(0.0, 1.0);
	Eigen::MatrixXd w(m, r), h(r, n);
	for (Eigen::Index k = 0; k < w.size(); k++)
		w.data()[k] = u(rng);
	for (Eigen::Index k = 0; k < h.size(); k++)
		h.data()[k] = u(rng);
	Eigen::MatrixXd v = w * h;
	for (Eigen::Index k = 0; k < v.size(); k++)
		v.data()[k] += 0.1 * u(rng);
	return nmf_test::dense_matrix(v);
}

bool
same_factors(const NmfModelFlat *a, const NmfModelFlat *b)
{
	const int64_t wn = a->rows * a->rank, hn = a->cols * a->rank;
	return a->rank == b->rank && a->rows == b->rows && a->cols == b->cols &&
	       std::memcmp(nmf_model_w(a), nmf_model_w(b), sizeof(double) * size_t(wn)) == 0 &&
	       std::memcmp(nmf_model_h(a), nmf_model_h(b), sizeof(double) * size_t(hn)) == 0;
}

} // namespace

TEST(Cadence, LossEveryChangesOnlyTheHistory)
{
	const Image matrix = dense_planted(40, 30, 3, 5);
	NmfcOptions opt = options(3, NMF_SOLVER_MU, NMF_LOSS_KL);
	opt.max_iter = 25;
	opt.tol = 0;
	opt.loss_every = 1;
	const Image every = nmf_test::fit_model(matrix, opt);
	opt.loss_every = 0; // the default: 10 for kl
	NmfcSummary s;
	const Image tenth = nmf_test::fit_model(matrix, opt, &s);
	const NmfModelFlat *a = header(every), *b = header(tenth);
	EXPECT_EQ(s.loss_every, NMF_LOSS_EVERY_COSTLY);
	EXPECT_EQ(b->loss_every, NMF_LOSS_EVERY_COSTLY);
	EXPECT_TRUE(same_factors(a, b));
	EXPECT_EQ(a->final_loss, b->final_loss);
	ASSERT_EQ(a->history_len, 25);
	ASSERT_EQ(b->history_len, 3); // iterations 10, 20 and the last, 25
	const double *la = nmf_model_history_loss(a), *lb = nmf_model_history_loss(b);
	EXPECT_EQ(lb[0], la[9]);
	EXPECT_EQ(lb[1], la[19]);
	EXPECT_EQ(lb[2], la[24]);
}

TEST(Cadence, StoppingRuleSeesTheSameLossesAtEveryCadence)
{
	const Image matrix = dense_planted(40, 30, 3, 6);
	NmfcOptions opt = options(3, NMF_SOLVER_MU, NMF_LOSS_KL);
	opt.max_iter = 500;
	opt.tol = 1e-3;
	opt.loss_every = 1;
	const Image every = nmf_test::fit_model(matrix, opt);
	opt.loss_every = 5;
	const Image fifth = nmf_test::fit_model(matrix, opt);
	const NmfModelFlat *a = header(every), *b = header(fifth);
	EXPECT_TRUE(a->converged);
	EXPECT_EQ(a->iterations, b->iterations);
	EXPECT_EQ(a->iterations % 10, 0);
	EXPECT_TRUE(same_factors(a, b));
}

TEST(Cadence, InnerUpdatesReachALowerLossInAsManyProducts)
{
	const Image matrix = dense_planted(60, 200, 4, 7);
	for (int solver : {NMF_SOLVER_HALS, NMF_SOLVER_MU})
	{
		NmfcOptions opt = options(4, solver);
		opt.init = NMF_INIT_NNDSVDA;
		opt.max_iter = 15;
		opt.tol = 0;
		opt.inner_updates = 1;
		const Image plain = nmf_test::fit_model(matrix, opt);
		opt.inner_updates = 0; // Gillis & Glineur's rule
		const Image inner = nmf_test::fit_model(matrix, opt);
		const NmfModelFlat *p = header(plain), *q = header(inner);
		EXPECT_LT(q->final_loss, p->final_loss) << nmfc_solver_name(solver);
		EXPECT_EQ(q->inner_updates, 0);
		EXPECT_EQ(p->inner_updates, 1);
		const double *loss = nmf_model_history_loss(q);
		for (int64_t k = 1; k < q->history_len; k++)
			EXPECT_LE(loss[k], loss[k - 1] * (1 + 1e-12)) << nmfc_solver_name(solver) << " " << k;
	}
}
