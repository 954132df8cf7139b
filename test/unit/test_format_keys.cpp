// SPDX-License-Identifier: PostgreSQL
// The key table at the end of a matrix or model image: a valid one passes,
// and every damaged field is refused by name, never read out of bounds.
#include <cstring>
#include <string>
#include <vector>

#include "format_util.hpp"

using nmf_test::Image;
using nmf_test::small_matrix;
using nmf_test::small_model;
using nmf_test::status_of;

namespace
{

void
put_words(std::vector<char> *out, const void *p, size_t bytes)
{
	const char *c = static_cast<const char *>(p);
	out->insert(out->end(), c, c + bytes);
	out->resize(static_cast<size_t>(nmf_pad8(static_cast<int64_t>(out->size()))), '\0');
}

// One side of a table: the ids, then the ends, then the keys' bytes padded.
void
put_side(std::vector<char> *out, const int64_t *ids, const std::vector<std::string> &keys)
{
	std::vector<int64_t> ends;
	std::string data;
	for (const std::string &k : keys)
	{
		data += k;
		ends.push_back(static_cast<int64_t>(data.size()));
	}
	put_words(out, ids, keys.size() * 8);
	put_words(out, ends.data(), ends.size() * 8);
	put_words(out, data.data(), data.size());
}

// The matrix image with text keys for its rows ("r0", "r1", ...) and uuid
// keys for its columns appended, keys_bytes set.
Image
keyed_matrix()
{
	const Image base = small_matrix();
	const NmfMatrixFlat *m = static_cast<const NmfMatrixFlat *>(base.data());
	NmfKeysFlat k{};
	k.magic = NMF_KEYS_MAGIC;
	k.row_kind = NMF_KEY_TEXT;
	k.col_kind = NMF_KEY_UUID;
	k.row_count = m->rows;
	k.col_count = m->cols;
	std::vector<char> table;
	put_words(&table, &k, sizeof(k));
	std::vector<std::string> rows, cols;
	for (int64_t i = 0; i < m->rows; i++)
		rows.push_back("r" + std::to_string(i));
	for (int64_t j = 0; j < m->cols; j++)
		cols.push_back(std::string(NMF_UUID_BYTES, static_cast<char>('a' + j)));
	put_side(&table, nmf_matrix_row_ids(m), rows);
	put_side(&table, nmf_matrix_col_ids(m), cols);

	Image img(base.size() + table.size());
	std::memcpy(img.data(), base.data(), base.size());
	std::memcpy(img.bytes() + base.size(), table.data(), table.size());
	static_cast<NmfMatrixFlat *>(img.data())->keys_bytes = static_cast<uint32_t>(table.size());
	return img;
}

// The key table's header and its first row id in a keyed image.
NmfKeysFlat *
keys_of(Image &img)
{
	const uint32_t bytes = static_cast<NmfMatrixFlat *>(img.data())->keys_bytes;
	return reinterpret_cast<NmfKeysFlat *>(img.bytes() + img.size() - bytes);
}

int64_t *
first_row_key_id(Image &img)
{
	return reinterpret_cast<int64_t *>(keys_of(img) + 1);
}

void
expect_keys_refused(const char *what, const std::function<void(Image &)> &damage,
                    const char *needle)
{
	nmf_test::expect_refused(nmfc_matrix_validate, keyed_matrix(), "invalid nmf_matrix: ", what,
	                         damage, needle);
}

} // namespace

TEST(FormatKeys, KeyedMatrixPasses)
{
	Image img = keyed_matrix();
	std::string message;
	EXPECT_EQ(status_of(nmfc_matrix_validate, img, &message), NMFC_OK) << message;
}

TEST(FormatKeys, DamagedTableIsRefused)
{
	expect_keys_refused(
	    "keys_bytes too large",
	    [](Image &i) { static_cast<NmfMatrixFlat *>(i.data())->keys_bytes += 8; }, "size");
	expect_keys_refused(
	    "keys_bytes too small",
	    [](Image &i) { static_cast<NmfMatrixFlat *>(i.data())->keys_bytes = 8; }, "keys_bytes");
	expect_keys_refused(
	    "magic", [](Image &i) { keys_of(i)->magic = 0; }, "key table magic");
	expect_keys_refused(
	    "kind", [](Image &i) { keys_of(i)->row_kind = NMF_KEY_COUNT; }, "row key kind");
	expect_keys_refused(
	    "reserved", [](Image &i) { keys_of(i)->reserved = 1; }, "reserved");
	expect_keys_refused(
	    "no keyed side",
	    [](Image &i) {
		keys_of(i)->row_kind = NMF_KEY_ID;
		keys_of(i)->col_kind = NMF_KEY_ID;
	    },
	    "neither");
	expect_keys_refused(
	    "count", [](Image &i) { keys_of(i)->row_count -= 1; }, "row key count");
	expect_keys_refused(
	    "huge count", [](Image &i) { keys_of(i)->col_count = INT64_MAX; }, "key count");
	expect_keys_refused(
	    "ids", [](Image &i) { *first_row_key_id(i) += 1000; }, "row");
	expect_keys_refused(
	    "ends", [](Image &i) { first_row_key_id(i)[keys_of(i)->row_count] = -1; }, "ends");
	expect_keys_refused(
	    "uuid length", [](Image &i) { keys_of(i)->row_kind = NMF_KEY_UUID; }, "uuid");
	expect_keys_refused(
	    "padding",
	    [](Image &i) {
		// After the row keys' 6 bytes ("r0" "r1" "r2"), 2 bytes of padding.
		const int64_t rows = keys_of(i)->row_count;
		reinterpret_cast<char *>(first_row_key_id(i) + 2 * rows)[6] = 1;
	    },
	    "padding");
}

TEST(FormatKeys, ModelWithoutTableIsUnchanged)
{
	// A model whose keys_bytes is 0 has no table: the size the header implies is the image's.
	Image model = small_model();
	EXPECT_EQ(nmfc_model_image_size(static_cast<const NmfModelFlat *>(model.data())),
	          static_cast<int64_t>(model.size()));
	static_cast<NmfModelFlat *>(model.data())->keys_bytes = 24;
	std::string message;
	EXPECT_EQ(status_of(nmfc_model_validate, model, &message), NMFC_INVALID_DATA);
	EXPECT_NE(message.find("size"), std::string::npos) << message;
}
