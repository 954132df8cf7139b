/* SPDX-License-Identifier: PostgreSQL */
/*
 * The door's functions of the distributed fit on Citus (fit_blocks.hpp).
 * Part of the door (nmf_api.h, which includes this file): the same rules.
 */
#ifndef NMF_API_DISTRIBUTED_H
#define NMF_API_DISTRIBUTED_H

#include "nmf_api.h"

#ifdef __cplusplus
extern "C"
{
#endif

	/*
	 * The fit by blocks of rows (src/core/fit_blocks.hpp): nmf()'s hals and
	 * mu iterations (resolved() says which options), each block of V's rows kept
	 * where it lives (a shard) with its rows of W, H and the stopping rule in
	 * the block fit. Factors are r x count, column-major (an r-vector a line).
	 */
	/* The rounds of a block fit: a step (H in, W's half, the message out); with biases, the
	 * sweep's rows (mu in, column sums out) and columns (b_col in, H's sums out). */
#define NMFC_ROUND_STEP 0
#define NMFC_ROUND_BIAS_ROWS 1
#define NMFC_ROUND_BIAS_COLS 2

	typedef struct NmfcWhole
	{
		int64_t rows, cols, nonzeros; /* of V as a whole */
	} NmfcWhole;
	typedef struct NmfcRowBlock NmfcRowBlock; /* opaque, owned by the core */
	typedef struct NmfcBlockFit NmfcBlockFit; /* opaque, owned by the core */

	/* The words of a fit's options (one per options.def row), and back, each checked. */
	void nmfc_options_pack(const NmfcOptions *opt, int64_t *words) NMFC_NOEXCEPT;
	int nmfc_options_unpack(const int64_t *words, int64_t count, NmfcOptions *opt,
	                        NmfcError *err) NMFC_NOEXCEPT;

	/* What the blocks tell of V's stored cells, added up (col_counts: per column, missing
	 * 'ignore'). */
	typedef struct NmfcTotals
	{
		int64_t nnz;
		double sum, sum_sq, v_min, v_max;
		const int64_t *col_counts;
	} NmfcTotals;

	/*
	 * A block's share of them: its nonzero cells; sums[0..3] the sum, the
	 * squared norm, the least and the largest of its values; col_counts
	 * (x->cols) its stored cells per column.
	 */
	void nmfc_block_totals(const NmfcMatrixView *x, int64_t *nonzeros, double *sums,
	                       int64_t *col_counts) NMFC_NOEXCEPT;

	/*
	 * into <- into combined with another block's answer to the round (both
	 * nmfc_row_block_answer_length doubles): the sums added, the largest
	 * weights their maximum. How the blocks of one server answer as one.
	 */
	void nmfc_row_block_combine(const NmfcRowBlock *block, int32_t round, double *into,
	                            const double *message) NMFC_NOEXCEPT;

	/*
	 * A block of V's rows x (its columns named by x->col_ids, each among
	 * all_cols, ascending) with its rows of the initial W (w0, r x x->rows);
	 * the block copies what it keeps. On failure *out is NULL.
	 */
	/* Bytes such a block or block fit holds; saturates at INT64_MAX. */
	int64_t nmfc_row_block_memory(const NmfcMatrixView *x, const NmfcWhole *whole,
	                              const NmfcOptions *opt) NMFC_NOEXCEPT;
	int64_t nmfc_block_fit_memory(const NmfcWhole *whole, const NmfcOptions *opt) NMFC_NOEXCEPT;
	int nmfc_row_block_create(const NmfcMatrixView *x, const int64_t *all_cols,
	                          const NmfcWhole *whole, const NmfcOptions *opt,
	                          const NmfcInterrupts *intr, const double *w0, NmfcRowBlock **out,
	                          NmfcError *err) NMFC_NOEXCEPT;
	/*
	 * The block's message (nmfc_row_block_answer_length(NMFC_ROUND_STEP)
	 * doubles) for its initial W and H; then after each W half. h_and_gram:
	 * H (r x cols), then H H^T.
	 */
	int64_t nmfc_row_block_answer_length(const NmfcRowBlock *block, int32_t round) NMFC_NOEXCEPT;
	int nmfc_row_block_start(NmfcRowBlock *block, const double *h_and_gram, double *out,
	                         NmfcError *err) NMFC_NOEXCEPT;
	int nmfc_row_block_step(NmfcRowBlock *block, const double *h_and_gram, double *out,
	                        NmfcError *err) NMFC_NOEXCEPT;
	/* A bias round: in is mu (1 double, NMFC_ROUND_BIAS_ROWS) or b_col (cols). */
	int nmfc_row_block_bias(NmfcRowBlock *block, int32_t round, const double *in, double *out,
	                        NmfcError *err) NMFC_NOEXCEPT;
	/* Its b_row (its rows; NULL without biases), before: as before its last step. */
	const double *nmfc_row_block_b_row(const NmfcRowBlock *block, int before) NMFC_NOEXCEPT;
	/* The block's rows of W (r x its rows); before its last step: a diverged fit's kept W. */
	const double *nmfc_row_block_w_before(const NmfcRowBlock *block) NMFC_NOEXCEPT;
	const double *nmfc_row_block_w(const NmfcRowBlock *block) NMFC_NOEXCEPT;
	void nmfc_row_block_free(NmfcRowBlock *block) NMFC_NOEXCEPT;

	/* The fit of V (whole; nnz stored cells, their sum and squared norm) by its blocks. */
	int nmfc_block_fit_create(const NmfcWhole *whole, const NmfcTotals *totals,
	                          const NmfcOptions *opt, const NmfcInterrupts *intr,
	                          NmfcBlockFit **out, NmfcError *err) NMFC_NOEXCEPT;
	/* The initial W (r x rows), before the first take. */
	const double *nmfc_block_fit_initial_w(const NmfcBlockFit *fit) NMFC_NOEXCEPT;
	/*
	 * The round the blocks run next (NMFC_ROUND_*), what it sends them
	 * (payload_length doubles: H then H H^T for a step, or with missing
	 * 'ignore' H then W's mean row in that r x r place, zero-padded, for W's
	 * prior; mu or b_col for the bias rounds) and the length of their answers.
	 */
	int32_t nmfc_block_fit_round(const NmfcBlockFit *fit) NMFC_NOEXCEPT;
	int64_t nmfc_block_fit_payload_length(const NmfcBlockFit *fit) NMFC_NOEXCEPT;
	void nmfc_block_fit_payload(NmfcBlockFit *fit, double *out) NMFC_NOEXCEPT;
	int64_t nmfc_block_fit_answer_length(const NmfcBlockFit *fit) NMFC_NOEXCEPT;
	/* One round's answers, in block order; *done: the fit has ended. */
	int nmfc_block_fit_take(NmfcBlockFit *fit, const double *const *messages, int64_t count,
	                        int *done, NmfcError *err) NMFC_NOEXCEPT;
	void nmfc_block_fit_summary(const NmfcBlockFit *fit, NmfcSummary *out) NMFC_NOEXCEPT;
	int64_t nmfc_block_fit_model_size(const NmfcBlockFit *fit) NMFC_NOEXCEPT;
	/* The model of W (r x rows, the blocks' rows in place), H and b_row (rows, with biases) into
	 * flat. */
	int nmfc_block_fit_write_model(const NmfcBlockFit *fit, const double *w, const double *b_row,
	                               const int64_t *row_ids, const int64_t *col_ids, void *flat,
	                               size_t size, NmfcError *err) NMFC_NOEXCEPT;
	void nmfc_block_fit_free(NmfcBlockFit *fit) NMFC_NOEXCEPT;

#ifdef __cplusplus
}
#endif

#endif /* NMF_API_DISTRIBUTED_H */
