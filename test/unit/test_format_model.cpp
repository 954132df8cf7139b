// SPDX-License-Identifier: PostgreSQL
// The model image: every forged or damaged model refused with
// NMFC_INVALID_DATA and a message, never read out of bounds.
#include <limits>

#include "format_util.hpp"

using nmf_test::Image;
using nmf_test::small_model;

namespace
{

NmfModelFlat *
model_head(Image &img)
{
	return static_cast<NmfModelFlat *>(img.data());
}

void
expect_model_refused(const char *what, const std::function<void(Image &)> &damage,
                     const char *needle)
{
	nmf_test::expect_refused(nmfc_model_validate, small_model(), "invalid nmf_model: ", what,
	                         damage, needle);
}

} // namespace

TEST(Format, ModelDamageIsRefused)
{
	expect_model_refused(
	    "wrong magic", [](Image &i) { model_head(i)->magic ^= 1; }, "magic");
	expect_model_refused(
	    "wrong version", [](Image &i) { model_head(i)->version = 0; }, "version");
	expect_model_refused(
	    "reserved2", [](Image &i) { model_head(i)->reserved2 = 1; }, "reserved2");
	expect_model_refused(
	    "truncated", [](Image &i) { i.resize(i.size() - 1); }, "size");
	expect_model_refused(
	    "extra byte", [](Image &i) { i.resize(i.size() + 1); }, "size");
	expect_model_refused(
	    "rank", [](Image &i) { model_head(i)->rank = 4; }, "rank");
	expect_model_refused(
	    "solver", [](Image &i) { model_head(i)->solver = NMF_SOLVER_COUNT; }, "solver");
	expect_model_refused(
	    "max_iter", [](Image &i) { model_head(i)->max_iter = -1; }, "max_iter");
	expect_model_refused(
	    "beta without loss beta", [](Image &i) { model_head(i)->beta = 0.5; },
	    "beta (without loss beta)");
	expect_model_refused(
	    "beta not finite",
	    [](Image &i) {
		model_head(i)->loss = NMF_LOSS_BETA;
		model_head(i)->beta = std::numeric_limits<double>::quiet_NaN();
	    },
	    "beta = NaN");
	expect_model_refused(
	    "beta out of range",
	    [](Image &i) {
		model_head(i)->loss = NMF_LOSS_BETA;
		model_head(i)->beta = 11;
	    },
	    "beta = 11");
	expect_model_refused(
	    "tol", [](Image &i) { model_head(i)->tol = -1; }, "tol = -1");
	expect_model_refused(
	    "l2_h", [](Image &i) { model_head(i)->l2_h = std::numeric_limits<double>::infinity(); },
	    "l2_h");
	expect_model_refused(
	    "learning_rate", [](Image &i) { model_head(i)->learning_rate = -0.5; },
	    "learning_rate = -0.5");
	expect_model_refused(
	    "converged", [](Image &i) { model_head(i)->converged = 2; }, "converged");
	expect_model_refused(
	    "iterations", [](Image &i) { model_head(i)->iterations = 6; }, "iterations");
	expect_model_refused(
	    "history_len", [](Image &i) { model_head(i)->history_len = 6; }, "history_len");
	expect_model_refused(
	    "final_loss",
	    [](Image &i) { model_head(i)->final_loss = std::numeric_limits<double>::quiet_NaN(); },
	    "final_loss");
	expect_model_refused(
	    "unsorted col ids",
	    [](Image &i) {
		int64_t *ids = const_cast<int64_t *>(nmf_model_col_ids(model_head(i)));
		std::swap(ids[0], ids[1]);
	    },
	    "col_ids[1]");
	expect_model_refused(
	    "negative w", [](Image &i) { const_cast<double *>(nmf_model_w(model_head(i)))[3] = -2; },
	    "w[3] = -2");
	expect_model_refused(
	    "NaN h",
	    [](Image &i) { const_cast<double *>(nmf_model_h(model_head(i)))[0] = std::nan(""); },
	    "h[0]");
	expect_model_refused(
	    "history seconds decreasing",
	    [](Image &i) {
		double *s = const_cast<double *>(nmf_model_history_seconds(model_head(i)));
		s[4] = s[3] / 2;
	    },
	    "history_seconds[4]");
}

TEST(Format, RandomByteFlipsOfAModelNeverCrash)
{
	nmf_test::flip_bytes(small_model(), nmfc_model_validate, 20000, 1);
}
