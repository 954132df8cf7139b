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
	              double max_seconds, const NmfcInterrupts *intr, NmfcTune **out,
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
			const NmfcInterrupts none{};
			auto t = std::make_unique<NmfcTune>();
			t->outcome = nmf::tune(*x, *base, spec, intr != nullptr ? *intr : none);
			*out = t.release();
		});
	}

	void
	nmfc_tune_best(const NmfcTune *t, int64_t *rank, double *reg, double *cv_rmse, int64_t *rows,
	               int *budget_hit) noexcept
	{
		if (t == nullptr)
			return;
		*rank = t->outcome.rank;
		*reg = t->outcome.reg;
		*cv_rmse = t->outcome.test_rmse;
		*rows = static_cast<int64_t>(t->outcome.rows.size() / NMF_TUNE_FIELDS);
		*budget_hit = t->outcome.budget_hit ? 1 : 0;
	}

	int64_t
	nmfc_model_tuned_size(int64_t model_size, const NmfcTune *t) noexcept
	{
		if (t == nullptr || model_size < static_cast<int64_t>(sizeof(NmfModelFlat)))
			return -1;
		const int64_t add = static_cast<int64_t>(t->outcome.rows.size() * sizeof(double));
		return model_size > INT64_MAX - add ? -1 : model_size + add;
	}

	int
	nmfc_model_attach_tune(const NmfModelFlat *in, size_t in_size, const NmfcTune *t, void *out,
	                       size_t out_size, NmfcError *err) noexcept
	{
		return guarded(err, [&] {
			if (in == nullptr || t == nullptr || out == nullptr)
				throw nmf::InvalidArgument("a model, a search and a buffer are needed");
			nmf::validate_model(in, in_size, NMFC_INTERNAL);
			if (in->tune_len != 0)
				throw nmf::InvalidArgument("the model already has a tuning table");
			const size_t add = t->outcome.rows.size() * sizeof(double);
			if (out_size != in_size + add)
				throw nmf::InvalidArgument(
				    nmf::message("the tuned model needs ", in_size + add, " bytes"));
			std::memcpy(out, in, in_size);
			std::memcpy(static_cast<char *>(out) + in_size, t->outcome.rows.data(), add);
			NmfModelFlat *m = static_cast<NmfModelFlat *>(out);
			m->tune_len = static_cast<int64_t>(t->outcome.rows.size() / NMF_TUNE_FIELDS);
			nmf::validate_model(out, out_size, NMFC_INTERNAL);
		});
	}

	void
	nmfc_tune_free(NmfcTune *t) noexcept
	{
		delete t;
	}
}
