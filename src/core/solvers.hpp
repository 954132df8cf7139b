// SPDX-License-Identifier: PostgreSQL
// Entry points of the inits, losses and solvers the fit drives.
//
// Every solver iteration updates H (W fixed), then W (the new H fixed), and
// returns the loss after it. Both halves are the same computation on the two
// sides of V: a Half names the side (V's columns to update H from W, V's rows
// to update W from H) and the penalties of the factor being updated.
#ifndef NMF_SOLVERS_HPP
#define NMF_SOLVERS_HPP

#include <algorithm>
#include <array>
#include <cmath>

#include "kernels.hpp"
#include "nmf_api.h"
#include "sparse.hpp"

namespace nmf
{

// The data of a fit as its solvers see it.
struct Problem
{
	CsrView x;                     // V by rows
	const CscMatrix *xt = nullptr; // V by columns; null when dense holds them
	// V dense, when the fit holds it so (Fit::dense_path): a column-major
	// rows x cols block, from which H's half reads V's columns, and the
	// row-major one, from which W's half reads its rows.
	const double *dense = nullptr;
	const double *dense_by_rows = nullptr;
	NmfcOptions opt{};
	NmfcInterrupts intr{};
	double x_norm_sq = 0.0; // ||V||^2 over the stored cells (all that count, either mode)
	// V's cells that are not 0: what a product with V costs on the sparse
	// path, and what the inner updates' rule counts, so that a matrix gets the
	// same iterates whether its zeros are stored or not
	int64_t nonzeros = 0;
	// loss 'beta' (beta_x_term): the divergence's part in V alone, computed once
	double beta_x = 0.0;
	// Whether the fit needs this iteration's loss: an iteration whose loss
	// takes a pass of its own (h_then_w) skips it when not, returning NaN.
	bool want_loss = true;

	bool
	masked() const noexcept
	{
		return opt.missing == NMF_MISSING_IGNORE;
	}

	bool
	implicit() const noexcept
	{
		return opt.feedback == NMF_FEEDBACK_IMPLICIT;
	}
};

// One half-iteration: the factor F (r x count) is updated with the other
// factor O fixed; line k of V (a column for H, a row for W) lists the cells
// (idx[p], val[p]) for p in [ptr[k], ptr[k + 1]), idx indexing O's columns.
struct Half
{
	const int64_t *ptr = nullptr;
	const int32_t *idx = nullptr;
	const double *val = nullptr;
	int64_t count = 0;
	double l1 = 0.0;
	double l2 = 0.0;
	double reg = 0.0; // masked: line k's ridge toward prior, reg (its stored cells + prior_cells)
	double prior_cells = 0.0;      // masked: kPriorLines times V's nonzero cells per line
	const double *prior = nullptr; // masked with reg: the mean line (r), set by toward_mean
	bool masked = false;
	double alpha = -1.0; // implicit feedback: a stored cell's confidence is 1 + alpha v; else < 0
	int inner = 1;       // updates of F per product O V at most (inner_updates)
	// Line k held dense instead (ptr, idx, val null): dense_len values at dense + k dense_len.
	const double *dense = nullptr;
	int64_t dense_len = 0;
};

// The block [first, last) of line products O V (ptr's lines) into out, r x (last - first).
inline void
gather_lines(const Half &s, int64_t first, int64_t last, const Matrix &other, double *out)
{
	if (s.dense != nullptr)
		gather_dense(s.dense, s.dense_len, first, last, other, out);
	else
		gather(s.ptr, s.idx, s.val, first, last, other, out);
}

// Gillis & Glineur (Accelerated multiplicative updates and hierarchical ALS
// algorithms for NMF, Neural Computation 2012): a half's products cost
// nnz r + (other side) r^2 flops, one update of F from them count r^2, so F
// is updated several times per product, up to 1 + kInnerShare times that
// ratio, each line until an update moves it by less than kInnerStop times its
// first move (repeat_update).
constexpr double kInnerShare = 0.5;
constexpr double kInnerStop = 0.1;
constexpr int kInnerMax = 100;

// The inner updates of a half of `count` lines from the other side's
// `other_count`, V having nnz non-zero cells: the option when given, else the rule.
inline int
inner_updates(const NmfcOptions &opt, int64_t nnz, int64_t count, int64_t other_count)
{
	if (opt.inner_updates > 0)
		return opt.inner_updates;
	const double r = static_cast<double>(opt.rank);
	const double rho = (static_cast<double>(nnz) * r + static_cast<double>(other_count) * r * r) /
	                   (static_cast<double>(count) * r * r);
	return static_cast<int>(std::min<double>(kInnerMax, 1.0 + std::floor(kInnerShare * rho)));
}

// Masked fits by solver hals without biases: line k's ridge
// reg (n_k + prior_cells) pulls it toward the mean line of its side, not
// toward 0. The count-scaled part
// (Zhou et al.'s weighted-lambda) shrinks a line seen 5 times and one seen
// 500 times alike relative to their data; the fixed part, kPriorLines times
// V's nonzero cells per line, makes a line of few cells an average line plus
// what its cells say, as the baseline's shrunk biases do (docs/performance.md,
// "Shrinking toward the mean line"). The uniform l2 still pulls toward 0.
// With biases the baseline is that average already, and pulled toward 0
// the factors score better (nmf_tune's rank 20 and 40 fits on the MovieLens
// sample: 0.862 against 0.878); solvers mu and gd were not measured so.
// Those pull a line toward 0 by reg n_k.
constexpr double kPriorLines = 10.0;

inline bool
pulls_to_mean(int32_t missing, int32_t solver, int32_t feedback, bool bias)
{
	return missing == NMF_MISSING_IGNORE && solver == NMF_SOLVER_HALS &&
	       feedback != NMF_FEEDBACK_IMPLICIT && !bias;
}

inline bool
pulls_to_mean(const NmfcOptions &opt)
{
	return pulls_to_mean(opt.missing, opt.solver, opt.feedback, opt.bias != 0);
}

// The sum of f's lines k < count with has_cells(k), and how many there are.
template <typename HasCells>
double
sum_lines_with_cells(const Matrix &f, int64_t count, const HasCells &has_cells,
                     Eigen::Ref<Eigen::VectorXd> sum)
{
	sum.setZero();
	double seen = 0.0;
	for (int64_t k = 0; k < count; k++)
		if (has_cells(k))
		{
			sum += f.col(k);
			seen += 1.0;
		}
	return seen;
}

inline double
prior_cells_for(int64_t nnz, int64_t lines)
{
	return lines > 0 ? kPriorLines * static_cast<double>(nnz) / static_cast<double>(lines) : 0.0;
}

// The pull toward the prior of a line of `cells` stored cells, and of line k.
inline double
pull_of(const Half &s, int64_t cells)
{
	return s.reg * (static_cast<double>(cells) + s.prior_cells);
}

inline double
line_pull(const Half &s, int64_t k)
{
	return pull_of(s, s.ptr[k + 1] - s.ptr[k]);
}

// Line k's whole ridge: the uniform l2 plus the pull.
inline double
line_l2(const Half &s, int64_t k)
{
	return s.l2 + line_pull(s, k);
}

// b += pull * prior: the ridge's share of line k's right-hand side (of the
// numerator, for the multiplicative updates).
inline void
add_prior(const Half &s, int64_t k, double *b, int64_t r)
{
	if (s.prior == nullptr)
		return;
	const double pull = line_pull(s, k);
	for (int64_t t = 0; t < r; t++)
		b[t] += pull * s.prior[t];
}

// s with its prior: the mean of f's lines that have stored cells, in
// ws.mean_line; s as it is unless it pulls toward the mean with a ridge, or
// is given a prior already (a fit by blocks gives W's, the mean over every
// block).
Half toward_mean(const Half &s, const Matrix &f, Workspace &ws);

// With absent cells as zeros every line counts all the other side's cells,
// so reg is a uniform ridge of reg times that count.
inline Half
make_half(const Problem &p, const int64_t *ptr, const int32_t *idx, const double *val,
          int64_t count, int64_t other_count, double l1, double l2)
{
	const bool masked = p.masked();
	const double reg = p.opt.reg > 0 ? p.opt.reg : 0.0; // NMF_REG_AUTO is resolved by the fit
	// Implicit feedback: the ridge is uniform, reg as the paper's lambda.
	if (p.implicit())
		return Half{ptr, idx, val, count, l1, l2 + reg, 0.0, 0.0, nullptr, false, p.opt.alpha, 1};
	return Half{ptr,
	            idx,
	            val,
	            count,
	            l1,
	            masked ? l2 : l2 + reg * static_cast<double>(other_count),
	            masked ? reg : 0.0,
	            pulls_to_mean(p.opt) ? prior_cells_for(p.nonzeros, count) : 0.0,
	            nullptr,
	            masked,
	            -1.0,
	            masked ? 1 : inner_updates(p.opt, p.nonzeros, count, other_count)};
}

// A half whose `count` lines are held dense, line k at block + k other_count.
inline Half
dense_half(const Problem &p, const double *block, int64_t count, int64_t other_count, double l1,
           double l2)
{
	Half s = make_half(p, nullptr, nullptr, nullptr, count, other_count, l1, l2);
	s.dense = block;
	s.dense_len = other_count;
	return s;
}

// H's half: V's columns, W fixed.
inline Half
half_h(const Problem &p)
{
	if (p.dense != nullptr)
		return dense_half(p, p.dense, p.x.cols, p.x.rows, p.opt.l1_h, p.opt.l2_h);
	return make_half(p, p.xt->col_ptr.data(), p.xt->row_idx.data(), p.xt->values.data(), p.x.cols,
	                 p.x.rows, p.opt.l1_h, p.opt.l2_h);
}

// W's half: V's rows, H fixed.
inline Half
half_w(const Problem &p)
{
	if (p.dense_by_rows != nullptr)
		return dense_half(p, p.dense_by_rows, p.x.rows, p.x.cols, p.opt.l1_w, p.opt.l2_w);
	return make_half(p, p.x.row_ptr, p.x.col_idx, p.x.values, p.x.rows, p.x.cols, p.opt.l1_w,
	                 p.opt.l2_w);
}

// float32 machine epsilon, scikit-learn's EPSILON in _nmf.py: what replaces
// an exact zero that would be divided by.
constexpr double kEpsilon = 0x1.0p-23;

namespace init
{

// The mean of the counted cells: all m * n (absent ones are 0) with
// missing = 'zero', the stored ones with missing = 'ignore'.
double counted_mean(const Problem &p) noexcept;

// Seeded random factors avg * |N(0, 1)|, avg = sqrt(mean / r), as
// scikit-learn's init='random'; mean the counted mean.
void random(const Problem &p, Matrix &w, Matrix &h);
void random(int64_t seed, double mean, const NmfcInterrupts &intr, Matrix &w, Matrix &h);

// Boutsidis & Gallopoulos' NNDSVD (init = nndsvd, nndsvda, nndsvdar).
void nndsvd(const Problem &p, Matrix &w, Matrix &h);

// init = custom (w_init, h_init) and warm_start (a previous model).
void custom(const Problem &p, Matrix &w, Matrix &h);
void warm_start(const Problem &p, Matrix &w, Matrix &h);

} // namespace init

namespace solver
{

// ||V - W H||^2 with absent cells as zeros; leaves ws.gram_w and ws.gram_h set.
double frobenius_loss(const Problem &p, const Matrix &w, const Matrix &h, Workspace &ws);

// The sum over the stored cells only of (V - W H)^2.
double masked_frobenius_loss(const Problem &p, const Matrix &w, const Matrix &h, Workspace &ws);

// The generalised KL divergence sum V log(V / W H) - V + W H over the
// counted cells (every cell with missing = 'zero').
// Lee & Seung's update of n entries: f *= num / (den + l1 + l2 f), a
// denominator of exactly 0 taken as kEpsilon (a line at a time; the blocked
// solvers use the SIMD kernel of the same rule).
void multiply_update(double *f, const double *num, const double *den, int64_t n, double l1,
                     double l2);

double kl_loss(const Problem &p, const Matrix &w, const Matrix &h, Workspace &ws);
// Its parts: over V's stored cells, the sums of v log(v / wh) (v > kEpsilon),
// of v and of wh; and the divergence from them and the sum of W H over the
// counted cells.
std::array<double, 3> kl_cell_sums(const Problem &p, const Matrix &w, const Matrix &h,
                                   Workspace &ws);
double kl_from_sums(const std::array<double, 3> &sums, double wh_sum);

// solver mu's KL half-step (solver_mu_kl.cpp), and its update of one line:
// the multiplicative step, then the values below DBL_EPSILON to 0.
void kl_half(const Problem &p, const Half &s, const Matrix &other, Matrix &f, Workspace &ws);
void kl_update(double *fk, const double *num, const double *den, int64_t r, double l1, double l2);

// The beta-divergence D_beta(V || W H) = sum d(v, y), y = (W H)_ij, with
// d(x, y) = (x^beta + (beta - 1) y^beta - beta x y^(beta - 1)) / (beta (beta - 1)),
// x / y - log(x / y) - 1 at beta 0, over the counted cells (every cell with
// missing = 'zero': O(m n r), a block of W H at a time). For beta != 1, 2;
// cells with v <= kEpsilon skip the terms in v, a (W H)_ij of 0 in a term in
// v is taken as kEpsilon, as scikit-learn 1.2 does.
double beta_loss(const Problem &p, const Matrix &w, const Matrix &h, Workspace &ws);

// The sum over V's stored cells with v > kEpsilon of v^beta / (beta (beta - 1))
// (0 for beta 0, 1 and 2): the part of beta_loss that does not change.
double beta_x_term(const Problem &p) noexcept;

// loss = 'beta' whose beta is one of the special cases with their own
// kernels: 2 the frobenius ones (the divergence is half the squared norm),
// 1 the kl ones.
inline bool
frobenius_like(const NmfcOptions &opt) noexcept
{
	return opt.loss == NMF_LOSS_FROBENIUS || (opt.loss == NMF_LOSS_BETA && opt.beta == 2.0);
}

inline bool
kl_like(const NmfcOptions &opt) noexcept
{
	return opt.loss == NMF_LOSS_KL || (opt.loss == NMF_LOSS_BETA && opt.beta == 1.0);
}

// The general beta: the updates and the loss need (W H)^(beta - 1) on every
// cell when absent cells count as zeros.
inline bool
beta_dense(const NmfcOptions &opt) noexcept
{
	return opt.loss == NMF_LOSS_BETA && !frobenius_like(opt) && !kl_like(opt) &&
	       opt.missing == NMF_MISSING_ZERO;
}

// The lines of a block of W H the general beta forms at once, when the other
// side has `cells` cells per line: about kBetaBlockCells cells per lane.
constexpr int64_t kBetaBlockCells = int64_t{1} << 18;
int64_t beta_block_lines(int64_t cells, int64_t rank) noexcept;

// Bytes of one lane's block of W H (beta_dense), for the fit's memory bound.
int64_t beta_scratch_bytes(int64_t rows, int64_t cols, int64_t rank) noexcept;

// F F^T (r x r) of a factor stored r x count, summed by blocks in block order.
void factor_gram(const Problem &p, const Matrix &f, Workspace &ws, Matrix &gram);

// Implicit feedback's objective (NmfcOptions.feedback): sum over every cell
// of c (p - W H)^2 plus the penalties, from W W^T and H H^T and one pass over
// the stored cells; computes and leaves ws.gram_w and ws.gram_h.
double implicit_loss(const Problem &p, const Matrix &w, const Matrix &h, Workspace &ws);

// The loss the options name, of the current factors. Leaves ws.gram_w and
// ws.gram_h set when the loss is the Frobenius one with absent cells as zeros,
// which the iterations below expect on entry and leave for the next one.
double loss(const Problem &p, const Matrix &w, const Matrix &h, Workspace &ws);

// One iteration of a Frobenius solver from its two kinds of half, H's then
// W's: masked_half(p, s, other, f, ws) with missing = 'ignore', else
// half(p, s, other, gram_other, f, gram_f, ws, products) as mu_half below.
using MaskedHalf = void (*)(const Problem &, const Half &, const Matrix &, Matrix &, Workspace &);
using GramHalf = double (*)(const Problem &, const Half &, const Matrix &, const Matrix &, Matrix &,
                            Matrix &, Workspace &, const Matrix *);
double frobenius_iteration(const Problem &p, Matrix &w, Matrix &h, Workspace &ws,
                           MaskedHalf masked_half, GramHalf half);

// One iteration of each solver; each returns the loss after it.
double mu_iteration(const Problem &p, Matrix &w, Matrix &h, Workspace &ws);
double mu_kl_iteration(const Problem &p, Matrix &w, Matrix &h, Workspace &ws);
double mu_beta_iteration(const Problem &p, Matrix &w, Matrix &h, Workspace &ws);
double hals_iteration(const Problem &p, Matrix &w, Matrix &h, Workspace &ws);
double gd_iteration(const Problem &p, Matrix &w, Matrix &h, Workspace &ws);
// Implicit feedback, by solver hals's per-line coordinate descent.
double implicit_iteration(const Problem &p, Matrix &w, Matrix &h, Workspace &ws);

// Multiplicative Frobenius half-step F <- F o B / (G F + l1 + l2 F), exposed
// for the test of the seed's point against gd_elementwise_step. Absent cells
// as zeros: gram_other = O O^T; accumulates F's new Gram into gram_f and
// returns <F_new, B>.
// products: B = O V (r x count) computed beforehand, or nullptr to gather it.
double mu_half(const Problem &p, const Half &s, const Matrix &other, const Matrix &gram_other,
               Matrix &f, Matrix &gram_f, Workspace &ws, const Matrix *products = nullptr);

// Solver mu's half-step over the stored cells only (missing = 'ignore').
void mu_masked_half(const Problem &p, const Half &s, const Matrix &other, Matrix &f, Workspace &ws);

// Solver hals's half over the stored cells (missing 'ignore'), the same contract as mu_masked_half.
void hals_masked_half(const Problem &p, const Half &s, const Matrix &other, Matrix &f,
                      Workspace &ws);
// One line of it: f >= 0 minimising 1/2 f^T (G + l2 I) f - (b - l1)^T f by
// coordinate sweeps, from the line's Gram G (both triangles; l2 is added to it).
void hals_line_solve(Matrix &g, double l2, const double *b, double l1, double *f);

// Coordinate-descent half-step of solver hals with absent cells as zeros,
// the same contract as mu_half.
double hals_half(const Problem &p, const Half &s, const Matrix &other, const Matrix &gram_other,
                 Matrix &f, Matrix &gram_f, Workspace &ws, const Matrix *products = nullptr);

// W^T V into ws.products (r x V's columns) from V's rows, on ws.threads
// lanes, each a range of columns, whatever W's size.
void scatter_products(const Problem &p, const Matrix &w, Workspace &ws);

// W^T V into ws.products from V's rows (same bits as the gather over its
// columns, faster), on ws.threads lanes, each a range of columns. Returns
// &ws.products, or nullptr when the workspace has no room for it.
const Matrix *products_by_rows(const Problem &p, const Matrix &w, Workspace &ws);

// F <- max(0, F - eta o grad F) with a step per element (eta r x count), for
// absent cells as zeros and no penalty: the additive rule of the seed paper.
void gd_elementwise_step(const Problem &p, const Half &s, const Matrix &other,
                         const Matrix &gram_other, const Matrix &eta, Matrix &f, Workspace &ws);

} // namespace solver

} // namespace nmf

#endif
