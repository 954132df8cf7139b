// SPDX-License-Identifier: PostgreSQL
// The door of the fit by blocks of rows (src/pg/fit_blocks.c): a block on
// the server that holds its rows, the block fit on the one that drives it.
#include <algorithm>
#include <cstring>

#include "door_guard.hpp"
#include "fit_blocks.hpp"
#include "options.hpp"

using nmf::door::guarded;
using nmf::door::interrupts_or_none;
using nmf::door::require;

struct NmfcRowBlock
{
	nmf::blocks::RowBlock block;
};

struct NmfcBlockFit
{
	nmf::blocks::BlockFit fit;
};

namespace
{

nmf::blocks::Whole
whole_of(const NmfcWhole *w)
{
	require(w, "V's shape");
	return nmf::blocks::Whole{w->rows, w->cols, w->nonzeros};
}

} // namespace

extern "C"
{

	void
	nmfc_options_pack(const NmfcOptions *opt, int64_t *words) noexcept
	{
		nmf::options::pack(*opt, words);
	}

	int
	nmfc_options_unpack(const int64_t *words, int64_t count, NmfcOptions *opt,
	                    NmfcError *err) noexcept
	{
		return guarded(err, [&] {
			if (count != NMFC_OPT_COUNT)
				throw nmf::InvalidArgument(
				    nmf::message("the options have ", count, " words, expected ", NMFC_OPT_COUNT));
			nmf::options::unpack(require(words, "options"), *require(opt, "options"));
		});
	}

	void
	nmfc_block_totals(const NmfcMatrixView *x, int64_t *nonzeros, double *sums,
	                  int64_t *col_counts) noexcept
	{
		*nonzeros = 0;
		sums[0] = sums[1] = 0.0;
		sums[2] = x->nnz > 0 ? x->values[0] : 0.0;
		sums[3] = sums[2];
		std::fill(col_counts, col_counts + x->cols, int64_t{0});
		for (int64_t q = 0; q < x->nnz; q++)
		{
			const double v = x->values[q];
			*nonzeros += v != 0.0 ? 1 : 0;
			sums[0] += v;
			sums[1] += v * v;
			sums[2] = std::min(sums[2], v);
			sums[3] = std::max(sums[3], v);
			col_counts[x->col_idx[q]]++;
		}
	}

	void
	nmfc_row_block_combine(const NmfcRowBlock *block, int32_t round, double *into,
	                       const double *message) noexcept
	{
		block->block.combine(round, into, message);
	}

	int64_t
	nmfc_row_block_memory(const NmfcMatrixView *x, const NmfcWhole *whole,
	                      const NmfcOptions *opt) noexcept
	{
		const nmf::blocks::Whole v{whole->rows, whole->cols, whole->nonzeros};
		return nmf::blocks::RowBlock::memory(*x, v, *opt);
	}

	int64_t
	nmfc_block_fit_memory(const NmfcWhole *whole, const NmfcOptions *opt) noexcept
	{
		const nmf::blocks::Whole v{whole->rows, whole->cols, whole->nonzeros};
		return nmf::blocks::BlockFit::memory(v, *opt);
	}

	int
	nmfc_row_block_create(const NmfcMatrixView *x, const int64_t *all_cols, const NmfcWhole *whole,
	                      const NmfcOptions *opt, const NmfcInterrupts *intr, const double *w0,
	                      NmfcRowBlock **out, NmfcError *err) noexcept
	{
		*require(out, "output") = nullptr;
		return guarded(err, [&] {
			const nmf::blocks::Whole v = whole_of(whole);
			*out = new NmfcRowBlock{nmf::blocks::RowBlock(
			    *require(x, "matrix"), require(all_cols, "column ids"), v, *require(opt, "options"),
			    interrupts_or_none(intr), require(w0, "initial W"))};
		});
	}

	int64_t
	nmfc_row_block_answer_length(const NmfcRowBlock *block, int32_t round) noexcept
	{
		return block->block.answer_length(round);
	}

	int
	nmfc_row_block_start(NmfcRowBlock *block, const double *h_and_gram, double *out,
	                     NmfcError *err) noexcept
	{
		return guarded(err, [&] {
			require(block, "block")->block.start(require(h_and_gram, "H"), require(out, "output"));
		});
	}

	int
	nmfc_row_block_step(NmfcRowBlock *block, const double *h_and_gram, double *out,
	                    NmfcError *err) noexcept
	{
		return guarded(err, [&] {
			require(block, "block")->block.step(require(h_and_gram, "H"), require(out, "output"));
		});
	}

	int
	nmfc_row_block_bias(NmfcRowBlock *block, int32_t round, const double *in, double *out,
	                    NmfcError *err) noexcept
	{
		return guarded(err, [&] {
			require(block, "block")
			    ->block.bias_round(round, require(in, "input"), require(out, "output"));
		});
	}

	const double *
	nmfc_row_block_b_row(const NmfcRowBlock *block, int before) noexcept
	{
		const std::vector<double> &b = block->block.b_row(before != 0);
		return b.empty() ? nullptr : b.data();
	}

	const double *
	nmfc_row_block_w(const NmfcRowBlock *block) noexcept
	{
		return block->block.w().data();
	}

	const double *
	nmfc_row_block_w_before(const NmfcRowBlock *block) noexcept
	{
		return block->block.w_before().data();
	}

	void
	nmfc_row_block_free(NmfcRowBlock *block) noexcept
	{
		delete block;
	}

	int
	nmfc_block_fit_create(const NmfcWhole *whole, const NmfcTotals *totals, const NmfcOptions *opt,
	                      const NmfcInterrupts *intr, NmfcBlockFit **out, NmfcError *err) noexcept
	{
		*require(out, "output") = nullptr;
		return guarded(err, [&] {
			require(totals, "totals");
			const nmf::blocks::Totals t{totals->nnz,   totals->sum,   totals->sum_sq,
			                            totals->v_min, totals->v_max, totals->col_counts};
			*out = new NmfcBlockFit{nmf::blocks::BlockFit(
			    whole_of(whole), t, *require(opt, "options"), interrupts_or_none(intr))};
		});
	}

	int32_t
	nmfc_block_fit_round(const NmfcBlockFit *fit) noexcept
	{
		return fit->fit.round();
	}

	int64_t
	nmfc_block_fit_payload_length(const NmfcBlockFit *fit) noexcept
	{
		return fit->fit.payload_length();
	}

	int64_t
	nmfc_block_fit_answer_length(const NmfcBlockFit *fit) noexcept
	{
		return fit->fit.answer_length();
	}

	const double *
	nmfc_block_fit_initial_w(const NmfcBlockFit *fit) noexcept
	{
		return fit->fit.w().data();
	}

	int
	nmfc_block_fit_take(NmfcBlockFit *fit, const double *const *messages, int64_t count, int *done,
	                    NmfcError *err) noexcept
	{
		return guarded(err, [&] {
			*require(done, "output") =
			    require(fit, "fit")->fit.take(require(messages, "messages"), count) ? 1 : 0;
		});
	}

	void
	nmfc_block_fit_payload(NmfcBlockFit *fit, double *out) noexcept
	{
		fit->fit.payload(out);
	}

	void
	nmfc_block_fit_summary(const NmfcBlockFit *fit, NmfcSummary *out) noexcept
	{
		*out = fit->fit.summary();
	}

	int64_t
	nmfc_block_fit_model_size(const NmfcBlockFit *fit) noexcept
	{
		return fit->fit.model_size();
	}

	int
	nmfc_block_fit_write_model(const NmfcBlockFit *fit, const double *w, const double *b_row,
	                           const int64_t *row_ids, const int64_t *col_ids, void *flat,
	                           size_t size, NmfcError *err) noexcept
	{
		return guarded(err, [&] {
			require(fit, "fit")
			    ->fit.write_model(require(w, "W"), b_row, row_ids, col_ids, flat, size);
		});
	}

	void
	nmfc_block_fit_free(NmfcBlockFit *fit) noexcept
	{
		delete fit;
	}

} // extern "C"
