// SPDX-License-Identifier: PostgreSQL
// A factorization in progress: the data, the factors, the scratch and the
// record of the iterations so far. The glue drives it one step at a time.
#ifndef NMF_FIT_HPP
#define NMF_FIT_HPP

#include <cstddef>
#include <limits>
#include <vector>

#include "bias.hpp"
#include "kernels.hpp"
#include "nmf_api.h"
#include "nmf_format.h"
#include "solvers.hpp"
#include "sparse.hpp"

namespace nmf
{

class Fit
{
  public:
	// NMFC_FITTABLE, or why nothing can be fitted to x at opt.rank (nmf_api.h).
	static int unfittable(const CsrView &x, const NmfcOptions &opt) noexcept;
	// Throws InvalidArgument (or LimitExceeded) naming the first bad option.
	static void validate(const CsrView &x, const NmfcOptions &opt);
	static void validate_combinations(const CsrView &x, const NmfcOptions &given);
	static void check_positive(const CsrView &x, const NmfcOptions &opt);

	// Whether the fit holds V as one dense column-major block instead of the
	// CSC transpose: a Frobenius or KL fit with absent cells as zeros
	// (solvers hals, mu and gd; no bias, not implicit) of a matrix that
	// stores at least kDenseFill of its cells. The Frobenius solvers give
	// the same bits on both paths; KL goes by blocks of W H on this one
	// (solver_mu_kl.cpp), the same to rounding.
	static bool dense_path(const CsrView &x, const NmfcOptions &opt) noexcept;

	// Bytes a fit of x with opt allocates; saturates at INT64_MAX.
	static int64_t memory(const CsrView &x, const NmfcOptions &opt) noexcept;

	// Validates, builds the transpose (or the dense block, dense_path) and
	// initialises the factors.
	Fit(const CsrView &x, const NmfcOptions &opt, const NmfcInterrupts &intr);

	// One iteration and the stopping rule; returns done(). After an exception
	// the factors may be half updated, so the fit refuses to go on.
	bool step();

	bool
	done() const noexcept
	{
		return done_;
	}

	NmfcSummary summary() const noexcept;

	// The current prediction for dense row i and column j, clipped as the
	// model will be.
	double predict(int64_t i, int32_t j) const noexcept;

	// W (rows x rank) and H (rank x cols), each row-major: a warm start's
	// w_init and h_init.
	void factors(std::vector<double> *w, std::vector<double> *h) const;

	// Whether opt leaves the count-scaled ridge to the data (reg auto, missing
	// 'ignore', no l1/l2, no holdout of its own): the fit then chooses it by
	// pilot fits on held-out cells (choose_reg).
	static bool reg_from_data(const NmfcOptions &opt) noexcept;
	// Whether the pilots also score the baseline (a plain Frobenius fit):
	// the glue warns when the fit is worse.
	static bool compares_baseline(const NmfcOptions &opt) noexcept;

	// The pilot ridges, largest first, and the share of cells they hold out.
	static constexpr double kPilotRegs[] = {0.8,  0.56, 0.4,   0.28,  0.2,   0.14,  0.1,
	                                        0.07, 0.05, 0.035, 0.025, 0.012, 0.006, 0.003};
	static constexpr double kPilotHoldout = 0.1;

	// Masked fits stop when a factor's largest W weight times its largest H
	// weight passes this many times the largest |value|: no rating justifies
	// more, and a masked fit without enough ridge grows its weights without
	// end (it fits each row's few cells exactly).
	static constexpr double kWeightBound = 10.0;

	// Block sweeps of the biases alone before the first iteration.
	static constexpr int kBiasStartSweeps = 20;

	// The share of stored cells from which a fit holds V dense (dense_path).
	// W^T V at rank 16 (AVX2, one thread, cells dropped at random): the
	// dense gather wins from 0.7 on (400 x 4096: 2.5-3.0 ms against 3.1-3.4
	// by the CSC; 5,000 x 2,000: 18.6 against 25.8-26.3) and loses at 0.6
	// (3.0 against 2.3); docs/performance.md. From 2/3 on, the dense block
	// (8 bytes a cell) is also smaller than the transpose (12 a stored cell).
	static constexpr double kDenseFill = 0.7;

	// Normalised, ordered model image into flat (model_size bytes); the fit
	// itself is left unchanged.
	void write_model(const int64_t *row_ids, const int64_t *col_ids, void *flat, size_t size) const;

  private:
	// Iterations between two checks of the convergence rule.
	static constexpr int32_t kCheckEvery = 10;

	// Columns of the stored gradient: max(m, n) for solver gd, else none.
	static int64_t grad_columns(const CsrView &x, const NmfcOptions &opt) noexcept;

	// Columns of ws.products: V's for hals and mu (frobenius, zero), else none.
	static int64_t product_columns(const CsrView &x, const NmfcOptions &opt) noexcept;

	void make_dense();
	// x itself, or when it is dense (is_dense) the same cells with CSR indexes
	// made for it in full_ptr_ and full_idx_ (a dense matrix's values row by
	// row are the CSR's values): what a fit off the dense path, or with
	// holdout, walks.
	CsrView full_indexes(const CsrView &x);
	static bool needs_indexes(const CsrView &x, const NmfcOptions &opt) noexcept;

	// Whether the fit gives each lane a block of W H (ws.lane_beta): loss
	// 'beta' with absent cells as zeros, and KL on the dense path.
	static bool block_scratch(const CsrView &x, const NmfcOptions &opt) noexcept;

	// Threads of the iterations: opt.threads, or the default for 0.
	static int lanes(const NmfcOptions &opt) noexcept;

	// fresh: the loss is this iteration's.
	void update_stopping(bool fresh);
	void take_loss(double loss);
	void record();

	void start_biases();

	void choose_reg(const CsrView &x, const NmfcOptions &opt);
	double baseline_rmse(const CsrView &x, const NmfcOptions &pilot);

	void initialise();
	double final_frobenius();
	double iterate();

	// Early stopping: the cells held out of V (ids when the view has them,
	// else indexes, hashed with the seed), the rest kept as the training view.
	void hold_out(const CsrView &x);
	double holdout_rmse() const;

	// The iterate a guarded fit (masked, or with holdout) returns: the last
	// one within the weight bound, or the best on the held-out cells.
	struct Kept
	{
		Matrix w, h;
		double mu = 0.0;
		std::vector<double> b_row, b_col;
		double loss = 0.0;
		int32_t iteration = 0;
	};
	void keep();
	void restore_kept();
	void guard(double loss);
	double max_product() const;

	// The CSR indexes of a matrix given dense (full_indexes).
	std::vector<int64_t> full_ptr_;
	std::vector<int32_t> full_idx_;
	CscMatrix xt_;              // V by columns, unless dense_path
	std::vector<double> dense_; // V column-major (rows x cols) when dense_path
	Problem p_;
	// The training cells when holdout > 0 (p_.x points into them).
	std::vector<int64_t> train_ptr_;
	std::vector<int32_t> train_idx_;
	std::vector<double> train_val_;
	struct HeldCell
	{
		int64_t i;
		int32_t j;
		double v;
	};
	std::vector<HeldCell> held_;
	double best_rmse_ = 0.0;
	int32_t since_best_ = 0;
	double holdout_rmse_ = 0.0;
	bool guarded_ = false;
	Kept kept_;
	double weight_bound_ = 0.0; // 0: not checked
	double v_min_ = 0.0, v_max_ = 0.0;
	int32_t stop_ = NMF_STOP_NORMAL;
	int32_t iteration_cap_ = 0; // > 0: the pilot's best iteration count, scaled to every cell
	std::vector<double> pilot_; // held-out RMSE of each pilot ridge tried
	double pilot_rmse_ = std::numeric_limits<double>::quiet_NaN();    // the chosen ridge's
	double baseline_rmse_ = std::numeric_limits<double>::quiet_NaN(); // the baseline's
	const double *values_ = nullptr; // V's values; p_.x.values is the residual when biased
	BiasFit bias_;                   // opt.bias only

	Matrix w_; // r x m: column i is row i of W
	Matrix h_; // r x n: column j is column j of H
	Workspace ws_;
	std::vector<double> loss_history_;
	std::vector<double> seconds_history_;
	double loss_ = 0.0;      // after the last iteration (before the first: of the init)
	double frobenius_ = 0.0; // ||V - W H||^2 over the counted cells, set when done
	double initial_loss_ = 0.0;
	double check_loss_ = 0.0; // the loss at the stopping rule's last check
	int32_t loss_every_ = 1;
	int32_t check_every_ = kCheckEvery;
	int32_t recorded_ = 0; // the iteration of the history's last entry
	double seconds_ = 0.0;
	int32_t iterations_ = 0;
	bool converged_ = false;
	bool done_ = false;
	bool broken_ = false;
};

// scikit-learn's stopping rule (Fit::update_stopping): the error sqrt(loss)
// fell from before to now by less than tol times its value at the init.
bool tol_converged(double before, double now, double initial, double tol) noexcept;

// A model image's parts that every fit writes the same way: the buffer's
// check; the header of the shape, the options and the summary; W normalised (its columns sum to 1,
// H compensating) with the factors ordered by weight, and the ids, into the image write_header
// made; the loss history.
void check_model_buffer(int64_t expected, const int64_t *row_ids, const int64_t *col_ids,
                        const void *flat, size_t size);
NmfModelFlat model_header(const NmfcOptions &opt, const NmfcSummary &s, int64_t rows, int64_t cols,
                          int64_t nnz) noexcept;
void write_factors(const Matrix &w, const Matrix &h, const int64_t *row_ids, const int64_t *col_ids,
                   NmfModelFlat *model);
void write_history(const std::vector<double> &loss, const std::vector<double> &seconds,
                   NmfModelFlat *model) noexcept;
// bias = 1: b_row (the model's rows) and b_col (its columns) into the image.
void write_biases(const double *b_row, const double *b_col, NmfModelFlat *model) noexcept;

} // namespace nmf

#endif
