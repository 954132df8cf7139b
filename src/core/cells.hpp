// SPDX-License-Identifier: PostgreSQL
// What sorting, merging and writing cells share (triplets.cpp, runs.cpp):
// the cell order, the overflow check, and the direct column table. A cell's
// value is checked once, where it enters (the glue's nmfpg_check_cell, or the
// validation of a state image), and trusted here.
#ifndef NMF_CELLS_HPP
#define NMF_CELLS_HPP

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "errors.hpp"
#include "format.hpp"
#include "nmf_api.h"

namespace nmf::cells
{

inline bool
cell_less(const NmfTriplet &a, const NmfTriplet &b) noexcept
{
	return a.row < b.row || (a.row == b.row && a.col < b.col);
}

// Distinct column ids held in a hash table at most: 16 bytes each plus the
// table's slack, so 32 MB; past that the ids are sorted instead.
inline constexpr int64_t kMaxHashedIds = int64_t(1) << 20;

[[noreturn]] __attribute__((noinline, cold)) inline void
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
inline constexpr uint64_t kMinDirectRange = uint64_t(1) << 20;

// Whether column ids from mn to mx, in n cells, are few enough values for a
// direct table; its size.
inline bool
direct_table(int64_t mn, int64_t mx, int64_t n, uint64_t &range)
{
	const uint64_t span = static_cast<uint64_t>(mx) - static_cast<uint64_t>(mn);
	const uint64_t limit = std::max(kMinDirectRange, 2 * static_cast<uint64_t>(n));
	range = span < limit ? span + 1 : 0;
	return range != 0;
}

// Offset of id in a direct table starting at lo (id in the table's range).
inline size_t
offset(int64_t id, int64_t lo)
{
	return static_cast<size_t>(static_cast<uint64_t>(id) - static_cast<uint64_t>(lo));
}

// The header of a matrix image (write_header: not the length word).
inline NmfMatrixFlat *
write_matrix_header(void *flat, int64_t rows, int64_t cols, int64_t nnz)
{
	NmfMatrixFlat header = new_header<NmfMatrixFlat>(NMF_MATRIX_MAGIC);
	header.rows = rows;
	header.cols = cols;
	header.nnz = nnz;
	return write_header(flat, header);
}

} // namespace nmf::cells

#endif
