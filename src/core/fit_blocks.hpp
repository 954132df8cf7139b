// SPDX-License-Identifier: PostgreSQL
// The fit of a matrix held as blocks of rows that live apart (the shards of a
// Citus table): nmf()'s iterations (solvers hals and mu, loss frobenius or
// kl, absent cells as zeros or ignored, biases) on the same half-steps, cut
// where the data lives.
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
// so a block receives r n + r^2 numbers and sends about r n per iteration
// (solver hals over the stored cells: r^2 n / 2, each column's Gram),
// whatever its number of cells. With biases each iteration first takes
// nmf()'s bias sweep in two more rounds: mu from the blocks' sums of
// V - W H - b_row - b_col, then b_row on each block and b_col from the
// blocks' column sums, then the residual on each block and H's sums. The blocks' sums are added in
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

// A block's message, sums_length doubles. missing 'ignore': the block's sum
// of (v - (W H)_ij)^2 over its cells (v the residual with biases), W's
// largest weight per factor (r), the sum of its rows of W that have cells (r)
// and their count (for nmf()'s prior, W's mean row), then per column over its
// stored cells:
// solver mu, H's numerators sum_i v_ij w_i and denominators
// sum_i (W H)_ij w_i (r x n each); solver hals, sum_i v_ij w_i (r x n) and
// the lower triangle of sum_i w_i w_i^T (r (r + 1) / 2 x n, by columns);
// with biases, last, the sum of V - W H - b_row - b_col over its cells
// (a biased step's answer is the loss, the largest weights, W's row sums and
// count, and that sum only).
// Loss frobenius: <W, V H^T> (0 before the first iteration), W^T W (r x r),
// W^T V (r x n). Loss kl: the three kl_cell_sums and W's column sums (r),
// then as frobenius's but with H's numerators sum_i w_i v_ij / (W H)_ij
// (r x n) for W^T V.
int64_t sums_length(const NmfcOptions &opt, int64_t cols) noexcept;

// A round's answer: NMFC_ROUND_BIAS_ROWS, the block's column sums of
// V - W H - mu - b_row (n); the others, its message.
int64_t answer_length(const NmfcOptions &opt, int64_t cols, int32_t round) noexcept;

// The options resolved, or InvalidArgument naming what the blocks cannot run:
// solvers hals and mu with loss frobenius, mu with kl; missing 'zero'; and
// missing 'ignore' (frobenius, with biases under hals) when a ridge is given
// (reg, l1 or l2).
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
	// h + j r, then H H^T, or with missing 'ignore' W's mean row: the
	// payload); then each iteration's, after W's half from H.
	void start(const double *h, double *out);
	void step(const double *h, double *out);
	// The bias rounds: NMFC_ROUND_BIAS_ROWS takes mu (1 double), sets b_row
	// and answers the column sums; NMFC_ROUND_BIAS_COLS takes b_col (n),
	// forms the residual and answers the message of H's half.
	void bias_round(int32_t round, const double *in, double *out);
	// missing 'ignore': W and b_row as they were before the last step (a
	// diverged fit's kept iterate); b_row empty without biases.
	const Matrix &
	w_before() const noexcept
	{
		return w_before_;
	}
	const std::vector<double> &
	b_row(bool before) const noexcept
	{
		return before ? b_row_before_ : b_row_;
	}
	int64_t
	answer_length(int32_t round) const noexcept
	{
		return blocks::answer_length(p_.opt, p_.x.cols, round);
	}
	// into <- into combined with another block's answer to the round: the
	// sums added, the largest weights (missing 'ignore') their maximum.
	void combine(int32_t round, double *into, const double *message) const noexcept;
	const Matrix &
	w() const noexcept
	{
		return w_;
	}

  private:
	void take_h(const double *h);
	void sums(double cross, double *out);
	void kl_sums(double *out);
	void masked_sums(int32_t round, double *out);
	bool
	biased() const noexcept
	{
		return p_.opt.bias != 0;
	}

	std::vector<int64_t> row_ptr_;
	std::vector<int32_t> col_idx_;
	std::vector<double> values_;
	Problem p_;
	Whole whole_;
	Matrix w_, h_, gram_h_, w_before_;
	Workspace ws_;
	// biases: V's values (values_ holds the residual), V - W H at the last
	// message, and the biases
	std::vector<double> v_, e_, b_row_, b_row_before_, b_col_;
	double mu_ = 0.0;
	Eigen::VectorXd w_prior_; // missing 'ignore': W's mean row, from the payload
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
	// The blocks' answers to one round (round()), in block order: the first
	// step's (the start) give the initial loss, each later one an
	// iteration's; then the stopping rule, and H's half for the next round
	// unless done. With biases the bias rounds come between.
	bool take(const double *const *messages, int64_t count);
	// The round the blocks run next, what they take (payload_length doubles)
	// and how many doubles each answers.
	int32_t
	round() const noexcept
	{
		return round_;
	}
	int64_t payload_length() const noexcept;
	void payload(double *out);
	int64_t
	answer_length() const noexcept
	{
		return blocks::answer_length(p_.opt, whole_.cols, round_);
	}
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
	NmfcSummary summary() const noexcept;
	int64_t model_size() const noexcept;
	// The model of W (r x m, the blocks' rows put together), H and, with
	// biases, b_row (m, likewise).
	void write_model(const double *w, const double *b_row, const int64_t *row_ids,
	                 const int64_t *col_ids, void *flat, size_t size) const;

  private:
	void h_half(const Matrix &products, const Matrix &gram_w);
	void begin_iteration();
	void start_taken(double cross);
	bool iteration_taken(double cross);
	void
	next_mu() noexcept
	{
		mu_ = nnz_ > 0 ? mu_part_ / static_cast<double>(nnz_) : 0.0;
	}
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
	bool
	biased() const noexcept
	{
		return p_.opt.bias != 0;
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
	Eigen::VectorXd w_mean_; // missing 'ignore': the mean of W's rows with cells (the prior)
	Matrix den_, kept_h_;    // den_: solver mu's denominators, hals's Grams (lower triangles)
	double kept_loss_ = 0.0;
	int32_t kept_iteration_ = 0;
	int32_t stop_ = NMF_STOP_NORMAL;
	// biases: mu and b_col (b_row is the blocks'), the blocks' sum for the
	// next mu, and the start's bias sweeps still to run
	double mu_ = 0.0, mu_part_ = 0.0, kept_mu_ = 0.0;
	Eigen::VectorXd b_col_, kept_b_col_;
	int32_t round_ = NMFC_ROUND_STEP, sweeps_left_ = 0;
	Workspace ws_;
	bool started_ = false, done_ = false, converged_ = false;
	int32_t iterations_ = 0, loss_every_ = 1, check_every_ = kCheckEvery, recorded_ = 0;
	double loss_ = 0.0, initial_loss_ = 0.0, check_loss_ = 0.0, seconds_ = 0.0;
	std::chrono::steady_clock::time_point since_;
	std::vector<double> loss_history_, seconds_history_;
};

} // namespace nmf::blocks

#endif
