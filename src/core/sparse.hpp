// SPDX-License-Identifier: PostgreSQL
// The training matrix V as the solvers see it: the caller's CSR arrays, not
// copied, and a CSC transpose the fit owns, built once so that the products
// with V and with its transpose both stream rows of contiguous memory.
#ifndef NMF_SPARSE_HPP
#define NMF_SPARSE_HPP

#include <cstdint>
#include <vector>

#include "nmf_api.h"

namespace nmf
{

// A non-owning CSR view of a validated nmf_matrix: the door's own type, so
// that a view crosses from the glue to the solvers as it is.
using CsrView = NmfcMatrixView;

// Whether nnz cells are every cell of rows x cols (the product taken without overflow).
inline bool
every_cell(int64_t nnz, int64_t rows, int64_t cols) noexcept
{
	int64_t cells = 0;
	return !__builtin_mul_overflow(rows, cols, &cells) && nnz == cells;
}

// A view of a matrix stored dense: no indexes, every cell's value row by row.
inline bool
is_dense(const CsrView &x) noexcept
{
	return x.row_ptr == nullptr && x.col_idx == nullptr && x.rows > 0 && x.cols > 0 &&
	       every_cell(x.nnz, x.rows, x.cols) && x.values != nullptr;
}

// V's columns: rows of column j are row_idx[col_ptr[j] .. col_ptr[j + 1]), ascending.
struct CscMatrix
{
	int64_t rows = 0;
	int64_t cols = 0;
	std::vector<int64_t> col_ptr;
	std::vector<int32_t> row_idx;
	std::vector<double> values;

	// Bytes the transpose of an m x n matrix with nnz cells takes.
	static int64_t
	bytes(int64_t n, int64_t nnz) noexcept
	{
		return nnz * static_cast<int64_t>(sizeof(int32_t) + sizeof(double)) +
		       (n + 1) * static_cast<int64_t>(sizeof(int64_t));
	}
};

// Builds the CSC form of x by a counting sort over columns (stable in rows),
// on up to `threads` lanes, each a chunk of rows; the same result for any count.
CscMatrix transpose(const CsrView &x, const NmfcInterrupts &intr, int threads = 1);

// Chunks transpose splits x into on `threads` lanes; each keeps a cursor per column.
int64_t transpose_chunks(int64_t rows, int64_t cols, int64_t nnz, int threads) noexcept;

} // namespace nmf

#endif
