// SPDX-License-Identifier: PostgreSQL
// The aggregate's state image, plain and packed: what validates, each broken
// promise of the layout refused, and what cannot be packed.
#include <cmath>
#include <string>
#include <utility>

#include "test_util.hpp"

using nmf_test::Image;
using nmf_test::packed_state;

TEST(Format, StateImages)
{
	const int64_t count = 3;
	Image state(sizeof(NmfStateFlat) + count * sizeof(NmfTriplet));
	NmfStateFlat *s = static_cast<NmfStateFlat *>(state.data());
	s->magic = NMF_STATE_MAGIC;
	s->version = NMF_FORMAT_VERSION;
	s->count = count;
	NmfTriplet *t = const_cast<NmfTriplet *>(nmf_state_triplets(s));
	t[0] = {INT64_MIN, INT64_MAX, 0.0};
	t[1] = {5, 5, 1.5};
	t[2] = {5, 5, 2.5};
	NmfcError err;
	EXPECT_EQ(nmfc_state_validate(state.data(), state.size(), &err), NMFC_OK) << err.message;

	t[1].value = -0.5;
	EXPECT_EQ(nmfc_state_validate(state.data(), state.size(), &err), NMFC_INVALID_DATA);
	EXPECT_NE(std::string(err.message).find("triplets[1].value = -0.5"), std::string::npos)
	    << err.message;
	t[1].value = 1.5;

	s->count = -1;
	EXPECT_EQ(nmfc_state_validate(state.data(), state.size(), &err), NMFC_INVALID_DATA);
	EXPECT_NE(std::string(err.message).find("count"), std::string::npos) << err.message;
	s->count = INT64_MAX / 8;
	EXPECT_EQ(nmfc_state_validate(state.data(), state.size(), &err), NMFC_INVALID_DATA);
	s->count = 2;
	EXPECT_EQ(nmfc_state_validate(state.data(), state.size(), &err), NMFC_INVALID_DATA);
	s->count = count;
	s->magic = NMF_MATRIX_MAGIC;
	EXPECT_EQ(nmfc_state_validate(state.data(), state.size(), &err), NMFC_INVALID_DATA);
	EXPECT_EQ(nmfc_state_validate(state.data(), 4, &err), NMFC_INVALID_DATA);
	s->magic = NMF_STATE_MAGIC;

	// NMF_STATE_SORTED promises (row, col) strictly ascending: t has a duplicate.
	s->flags = static_cast<uint16_t>(NMF_STATE_SORTED);
	EXPECT_EQ(nmfc_state_validate(state.data(), state.size(), &err), NMFC_INVALID_DATA);
	EXPECT_NE(std::string(err.message).find("triplets[2] = (5, 5) does not follow"),
	          std::string::npos)
	    << err.message;
	t[2].col = 6;
	EXPECT_EQ(nmfc_state_validate(state.data(), state.size(), &err), NMFC_OK) << err.message;
	std::swap(t[0], t[2]);
	EXPECT_EQ(nmfc_state_validate(state.data(), state.size(), &err), NMFC_INVALID_DATA);
	s->flags = 0; // unsorted states may be in any order
	EXPECT_EQ(nmfc_state_validate(state.data(), state.size(), &err), NMFC_OK) << err.message;
	for (int bad : {4, 5, 0x8000})
	{
		s->flags = static_cast<uint16_t>(bad);
		EXPECT_EQ(nmfc_state_validate(state.data(), state.size(), &err), NMFC_INVALID_DATA) << bad;
		EXPECT_NE(std::string(err.message).find("unknown bits"), std::string::npos) << err.message;
	}
}

TEST(Format, PackedStatesRoundTripAndAreValidated)
{
	const std::vector<NmfTriplet> t = {{-7, 4000000000, 1.0},
	                                   {-7, 4000000005, 0.0},
	                                   {2, 4000000001, 2.5},
	                                   {9, 4000000000, 3.0},
	                                   {9, 4000000002, 4.0}};
	Image img = packed_state(t);
	NmfcError err;
	ASSERT_EQ(nmfc_state_validate(img.data(), img.size(), &err), NMFC_OK) << err.message;
	const NmfStateFlat *s = static_cast<const NmfStateFlat *>(img.data());
	EXPECT_EQ(s->flags, NMF_STATE_SORTED | NMF_STATE_PACKED);
	EXPECT_EQ(nmf_state_packed(s)->nrows, 3);
	EXPECT_EQ(nmf_state_packed(s)->col_base, 4000000000);
	// 24 + 16 header bytes, 2 * 3 row words, 5 offsets padded to 24 bytes, 5 values.
	EXPECT_EQ(img.size(), 24u + 16u + 48u + 24u + 40u);
	std::vector<NmfTriplet> back(t.size());
	nmfc_state_cells(img.data(), back.data());
	for (size_t i = 0; i < t.size(); i++)
	{
		EXPECT_EQ(back[i].row, t[i].row) << i;
		EXPECT_EQ(back[i].col, t[i].col) << i;
		EXPECT_EQ(back[i].value, t[i].value) << i;
	}

	// Each promise of the layout, broken once.
	auto refused = [&](const char *what, auto &&damage) {
		Image bad = img;
		damage(static_cast<NmfStateFlat *>(bad.data()));
		EXPECT_EQ(nmfc_state_validate(bad.data(), bad.size(), &err), NMFC_INVALID_DATA) << what;
		EXPECT_NE(std::string(err.message).find(what), std::string::npos) << err.message;
	};
	auto p = [](NmfStateFlat *st) { return const_cast<NmfStatePacked *>(nmf_state_packed(st)); };
	auto ids = [](NmfStateFlat *st) { return const_cast<int64_t *>(nmf_packed_row_ids(st)); };
	auto ends = [](NmfStateFlat *st) { return const_cast<int64_t *>(nmf_packed_row_ends(st)); };
	auto offs = [](NmfStateFlat *st) { return const_cast<uint32_t *>(nmf_packed_col_off(st)); };
	auto vals = [](NmfStateFlat *st) { return const_cast<double *>(nmf_packed_values(st)); };
	refused("packed without sorted", [](NmfStateFlat *st) { st->flags = NMF_STATE_PACKED; });
	refused("unknown bits", [](NmfStateFlat *st) { st->flags = 7; });
	refused("nrows", [&](NmfStateFlat *st) { p(st)->nrows = 0; });
	refused("nrows", [&](NmfStateFlat *st) { p(st)->nrows = 6; });
	refused("size", [&](NmfStateFlat *st) { p(st)->nrows = 2; });
	refused("col_base", [&](NmfStateFlat *st) { p(st)->col_base = INT64_MAX - 5; });
	refused("count", [](NmfStateFlat *st) { st->count = 0; });
	refused("row_ids", [&](NmfStateFlat *st) { ids(st)[1] = -7; });
	refused("row_ends[0]", [&](NmfStateFlat *st) { ends(st)[0] = 0; });
	refused("row_ends[1]", [&](NmfStateFlat *st) { ends(st)[1] = 2; });
	refused("row_ends[2]", [&](NmfStateFlat *st) { ends(st)[2] = 4; });
	refused("col_off[1]", [&](NmfStateFlat *st) { offs(st)[1] = 0; });
	refused("padding", [&](NmfStateFlat *st) { offs(st)[5] = 1; });
	refused("values", [&](NmfStateFlat *st) { vals(st)[4] = -1.0; });
	refused("values", [&](NmfStateFlat *st) { vals(st)[0] = std::nan(""); });
	refused("keys_bytes", [](NmfStateFlat *st) { st->keys_bytes = 1; });
	EXPECT_EQ(nmfc_state_validate(img.data(), sizeof(NmfStateFlat) + 8, &err), NMFC_INVALID_DATA);

	// Not packable: column ids 2^32 apart, or no cells; packing checks the order.
	int64_t nrows = 0, col_base = 0;
	const std::vector<NmfTriplet> wide = {{1, 0, 1.0}, {1, int64_t(1) << 32, 1.0}};
	EXPECT_EQ(nmfc_state_pack_size(wide.data(), 2, &nrows, &col_base), -1);
	EXPECT_EQ(nmfc_state_pack_size(wide.data(), 0, &nrows, &col_base), -1);
	const std::vector<NmfTriplet> high = {{1, INT64_MAX, 1.0}};
	EXPECT_EQ(nmfc_state_pack_size(high.data(), 1, &nrows, &col_base), -1);
	const std::vector<NmfTriplet> unsorted = {{2, 1, 1.0}, {1, 1, 1.0}};
	const int64_t size = nmfc_state_pack_size(unsorted.data(), 2, &nrows, &col_base);
	ASSERT_GT(size, 0);
	Image out(static_cast<size_t>(size));
	EXPECT_EQ(nmfc_state_pack(unsorted.data(), 2, nrows, col_base, out.data(), out.size(), &err),
	          NMFC_INVALID_ARGUMENT);
}
