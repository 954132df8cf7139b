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
	int32_t ensemble = 1;   // fits the final model averages
};

struct TuneOutcome
{
	std::vector<double> rows; // NMF_TUNE_FIELDS doubles a row (nmf_format.h)
	int64_t rank = 0;         // the best complete candidate, 0 when none completed
	double reg = 0.0;
	double final_reg = 0.0; // the final fits' reg (kFinalRegScale)
	double test_rmse = 0.0; // its mean over the folds
	bool budget_hit = false;
	int32_t members = 1; // the final fits: ensemble, fewer when members x rank > min(rows, cols)
	std::vector<double> model; // the final model's image (ensemble.hpp), search table included
	size_t model_bytes = 0;
};

// A fold's path stops after this many ridges in a row that raise its test error.
constexpr int kTunePathPatience = 2;
// The final fits, on every cell, take the chosen reg times the fraction of
// the cells a fold trained on: the best count-scaled ridge falls with the
// cells a row has (MovieLens 100k, rank 40: 0.1 on 2/3 of the cells, 0.07 on
// all; docs/performance.md#accuracy).
constexpr double
kFinalRegScale(int32_t folds)
{
	return static_cast<double>(folds - 1) / static_cast<double>(folds);
}
// The most fits the final model may average.
constexpr int32_t kMaxEnsemble = 100;

// base holds every other option of the fits (missing, bias, solver, seed,
// tol, max_iter, threads, ...); the folds are those of nmf_split with
// base.seed. Then fits the final model (out.model): the best candidate on
// every cell, once per seed of the ensemble, averaged. x needs its ids.
// Deterministic for a seed unless the budget cuts the search.
TuneOutcome tune(const CsrView &x, const NmfcOptions &base, const TuneSpec &spec,
                 const NmfcInterrupts &intr);

} // namespace nmf

#endif
