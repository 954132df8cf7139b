// SPDX-License-Identifier: PostgreSQL
// Serving a model: the cold-start list of a row the model does not know, the
// top k of every row in batches, and the incremental update that takes new
// cells (new rows, new columns, new ratings) without a full refit.
#ifndef NMF_SERVE_HPP
#define NMF_SERVE_HPP

#include <cstdint>
#include <vector>

#include "apply.hpp"

namespace nmf
{
namespace serve
{

// Scores of every column for the model's average row: the mean of W's rows
// (and of the row biases), s_j = mu + mean(b_row) + b_col[j] + mean(w) . h_j:
// the column's popularity as the model sees it, for a row it does not know.
void popular_scores(const apply::ModelView &m, std::vector<double> *scores);

// The top k columns of rows [first, first + count) by dense index, each as
// nmf_recommend ranks them (its exclude cells left out, ties by lower column
// id): row p's picks in cols[p * k ..] (model column indexes) and scores[p * k
// ..] (the reported, clipped score), counts[p] of them. Scores come from a
// blocked product of a block of W with H, split over `threads` lanes; the
// result does not depend on the thread count.
void recommend_batch(const apply::ModelView &m, int64_t first, int64_t count, int64_t k,
                     const NmfMatrixFlat *exclude, int threads, int64_t *cols, double *scores,
                     int64_t *counts, const NmfcInterrupts &intr);

// A model after nmf_update: the union of the ids and the factors and biases
// for it (see update.cpp), to be written over the old model's header.
struct Updated
{
	std::vector<int64_t> row_ids, col_ids;
	std::vector<double> w, h, b_row, b_col; // rows x r, cols x r; biases when biased
	int64_t new_rows = 0, new_cols = 0, touched_rows = 0, touched_cols = 0;
	double v_min = 0, v_max = 0; // the cells' range
};

// Takes the cells of x (ids row_ids, col_ids) into model m: see update.cpp.
Updated update(const apply::ModelView &m, double reg, double l1_w, double l1_h, double l2_w,
               double l2_h, int64_t model_nnz, const CsrView &x, int32_t sweeps, int threads,
               const NmfcInterrupts &intr);

} // namespace serve
} // namespace nmf

#endif
