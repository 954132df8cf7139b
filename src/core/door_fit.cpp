// SPDX-License-Identifier: PostgreSQL
// The door of fitting: options, their names, and the fit handle behind
// SQL nmf() and nmf_fit() (src/pg/fit.c, fit_table.c).
#include <cstring>
#include <iterator>
#include <limits>

#include "door_guard.hpp"
#include "fit.hpp"

using nmf::door::guarded;
using nmf::door::interrupts_or_none;
using nmf::door::require;

struct NmfcFit
{
	NmfcFit(const nmf::CsrView &x, const NmfcOptions &opt, const NmfcInterrupts &intr)
	    : fit(x, opt, intr)
	{
	}
	nmf::Fit fit;
};

namespace
{

// Names of option codes: index = code. Lookups are case-sensitive, as the
// glue passes the user's string through unchanged.
constexpr const char *kSolverNames[] = {"mu", "hals", "gd"};
constexpr const char *kLossNames[] = {"frobenius", "kl"};
constexpr const char *kInitNames[] = {"random",   "nndsvd", "nndsvda",
                                      "nndsvdar", "custom", "warm_start"};
constexpr const char *kMissingNames[] = {"zero", "ignore"};
static_assert(std::size(kSolverNames) == NMF_SOLVER_COUNT, "a solver has no name");
static_assert(std::size(kLossNames) == NMF_LOSS_COUNT, "a loss has no name");
static_assert(std::size(kInitNames) == NMF_INIT_COUNT, "an init has no name");
static_assert(std::size(kMissingNames) == NMF_MISSING_COUNT, "a missing mode has no name");

template <size_t N>
int
code_of(const char *const (&names)[N], const char *name) noexcept
{
	if (name == nullptr)
		return -1;
	for (size_t i = 0; i < N; i++)
		if (std::strcmp(names[i], name) == 0)
			return static_cast<int>(i);
	return -1;
}

template <size_t N>
const char *
name_of(const char *const (&names)[N], int code) noexcept
{
	return code >= 0 && static_cast<size_t>(code) < N ? names[code] : nullptr;
}

} // namespace

#define OPTION_LOOKUPS(code_fn, name_fn, names_fn, table, hint)                                    \
	int code_fn(const char *name) noexcept                                                         \
	{                                                                                              \
		return code_of(table, name);                                                               \
	}                                                                                              \
	const char *name_fn(int code) noexcept                                                         \
	{                                                                                              \
		return name_of(table, code);                                                               \
	}                                                                                              \
	const char *names_fn(void) noexcept                                                            \
	{                                                                                              \
		return hint;                                                                               \
	}

extern "C"
{

	void
	nmfc_options_default(NmfcOptions *opt, int64_t rank) noexcept
	{
		if (opt == nullptr)
			return;
		std::memset(opt, 0, sizeof(*opt));
		opt->rank = rank;
		opt->solver = NMF_SOLVER_HALS;
		opt->loss = NMF_LOSS_FROBENIUS;
		opt->init = NMF_INIT_RANDOM;
		opt->missing = NMF_MISSING_ZERO;
		opt->max_iter = 200;
		opt->tol = 1e-4;
		opt->seed = 0;
		opt->max_seconds = 0;
		opt->l1_w = opt->l1_h = opt->l2_w = opt->l2_h = 0;
		opt->learning_rate = 0;
		opt->threads = 0;
		opt->bias = 0;
		opt->l2_bias = NMF_DEFAULT_L2_BIAS;
		opt->reg = NMF_REG_AUTO;
		opt->holdout = 0;
		opt->patience = NMF_DEFAULT_PATIENCE;
	}

	// Each option's three lookups, by the door functions' full names: the code
	// of a name, the name of a code, and the accepted names for hints (in the
	// order the documentation gives them, kept by hand beside the tables).
	OPTION_LOOKUPS(nmfc_solver_code, nmfc_solver_name, nmfc_solver_names, kSolverNames,
	               "hals, mu, gd")
	OPTION_LOOKUPS(nmfc_loss_code, nmfc_loss_name, nmfc_loss_names, kLossNames, "frobenius, kl")
	OPTION_LOOKUPS(nmfc_init_code, nmfc_init_name, nmfc_init_names, kInitNames,
	               "random, nndsvd, nndsvda, nndsvdar, custom, warm_start")
	OPTION_LOOKUPS(nmfc_missing_code, nmfc_missing_name, nmfc_missing_names, kMissingNames,
	               "zero, ignore")

	int
	nmfc_options_validate(const NmfcMatrixView *x, const NmfcOptions *opt, NmfcError *err) noexcept
	{
		return guarded(
		    err, [&] { nmf::Fit::validate(*require(x, "matrix"), *require(opt, "options")); });
	}

	int64_t
	nmfc_fit_memory(const NmfcMatrixView *x, const NmfcOptions *opt) noexcept
	{
		if (x == nullptr || opt == nullptr)
			return std::numeric_limits<int64_t>::max();
		return nmf::Fit::memory(*x, *opt);
	}

	int
	nmfc_fit_create(const NmfcMatrixView *x, const NmfcOptions *opt, const NmfcInterrupts *intr,
	                NmfcFit **out, NmfcError *err) noexcept
	{
		if (out != nullptr)
			*out = nullptr;
		return guarded(err, [&] {
			// The output is checked first: a fit made for nowhere would leak.
			NmfcFit **slot = require(out, "fit output");
			*slot = new NmfcFit(*require(x, "matrix"), *require(opt, "options"),
			                    interrupts_or_none(intr));
		});
	}

	int
	nmfc_fit_step(NmfcFit *fit, int *done, NmfcError *err) noexcept
	{
		return guarded(
		    err, [&] { *require(done, "done flag") = require(fit, "fit")->fit.step() ? 1 : 0; });
	}

	void
	nmfc_fit_summary(const NmfcFit *fit, NmfcSummary *out) noexcept
	{
		if (out == nullptr)
			return;
		if (fit == nullptr)
		{
			std::memset(out, 0, sizeof(*out));
			return;
		}
		*out = fit->fit.summary();
	}

	int
	nmfc_fit_write_model(NmfcFit *fit, const int64_t *row_ids, const int64_t *col_ids, void *flat,
	                     size_t size, NmfcError *err) noexcept
	{
		return guarded(err,
		               [&] { require(fit, "fit")->fit.write_model(row_ids, col_ids, flat, size); });
	}

	void
	nmfc_fit_free(NmfcFit *fit) noexcept
	{
		delete fit;
	}

} // extern "C"
