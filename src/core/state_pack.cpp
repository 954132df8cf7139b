// SPDX-License-Identifier: PostgreSQL
// Packing a sorted aggregate state for shipping, and reading either form back.
//
// A sorted state repeats each row id for every cell of the row, and its
// column ids usually fit 32 bits from the smallest one: stored as row runs
// and 32-bit column offsets, a cell takes 12 bytes instead of 24, and the
// leader of a parallel build receives half the bytes.
#include "state_pack.hpp"

#include <algorithm>
#include <cstring>

#include "errors.hpp"
#include "format.hpp"

namespace nmf
{

int64_t
packed_plan(const NmfTriplet *t, int64_t count, int64_t *nrows, int64_t *col_base)
{
	if (count < 1 || t == nullptr || nrows == nullptr || col_base == nullptr)
		return -1;
	int64_t rows = 1, lo = t[0].col, hi = t[0].col;
	for (int64_t i = 1; i < count; i++)
	{
		rows += t[i].row != t[i - 1].row;
		lo = std::min(lo, t[i].col);
		hi = std::max(hi, t[i].col);
	}
	if (static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo) > UINT32_MAX ||
	    lo > NMF_STATE_MAX_COL_BASE)
		return -1;
	*nrows = rows;
	*col_base = lo;
	return packed_state_size(count, rows);
}

void
pack_state(const NmfTriplet *t, int64_t count, int64_t nrows, int64_t col_base, void *flat,
           size_t size)
{
	const int64_t expected = packed_state_size(count, nrows);
	if (t == nullptr || flat == nullptr || expected < 0 || size != static_cast<uint64_t>(expected))
		throw InvalidArgument(message("packed state of ", count, " cells in ", nrows,
		                              " rows does not fit ", size, " bytes"));
	NmfStateFlat h = new_header<NmfStateFlat>(NMF_STATE_MAGIC);
	h.flags = NMF_STATE_SORTED | NMF_STATE_PACKED;
	h.count = count;
	NmfStateFlat *s = write_header(flat, h);
	const NmfStatePacked p{nrows, col_base};
	std::memcpy(const_cast<NmfStatePacked *>(nmf_state_packed(s)), &p, sizeof(p));
	int64_t *row_ids = const_cast<int64_t *>(nmf_packed_row_ids(s));
	int64_t *row_ends = const_cast<int64_t *>(nmf_packed_row_ends(s));
	uint32_t *col_off = const_cast<uint32_t *>(nmf_packed_col_off(s));
	double *values = const_cast<double *>(nmf_packed_values(s));

	int64_t row = -1;
	for (int64_t i = 0; i < count; i++)
	{
		const NmfTriplet &c = t[i];
		if (i > 0 && !(t[i - 1].row < c.row || (t[i - 1].row == c.row && t[i - 1].col < c.col)))
			throw InvalidArgument(message("triplets are not sorted and merged at index ", i));
		const uint64_t off = static_cast<uint64_t>(c.col) - static_cast<uint64_t>(col_base);
		if (c.col < col_base || off > UINT32_MAX)
			throw InvalidArgument(message("column ", c.col, " is not within 2^32 of ", col_base));
		if (i == 0 || c.row != t[i - 1].row)
		{
			if (++row >= nrows)
				throw InvalidArgument(message("triplets have more than ", nrows, " rows"));
			if (row > 0)
				row_ends[row - 1] = i;
			row_ids[row] = c.row;
		}
		col_off[i] = static_cast<uint32_t>(off);
		values[i] = c.value;
	}
	if (row + 1 != nrows)
		throw InvalidArgument(message("triplets have ", row + 1, " rows, not ", nrows));
	row_ends[nrows - 1] = count;
	if (count % 2 != 0)
		col_off[count] = 0;
}

void
state_cells(const void *flat, NmfTriplet *out)
{
	const NmfStateFlat *s = static_cast<const NmfStateFlat *>(flat);
	if ((s->flags & NMF_STATE_PACKED) == 0)
	{
		std::memcpy(out, nmf_state_triplets(s), static_cast<size_t>(s->count) * sizeof(NmfTriplet));
		return;
	}
	PackedCells cells(s);
	for (NmfTriplet *c = out; cells.next(*c); c++)
	{
	}
}

} // namespace nmf
