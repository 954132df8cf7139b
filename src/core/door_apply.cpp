// SPDX-License-Identifier: PostgreSQL
// The door of using a model: predict, recommend, similar, transform, score
// and split (src/pg/predict.c, recommend.c, similar.c, transform.c, score.c).
#include <cmath>

#include "apply.hpp"
#include "door_guard.hpp"

using nmf::door::guarded;
using nmf::door::interrupts_or_none;
using nmf::door::require;

nmf::apply::ModelView
nmf::apply::view_of(const NmfcModelView *m)
{
	if (m == nullptr)
		throw nmf::InvalidArgument("model is missing");
	nmf::apply::ModelView v;
	v.rows = m->rows;
	v.cols = m->cols;
	v.rank = m->rank;
	v.row_ids = m->row_ids;
	v.col_ids = m->col_ids;
	v.w = m->w;
	v.h = m->h;
	// Keyed on the name, so the masked fold-in turns on by itself once a
	// solver fits models with missing 'ignore'.
	const int ignore = nmfc_missing_code("ignore");
	v.masked = ignore >= 0 && m->missing == ignore;
	if (m->bias)
	{
		if (m->b_row == nullptr || m->b_col == nullptr)
			throw nmf::InvalidArgument("a biased model view needs b_row and b_col");
		v.bias = true;
		v.mu = m->mu;
		v.l2_bias = m->l2_bias;
		v.b_row = m->b_row;
		v.b_col = m->b_col;
	}
	if (m->feedback == NMF_FEEDBACK_IMPLICIT)
	{
		if (!(m->alpha >= 0) || !std::isfinite(m->alpha))
			throw nmf::InvalidArgument("an implicit model view needs a finite alpha >= 0");
		v.implicit = true;
		v.alpha = m->alpha;
	}
	if (m->clip)
	{
		if (!(m->clip_min <= m->clip_max))
			throw nmf::InvalidArgument("a clipped model view needs clip_min <= clip_max");
		v.clip = true;
		v.clip_min = m->clip_min;
		v.clip_max = m->clip_max;
	}
	return v;
}

namespace
{

using nmf::apply::view_of;

// The outputs of a top-k call (recommend, similar), checked once.
class TopOutput
{
  public:
	TopOutput(int64_t k, int64_t *ids, double *scores, int64_t *count, int *found)
	    : k_(k), ids_(require(ids, "output ids")), scores_(require(scores, "output scores")),
	      count_(require(count, "count")), found_(require(found, "found flag"))
	{
		*count_ = 0;
		if (k < 1)
			throw nmf::InvalidArgument(nmf::message("k must be at least 1, not ", k));
	}

	// Whether the model has the id the call is about (index >= 0); says so.
	bool
	found(int64_t index) noexcept
	{
		*found_ = index >= 0 ? 1 : 0;
		return index >= 0;
	}

	// The k best of `scores` (skipping flagged indexes), named by `ids`;
	// ranked by the raw scores, reported clipped when the model clips.
	void
	write(const std::vector<double> &scores, const std::vector<char> &skip, const int64_t *ids,
	      const nmf::apply::ModelView *clip = nullptr)
	{
		const std::vector<nmf::apply::Scored> top = nmf::apply::top_k(scores, skip, k_);
		for (size_t p = 0; p < top.size(); p++)
		{
			ids_[p] = ids[top[p].index];
			scores_[p] = clip != nullptr ? nmf::apply::clipped(*clip, top[p].score) : top[p].score;
		}
		*count_ = static_cast<int64_t>(top.size());
	}

  private:
	int64_t k_;
	int64_t *ids_;
	double *scores_;
	int64_t *count_;
	int *found_;
};

} // namespace

extern "C"
{

	int
	nmfc_predict_pairs(const NmfcModelView *m, int64_t n, const int64_t *row_ids,
	                   const int64_t *col_ids, const uint8_t *skip, double *out, uint8_t *known,
	                   const NmfcInterrupts *intr, NmfcError *err) noexcept
	{
		return guarded(err, [&] {
			const nmf::apply::ModelView v = view_of(m);
			require(row_ids, "row ids");
			require(col_ids, "column ids");
			require(out, "output");
			require(known, "known flags");
			const NmfcInterrupts flags = interrupts_or_none(intr);
			for (int64_t p = 0; p < n; p++)
			{
				const bool skipped = skip != nullptr && skip[p] != 0;
				const int64_t i = skipped ? -1 : nmf::find_id(v.row_ids, v.rows, row_ids[p]);
				const int64_t j = i < 0 ? -1 : nmf::find_id(v.col_ids, v.cols, col_ids[p]);
				known[p] = j >= 0 ? 1 : 0;
				out[p] = j >= 0 ? nmf::apply::predict(v, i, j) : 0.0;
				if ((p & 0xffff) == 0xffff)
					nmf::poll_interrupts(flags);
			}
		});
	}

	int
	nmfc_recommend(const NmfcModelView *m, int64_t row_id, int64_t k, const NmfMatrixFlat *exclude,
	               int64_t *out_ids, double *out_scores, int64_t *count, int *found,
	               NmfcError *err) noexcept
	{
		return guarded(err, [&] {
			const nmf::apply::ModelView v = view_of(m);
			TopOutput top(k, out_ids, out_scores, count, found);
			const int64_t i = nmf::find_id(v.row_ids, v.rows, row_id);
			if (!top.found(i))
				return;
			std::vector<double> scores;
			std::vector<char> skip;
			nmf::apply::row_scores(v, i, &scores);
			nmf::apply::flag_row_cells(v, exclude, row_id, &skip);
			top.write(scores, skip, v.col_ids, &v);
		});
	}

	int
	nmfc_similar(const NmfcModelView *m, int side, int metric, int64_t id, int64_t k,
	             int64_t *out_ids, double *out_scores, int64_t *count, int *found,
	             NmfcError *err) noexcept
	{
		return guarded(err, [&] {
			const nmf::apply::ModelView v = view_of(m);
			TopOutput top(k, out_ids, out_scores, count, found);
			if (side != NMFC_SIDE_ROW && side != NMFC_SIDE_COL)
				throw nmf::InvalidArgument(nmf::message("unknown side code ", side));
			if (metric != NMFC_METRIC_COSINE && metric != NMFC_METRIC_DOT)
				throw nmf::InvalidArgument(nmf::message("unknown metric code ", metric));
			const bool rows = side == NMFC_SIDE_ROW;
			const int64_t *ids = rows ? v.row_ids : v.col_ids;
			const int64_t n = rows ? v.rows : v.cols;
			const int64_t index = nmf::find_id(ids, n, id);
			if (!top.found(index))
				return;
			std::vector<double> sims;
			nmf::apply::similarities(v, rows ? nmf::apply::Side::Row : nmf::apply::Side::Col,
			                         metric == NMFC_METRIC_DOT ? nmf::apply::Metric::Dot
			                                                   : nmf::apply::Metric::Cosine,
			                         index, &sims);
			std::vector<char> skip(static_cast<size_t>(n), 0);
			skip[static_cast<size_t>(index)] = 1;
			top.write(sims, skip, ids);
		});
	}

	int
	nmfc_transform(const NmfcModelView *m, const NmfcMatrixView *x, const int64_t *x_col_ids,
	               double *out, double *out_bias, int64_t *unknown_cells, int64_t *unknown_cols,
	               const NmfcInterrupts *intr, NmfcError *err) noexcept
	{
		return guarded(err, [&] {
			const nmf::apply::ModelView v = view_of(m);
			int64_t &cells = *require(unknown_cells, "unknown cell count");
			int64_t &cols = *require(unknown_cols, "unknown column count");
			const nmf::apply::TransformCounts c = nmf::apply::transform(
			    v, *require(x, "matrix"), require(x_col_ids, "column ids"), v.masked,
			    require(out, "output"), interrupts_or_none(intr), out_bias);
			cells = c.unknown_cells;
			cols = c.unknown_cols;
		});
	}

	int
	nmfc_score(const NmfcModelView *m, const NmfcMatrixView *x, const int64_t *x_row_ids,
	           const int64_t *x_col_ids, NmfcScore *out, const NmfcInterrupts *intr,
	           NmfcError *err) noexcept
	{
		return guarded(err, [&] {
			const nmf::apply::ModelView v = view_of(m);
			require(x_row_ids, "row ids");
			require(x_col_ids, "column ids");
			require(out, "output");
			const nmf::apply::ScoreSums s = nmf::apply::score(v, *require(x, "matrix"), x_row_ids,
			                                                  x_col_ids, interrupts_or_none(intr));
			out->cells = s.cells;
			out->unknown_cells = s.unknown_cells;
			out->sse = s.sse;
			out->sae = s.sae;
			out->x_sq = s.x_sq;
		});
	}

	int
	nmfc_split(const NmfcMatrixView *x, const int64_t *row_ids, const int64_t *col_ids,
	           int32_t folds, int32_t fold, int64_t seed, NmfTriplet *out, int64_t *n_train,
	           const NmfcInterrupts *intr, NmfcError *err) noexcept
	{
		return guarded(err, [&] {
			require(row_ids, "row ids");
			require(col_ids, "column ids");
			require(out, "output");
			require(n_train, "train count");
			*n_train = nmf::apply::split(*require(x, "matrix"), row_ids, col_ids, folds, fold - 1,
			                             seed, out, interrupts_or_none(intr));
		});
	}

} // extern "C"
