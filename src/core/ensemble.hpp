// SPDX-License-Identifier: PostgreSQL
// nmf_tune's final model: the average of models fitted with different seeds,
// held exactly as one model. The mean of K biased models
//   mu_k + b_row_k + b_col_k + W_k H_k
// is (mean mu) + (mean b_row) + (mean b_col) + [W_1 ... W_K] [H_1; ...; H_K] / K,
// a model of rank K r whose W columns still sum to 1 and whose factors stay
// non-negative, so every reader (predict, recommend, transform) takes it as it is.
#ifndef NMF_ENSEMBLE_HPP
#define NMF_ENSEMBLE_HPP

#include <cstddef>
#include <vector>

#include "nmf_format.h"
#include "sparse.hpp"

namespace nmf
{

// Bytes of the packed image of `members` models (validated, same shape) with
// `tune_rows` rows of search table and a row per member.
int64_t ensemble_size(const std::vector<const NmfModelFlat *> &members, int64_t tune_rows);

// Writes into out the average of the members, fitted on x (same rows and
// columns, same order), followed by the search table `search` and a row per
// member (fold 0: its rank, reg, RMSE over x's cells and seconds). The packed
// header is the first member's (its seed, iterations, history and loss),
// with rank K r, the mean mu, converged only when every member converged and
// stop 'diverged' when any member's was.
void pack_ensemble(const CsrView &x, const std::vector<const NmfModelFlat *> &members,
                   const std::vector<size_t> &sizes, const std::vector<double> &search, void *out,
                   size_t out_size);

} // namespace nmf

#endif
