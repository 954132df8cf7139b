// SPDX-License-Identifier: PostgreSQL
// The extern "C" door of the core, and the only place that catches.
//
// Every entry point that can fail runs its body through guarded(), which
// turns each exception into a status and a message in the caller's buffer:
// nothing thrown in the core ever reaches the C glue, whose error reporting would
// otherwise longjmp over live C++ frames.
#include "nmf_api.h"

#include <cstdio>
#include <cstring>
#include <iterator>
#include <limits>
#include <new>
#include <stdexcept>

#include "errors.hpp"
#include "fit.hpp"
#include "format.hpp"
#include "triplets.hpp"

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

void
set_message(NmfcError *err, const char *prefix, const char *text) noexcept
{
	if (err != nullptr)
		std::snprintf(err->message, sizeof(err->message), "%s%s", prefix, text);
}

template <class F>
int
guarded(NmfcError *err, F &&body) noexcept
{
	if (err != nullptr)
		err->message[0] = '\0';
	try
	{
		body();
		return NMFC_OK;
	}
	catch (const std::bad_alloc &)
	{
		set_message(err, "", "out of memory in the nmf core");
		return NMFC_OUT_OF_MEMORY;
	}
	catch (const std::length_error &)
	{
		// A container asked for more than it can ever hold: memory, not a bug.
		set_message(err, "", "out of memory in the nmf core: allocation too large");
		return NMFC_OUT_OF_MEMORY;
	}
	catch (const nmf::Error &e)
	{
		set_message(err, "", e.what());
		return e.status();
	}
	catch (const std::exception &e)
	{
		set_message(err, "internal error in the nmf core: ", e.what());
		return NMFC_INTERNAL;
	}
	catch (...)
	{
		set_message(err, "", "internal error in the nmf core: unknown exception");
		return NMFC_INTERNAL;
	}
}

NmfcInterrupts
interrupts_or_none(const NmfcInterrupts *intr) noexcept
{
	NmfcInterrupts copy{};
	if (intr != nullptr)
		copy = *intr;
	return copy;
}

nmf::CsrView
csr_view(const NmfcMatrixView *x)
{
	if (x == nullptr)
		throw nmf::InvalidArgument("matrix is missing");
	nmf::CsrView v;
	v.rows = x->rows;
	v.cols = x->cols;
	v.nnz = x->nnz;
	v.row_ptr = x->row_ptr;
	v.col_idx = x->col_idx;
	v.values = x->values;
	v.row_ids = x->row_ids;
	v.col_ids = x->col_ids;
	return v;
}

const NmfcOptions &
options(const NmfcOptions *opt)
{
	if (opt == nullptr)
		throw nmf::InvalidArgument("options are missing");
	return *opt;
}

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

extern "C"
{

	int
	nmfc_matrix_validate(const void *flat, size_t size, NmfcError *err) noexcept
	{
		return guarded(err, [&] { nmf::validate_matrix(flat, size); });
	}

	int
	nmfc_state_validate(const void *flat, size_t size, NmfcError *err) noexcept
	{
		return guarded(err, [&] { nmf::validate_state(flat, size); });
	}

	int
	nmfc_model_validate(const void *flat, size_t size, NmfcError *err) noexcept
	{
		return guarded(err, [&] { nmf::validate_model(flat, size); });
	}

	int64_t
	nmfc_matrix_size(int64_t rows, int64_t cols, int64_t nnz) noexcept
	{
		return nmf::matrix_size(rows, cols, nnz);
	}

	int64_t
	nmfc_model_size(int64_t rows, int64_t cols, int64_t rank, int64_t history_len) noexcept
	{
		return nmf::model_size(rows, cols, rank, history_len);
	}

	int
	nmfc_triplets_sort_merge(NmfTriplet *t, int64_t count, int64_t *nnz, int64_t *rows,
	                         int64_t *cols, const NmfcInterrupts *intr, NmfcError *err) noexcept
	{
		return guarded(err,
		               [&]
		               {
			               if (nnz == nullptr || rows == nullptr || cols == nullptr)
				               throw nmf::InvalidArgument("sort_merge outputs are missing");
			               const nmf::MergeResult r =
			                   nmf::sort_merge(t, count, interrupts_or_none(intr));
			               *nnz = r.nnz;
			               *rows = r.rows;
			               *cols = r.cols;
		               });
	}

	int
	nmfc_matrix_write(const NmfTriplet *t, int64_t nnz, int64_t rows, int64_t cols, void *flat,
	                  size_t size, NmfcError *err) noexcept
	{
		return guarded(err, [&] { nmf::write_matrix(t, nnz, rows, cols, flat, size); });
	}

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
	}

	int
	nmfc_solver_code(const char *name) noexcept
	{
		return code_of(kSolverNames, name);
	}
	int
	nmfc_loss_code(const char *name) noexcept
	{
		return code_of(kLossNames, name);
	}
	int
	nmfc_init_code(const char *name) noexcept
	{
		return code_of(kInitNames, name);
	}
	int
	nmfc_missing_code(const char *name) noexcept
	{
		return code_of(kMissingNames, name);
	}

	const char *
	nmfc_solver_name(int code) noexcept
	{
		return name_of(kSolverNames, code);
	}
	const char *
	nmfc_loss_name(int code) noexcept
	{
		return name_of(kLossNames, code);
	}
	const char *
	nmfc_init_name(int code) noexcept
	{
		return name_of(kInitNames, code);
	}
	const char *
	nmfc_missing_name(int code) noexcept
	{
		return name_of(kMissingNames, code);
	}

	// Comma-separated, for hints; kept by hand beside the tables above.
	const char *
	nmfc_solver_names(void) noexcept
	{
		return "hals, mu, gd";
	}
	const char *
	nmfc_loss_names(void) noexcept
	{
		return "frobenius, kl";
	}
	const char *
	nmfc_init_names(void) noexcept
	{
		return "random, nndsvd, nndsvda, nndsvdar, custom, warm_start";
	}
	const char *
	nmfc_missing_names(void) noexcept
	{
		return "zero, ignore";
	}

	int
	nmfc_options_validate(const NmfcMatrixView *x, const NmfcOptions *opt, NmfcError *err) noexcept
	{
		return guarded(err, [&] { nmf::Fit::validate(csr_view(x), options(opt)); });
	}

	int64_t
	nmfc_fit_memory(const NmfcMatrixView *x, const NmfcOptions *opt) noexcept
	{
		if (x == nullptr || opt == nullptr)
			return std::numeric_limits<int64_t>::max();
		nmf::CsrView v;
		v.rows = x->rows;
		v.cols = x->cols;
		v.nnz = x->nnz;
		return nmf::Fit::memory(v, *opt);
	}

	int
	nmfc_fit_create(const NmfcMatrixView *x, const NmfcOptions *opt, const NmfcInterrupts *intr,
	                NmfcFit **out, NmfcError *err) noexcept
	{
		if (out != nullptr)
			*out = nullptr;
		return guarded(err,
		               [&]
		               {
			               if (out == nullptr)
				               throw nmf::InvalidArgument("fit output is missing");
			               *out = new NmfcFit(csr_view(x), options(opt), interrupts_or_none(intr));
		               });
	}

	int
	nmfc_fit_step(NmfcFit *fit, int *done, NmfcError *err) noexcept
	{
		return guarded(err,
		               [&]
		               {
			               if (fit == nullptr || done == nullptr)
				               throw nmf::InvalidArgument("fit or done flag is missing");
			               *done = fit->fit.step() ? 1 : 0;
		               });
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
		               [&]
		               {
			               if (fit == nullptr)
				               throw nmf::InvalidArgument("fit is missing");
			               fit->fit.write_model(row_ids, col_ids, flat, size);
		               });
	}

	void
	nmfc_fit_free(NmfcFit *fit) noexcept
	{
		delete fit;
	}

} // extern "C"
