// SPDX-License-Identifier: PostgreSQL
// bias = 1: the model mu + b_row + b_col + W H fitted over the stored cells.
// Planted biases are recovered, the loss never increases, the thread count
// changes no bit, and the options that cannot work are refused.
#include <cmath>
#include <cstring>
#include <vector>

#include "bias.hpp"
#include "bias_util.hpp"

using nmf_test::biased;
using nmf_test::Image;
using nmf_test::Planted;
using nmf_test::planted;

namespace
{

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
	const NmfcModelView v = nmfc_model_view(nmf_test::header(model));
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
	const nmf::CsrView x = nmf_test::csr_of(matrix);
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
		const NmfcOptions opt = biased(1, 0.1, solver, 300);
		const Image model = nmf_test::fit_model(matrix, opt);
		const NmfModelFlat *m = nmf_test::header(model);
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
		const Image model = nmf_test::fit_model(matrix, biased(3, 0.0, solver, 60));
		const NmfModelFlat *m = nmf_test::header(model);
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
	const NmfModelFlat *a = nmf_test::header(one);
	const NmfModelFlat *b = nmf_test::header(three);
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
