// SPDX-License-Identifier: PostgreSQL
// The one seeded hash of the core: SplitMix64 (Steele, Lea and Flood, 2014).
// Every input bit reaches every output bit, so neighbouring ids (1, 2, 3, ...)
// land in unrelated folds, initial values and hash slots, and the result is
// the same on every platform, which a split or an init that must be repeatable
// across nodes needs.
#ifndef NMF_HASH_HPP
#define NMF_HASH_HPP

#include <cstdint>

namespace nmf
{

constexpr uint64_t
splitmix64(uint64_t x) noexcept
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

} // namespace nmf

#endif
