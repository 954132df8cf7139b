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

// True when t is already in (row, col) order (duplicates adjacent): tables
// loaded in that order, and the workers' runs a parallel build ships sorted.
bool
is_sorted_cells(const NmfTriplet *t, int64_t count, const NmfcInterrupts &intr)
{
	for (int64_t i = 1; i < count; i++)
	{
		if (i % kPollElements == 0)
			poll_interrupts(intr);
		if (cell_less(t[i], t[i - 1]))
			return false;
	}
	return true;
}

[[noreturn]] __attribute__((noinline, cold)) void
throw_bad_value(const NmfTriplet &c)
{
	throw InvalidData(
	    message("value ", c.value, " at (", c.row, ", ", c.col, ") is not a finite number >= 0"));
}

inline void
check_value(const NmfTriplet &c)
{
	if (!std::isfinite(c.value) || !(c.value >= 0))
		throw_bad_value(c);
}

[[noreturn]] __attribute__((noinline, cold)) void
throw_overflow(const NmfTriplet &c)
{
	throw InvalidData(
	    message("sum of the values at (", c.row, ", ", c.col, ") overflows to infinity"));
}

// Adds c's value to the cell sum, which has c's coordinates.
inline void
add_duplicate(NmfTriplet &sum, const NmfTriplet &c)
{
	sum.value += c.value;
	if (std::isinf(sum.value))
		throw_overflow(c);
}

// Column ids spanning at most this many values, or twice the cells, are
// indexed by a table over their range (4 bytes a value, so at most 8 bytes a
// cell, a third of the triplets' own 24), with no hashing at all.
constexpr uint64_t kMinDirectRange = uint64_t(1) << 20;

// Whether the column ids of t[0..n) (n >= 1) span few enough values for a
// direct table: the table's first id and size.
bool
direct_range(const NmfTriplet *t, int64_t n, int64_t &lo, uint64_t &range)
{
	int64_t mn = t[0].col, mx = t[0].col;
	for (int64_t i = 1; i < n; i++)
	{
		mn = std::min(mn, t[i].col);
		mx = std::max(mx, t[i].col);
	}
	const uint64_t span = static_cast<uint64_t>(mx) - static_cast<uint64_t>(mn);
	const uint64_t limit = std::max(kMinDirectRange, 2 * static_cast<uint64_t>(n));
	lo = mn;
	range = span < limit ? span + 1 : 0;
	return range != 0;
}

// Offset of id in a direct table starting at lo (id in the table's range).
inline size_t
offset(int64_t id, int64_t lo)
{
	return static_cast<size_t>(static_cast<uint64_t>(id) - static_cast<uint64_t>(lo));
}

} // namespace

int64_t
sort_dedupe(NmfTriplet *t, int64_t count, const NmfcInterrupts &intr)
{
	if (count < 0 || (count > 0 && t == nullptr))
		throw InvalidArgument(message("triplet count ", count, " is invalid"));
	if (count == 0)
		return 0;

	if (!is_sorted_cells(t, count, intr))
	{
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
	}

	int64_t out = 0;
	for (int64_t i = 0; i < count; i++)
	{
		if (i % kPollElements == 0)
			poll_interrupts(intr);
		const NmfTriplet &c = t[i];
		check_value(c);
		if (out > 0 && t[out - 1].row == c.row && t[out - 1].col == c.col)
			add_duplicate(t[out - 1], c);
		else if (out++ != i)
			t[out - 1] = c;
	}
	return out;
}

namespace
{

// A run's next cell; heads order by that cell, then by run (so the cells
// several runs share are summed in run order).
struct RunHead
{
	const NmfTriplet *p;
	const NmfTriplet *end;
	int64_t run;
};

bool
head_after(const RunHead &a, const RunHead &b) noexcept
{
	if (a.p->row != b.p->row)
		return a.p->row > b.p->row;
	if (a.p->col != b.p->col)
		return a.p->col > b.p->col;
	return a.run > b.run;
}

// Restores the min-heap order below position i.
void
sift_down(std::vector<RunHead> &heap, size_t i)
{
	const size_t n = heap.size();
	for (;;)
	{
		size_t least = i;
		const size_t l = 2 * i + 1, r = l + 1;
		if (l < n && head_after(heap[least], heap[l]))
			least = l;
		if (r < n && head_after(heap[least], heap[r]))
			least = r;
		if (least == i)
			return;
		std::swap(heap[i], heap[least]);
		i = least;
	}
}

} // namespace

int64_t
merge_runs(const NmfTriplet *t, int64_t count, const int64_t *starts, int64_t nruns,
           NmfTriplet *out, const NmfcInterrupts &intr)
{
	if (count < 0 || nruns < 0 || (count > 0 && (t == nullptr || out == nullptr)) ||
	    (nruns > 0 && starts == nullptr) || (count > 0 && nruns == 0))
		throw InvalidArgument(
		    message("merge of ", count, " triplets in ", nruns, " runs is invalid"));
	std::vector<RunHead> heap;
	heap.reserve(static_cast<size_t>(nruns));
	for (int64_t i = 0; i < nruns; i++)
	{
		const int64_t b = starts[i], e = i + 1 < nruns ? starts[i + 1] : count;
		if ((i == 0 && b != 0) || b < 0 || e < b || e > count)
			throw InvalidArgument(message("run ", i, " [", b, ", ", e, ") of ", count,
			                              " triplets is invalid"));
		if (e > b)
			heap.push_back(RunHead{t + b, t + e, i});
	}
	for (size_t i = heap.size(); i-- > 0;)
		sift_down(heap, i);

	int64_t n = 0;
	while (!heap.empty())
	{
		if (n % kPollElements == 0)
			poll_interrupts(intr);
		RunHead &h = heap.front();
		const NmfTriplet &c = *h.p;
		check_value(c);
		if (n > 0 && out[n - 1].row == c.row && out[n - 1].col == c.col)
			add_duplicate(out[n - 1], c);
		else
			out[n++] = c;
		if (++h.p < h.end)
		{
			if (!cell_less(c, *h.p))
				throw InvalidArgument(message("run ", h.run, " is not sorted and merged at (",
				                              h.p->row, ", ", h.p->col, ")"));
		}
		else
		{
			heap.front() = heap.back();
			heap.pop_back();
		}
		if (!heap.empty())
			sift_down(heap, 0);
	}
	return n;
}

MergeResult
sort_merge(NmfTriplet *t, int64_t count, const NmfcInterrupts &intr)
{
	if (count == 0)
		throw InvalidArgument("matrix has no cells");
	const int64_t out = sort_dedupe(t, count, intr);
	int64_t rows = 0;
	for (int64_t i = 0; i < out; i++)
		if (i == 0 || t[i - 1].row != t[i].row)
			rows++;

	poll_interrupts(intr);
	int64_t lo;
	uint64_t range;
	if (direct_range(t, out, lo, range))
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

	// Column ids in a small range (the common case: ids 1..n): a table over
	// the range lists and indexes them in O(nnz) without hashing.
	int64_t lo;
	uint64_t range;
	if (direct_range(t, nnz, lo, range))
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
			col_idx[p] = index[offset(t[p].col, lo)];
	}
	// Few distinct columns: a hash table lists and indexes them in O(nnz).
	else if (cols <= kMaxHashedIds)
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
