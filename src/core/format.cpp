// SPDX-License-Identifier: PostgreSQL
// Validation of the nmf_matrix, nmf_matrix_state and nmf_model images.
//
// The glue reads a validated image in place through the nmf_format.h
// accessors, so everything those accessors and the readers rely on is checked
// here, in an order that never reads past `size`: the fixed header first,
// then the size its fields imply, then every element.
#include "format.hpp"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "errors.hpp"
#include "format_checker.hpp"
#include "sparse.hpp"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "the image formats are little-endian; a big-endian port needs byte swapping");
static_assert(sizeof(double) == 8 && sizeof(int64_t) == 8, "the formats assume 8-byte scalars");
static_assert(sizeof(NmfMatrixFlat) == 40, "NmfMatrixFlat layout changed");
static_assert(offsetof(NmfMatrixFlat, magic) == 4 && offsetof(NmfMatrixFlat, rows) == 16 &&
                  offsetof(NmfMatrixFlat, nnz) == 32,
              "NmfMatrixFlat layout changed");
static_assert(sizeof(NmfStateFlat) == 24 && offsetof(NmfStateFlat, count) == 16,
              "NmfStateFlat layout changed");
static_assert(sizeof(NmfTriplet) == 24 && offsetof(NmfTriplet, value) == 16,
              "NmfTriplet layout changed");
static_assert(sizeof(NmfModelFlat) == 304, "NmfModelFlat layout changed");
static_assert(offsetof(NmfModelFlat, rows) == 16 && offsetof(NmfModelFlat, solver) == 48 &&
                  offsetof(NmfModelFlat, tol) == 72 && offsetof(NmfModelFlat, l2_h) == 120 &&
                  offsetof(NmfModelFlat, learning_rate) == 128 &&
                  offsetof(NmfModelFlat, iterations) == 136 &&
                  offsetof(NmfModelFlat, x_norm_sq) == 168 &&
                  offsetof(NmfModelFlat, history_len) == 176 &&
                  offsetof(NmfModelFlat, l2_bias) == NMF_MODEL_V2_HEADER &&
                  offsetof(NmfModelFlat, bias) == 200 &&
                  offsetof(NmfModelFlat, reg) == NMF_MODEL_V3_HEADER &&
                  offsetof(NmfModelFlat, tune_len) == 256 &&
                  offsetof(NmfModelFlat, beta) == NMF_MODEL_V4_HEADER &&
                  offsetof(NmfModelFlat, feedback) == 288 && offsetof(NmfModelFlat, alpha) == 296,
              "NmfModelFlat layout changed");

namespace nmf
{

namespace
{

// pad8 of 4 * nnz, or -1 on overflow.
int64_t
col_idx_bytes(int64_t nnz) noexcept
{
	int64_t bytes;
	if (!checked_mul(nnz, 4, &bytes) || !checked_add(bytes, 7, &bytes))
		return -1;
	return bytes & ~int64_t(7);
}

// Sum of 8-byte words plus fixed bytes, or -1 on overflow.
int64_t
add_words(int64_t total, int64_t words) noexcept
{
	int64_t bytes;
	if (total < 0 || words < 0 || !checked_mul(words, 8, &bytes) ||
	    !checked_add(total, bytes, &total))
		return -1;
	return total;
}

bool
dim_ok(int64_t d) noexcept
{
	return d >= 1 && d <= NMF_MAX_DIM;
}

// nnz <= rows * cols; a product beyond int64 bounds nothing.
bool
nnz_fits(int64_t nnz, int64_t rows, int64_t cols) noexcept
{
	int64_t cells;
	return nnz >= 0 && (!checked_mul(rows, cols, &cells) || nnz <= cells);
}

// One side of a key table at p (within end): n ids, ends and data; returns
// the bytes it takes. ids, when given, are the image's ids it must equal.
int64_t
check_key_side(const Checker &c, const char *side, int kind, int64_t n, const char *p,
               const char *end, const int64_t *ids, int64_t id_count)
{
	if (kind == NMF_KEY_ID)
	{
		if (n != 0)
			c.fail(side, " keys of kind id have count ", n, ", not 0");
		return 0;
	}
	if (ids != nullptr && n != id_count)
		c.fail(side, " key count ", n, " is not the ", id_count, " ids");
	if (n < 1 || n > (end - p) / 16)
		c.fail(side, " key count ", n, " does not fit the key table");
	const int64_t *kid = reinterpret_cast<const int64_t *>(p);
	const int64_t *ends = kid + n;
	c.check_ascending_ids(side, kid, n);
	if (ids != nullptr && std::memcmp(kid, ids, static_cast<size_t>(n) * 8) != 0)
		c.fail(side, " key ids are not the image's ids");
	int64_t begin = 0;
	for (int64_t i = 0; i < n; i++)
	{
		if (ends[i] < begin)
			c.fail(side, " key ends[", i, "] = ", ends[i], " is less than ", begin);
		if (kind == NMF_KEY_UUID && ends[i] - begin != NMF_UUID_BYTES)
			c.fail(side, " key ", i, " has ", ends[i] - begin, " bytes, not a uuid's 16");
		begin = ends[i];
	}
	const int64_t ends_last = begin;
	const char *data = reinterpret_cast<const char *>(ends + n);
	if (ends_last > end - data || nmf_pad8(ends_last) > end - data)
		c.fail(side, " key data of ", ends_last, " bytes does not fit the key table");
	for (int64_t b = ends_last; b < nmf_pad8(ends_last); b++)
		if (data[b] != 0)
			c.fail("padding after the ", side, " keys is not zero");
	return 16 * n + nmf_pad8(ends_last);
}

// The image's size before its key table, which must fit it.
size_t
image_size_without_keys(const Checker &c, size_t size, uint32_t keys_bytes)
{
	if (keys_bytes == 0)
		return size;
	if (keys_bytes % 8 != 0 || keys_bytes < sizeof(NmfKeysFlat) || keys_bytes > size)
		c.fail("keys_bytes = ", keys_bytes, " is not a multiple of 8 between ", sizeof(NmfKeysFlat),
		       " and the size ", size);
	return size - keys_bytes;
}

// The key table of an image whose size without it is size - keys_bytes.
void
validate_keys(const Checker &c, const void *flat, size_t size, uint32_t keys_bytes,
              const int64_t *row_ids, int64_t rows, const int64_t *col_ids, int64_t cols)
{
	if (keys_bytes == 0)
		return;
	const char *p = static_cast<const char *>(flat) + (size - keys_bytes);
	const char *end = static_cast<const char *>(flat) + size;
	NmfKeysFlat k;
	std::memcpy(&k, p, sizeof(k));
	if (k.magic != NMF_KEYS_MAGIC)
		c.fail("key table magic ", hex32(k.magic), " is not ", hex32(NMF_KEYS_MAGIC));
	c.check_range("row key kind", k.row_kind, 0, NMF_KEY_COUNT - 1);
	c.check_range("column key kind", k.col_kind, 0, NMF_KEY_COUNT - 1);
	c.check_zero("key table reserved", k.reserved);
	if (k.row_kind == NMF_KEY_ID && k.col_kind == NMF_KEY_ID)
		c.fail("a key table with neither row nor column keys");
	p += sizeof(k);
	p += check_key_side(c, "row", k.row_kind, k.row_count, p, end, row_ids, rows);
	p += check_key_side(c, "column", k.col_kind, k.col_count, p, end, col_ids, cols);
	if (p != end)
		c.fail("the key table has ", end - p, " bytes after its keys");
}

} // namespace

int64_t
matrix_size(int64_t rows, int64_t cols, int64_t nnz) noexcept
{
	if (!dim_ok(rows) || !dim_ok(cols) || !nnz_fits(nnz, rows, cols))
		return -1;
	int64_t idx = col_idx_bytes(nnz);
	if (idx < 0)
		return -1;
	int64_t total = static_cast<int64_t>(sizeof(NmfMatrixFlat));
	total = add_words(total, rows);     // row_ids
	total = add_words(total, cols);     // col_ids
	total = add_words(total, rows + 1); // row_ptr
	if (total < 0 || !checked_add(total, idx, &total))
		return -1;
	return add_words(total, nnz); // values
}

int64_t
dense_matrix_size(int64_t rows, int64_t cols) noexcept
{
	int64_t cells;
	if (!dim_ok(rows) || !dim_ok(cols) || !checked_mul(rows, cols, &cells))
		return -1;
	int64_t total = static_cast<int64_t>(sizeof(NmfMatrixFlat));
	total = add_words(total, rows); // row_ids
	total = add_words(total, cols); // col_ids
	return add_words(total, cells); // values
}

int64_t
state_size(int64_t count) noexcept
{
	int64_t bytes, total;
	if (count < 0 || !checked_mul(count, static_cast<int64_t>(sizeof(NmfTriplet)), &bytes) ||
	    !checked_add(static_cast<int64_t>(sizeof(NmfStateFlat)), bytes, &total))
		return -1;
	return total;
}

int64_t
packed_state_size(int64_t count, int64_t nrows) noexcept
{
	if (count < 1 || nrows < 1 || nrows > count)
		return -1;
	int64_t total = static_cast<int64_t>(sizeof(NmfStateFlat) + sizeof(NmfStatePacked));
	total = add_words(total, nrows);          // row_ids
	total = add_words(total, nrows);          // row_ends
	const int64_t off = col_idx_bytes(count); // col_off, padded as col_idx is
	if (total < 0 || off < 0 || !checked_add(total, off, &total))
		return -1;
	return add_words(total, count); // values
}

int64_t
model_size(int64_t rows, int64_t cols, int64_t rank, int64_t history_len, bool bias,
           int64_t tune_len) noexcept
{
	if (!dim_ok(rows) || !dim_ok(cols) || rank < 1 || rank > NMF_MAX_RANK || rank > rows ||
	    rank > cols || history_len < 0 || history_len > INT32_MAX || tune_len < 0 ||
	    tune_len > kMaxTuneRows)
		return -1;
	int64_t w, h;
	if (!checked_mul(rows, rank, &w) || !checked_mul(cols, rank, &h))
		return -1;
	int64_t total = static_cast<int64_t>(sizeof(NmfModelFlat));
	total = add_words(total, rows);
	total = add_words(total, cols);
	total = add_words(total, w);
	total = add_words(total, h);
	total = add_words(total, history_len); // losses
	total = add_words(total, history_len); // seconds
	if (bias)
	{
		total = add_words(total, rows); // b_row
		total = add_words(total, cols); // b_col
	}
	total = add_words(total, tune_len * NMF_TUNE_FIELDS);
	return total;
}

namespace
{

// The CSR form's row_ptr and col_idx (a header and size already checked).
void
validate_csr_indexes(const Checker &c, const NmfMatrixFlat *m)
{
	// row_ptr entirely before col_idx, so each row's bounds are within nnz.
	const int64_t *row_ptr = nmf_matrix_row_ptr(m);
	if (row_ptr[0] != 0)
		c.fail("row_ptr[0] = ", row_ptr[0], " is not 0");
	for (int64_t i = 1; i <= m->rows; i++)
		if (row_ptr[i] < row_ptr[i - 1])
			c.fail("row_ptr[", i, "] = ", row_ptr[i], " is less than row_ptr[", i - 1,
			       "] = ", row_ptr[i - 1]);
	if (row_ptr[m->rows] != m->nnz)
		c.fail("row_ptr[", m->rows, "] = ", row_ptr[m->rows], " is not nnz = ", m->nnz);

	const int32_t *col_idx = nmf_matrix_col_idx(m);
	for (int64_t i = 0; i < m->rows; i++)
		for (int64_t p = row_ptr[i]; p < row_ptr[i + 1]; p++)
		{
			if (col_idx[p] < 0 || col_idx[p] >= m->cols)
				c.fail("col_idx[", p, "] = ", col_idx[p], " is out of range [0, ", m->cols, ")");
			if (p > row_ptr[i] && col_idx[p] <= col_idx[p - 1])
				c.fail("col_idx[", p, "] = ", col_idx[p], " is not greater than col_idx[", p - 1,
				       "] = ", col_idx[p - 1], " in row ", i);
		}
	// The padding is part of the bytes a binary send exposes: keep it canonical.
	if (m->nnz % 2 != 0 && col_idx[m->nnz] != 0)
		c.fail("padding after col_idx is not zero");
}

} // namespace

void
validate_matrix(const void *flat, size_t size, NmfcStatus status)
{
	const Checker c("nmf_matrix", status);
	const NmfMatrixFlat h = c.header<NmfMatrixFlat>(flat, size, NMF_MATRIX_MAGIC);
	if ((h.flags & ~NMF_MATRIX_DENSE) != 0)
		c.fail("flags = ", h.flags, " has unknown bits");
	const bool dense = (h.flags & NMF_MATRIX_DENSE) != 0;
	if (h.nnz < 0)
		c.fail("nnz = ", h.nnz, " is negative");
	c.check_range("rows", h.rows, 1, NMF_MAX_DIM);
	c.check_range("cols", h.cols, 1, NMF_MAX_DIM);
	if (!nnz_fits(h.nnz, h.rows, h.cols))
		c.fail("nnz = ", h.nnz, " is larger than rows * cols = ", h.rows * h.cols);
	if (dense && !every_cell(h.nnz, h.rows, h.cols))
		c.fail("nnz = ", h.nnz, " is not rows * cols (", h.rows, " x ", h.cols,
		       ") in a dense matrix");
	c.check_exact_size(image_size_without_keys(c, size, h.keys_bytes),
	                   dense ? dense_matrix_size(h.rows, h.cols)
	                         : matrix_size(h.rows, h.cols, h.nnz));

	const NmfMatrixFlat *m = static_cast<const NmfMatrixFlat *>(flat);
	c.check_ascending_ids("row_ids", nmf_matrix_row_ids(m), h.rows);
	c.check_ascending_ids("col_ids", nmf_matrix_col_ids(m), h.cols);
	if (!dense)
		validate_csr_indexes(c, m);
	c.check_nonneg_array("values", nmf_matrix_values(m), h.nnz);
	validate_keys(c, flat, size, h.keys_bytes, nmf_matrix_row_ids(m), h.rows, nmf_matrix_col_ids(m),
	              h.cols);
}

namespace
{

void
validate_packed_state(const Checker &c, const void *flat, size_t size, const NmfStateFlat &h)
{
	if ((h.flags & NMF_STATE_SORTED) == 0)
		c.fail("flags = ", h.flags, ": packed without sorted");
	if (h.count < 1)
		c.fail("count = ", h.count, " is not positive in a packed state");
	c.check_size_at_least(size, sizeof(NmfStateFlat) + sizeof(NmfStatePacked));
	const NmfStateFlat *s = static_cast<const NmfStateFlat *>(flat);
	NmfStatePacked p;
	std::memcpy(&p, nmf_state_packed(s), sizeof(p));
	if (p.nrows < 1 || p.nrows > h.count)
		c.fail("nrows = ", p.nrows, " is out of range [1, ", h.count, "]");
	if (p.col_base > NMF_STATE_MAX_COL_BASE)
		c.fail("col_base = ", p.col_base, " is larger than ", NMF_STATE_MAX_COL_BASE);
	c.check_exact_size(size, packed_state_size(h.count, p.nrows));

	const int64_t *row_ids = nmf_packed_row_ids(s);
	const int64_t *row_ends = nmf_packed_row_ends(s);
	const uint32_t *col_off = nmf_packed_col_off(s);
	c.check_ascending_ids("row_ids", row_ids, p.nrows);
	int64_t begin = 0;
	for (int64_t i = 0; i < p.nrows; i++)
	{
		if (row_ends[i] <= begin || row_ends[i] > h.count)
			c.fail("row_ends[", i, "] = ", row_ends[i], " is not in (", begin, ", ", h.count, "]");
		for (int64_t q = begin + 1; q < row_ends[i]; q++)
			if (col_off[q] <= col_off[q - 1])
				c.fail("col_off[", q, "] = ", col_off[q], " is not greater than col_off[", q - 1,
				       "] = ", col_off[q - 1], " in row ", i);
		begin = row_ends[i];
	}
	if (begin != h.count)
		c.fail("row_ends[", p.nrows - 1, "] = ", begin, " is not count = ", h.count);
	if (h.count % 2 != 0 && col_off[h.count] != 0)
		c.fail("padding after col_off is not zero");
	c.check_nonneg_array("values", nmf_packed_values(s), h.count);
}

// nmf_tune's rows: whole ranks and folds, finite non-negative figures.
void
check_tune_rows(const Checker &c, const double *rows, int64_t count)
{
	for (int64_t i = 0; i < count; i++)
	{
		const double *t = rows + i * NMF_TUNE_FIELDS;
		for (int f = 0; f < NMF_TUNE_FIELDS; f++)
			if (!std::isfinite(t[f]) || t[f] < 0)
				c.fail("tune row ", i, " field ", f, " = ", t[f], " is not a finite number >= 0");
		const double rank = t[NMF_TUNE_RANK], fold = t[NMF_TUNE_FOLD];
		if (rank != std::floor(rank) || rank < 1 || rank > NMF_MAX_RANK)
			c.fail("tune row ", i, " rank = ", rank, " is not a whole number in 1..", NMF_MAX_RANK);
		if (fold != std::floor(fold) || fold > kMaxTuneRows)
			c.fail("tune row ", i, " fold = ", fold, " is not a whole number");
	}
}

} // namespace

void
validate_state(const void *flat, size_t size, NmfcStatus status)
{
	const Checker c("nmf_matrix_state", status);
	const NmfStateFlat h = c.header<NmfStateFlat>(flat, size, NMF_STATE_MAGIC);
	if ((h.flags & ~(NMF_STATE_SORTED | NMF_STATE_PACKED)) != 0)
		c.fail("flags = ", h.flags, " has unknown bits");
	// A state's key table holds the keys its cells name, not checked against them.
	const size_t cells_size = image_size_without_keys(c, size, h.keys_bytes);
	validate_keys(c, flat, size, h.keys_bytes, nullptr, 0, nullptr, 0);
	size = cells_size;
	if ((h.flags & NMF_STATE_PACKED) != 0)
	{
		validate_packed_state(c, flat, size, h);
		return;
	}
	if (h.count < 0)
		c.fail("count = ", h.count, " is negative");
	c.check_exact_size(size, state_size(h.count));

	const NmfTriplet *t = nmf_state_triplets(static_cast<const NmfStateFlat *>(flat));
	const bool sorted = (h.flags & NMF_STATE_SORTED) != 0;
	for (int64_t i = 0; i < h.count; i++)
	{
		if (!std::isfinite(t[i].value) || !(t[i].value >= 0))
			c.fail("triplets[", i, "].value = ", t[i].value, " is not a finite number >= 0");
		if (sorted && i > 0 &&
		    !(t[i - 1].row < t[i].row || (t[i - 1].row == t[i].row && t[i - 1].col < t[i].col)))
			c.fail("triplets[", i, "] = (", t[i].row, ", ", t[i].col, ") does not follow triplets[",
			       i - 1, "] = (", t[i - 1].row, ", ", t[i - 1].col, ") in a sorted state");
	}
}

void
validate_model(const void *flat, size_t size, NmfcStatus status)
{
	const Checker c("nmf_model", status);
	c.check_size_at_least(size, sizeof(NmfModelFlat));
	NmfModelFlat h;
	std::memcpy(&h, flat, sizeof(h));
	c.check_magic_version(h.magic, NMF_MODEL_MAGIC, h.version, NMF_MODEL_VERSION);
	c.check_zero("flags", h.flags);
	c.check_zero("reserved2", h.reserved2);
	c.check_range("rows", h.rows, 1, NMF_MAX_DIM);
	c.check_range("cols", h.cols, 1, NMF_MAX_DIM);
	if (h.nnz < 0)
		c.fail("nnz = ", h.nnz, " is negative");
	if (!nnz_fits(h.nnz, h.rows, h.cols))
		c.fail("nnz = ", h.nnz, " is larger than rows * cols = ", h.rows * h.cols);
	c.check_range("rank", h.rank, 1, NMF_MAX_RANK);
	if (h.rank > h.rows || h.rank > h.cols)
		c.fail("rank = ", h.rank,
		       " is larger than min(rows, cols) = ", h.rows < h.cols ? h.rows : h.cols);
	c.check_range("solver", h.solver, 0, NMF_SOLVER_COUNT - 1);
	c.check_range("loss", h.loss, 0, NMF_LOSS_COUNT - 1);
	c.check_range("init", h.init, 0, NMF_INIT_COUNT - 1);
	c.check_range("missing", h.missing, 0, NMF_MISSING_COUNT - 1);
	c.check_range("max_iter", h.max_iter, 0, INT32_MAX);
	c.check_nonneg("tol", h.tol, "max_seconds", h.max_seconds, "l1_w", h.l1_w, "l1_h", h.l1_h,
	               "l2_w", h.l2_w, "l2_h", h.l2_h, "learning_rate", h.learning_rate);
	c.check_range("iterations", h.iterations, 0, h.max_iter);
	c.check_range("converged", h.converged, 0, 1);
	c.check_nonneg("final_loss", h.final_loss, "relative_error", h.relative_error, "seconds",
	               h.seconds, "x_norm_sq", h.x_norm_sq);
	c.check_range("history_len", h.history_len, 0, h.iterations);
	c.check_range("bias", h.bias, 0, 1);
	c.check_zero("reserved3", h.reserved3);
	c.check_nonneg("l2_bias", h.l2_bias);
	if (!std::isfinite(h.mu))
		c.fail("mu = ", h.mu, " is not finite");
	if (h.bias == 0)
	{
		c.check_zero("l2_bias (without bias)", h.l2_bias);
		c.check_zero("mu (without bias)", h.mu);
	}
	else if (h.missing != NMF_MISSING_IGNORE)
		c.fail("bias = 1 needs missing = ", NMF_MISSING_IGNORE, ", not ", h.missing);
	c.check_nonneg("reg", h.reg);
	if (!std::isfinite(h.v_min) || !std::isfinite(h.v_max) || h.v_min > h.v_max)
		c.fail("the value range [", h.v_min, ", ", h.v_max, "] is not a finite interval");
	c.check_nonneg("holdout", h.holdout);
	if (!(h.holdout < 0.5))
		c.fail("holdout = ", h.holdout, " is not below 0.5");
	c.check_nonneg("holdout_rmse", h.holdout_rmse);
	c.check_range("stop", h.stop, 0, NMF_STOP_COUNT - 1);
	c.check_range("best_iteration", h.best_iteration, 0, h.iterations);
	c.check_range("tune_len", h.tune_len, 0, kMaxTuneRows);
	if (h.loss == NMF_LOSS_BETA)
	{
		if (!(h.beta >= -NMF_BETA_MAX && h.beta <= NMF_BETA_MAX))
			c.fail("beta = ", h.beta, " is not a finite number in [", -NMF_BETA_MAX, ", ",
			       NMF_BETA_MAX, "]");
	}
	else
		c.check_zero("beta (without loss beta)", h.beta);
	c.check_range("updates", h.updates, 0, INT32_MAX);
	c.check_range("loss_every", h.loss_every, 0, INT32_MAX);
	c.check_range("update_cells", h.update_cells, 0, INT64_MAX);
	if (h.updates == 0)
		c.check_zero("update_cells (without updates)", h.update_cells);
	c.check_range("feedback", h.feedback, 0, NMF_FEEDBACK_COUNT - 1);
	c.check_range("inner_updates", h.inner_updates, 0, NMF_MAX_INNER_UPDATES);
	c.check_nonneg("alpha", h.alpha);
	if (h.feedback == NMF_FEEDBACK_EXPLICIT)
		c.check_zero("alpha (with explicit feedback)", h.alpha);
	else if (h.missing != NMF_MISSING_ZERO || h.bias != 0)
		c.fail("implicit feedback needs missing = ", NMF_MISSING_ZERO, " and bias = 0");
	c.check_exact_size(image_size_without_keys(c, size, h.keys_bytes),
	                   model_size(h.rows, h.cols, h.rank, h.history_len, h.bias == 1, h.tune_len));

	const NmfModelFlat *m = static_cast<const NmfModelFlat *>(flat);
	c.check_ascending_ids("row_ids", nmf_model_row_ids(m), h.rows);
	c.check_ascending_ids("col_ids", nmf_model_col_ids(m), h.cols);
	c.check_nonneg_array("w", nmf_model_w(m), h.rows * h.rank);
	c.check_nonneg_array("h", nmf_model_h(m), h.cols * h.rank);
	c.check_nonneg_array("history_loss", nmf_model_history_loss(m), h.history_len);
	const double *seconds = nmf_model_history_seconds(m);
	c.check_nonneg_array("history_seconds", seconds, h.history_len);
	for (int64_t i = 1; i < h.history_len; i++)
		if (seconds[i] < seconds[i - 1])
			c.fail("history_seconds[", i, "] = ", seconds[i], " is less than history_seconds[",
			       i - 1, "] = ", seconds[i - 1]);
	if (h.bias == 1)
	{
		c.check_finite_array("b_row", nmf_model_b_row(m), h.rows);
		c.check_finite_array("b_col", nmf_model_b_col(m), h.cols);
	}
	check_tune_rows(c, nmf_model_tune(m), h.tune_len);
	validate_keys(c, flat, size, h.keys_bytes, nmf_model_row_ids(m), h.rows, nmf_model_col_ids(m),
	              h.cols);
}

} // namespace nmf
