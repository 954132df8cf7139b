// SPDX-License-Identifier: PostgreSQL
// The dense and the CSR form of a validated nmf_matrix image (nmf_format.h).
#ifndef NMF_MATRIX_FORMS_HPP
#define NMF_MATRIX_FORMS_HPP

#include <cstddef>
#include <cstdint>

#include "nmf_format.h"

namespace nmf
{

// A CSR image of `size` bytes that stores every cell rewritten in place in
// the dense form; returns its new size (`size` when it stays as it is).
size_t densify(void *flat, size_t size) noexcept;

// Bytes of an image's CSR form, length word and key table included; -1 when out of range.
int64_t sparse_size(const NmfMatrixFlat *m) noexcept;

// The CSR form of a dense image m into out of sparse_size(m) bytes, all but the length word.
void write_sparse(const NmfMatrixFlat *m, void *out) noexcept;

// The CSR indexes of a rows x cols matrix that stores every cell.
void write_full_indexes(int64_t rows, int64_t cols, int64_t *row_ptr, int32_t *col_idx) noexcept;

} // namespace nmf

#endif
