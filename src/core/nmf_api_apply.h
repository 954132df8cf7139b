/* SPDX-License-Identifier: PostgreSQL */
/*
 * The door's functions that use a model (apply.cpp, transform.cpp, evaluate.cpp,
 * recommend_all.cpp, update.cpp): predict, top-k, similarity, fold-in, error
 * over a matrix, seeded split, serving.
 * Part of the door (nmf_api.h, which includes this file): the same rules.
 */
#ifndef NMF_API_APPLY_H
#define NMF_API_APPLY_H

#include "nmf_api.h"

#ifdef __cplusplus
extern "C"
{
#endif

	/* A model image seen as plain arrays (not owned); see nmf_format.h. */
	typedef struct NmfcModelView
	{
		int64_t rows, cols, rank;
		const int64_t *row_ids; /* strictly ascending */
		const int64_t *col_ids; /* strictly ascending */
		const double *w;        /* rows x rank, each row's weights contiguous */
		const double *h;        /* cols x rank, each column's weights contiguous */
		int32_t missing;        /* NMF_MISSING_* code the model was fitted with */
		int32_t bias;           /* 1: predictions add mu + b_row[i] + b_col[j] */
		double mu;
		double l2_bias;
		const double *b_row; /* rows, or NULL without bias */
		const double *b_col; /* cols, or NULL without bias */
		int32_t clip;        /* 1: predicted values are clipped to [clip_min, clip_max] */
		double clip_min, clip_max;
		int32_t feedback; /* NMF_FEEDBACK_*: implicit folds rows in with confidences */
		double alpha;     /* implicit: a stored cell's confidence is 1 + alpha v */
	} NmfcModelView;

	/*
	 * The view of a model image whose header and size were checked; clip is
	 * on when the model knows its training range (missing 'ignore').
	 */
	NmfcModelView nmfc_model_view(const NmfModelFlat *m) NMFC_NOEXCEPT;

	/* Index of id in the strictly ascending ids[0..n), or -1 when absent. */
	int64_t nmfc_find_id(const int64_t *ids, int64_t n, int64_t id) NMFC_NOEXCEPT;

	/*
	 * Predicted cells (W H) for n (row id, col id) pairs: out[p] and
	 * known[p] = 1, or known[p] = 0 (out[p] = 0) when the model lacks either
	 * id or skip[p] is set (skip may be NULL).
	 */
	int nmfc_predict_pairs(const NmfcModelView *m, int64_t n, const int64_t *row_ids,
	                       const int64_t *col_ids, const uint8_t *skip, double *out, uint8_t *known,
	                       const NmfcInterrupts *intr, NmfcError *err) NMFC_NOEXCEPT;

	/*
	 * The k best columns for row `row_id` by predicted score, highest first
	 * (ties by lower column id), leaving out the columns that row has stored
	 * cells in, in `exclude` (a validated matrix image, or NULL). Writes
	 * *count <= min(k, cols) pairs to out_ids/out_scores (room for
	 * min(k, cols)); *found = 0 (and *count = 0) when the model lacks the row.
	 * k < 1 is NMFC_INVALID_ARGUMENT.
	 */
	int nmfc_recommend(const NmfcModelView *m, int64_t row_id, int64_t k,
	                   const NmfMatrixFlat *exclude, int64_t *out_ids, double *out_scores,
	                   int64_t *count, int *found, NmfcError *err) NMFC_NOEXCEPT;

	/* side of nmfc_similar: rows of W or columns of H; metric: */
#define NMFC_SIDE_ROW 0
#define NMFC_SIDE_COL 1
#define NMFC_METRIC_COSINE 0
#define NMFC_METRIC_DOT 1

	/*
	 * The k ids on `side` most similar to `id` in factor space, itself left
	 * out, most similar first (ties by lower id). Room for min(k, count on
	 * that side); *found = 0 when the model lacks the id.
	 */
	int nmfc_similar(const NmfcModelView *m, int side, int metric, int64_t id, int64_t k,
	                 int64_t *out_ids, double *out_scores, int64_t *count, int *found,
	                 NmfcError *err) NMFC_NOEXCEPT;

	/*
	 * Fold-in: out (x->rows x rank, row-major) gets, for each row of x, the
	 * non-negative w minimising ||x_row - w H||^2 with H fixed: over every
	 * model column (absent cells as zeros), or over the row's stored cells
	 * only when the model was fitted with missing 'ignore'. Cells in columns
	 * the model lacks are ignored and counted. For a biased model the row's
	 * bias b is solved jointly (min sum (x - mu - b_col - b - w H)^2 +
	 * l2_bias b^2, w >= 0) into out_bias[x->rows] (NULL: not wanted).
	 */
	int nmfc_transform(const NmfcModelView *m, const NmfcMatrixView *x, const int64_t *x_col_ids,
	                   double *out, double *out_bias, int64_t *unknown_cells, int64_t *unknown_cols,
	                   const NmfcInterrupts *intr, NmfcError *err) NMFC_NOEXCEPT;

	/* Sums over the stored cells of x whose ids the model knows. */
	typedef struct NmfcScore
	{
		int64_t cells;         /* cells counted */
		int64_t unknown_cells; /* stored cells with a row or column id the model lacks */
		double sse;            /* sum of (x - WH)^2 */
		double sae;            /* sum of |x - WH| */
		double x_sq;           /* sum of x^2 */
	} NmfcScore;

	int nmfc_score(const NmfcModelView *m, const NmfcMatrixView *x, const int64_t *x_row_ids,
	               const int64_t *x_col_ids, NmfcScore *out, const NmfcInterrupts *intr,
	               NmfcError *err) NMFC_NOEXCEPT;

	/*
	 * Seeded split of x's stored cells: a cell is in fold
	 * 1 + hash(row id, col id, seed) mod folds. Writes the cells not in
	 * `fold` (1-based) to out[0..*n_train) and those in it to
	 * out[*n_train..x->nnz); out has room for x->nnz triplets.
	 */
	int nmfc_split(const NmfcMatrixView *x, const int64_t *row_ids, const int64_t *col_ids,
	               int32_t folds, int32_t fold, int64_t seed, NmfTriplet *out, int64_t *n_train,
	               const NmfcInterrupts *intr, NmfcError *err) NMFC_NOEXCEPT;

	/* ---- serving (recommend_all.cpp, update.cpp, door_serve.cpp) ---- */

	/*
	 * The cold-start list for a row the model lacks: the k best columns for
	 * the model's average row (nmfc_recommend's order and output; the columns
	 * row_id has in exclude left out). See serve.hpp: popular_scores.
	 */
	int nmfc_recommend_popular(const NmfcModelView *m, int64_t row_id, int64_t k,
	                           const NmfMatrixFlat *exclude, int64_t *out_ids, double *out_scores,
	                           int64_t *count, NmfcError *err) NMFC_NOEXCEPT;

	/*
	 * The top k of the rows [first, first + count) (dense indexes), as
	 * nmfc_recommend gives each: out_cols (model column indexes) and
	 * out_scores have room for count * k, row p's from p * k; out_counts[p]
	 * says how many. threads as NmfcOptions.threads.
	 */
	int nmfc_recommend_batch(const NmfcModelView *m, int64_t first, int64_t count, int64_t k,
	                         const NmfMatrixFlat *exclude, int32_t threads, int64_t *out_cols,
	                         double *out_scores, int64_t *out_counts, const NmfcInterrupts *intr,
	                         NmfcError *err) NMFC_NOEXCEPT;

	/*
	 * Ranking metrics of top-k lists over the rows of a test matrix (see
	 * rank_score.cpp for the definitions): sums over the rows scored (known,
	 * with a stored test cell in a known column), and the counts they and
	 * the catalogue coverage (listed_cols / cols) are taken over.
	 */
	typedef struct NmfcRankScore
	{
		double precision, recall, ndcg, ap; /* sums over the rows scored */
		int64_t rows;                       /* rows scored */
		int64_t unknown_rows;               /* test rows the lists cannot serve */
		int64_t empty_rows;                 /* known rows whose cells are all in unknown columns */
		int64_t unknown_cells;              /* test cells in unknown rows or columns */
		int64_t listed_cols;                /* columns in at least one scored row's list */
		int64_t cols;                       /* columns a list can name */
	} NmfcRankScore;

	/*
	 * The model's top k of each test row (nmfc_recommend's lists, the row's
	 * cells in train left out; train may be NULL), scored against the row's
	 * test cells. Matrices are validated images. threads as NmfcOptions.threads.
	 */
	int nmfc_rank_score(const NmfcModelView *m, const NmfMatrixFlat *test,
	                    const NmfMatrixFlat *train, int64_t k, int32_t threads, NmfcRankScore *out,
	                    const NmfcInterrupts *intr, NmfcError *err) NMFC_NOEXCEPT;

	/*
	 * The same for the popularity list: train's columns by their count of
	 * stored cells, ties by lower id, the row's train cells left out; the
	 * rows scored are the test rows train has.
	 */
	int nmfc_popularity_score(const NmfMatrixFlat *train, const NmfMatrixFlat *test, int64_t k,
	                          int32_t threads, NmfcRankScore *out, const NmfcInterrupts *intr,
	                          NmfcError *err) NMFC_NOEXCEPT;

	typedef struct NmfcUpdate NmfcUpdate; /* opaque, owned by the core */

	/*
	 * nmf_update: the validated model image takes the cells of x (update.cpp),
	 * `sweeps` alternations over the touched rows and columns. *image_size is
	 * the new model's size; nmfc_update_write writes it (every byte but the
	 * length word) while `model` is still valid. *out is NULL on failure.
	 */
	int nmfc_update_run(const NmfModelFlat *model, const NmfcMatrixView *x, int32_t sweeps,
	                    int32_t threads, const NmfcInterrupts *intr, NmfcUpdate **out,
	                    int64_t *image_size, NmfcError *err) NMFC_NOEXCEPT;
	int nmfc_update_write(const NmfcUpdate *u, void *flat, size_t size,
	                      NmfcError *err) NMFC_NOEXCEPT;
	/* Rows and columns the update added, and the existing ones it moved. */
	void nmfc_update_counts(const NmfcUpdate *u, int64_t *new_rows, int64_t *new_cols,
	                        int64_t *touched_rows, int64_t *touched_cols) NMFC_NOEXCEPT;
	void nmfc_update_free(NmfcUpdate *u) NMFC_NOEXCEPT;

#ifdef __cplusplus
}
#endif

#endif /* NMF_API_APPLY_H */
