// SPDX-License-Identifier: PostgreSQL
// The matrix image: sizes of both images, and every forged or damaged matrix
// refused with NMFC_INVALID_DATA and a message, never read out of bounds.
#include <cstring>
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
                      const char *needle, const Image &base = small_matrix())
{
	const std::string message = nmf_test::expect_refused(
	    nmfc_matrix_validate, base, "invalid nmf_matrix: ", what, damage, needle);
	EXPECT_FALSE(!message.empty() && message.back() == '.') << what;
}

// A 3 x 2 matrix that stores every cell, in the dense form.
Image
full_dense()
{
	return nmf_test::densified(nmf_test::matrix_from_triplets(
	    {{1, 1, 1.0}, {1, 2, 0.0}, {2, 1, 3.0}, {2, 2, 4.0}, {5, 1, 5.0}, {5, 2, 6.0}}));
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
	    "flags", [](Image &i) { mhead(i)->flags = 2; }, "flags = 2 has unknown bits");
	expect_matrix_refused(
	    "dense flag on a sparse matrix", [](Image &i) { mhead(i)->flags = NMF_MATRIX_DENSE; },
	    "in a dense matrix");
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
	nmf_test::flip_bytes(full_dense(), nmfc_matrix_validate, 20000, 3);
}

// A matrix that stores every cell goes dense (8 bytes a cell, no indexes) and
// back to the same CSR bytes; any other stays as it is.
TEST(Format, TheDenseFormRoundTrips)
{
	const Image csr = nmf_test::matrix_from_triplets(
	    {{1, 1, 1.0}, {1, 2, 0.0}, {2, 1, 3.0}, {2, 2, 4.0}, {5, 1, 5.0}, {5, 2, 6.0}});
	const Image dense = full_dense();
	std::string message;
	ASSERT_EQ(status_of(nmfc_matrix_validate, dense, &message), NMFC_OK) << message;
	EXPECT_EQ(static_cast<const NmfMatrixFlat *>(dense.data())->flags, NMF_MATRIX_DENSE);
	EXPECT_EQ(dense.size(), 40 + 8 * (3 + 2) + 8 * 6);
	const NmfcMatrixView v = nmf_test::view_of(dense);
	EXPECT_EQ(v.row_ptr, nullptr);
	EXPECT_EQ(v.col_idx, nullptr);
	EXPECT_EQ(v.values[2], 3.0);
	const auto *m = static_cast<const NmfMatrixFlat *>(dense.data());
	ASSERT_EQ(nmfc_matrix_sparse_size(m), static_cast<int64_t>(csr.size()));
	Image back(csr.size());
	nmfc_matrix_write_sparse(m, back.data());
	std::memcpy(back.data(), csr.data(), sizeof(int32_t)); // the length word is the caller's
	EXPECT_TRUE(back.same_bytes(csr));
	Image sparse = small_matrix();
	EXPECT_EQ(nmfc_matrix_densify(sparse.data(), sparse.size()), sparse.size());
	EXPECT_EQ(static_cast<const NmfMatrixFlat *>(sparse.data())->flags, 0);
}

TEST(Format, DenseMatrixDamageIsRefused)
{
	const Image d = full_dense();
	expect_matrix_refused(
	    "dense nnz", [](Image &i) { mhead(i)->nnz = 5; }, "is not rows * cols", d);
	expect_matrix_refused(
	    "dense truncated", [](Image &i) { i.resize(i.size() - 8); }, "size", d);
	expect_matrix_refused(
	    "dense negative value",
	    [](Image &i) { const_cast<double *>(nmf_matrix_values(mhead(i)))[4] = -2; },
	    "values[4] = -2", d);
	expect_matrix_refused(
	    "dense cleared flag", [](Image &i) { mhead(i)->flags = 0; }, "size", d);
}
