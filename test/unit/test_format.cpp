// SPDX-License-Identifier: PostgreSQL
// Validation of the image formats: every forged or damaged image is refused
// with NMFC_INVALID_DATA and a message, never read out of bounds.
#include <functional>
#include <limits>
#include <string>

#include "test_util.hpp"

using nmf_test::Image;
using nmf_test::packed_state;

namespace
{

NmfMatrixFlat *
mhead(Image &img)
{
	return static_cast<NmfMatrixFlat *>(img.data());
}

NmfModelFlat *
model_head(Image &img)
{
	return static_cast<NmfModelFlat *>(img.data());
}

// Rows 10, 20, 30 and columns 1, 2, 3, 4: five cells, an odd count, so the
// col_idx array carries 4 bytes of padding.
Image
small_matrix()
{
	return nmf_test::matrix_from_triplets(
	    {{10, 1, 1.0}, {10, 3, 2.0}, {20, 2, 0.0}, {30, 1, 4.0}, {30, 4, 5.0}});
}

Image
small_model()
{
	NmfcOptions opt;
	nmfc_options_default(&opt, 2);
	opt.max_iter = 5;
	return nmf_test::fit_model(small_matrix(), opt);
}

int
validate_matrix(const Image &img, std::string *message = nullptr)
{
	NmfcError err;
	const int status = nmfc_matrix_validate(img.data(), img.size(), &err);
	if (message != nullptr)
		*message = err.message;
	return status;
}

int
validate_model(const Image &img, std::string *message = nullptr)
{
	NmfcError err;
	const int status = nmfc_model_validate(img.data(), img.size(), &err);
	if (message != nullptr)
		*message = err.message;
	return status;
}

// Applies a damage to a fresh valid image and expects a refusal whose
// message contains `needle`.
void
expect_matrix_refused(const char *what, const std::function<void(Image &)> &damage,
                      const char *needle)
{
	Image img = small_matrix();
	damage(img);
	std::string message;
	EXPECT_EQ(validate_matrix(img, &message), NMFC_INVALID_DATA) << what;
	EXPECT_EQ(message.rfind("invalid nmf_matrix: ", 0), 0u) << what << ": " << message;
	EXPECT_NE(message.find(needle), std::string::npos) << what << ": " << message;
	EXPECT_NE(message.back(), '.') << what;
}

void
expect_model_refused(const char *what, const std::function<void(Image &)> &damage,
                     const char *needle)
{
	Image img = small_model();
	damage(img);
	std::string message;
	EXPECT_EQ(validate_model(img, &message), NMFC_INVALID_DATA) << what;
	EXPECT_EQ(message.rfind("invalid nmf_model: ", 0), 0u) << what << ": " << message;
	EXPECT_NE(message.find(needle), std::string::npos) << what << ": " << message;
}

int64_t *
row_ids(Image &img)
{
	return const_cast<int64_t *>(nmf_matrix_row_ids(mhead(img)));
}
int64_t *
col_ids(Image &img)
{
	return const_cast<int64_t *>(nmf_matrix_col_ids(mhead(img)));
}
int64_t *
row_ptr(Image &img)
{
	return const_cast<int64_t *>(nmf_matrix_row_ptr(mhead(img)));
}
int32_t *
col_idx(Image &img)
{
	return const_cast<int32_t *>(nmf_matrix_col_idx(mhead(img)));
}
double *
values(Image &img)
{
	return const_cast<double *>(nmf_matrix_values(mhead(img)));
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

	// 208 header + 8 * (3 + 4) ids + 8 * (3 + 4) * 2 factors + 16 * 5 history.
	EXPECT_EQ(nmfc_model_size(3, 4, 2, 5), 208 + 56 + 112 + 80);
	// A biased model adds its 3 + 4 biases.
	EXPECT_EQ(nmfc_model_size_bias(3, 4, 2, 5, 1), 208 + 56 + 112 + 80 + 56);
	EXPECT_EQ(nmfc_model_size_bias(3, 4, 2, 5, 0), nmfc_model_size(3, 4, 2, 5));
	EXPECT_EQ(nmfc_model_size(3, 4, 4, 0), -1) << "rank > min(rows, cols)";
	EXPECT_EQ(nmfc_model_size(3, 4, 0, 0), -1);
	EXPECT_EQ(nmfc_model_size(3, 4, 1, -1), -1);
	EXPECT_EQ(nmfc_model_size(NMF_MAX_DIM, NMF_MAX_DIM, NMF_MAX_RANK + 1, 0), -1);
	// The hard limits keep the largest model size within int64.
	EXPECT_EQ(nmfc_model_size(NMF_MAX_DIM, NMF_MAX_DIM, NMF_MAX_RANK, INT32_MAX),
	          208 + 16 * NMF_MAX_DIM * (1 + NMF_MAX_RANK) + 16 * int64_t(INT32_MAX));
	EXPECT_EQ(nmfc_model_size(3, 4, 1, int64_t(INT32_MAX) + 1), -1);
}

TEST(Format, ValidImagesPass)
{
	Image m = small_matrix();
	std::string message;
	EXPECT_EQ(validate_matrix(m, &message), NMFC_OK) << message;
	Image model = small_model();
	EXPECT_EQ(validate_model(model, &message), NMFC_OK) << message;
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
	    "reserved", [](Image &i) { mhead(i)->reserved = 7; }, "reserved");
	expect_matrix_refused(
	    "truncated", [](Image &i) { i.resize(i.size() - 1); }, "size");
	expect_matrix_refused(
	    "extra byte", [](Image &i) { i.resize(i.size() + 1); }, "size");
	expect_matrix_refused(
	    "header cut", [](Image &i) { i.resize(20); }, "header");
	expect_matrix_refused(
	    "unsorted row ids", [](Image &i) { row_ids(i)[1] = 5; }, "row_ids[1]");
	expect_matrix_refused(
	    "duplicate col ids", [](Image &i) { col_ids(i)[2] = col_ids(i)[1]; }, "col_ids[2]");
	expect_matrix_refused(
	    "row_ptr decreasing",
	    [](Image &i) {
		row_ptr(i)[1] = 3;
		row_ptr(i)[2] = 2;
	    },
	    "row_ptr[2] = 2 is less than row_ptr[1] = 3");
	expect_matrix_refused(
	    "row_ptr[0]", [](Image &i) { row_ptr(i)[0] = 1; }, "row_ptr[0]");
	expect_matrix_refused(
	    "row_ptr end", [](Image &i) { row_ptr(i)[3] = 4; }, "row_ptr[3]");
	expect_matrix_refused(
	    "col_idx out of range", [](Image &i) { col_idx(i)[1] = 4; },
	    "col_idx[1] = 4 is out of range");
	expect_matrix_refused(
	    "col_idx negative", [](Image &i) { col_idx(i)[0] = -1; }, "col_idx[0]");
	expect_matrix_refused(
	    "col_idx not ascending", [](Image &i) { col_idx(i)[4] = 0; }, "col_idx[4]");
	expect_matrix_refused(
	    "padding", [](Image &i) { col_idx(i)[5] = 1; }, "padding");
	expect_matrix_refused(
	    "NaN value", [](Image &i) { values(i)[2] = std::numeric_limits<double>::quiet_NaN(); },
	    "values[2] = nan");
	expect_matrix_refused(
	    "infinite value", [](Image &i) { values(i)[0] = std::numeric_limits<double>::infinity(); },
	    "values[0] = inf");
	expect_matrix_refused(
	    "negative value", [](Image &i) { values(i)[3] = -1; }, "values[3] = -1");
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

TEST(Format, ModelDamageIsRefused)
{
	expect_model_refused(
	    "wrong magic", [](Image &i) { model_head(i)->magic ^= 1; }, "magic");
	expect_model_refused(
	    "wrong version", [](Image &i) { model_head(i)->version = 0; }, "version");
	expect_model_refused(
	    "reserved2", [](Image &i) { model_head(i)->reserved2 = 1; }, "reserved2");
	expect_model_refused(
	    "truncated", [](Image &i) { i.resize(i.size() - 1); }, "size");
	expect_model_refused(
	    "extra byte", [](Image &i) { i.resize(i.size() + 1); }, "size");
	expect_model_refused(
	    "rank", [](Image &i) { model_head(i)->rank = 4; }, "rank");
	expect_model_refused(
	    "solver", [](Image &i) { model_head(i)->solver = NMF_SOLVER_COUNT; }, "solver");
	expect_model_refused(
	    "max_iter", [](Image &i) { model_head(i)->max_iter = -1; }, "max_iter");
	expect_model_refused(
	    "tol", [](Image &i) { model_head(i)->tol = -1; }, "tol = -1");
	expect_model_refused(
	    "l2_h", [](Image &i) { model_head(i)->l2_h = std::numeric_limits<double>::infinity(); },
	    "l2_h");
	expect_model_refused(
	    "learning_rate", [](Image &i) { model_head(i)->learning_rate = -0.5; },
	    "learning_rate = -0.5");
	expect_model_refused(
	    "converged", [](Image &i) { model_head(i)->converged = 2; }, "converged");
	expect_model_refused(
	    "iterations", [](Image &i) { model_head(i)->iterations = 6; }, "iterations");
	expect_model_refused(
	    "history_len", [](Image &i) { model_head(i)->history_len = 6; }, "history_len");
	expect_model_refused(
	    "final_loss",
	    [](Image &i) { model_head(i)->final_loss = std::numeric_limits<double>::quiet_NaN(); },
	    "final_loss");
	expect_model_refused(
	    "unsorted col ids",
	    [](Image &i) {
		int64_t *ids = const_cast<int64_t *>(nmf_model_col_ids(model_head(i)));
		std::swap(ids[0], ids[1]);
	    },
	    "col_ids[1]");
	expect_model_refused(
	    "negative w", [](Image &i) { const_cast<double *>(nmf_model_w(model_head(i)))[3] = -2; },
	    "w[3] = -2");
	expect_model_refused(
	    "NaN h",
	    [](Image &i) { const_cast<double *>(nmf_model_h(model_head(i)))[0] = std::nan(""); },
	    "h[0]");
	expect_model_refused(
	    "history seconds decreasing",
	    [](Image &i) {
		double *s = const_cast<double *>(nmf_model_history_seconds(model_head(i)));
		s[4] = s[3] / 2;
	    },
	    "history_seconds[4]");
}

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

// Random damage must end in OK or INVALID_DATA, never in a crash or an
// out-of-bounds read (this test is meant to run under AddressSanitizer).
void
fuzz(const Image &valid, int (*validate)(const void *, size_t, NmfcError *), int trials,
     uint64_t seed)
{
	std::mt19937_64 rng(seed);
	int refused = 0;
	for (int trial = 0; trial < trials; trial++)
	{
		Image img = valid;
		const int flips = 1 + static_cast<int>(rng() % 4);
		for (int f = 0; f < flips; f++)
		{
			// Bias towards the header, where a flip changes how the rest is read.
			const size_t span = rng() % 2 == 0 ? std::min<size_t>(img.size(), 200) : img.size();
			img.bytes()[rng() % span] ^= static_cast<unsigned char>(1u << (rng() % 8));
		}
		if (rng() % 16 == 0)
			img.resize(rng() % (img.size() + 1));
		NmfcError err;
		const int status = validate(img.data(), img.size(), &err);
		ASSERT_TRUE(status == NMFC_OK || status == NMFC_INVALID_DATA)
		    << "status " << status << " at trial " << trial << ": " << err.message;
		refused += status == NMFC_INVALID_DATA;
	}
	EXPECT_GT(refused, trials / 2);
}

TEST(Format, RandomByteFlipsOfAModelNeverCrash)
{
	fuzz(small_model(), nmfc_model_validate, 20000, 1);
}

TEST(Format, RandomByteFlipsOfAMatrixNeverCrash)
{
	fuzz(small_matrix(), nmfc_matrix_validate, 20000, 2);
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
	refused("reserved", [](NmfStateFlat *st) { st->reserved = 1; });
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
