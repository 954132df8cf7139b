// SPDX-License-Identifier: PostgreSQL
// The door of nmf_tune: the search (tune.cpp) as an opaque handle, and the
// model image with the search's table appended.
#include <cstring>
#include <memory>
#include <new>

#include "door_guard.hpp"
#include "format.hpp"
#include "tune.hpp"

struct NmfcTune
{
	nmf::TuneOutcome outcome;
};

using nmf::door::guarded;

extern "C"
{

	int
	nmfc_tune_run(const NmfcMatrixView *x, const NmfcOptions *base, const int64_t *ranks,
	              int32_t nranks, const double *regs, int32_t nregs, int32_t folds,
	              double max_seconds, int32_t ensemble, const NmfcInterrupts *intr, NmfcTune **out,
	              NmfcError *err) noexcept
	{
		if (out != nullptr)
			*out = nullptr;
		return guarded(err, [&] {
			if (x == nullptr || base == nullptr || out == nullptr || ranks == nullptr ||
			    regs == nullptr || nranks < 1 || nregs < 1)
				throw nmf::InvalidArgument("nmf_tune needs a matrix, options, ranks and regs");
			nmf::TuneSpec spec;
			spec.ranks.assign(ranks, ranks + nranks);
			spec.regs.assign(regs, regs + nregs);
			spec.folds = folds;
			spec.max_seconds = max_seconds;
			spec.ensemble = ensemble;
			const NmfcInterrupts none{};
			auto t = std::make_unique<NmfcTune>();
			t->outcome = nmf::tune(*x, *base, spec, intr != nullptr ? *intr : none);
			*out = t.release();
		});
	}

	void
	nmfc_tune_best(const NmfcTune *t, int64_t *rank, double *reg, double *cv_rmse, int64_t *rows,
	               int *budget_hit, int32_t *members) noexcept
	{
		if (t == nullptr)
			return;
		*rank = t->outcome.rank;
		*reg = t->outcome.reg;
		*cv_rmse = t->outcome.test_rmse;
		*rows = static_cast<int64_t>(t->outcome.rows.size() / NMF_TUNE_FIELDS);
		*budget_hit = t->outcome.budget_hit ? 1 : 0;
		*members = t->outcome.members;
	}

	int64_t
	nmfc_tune_model_size(const NmfcTune *t) noexcept
	{
		return t == nullptr ? -1 : static_cast<int64_t>(t->outcome.model_bytes);
	}

	int
	nmfc_tune_model_copy(const NmfcTune *t, void *out, size_t out_size, NmfcError *err) noexcept
	{
		return guarded(err, [&] {
			if (t == nullptr || out == nullptr || out_size != t->outcome.model_bytes)
				throw nmf::InvalidArgument("a search and a buffer of its model's size are needed");
			// The length word is the caller's (SET_VARSIZE).
			nmf::write_header(out,
			                  *reinterpret_cast<const NmfModelFlat *>(t->outcome.model.data()));
			std::memcpy(static_cast<char *>(out) + sizeof(NmfModelFlat),
			            reinterpret_cast<const char *>(t->outcome.model.data()) +
			                sizeof(NmfModelFlat),
			            out_size - sizeof(NmfModelFlat));
		});
	}

	void
	nmfc_tune_free(NmfcTune *t) noexcept
	{
		delete t;
	}
}
