// SPDX-License-Identifier: PostgreSQL
// What the fuzz targets share: the input as a value's image, and readers that
// walk a validated image through the nmf_format.h accessors exactly as the
// glue does, so a wrong "valid" verdict becomes a sanitizer report or an abort.
#ifndef NMF_FUZZ_COMMON_HPP
#define NMF_FUZZ_COMMON_HPP

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "nmf_api.h"

namespace nmf_fuzz
{

// An invariant the glue relies on does not hold for an image the core called
// valid: report it the way libFuzzer reports a crash.
[[noreturn]] inline void
broken(const char *what)
{
	std::fprintf(stderr, "nmf fuzz: validated image breaks an invariant: %s\n", what);
	std::abort();
}

inline void
require(bool cond, const char *what)
{
	if (!cond)
		broken(what);
}

// The fuzzer's bytes are a value's binary send form (the bytes after the
// length word), as recv and the bytea cast receive them. The image gets its
// own heap block of exactly the image's size, so ASan flags any read past
// its end; malloc's alignment gives the 8 bytes the formats need.
class Image
{
  public:
	Image(const uint8_t *data, size_t size) : size_(size + 4)
	{
		block_ = static_cast<unsigned char *>(std::malloc(size_));
		const uint32_t len = static_cast<uint32_t>(size_ << 2); // SET_VARSIZE's 4-byte header
		std::memcpy(block_, &len, 4);
		if (size > 0)
			std::memcpy(block_ + 4, data, size);
	}
	~Image()
	{
		std::free(block_);
	}
	Image(const Image &) = delete;
	Image &operator=(const Image &) = delete;

	const void *
	data() const
	{
		return block_;
	}
	size_t
	size() const
	{
		return size_;
	}

  private:
	size_t size_;
	unsigned char *block_;
};

// Sums what it reads so that the compiler cannot drop the reads.
struct Sink
{
	double sum = 0;
	uint64_t ids = 0;
};

inline void
read_matrix(const NmfMatrixFlat *m, size_t size, Sink &s)
{
	if ((m->flags & NMF_MATRIX_DENSE) != 0)
	{
		// Its CSR form, as every reader but the fit gets it, must validate and read the same.
		const int64_t sparse = nmfc_matrix_sparse_size(m);
		require(sparse > 0, "a dense matrix has a sparse size");
		std::vector<uint64_t> words(static_cast<size_t>(sparse + 7) / 8, 0);
		nmfc_matrix_write_sparse(m, words.data());
		NmfcError err;
		require(nmfc_matrix_validate(words.data(), static_cast<size_t>(sparse), &err) == NMFC_OK,
		        "the sparse form of a dense matrix validates");
		read_matrix(reinterpret_cast<const NmfMatrixFlat *>(words.data()),
		            static_cast<size_t>(sparse), s);
		return;
	}
	require(nmfc_matrix_size(m->rows, m->cols, m->nnz) == static_cast<int64_t>(size),
	        "matrix size matches its header");
	const int64_t *row_ids = nmf_matrix_row_ids(m);
	const int64_t *col_ids = nmf_matrix_col_ids(m);
	const int64_t *row_ptr = nmf_matrix_row_ptr(m);
	const int32_t *col_idx = nmf_matrix_col_idx(m);
	const double *values = nmf_matrix_values(m);
	require(row_ptr[0] == 0 && row_ptr[m->rows] == m->nnz, "row_ptr spans 0..nnz");
	for (int64_t i = 0; i < m->rows; i++)
	{
		require(i == 0 || row_ids[i] > row_ids[i - 1], "row ids ascending");
		require(row_ptr[i] <= row_ptr[i + 1], "row_ptr non-decreasing");
		for (int64_t p = row_ptr[i]; p < row_ptr[i + 1]; p++)
		{
			const int32_t j = col_idx[p];
			require(j >= 0 && j < m->cols, "col_idx in range");
			require(p == row_ptr[i] || j > col_idx[p - 1], "col_idx ascending in a row");
			require(std::isfinite(values[p]) && values[p] >= 0, "values finite and >= 0");
			s.ids += static_cast<uint64_t>(row_ids[i]) ^ static_cast<uint64_t>(col_ids[j]);
			s.sum += values[p];
		}
	}
	for (int64_t j = 1; j < m->cols; j++)
		require(col_ids[j] > col_ids[j - 1], "col ids ascending");
}

inline void
read_state(const NmfStateFlat *st, size_t size, Sink &s)
{
	if ((st->flags & NMF_STATE_PACKED) == 0)
		require(static_cast<int64_t>(sizeof(NmfStateFlat)) +
		                st->count * static_cast<int64_t>(sizeof(NmfTriplet)) ==
		            static_cast<int64_t>(size),
		        "state size matches its count");
	else
		require(st->count >= 1 && nmf_state_packed(st)->nrows >= 1 &&
		            nmf_state_packed(st)->nrows <= st->count,
		        "a packed state has cells and rows");
	std::vector<NmfTriplet> cells(static_cast<size_t>(st->count));
	nmfc_state_cells(st, cells.data());
	const NmfTriplet *t = cells.data();
	for (int64_t i = 0; i < st->count; i++)
	{
		require(std::isfinite(t[i].value) && t[i].value >= 0, "triplet values finite and >= 0");
		s.ids += static_cast<uint64_t>(t[i].row) ^ static_cast<uint64_t>(t[i].col);
		s.sum += t[i].value;
	}
}

// A factor of n ids x rank weights, row by row.
inline void
read_factor(const int64_t *ids, const double *x, int64_t n, int64_t rank, const char *what, Sink &s)
{
	for (int64_t i = 0; i < n; i++)
		for (int64_t f = 0; f < rank; f++)
		{
			const double v = x[i * rank + f];
			require(std::isfinite(v) && v >= 0, what);
			s.ids += static_cast<uint64_t>(ids[i]);
			s.sum += v;
		}
}

inline void
read_model(const NmfModelFlat *m, size_t size, Sink &s)
{
	require(m->bias == 0 || m->bias == 1, "bias is 0 or 1");
	require(nmfc_model_size_bias(m->rows, m->cols, m->rank, m->history_len, m->bias) ==
	            static_cast<int64_t>(size),
	        "model size matches its header");
	require(m->rank >= 1 && m->rank <= m->rows && m->rank <= m->cols, "rank in range");
	require(nmfc_solver_name(m->solver) != nullptr && nmfc_loss_name(m->loss) != nullptr &&
	            nmfc_init_name(m->init) != nullptr && nmfc_missing_name(m->missing) != nullptr,
	        "option codes have names");
	const int64_t *row_ids = nmf_model_row_ids(m);
	const int64_t *col_ids = nmf_model_col_ids(m);
	const double *w = nmf_model_w(m);
	const double *h = nmf_model_h(m);
	// As nmf_w and nmf_h do: one row per (id, factor).
	read_factor(row_ids, w, m->rows, m->rank, "W finite and >= 0", s);
	read_factor(col_ids, h, m->cols, m->rank, "H finite and >= 0", s);
	const double *loss = nmf_model_history_loss(m);
	const double *secs = nmf_model_history_seconds(m);
	for (int64_t k = 0; k < m->history_len; k++)
	{
		require(std::isfinite(loss[k]) && std::isfinite(secs[k]), "history finite");
		s.sum += loss[k] + secs[k];
	}
	s.sum += m->final_loss + m->relative_error + m->seconds + m->x_norm_sq + m->tol;
	// As nmf_bias and the predictions read them.
	if (m->bias)
	{
		require(std::isfinite(m->mu), "mu finite");
		for (int64_t i = 0; i < m->rows + m->cols; i++)
		{
			const double b = nmf_model_b_row(m)[i];
			require(std::isfinite(b), "biases finite");
			s.sum += b;
		}
	}
}

} // namespace nmf_fuzz

#endif
