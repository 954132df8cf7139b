// SPDX-License-Identifier: PostgreSQL
// The fit by blocks of rows (fit_blocks.hpp) against nmf()'s fit of the
// whole matrix: the same model to the order of floating-point sums.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

#include "fit_blocks.hpp"
#include "test_util.hpp"

using nmf_test::Image;
using nmf_test::options;

namespace
{

// V's cells with row id i % parts == b, as a matrix of their own.
std::vector<Image>
split_rows(const Eigen::MatrixXd &v, int parts)
{
	std::vector<Image> out;
	for (int b = 0; b < parts; b++)
	{
		std::vector<NmfTriplet> t;
		for (Eigen::Index i = 0; i < v.rows(); i++)
			for (Eigen::Index j = 0; j < v.cols(); j++)
				if (i % parts == b && v(i, j) != 0)
					t.push_back(NmfTriplet{i, j, v(i, j)});
		out.push_back(nmf_test::matrix_from_triplets(t));
	}
	return out;
}

NmfcOptions
fit_options(const NmfcOptions &given)
{
	return nmf::blocks::resolved(given, nmf::blocks::Whole{1 << 20, 1 << 20, 1});
}

// W H of a model image (rows x cols).
Eigen::MatrixXd
product(const Image &model)
{
	Eigen::MatrixXd w, h;
	nmf_test::model_factors(model, &w, &h);
	return w * h;
}

// The blocks' fit of v, driven as the glue drives it (blocks 0 and 1, held by
// one server, answer as one message when paired); returns the model.
Image
fit_by_blocks(const Eigen::MatrixXd &v, const Image &whole_matrix, const NmfcOptions &opt,
              int parts, NmfcSummary *summary, bool paired = false)
{
	const NmfcMatrixView all = nmf_test::view_of(whole_matrix);
	nmf::blocks::Whole whole{all.rows, all.cols, 0};
	std::vector<int64_t> counts(static_cast<size_t>(all.cols));
	double sums[4];
	nmfc_block_totals(&all, &whole.nonzeros, sums, counts.data());
	const nmf::blocks::Totals totals{all.nnz, sums[0], sums[1], sums[2], sums[3], counts.data()};
	nmf::blocks::BlockFit fit(whole, totals, opt, NmfcInterrupts{});
	const int64_t r = opt.rank;
	const std::vector<Image> images = split_rows(v, parts);
	std::vector<std::unique_ptr<nmf::blocks::RowBlock>> blocks;
	const auto longest = static_cast<size_t>(std::max(
	    nmf::blocks::sums_length(fit_options(opt), all.cols), static_cast<int64_t>(all.cols)));
	std::vector<std::vector<double>> msgs(static_cast<size_t>(parts), std::vector<double>(longest));
	std::vector<double> in(static_cast<size_t>(r * all.cols + r * r));
	fit.payload(in.data());
	std::vector<const double *> ptrs;
	for (int b = 0; b < parts; b++)
	{
		const NmfcMatrixView x = nmf_test::view_of(images[static_cast<size_t>(b)]);
		Eigen::MatrixXd w0(r, x.rows);
		for (int64_t i = 0; i < x.rows; i++) // row id = row index in v
			w0.col(i) = fit.w().col(x.row_ids[i]);
		blocks.push_back(std::make_unique<nmf::blocks::RowBlock>(x, all.col_ids, whole, opt,
		                                                         NmfcInterrupts{}, w0.data()));
		blocks.back()->start(in.data(), msgs[static_cast<size_t>(b)].data());
		ptrs.push_back(msgs[static_cast<size_t>(b)].data());
	}
	// blocks 0 and 1 on one server: one message, in slot 0
	std::vector<double> pair(longest);
	auto take = [&] {
		if (!paired || parts < 2)
			return fit.take(ptrs.data(), parts);
		const int32_t round = fit.round();
		std::fill(pair.begin(), pair.end(), 0.0);
		blocks[0]->combine(round, pair.data(), msgs[0].data());
		blocks[0]->combine(round, pair.data(), msgs[1].data());
		std::vector<const double *> two{pair.data()};
		two.insert(two.end(), ptrs.begin() + 2, ptrs.end());
		return fit.take(two.data(), static_cast<int64_t>(two.size()));
	};
	bool done = take();
	while (!done)
	{
		const int32_t round = fit.round();
		fit.payload(in.data());
		for (int b = 0; b < parts; b++)
		{
			nmf::blocks::RowBlock &block = *blocks[static_cast<size_t>(b)];
			if (round == NMFC_ROUND_STEP)
				block.step(in.data(), msgs[static_cast<size_t>(b)].data());
			else
				block.bias_round(round, in.data(), msgs[static_cast<size_t>(b)].data());
		}
		done = take();
	}
	Eigen::MatrixXd w(r, all.rows);
	for (int b = 0; b < parts; b++)
	{
		const NmfcMatrixView x = nmf_test::view_of(images[static_cast<size_t>(b)]);
		for (int64_t i = 0; i < x.rows; i++)
			w.col(x.row_ids[i]) = fit.summary().diverged
			                          ? blocks[static_cast<size_t>(b)]->w_before().col(i)
			                          : blocks[static_cast<size_t>(b)]->w().col(i);
	}
	std::vector<double> b_row(static_cast<size_t>(all.rows));
	for (int b = 0; b < parts && opt.bias; b++)
	{
		const NmfcMatrixView x = nmf_test::view_of(images[static_cast<size_t>(b)]);
		const std::vector<double> &kept =
		    blocks[static_cast<size_t>(b)]->b_row(fit.summary().diverged != 0);
		for (int64_t i = 0; i < x.rows; i++)
			b_row[static_cast<size_t>(x.row_ids[i])] = kept[static_cast<size_t>(i)];
	}
	Image model(static_cast<size_t>(fit.model_size()));
	fit.write_model(w.data(), b_row.data(), all.row_ids, all.col_ids, model.data(), model.size());
	*summary = fit.summary();
	return model;
}

} // namespace

namespace
{

void
expect_same_model(const NmfcOptions &opt, int parts, const char *what, bool paired = false)
{
	Eigen::MatrixXd v;
	const Image matrix = nmf_test::random_sparse(400, 120, 0.05, 11, &v);
	NmfcSummary whole_s, blocks_s;
	const Image whole = nmf_test::fit_model(matrix, opt, &whole_s);
	const Image blocks = fit_by_blocks(v, matrix, opt, parts, &blocks_s, paired);
	const Eigen::MatrixXd a = product(whole), b = product(blocks);
	EXPECT_LE((a - b).norm(), 1e-9 * a.norm()) << what;
	EXPECT_EQ(whole_s.iterations, blocks_s.iterations) << what;
	EXPECT_EQ(whole_s.converged, blocks_s.converged) << what;
	EXPECT_NEAR(whole_s.loss, blocks_s.loss, 1e-9 * whole_s.loss) << what;
	EXPECT_EQ(whole_s.history_len, blocks_s.history_len) << what;
	EXPECT_EQ(whole_s.diverged, blocks_s.diverged) << what;
	EXPECT_EQ(whole_s.best_iteration, blocks_s.best_iteration) << what;
	EXPECT_EQ(nmf_test::header(whole)->v_max, nmf_test::header(blocks)->v_max) << what;
	EXPECT_EQ(nmf_test::header(whole)->stop, nmf_test::header(blocks)->stop) << what;
	if (opt.bias)
	{
		const NmfModelFlat *hw = nmf_test::header(whole), *hb = nmf_test::header(blocks);
		EXPECT_NEAR(hw->mu, hb->mu, 1e-12 * std::fabs(hw->mu)) << what;
		const Eigen::Map<const Eigen::VectorXd> rw(nmf_model_b_row(hw), hw->rows),
		    rb(nmf_model_b_row(hb), hb->rows), cw(nmf_model_b_col(hw), hw->cols),
		    cb(nmf_model_b_col(hb), hb->cols);
		EXPECT_LT((rw - rb).norm(), 1e-9 * rw.norm()) << what;
		EXPECT_LT((cw - cb).norm(), 1e-9 * cw.norm()) << what;
	}
}

// Whether nmf()'s fit of expect_same_model's matrix diverges (its summary in *s).
bool
diverges(const NmfcOptions &opt, NmfcSummary *s)
{
	Eigen::MatrixXd v;
	const Image matrix = nmf_test::random_sparse(400, 120, 0.05, 11, &v);
	nmf_test::fit_model(matrix, opt, s);
	return s->diverged != 0;
}

} // namespace

TEST(FitBlocks, HalsGivesTheWholeFitsModel)
{
	NmfcOptions opt = options(4, NMF_SOLVER_HALS);
	opt.max_iter = 60;
	opt.tol = 0;
	expect_same_model(opt, 3, "hals, 3 blocks");
	expect_same_model(opt, 1, "hals, 1 block");
}

TEST(FitBlocks, MuGivesTheWholeFitsModel)
{
	NmfcOptions opt = options(4, NMF_SOLVER_MU);
	opt.max_iter = 60;
	opt.tol = 0;
	expect_same_model(opt, 4, "mu, 4 blocks");
	expect_same_model(opt, 4, "mu, 4 blocks, two answering as one", true);
}

TEST(FitBlocks, PenaltiesAndTheStoppingRuleAsTheWholeFit)
{
	NmfcOptions opt = options(3, NMF_SOLVER_HALS);
	opt.l1_w = 0.1;
	opt.l2_h = 0.5;
	opt.reg = 0.01;
	opt.max_iter = 500;
	opt.tol = 1e-3;
	expect_same_model(opt, 3, "hals, penalties, tol");
	opt.solver = NMF_SOLVER_MU;
	opt.inner_updates = 1;
	opt.loss_every = 3;
	expect_same_model(opt, 2, "mu, penalties, tol, one inner update, loss every 3");
}

TEST(FitBlocks, KlGivesTheWholeFitsModel)
{
	NmfcOptions opt = options(4, NMF_SOLVER_MU, NMF_LOSS_KL);
	opt.max_iter = 60;
	opt.tol = 0;
	expect_same_model(opt, 3, "kl, 3 blocks");
	opt.l1_h = 0.05;
	opt.l2_w = 0.2;
	opt.tol = 1e-3;
	opt.max_iter = 400;
	expect_same_model(opt, 2, "kl, penalties, tol");
}

TEST(FitBlocks, MaskedMuGivesTheWholeFitsModel)
{
	NmfcOptions opt = options(4, NMF_SOLVER_MU, NMF_LOSS_FROBENIUS, NMF_MISSING_IGNORE);
	opt.reg = 0.05;
	opt.max_iter = 80;
	opt.tol = 0;
	expect_same_model(opt, 3, "masked mu, reg");
	opt.reg = NMF_REG_AUTO;
	opt.l2_w = opt.l2_h = 2.0;
	opt.tol = 1e-3;
	opt.max_iter = 400;
	expect_same_model(opt, 2, "masked mu, l2, tol");
}

TEST(FitBlocks, MaskedHalsGivesTheWholeFitsModel)
{
	NmfcOptions opt = options(4, NMF_SOLVER_HALS, NMF_LOSS_FROBENIUS, NMF_MISSING_IGNORE);
	opt.reg = 0.05;
	opt.max_iter = 60;
	opt.tol = 0;
	expect_same_model(opt, 3, "masked hals, reg");
	opt.reg = NMF_REG_AUTO;
	opt.l2_w = opt.l2_h = 2.0;
	opt.l1_h = 0.1;
	opt.tol = 1e-3;
	opt.max_iter = 300;
	expect_same_model(opt, 2, "masked hals, l1, l2, tol", true);
}

TEST(FitBlocks, BiasesGiveTheWholeFitsModel)
{
	NmfcOptions opt = options(4, NMF_SOLVER_HALS, NMF_LOSS_FROBENIUS, NMF_MISSING_IGNORE);
	opt.bias = 1;
	opt.l2_w = opt.l2_h = 3.0;
	opt.max_iter = 40;
	opt.tol = 0;
	expect_same_model(opt, 3, "biases, l2");
	opt.reg = 0.1;
	opt.l2_w = opt.l2_h = 0.0;
	opt.tol = 1e-4;
	opt.max_iter = 200;
	expect_same_model(opt, 3, "biases, reg, tol, two blocks answering as one", true);
	opt.max_iter = 0;
	expect_same_model(opt, 2, "biases alone (max_iter 0)");
}

TEST(FitBlocks, BiasedDivergenceKeepsTheWholeFitsIterate)
{
	NmfcOptions opt = options(4, NMF_SOLVER_HALS, NMF_LOSS_FROBENIUS, NMF_MISSING_IGNORE);
	// a ridge too small for the rows with few cells: diverges after a few iterations
	opt.bias = 1;
	opt.l2_bias = 1.0;
	opt.reg = 1e-3;
	opt.max_iter = 400;
	opt.tol = 0;
	NmfcSummary s;
	if (!diverges(opt, &s))
		GTEST_SKIP() << "this matrix does not diverge in " << opt.max_iter << " iterations";
	EXPECT_GT(s.best_iteration, 0); // not the start's iterate
	expect_same_model(opt, 3, "biases, diverged", true);
}

TEST(FitBlocks, MaskedDivergenceKeepsTheWholeFitsIterate)
{
	// no ridge at all: rows with few cells fit them exactly and the weights grow past the bound
	NmfcOptions opt = options(6, NMF_SOLVER_MU, NMF_LOSS_FROBENIUS, NMF_MISSING_IGNORE);
	opt.reg = 0.0;
	opt.max_iter = 3000;
	opt.tol = 0;
	NmfcSummary s;
	if (!diverges(opt, &s))
		GTEST_SKIP() << "this matrix does not diverge in " << opt.max_iter << " iterations";
	expect_same_model(opt, 3, "masked mu, diverged");
	expect_same_model(opt, 3, "masked mu, diverged, two blocks answering as one", true);
}

TEST(FitBlocks, RefusesWhatTheBlocksCannotRun)
{
	nmf::blocks::Whole whole{10, 8, 40};
	NmfcOptions opt = options(3, NMF_SOLVER_HALS, NMF_LOSS_FROBENIUS, NMF_MISSING_IGNORE);
	EXPECT_THROW(nmf::blocks::resolved(opt, whole), nmf::InvalidArgument); // the ridge from pilots
	opt.reg = 0.1;
	EXPECT_NO_THROW(nmf::blocks::resolved(opt, whole));
	opt.bias = 1;
	EXPECT_NO_THROW(nmf::blocks::resolved(opt, whole));
	opt.solver = NMF_SOLVER_MU;
	EXPECT_THROW(nmf::blocks::resolved(opt, whole), nmf::InvalidArgument); // as nmf()
	opt = options(3, NMF_SOLVER_HALS);
	opt.bias = 1;
	EXPECT_THROW(nmf::blocks::resolved(opt, whole), nmf::InvalidArgument); // missing 'zero'
	opt = options(3, NMF_SOLVER_MU, NMF_LOSS_FROBENIUS, NMF_MISSING_IGNORE);
	EXPECT_THROW(nmf::blocks::resolved(opt, whole), nmf::InvalidArgument); // the ridge from pilots
	opt.reg = 0.1;
	EXPECT_NO_THROW(nmf::blocks::resolved(opt, whole));
	opt = options(3, NMF_SOLVER_HALS, NMF_LOSS_KL);
	EXPECT_THROW(nmf::blocks::resolved(opt, whole), nmf::InvalidArgument);
	opt = options(3, NMF_SOLVER_MU, NMF_LOSS_BETA);
	opt.beta = 0.5;
	EXPECT_THROW(nmf::blocks::resolved(opt, whole), nmf::InvalidArgument);
	opt = options(9);
	EXPECT_THROW(nmf::blocks::resolved(opt, whole), nmf::InvalidArgument);
	opt = options(3);
	opt.init = NMF_INIT_NNDSVD;
	EXPECT_THROW(nmf::blocks::resolved(opt, whole), nmf::InvalidArgument);
	EXPECT_NO_THROW(nmf::blocks::resolved(options(3), whole));
}

TEST(FitBlocks, OptionsTravelAsWordsAndAreCheckedOnArrival)
{
	NmfcOptions opt = options(7, NMF_SOLVER_MU, NMF_LOSS_KL);
	opt.seed = INT64_MIN + 3; // past a double's 53 bits
	opt.l2_h = 0.1 + 1e-17;
	opt.max_seconds = 2.5;
	std::vector<int64_t> words(NMFC_OPT_COUNT);
	nmfc_options_pack(&opt, words.data());
	NmfcOptions back;
	nmfc_options_default(&back, 1);
	NmfcError err;
	ASSERT_EQ(nmfc_options_unpack(words.data(), NMFC_OPT_COUNT, &back, &err), NMFC_OK)
	    << err.message;
	EXPECT_EQ(back.rank, 7);
	EXPECT_EQ(back.solver, NMF_SOLVER_MU);
	EXPECT_EQ(back.loss, NMF_LOSS_KL);
	EXPECT_EQ(back.seed, opt.seed);
	EXPECT_EQ(back.l2_h, opt.l2_h);
	EXPECT_EQ(back.max_seconds, 2.5);
	EXPECT_EQ(nmfc_options_unpack(words.data(), NMFC_OPT_COUNT - 1, &back, &err),
	          NMFC_INVALID_ARGUMENT);
	std::vector<int64_t> bad = words;
	bad[NMFC_OPT_rank] = (int64_t{1} << 32) + 3; // would truncate to 3
	EXPECT_EQ(nmfc_options_unpack(bad.data(), NMFC_OPT_COUNT, &back, &err), NMFC_INVALID_ARGUMENT);
	bad = words;
	bad[NMFC_OPT_solver] = 99;
	EXPECT_EQ(nmfc_options_unpack(bad.data(), NMFC_OPT_COUNT, &back, &err), NMFC_INVALID_ARGUMENT);
	bad = words;
	const double nan = std::nan("");
	std::memcpy(&bad[NMFC_OPT_tol], &nan, sizeof(nan));
	EXPECT_EQ(nmfc_options_unpack(bad.data(), NMFC_OPT_COUNT, &back, &err), NMFC_INVALID_ARGUMENT);
}
