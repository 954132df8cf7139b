// SPDX-License-Identifier: PostgreSQL
// The two forms of an nmf_matrix image (nmf_format.h): a matrix that stores
// every cell is kept dense, its CSR values without the indexes; readers that
// walk cells by indexes get the CSR form back.
#include "matrix_forms.hpp"

#include <cstring>

#include "format.hpp"
#include "sparse.hpp"

namespace nmf
{

namespace
{

char *
bytes(void *p)
{
	return static_cast<char *>(p);
}

} // namespace

size_t
densify(void *flat, size_t size) noexcept
{
	auto *m = static_cast<NmfMatrixFlat *>(flat);
	if ((m->flags & NMF_MATRIX_DENSE) != 0 || !every_cell(m->nnz, m->rows, m->cols))
		return size;
	// The values and the key table after them move down over row_ptr and col_idx.
	const char *from = reinterpret_cast<const char *>(nmf_matrix_values(m));
	const size_t tail = size - static_cast<size_t>(from - bytes(flat));
	m->flags = NMF_MATRIX_DENSE;
	char *to = const_cast<char *>(reinterpret_cast<const char *>(nmf_matrix_values(m)));
	std::memmove(to, from, tail);
	return static_cast<size_t>(to - bytes(flat)) + tail;
}

int64_t
sparse_size(const NmfMatrixFlat *m) noexcept
{
	const int64_t cells = matrix_size(m->rows, m->cols, m->nnz);
	if (cells < 0 || m->keys_bytes > static_cast<uint64_t>(INT64_MAX - cells))
		return -1;
	return cells + static_cast<int64_t>(m->keys_bytes);
}

void
write_full_indexes(int64_t rows, int64_t cols, int64_t *row_ptr, int32_t *col_idx) noexcept
{
	for (int64_t i = 0; i <= rows; i++)
		row_ptr[i] = i * cols;
	for (int64_t i = 0; i < rows; i++)
		for (int64_t j = 0; j < cols; j++)
			col_idx[i * cols + j] = static_cast<int32_t>(j);
}

void
write_sparse(const NmfMatrixFlat *m, void *out) noexcept
{
	const int64_t nnz = m->nnz;
	const size_t ids = static_cast<size_t>(m->rows + m->cols) * sizeof(int64_t);
	std::memcpy(bytes(out) + sizeof(int32_t), reinterpret_cast<const char *>(m) + sizeof(int32_t),
	            sizeof(NmfMatrixFlat) - sizeof(int32_t) + ids);
	auto *s = static_cast<NmfMatrixFlat *>(out);
	s->flags = 0;
	auto *col_idx = const_cast<int32_t *>(nmf_matrix_col_idx(s));
	write_full_indexes(m->rows, m->cols, const_cast<int64_t *>(nmf_matrix_row_ptr(s)), col_idx);
	if (nnz % 2 != 0)
		col_idx[nnz] = 0; // the canonical padding
	auto *values = const_cast<double *>(nmf_matrix_values(s));
	std::memcpy(values, nmf_matrix_values(m), static_cast<size_t>(nnz) * sizeof(double));
	std::memcpy(values + nnz, nmf_matrix_values(m) + nnz, m->keys_bytes);
}

} // namespace nmf
