// SPDX-License-Identifier: PostgreSQL
// Merging sorted runs of cells (a combined aggregate state's, and packed
// worker states read as they are) and writing the matrix image from them.
#include <algorithm>
#include <cstring>
#include <vector>

#include "cells.hpp"
#include "errors.hpp"
#include "format.hpp"
#include "id_index.hpp"
#include "state_pack.hpp"
#include "triplets.hpp"

namespace nmf
{

using namespace cells;

namespace
{

// A sorted, merged run being read: a range of triplets, or the cells of a
// packed state image (PackedCells). Heads order by their current cell, then
// by run (so the cells several runs share are summed in run order).
struct RunHead
{
	NmfTriplet cell;
	int64_t run;
	const NmfTriplet *p = nullptr, *end = nullptr; // a triplet run, or
	bool packed = false;                           // a packed one:
	PackedCells cells;

	// Moves to the next cell; false at the end of the run.
	bool
	next() noexcept
	{
		if (packed)
			return cells.next(cell);
		if (++p == end)
			return false;
		cell = *p;
		return true;
	}
};

bool
head_after(const RunHead &a, const RunHead &b) noexcept
{
	if (a.cell.row != b.cell.row)
		return a.cell.row > b.cell.row;
	if (a.cell.col != b.cell.col)
		return a.cell.col > b.cell.col;
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

// The runs of a merge: count triplets in nruns runs (run i from starts[i]),
// then npacked packed state images, each one run; checked on construction.
struct RunSet
{
	const NmfTriplet *t;
	int64_t count;
	const int64_t *starts;
	int64_t nruns;
	const NmfStateFlat *const *packed;
	int64_t npacked;

	RunSet(const NmfTriplet *t_, int64_t count_, const int64_t *starts_, int64_t nruns_,
	       const void *const *packed_ = nullptr, int64_t npacked_ = 0)
	    : t(t_), count(count_), starts(starts_), nruns(nruns_),
	      packed(reinterpret_cast<const NmfStateFlat *const *>(packed_)), npacked(npacked_)
	{
		if (count < 0 || nruns < 0 || (count > 0 && t == nullptr) ||
		    (nruns > 0 && starts == nullptr) || (count > 0 && nruns == 0) || npacked < 0 ||
		    (npacked > 0 && packed == nullptr))
			throw InvalidArgument(message("merge of ", count, " triplets in ", nruns, " runs and ",
			                              npacked, " packed states is invalid"));
		for (int64_t i = 0; i < npacked; i++)
			if (packed[i] == nullptr || (packed[i]->flags & NMF_STATE_PACKED) == 0 ||
			    packed[i]->count < 1)
				throw InvalidArgument(message("packed state ", i, " of the merge is invalid"));
	}

	int64_t
	cells() const noexcept
	{
		int64_t n = count;
		for (int64_t i = 0; i < npacked; i++)
			n += packed[i]->count;
		return n;
	}

	// f(col) for every cell's column id, in no particular order.
	template <class F>
	void
	each_col(F &&f) const
	{
		for (int64_t i = 0; i < count; i++)
			f(t[i].col);
		for (int64_t k = 0; k < npacked; k++)
		{
			const uint64_t base = static_cast<uint64_t>(nmf_state_packed(packed[k])->col_base);
			const uint32_t *off = nmf_packed_col_off(packed[k]);
			for (int64_t q = 0; q < packed[k]->count; q++)
				f(static_cast<int64_t>(base + off[q]));
		}
	}

	// The heads of the non-empty runs, in a heap.
	std::vector<RunHead>
	heads() const
	{
		std::vector<RunHead> heap;
		heap.reserve(static_cast<size_t>(nruns + npacked));
		for (int64_t i = 0; i < nruns; i++)
		{
			const int64_t b = starts[i], e = i + 1 < nruns ? starts[i + 1] : count;
			if ((i == 0 && b != 0) || b < 0 || e < b || e > count)
				throw InvalidArgument(
				    message("run ", i, " [", b, ", ", e, ") of ", count, " triplets is invalid"));
			if (e > b)
			{
				RunHead h;
				h.cell = t[b];
				h.run = i;
				h.p = t + b;
				h.end = t + e;
				heap.push_back(h);
			}
		}
		for (int64_t k = 0; k < npacked; k++)
		{
			RunHead h;
			h.packed = true;
			h.cells = PackedCells(packed[k]);
			h.run = nruns + k;
			h.next(); // count >= 1 (checked above)
			heap.push_back(h);
		}
		for (size_t i = heap.size(); i-- > 0;)
			sift_down(heap, i);
		return heap;
	}
};

} // namespace

namespace
{

// Calls emit(cell) for the cells of the runs in (row, col) order, the cells
// several runs share summed in run order; checks that each run is sorted
// and merged.
template <class Emit>
void
merge_each(const RunSet &runs, const NmfcInterrupts &intr, Emit &&emit)
{
	std::vector<RunHead> heap = runs.heads();

	// The head run gives cells for as long as they come before every other
	// run's next cell (a comparison with the heap's second smallest head), so
	// long stretches from one run cost one comparison a cell.
	NmfTriplet cur{0, 0, 0.0};
	bool have = false;
	int64_t seen = 0;
	while (!heap.empty())
	{
		RunHead &h = heap.front();
		const RunHead *next = nullptr;
		if (heap.size() > 1)
			next = &heap[1];
		if (heap.size() > 2 && head_after(*next, heap[2]))
			next = &heap[2];
		bool more;
		for (;;)
		{
			if (seen++ % kPollElements == 0)
				poll_interrupts(intr);
			const NmfTriplet c = h.cell;
			if (have && cur.row == c.row && cur.col == c.col)
				add_duplicate(cur, c);
			else
			{
				if (have)
					emit(cur);
				cur = c;
				have = true;
			}
			more = h.next();
			if (!more)
				break;
			if (!cell_less(c, h.cell))
				throw InvalidArgument(message("run ", h.run, " is not sorted and merged at (",
				                              h.cell.row, ", ", h.cell.col, ")"));
			if (next != nullptr && head_after(h, *next))
				break;
		}
		if (!more)
		{
			heap.front() = heap.back();
			heap.pop_back();
		}
		if (!heap.empty())
			sift_down(heap, 0);
	}
	if (have)
		emit(cur);
}

// The distinct column ids of a set of cells (in any order) and each one's
// index among them: a table over their range when it is small, else a hash
// table; neither when there are more than kMaxHashedIds scattered ids.
class ColumnIndex
{
  public:
	bool
	build(const RunSet &runs)
	{
		if (runs.cells() < 1)
			return false;
		bool first = true;
		int64_t hi = 0;
		runs.each_col([&](int64_t col) {
			lo_ = first ? col : std::min(lo_, col);
			hi = first ? col : std::max(hi, col);
			first = false;
		});
		uint64_t range;
		direct_ = direct_table(lo_, hi, runs.cells(), range);
		if (direct_)
		{
			table_.assign(range, -1);
			runs.each_col([&](int64_t col) { table_[offset(col, lo_)] = 0; });
			for (size_t i = 0; i < range; i++)
				if (table_[i] == 0)
				{
					table_[i] = static_cast<int32_t>(ids_.size());
					ids_.push_back(static_cast<int64_t>(static_cast<uint64_t>(lo_) + i));
				}
			return ids_.size() <= static_cast<size_t>(INT32_MAX);
		}
		bool fits = true;
		runs.each_col([&](int64_t col) { fits = fits && hash_.add(col); });
		if (!fits)
			return false;
		ids_ = hash_.sorted();
		return true;
	}

	const std::vector<int64_t> &
	ids() const noexcept
	{
		return ids_;
	}

	int32_t
	index(int64_t id) const
	{
		return direct_ ? table_[offset(id, lo_)] : static_cast<int32_t>(hash_.index(id));
	}

  private:
	bool direct_ = false;
	int64_t lo_ = 0;
	std::vector<int32_t> table_;
	IdIndex hash_{kMaxHashedIds};
	std::vector<int64_t> ids_;
};

} // namespace

int64_t
merge_runs(const NmfTriplet *t, int64_t count, const int64_t *starts, int64_t nruns,
           NmfTriplet *out, const NmfcInterrupts &intr)
{
	if (count > 0 && out == nullptr)
		throw InvalidArgument("merge output is missing");
	int64_t n = 0;
	merge_each(RunSet(t, count, starts, nruns), intr, [&](const NmfTriplet &c) { out[n++] = c; });
	return n;
}

MergeResult
measure_runs(const NmfTriplet *t, int64_t count, const int64_t *starts, int64_t nruns,
             const void *const *packed, int64_t npacked, const NmfcInterrupts &intr)
{
	const RunSet runs(t, count, starts, nruns, packed, npacked);
	if (runs.cells() < 1)
		throw InvalidArgument("matrix has no cells");
	ColumnIndex columns;
	if (!columns.build(runs))
		return MergeResult{-1, -1, -1};
	int64_t nnz = 0, rows = 0, last_row = 0;
	merge_each(runs, intr, [&](const NmfTriplet &c) {
		rows += nnz == 0 || c.row != last_row;
		last_row = c.row;
		nnz++;
	});
	return MergeResult{nnz, rows, static_cast<int64_t>(columns.ids().size())};
}

void
write_runs(const NmfTriplet *t, int64_t count, const int64_t *starts, int64_t nruns,
           const void *const *packed, int64_t npacked, int64_t nnz, int64_t rows, int64_t cols,
           void *flat, size_t size, const NmfcInterrupts &intr)
{
	const RunSet runs(t, count, starts, nruns, packed, npacked);
	if (nnz < 1 || rows < 1 || cols < 1 || cols > INT32_MAX || flat == nullptr)
		throw InvalidArgument(
		    message("matrix dimensions ", rows, " x ", cols, " with ", nnz, " cells are invalid"));
	const int64_t expected = matrix_size(rows, cols, nnz);
	if (expected < 0 || size != static_cast<uint64_t>(expected))
		throw InvalidArgument(message("matrix buffer has ", size, " bytes, expected ", expected));
	ColumnIndex columns;
	if (!columns.build(runs) || static_cast<int64_t>(columns.ids().size()) != cols)
		throw InvalidArgument(message("the triplets do not have ", cols, " columns"));

	NmfMatrixFlat *m = write_matrix_header(flat, rows, cols, nnz);
	int64_t *row_ids = const_cast<int64_t *>(nmf_matrix_row_ids(m));
	int64_t *row_ptr = const_cast<int64_t *>(nmf_matrix_row_ptr(m));
	int32_t *col_idx = const_cast<int32_t *>(nmf_matrix_col_idx(m));
	double *values = const_cast<double *>(nmf_matrix_values(m));
	std::memcpy(const_cast<int64_t *>(nmf_matrix_col_ids(m)), columns.ids().data(),
	            static_cast<size_t>(cols) * sizeof(int64_t));

	int64_t p = 0, row = -1;
	merge_each(runs, intr, [&](const NmfTriplet &c) {
		if (p >= nnz)
			throw InvalidArgument(message("the triplets have more than ", nnz, " cells"));
		if (p == 0 || c.row != row_ids[row])
		{
			if (++row >= rows)
				throw InvalidArgument(message("the triplets have more than ", rows, " rows"));
			row_ids[row] = c.row;
			row_ptr[row] = p;
		}
		col_idx[p] = columns.index(c.col);
		values[p] = c.value;
		p++;
	});
	if (p != nnz || row + 1 != rows)
		throw InvalidArgument(message("the triplets have ", p, " cells in ", row + 1, " rows, not ",
		                              nnz, " in ", rows));
	row_ptr[rows] = nnz;
	if (nnz % 2 != 0)
		col_idx[nnz] = 0;
}

} // namespace nmf
