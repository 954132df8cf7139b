// SPDX-License-Identifier: PostgreSQL
// nmf_tune's search (see tune.hpp).
#include "tune.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <limits>
#include <map>

#include "apply.hpp"
#include "ensemble.hpp"
#include "errors.hpp"
#include "fit.hpp"
#include "format.hpp"

namespace nmf
{

namespace
{

struct Cell
{
	int64_t i;
	int32_t j;
	double v;
};

// One fold's training matrix (a CSR view over owned arrays) and test cells.
struct FoldData
{
	std::vector<int64_t> ptr;
	std::vector<int32_t> idx;
	std::vector<double> val;
	std::vector<Cell> test;
	CsrView train;
};

FoldData
fold_data(const CsrView &x, int64_t seed, int32_t folds, int32_t fold)
{
	FoldData d;
	d.ptr.assign(static_cast<size_t>(x.rows) + 1, 0);
	for (int64_t i = 0; i < x.rows; i++)
	{
		const int64_t row_id = x.row_ids != nullptr ? x.row_ids[i] : i;
		for (int64_t q = x.row_ptr[i]; q < x.row_ptr[i + 1]; q++)
		{
			const int32_t j = x.col_idx[q];
			const int64_t col_id = x.col_ids != nullptr ? x.col_ids[j] : j;
			if (apply::cell_fold(row_id, col_id, seed, folds) == fold)
				d.test.push_back(Cell{i, j, x.values[q]});
			else
			{
				d.idx.push_back(j);
				d.val.push_back(x.values[q]);
			}
		}
		d.ptr[static_cast<size_t>(i) + 1] = static_cast<int64_t>(d.idx.size());
	}
	d.train = x;
	d.train.row_ptr = d.ptr.data();
	d.train.col_idx = d.idx.data();
	d.train.values = d.val.data();
	d.train.nnz = static_cast<int64_t>(d.idx.size());
	return d;
}

// RMSE of the fit's predictions, clipped to the training range as the model
// will be, over cells given by a visitor.
double
rmse(const Fit &f, const std::function<void(const std::function<void(const Cell &)> &)> &cells)
{
	double sse = 0.0;
	int64_t n = 0;
	cells([&](const Cell &c) {
		const double e = c.v - f.predict(c.i, c.j);
		sse += e * e;
		n++;
	});
	return n > 0 ? std::sqrt(sse / static_cast<double>(n)) : 0.0;
}

// Fits down the ridge path regs (largest first) at one rank, each fit
// warm-started from the previous one's factors; after each, visit(fit, reg)
// returns false to stop the walk.
void
walk_path(const CsrView &train, const NmfcOptions &base, int64_t rank,
          const std::vector<double> &regs, const NmfcInterrupts &intr,
          const std::function<bool(Fit &, double)> &visit)
{
	std::vector<double> w_init, h_init;
	for (double reg : regs)
	{
		NmfcOptions opt = base;
		opt.rank = rank;
		opt.reg = reg;
		opt.holdout = 0;
		if (!w_init.empty())
		{
			opt.init = NMF_INIT_CUSTOM;
			opt.w_init = w_init.data();
			opt.w_init_rows = train.rows;
			opt.w_init_cols = rank;
			opt.h_init = h_init.data();
			opt.h_init_rows = rank;
			opt.h_init_cols = train.cols;
		}
		Fit f(train, opt, intr);
		while (!f.step())
		{
		}
		f.factors(&w_init, &h_init);
		if (!visit(f, reg))
			return;
	}
}

// The model of a fit, as an image of doubles (8-aligned).
std::vector<double>
image_of(const Fit &f, const CsrView &x, const NmfcOptions &opt, size_t *bytes)
{
	const int64_t size =
	    model_size(x.rows, x.cols, opt.rank, f.summary().history_len, opt.bias != 0);
	if (size < 0)
		throw LimitExceeded("the tuned model would be too large");
	std::vector<double> image((static_cast<size_t>(size) + 7) / 8, 0.0);
	f.write_model(x.row_ids, x.col_ids, image.data(), static_cast<size_t>(size));
	*bytes = static_cast<size_t>(size);
	return image;
}

// The final model: out.members fits on every cell at the final reg (seeds
// base.seed, base.seed + 1, ...), averaged into one model; with no complete
// candidate, one default fit (the first rank, the ridge chosen from the
// data). The fits start cold: walking the path down to the final reg cost
// 6x as much and scored no better on MovieLens 100k.
void
final_model(const CsrView &x, const NmfcOptions &base, const TuneSpec &spec,
            const NmfcInterrupts &intr, TuneOutcome &out)
{
	std::vector<std::vector<double>> images;
	std::vector<size_t> sizes;
	for (int32_t k = 0; k < out.members; k++)
	{
		NmfcOptions opt = base;
		opt.seed =
		    static_cast<int64_t>(static_cast<uint64_t>(base.seed) + static_cast<uint64_t>(k));
		opt.holdout = 0;
		size_t bytes = 0;
		opt.rank = out.rank > 0 ? out.rank : spec.ranks.front();
		opt.reg = out.rank > 0 ? out.final_reg : NMF_REG_AUTO;
		Fit f(x, opt, intr);
		while (!f.step())
		{
		}
		images.push_back(image_of(f, x, opt, &bytes));
		sizes.push_back(bytes);
	}
	std::vector<const NmfModelFlat *> members;
	for (const auto &image : images)
		members.push_back(reinterpret_cast<const NmfModelFlat *>(image.data()));
	const int64_t size =
	    ensemble_size(members, static_cast<int64_t>(out.rows.size() / NMF_TUNE_FIELDS));
	if (size < 0)
		throw LimitExceeded("the tuned model would be too large");
	out.model.assign((static_cast<size_t>(size) + 7) / 8, 0.0);
	out.model_bytes = static_cast<size_t>(size);
	pack_ensemble(x, members, sizes, out.rows, out.model.data(), out.model_bytes);
}

} // namespace

TuneOutcome
tune(const CsrView &x, const NmfcOptions &base, const TuneSpec &spec, const NmfcInterrupts &intr)
{
	if (spec.ranks.empty() || spec.regs.empty())
		throw InvalidArgument("nmf_tune needs at least one rank and one reg");
	if (spec.ensemble < 1 || spec.ensemble > kMaxEnsemble)
		throw InvalidArgument(message("ensemble ", spec.ensemble, " is outside 1..", kMaxEnsemble));
	if (spec.folds < 2)
		throw InvalidArgument(message("folds ", spec.folds, " is less than 2"));
	std::vector<double> regs = spec.regs;
	std::sort(regs.begin(), regs.end(), std::greater<double>());
	for (double reg : regs)
		if (!std::isfinite(reg) || reg < 0)
			throw InvalidArgument(message("reg ", reg, " is not a finite number >= 0"));
	const int64_t min_dim = std::min(x.rows, x.cols);
	for (int64_t r : spec.ranks)
		if (r < 1 || r > min_dim)
			throw InvalidArgument(
			    message("rank ", r, " is outside 1..min(rows, cols) = ", min_dim));

	const auto start = std::chrono::steady_clock::now();
	auto elapsed = [&] {
		return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
	};
	TuneOutcome out;
	// (rank, reg) -> folds seen and the sum of their test RMSE.
	std::map<std::pair<int64_t, double>, std::pair<int32_t, double>> sums;

	// Rank by rank, so that a budget cut leaves the earlier ranks scored on every fold.
	for (int64_t rank : spec.ranks)
	{
		for (int32_t fold = 0; fold < spec.folds && !out.budget_hit; fold++)
		{
			if (spec.max_seconds > 0 && elapsed() >= spec.max_seconds)
			{
				out.budget_hit = true;
				break;
			}
			const FoldData d = fold_data(x, base.seed, spec.folds, fold);
			double last = std::numeric_limits<double>::infinity();
			int rises = 0;
			double t0 = elapsed();
			walk_path(d.train, base, rank, regs, intr, [&](Fit &f, double reg) {
				const double train = rmse(f, [&](const std::function<void(const Cell &)> &visit) {
					for (int64_t i = 0; i < d.train.rows; i++)
						for (int64_t q = d.ptr[static_cast<size_t>(i)];
						     q < d.ptr[static_cast<size_t>(i) + 1]; q++)
							visit(Cell{i, d.idx[static_cast<size_t>(q)],
							           d.val[static_cast<size_t>(q)]});
				});
				const double test = rmse(f, [&](const std::function<void(const Cell &)> &visit) {
					for (const Cell &c : d.test)
						visit(c);
				});
				double row[NMF_TUNE_FIELDS];
				row[NMF_TUNE_RANK] = static_cast<double>(rank);
				row[NMF_TUNE_REG] = reg;
				row[NMF_TUNE_FOLD] = fold + 1;
				row[NMF_TUNE_TRAIN_RMSE] = train;
				row[NMF_TUNE_TEST_RMSE] = test;
				row[NMF_TUNE_SECONDS] = elapsed() - t0;
				t0 = elapsed();
				out.rows.insert(out.rows.end(), row, row + NMF_TUNE_FIELDS);
				auto &sum = sums[{rank, reg}];
				sum.first++;
				sum.second += test;
				rises = test < last ? 0 : rises + 1;
				last = std::min(last, test);
				if (rises >= kTunePathPatience)
					return false;
				if (spec.max_seconds > 0 && elapsed() >= spec.max_seconds)
				{
					out.budget_hit = true;
					return false;
				}
				return true;
			});
		}
	}

	out.test_rmse = std::numeric_limits<double>::infinity();
	for (const auto &[key, s] : sums)
	{
		if (s.first < spec.folds)
			continue;
		const double mean = s.second / spec.folds;
		if (mean < out.test_rmse)
		{
			out.test_rmse = mean;
			out.rank = key.first;
			out.reg = key.second;
		}
	}
	if (out.rank == 0)
		out.test_rmse = 0.0;
	else
	{
		out.members = static_cast<int32_t>(std::clamp<int64_t>(
		    std::min<int64_t>(min_dim, NMF_MAX_RANK) / out.rank, 1, spec.ensemble));
		out.final_reg = out.reg * kFinalRegScale(spec.folds);
	}
	final_model(x, base, spec, intr, out);
	return out;
}

} // namespace nmf
