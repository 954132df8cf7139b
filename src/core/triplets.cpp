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

#include "errors.hpp"
#include "format.hpp"
#include "id_index.hpp"

namespace nmf
{

namespace
{

bool
cell_less(const NmfTriplet &a, const NmfTriplet &b) noexcept
{
	return a.row < b.row || (a.row == b.row && a.col < b.col);
}

// Distinct column ids held in a hash table at most: 16 bytes each plus the
// table's slack, so 32 MB; past that the ids are sorted instead.
constexpr int64_t kMaxHashedIds = int64_t(1) << 20;

} // namespace

MergeResult
sort_merge(NmfTriplet *t, int64_t count, const NmfcInterrupts &intr)
{
	if (count == 0)
		throw InvalidArgument("matrix has no cells");
	if (count < 0 || t == nullptr)
		throw InvalidArgument(message("triplet count ", count, " is invalid"));

	// The comparator polls, so a cancel stops a sort of a billion triplets
	// promptly; std::sort leaves a permutation of the input when it throws.
	int64_t calls = 0;
	std::sort(t, t + count,
	          [&calls, &intr](const NmfTriplet &a, const NmfTriplet &b)
	          {
		          if (++calls % kPollElements == 0)
			          poll_interrupts(intr);
		          return cell_less(a, b);
	          });

	int64_t out = 0;
	int64_t rows = 0;
	for (int64_t i = 0; i < count; i++)
	{
		if (i % kPollElements == 0)
			poll_interrupts(intr);
		const NmfTriplet &c = t[i];
		if (!std::isfinite(c.value) || !(c.value >= 0))
			throw InvalidData(message("value ", c.value, " at (", c.row, ", ", c.col,
			                          ") is not a finite number >= 0"));
		if (out > 0 && t[out - 1].row == c.row && t[out - 1].col == c.col)
		{
			t[out - 1].value += c.value;
			if (std::isinf(t[out - 1].value))
				throw InvalidData(message("sum of the values at (", c.row, ", ", c.col,
				                          ") overflows to infinity"));
			continue;
		}
		if (out == 0 || t[out - 1].row != c.row)
			rows++;
		t[out++] = c;
	}

	poll_interrupts(intr);
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
static void index_columns_by_sorting(const NmfTriplet *t, int64_t nnz, int64_t cols,
                                     double *values, int64_t *col_ids, int32_t *col_idx);

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

	NmfMatrixFlat header;
	std::memset(&header, 0, sizeof(header));
	header.magic = NMF_MATRIX_MAGIC;
	header.version = NMF_FORMAT_VERSION;
	header.rows = rows;
	header.cols = cols;
	header.nnz = nnz;
	// Every field but the length word, which belongs to the caller.
	const size_t skip = offsetof(NmfMatrixFlat, magic);
	std::memcpy(static_cast<char *>(flat) + skip, reinterpret_cast<const char *>(&header) + skip,
	            sizeof(header) - skip);

	NmfMatrixFlat *m = static_cast<NmfMatrixFlat *>(flat);
	int64_t *row_ids = const_cast<int64_t *>(nmf_matrix_row_ids(m));
	int64_t *col_ids = const_cast<int64_t *>(nmf_matrix_col_ids(m));
	int64_t *row_ptr = const_cast<int64_t *>(nmf_matrix_row_ptr(m));
	int32_t *col_idx = const_cast<int32_t *>(nmf_matrix_col_idx(m));
	double *values = const_cast<double *>(nmf_matrix_values(m));

	// Rows, checking the promise that t is sorted and merged.
	int64_t row = -1;
	for (int64_t p = 0; p < nnz; p++)
	{
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

	// Few distinct columns (the common case): a hash table lists and indexes
	// them in O(nnz).
	if (cols <= kMaxHashedIds)
	{
		IdIndex distinct(kMaxHashedIds);
		for (int64_t p = 0; p < nnz; p++)
			if (!distinct.add(t[p].col))
				throw InvalidArgument(message("triplets have more than ", kMaxHashedIds,
				                              " columns, not ", cols));
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

	for (int64_t p = 0; p < nnz; p++)
	{
		if (!std::isfinite(t[p].value) || !(t[p].value >= 0))
			throw InvalidArgument(message("value ", t[p].value, " at (", t[p].row, ", ", t[p].col,
			                              ") is not a finite number >= 0"));
		values[p] = t[p].value;
	}
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
