// SPDX-License-Identifier: PostgreSQL
// The extern "C" door of the core, and the only place that catches.
//
// Every entry point that can fail runs its body through guarded(), which
// turns each exception into a status and a message in the caller's buffer:
// nothing thrown in the core ever reaches the C glue, whose error reporting would
// otherwise longjmp over live C++ frames.
#include "nmf_api.h"

#include <cstdio>
#include <cstring>
#include <iterator>
#include <limits>
#include <new>
#include <stdexcept>

#include "distributed.hpp"
#include "errors.hpp"
#include "fit.hpp"
#include "format.hpp"
#include "state_pack.hpp"
#include "triplets.hpp"

struct NmfcFit
{
	NmfcFit(const nmf::CsrView &x, const NmfcOptions &opt, const NmfcInterrupts &intr)
	    : fit(x, opt, intr)
	{
	}
	nmf::Fit fit;
};

namespace
{

void
set_message(NmfcError *err, const char *prefix, const char *text) noexcept
{
	if (err != nullptr)
		std::snprintf(err->message, sizeof(err->message), "%s%s", prefix, text);
}

template <class F>
int
guarded(NmfcError *err, F &&body) noexcept
{
	if (err != nullptr)
		err->message[0] = '\0';
	try
	{
		body();
		return NMFC_OK;
	}
	catch (const std::bad_alloc &)
	{
		set_message(err, "", "out of memory in the nmf core");
		return NMFC_OUT_OF_MEMORY;
	}
	catch (const std::length_error &)
	{
		// A container asked for more than it can ever hold: memory, not a bug.
		set_message(err, "", "out of memory in the nmf core: allocation too large");
		return NMFC_OUT_OF_MEMORY;
	}
	catch (const nmf::Error &e)
	{
		set_message(err, "", e.what());
		return e.status();
	}
	catch (const std::exception &e)
	{
		set_message(err, "internal error in the nmf core: ", e.what());
		return NMFC_INTERNAL;
	}
	catch (...)
	{
		set_message(err, "", "internal error in the nmf core: unknown exception");
		return NMFC_INTERNAL;
	}
}

NmfcInterrupts
interrupts_or_none(const NmfcInterrupts *intr) noexcept
{
	NmfcInterrupts copy{};
	if (intr != nullptr)
		copy = *intr;
	return copy;
}

nmf::CsrView
csr_view(const NmfcMatrixView *x)
{
	if (x == nullptr)
		throw nmf::InvalidArgument("matrix is missing");
	nmf::CsrView v;
	v.rows = x->rows;
	v.cols = x->cols;
	v.nnz = x->nnz;
	v.row_ptr = x->row_ptr;
	v.col_idx = x->col_idx;
	v.values = x->values;
	v.row_ids = x->row_ids;
	v.col_ids = x->col_ids;
	return v;
}

const NmfcOptions &
options(const NmfcOptions *opt)
{
	if (opt == nullptr)
		throw nmf::InvalidArgument("options are missing");
	return *opt;
}

// Names of option codes: index = code. Lookups are case-sensitive, as the
// glue passes the user's string through unchanged.
constexpr const char *kSolverNames[] = {"mu", "hals", "gd"};
constexpr const char *kLossNames[] = {"frobenius", "kl"};
constexpr const char *kInitNames[] = {"random",   "nndsvd", "nndsvda",
                                      "nndsvdar", "custom", "warm_start"};
constexpr const char *kMissingNames[] = {"zero", "ignore"};
static_assert(std::size(kSolverNames) == NMF_SOLVER_COUNT, "a solver has no name");
static_assert(std::size(kLossNames) == NMF_LOSS_COUNT, "a loss has no name");
static_assert(std::size(kInitNames) == NMF_INIT_COUNT, "an init has no name");
static_assert(std::size(kMissingNames) == NMF_MISSING_COUNT, "a missing mode has no name");

template <size_t N>
int
code_of(const char *const (&names)[N], const char *name) noexcept
{
	if (name == nullptr)
		return -1;
	for (size_t i = 0; i < N; i++)
		if (std::strcmp(names[i], name) == 0)
			return static_cast<int>(i);
	return -1;
}

template <size_t N>
const char *
name_of(const char *const (&names)[N], int code) noexcept
{
	return code >= 0 && static_cast<size_t>(code) < N ? names[code] : nullptr;
}

} // namespace

extern "C"
{

	int
	nmfc_matrix_validate(const void *flat, size_t size, NmfcError *err) noexcept
	{
		return guarded(err, [&] { nmf::validate_matrix(flat, size); });
	}

	int
	nmfc_state_validate(const void *flat, size_t size, NmfcError *err) noexcept
	{
		return guarded(err, [&] { nmf::validate_state(flat, size); });
	}

	int
	nmfc_model_validate(const void *flat, size_t size, NmfcError *err) noexcept
	{
		return guarded(err, [&] { nmf::validate_model_any(flat, size); });
	}

	int
	nmfc_model_version(const void *flat, size_t size) noexcept
	{
		return flat == nullptr ? -1 : nmf::model_version(flat, size);
	}

	int
	nmfc_model_upgrade(const void *flat, size_t size, void *out, size_t out_size,
	                   NmfcError *err) noexcept
	{
		return guarded(err, [&] { nmf::upgrade_model(flat, size, out, out_size); });
	}

	int64_t
	nmfc_model_upgrade_growth(int version) noexcept
	{
		return nmf::model_upgrade_growth(version);
	}

	int64_t
	nmfc_matrix_size(int64_t rows, int64_t cols, int64_t nnz) noexcept
	{
		return nmf::matrix_size(rows, cols, nnz);
	}

	int64_t
	nmfc_model_size(int64_t rows, int64_t cols, int64_t rank, int64_t history_len) noexcept
	{
		return nmf::model_size(rows, cols, rank, history_len);
	}

	int64_t
	nmfc_model_size_bias(int64_t rows, int64_t cols, int64_t rank, int64_t history_len,
	                     int bias) noexcept
	{
		return nmf::model_size(rows, cols, rank, history_len, bias != 0);
	}

	int
	nmfc_triplets_sort_merge(NmfTriplet *t, int64_t count, int64_t *nnz, int64_t *rows,
	                         int64_t *cols, const NmfcInterrupts *intr, NmfcError *err) noexcept
	{
		return guarded(err, [&] {
			if (nnz == nullptr || rows == nullptr || cols == nullptr)
				throw nmf::InvalidArgument("sort_merge outputs are missing");
			const nmf::MergeResult r = nmf::sort_merge(t, count, interrupts_or_none(intr));
			*nnz = r.nnz;
			*rows = r.rows;
			*cols = r.cols;
		});
	}

	int
	nmfc_triplets_sort_dedupe(NmfTriplet *t, int64_t count, int64_t *nnz,
	                          const NmfcInterrupts *intr, NmfcError *err) noexcept
	{
		return guarded(err, [&] {
			if (nnz == nullptr)
				throw nmf::InvalidArgument("sort_dedupe output is missing");
			*nnz = nmf::sort_dedupe(t, count, interrupts_or_none(intr));
		});
	}

	int
	nmfc_triplets_merge_runs(const NmfTriplet *t, int64_t count, const int64_t *starts,
	                         int64_t nruns, NmfTriplet *out, int64_t *nnz,
	                         const NmfcInterrupts *intr, NmfcError *err) noexcept
	{
		return guarded(err, [&] {
			if (nnz == nullptr)
				throw nmf::InvalidArgument("merge_runs output is missing");
			*nnz = nmf::merge_runs(t, count, starts, nruns, out, interrupts_or_none(intr));
		});
	}

	int64_t
	nmfc_state_pack_size(const NmfTriplet *t, int64_t count, int64_t *nrows,
	                     int64_t *col_base) noexcept
	{
		return nmf::packed_plan(t, count, nrows, col_base);
	}

	int
	nmfc_state_pack(const NmfTriplet *t, int64_t count, int64_t nrows, int64_t col_base, void *flat,
	                size_t size, NmfcError *err) noexcept
	{
		return guarded(err, [&] { nmf::pack_state(t, count, nrows, col_base, flat, size); });
	}

	void
	nmfc_state_cells(const void *flat, NmfTriplet *out) noexcept
	{
		if (flat != nullptr && out != nullptr)
			nmf::state_cells(flat, out);
	}

	int
	nmfc_runs_measure(const NmfTriplet *t, int64_t count, const int64_t *starts, int64_t nruns,
	                  const void *const *packed, int64_t npacked, int64_t *nnz, int64_t *rows,
	                  int64_t *cols, const NmfcInterrupts *intr, NmfcError *err) noexcept
	{
		return guarded(err, [&] {
			if (nnz == nullptr || rows == nullptr || cols == nullptr)
				throw nmf::InvalidArgument("runs_measure outputs are missing");
			const nmf::MergeResult r = nmf::measure_runs(t, count, starts, nruns, packed, npacked,
			                                             interrupts_or_none(intr));
			*nnz = r.nnz;
			*rows = r.rows;
			*cols = r.cols;
		});
	}

	int
	nmfc_runs_write(const NmfTriplet *t, int64_t count, const int64_t *starts, int64_t nruns,
	                const void *const *packed, int64_t npacked, int64_t nnz, int64_t rows,
	                int64_t cols, void *flat, size_t size, const NmfcInterrupts *intr,
	                NmfcError *err) noexcept
	{
		return guarded(err, [&] {
			nmf::write_runs(t, count, starts, nruns, packed, npacked, nnz, rows, cols, flat, size,
			                interrupts_or_none(intr));
		});
	}

	int
	nmfc_matrix_write(const NmfTriplet *t, int64_t nnz, int64_t rows, int64_t cols, void *flat,
	                  size_t size, NmfcError *err) noexcept
	{
		return guarded(err, [&] { nmf::write_matrix(t, nnz, rows, cols, flat, size); });
	}

	void
	nmfc_options_default(NmfcOptions *opt, int64_t rank) noexcept
	{
		if (opt == nullptr)
			return;
		std::memset(opt, 0, sizeof(*opt));
		opt->rank = rank;
		opt->solver = NMF_SOLVER_HALS;
		opt->loss = NMF_LOSS_FROBENIUS;
		opt->init = NMF_INIT_RANDOM;
		opt->missing = NMF_MISSING_ZERO;
		opt->max_iter = 200;
		opt->tol = 1e-4;
		opt->seed = 0;
		opt->max_seconds = 0;
		opt->l1_w = opt->l1_h = opt->l2_w = opt->l2_h = 0;
		opt->learning_rate = 0;
		opt->threads = 0;
		opt->bias = 0;
		opt->l2_bias = NMF_DEFAULT_L2_BIAS;
	}

	int
	nmfc_solver_code(const char *name) noexcept
	{
		return code_of(kSolverNames, name);
	}
	int
	nmfc_loss_code(const char *name) noexcept
	{
		return code_of(kLossNames, name);
	}
	int
	nmfc_init_code(const char *name) noexcept
	{
		return code_of(kInitNames, name);
	}
	int
	nmfc_missing_code(const char *name) noexcept
	{
		return code_of(kMissingNames, name);
	}

	const char *
	nmfc_solver_name(int code) noexcept
	{
		return name_of(kSolverNames, code);
	}
	const char *
	nmfc_loss_name(int code) noexcept
	{
		return name_of(kLossNames, code);
	}
	const char *
	nmfc_init_name(int code) noexcept
	{
		return name_of(kInitNames, code);
	}
	const char *
	nmfc_missing_name(int code) noexcept
	{
		return name_of(kMissingNames, code);
	}

	// Comma-separated, for hints; kept by hand beside the tables above.
	const char *
	nmfc_solver_names(void) noexcept
	{
		return "hals, mu, gd";
	}
	const char *
	nmfc_loss_names(void) noexcept
	{
		return "frobenius, kl";
	}
	const char *
	nmfc_init_names(void) noexcept
	{
		return "random, nndsvd, nndsvda, nndsvdar, custom, warm_start";
	}
	const char *
	nmfc_missing_names(void) noexcept
	{
		return "zero, ignore";
	}

	int
	nmfc_options_validate(const NmfcMatrixView *x, const NmfcOptions *opt, NmfcError *err) noexcept
	{
		return guarded(err, [&] { nmf::Fit::validate(csr_view(x), options(opt)); });
	}

	int64_t
	nmfc_fit_memory(const NmfcMatrixView *x, const NmfcOptions *opt) noexcept
	{
		if (x == nullptr || opt == nullptr)
			return std::numeric_limits<int64_t>::max();
		nmf::CsrView v;
		v.rows = x->rows;
		v.cols = x->cols;
		v.nnz = x->nnz;
		return nmf::Fit::memory(v, *opt);
	}

	int
	nmfc_fit_create(const NmfcMatrixView *x, const NmfcOptions *opt, const NmfcInterrupts *intr,
	                NmfcFit **out, NmfcError *err) noexcept
	{
		if (out != nullptr)
			*out = nullptr;
		return guarded(err, [&] {
			if (out == nullptr)
				throw nmf::InvalidArgument("fit output is missing");
			*out = new NmfcFit(csr_view(x), options(opt), interrupts_or_none(intr));
		});
	}

	int
	nmfc_fit_step(NmfcFit *fit, int *done, NmfcError *err) noexcept
	{
		return guarded(err, [&] {
			if (fit == nullptr || done == nullptr)
				throw nmf::InvalidArgument("fit or done flag is missing");
			*done = fit->fit.step() ? 1 : 0;
		});
	}

	void
	nmfc_fit_summary(const NmfcFit *fit, NmfcSummary *out) noexcept
	{
		if (out == nullptr)
			return;
		if (fit == nullptr)
		{
			std::memset(out, 0, sizeof(*out));
			return;
		}
		*out = fit->fit.summary();
	}

	int
	nmfc_fit_write_model(NmfcFit *fit, const int64_t *row_ids, const int64_t *col_ids, void *flat,
	                     size_t size, NmfcError *err) noexcept
	{
		return guarded(err, [&] {
			if (fit == nullptr)
				throw nmf::InvalidArgument("fit is missing");
			fit->fit.write_model(row_ids, col_ids, flat, size);
		});
	}

	void
	nmfc_fit_free(NmfcFit *fit) noexcept
	{
		delete fit;
	}

} // extern "C"

// ================================================================
// Using a model: predict, top-k, similarity, fold-in, score, split.
// ================================================================

#include "apply.hpp"

namespace
{

nmf::apply::ModelView
model_view(const NmfcModelView *m)
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
	return v;
}

template <class T>
void
require(const T *p, const char *what)
{
	if (p == nullptr)
		throw nmf::InvalidArgument(nmf::message(what, " is missing"));
}

// The index of col_id among H's columns; a rating whose column H lacks is bad data.
int64_t
dist_column(const int64_t *col_ids, int64_t n, int64_t col_id)
{
	require(col_ids, "column ids");
	const int64_t j = nmf::dist::find_id(col_ids, n, col_id);
	if (j < 0)
		throw nmf::InvalidData(nmf::message("column id ", col_id, " is not among H's columns"));
	return j;
}

// Copies the k best of `scores` (skipping flagged indexes) to the outputs.
void
write_top(const std::vector<double> &scores, const std::vector<char> &skip, int64_t k,
          const int64_t *ids, int64_t *out_ids, double *out_scores, int64_t *count)
{
	const std::vector<nmf::apply::Scored> top = nmf::apply::top_k(scores, skip, k);
	for (size_t p = 0; p < top.size(); p++)
	{
		out_ids[p] = ids[top[p].index];
		out_scores[p] = top[p].score;
	}
	*count = static_cast<int64_t>(top.size());
}

} // namespace

extern "C"
{

	NmfcModelView
	nmfc_model_view(const NmfModelFlat *m) noexcept
	{
		NmfcModelView v{};
		if (m == nullptr)
			return v;
		v.rows = m->rows;
		v.cols = m->cols;
		v.rank = m->rank;
		v.row_ids = nmf_model_row_ids(m);
		v.col_ids = nmf_model_col_ids(m);
		v.w = nmf_model_w(m);
		v.h = nmf_model_h(m);
		v.missing = m->missing;
		if (m->bias)
		{
			v.bias = 1;
			v.mu = m->mu;
			v.l2_bias = m->l2_bias;
			v.b_row = nmf_model_b_row(m);
			v.b_col = nmf_model_b_col(m);
		}
		return v;
	}

	int64_t
	nmfc_find_id(const int64_t *ids, int64_t n, int64_t id) noexcept
	{
		return ids == nullptr ? -1 : nmf::apply::find_id(ids, n, id);
	}

	int
	nmfc_predict_pairs(const NmfcModelView *m, int64_t n, const int64_t *row_ids,
	                   const int64_t *col_ids, const uint8_t *skip, double *out, uint8_t *known,
	                   const NmfcInterrupts *intr, NmfcError *err) noexcept
	{
		return guarded(err, [&] {
			const nmf::apply::ModelView v = model_view(m);
			require(row_ids, "row ids");
			require(col_ids, "column ids");
			require(out, "output");
			require(known, "known flags");
			const NmfcInterrupts flags = interrupts_or_none(intr);
			for (int64_t p = 0; p < n; p++)
			{
				const bool skipped = skip != nullptr && skip[p] != 0;
				const int64_t i = skipped ? -1 : nmf::apply::find_id(v.row_ids, v.rows, row_ids[p]);
				const int64_t j = i < 0 ? -1 : nmf::apply::find_id(v.col_ids, v.cols, col_ids[p]);
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
			const nmf::apply::ModelView v = model_view(m);
			require(out_ids, "output ids");
			require(out_scores, "output scores");
			require(count, "count");
			require(found, "found flag");
			*count = 0;
			if (k < 1)
				throw nmf::InvalidArgument(nmf::message("k must be at least 1, not ", k));
			const int64_t i = nmf::apply::find_id(v.row_ids, v.rows, row_id);
			*found = i >= 0 ? 1 : 0;
			if (i < 0)
				return;
			std::vector<double> scores;
			std::vector<char> skip;
			nmf::apply::row_scores(v, i, &scores);
			nmf::apply::flag_row_cells(v, exclude, row_id, &skip);
			write_top(scores, skip, k, v.col_ids, out_ids, out_scores, count);
		});
	}

	int
	nmfc_similar(const NmfcModelView *m, int side, int metric, int64_t id, int64_t k,
	             int64_t *out_ids, double *out_scores, int64_t *count, int *found,
	             NmfcError *err) noexcept
	{
		return guarded(err, [&] {
			const nmf::apply::ModelView v = model_view(m);
			require(out_ids, "output ids");
			require(out_scores, "output scores");
			require(count, "count");
			require(found, "found flag");
			*count = 0;
			if (side != NMFC_SIDE_ROW && side != NMFC_SIDE_COL)
				throw nmf::InvalidArgument(nmf::message("unknown side code ", side));
			if (metric != NMFC_METRIC_COSINE && metric != NMFC_METRIC_DOT)
				throw nmf::InvalidArgument(nmf::message("unknown metric code ", metric));
			if (k < 1)
				throw nmf::InvalidArgument(nmf::message("k must be at least 1, not ", k));
			const bool rows = side == NMFC_SIDE_ROW;
			const int64_t *ids = rows ? v.row_ids : v.col_ids;
			const int64_t n = rows ? v.rows : v.cols;
			const int64_t index = nmf::apply::find_id(ids, n, id);
			*found = index >= 0 ? 1 : 0;
			if (index < 0)
				return;
			std::vector<double> sims;
			nmf::apply::similarities(v, rows ? nmf::apply::Side::Row : nmf::apply::Side::Col,
			                         metric == NMFC_METRIC_DOT ? nmf::apply::Metric::Dot
			                                                   : nmf::apply::Metric::Cosine,
			                         index, &sims);
			std::vector<char> skip(static_cast<size_t>(n), 0);
			skip[static_cast<size_t>(index)] = 1;
			write_top(sims, skip, k, ids, out_ids, out_scores, count);
		});
	}

	int
	nmfc_transform(const NmfcModelView *m, const NmfcMatrixView *x, const int64_t *x_col_ids,
	               double *out, double *out_bias, int64_t *unknown_cells, int64_t *unknown_cols,
	               const NmfcInterrupts *intr, NmfcError *err) noexcept
	{
		return guarded(err, [&] {
			const nmf::apply::ModelView v = model_view(m);
			require(x_col_ids, "column ids");
			require(out, "output");
			require(unknown_cells, "unknown cell count");
			require(unknown_cols, "unknown column count");
			const nmf::apply::TransformCounts c = nmf::apply::transform(
			    v, csr_view(x), x_col_ids, v.masked, out, interrupts_or_none(intr), out_bias);
			*unknown_cells = c.unknown_cells;
			*unknown_cols = c.unknown_cols;
		});
	}

	int
	nmfc_score(const NmfcModelView *m, const NmfcMatrixView *x, const int64_t *x_row_ids,
	           const int64_t *x_col_ids, NmfcScore *out, const NmfcInterrupts *intr,
	           NmfcError *err) noexcept
	{
		return guarded(err, [&] {
			const nmf::apply::ModelView v = model_view(m);
			require(x_row_ids, "row ids");
			require(x_col_ids, "column ids");
			require(out, "output");
			const nmf::apply::ScoreSums s =
			    nmf::apply::score(v, csr_view(x), x_row_ids, x_col_ids, interrupts_or_none(intr));
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
			*n_train = nmf::apply::split(csr_view(x), row_ids, col_ids, folds, fold - 1, seed, out,
			                             interrupts_or_none(intr));
		});
	}

	// ------------------------------------------------------------ distributed fit (Citus)

	int
	nmfc_dist_init(int64_t id, int64_t seed, int32_t side, int32_t r, double scale, double *out,
	               NmfcError *err) noexcept
	{
		return guarded(err, [&] {
			require(out, "output");
			nmf::dist::init_vector(id, seed, side, r, scale, out);
		});
	}

	int
	nmfc_dist_hstats_add(double *num, double *den, int32_t r, const int64_t *col_ids, int64_t n,
	                     const double *w, const double *h, int64_t col_id, double value,
	                     NmfcError *err) noexcept
	{
		return guarded(err, [&] {
			require(num, "numerator");
			require(w, "W row");
			const int64_t j = dist_column(col_ids, n, col_id);
			if (den != nullptr)
				require(h, "H");
			nmf::dist::hstats_add(num, den, r, w, h, j, value);
		});
	}

	int
	nmfc_dist_rowstats_add(double *num, double *den, int32_t r, const int64_t *col_ids, int64_t n,
	                       const double *w, const double *h, int64_t col_id, double value,
	                       NmfcError *err) noexcept
	{
		return guarded(err, [&] {
			require(num, "numerator");
			require(w, "W row");
			require(h, "H");
			const int64_t j = dist_column(col_ids, n, col_id);
			nmf::dist::rowstats_add(num, den, r, w, h + j * r, value);
		});
	}

	int
	nmfc_dist_gram_add(double *gram, int32_t r, const double *f, int64_t count,
	                   const NmfcInterrupts *intr, NmfcError *err) noexcept
	{
		return guarded(err, [&] {
			require(gram, "Gram");
			require(f, "factor");
			nmf::dist::gram_add(gram, r, f, count, interrupts_or_none(intr));
		});
	}

	int
	nmfc_dist_mu_update(double *f, int32_t r, int64_t count, const double *num, const double *den,
	                    const double *gram, const NmfcInterrupts *intr, NmfcError *err) noexcept
	{
		return guarded(err, [&] {
			require(f, "factor");
			require(num, "numerator");
			if (den == nullptr)
				require(gram, "Gram");
			nmf::dist::mu_update(f, r, count, num, den, gram, interrupts_or_none(intr));
		});
	}

	int
	nmfc_dist_predict(const double *w, int32_t r, const int64_t *col_ids, int64_t n,
	                  const double *h, int64_t col_id, double *out, NmfcError *err) noexcept
	{
		return guarded(err, [&] {
			require(w, "W row");
			require(h, "H");
			require(out, "output");
			const int64_t j = dist_column(col_ids, n, col_id);
			*out = nmf::dist::dot(w, h + j * r, r);
		});
	}

	// ------------------------------------------------------------ end of distributed fit

} // extern "C"
