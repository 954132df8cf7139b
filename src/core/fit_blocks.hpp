// SPDX-License-Identifier: PostgreSQL
// The fit of a matrix held as blocks of rows that live apart (the shards of a
// Citus table): nmf()'s iterations (solver hals or mu, loss frobenius, absent
// cells as zeros) on the same half-steps, cut where the data lives.
//
// Each RowBlock keeps its cells and its rows of W; the BlockFit keeps H, the
// loss and the stopping rule. One iteration, H first as nmf():
//
//   BlockFit:  H's half from the blocks' sums (frobenius: W^T V and W^T W;
//              kl: sum_i w_i v_ij / (W H)_ij and W's column sums)
//   RowBlock:  W's half from H and H H^T (its rows need nothing else), then
//              its share of those sums and of the loss's terms (a message)
//   BlockFit:  the loss from the parts, the stopping rule
//
// so a block receives r n + r^2 numbers and sends about r n per iteration,
// whatever its number of cells. The blocks' sums are added in
// block order: the same blocks give the same bits; the model equals nmf()'s
// to the order of floating-point sums.
#ifndef NMF_FIT_BLOCKS_HPP
#define NMF_FIT_BLOCKS_HPP

#include <array>
#include <chrono>
#include <vector>

#include "fit.hpp"
#include "solvers.hpp"

namespace nmf::blocks
{

// What every block needs of V as a whole to take nmf()'s decisions (the
// inner updates' rule counts V's rows, columns and nonzero cells).
struct Whole
{
	int64_t rows = 0, cols = 0, nonzeros = 0;
};

// What the blocks tell of V's stored cells when they open, added up.
struct Totals
{
	int64_t nnz = 0;
	double sum = 0.0, sum_sq = 0.0;
	double v_min = 0.0, v_max = 0.0;
	const int64_t *col_counts = nullptr; // stored cells per column: missing 'ignore' only
};

// A block's message, sums_length doubles. missing 'ignore' (solver mu): the
// block's sum of (v - (W H)_ij)^2 over its cells, W's largest weight per
// factor (r), then H's numerators sum_i v_ij w_i and denominators
// sum_i (W H)_ij w_i over the column's stored cells (r x n each). Loss frobenius: <W, V H^T> (0
// before the first iteration), W^T W (r x r), W^T V (r x n). Loss kl: the
// three kl_cell_sums and W's column sums (r), then as frobenius's but with
// H's numerators sum_i w_i v_ij / (W H)_ij (r x n) for W^T V.
int64_t sums_length(const NmfcOptions &opt, int64_t cols) noexcept;

// The options resolved, or InvalidArgument naming what the blocks cannot run:
// solvers hals and mu with loss frobenius, mu with kl; missing 'zero'; and
// mu, frobenius with missing 'ignore' and a ridge given (reg, l1 or l2).
NmfcOptions resolved(const NmfcOptions &given, const Whole &whole);

class RowBlock
{
  public:
	// x: the block's rows, its columns numbered by x.col_ids (ascending);
	// all_cols: V's column ids (ascending, each of x's among them); w0: the
	// block's rows of the initial W (r x x.rows, row i at w0 + i r).
	RowBlock(const CsrView &x, const int64_t *all_cols, const Whole &whole, const NmfcOptions &opt,
	         const NmfcInterrupts &intr, const double *w0);
	// Bytes such a block holds (its cells, W, H and the scratch); saturates.
	static int64_t memory(const CsrView &x, const Whole &whole, const NmfcOptions &opt) noexcept;
	// The message of the initial W and H (h: H, r x n with column j at
	// h + j r, then H H^T); then each iteration's, after W's half from H.
	void start(const double *h, double *out);
	void step(const double *h, double *out);
	// missing 'ignore': W as it was before the last step (a diverged fit's kept W).
	const Matrix &
	w_before() const noexcept
	{
		return w_before_;
	}
	int64_t
	sums_length() const noexcept
	{
		return blocks::sums_length(p_.opt, p_.x.cols);
	}
	// into <- into combined with another block's message: the sums added,
	// the largest weights (missing 'ignore') their maximum.
	void combine(double *into, const double *message) const noexcept;
	const Matrix &
	w() const noexcept
	{
		return w_;
	}

  private:
	void take_h(const double *h);
	void sums(double cross, double *out);
	void kl_sums(double *out);
	void masked_sums(double *out);

	std::vector<int64_t> row_ptr_;
	std::vector<int32_t> col_idx_;
	std::vector<double> values_;
	Problem p_;
	Whole whole_;
	Matrix w_, h_, gram_h_, w_before_;
	Workspace ws_;
};

class BlockFit
{
  public:
	BlockFit(const Whole &whole, const Totals &totals, const NmfcOptions &opt,
	         const NmfcInterrupts &intr);
	// Bytes the block fit holds (W's start, H, the blocks' sums, the scratch, the history);
	// saturates.
	static int64_t memory(const Whole &whole, const NmfcOptions &opt) noexcept;
	// The initial W (r x m, row i of W in column i), for the blocks' rows.
	const Matrix &
	w() const noexcept
	{
		return w_;
	}
	// The blocks' messages of one round, in block order: the first round's
	// give the initial loss, each later one an iteration's; then the stopping
	// rule, and H's half for the next round unless done.
	bool take(const double *const *messages, int64_t count);
	bool
	done() const noexcept
	{
		return done_;
	}
	const Matrix &
	h() const noexcept
	{
		return h_;
	}
	// What the blocks' next round takes: H (r x n) then H H^T (r x r).
	void h_message(double *out);
	int64_t
	sums_length() const noexcept
	{
		return blocks::sums_length(p_.opt, whole_.cols);
	}
	NmfcSummary summary() const noexcept;
	int64_t model_size() const noexcept;
	// The model of W (r x m, the blocks' rows put together) and H.
	void write_model(const double *w, const int64_t *row_ids, const int64_t *col_ids, void *flat,
	                 size_t size) const;

  private:
	void h_half(const Matrix &products, const Matrix &gram_w);
	// The loss of the round's messages (summed into the members below).
	double round_loss(double cross) const;
	// missing 'ignore': Fit's guard: stop on weights past the bound, else keep the iterate.
	void guard();
	void keep();
	void record();
	void add_messages(const double *const *messages, int64_t count, double &cross);
	bool
	masked() const noexcept
	{
		return p_.opt.missing == NMF_MISSING_IGNORE;
	}

	static constexpr int32_t kCheckEvery = 10; // as Fit's
	Problem p_;
	Whole whole_;
	int64_t nnz_ = 0;
	Matrix w_, h_, gram_h_, gram_w_, products_;
	std::array<double, 3> kl_sums_{};
	Eigen::VectorXd w_sums_;
	double frobenius_ = 0.0; // ||V - W H||^2 when done (kl: from the last round's parts)
	// missing 'ignore'
	std::vector<int64_t> col_counts_;
	double v_min_ = 0.0, v_max_ = 0.0, weight_bound_ = 0.0;
	Eigen::VectorXd w_max_, kept_w_max_;
	Matrix den_, kept_h_;
	double kept_loss_ = 0.0;
	int32_t kept_iteration_ = 0;
	int32_t stop_ = NMF_STOP_NORMAL;
	Workspace ws_;
	bool started_ = false, done_ = false, converged_ = false;
	int32_t iterations_ = 0, loss_every_ = 1, check_every_ = kCheckEvery, recorded_ = 0;
	double loss_ = 0.0, initial_loss_ = 0.0, check_loss_ = 0.0, seconds_ = 0.0;
	std::chrono::steady_clock::time_point since_;
	std::vector<double> loss_history_, seconds_history_;
};

} // namespace nmf::blocks

#endif
