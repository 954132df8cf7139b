// SPDX-License-Identifier: PostgreSQL
// Using a fitted model: predicted cells, top-k by score, nearest neighbours in
// factor space, fold-in of new rows (non-negative least squares with H fixed),
// error over a matrix's stored cells and a seeded split of those cells.
//
// A model is read in place (ModelView): W is rows x r with row i's weights
// contiguous, H is cols x r with column j's weights contiguous, so a predicted
// cell (W H)_ij is the dot product of two contiguous r-vectors.
#ifndef NMF_APPLY_HPP
#define NMF_APPLY_HPP

#include <algorithm>
#include <cstdint>
#include <vector>

#include "errors.hpp"
#include "find_id.hpp"
#include "nmf_api.h"
#include "sparse.hpp"

namespace nmf
{
namespace apply
{

// A validated model seen as plain arrays (not owned).
struct ModelView
{
	int64_t rows = 0;
	int64_t cols = 0;
	int64_t rank = 0;
	const int64_t *row_ids = nullptr; // strictly ascending
	const int64_t *col_ids = nullptr; // strictly ascending
	const double *w = nullptr;        // rows x rank
	const double *h = nullptr;        // cols x rank
	bool masked = false;              // fitted with only the stored cells counted
	bool bias = false;                // predictions add mu + b_row[i] + b_col[j]
	double mu = 0.0;
	double l2_bias = 0.0;
	const double *b_row = nullptr; // rows, when bias
	const double *b_col = nullptr; // cols, when bias
	bool clip = false;             // predictions kept within the training range
	double clip_min = 0.0;
	double clip_max = 0.0;
	bool implicit = false; // fitted to implicit feedback: fold-in weighs by confidence
	double alpha = 0.0;    // implicit: a stored cell's confidence is 1 + alpha v
};

// The door's view of a model, checked (door_apply.cpp).
ModelView view_of(const NmfcModelView *m);

// A score as the model reports it: within [clip_min, clip_max] when clip is on.
// Rankings use the raw score, so that clipping never ties what the model orders.
inline double
clipped(const ModelView &m, double score) noexcept
{
	return m.clip ? std::min(std::max(score, m.clip_min), m.clip_max) : score;
}

// (W H)_ij for dense indexes i, j (plus mu + b_row[i] + b_col[j] when biased),
// clipped when m.clip.
double predict(const ModelView &m, int64_t i, int64_t j) noexcept;

// One scored candidate: a dense index and its score.
struct Scored
{
	int64_t index;
	double score;
};

// The k best of scores[0..n) (highest first, ties by lower index) among the
// indexes not flagged in `skip` (may be empty). Partial sort: O(n + k log k)
// on top of the n candidates.
std::vector<Scored> top_k(const std::vector<double> &scores, const std::vector<char> &skip,
                          int64_t k);

// Scores of every column for row i: s_j = predict(m, i, j).
void row_scores(const ModelView &m, int64_t i, std::vector<double> *scores);

// Columns of the model that the given cells of row `row_id` of matrix x name,
// flagged in skip (size m.cols); x may be null (nothing flagged).
void flag_row_cells(const ModelView &m, const NmfMatrixFlat *x, int64_t row_id,
                    std::vector<char> *skip);

enum class Side
{
	Row, // rows of W
	Col  // columns of H
};
enum class Metric
{
	Cosine,
	Dot
};

// Similarity of item `index` on one side to every item on that side.
// Cosine of a zero vector is 0.
void similarities(const ModelView &m, Side side, Metric metric, int64_t index,
                  std::vector<double> *out);

// Fold-in: for each row of x (cells whose column id the model lacks are
// ignored), the w >= 0 minimising ||x_row - w H||^2, over every model column
// (absent cells as zeros) or, when masked, over the row's known stored cells
// only. out is x.rows x rank. A biased model solves each row's bias jointly
// (ridge l2_bias, as in the fit) into out_bias[x.rows] when it is not null.
struct TransformCounts
{
	int64_t unknown_cells = 0;
	int64_t unknown_cols = 0;
};
TransformCounts transform(const ModelView &m, const CsrView &x, const int64_t *x_col_ids,
                          bool masked, double *out, const NmfcInterrupts &intr,
                          double *out_bias = nullptr);

// Non-negative least squares min_{w >= 0} 1/2 w'Gw - b'w by cyclic coordinate
// descent (G symmetric positive semi-definite, r x r, column-major). w holds
// the start on entry and the solution on return. Coordinates from `free_from`
// on are not constrained (a bias solved jointly with the weights).
void nnls_cd(const double *g, const double *b, int64_t r, double *w, int64_t free_from = -1);

// Sums over the stored cells of x whose row and column ids the model knows.
struct ScoreSums
{
	int64_t cells = 0;
	int64_t unknown_cells = 0;
	double sse = 0;  // sum of squared errors
	double sae = 0;  // sum of absolute errors
	double x_sq = 0; // sum of squared values (same cells)
};
ScoreSums score(const ModelView &m, const CsrView &x, const int64_t *x_row_ids,
                const int64_t *x_col_ids, const NmfcInterrupts &intr);

// Fold of a cell in [0, folds): a hash of (row id, col id, seed), the same on
// every platform and for every matrix the cell is in.
int32_t cell_fold(int64_t row_id, int64_t col_id, int64_t seed, int32_t folds) noexcept;

// The same hash as a number in [0, 1): a fit's held-out cells are those below holdout.
double cell_uniform(int64_t row_id, int64_t col_id, int64_t seed) noexcept;

// Splits the stored cells of x: those of fold `fold` (in [0, folds)) are the
// test cells, written from the end of out[0..x.nnz) backwards, the others the
// training cells, written from the start in x's order. Returns the count of
// training cells.
int64_t split(const CsrView &x, const int64_t *row_ids, const int64_t *col_ids, int32_t folds,
              int32_t fold, int64_t seed, NmfTriplet *out, const NmfcInterrupts &intr);

} // namespace apply
} // namespace nmf

#endif
