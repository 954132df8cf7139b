// SPDX-License-Identifier: PostgreSQL
// The CSC transpose of the training matrix.
#include "sparse.hpp"

#include <algorithm>

#include "errors.hpp"
#include "parallel.hpp"

namespace nmf
{

namespace
{

// Rows between two polls of the interrupt flags.
constexpr int64_t kPollRows = 4096;
// Cells a chunk must have at least, so a small matrix is not split at all.
constexpr int64_t kMinChunkCells = int64_t(1) << 16;

} // namespace

int64_t
transpose_chunks(int64_t rows, int64_t cols, int64_t nnz, int threads) noexcept
{
	// A chunk keeps a cursor per column: worth it with many cells per column
	// (8 at least per chunk), and with kMinChunkCells cells per chunk.
	const int64_t by_cells = std::min(nnz / std::max<int64_t>(cols, 1) / 8, nnz / kMinChunkCells);
	return std::max<int64_t>(1, std::min({static_cast<int64_t>(threads), by_cells, rows}));
}

// Chunks of consecutive rows, one per lane: each counts its cells per column;
// in chunk order those counts give each chunk its first slot in each column;
// then each chunk scatters its rows in order. Every column's rows come out
// ascending and the result is the same for any number of chunks.
CscMatrix
transpose(const CsrView &x, const NmfcInterrupts &intr, int threads)
{
	CscMatrix t;
	t.rows = x.rows;
	t.cols = x.cols;
	t.col_ptr.resize(static_cast<size_t>(x.cols + 1));
	t.row_idx.resize(static_cast<size_t>(x.nnz));
	t.values.resize(static_cast<size_t>(x.nnz));

	const int64_t chunks = transpose_chunks(x.rows, x.cols, x.nnz, threads);
	const size_t n = static_cast<size_t>(x.cols);
	// cursor[c * n + j]: chunk c's count of cells in column j, then its next slot there.
	std::vector<int64_t> cursor(static_cast<size_t>(chunks) * n, 0);
	const auto first_row = [&](int64_t c) { return x.rows * c / chunks; };

	// f(chunk's cursors, row i, cell p) over every cell, each chunk's rows in
	// order, the chunks on their lanes.
	const auto each_cell = [&](auto &&f) {
		parallel_for(static_cast<int>(chunks), chunks, [&](int64_t c, int) {
			int64_t *chunk_cursor = cursor.data() + static_cast<size_t>(c) * n;
			for (int64_t i = first_row(c); i < first_row(c + 1); i++)
			{
				if (i % kPollRows == 0)
					poll_interrupts(intr);
				for (int64_t p = x.row_ptr[i]; p < x.row_ptr[i + 1]; p++)
					f(chunk_cursor, i, p);
			}
		});
	};

	each_cell([&](int64_t *count, int64_t, int64_t p) { count[x.col_idx[p]]++; });
	int64_t next = 0;
	for (size_t j = 0; j < n; j++)
	{
		t.col_ptr[j] = next;
		for (size_t c = 0; c < static_cast<size_t>(chunks); c++)
		{
			const int64_t count = cursor[c * n + j];
			cursor[c * n + j] = next;
			next += count;
		}
	}
	t.col_ptr[n] = next;

	each_cell([&](int64_t *slot, int64_t i, int64_t p) {
		const size_t q = static_cast<size_t>(slot[x.col_idx[p]]++);
		t.row_idx[q] = static_cast<int32_t>(i);
		t.values[q] = x.values[p];
	});
	return t;
}

} // namespace nmf
