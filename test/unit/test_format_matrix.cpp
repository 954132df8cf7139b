// SPDX-License-Identifier: PostgreSQL
// The matrix image: sizes of both images, and every forged or damaged matrix
// refused with NMFC_INVALID_DATA and a message, never read out of bounds.
#include <limits>

#include "format_util.hpp"

using nmf_test::Image;
using nmf_test::small_matrix;
using nmf_test::small_model;
using nmf_test::status_of;

namespace
{

NmfMatrixFlat *
mhead(Image &img)
{
	return static_cast<NmfMatrixFlat *>(img.data());
}

// A writable array of the image, to damage it: at(img, nmf_matrix_row_ids).
template <class T>
T *
at(Image &img, const T *(*array)(const NmfMatrixFlat *))
{
	return const_cast<T *>(array(mhead(img)));
}

void
expect_matrix_refused(const char *what, const std::function<void(Image &)> &damage,
                      const char *needle)
{
	const std::string message = nmf_test::expect_refused(
	    nmfc_matrix_validate, small_matrix(), "invalid nmf_matrix: ", what, damage, needle);
	EXPECT_FALSE(!message.empty() && message.back() == '.') << what;
}

} // namespace

TEST(Format, Sizes)
{
	// 40 header + 8 * (3 + 4 + 4) ids and row_ptr + 24 col_idx padded + 40 values.
	EXPECT_EQ(nmfc_matrix_size(3, 4, 5), 40 + 88 + 24 + 40);
	EXPECT_EQ(nmfc_matrix_size(1, 1, 0), 40 + 8 + 8 + 16);
	EXPECT_EQ(nmfc_matrix_size(0, 1, 0), -1);
	EXPECT_EQ(nmfc_matrix_size(1, -1, 0), -1);
	EXPECT_EQ(nmfc_matrix_size(2, 2, 5), -1) << "nnz > rows * cols";
	EXPECT_EQ(nmfc_matrix_size(1, 1, -1), -1);
	EXPECT_EQ(nmfc_matrix_size(NMF_MAX_DIM + 1, 1, 0), -1);
	EXPECT_EQ(nmfc_matrix_size(NMF_MAX_DIM, NMF_MAX_DIM, INT64_MAX / 2), -1) << "overflow";
	EXPECT_GT(nmfc_matrix_size(NMF_MAX_DIM, NMF_MAX_DIM, 0), 0);

	// 304 header + 8 * (3 + 4) ids + 8 * (3 + 4) * 2 factors + 16 * 5 history.
	EXPECT_EQ(nmfc_model_size(3, 4, 2, 5), 304 + 56 + 112 + 80);
	// A biased model adds its 3 + 4 biases.
	EXPECT_EQ(nmfc_model_size_bias(3, 4, 2, 5, 1), 304 + 56 + 112 + 80 + 56);
	EXPECT_EQ(nmfc_model_size_bias(3, 4, 2, 5, 0), nmfc_model_size(3, 4, 2, 5));
	EXPECT_EQ(nmfc_model_size(3, 4, 4, 0), -1) << "rank > min(rows, cols)";
	EXPECT_EQ(nmfc_model_size(3, 4, 0, 0), -1);
	EXPECT_EQ(nmfc_model_size(3, 4, 1, -1), -1);
	EXPECT_EQ(nmfc_model_size(NMF_MAX_DIM, NMF_MAX_DIM, NMF_MAX_RANK + 1, 0), -1);
	// The hard limits keep the largest model size within int64.
	EXPECT_EQ(nmfc_model_size(NMF_MAX_DIM, NMF_MAX_DIM, NMF_MAX_RANK, INT32_MAX),
	          304 + 16 * NMF_MAX_DIM * (1 + NMF_MAX_RANK) + 16 * int64_t(INT32_MAX));
	EXPECT_EQ(nmfc_model_size(3, 4, 1, int64_t(INT32_MAX) + 1), -1);
}

TEST(Format, ValidImagesPass)
{
	Image m = small_matrix();
	std::string message;
	EXPECT_EQ(status_of(nmfc_matrix_validate, m, &message), NMFC_OK) << message;
	Image model = small_model();
	EXPECT_EQ(status_of(nmfc_model_validate, model, &message), NMFC_OK) << message;
}

TEST(Format, MatrixDamageIsRefused)
{
	expect_matrix_refused(
	    "wrong magic", [](Image &i) { mhead(i)->magic = NMF_MODEL_MAGIC; }, "magic");
	expect_matrix_refused(
	    "wrong version", [](Image &i) { mhead(i)->version = 2; }, "version");
	expect_matrix_refused(
	    "flags", [](Image &i) { mhead(i)->flags = 1; }, "flags");
	expect_matrix_refused(
	    "keys_bytes", [](Image &i) { mhead(i)->keys_bytes = 7; }, "keys_bytes");
	expect_matrix_refused(
	    "truncated", [](Image &i) { i.resize(i.size() - 1); }, "size");
	expect_matrix_refused(
	    "extra byte", [](Image &i) { i.resize(i.size() + 1); }, "size");
	expect_matrix_refused(
	    "header cut", [](Image &i) { i.resize(20); }, "header");
	expect_matrix_refused(
	    "unsorted row ids", [](Image &i) { at(i, nmf_matrix_row_ids)[1] = 5; }, "row_ids[1]");
	expect_matrix_refused(
	    "duplicate col ids",
	    [](Image &i) { at(i, nmf_matrix_col_ids)[2] = at(i, nmf_matrix_col_ids)[1]; },
	    "col_ids[2]");
	expect_matrix_refused(
	    "row_ptr decreasing",
	    [](Image &i) {
		at(i, nmf_matrix_row_ptr)[1] = 3;
		at(i, nmf_matrix_row_ptr)[2] = 2;
	    },
	    "row_ptr[2] = 2 is less than row_ptr[1] = 3");
	expect_matrix_refused(
	    "row_ptr[0]", [](Image &i) { at(i, nmf_matrix_row_ptr)[0] = 1; }, "row_ptr[0]");
	expect_matrix_refused(
	    "row_ptr end", [](Image &i) { at(i, nmf_matrix_row_ptr)[3] = 4; }, "row_ptr[3]");
	expect_matrix_refused(
	    "col_idx out of range", [](Image &i) { at(i, nmf_matrix_col_idx)[1] = 4; },
	    "col_idx[1] = 4 is out of range");
	expect_matrix_refused(
	    "col_idx negative", [](Image &i) { at(i, nmf_matrix_col_idx)[0] = -1; }, "col_idx[0]");
	expect_matrix_refused(
	    "col_idx not ascending", [](Image &i) { at(i, nmf_matrix_col_idx)[4] = 0; }, "col_idx[4]");
	expect_matrix_refused(
	    "padding", [](Image &i) { at(i, nmf_matrix_col_idx)[5] = 1; }, "padding");
	expect_matrix_refused(
	    "NaN value",
	    [](Image &i) { at(i, nmf_matrix_values)[2] = std::numeric_limits<double>::quiet_NaN(); },
	    "values[2] = NaN");
	expect_matrix_refused(
	    "infinite value",
	    [](Image &i) { at(i, nmf_matrix_values)[0] = std::numeric_limits<double>::infinity(); },
	    "values[0] = Infinity");
	expect_matrix_refused(
	    "negative value", [](Image &i) { at(i, nmf_matrix_values)[3] = -1; }, "values[3] = -1");
	expect_matrix_refused(
	    "negative rows", [](Image &i) { mhead(i)->rows = -3; }, "rows = -3");
	expect_matrix_refused(
	    "zero cols", [](Image &i) { mhead(i)->cols = 0; }, "cols = 0");
	expect_matrix_refused(
	    "negative nnz", [](Image &i) { mhead(i)->nnz = -5; }, "nnz = -5");
	expect_matrix_refused(
	    "nnz > rows * cols", [](Image &i) { mhead(i)->nnz = 13; }, "nnz = 13");
	expect_matrix_refused(
	    "huge dims",
	    [](Image &i) {
		mhead(i)->rows = NMF_MAX_DIM;
		mhead(i)->cols = NMF_MAX_DIM;
		mhead(i)->nnz = INT64_MAX - 3;
	    },
	    "size");
	expect_matrix_refused(
	    "dims past the limit", [](Image &i) { mhead(i)->rows = INT64_MAX; }, "rows");
}

TEST(Format, RandomByteFlipsOfAMatrixNeverCrash)
{
	nmf_test::flip_bytes(small_matrix(), nmfc_matrix_validate, 20000, 2);
}
