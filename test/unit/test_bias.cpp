// SPDX-License-Identifier: PostgreSQL
// bias = 1: the model mu + b_row + b_col + W H fitted over the stored cells.
// Planted biases are recovered, the loss never increases, the options that
// cannot work are refused, format 3 carries the biases (and formats 1 and 2
// still read), and predict, score and fold-in add them.
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "bias.hpp"
#include "test_util.hpp"

using nmf_test::Image;

namespace
{

// A planted biased matrix: value = mu + b_row[i] + b_col[j] + (W0 H0)_ij on a
// random `density` of the cells (every row and column present), the rest kept
// as held-out truth.
struct Planted
{
	double mu = 6.0;
	Eigen::VectorXd b_row, b_col;
	Eigen::MatrixXd full; // every cell's planted value
	std::vector<NmfTriplet> train, test;
};

Planted
planted(int64_t m, int64_t n, int64_t rank, double density, double interaction, uint64_t seed)
{
	std::mt19937_64 rng(seed);
	std::normal_distribution<double> g(0.0, 1.0);
	std::uniform_real_distribution<double> u(0.0, 1.0);
	Planted p;
	p.b_row.resize(m);
	p.b_col.resize(n);
	for (int64_t i = 0; i < m; i++)
		p.b_row(i) = g(rng);
	for (int64_t j = 0; j < n; j++)
		p.b_col(j) = 0.7 * g(rng);
	Eigen::MatrixXd w0(m, rank), h0(rank, n);
	for (int64_t i = 0; i < m; i++)
		for (int64_t k = 0; k < rank; k++)
			w0(i, k) = interaction * u(rng);
	for (int64_t k = 0; k < rank; k++)
		for (int64_t j = 0; j < n; j++)
			h0(k, j) = u(rng);
	p.full = w0 * h0;
	for (int64_t i = 0; i < m; i++)
		for (int64_t j = 0; j < n; j++)
		{
			p.full(i, j) += p.mu + p.b_row(i) + p.b_col(j);
			const NmfTriplet t{i, j, p.full(i, j)};
			if (u(rng) < density || i == j % m || j == i % n)
				p.train.push_back(t);
			else
				p.test.push_back(t);
		}
	return p;
}

NmfcOptions
biased(int64_t rank, double l2_bias)
{
	NmfcOptions opt;
	nmfc_options_default(&opt, rank);
	opt.missing = NMF_MISSING_IGNORE;
	opt.bias = 1;
	opt.l2_bias = l2_bias;
	return opt;
}

const NmfModelFlat *
head(const Image &model)
{
	return static_cast<const NmfModelFlat *>(model.data());
}

double
correlation(const Eigen::VectorXd &a, const Eigen::VectorXd &b)
{
	const Eigen::VectorXd ca = a.array() - a.mean();
	const Eigen::VectorXd cb = b.array() - b.mean();
	return ca.dot(cb) / (ca.norm() * cb.norm());
}

// RMSE of a model over triplets whose ids are dense indexes 0.. (as planted()).
double
rmse(const Image &model, const std::vector<NmfTriplet> &cells)
{
	const NmfcModelView v = nmfc_model_view(head(model));
	std::vector<int64_t> rows, cols;
	for (const NmfTriplet &t : cells)
	{
		rows.push_back(t.row);
		cols.push_back(t.col);
	}
	std::vector<double> out(cells.size());
	std::vector<uint8_t> known(cells.size());
	NmfcError err;
	EXPECT_EQ(nmfc_predict_pairs(&v, static_cast<int64_t>(cells.size()), rows.data(), cols.data(),
	                             nullptr, out.data(), known.data(), nullptr, &err),
	          NMFC_OK)
	    << err.message;
	double sse = 0;
	for (size_t q = 0; q < cells.size(); q++)
	{
		EXPECT_EQ(known[q], 1);
		sse += (cells[q].value - out[q]) * (cells[q].value - out[q]);
	}
	return std::sqrt(sse / static_cast<double>(cells.size()));
}

} // namespace

// The bias step alone (W = H = 0, no ridge) converges to the least-squares
// biases of a pure bias matrix: exact up to the shifts that trade between
// mu, b_row and b_col.
TEST(Bias, BlockSweepsRecoverPlantedBiases)
{
	const Planted p = planted(50, 30, 1, 0.3, 0.0, 11);
	const Image matrix = nmf_test::matrix_from_triplets(p.train);
	const nmf::CsrView x = nmf_test::view_of(matrix);
	nmf::CscMatrix xt = nmf::transpose(x, NmfcInterrupts{});
	const nmf::Matrix w = nmf::Matrix::Zero(1, x.rows), h = nmf::Matrix::Zero(1, x.cols);
	nmf::BiasFit b(x, xt, 0.0);
	for (int sweep = 0; sweep < 500; sweep++)
		b.update(x, xt, w, h, NmfcInterrupts{});
	const Eigen::VectorXd br = Eigen::Map<const Eigen::VectorXd>(b.rows().data(), x.rows);
	const Eigen::VectorXd bc = Eigen::Map<const Eigen::VectorXd>(b.cols().data(), x.cols);
	const Eigen::VectorXd dr = (br.array() - br.mean()) - (p.b_row.array() - p.b_row.mean());
	const Eigen::VectorXd dc = (bc.array() - bc.mean()) - (p.b_col.array() - p.b_col.mean());
	EXPECT_LT(dr.cwiseAbs().maxCoeff(), 1e-6);
	EXPECT_LT(dc.cwiseAbs().maxCoeff(), 1e-6);
	// Every held-out cell, predicted from the biases alone.
	double worst = 0;
	for (const NmfTriplet &t : p.test)
		worst = std::max(worst, std::fabs(b.mu() + br(t.row) + bc(t.col) - t.value));
	EXPECT_LT(worst, 1e-6);
	// The residual the solver would see is 0 on the stored cells.
	for (int64_t q = 0; q < x.nnz; q++)
		ASSERT_NEAR(b.residual_rows()[q], 0.0, 1e-6);
}

// A whole fit on biases plus a rank-1 non-negative interaction, at rank 1:
// the biases come back (correlation with the planted ones) and held-out
// cells are predicted far better than by rank-1 NMF without biases (which
// would need rank 3 for the biases and the interaction).
TEST(Bias, FitRecoversPlantedBiasesAndPredictsHeldOutCells)
{
	const Planted p = planted(80, 60, 1, 0.35, 2.0, 5);
	const Image matrix = nmf_test::matrix_from_triplets(p.train);
	for (int32_t solver : {NMF_SOLVER_HALS, NMF_SOLVER_GD})
	{
		NmfcOptions opt = biased(1, 0.1);
		opt.solver = solver;
		opt.max_iter = 300;
		opt.tol = 0;
		const Image model = nmf_test::fit_model(matrix, opt);
		const NmfModelFlat *m = head(model);
		ASSERT_EQ(m->bias, 1);
		EXPECT_EQ(m->version, NMF_MODEL_VERSION);
		const Eigen::VectorXd br = Eigen::Map<const Eigen::VectorXd>(nmf_model_b_row(m), m->rows);
		const Eigen::VectorXd bc = Eigen::Map<const Eigen::VectorXd>(nmf_model_b_col(m), m->cols);
		EXPECT_GT(correlation(br, p.b_row), 0.95) << "solver " << solver;
		EXPECT_GT(correlation(bc, p.b_col), 0.95) << "solver " << solver;
		const double biased_test = rmse(model, p.test);
		EXPECT_LT(biased_test, 0.25) << "solver " << solver;

		NmfcOptions plain = opt;
		plain.bias = 0;
		const double plain_test = rmse(nmf_test::fit_model(matrix, plain), p.test);
		EXPECT_LT(biased_test, 0.5 * plain_test) << "solver " << solver;
	}
}

// Each iteration is exact block minimisation (biases) then a solver
// iteration that never increases the objective; without penalties the
// objective is the loss the history records.
TEST(Bias, LossNeverIncreases)
{
	const Planted p = planted(60, 40, 3, 0.4, 2.0, 7);
	const Image matrix = nmf_test::matrix_from_triplets(p.train);
	for (int32_t solver : {NMF_SOLVER_HALS, NMF_SOLVER_GD})
	{
		NmfcOptions opt = biased(3, 0.0);
		opt.solver = solver;
		opt.max_iter = 60;
		opt.tol = 0;
		NmfcSummary s;
		const Image model = nmf_test::fit_model(matrix, opt, &s);
		const NmfModelFlat *m = head(model);
		const double *loss = nmf_model_history_loss(m);
		ASSERT_EQ(m->history_len, 60);
		for (int64_t i = 1; i < m->history_len; i++)
			EXPECT_LE(loss[i], loss[i - 1] * (1 + 1e-12))
			    << "solver " << solver << " iteration " << i + 1;
		EXPECT_LT(loss[59], loss[0]) << "solver " << solver;
	}
}

// The thread count changes nothing, biases included.
TEST(Bias, SameBitsForEveryThreadCount)
{
	const Planted p = planted(70, 50, 2, 0.4, 1.0, 3);
	const Image matrix = nmf_test::matrix_from_triplets(p.train);
	NmfcOptions opt = biased(3, 2.0);
	opt.max_iter = 20;
	opt.threads = 1;
	const Image one = nmf_test::fit_model(matrix, opt);
	opt.threads = 3;
	const Image three = nmf_test::fit_model(matrix, opt);
	const NmfModelFlat *a = head(one);
	const NmfModelFlat *b = head(three);
	const size_t wh = static_cast<size_t>((a->rows + a->cols) * a->rank) * sizeof(double);
	EXPECT_EQ(std::memcmp(nmf_model_w(a), nmf_model_w(b), wh), 0);
	const size_t biases = static_cast<size_t>(a->rows + a->cols) * sizeof(double);
	EXPECT_EQ(std::memcmp(nmf_model_b_row(a), nmf_model_b_row(b), biases), 0);
	EXPECT_EQ(a->mu, b->mu);
}

TEST(Bias, OptionsThatCannotWorkAreRefused)
{
	const Planted p = planted(20, 10, 1, 0.5, 1.0, 1);
	const Image matrix = nmf_test::matrix_from_triplets(p.train);
	const NmfcMatrixView v = nmf_test::view_of(matrix);
	NmfcError err;

	NmfcOptions opt = biased(2, 1.0);
	opt.missing = NMF_MISSING_ZERO;
	EXPECT_EQ(nmfc_options_validate(&v, &opt, &err), NMFC_INVALID_ARGUMENT);
	EXPECT_NE(std::string(err.message).find("missing 'ignore'"), std::string::npos) << err.message;

	opt = biased(2, 1.0);
	opt.solver = NMF_SOLVER_MU;
	EXPECT_EQ(nmfc_options_validate(&v, &opt, &err), NMFC_INVALID_ARGUMENT);
	EXPECT_NE(std::string(err.message).find("not 'mu'"), std::string::npos) << err.message;

	opt = biased(2, -1.0);
	EXPECT_EQ(nmfc_options_validate(&v, &opt, &err), NMFC_INVALID_ARGUMENT);
	EXPECT_NE(std::string(err.message).find("l2_bias"), std::string::npos) << err.message;
	opt = biased(2, std::nan(""));
	EXPECT_EQ(nmfc_options_validate(&v, &opt, &err), NMFC_INVALID_ARGUMENT);

	opt = biased(2, 1.0);
	opt.bias = 2;
	EXPECT_EQ(nmfc_options_validate(&v, &opt, &err), NMFC_INVALID_ARGUMENT);
}

// Predict and score add the biases; fold-in of a training row finds a bias
// and weights that predict its cells about as well as the fit did.
TEST(Bias, ApplyHonoursTheBiases)
{
	const Planted p = planted(40, 30, 2, 0.5, 1.0, 9);
	const Image matrix = nmf_test::matrix_from_triplets(p.train);
	NmfcOptions opt = biased(2, 1.0);
	opt.max_iter = 200;
	const Image model = nmf_test::fit_model(matrix, opt);
	const NmfModelFlat *m = head(model);
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

	// Score over the training matrix: the fit's own loss.
	NmfcScore s;
	const NmfcMatrixView xv = nmf_test::view_of(matrix);
	const NmfMatrixFlat *x = static_cast<const NmfMatrixFlat *>(matrix.data());
	ASSERT_EQ(nmfc_score(&v, &xv, nmf_matrix_row_ids(x), nmf_matrix_col_ids(x), &s, nullptr, &err),
	          NMFC_OK);
	EXPECT_NEAR(s.sse, m->final_loss, 1e-9 * m->final_loss);

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
	const Planted p = planted(20, 10, 1, 0.5, 1.0, 2);
	const Image matrix = nmf_test::matrix_from_triplets(p.train);
	NmfcOptions opt = biased(2, 1.0);
	opt.max_iter = 3;
	const Image good = nmf_test::fit_model(matrix, opt);
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
	const Image current = nmf_test::fit_model(matrix, opt);

	// Its version 2 form: the 24 bytes of bias fields left out, version 2.
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
