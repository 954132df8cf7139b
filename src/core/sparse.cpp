// SPDX-License-Identifier: PostgreSQL
// The CSC transpose of the training matrix.
#include "sparse.hpp"

#include "errors.hpp"

namespace nmf
{

CscMatrix
transpose(const CsrView &x, const NmfcInterrupts &intr)
{
	CscMatrix t;
	t.rows = x.rows;
	t.cols = x.cols;
	t.col_ptr.assign(static_cast<size_t>(x.cols + 1), 0);
	t.row_idx.resize(static_cast<size_t>(x.nnz));
	t.values.resize(static_cast<size_t>(x.nnz));

	for (int64_t p = 0; p < x.nnz; p++)
		t.col_ptr[static_cast<size_t>(x.col_idx[p]) + 1]++;
	for (int64_t j = 0; j < x.cols; j++)
		t.col_ptr[static_cast<size_t>(j + 1)] += t.col_ptr[static_cast<size_t>(j)];

	// Scattering in row order leaves each column's rows ascending.
	std::vector<int64_t> next(t.col_ptr.begin(), t.col_ptr.end() - 1);
	for (int64_t i = 0; i < x.rows; i++)
	{
		if (i % 4096 == 0)
			poll_interrupts(intr);
		for (int64_t p = x.row_ptr[i]; p < x.row_ptr[i + 1]; p++)
		{
			const size_t q = static_cast<size_t>(next[static_cast<size_t>(x.col_idx[p])]++);
			t.row_idx[q] = static_cast<int32_t>(i);
			t.values[q] = x.values[p];
		}
	}
	return t;
}

} // namespace nmf
