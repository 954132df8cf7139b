// SPDX-License-Identifier: PostgreSQL
// The truncated SVD behind the nndsvd inits: accurate leading triplets, the
// same bits for every thread count, the rank-deficient fallback, cancellation.
#include <Eigen/SVD>
#include <cmath>

#include "solvers.hpp"
#include "sparse.hpp"
#include "svd.hpp"
#include "test_util.hpp"

using nmf_test::Image;

namespace
{

// V's CSR view and its transpose, as a fit holds them.
struct Data
{
	nmf::CsrView x{};
	nmf::CscMatrix xt;
	nmf::Problem p;

	Data(const Image &img, int threads, const NmfcInterrupts &intr = NmfcInterrupts{})
	{
		x = nmf_test::csr_of(img);
		xt = nmf::transpose(x, NmfcInterrupts{});
		p.x = x;
		p.xt = &xt;
		nmfc_options_default(&p.opt, 1);
		p.opt.seed = 42;
		p.opt.threads = threads;
		p.intr = intr;
	}
};

// Non-negative, with a spectrum of clear gaps: k constant blocks on the
// diagonal, block q of value 3 / 2^q, plus a little noise everywhere, every cell stored.
Eigen::MatrixXd
planted(int64_t m, int64_t n, int64_t k, unsigned seed)
{
	std::srand(seed);
	Eigen::MatrixXd v = 1e-3 * (Eigen::MatrixXd::Random(m, n).array() + 1.0).matrix();
	for (int64_t q = 0; q < k; q++)
	{
		const int64_t r0 = m * q / k, r1 = m * (q + 1) / k, c0 = n * q / k, c1 = n * (q + 1) / k;
		v.block(r0, c0, r1 - r0, c1 - c0).array() += 3.0 / std::pow(2.0, static_cast<double>(q));
	}
	return v;
}

} // namespace

// The leading triplets where the spectrum has gaps match a dense SVD, for both
// orientations (scikit-learn's rule: V^T when V is wide).
TEST(Svd, LeadingTripletsMatchADenseSvd)
{
	for (const auto &[m, n] : {std::pair<int64_t, int64_t>{120, 80}, {80, 120}})
	{
		const Eigen::MatrixXd v = planted(m, n, 8, 3);
		const Image img = nmf_test::dense_matrix(v);
		Data d(img, 2);
		nmf::Matrix u, vv;
		Eigen::VectorXd s;
		nmf::truncated_svd(d.p, 4, u, s, vv);
		ASSERT_EQ(u.rows(), m);
		ASSERT_EQ(vv.rows(), n);
		ASSERT_EQ(s.size(), 4);
		Eigen::JacobiSVD<Eigen::MatrixXd> ref(v, Eigen::ComputeThinU | Eigen::ComputeThinV);
		for (int k = 0; k < 4; k++)
		{
			EXPECT_NEAR(s(k), ref.singularValues()(k), 1e-10 * s(0)) << m << " x " << n;
			// Up to sign, which svd_flip fixes: the largest entry of u_k is positive.
			const double sign = u.col(k).dot(ref.matrixU().col(k)) < 0 ? -1.0 : 1.0;
			EXPECT_LT((u.col(k) - sign * ref.matrixU().col(k)).cwiseAbs().maxCoeff(), 1e-9);
			EXPECT_LT((vv.col(k) - sign * ref.matrixV().col(k)).cwiseAbs().maxCoeff(), 1e-9);
			Eigen::Index top = 0;
			u.col(k).cwiseAbs().maxCoeff(&top);
			EXPECT_GT(u(top, k), 0);
		}
	}
}

// A rank-one matrix larger than the sketch: the Cholesky QR sees a singular
// Gram and Householder takes over; nndsvd is then exact.
TEST(Svd, RankDeficientMatrixFallsBackAndStaysExact)
{
	Eigen::VectorXd a = Eigen::VectorXd::LinSpaced(60, 1, 4),
	                b = Eigen::VectorXd::LinSpaced(45, 3, 1);
	const Image img = nmf_test::dense_matrix(a * b.transpose());
	const NmfcMatrixView view = nmf_test::view_of(img);
	NmfcOptions opt;
	nmfc_options_default(&opt, 1);
	opt.init = NMF_INIT_NNDSVD;
	opt.max_iter = 0;
	NmfcFit *fit = nullptr;
	NmfcError err;
	ASSERT_EQ(nmfc_fit_create(&view, &opt, nullptr, &fit, &err), NMFC_OK) << err.message;
	NmfcSummary s;
	nmfc_fit_summary(fit, &s);
	// The loss is ||V||^2 - 2 <W H, V> + ||W H||^2: zero up to that sum's rounding.
	EXPECT_LT(s.loss, 1e-12 * s.x_norm_sq);
	nmfc_fit_free(fit);

	Data d(img, 1);
	nmf::Matrix u, v;
	Eigen::VectorXd sv;
	nmf::truncated_svd(d.p, 3, u, sv, v);
	EXPECT_NEAR(sv(0), a.norm() * b.norm(), 1e-12 * sv(0));
	EXPECT_LT(sv(1), 1e-12 * sv(0));
}

// Fixed blocks: the same bits on 1 to 4 threads, with 7 or 4 power
// iterations, by scatter (l <= 32) or by gather over the CSC (l > 32), and
// with V tall or wide.
TEST(Svd, InitsAreBitIdenticalForEveryThreadCount)
{
	const Image tall = nmf_test::random_sparse(1500, 700, 0.01, 11, nullptr);
	const Image wide = nmf_test::random_sparse(700, 1500, 0.01, 12, nullptr);
	const Image small = nmf_test::random_sparse(300, 100, 0.05, 13, nullptr);
	for (const auto &[img, rank] : {std::pair<const Image *, int64_t>{&tall, 5},
	                                {&tall, 20},
	                                {&tall, 25},
	                                {&wide, 20},
	                                {&small, 12}})
	{
		Eigen::MatrixXd w1, h1;
		for (int threads : {1, 2, 3, 4})
		{
			NmfcOptions opt;
			nmfc_options_default(&opt, rank);
			opt.init = NMF_INIT_NNDSVDA;
			opt.max_iter = 0;
			opt.threads = threads;
			const Image model = nmf_test::fit_model(*img, opt);
			Eigen::MatrixXd w, h;
			nmf_test::model_factors(model, &w, &h);
			if (threads == 1)
			{
				w1 = w;
				h1 = h;
				EXPECT_GT(w.maxCoeff(), 0);
				continue;
			}
			EXPECT_TRUE(w == w1) << "rank " << rank << ", threads " << threads;
			EXPECT_TRUE(h == h1) << "rank " << rank << ", threads " << threads;
		}
	}
}

// Any lane that sees the interrupt flag stops the SVD.
TEST(Svd, InterruptStopsTheSvd)
{
	const Image img = nmf_test::random_sparse(500, 300, 0.02, 5, nullptr);
	volatile int flag = 1;
	Data d(img, 2, NmfcInterrupts{{&flag, nullptr}});
	nmf::Matrix u, v;
	Eigen::VectorXd s;
	EXPECT_THROW(nmf::truncated_svd(d.p, 5, u, s, v), nmf::Cancelled);
}

// The transpose in chunks of rows is the same for every thread count, and
// each column lists its rows ascending with their values.
TEST(Transpose, SameForEveryThreadCount)
{
	Eigen::MatrixXd dense;
	const Image img = nmf_test::random_sparse(2000, 500, 0.2, 7, &dense);
	Data d(img, 1);
	ASSERT_EQ(nmf::transpose_chunks(d.x.rows, d.x.cols, d.x.nnz, 4), 3);
	const nmf::CscMatrix one = nmf::transpose(d.x, NmfcInterrupts{}, 1);
	for (size_t j = 0; j < static_cast<size_t>(d.x.cols); j++)
		for (int64_t q = one.col_ptr[j]; q < one.col_ptr[j + 1]; q++)
		{
			const int32_t i = one.row_idx[static_cast<size_t>(q)];
			ASSERT_EQ(one.values[static_cast<size_t>(q)], dense(i, static_cast<Eigen::Index>(j)));
			if (q > one.col_ptr[j])
			{
				ASSERT_LT(one.row_idx[static_cast<size_t>(q - 1)], i);
			}
		}
	ASSERT_EQ(one.col_ptr.back(), d.x.nnz);
	for (int threads : {2, 3, 4, 8})
	{
		const nmf::CscMatrix more = nmf::transpose(d.x, NmfcInterrupts{}, threads);
		EXPECT_TRUE(more.col_ptr == one.col_ptr && more.row_idx == one.row_idx &&
		            more.values == one.values)
		    << threads << " threads";
	}
}
