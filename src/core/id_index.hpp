// SPDX-License-Identifier: PostgreSQL
// The distinct column ids of a matrix being built, and each id's index among
// them, in O(nnz) when they are few (the common shape: many rows, a bounded
// catalogue of columns): an open-addressing hash table instead of sorting all
// nnz ids. Past `limit` distinct ids it gives up, and the caller sorts.
#ifndef NMF_ID_INDEX_HPP
#define NMF_ID_INDEX_HPP

#include <algorithm>
#include <cstdint>
#include <vector>

#include "hash.hpp"

namespace nmf
{

class IdIndex
{
  public:
	explicit IdIndex(int64_t limit) : limit_(limit)
	{
		resize(1024);
	}

	// Adds id; false when that would pass the limit (the set is then unusable).
	bool
	add(int64_t id)
	{
		size_t i = find(id);
		if (used_[i])
			return true;
		if (size_ + 1 > limit_)
			return false;
		used_[i] = 1;
		keys_[i] = id;
		size_++;
		if (2 * static_cast<size_t>(size_) > keys_.size())
			resize(2 * keys_.size());
		return true;
	}

	int64_t
	size() const noexcept
	{
		return size_;
	}

	// The ids in ascending order; afterwards index() gives each one's position.
	std::vector<int64_t>
	sorted()
	{
		std::vector<int64_t> ids;
		ids.reserve(static_cast<size_t>(size_));
		for (size_t i = 0; i < keys_.size(); i++)
			if (used_[i])
				ids.push_back(keys_[i]);
		std::sort(ids.begin(), ids.end());
		index_.assign(keys_.size(), 0);
		for (size_t k = 0; k < ids.size(); k++)
			index_[find(ids[k])] = static_cast<int64_t>(k);
		return ids;
	}

	// The position of an id that was added, once sorted() has run.
	int64_t
	index(int64_t id) const
	{
		return index_[find(id)];
	}

  private:
	size_t
	find(int64_t id) const
	{
		// Sequential ids spread evenly over the slots.
		size_t i = static_cast<size_t>(splitmix64(static_cast<uint64_t>(id))) & mask_;
		while (used_[i] && keys_[i] != id)
			i = (i + 1) & mask_;
		return i;
	}

	void
	resize(size_t capacity)
	{
		std::vector<int64_t> old_keys;
		std::vector<char> old_used;
		old_keys.swap(keys_);
		old_used.swap(used_);
		keys_.assign(capacity, 0);
		used_.assign(capacity, 0);
		mask_ = capacity - 1;
		for (size_t i = 0; i < old_keys.size(); i++)
			if (old_used[i])
			{
				size_t j = find(old_keys[i]);
				used_[j] = 1;
				keys_[j] = old_keys[i];
			}
	}

	int64_t limit_;
	int64_t size_ = 0;
	size_t mask_ = 0;
	std::vector<int64_t> keys_;
	std::vector<char> used_;
	std::vector<int64_t> index_;
};

} // namespace nmf

#endif
