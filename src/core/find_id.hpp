// SPDX-License-Identifier: PostgreSQL
// Looking an id up among a matrix's or a model's ids, which the formats keep
// strictly ascending (validated), so a binary search finds its dense index.
#ifndef NMF_FIND_ID_HPP
#define NMF_FIND_ID_HPP

#include <algorithm>
#include <cstdint>

namespace nmf
{

// Index of id in ids[0..n) (strictly ascending), or -1.
inline int64_t
find_id(const int64_t *ids, int64_t n, int64_t id) noexcept
{
	const int64_t *end = ids + n;
	const int64_t *it = std::lower_bound(ids, end, id);
	return it != end && *it == id ? it - ids : -1;
}

} // namespace nmf

#endif
