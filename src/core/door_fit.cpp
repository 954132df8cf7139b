// SPDX-License-Identifier: PostgreSQL
// The door of fitting: options, their names, and the fit handle behind
// SQL nmf() and nmf_fit() (src/pg/fit.c, fit_table.c).
#include <cstring>
#include <iterator>
#include <limits>

#include "door_guard.hpp"
#include "fit.hpp"
#include "options.hpp"

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

#define OPTION_LOOKUPS(option, code_fn, name_fn, names_fn)                                         \
	int code_fn(const char *name) noexcept                                                         \
	{                                                                                              \
		return nmf::options::code_of(option, name);                                                \
	}                                                                                              \
	const char *name_fn(int code) noexcept                                                         \
	{                                                                                              \
		return nmf::options::name_of(option, code);                                                \
	}                                                                                              \
	const char *names_fn(void) noexcept                                                            \
	{                                                                                              \
		return nmf::options::info(option).values;                                                  \
	}

extern "C"
{

	void
	nmfc_options_default(NmfcOptions *opt, int64_t rank) noexcept
	{
		if (opt != nullptr)
			nmf::options::set_defaults(*opt, rank);
	}

	void
	nmfc_options_resolve(NmfcOptions *opt) noexcept
	{
		if (opt != nullptr)
			nmf::options::resolve(*opt);
	}

	const NmfcOptionInfo *
	nmfc_option_info(int option) noexcept
	{
		return option >= 0 && option < NMFC_OPT_COUNT ? &nmf::options::info(option) : nullptr;
	}

	int
	nmfc_option_set_int(NmfcOptions *opt, int option, int64_t value, NmfcError *err) noexcept
	{
		return guarded(err, [&] { nmf::options::set(*require(opt, "options"), option, value); });
	}

	int
	nmfc_option_set_real(NmfcOptions *opt, int option, double value, NmfcError *err) noexcept
	{
		return guarded(err, [&] { nmf::options::set(*require(opt, "options"), option, value); });
	}

	int
	nmfc_option_set_name(NmfcOptions *opt, int option, const char *name, NmfcError *err) noexcept
	{
		return guarded(err,
		               [&] { nmf::options::set_name(*require(opt, "options"), option, name); });
	}

	// Each text option's three lookups, by the door functions' full names.
	OPTION_LOOKUPS(NMFC_OPT_solver, nmfc_solver_code, nmfc_solver_name, nmfc_solver_names)
	OPTION_LOOKUPS(NMFC_OPT_loss, nmfc_loss_code, nmfc_loss_name, nmfc_loss_names)
	OPTION_LOOKUPS(NMFC_OPT_init, nmfc_init_code, nmfc_init_name, nmfc_init_names)
	OPTION_LOOKUPS(NMFC_OPT_missing, nmfc_missing_code, nmfc_missing_name, nmfc_missing_names)
	OPTION_LOOKUPS(NMFC_OPT_feedback, nmfc_feedback_code, nmfc_feedback_name, nmfc_feedback_names)

	int
	nmfc_fit_unfittable(const NmfcMatrixView *x, const NmfcOptions *opt) noexcept
	{
		if (x == nullptr || opt == nullptr)
			return NMFC_FITTABLE;
		return nmf::Fit::unfittable(*x, *opt);
	}

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
