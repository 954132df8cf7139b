// SPDX-License-Identifier: PostgreSQL
// The C door: every entry point answers with a status and a message, never
// an exception; options are checked by name; interrupts stop the work.
#include <functional>
#include <limits>
#include <string>

#include "test_util.hpp"

using nmf_test::Image;

namespace
{

Image
seed_image()
{
	return nmf_test::dense_matrix(nmf_test::seed_matrix());
}

// Expects fit creation and option validation to refuse `opt` alike.
void
expect_refused(const NmfcOptions &opt, int status, const char *message)
{
	const Image matrix = seed_image();
	const NmfcMatrixView v = nmf_test::view_of(matrix);
	NmfcError err;
	NmfcFit *fit = reinterpret_cast<NmfcFit *>(&err); // must be reset to NULL
	EXPECT_EQ(nmfc_fit_create(&v, &opt, nullptr, &fit, &err), status) << message;
	EXPECT_EQ(fit, nullptr);
	EXPECT_STREQ(err.message, message);
	NmfcError err2;
	EXPECT_EQ(nmfc_options_validate(&v, &opt, &err2), status) << message;
	EXPECT_STREQ(err2.message, message);
}

NmfcOptions
defaults(int64_t rank)
{
	return nmf_test::options(rank);
}

} // namespace

TEST(ApiGuard, OptionDefaults)
{
	NmfcOptions opt;
	std::memset(&opt, 0x5A, sizeof(opt));
	nmfc_options_default(&opt, 4);
	EXPECT_EQ(opt.rank, 4);
	EXPECT_EQ(opt.solver, NMF_SOLVER_AUTO); // hals for frobenius (nmfc_options_resolve)
	EXPECT_EQ(opt.loss, NMF_LOSS_FROBENIUS);
	EXPECT_EQ(opt.init, NMF_INIT_RANDOM);
	EXPECT_EQ(opt.missing, NMF_MISSING_ZERO);
	EXPECT_EQ(opt.max_iter, 200);
	EXPECT_EQ(opt.tol, 1e-4);
	EXPECT_EQ(opt.seed, 0);
	EXPECT_EQ(opt.max_seconds, 0);
	EXPECT_EQ(opt.l1_w + opt.l1_h + opt.l2_w + opt.l2_h, 0);
	EXPECT_EQ(opt.learning_rate, 0);
	EXPECT_EQ(opt.w_init, nullptr);
	EXPECT_EQ(opt.h_init, nullptr);
	EXPECT_EQ(opt.warm_start, nullptr);
	nmfc_options_default(nullptr, 4);
}

TEST(ApiGuard, OptionNames)
{
	EXPECT_EQ(nmfc_solver_code("mu"), NMF_SOLVER_MU);
	EXPECT_EQ(nmfc_solver_code("MU"), -1);
	EXPECT_EQ(nmfc_solver_code("hals"), NMF_SOLVER_HALS);
	EXPECT_EQ(nmfc_solver_code("gd"), NMF_SOLVER_GD);
	EXPECT_EQ(nmfc_solver_code("cd"), -1);
	EXPECT_EQ(nmfc_loss_code("kl"), NMF_LOSS_KL);
	EXPECT_EQ(nmfc_init_code("nndsvdar"), NMF_INIT_NNDSVDAR);
	EXPECT_EQ(nmfc_init_code("warm_start"), NMF_INIT_WARM_START);
	EXPECT_EQ(nmfc_solver_code(nullptr), -1);
	EXPECT_EQ(nmfc_loss_code("frobenius"), NMF_LOSS_FROBENIUS);
	EXPECT_EQ(nmfc_loss_code(""), -1);
	EXPECT_EQ(nmfc_init_code("random"), NMF_INIT_RANDOM);
	EXPECT_EQ(nmfc_missing_code("zero"), NMF_MISSING_ZERO);
	EXPECT_EQ(nmfc_missing_code("ignore"), NMF_MISSING_IGNORE);
	EXPECT_EQ(nmfc_missing_code("mean"), -1);
	EXPECT_STREQ(nmfc_solver_name(NMF_SOLVER_MU), "mu");
	EXPECT_STREQ(nmfc_loss_name(NMF_LOSS_FROBENIUS), "frobenius");
	EXPECT_STREQ(nmfc_init_name(NMF_INIT_RANDOM), "random");
	EXPECT_STREQ(nmfc_missing_name(NMF_MISSING_ZERO), "zero");
	EXPECT_EQ(nmfc_solver_name(NMF_SOLVER_COUNT), nullptr);
	EXPECT_EQ(nmfc_loss_name(-1), nullptr);
	EXPECT_STREQ(nmfc_solver_names(), "hals, mu, gd");
	EXPECT_STREQ(nmfc_loss_names(), "frobenius, kl, beta, is");
	EXPECT_STREQ(nmfc_init_names(), "random, nndsvd, nndsvda, nndsvdar, custom, warm_start");
	EXPECT_STREQ(nmfc_missing_names(), "zero, ignore");
	// Every code has its name in the list.
	for (int c = 0; c < NMF_SOLVER_COUNT; c++)
		EXPECT_NE(std::strstr(nmfc_solver_names(), nmfc_solver_name(c)), nullptr);
	for (int c = 0; c < NMF_INIT_COUNT; c++)
		EXPECT_NE(std::strstr(nmfc_init_names(), nmfc_init_name(c)), nullptr);
}

constexpr const char *kKlNeedsMu =
    "loss 'kl' works only with solver 'mu': solvers 'hals' and 'gd' minimise the frobenius loss; "
    "leave solver NULL to have it";

TEST(ApiGuard, BadOptionsAreNamed)
{
	// Each case: the defaults at a rank, one field set wrong, the message.
	const struct
	{
		int64_t rank;
		std::function<void(NmfcOptions &)> set;
		const char *message;
	} cases[] =
	    {
	        {0, [](NmfcOptions &) {}, "rank 0 is less than 1"},
	        {4, [](NmfcOptions &) {}, "rank 4 is larger than min(rows, cols) = 3"},
	        {1, [](NmfcOptions &o) { o.solver = 3; }, "solver code 3 is unknown"},
	        {1, [](NmfcOptions &o) { o.loss = NMF_LOSS_KL; }, kKlNeedsMu},
	        {1,
	         [](NmfcOptions &o) {
		o.loss = NMF_LOSS_KL;
		o.solver = NMF_SOLVER_GD;
	         },
	         kKlNeedsMu},
	        {1, [](NmfcOptions &o) { o.learning_rate = 0.1; },
	         "learning_rate applies only to solver 'gd'; leave it NULL for the other solvers"},
	        {1, [](NmfcOptions &o) { o.init = NMF_INIT_CUSTOM; },
	         "init 'custom' needs both w_init and h_init"},
	        {1, [](NmfcOptions &o) { o.init = NMF_INIT_WARM_START; },
	         "init 'warm_start' needs a warm_start model"},
	        {1, [](NmfcOptions &o) { o.loss = -1; }, "loss code -1 is unknown"},
	        {1, [](NmfcOptions &o) { o.init = NMF_INIT_COUNT; }, "init code 6 is unknown"},
	        {1, [](NmfcOptions &o) { o.missing = NMF_MISSING_COUNT; }, "missing code 2 is unknown"},
	        {1, [](NmfcOptions &o) { o.max_iter = -1; }, "max_iter -1 is negative"},
	        {1, [](NmfcOptions &o) { o.tol = -1; }, "tol -1 is not a finite number >= 0"},
	        {1, [](NmfcOptions &o) { o.tol = std::numeric_limits<double>::quiet_NaN(); },
	         "tol NaN is not a finite number >= 0"},
	        {1, [](NmfcOptions &o) { o.max_seconds = std::numeric_limits<double>::infinity(); },
	         "max_seconds Infinity is not a finite number >= 0"},
	        {1, [](NmfcOptions &o) { o.l1_w = -0.5; }, "l1_w -0.5 is not a finite number >= 0"},
	        {1, [](NmfcOptions &o) { o.l2_h = -2; }, "l2_h -2 is not a finite number >= 0"},
	};
	for (const auto &c : cases)
	{
		NmfcOptions opt = defaults(c.rank);
		c.set(opt);
		expect_refused(opt, NMFC_INVALID_ARGUMENT, c.message);
	}

	// A rank past the hard limit, on a matrix that would allow it.
	std::vector<int64_t> row_ptr(20001, 0);
	NmfcMatrixView big = {20000, 20000, 0, row_ptr.data(), nullptr, nullptr, nullptr, nullptr};
	const NmfcOptions opt = defaults(NMF_MAX_RANK + 1);
	NmfcError err;
	EXPECT_EQ(nmfc_options_validate(&big, &opt, &err), NMFC_LIMIT_EXCEEDED);
	EXPECT_STREQ(err.message, "rank 10001 is larger than the limit of 10000");
}

TEST(ApiGuard, MissingArgumentsAreStatuses)
{
	NmfcError err;
	NmfcOptions opt = defaults(1);
	NmfcFit *fit = nullptr;
	EXPECT_EQ(nmfc_fit_create(nullptr, &opt, nullptr, &fit, &err), NMFC_INVALID_ARGUMENT);
	EXPECT_EQ(fit, nullptr);
	const Image matrix = seed_image();
	const NmfcMatrixView v = nmf_test::view_of(matrix);
	EXPECT_EQ(nmfc_fit_create(&v, nullptr, nullptr, &fit, &err), NMFC_INVALID_ARGUMENT);
	EXPECT_EQ(nmfc_fit_create(&v, &opt, nullptr, nullptr, &err), NMFC_INVALID_ARGUMENT);
	int done = 0;
	EXPECT_EQ(nmfc_fit_step(nullptr, &done, &err), NMFC_INVALID_ARGUMENT);
	EXPECT_EQ(nmfc_fit_write_model(nullptr, nullptr, nullptr, nullptr, 0, &err),
	          NMFC_INVALID_ARGUMENT);
	EXPECT_EQ(nmfc_matrix_validate(nullptr, 0, &err), NMFC_INVALID_DATA);
	EXPECT_EQ(nmfc_model_validate(nullptr, 3, nullptr), NMFC_INVALID_DATA) << "err may be NULL";
	EXPECT_EQ(nmfc_options_validate(nullptr, &opt, &err), NMFC_INVALID_ARGUMENT);
	EXPECT_EQ(nmfc_fit_memory(nullptr, &opt), INT64_MAX);
	NmfcSummary s;
	nmfc_fit_summary(nullptr, &s);
	EXPECT_EQ(s.iterations, 0);
	nmfc_fit_free(nullptr);
}

TEST(ApiGuard, InterruptFlagCancelsCreateAndStep)
{
	const Image matrix = seed_image();
	const NmfcMatrixView v = nmf_test::view_of(matrix);
	const NmfcOptions opt = defaults(1);
	volatile int cancel = 1;
	volatile int die = 0;
	NmfcInterrupts intr = {{&cancel, &die}};
	NmfcError err;
	NmfcFit *fit = nullptr;
	EXPECT_EQ(nmfc_fit_create(&v, &opt, &intr, &fit, &err), NMFC_CANCELLED);
	EXPECT_EQ(fit, nullptr);
	EXPECT_STREQ(err.message, "nmf computation cancelled");

	cancel = 0;
	ASSERT_EQ(nmfc_fit_create(&v, &opt, &intr, &fit, &err), NMFC_OK) << err.message;
	int done = 0;
	EXPECT_EQ(nmfc_fit_step(fit, &done, &err), NMFC_OK);
	die = 1;
	EXPECT_EQ(nmfc_fit_step(fit, &done, &err), NMFC_CANCELLED);
	die = 0;
	// The factors may be half updated: the fit refuses to continue.
	EXPECT_EQ(nmfc_fit_step(fit, &done, &err), NMFC_INVALID_ARGUMENT);
	nmfc_fit_free(fit);
}

TEST(ApiGuard, StepAfterDoneDoesNothing)
{
	const Image matrix = seed_image();
	const NmfcMatrixView v = nmf_test::view_of(matrix);
	NmfcOptions opt = defaults(1);
	opt.max_iter = 2;
	NmfcError err;
	NmfcFit *fit = nullptr;
	ASSERT_EQ(nmfc_fit_create(&v, &opt, nullptr, &fit, &err), NMFC_OK);
	int done = 0;
	EXPECT_EQ(nmfc_fit_step(fit, &done, &err), NMFC_OK);
	EXPECT_EQ(done, 0);
	EXPECT_EQ(nmfc_fit_step(fit, &done, &err), NMFC_OK);
	EXPECT_EQ(done, 1);
	EXPECT_EQ(nmfc_fit_step(fit, &done, &err), NMFC_OK);
	EXPECT_EQ(done, 1);
	NmfcSummary s;
	nmfc_fit_summary(fit, &s);
	EXPECT_EQ(s.iterations, 2);

	// A buffer of the wrong size is refused, not overrun.
	const NmfMatrixFlat *m = static_cast<const NmfMatrixFlat *>(matrix.data());
	Image model(static_cast<size_t>(nmfc_model_size(3, 3, 1, 2)) - 8);
	EXPECT_EQ(nmfc_fit_write_model(fit, nmf_matrix_row_ids(m), nmf_matrix_col_ids(m), model.data(),
	                               model.size(), &err),
	          NMFC_INVALID_ARGUMENT);
	EXPECT_NE(std::string(err.message).find("bytes"), std::string::npos) << err.message;
	nmfc_fit_free(fit);
}

TEST(ApiGuard, MemoryEstimateCoversTheFactors)
{
	const Image matrix = nmf_test::random_sparse(300, 200, 0.1, 5, nullptr);
	const NmfcMatrixView v = nmf_test::view_of(matrix);
	const NmfcOptions opt = defaults(10);
	const int64_t bytes = nmfc_fit_memory(&v, &opt);
	const int64_t factors = 8 * 10 * (300 + 200);
	const int64_t transpose = v.nnz * 12 + 201 * 8;
	EXPECT_GE(bytes, factors + transpose + 200 * 16);
	EXPECT_LT(bytes, 2 * (factors + transpose) + 2 * 8 * 10 * 4096 + 10000);
	NmfcOptions huge = defaults(10);
	NmfcMatrixView vast = {INT64_MAX / 2, INT64_MAX / 2, INT64_MAX / 2, nullptr,
	                       nullptr,       nullptr,       nullptr,       nullptr};
	EXPECT_EQ(nmfc_fit_memory(&vast, &huge), INT64_MAX) << "saturates instead of overflowing";
}
