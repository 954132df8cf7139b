// SPDX-License-Identifier: PostgreSQL
// The aggregate's builder (nmfc_builder_*): however the cells arrive (one
// builder, several combined, shipped as plain or packed states), the matrix
// is the same bytes as one sort and merge of all of them.
#include <gtest/gtest.h>
#include <random>
#include <vector>

#include "nmf_api.h"
#include "test_util.hpp"

using nmf_test::Image;

namespace
{

constexpr int64_t kNoLimit = int64_t(1) << 40;

// Owns a builder for the length of a test.
struct Builder
{
	NmfcBuilder *b = nullptr;
	NmfcError err;

	explicit Builder(int64_t limit = kNoLimit)
	{
		EXPECT_EQ(nmfc_builder_create(limit, &b, &err), NMFC_OK) << err.message;
	}
	~Builder()
	{
		nmfc_builder_free(b);
	}
	void
	add(const std::vector<NmfTriplet> &cells)
	{
		for (const NmfTriplet &c : cells)
			ASSERT_EQ(nmfc_builder_add(b, &c, &err), NMFC_OK) << err.message;
	}
	// The state image, as a parallel worker ships it (validated as it would be on input).
	Image
	state()
	{
		int64_t size = 0;
		EXPECT_EQ(nmfc_builder_measure(b, NMFC_IMAGE_STATE, &size, nullptr, &err), NMFC_OK)
		    << err.message;
		Image img(static_cast<size_t>(size));
		EXPECT_EQ(nmfc_builder_write(b, NMFC_IMAGE_STATE, img.data(), img.size(), nullptr, &err),
		          NMFC_OK)
		    << err.message;
		EXPECT_EQ(nmfc_state_validate(img.data(), img.size(), &err), NMFC_OK) << err.message;
		return img;
	}
	Image
	matrix()
	{
		int64_t size = 0;
		EXPECT_EQ(nmfc_builder_measure(b, NMFC_IMAGE_MATRIX, &size, nullptr, &err), NMFC_OK)
		    << err.message;
		Image img(static_cast<size_t>(size > 0 ? size : 0));
		EXPECT_EQ(nmfc_builder_write(b, NMFC_IMAGE_MATRIX, img.data(), img.size(), nullptr, &err),
		          NMFC_OK)
		    << err.message;
		return img;
	}
};

std::vector<NmfTriplet>
random_cells(int64_t n, int64_t col_span, uint64_t seed)
{
	std::mt19937_64 rng(seed);
	std::uniform_int_distribution<int64_t> row(1, 60), col(1, col_span);
	// Quarters: sums of duplicates are exact in any order, so the bytes compare.
	std::uniform_int_distribution<int> quarters(0, 8);
	std::vector<NmfTriplet> t;
	for (int64_t i = 0; i < n; i++)
		t.push_back(NmfTriplet{row(rng), col(rng), quarters(rng) / 4.0});
	return t;
}

} // namespace

TEST(Builder, CombinedStatesGiveTheSerialMatrix)
{
	// Column spans within 2^32 ship packed; a wider one ships plain.
	for (int64_t span : {int64_t(40), int64_t(1) << 40})
	{
		const std::vector<NmfTriplet> a = random_cells(500, span, 1),
		                              b = random_cells(300, span, 2),
		                              c = random_cells(200, span, 3);
		std::vector<NmfTriplet> all = a;
		all.insert(all.end(), b.begin(), b.end());
		all.insert(all.end(), c.begin(), c.end());
		const Image serial = nmf_test::matrix_from_triplets(all);

		Builder wa, wb, leader;
		wa.add(a);
		wb.add(b);
		leader.add(c);
		const Image sa = wa.state(), sb = wb.state();
		ASSERT_EQ(nmfc_builder_add_state(leader.b, sa.data(), sa.size(), nullptr, &leader.err),
		          NMFC_OK)
		    << leader.err.message;
		ASSERT_EQ(nmfc_builder_add_state(leader.b, sb.data(), sb.size(), nullptr, &leader.err),
		          NMFC_OK)
		    << leader.err.message;
		EXPECT_TRUE(leader.matrix().same_bytes(serial)) << "span " << span;

		// A shipped state read back alone, and a builder merged into another.
		Builder alone, merged, other;
		const Image s_all = [&] {
			Builder w;
			w.add(all);
			return w.state();
		}();
		ASSERT_EQ(nmfc_builder_add_state(alone.b, s_all.data(), s_all.size(), nullptr, &alone.err),
		          NMFC_OK);
		EXPECT_TRUE(alone.matrix().same_bytes(serial));
		merged.add(a);
		other.add(b);
		other.add(c);
		ASSERT_EQ(nmfc_builder_add_builder(merged.b, other.b, nullptr, &merged.err), NMFC_OK);
		EXPECT_TRUE(merged.matrix().same_bytes(serial));
	}
}

TEST(Builder, RefusesEmptinessAndTheMemoryLimit)
{
	Builder empty;
	int64_t size = 0;
	EXPECT_EQ(nmfc_builder_measure(empty.b, NMFC_IMAGE_MATRIX, &size, nullptr, &empty.err),
	          NMFC_INVALID_ARGUMENT);
	EXPECT_STREQ(empty.err.message, "matrix has no cells");

	NmfcBuilder *none = nullptr;
	NmfcError err;
	EXPECT_EQ(nmfc_builder_create(1000, &none, &err), NMFC_LIMIT_EXCEEDED);
	EXPECT_EQ(none, nullptr);

	Builder small(100000);
	const std::vector<NmfTriplet> cells = random_cells(10000, 40, 4);
	int status = NMFC_OK;
	for (const NmfTriplet &c : cells)
		if ((status = nmfc_builder_add(small.b, &c, &small.err)) != NMFC_OK)
			break;
	EXPECT_EQ(status, NMFC_LIMIT_EXCEEDED);
}
