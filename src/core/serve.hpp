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

// As recommend_batch, for the rows rows[0..count) (dense indexes, in any
// order), without the scores: row p's picks in cols[p * k ..], counts[p] of them.
void recommend_rows(const apply::ModelView &m, const int64_t *rows, int64_t count, int64_t k,
                    const NmfMatrixFlat *exclude, int threads, int64_t *cols, int64_t *counts,
                    const NmfcInterrupts &intr);

// Ranking metrics of one top-k list against a row's relevant columns (see
// rank_score.cpp for their definitions).
struct RankMetrics
{
	double precision = 0, recall = 0, ndcg = 0, ap = 0;
};

// list[0..n) (n <= k) the listed columns, best first; relevant[0..n_relevant)
// the row's relevant columns, ascending, n_relevant >= 1.
RankMetrics rank_metrics(const int64_t *list, int64_t n, int64_t k, const int64_t *relevant,
                         int64_t n_relevant);

// Sums of the metrics over the rows of a test matrix, and the counts they
// are averaged over (the door's NmfcRankScore).
struct RankSums
{
	RankMetrics sum;
	int64_t rows = 0;          // rows scored: known, with at least one relevant cell
	int64_t unknown_rows = 0;  // test rows the model lacks
	int64_t empty_rows = 0;    // known test rows whose cells are all in unknown columns
	int64_t unknown_cells = 0; // test cells in unknown rows or columns
	int64_t listed_cols = 0;   // model columns in at least one scored row's list
	int64_t cols = 0;          // the model's columns
};

// Scores the top k of each row of `test` that m knows, with that row's cells
// in `train` (may be null) left out of its list: every stored test cell in a
// column m knows is relevant. Lists come from recommend_rows on `threads` lanes.
RankSums rank_score(const apply::ModelView &m, const NmfMatrixFlat *test,
                    const NmfMatrixFlat *train, int64_t k, int threads, const NmfcInterrupts &intr);

// The same for the popularity list: train's columns by their count of stored
// cells (ties by lower id), the row's own train cells left out; the rows
// scored are the test rows train has.
RankSums popularity_score(const NmfMatrixFlat *train, const NmfMatrixFlat *test, int64_t k,
                          int threads, const NmfcInterrupts &intr);

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
// to_mean: the model's fit pulled its lines toward the mean line
// (solvers.hpp, pulls_to_mean), so the new cells' ridge does too.
Updated update(const apply::ModelView &m, double reg, double l1_w, double l1_h, double l2_w,
               double l2_h, int64_t model_nnz, bool to_mean, const CsrView &x, int32_t sweeps,
               int threads, const NmfcInterrupts &intr);

} // namespace serve
} // namespace nmf

#endif
