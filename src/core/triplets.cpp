// SPDX-License-Identifier: PostgreSQL
// Sorting and merging the aggregate's triplets, and writing the CSR image.
//
// Duplicate cells are summed, as a sparse matrix constructor does: the
// aggregate may see the same (row, col) from several rows or workers.
#include "triplets.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "cells.hpp"
#include "errors.hpp"
#include "format.hpp"
#include "id_index.hpp"

namespace nmf
{

using namespace cells;

int64_t
sort_dedupe(NmfTriplet *t, int64_t count, const NmfcInterrupts &intr)
{
	if (count < 0 || (count > 0 && t == nullptr))
		throw InvalidArgument(message("triplet count ", count, " is invalid"));
	if (count == 0)
		return 0;

	// One read-only pass: sorted input without duplicates (a merged state,
	// a table loaded in order) is left as it is.
	bool sorted = true, duplicates = false;
	for (int64_t i = 0; i < count && sorted; i++)
	{
		if (i % kPollElements == 0)
			poll_interrupts(intr);
		if (i > 0)
		{
			sorted = !cell_less(t[i], t[i - 1]);
			duplicates = duplicates || (t[i].row == t[i - 1].row && t[i].col == t[i - 1].col);
		}
	}
	if (sorted && !duplicates)
		return count;
	if (!sorted)
	{
		// The comparator polls, so a cancel stops a sort of a billion triplets
		// promptly; std::sort leaves a permutation of the input when it throws.
		int64_t calls = 0;
		std::sort(t, t + count, [&calls, &intr](const NmfTriplet &a, const NmfTriplet &b) {
			if (++calls % kPollElements == 0)
				poll_interrupts(intr);
			return cell_less(a, b);
		});
	}

	int64_t out = 0;
	for (int64_t i = 0; i < count; i++)
	{
		if (i % kPollElements == 0)
			poll_interrupts(intr);
		const NmfTriplet &c = t[i];
		if (out > 0 && t[out - 1].row == c.row && t[out - 1].col == c.col)
			add_duplicate(t[out - 1], c);
		else if (out++ != i)
			t[out - 1] = c;
	}
	return out;
}

MergeResult
sort_merge(NmfTriplet *t, int64_t count, const NmfcInterrupts &intr)
{
	if (count == 0)
		throw InvalidArgument("matrix has no cells");
	const int64_t out = sort_dedupe(t, count, intr);
	int64_t rows = 0, lo = t[0].col, hi = t[0].col;
	for (int64_t i = 0; i < out; i++)
	{
		rows += i == 0 || t[i - 1].row != t[i].row;
		lo = std::min(lo, t[i].col);
		hi = std::max(hi, t[i].col);
	}

	poll_interrupts(intr);
	uint64_t range;
	if (direct_table(lo, hi, out, range))
	{
		std::vector<char> seen(range, 0);
		int64_t cols = 0;
		for (int64_t i = 0; i < out; i++)
		{
			char &s = seen[offset(t[i].col, lo)];
			cols += !s;
			s = 1;
		}
		return MergeResult{out, rows, cols};
	}
	IdIndex distinct(kMaxHashedIds);
	bool hashed = true;
	for (int64_t i = 0; i < out && hashed; i++)
		hashed = distinct.add(t[i].col);
	if (hashed)
		return MergeResult{out, rows, distinct.size()};

	std::vector<int64_t> col_ids(static_cast<size_t>(out));
	for (int64_t i = 0; i < out; i++)
		col_ids[static_cast<size_t>(i)] = t[i].col;
	poll_interrupts(intr);
	std::sort(col_ids.begin(), col_ids.end());
	const int64_t cols = std::unique(col_ids.begin(), col_ids.end()) - col_ids.begin();
	return MergeResult{out, rows, cols};
}

// Many distinct columns: sort them (in the values array, as scratch) and
// give each cell its column's index by binary search.
static void index_columns_by_sorting(const NmfTriplet *t, int64_t nnz, int64_t cols, double *values,
                                     int64_t *col_ids, int32_t *col_idx);

void
write_matrix(const NmfTriplet *t, int64_t nnz, int64_t rows, int64_t cols, void *flat, size_t size)
{
	if (nnz < 1 || rows < 1 || cols < 1 || t == nullptr || flat == nullptr)
		throw InvalidArgument(
		    message("matrix dimensions ", rows, " x ", cols, " with ", nnz, " cells are invalid"));
	// col_idx is int32 in the format.
	if (cols > INT32_MAX)
		throw LimitExceeded(
		    message("matrix has ", cols, " columns, more than the limit of ", INT32_MAX));
	int64_t expected = matrix_size(rows, cols, nnz);
	if (expected < 0)
		throw LimitExceeded(message("matrix of ", rows, " x ", cols, " with ", nnz,
		                            " cells exceeds the format's limits"));
	if (size != static_cast<uint64_t>(expected))
		throw InvalidArgument(message("matrix buffer has ", size, " bytes, expected ", expected));

	NmfMatrixFlat *m = write_matrix_header(flat, rows, cols, nnz);
	int64_t *row_ids = const_cast<int64_t *>(nmf_matrix_row_ids(m));
	int64_t *col_ids = const_cast<int64_t *>(nmf_matrix_col_ids(m));
	int64_t *row_ptr = const_cast<int64_t *>(nmf_matrix_row_ptr(m));
	int32_t *col_idx = const_cast<int32_t *>(nmf_matrix_col_idx(m));
	double *values = const_cast<double *>(nmf_matrix_values(m));

	// Rows and the columns' range, checking the promise that t is sorted and merged.
	int64_t row = -1, lo = t[0].col, hi = t[0].col;
	for (int64_t p = 0; p < nnz; p++)
	{
		lo = std::min(lo, t[p].col);
		hi = std::max(hi, t[p].col);
		if (p > 0 && !cell_less(t[p - 1], t[p]))
			throw InvalidArgument(message("triplets are not sorted and merged at index ", p));
		if (p == 0 || t[p].row != t[p - 1].row)
		{
			if (++row >= rows)
				throw InvalidArgument(message("triplets have more than ", rows, " rows"));
			row_ids[row] = t[p].row;
			row_ptr[row] = p;
		}
	}
	if (row + 1 != rows)
		throw InvalidArgument(message("triplets have ", row + 1, " rows, not ", rows));
	row_ptr[rows] = nnz;

	// Column ids in a small range (the common case: ids 1..n): a table over
	// the range lists and indexes them in O(nnz) without hashing.
	uint64_t range;
	const bool direct = direct_table(lo, hi, nnz, range);
	if (direct)
	{
		std::vector<int32_t> index(range, -1);
		for (int64_t p = 0; p < nnz; p++)
			index[offset(t[p].col, lo)] = 0;
		int64_t k = 0;
		for (size_t i = 0; i < range; i++)
			if (index[i] == 0)
			{
				if (k < cols)
					col_ids[k] = static_cast<int64_t>(static_cast<uint64_t>(lo) + i);
				index[i] = static_cast<int32_t>(k++);
			}
		if (k != cols)
			throw InvalidArgument(message("triplets have ", k, " columns, not ", cols));
		for (int64_t p = 0; p < nnz; p++)
		{
			col_idx[p] = index[offset(t[p].col, lo)];
			values[p] = t[p].value;
		}
	}
	// Few distinct columns: a hash table lists and indexes them in O(nnz).
	else if (cols <= kMaxHashedIds)
	{
		IdIndex distinct(kMaxHashedIds);
		for (int64_t p = 0; p < nnz; p++)
			if (!distinct.add(t[p].col))
				throw InvalidArgument(
				    message("triplets have more than ", kMaxHashedIds, " columns, not ", cols));
		if (distinct.size() != cols)
			throw InvalidArgument(
			    message("triplets have ", distinct.size(), " columns, not ", cols));
		const std::vector<int64_t> ids = distinct.sorted();
		std::memcpy(col_ids, ids.data(), static_cast<size_t>(cols) * sizeof(int64_t));
		for (int64_t p = 0; p < nnz; p++)
			col_idx[p] = static_cast<int32_t>(distinct.index(t[p].col));
	}
	else
		index_columns_by_sorting(t, nnz, cols, values, col_ids, col_idx);
	if (nnz % 2 != 0)
		col_idx[nnz] = 0;

	if (!direct)
		for (int64_t p = 0; p < nnz; p++)
			values[p] = t[p].value;
}

static void
index_columns_by_sorting(const NmfTriplet *t, int64_t nnz, int64_t cols, double *values,
                         int64_t *col_ids, int32_t *col_idx)
{
	// The values array (nnz * 8 bytes) is scratch space for sorting the
	// column ids, so no buffer of the matrix's size is allocated.
	int64_t *scratch = reinterpret_cast<int64_t *>(values);
	for (int64_t p = 0; p < nnz; p++)
		scratch[p] = t[p].col;
	std::sort(scratch, scratch + nnz);
	int64_t distinct = std::unique(scratch, scratch + nnz) - scratch;
	if (distinct != cols)
		throw InvalidArgument(message("triplets have ", distinct, " columns, not ", cols));
	std::memcpy(col_ids, scratch, static_cast<size_t>(cols) * sizeof(int64_t));

	for (int64_t p = 0; p < nnz; p++)
		col_idx[p] =
		    static_cast<int32_t>(std::lower_bound(col_ids, col_ids + cols, t[p].col) - col_ids);
}

} // namespace nmf
