// SPDX-License-Identifier: PostgreSQL
// Threads: parallel_for runs every block once and carries exceptions back,
// and fits give the same bits for every thread count.
#include <atomic>
#include <stdexcept>
#include <utility>
#include <vector>

#include "kernels.hpp"
#include "parallel.hpp"
#include "sparse.hpp"
#include "test_util.hpp"

using nmf_test::Image;

TEST(Parallel, RunsEveryBlockOnceOnAnyLaneCount)
{
	for (int threads : {0, 1, 2, 3, 8})
	{
		std::vector<std::atomic<int>> runs(37);
		std::atomic<int> bad_lane{0};
		nmf::parallel_for(threads, 37, [&](int64_t k, int lane) {
			runs[static_cast<size_t>(k)]++;
			if (lane < 0 || lane >= std::max(threads, 1))
				bad_lane++;
		});
		for (const auto &r : runs)
			EXPECT_EQ(r.load(), 1) << threads << " threads";
		EXPECT_EQ(bad_lane.load(), 0);
	}
}

TEST(Parallel, FirstExceptionIsRethrownAfterTheJoin)
{
	for (int threads : {1, 2, 4})
		EXPECT_THROW(nmf::parallel_for(
		                 threads, 100,
		                 [&](int64_t k, int) {
			if (k == 5)
				throw std::runtime_error("block 5");
		                 }),
		             std::runtime_error);
}

namespace
{

using nmf_test::Factors;

Factors
fit(const Image &x, int64_t rank, int solver, int loss, int missing, int threads)
{
	NmfcOptions opt = nmf_test::options(rank, solver, loss, missing);
	opt.max_iter = 4;
	opt.tol = 0;
	opt.threads = threads;
	// The ridge's pilot fits (masked, reg NULL) at rank 16 only: they cost
	// most of the test, and rank 40 adds nothing to their determinism.
	if (rank > 16)
		opt.reg = 0.05;
	return nmf_test::fit_factors(x, opt);
}

} // namespace

// Several blocks on each side (512 columns per block at rank 16, 204 at rank
// 40), so the blocks really are shared out.
TEST(Parallel, FitsAreBitIdenticalForEveryThreadCount)
{
	const Image x = nmf_test::random_sparse(1500, 700, 0.01, 11, nullptr);
	for (int64_t rank : {16, 40})
		for (const auto &[solver, loss] :
		     {std::pair{NMF_SOLVER_HALS, NMF_LOSS_FROBENIUS},
		      std::pair{NMF_SOLVER_MU, NMF_LOSS_FROBENIUS}, std::pair{NMF_SOLVER_MU, NMF_LOSS_KL},
		      std::pair{NMF_SOLVER_GD, NMF_LOSS_FROBENIUS}})
			for (int missing : {NMF_MISSING_ZERO, NMF_MISSING_IGNORE})
			{
				const Factors one = fit(x, rank, solver, loss, missing, 1);
				for (int threads : {2, 3, 4})
				{
					const Factors more = fit(x, rank, solver, loss, missing, threads);
					const auto where = ::testing::Message()
					                   << "rank " << rank << ", solver " << solver << ", loss "
					                   << loss << ", missing " << missing << ", threads "
					                   << threads;
					EXPECT_TRUE(one.w == more.w) << where;
					EXPECT_TRUE(one.h == more.h) << where;
					EXPECT_EQ(one.loss, more.loss) << where;
				}
			}
}

TEST(Parallel, ThreadsOutOfRangeIsRefused)
{
	const Image x = nmf_test::random_sparse(20, 10, 0.3, 1, nullptr);
	const NmfcMatrixView v = nmf_test::view_of(x);
	NmfcOptions opt;
	nmfc_options_default(&opt, 2);
	NmfcError err;
	for (int threads : {-1, 65})
	{
		opt.threads = threads;
		EXPECT_EQ(nmfc_options_validate(&v, &opt, &err), NMFC_INVALID_ARGUMENT);
		EXPECT_NE(std::string(err.message).find("threads"), std::string::npos) << err.message;
	}
	opt.threads = 64;
	EXPECT_EQ(nmfc_options_validate(&v, &opt, &err), NMFC_OK) << err.message;
}

// An interrupt seen by any lane stops a threaded fit with NMFC_CANCELLED.
TEST(Parallel, InterruptStopsAThreadedFit)
{
	const Image x = nmf_test::random_sparse(2500, 1100, 0.01, 3, nullptr);
	const NmfcMatrixView v = nmf_test::view_of(x);
	NmfcOptions opt;
	nmfc_options_default(&opt, 8);
	opt.threads = 2;
	volatile int flag = 0;
	NmfcInterrupts intr{{&flag, nullptr}};
	NmfcFit *f = nullptr;
	NmfcError err;
	ASSERT_EQ(nmfc_fit_create(&v, &opt, &intr, &f, &err), NMFC_OK) << err.message;
	flag = 1;
	int done = 0;
	EXPECT_EQ(nmfc_fit_step(f, &done, &err), NMFC_CANCELLED);
	nmfc_fit_free(f);
}

// W^T V from V's rows is the same bits as from its columns, for any column ranges.
TEST(Parallel, ProductsByRowsEqualTheGather)
{
	const Image x = nmf_test::random_sparse(300, 170, 0.05, 5, nullptr);
	const nmf::CsrView v = nmf_test::csr_of(x);
	const nmf::CscMatrix xt = nmf::transpose(v, NmfcInterrupts{});
	for (int64_t r : {1, 7, 20, 32})
	{
		const nmf::Matrix w = nmf::Matrix::Random(r, v.rows).cwiseAbs();
		nmf::Matrix by_cols(r, v.cols), by_rows(r, v.cols);
		nmf::gather(xt.col_ptr.data(), xt.row_idx.data(), xt.values.data(), 0, v.cols, w, by_cols);
		ASSERT_TRUE(nmf::scatter_rows(v, w, 0, 60, by_rows));
		ASSERT_TRUE(nmf::scatter_rows(v, w, 60, 61, by_rows));
		ASSERT_TRUE(nmf::scatter_rows(v, w, 61, static_cast<int32_t>(v.cols), by_rows));
		EXPECT_TRUE(by_cols == by_rows) << "rank " << r;
	}
	nmf::Matrix big = nmf::Matrix::Zero(33, v.rows), out(33, v.cols);
	EXPECT_FALSE(nmf::scatter_rows(v, big, 0, 10, out));
}
