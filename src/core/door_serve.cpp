// SPDX-License-Identifier: PostgreSQL
// The door of serving a model: the cold-start list, the top k of many rows,
// and nmf_update (src/pg/recommend.c, recommend_all.c, update.c).
#include <cstring>
#include <memory>

#include "door_guard.hpp"
#include "format.hpp"
#include "parallel.hpp"
#include "serve.hpp"
#include "solvers.hpp"

using nmf::door::guarded;
using nmf::door::interrupts_or_none;
using nmf::door::require;

struct NmfcUpdate
{
	nmf::serve::Updated result;
	NmfModelFlat header; // the new model's
	const NmfModelFlat *model;
};

namespace
{

// Appends n values of type T at *at, advancing it.
template <class T>
void
put(char **at, const T *src, int64_t n)
{
	if (n > 0)
		std::memcpy(*at, src, static_cast<size_t>(n) * sizeof(T));
	*at += n * static_cast<int64_t>(sizeof(T));
}

void
put_rank_score(const nmf::serve::RankSums &s, NmfcRankScore *out) noexcept
{
	out->precision = s.sum.precision;
	out->recall = s.sum.recall;
	out->ndcg = s.sum.ndcg;
	out->ap = s.sum.ap;
	out->rows = s.rows;
	out->unknown_rows = s.unknown_rows;
	out->empty_rows = s.empty_rows;
	out->unknown_cells = s.unknown_cells;
	out->listed_cols = s.listed_cols;
	out->cols = s.cols;
}

} // namespace

extern "C"
{

	int
	nmfc_recommend_popular(const NmfcModelView *m, int64_t row_id, int64_t k,
	                       const NmfMatrixFlat *exclude, int64_t *out_ids, double *out_scores,
	                       int64_t *count, NmfcError *err) noexcept
	{
		return guarded(err, [&] {
			const nmf::apply::ModelView v = nmf::apply::view_of(m);
			require(out_ids, "output ids");
			require(out_scores, "output scores");
			*require(count, "count") = 0;
			std::vector<double> scores;
			std::vector<char> skip;
			nmf::serve::popular_scores(v, &scores);
			nmf::apply::flag_row_cells(v, exclude, row_id, &skip);
			const std::vector<nmf::apply::Scored> top = nmf::apply::top_k(scores, skip, k);
			for (size_t p = 0; p < top.size(); p++)
			{
				out_ids[p] = v.col_ids[top[p].index];
				out_scores[p] = nmf::apply::clipped(v, top[p].score);
			}
			*count = static_cast<int64_t>(top.size());
		});
	}

	int
	nmfc_recommend_batch(const NmfcModelView *m, int64_t first, int64_t count, int64_t k,
	                     const NmfMatrixFlat *exclude, int32_t threads, int64_t *out_cols,
	                     double *out_scores, int64_t *out_counts, const NmfcInterrupts *intr,
	                     NmfcError *err) noexcept
	{
		return guarded(err, [&] {
			const nmf::apply::ModelView v = nmf::apply::view_of(m);
			nmf::serve::recommend_batch(
			    v, first, count, k, exclude, threads > 0 ? threads : nmf::default_threads(),
			    require(out_cols, "output columns"), require(out_scores, "output scores"),
			    require(out_counts, "output counts"), interrupts_or_none(intr));
		});
	}

	int
	nmfc_rank_score(const NmfcModelView *m, const NmfMatrixFlat *test, const NmfMatrixFlat *train,
	                int64_t k, int32_t threads, NmfcRankScore *out, const NmfcInterrupts *intr,
	                NmfcError *err) noexcept
	{
		return guarded(err, [&] {
			const nmf::apply::ModelView v = nmf::apply::view_of(m);
			put_rank_score(nmf::serve::rank_score(v, require(test, "test matrix"), train, k,
			                                      threads > 0 ? threads : nmf::default_threads(),
			                                      interrupts_or_none(intr)),
			               require(out, "output"));
		});
	}

	int
	nmfc_popularity_score(const NmfMatrixFlat *train, const NmfMatrixFlat *test, int64_t k,
	                      int32_t threads, NmfcRankScore *out, const NmfcInterrupts *intr,
	                      NmfcError *err) noexcept
	{
		return guarded(err, [&] {
			put_rank_score(nmf::serve::popularity_score(
			                   require(train, "train matrix"), require(test, "test matrix"), k,
			                   threads > 0 ? threads : nmf::default_threads(),
			                   interrupts_or_none(intr)),
			               require(out, "output"));
		});
	}

	int
	nmfc_update_run(const NmfModelFlat *model, const NmfcMatrixView *x, int32_t sweeps,
	                int32_t threads, const NmfcInterrupts *intr, NmfcUpdate **out,
	                int64_t *image_size, NmfcError *err) noexcept
	{
		*require(out, "output") = nullptr;
		return guarded(err, [&] {
			require(model, "model");
			require(x, "new cells");
			require(image_size, "image size");
			if (model->loss != NMF_LOSS_FROBENIUS)
				throw nmf::InvalidArgument(
				    nmf::message("nmf_update takes models fitted with loss 'frobenius', not '",
				                 nmfc_loss_name(model->loss), "'"));
			const NmfcModelView mv = nmfc_model_view(model);
			const nmf::apply::ModelView v = nmf::apply::view_of(&mv);
			auto u = std::make_unique<NmfcUpdate>();
			u->model = model;
			u->result = nmf::serve::update(
			    v, model->reg, model->l1_w, model->l1_h, model->l2_w, model->l2_h, model->nnz,
			    nmf::pulls_to_mean(model->missing, model->solver, model->feedback,
			                       model->bias != 0),
			    *x, sweeps, threads > 0 ? threads : nmf::default_threads(),
			    interrupts_or_none(intr));
			NmfModelFlat &h = u->header;
			h = *model;
			h.keys_bytes = 0; // the glue gives the new model its keys
			h.rows = static_cast<int64_t>(u->result.row_ids.size());
			h.cols = static_cast<int64_t>(u->result.col_ids.size());
			// New cells may repeat trained ones: nnz counts both, up to rows x cols.
			int64_t cells = 0;
			if (!nmf::checked_mul(h.rows, h.cols, &cells) || cells > model->nnz + x->nnz)
				cells = model->nnz + x->nnz;
			h.nnz = cells;
			h.updates = model->updates < INT32_MAX ? model->updates + 1 : INT32_MAX;
			h.update_cells = model->update_cells + x->nnz;
			if (model->v_min < model->v_max)
			{
				h.v_min = std::min(model->v_min, u->result.v_min);
				h.v_max = std::max(model->v_max, u->result.v_max);
			}
			*image_size = nmfc_model_image_size(&h);
			if (*image_size < 0)
				throw nmf::LimitExceeded("the updated model is too large for the model format");
			*out = u.release();
		});
	}

	int
	nmfc_update_write(const NmfcUpdate *u, void *flat, size_t size, NmfcError *err) noexcept
	{
		return guarded(err, [&] {
			require(u, "update");
			require(flat, "output");
			const NmfModelFlat &h = u->header;
			const NmfModelFlat *old = u->model;
			const nmf::serve::Updated &r = u->result;
			if (static_cast<int64_t>(size) != nmfc_model_image_size(&h))
				throw nmf::InvalidArgument("the output does not have the updated model's size");
			std::memcpy(static_cast<char *>(flat) + sizeof(int32_t),
			            reinterpret_cast<const char *>(&h) + sizeof(int32_t),
			            sizeof(NmfModelFlat) - sizeof(int32_t));
			char *at = static_cast<char *>(flat) + sizeof(NmfModelFlat);
			put(&at, r.row_ids.data(), h.rows);
			put(&at, r.col_ids.data(), h.cols);
			put(&at, r.w.data(), h.rows * h.rank);
			put(&at, r.h.data(), h.cols * h.rank);
			put(&at, nmf_model_history_loss(old), old->history_len);
			put(&at, nmf_model_history_seconds(old), old->history_len);
			if (h.bias)
			{
				put(&at, r.b_row.data(), h.rows);
				put(&at, r.b_col.data(), h.cols);
			}
			put(&at, nmf_model_tune(old), old->tune_len * NMF_TUNE_FIELDS);
			// The length word is the caller's; the image is checked as any model is.
			nmf::validate_model(flat, size, NMFC_INTERNAL);
		});
	}

	void
	nmfc_update_counts(const NmfcUpdate *u, int64_t *new_rows, int64_t *new_cols,
	                   int64_t *touched_rows, int64_t *touched_cols) noexcept
	{
		*new_rows = u->result.new_rows;
		*new_cols = u->result.new_cols;
		*touched_rows = u->result.touched_rows;
		*touched_cols = u->result.touched_cols;
	}

	void
	nmfc_update_free(NmfcUpdate *u) noexcept
	{
		delete u;
	}

} // extern "C"
