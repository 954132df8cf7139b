// SPDX-License-Identifier: PostgreSQL
// A biased model: predict, score and fold-in add the biases, format 3 carries
// them (forged fields refused), and format 2 models still read.
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "bias_util.hpp"

using nmf_test::biased;
using nmf_test::Image;
using nmf_test::Planted;
using nmf_test::planted;

// Predict and score add the biases; fold-in of a training row finds a bias
// and weights that predict its cells about as well as the fit did.
TEST(Bias, ApplyHonoursTheBiases)
{
	const Planted p = planted(40, 30, 2, 0.5, 1.0, 9);
	const Image matrix = nmf_test::matrix_from_triplets(p.train);
	NmfcOptions opt = biased(2, 1.0);
	opt.max_iter = 200;
	const Image model = nmf_test::fit_model(matrix, opt);
	const NmfModelFlat *m = nmf_test::header(model);
	const NmfcModelView v = nmfc_model_view(m);
	ASSERT_EQ(v.bias, 1);

	// One pair by hand.
	const int64_t i = 3, j = 7;
	double wh = 0;
	for (int64_t k = 0; k < m->rank; k++)
		wh += nmf_model_w(m)[i * m->rank + k] * nmf_model_h(m)[j * m->rank + k];
	double out = 0;
	uint8_t known = 0;
	NmfcError err;
	ASSERT_EQ(nmfc_predict_pairs(&v, 1, &i, &j, nullptr, &out, &known, nullptr, &err), NMFC_OK);
	EXPECT_NEAR(out, m->mu + nmf_model_b_row(m)[i] + nmf_model_b_col(m)[j] + wh, 1e-12);

	// Score over the training matrix, unclipped: the fit's own loss; clipped
	// to the training range, never worse on cells within it.
	NmfcScore s, clipped;
	NmfcModelView raw = v;
	raw.clip = 0;
	const NmfcMatrixView xv = nmf_test::view_of(matrix);
	const NmfMatrixFlat *x = static_cast<const NmfMatrixFlat *>(matrix.data());
	ASSERT_EQ(
	    nmfc_score(&raw, &xv, nmf_matrix_row_ids(x), nmf_matrix_col_ids(x), &s, nullptr, &err),
	    NMFC_OK);
	EXPECT_NEAR(s.sse, m->final_loss, 1e-9 * m->final_loss);
	ASSERT_EQ(v.clip, 1);
	ASSERT_EQ(
	    nmfc_score(&v, &xv, nmf_matrix_row_ids(x), nmf_matrix_col_ids(x), &clipped, nullptr, &err),
	    NMFC_OK);
	EXPECT_LE(clipped.sse, s.sse);

	// Fold-in of every training row: its bias near the fitted one, and its
	// predictions as good as the fit's.
	std::vector<double> w(static_cast<size_t>(xv.rows * m->rank)), b(static_cast<size_t>(xv.rows));
	int64_t uc = 0, ucols = 0;
	ASSERT_EQ(nmfc_transform(&v, &xv, nmf_matrix_col_ids(x), w.data(), b.data(), &uc, &ucols,
	                         nullptr, &err),
	          NMFC_OK)
	    << err.message;
	double sse = 0, ridge = 0, fit_ridge = 0;
	for (int64_t r = 0; r < xv.rows; r++)
	{
		ridge += b[static_cast<size_t>(r)] * b[static_cast<size_t>(r)];
		fit_ridge += nmf_model_b_row(m)[r] * nmf_model_b_row(m)[r];
	}
	for (int64_t r = 0; r < xv.rows; r++)
		for (int64_t q = xv.row_ptr[r]; q < xv.row_ptr[r + 1]; q++)
		{
			const int64_t c = xv.col_idx[q];
			double pred = m->mu + b[static_cast<size_t>(r)] + nmf_model_b_col(m)[c];
			for (int64_t k = 0; k < m->rank; k++)
				pred += w[static_cast<size_t>(r * m->rank + k)] * nmf_model_h(m)[c * m->rank + k];
			sse += (xv.values[q] - pred) * (xv.values[q] - pred);
		}
	// Each row's fold-in solves exactly the row's part of the fit's objective
	// (H, b_col and mu fixed), of which the fitted row is one candidate.
	EXPECT_LE(sse + opt.l2_bias * ridge, (m->final_loss + opt.l2_bias * fit_ridge) * (1 + 1e-9));
	EXPECT_GT(sse, 0.9 * m->final_loss);
	for (int64_t r = 0; r < xv.rows; r++)
		EXPECT_GE(*std::min_element(w.begin() + r * m->rank, w.begin() + (r + 1) * m->rank), 0.0);
}

// Format 3 carries the biases; its new fields are checked like the others.
TEST(Bias, ForgedBiasFieldsAreRefused)
{
	const Image good =
	    nmf_test::fit_model(nmf_test::matrix_from_triplets(planted(20, 10, 1, 0.5, 1.0, 2).train),
	                        biased(2, 1.0, NMF_SOLVER_HALS, 3));
	NmfcError err;
	ASSERT_EQ(nmfc_model_validate(good.data(), good.size(), &err), NMFC_OK) << err.message;

	auto refused = [&](const char *what, auto damage, const char *needle) {
		Image img = good;
		damage(static_cast<NmfModelFlat *>(img.data()), img);
		EXPECT_EQ(nmfc_model_validate(img.data(), img.size(), &err), NMFC_INVALID_DATA) << what;
		EXPECT_NE(std::string(err.message).find(needle), std::string::npos)
		    << what << ": " << err.message;
	};
	refused(
	    "bias 2", [](NmfModelFlat *m, Image &) { m->bias = 2; }, "bias");
	refused(
	    "reserved3", [](NmfModelFlat *m, Image &) { m->reserved3 = 1; }, "reserved3");
	refused(
	    "mu NaN", [](NmfModelFlat *m, Image &) { m->mu = std::nan(""); }, "mu");
	refused(
	    "l2_bias < 0", [](NmfModelFlat *m, Image &) { m->l2_bias = -1; }, "l2_bias");
	refused(
	    "bias without ignore", [](NmfModelFlat *m, Image &) { m->missing = NMF_MISSING_ZERO; },
	    "missing");
	refused(
	    "b_row inf",
	    [](NmfModelFlat *m, Image &) { const_cast<double *>(nmf_model_b_row(m))[1] = INFINITY; },
	    "b_row[1]");
	refused(
	    "b_col NaN",
	    [](NmfModelFlat *m, Image &) {
		const_cast<double *>(nmf_model_b_col(m))[0] = std::nan("");
	    },
	    "b_col[0]");
	// Claiming no biases leaves their bytes over; claiming them on a model
	// without leaves them short.
	refused(
	    "bias flag cleared", [](NmfModelFlat *m, Image &) { m->bias = 0; }, "");
	refused(
	    "truncated", [](NmfModelFlat *, Image &img) { img.resize(img.size() - 8); }, "size");
}

// A version 2 image (nmf 0.2) reads as the current one without biases.
TEST(Bias, Version2ModelsAreUpgraded)
{
	const Planted p = planted(20, 10, 1, 0.5, 1.0, 4);
	const Image matrix = nmf_test::matrix_from_triplets(p.train);
	NmfcOptions opt;
	nmfc_options_default(&opt, 2);
	opt.max_iter = 4;
	opt.inner_updates = 1; // what an upgraded model records
	const Image current = nmf_test::fit_model(matrix, opt);

	// Its version 2 form: the fields from the biases on left out, version 2.
	const size_t gap = sizeof(NmfModelFlat) - NMF_MODEL_V2_HEADER;
	Image v2(current.size() - gap);
	std::memcpy(v2.bytes(), current.data(), NMF_MODEL_V2_HEADER);
	std::memcpy(v2.bytes() + NMF_MODEL_V2_HEADER,
	            static_cast<const char *>(current.data()) + sizeof(NmfModelFlat),
	            current.size() - sizeof(NmfModelFlat));
	const uint16_t two = 2;
	std::memcpy(v2.bytes() + offsetof(NmfModelFlat, version), &two, sizeof(two));

	NmfcError err;
	EXPECT_EQ(nmfc_model_version(v2.data(), v2.size()), 2);
	EXPECT_EQ(nmfc_model_validate(v2.data(), v2.size(), &err), NMFC_OK) << err.message;
	EXPECT_EQ(nmfc_model_upgrade_growth(2), static_cast<int64_t>(gap));
	Image up(v2.size() + gap);
	ASSERT_EQ(nmfc_model_upgrade(v2.data(), v2.size(), up.data(), up.size(), &err), NMFC_OK)
	    << err.message;
	// The length word is the caller's; every other byte is the current model's.
	EXPECT_EQ(std::memcmp(up.bytes() + 4, static_cast<const char *>(current.data()) + 4,
	                      current.size() - 4),
	          0);
	// A wrong output size is refused, not overrun.
	Image small(v2.size());
	EXPECT_EQ(nmfc_model_upgrade(v2.data(), v2.size(), small.data(), small.size(), &err),
	          NMFC_INVALID_ARGUMENT);
	// A version 2 image that claims to be longer than it is.
	v2.resize(v2.size() - 8);
	EXPECT_EQ(nmfc_model_validate(v2.data(), v2.size(), &err), NMFC_INVALID_DATA);
}
