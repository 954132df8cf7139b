// SPDX-License-Identifier: PostgreSQL
// nmf_tune's search: k-fold cross-validation over the stored cells of the
// rank and the count-scaled ridge, each fold walking the ridge path from the
// largest value down, warm-started from the previous ridge's factors.
#ifndef NMF_TUNE_HPP
#define NMF_TUNE_HPP

#include <cstdint>
#include <vector>

#include "nmf_api.h"
#include "sparse.hpp"

namespace nmf
{

struct TuneSpec
{
	std::vector<int64_t> ranks;
	std::vector<double> regs; // any order; walked from the largest
	int32_t folds = 5;
	double max_seconds = 0; // 0: no budget
};

struct TuneOutcome
{
	std::vector<double> rows; // NMF_TUNE_FIELDS doubles a row (nmf_format.h)
	int64_t rank = 0;         // the best complete candidate, 0 when none completed
	double reg = 0.0;
	double test_rmse = 0.0; // its mean over the folds
	bool budget_hit = false;
};

// A fold's path stops after this many ridges in a row that raise its test error.
constexpr int kTunePathPatience = 2;

// base holds every other option of the fits (missing, bias, solver, seed,
// tol, max_iter, threads, ...); the folds are those of nmf_split with
// base.seed. Deterministic for a seed unless the budget cuts the search.
TuneOutcome tune(const CsrView &x, const NmfcOptions &base, const TuneSpec &spec,
                 const NmfcInterrupts &intr);

} // namespace nmf

#endif
