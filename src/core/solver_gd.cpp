// SPDX-License-Identifier: PostgreSQL
// solver = 'gd': projected (additive) gradient descent on the Frobenius loss,
// the seed paper's contrast case. The objective is
// 1/2 ||V - W H||^2 + l1_w sum(W) + l2_w / 2 ||W||^2 + (the same for H).
// One iteration, H first (W fixed), then W (the new H fixed):
//
//   H <- max(0, H - alpha grad_H),  grad_H = W^T W H - W^T V + l1_h + l2_h H
//
// With learning_rate > 0, alpha is that fixed step (nothing then stops the
// loss from growing if it is too large). Otherwise alpha is adaptive, by
// Lin's rule for projected gradient (Projected gradient methods for NMF,
// Neural Computation 19, 2007, section 4): starting from the previous
// half-step's alpha, accept it if the sufficient-decrease condition
//
//   f(H_new) - f(H) <= sigma <grad, H_new - H>,   sigma = 0.01
//
// holds, and then grow it by 1/beta (beta = 0.1) while it still holds;
// otherwise shrink it by beta until it does. Each half is a quadratic in the
// factor, so f(H + D) - f(H) = <grad, D> + 1/2 q(D) exactly, with
// q(D) = sum_j d_j^T (W^T W + l2 I) d_j: a trial costs O(n r^2), not a pass
// over V. An accepted step never increases the loss.
//
// The gradient is stored (r x max(m, n), allocated once); a half costs
// O(nnz r + n r^2) plus O(n r^2) per trial. missing = 'ignore': the gradient
// and q run over the stored cells, O(nnz r) each. Every pass runs blocks of
// lines on nmf.threads lanes; sums over blocks are added in block order, so
// the result does not depend on the thread count.
#include <cmath>

#include "parallel.hpp"
#include "solvers.hpp"

namespace nmf::solver
{

namespace
{

constexpr double kArmijoSigma = 0.01;
constexpr double kArmijoBeta = 0.1;
// Trials per half at most; past them a shrinking step is given up (alpha = 0).
constexpr int kMaxStepTrials = 40;

// Blocks of a half's lines (ws.block each): the unit of work of the lanes.
int64_t
line_blocks(const Half &s, const Workspace &ws)
{
	return (s.count + ws.block - 1) / ws.block;
}

// ws.grad.leftCols(count) = the gradient of F's half; zero mode reads G + l2 I
// from ws.gram_line. Blocks of lines on ws.threads lanes.
void
gradient(const Problem &p, const Half &s, const Matrix &other, const Matrix &f, Workspace &ws)
{
	const int64_t r = f.rows();
	parallel_for(ws.threads, line_blocks(s, ws), [&](int64_t blk, int lane) {
		poll_interrupts(p.intr);
		const int64_t k0 = blk * ws.block;
		const int64_t len = std::min(ws.block, s.count - k0);
		if (!s.masked)
		{
			Matrix &num = ws.num_of(lane);
			gather_lines(s, k0, k0 + len, other, num.data());
			auto gb = ws.grad.middleCols(k0, len);
			gb.noalias() = ws.gram_line * f.middleCols(k0, len);
			gb -= num.leftCols(len);
			gb.array() += s.l1;
			return;
		}
		for (int64_t k = k0; k < k0 + len; k++)
		{
			const double *fk = f.data() + k * r;
			double *gk = ws.grad.data() + k * r;
			const double l2 = line_l2(s, k);
			for (int64_t t = 0; t < r; t++)
				gk[t] = s.l1 + l2 * fk[t];
			for (int64_t q = s.ptr[k]; q < s.ptr[k + 1]; q++)
			{
				const double *o = other.data() + static_cast<int64_t>(s.idx[q]) * r;
				const double e = dot(o, fk, r) - s.val[q];
				for (int64_t t = 0; t < r; t++)
					gk[t] += e * o[t];
			}
		}
	});
}

// d = max(0, f - alpha g) - f for one line of r values.
inline void
projected_move(const double *f, const double *g, double alpha, double *d, int64_t r)
{
	for (int64_t t = 0; t < r; t++)
		d[t] = std::max(f[t] - alpha * g[t], 0.0) - f[t];
}

// (1 - sigma) <grad, D> + 1/2 q(D) for the move D of step alpha: <= 0 when
// alpha gives sufficient decrease. A move to F = 0 counts as no decrease: the
// half's quadratic may prefer 0 to a poor start, but W H = 0 is a stationary
// point that no later step could leave. Blocks of lines on ws.threads lanes,
// each leaving <grad, D>, q(D) and whether F + D has a positive entry, added
// in block order.
double
armijo_excess(const Problem &p, const Half &s, const Matrix &other, const Matrix &f, double alpha,
              Workspace &ws)
{
	const int64_t r = f.rows();
	const int64_t blocks = line_blocks(s, ws);
	parallel_for(ws.threads, blocks, [&](int64_t blk, int lane) {
		poll_interrupts(p.intr);
		const int64_t k0 = blk * ws.block;
		const int64_t len = std::min(ws.block, s.count - k0);
		Matrix &moves = ws.den_of(lane);
		double gd = 0.0, q = 0.0;
		bool any_positive = false;
		if (!s.masked)
		{
			for (int64_t c = 0; c < len; c++)
				projected_move(f.data() + (k0 + c) * r, ws.grad.data() + (k0 + c) * r, alpha,
				               moves.data() + c * r, r);
			const auto d = moves.leftCols(len);
			Matrix &gd_line = ws.num_of(lane);
			any_positive = ((f.middleCols(k0, len) + d).array() > 0).any();
			gd = (ws.grad.middleCols(k0, len).array() * d.array()).sum();
			gd_line.leftCols(len).noalias() = ws.gram_line * d;
			q = (d.array() * gd_line.leftCols(len).array()).sum();
		}
		else
		{
			double *d = moves.data();
			for (int64_t k = k0; k < k0 + len; k++)
			{
				projected_move(f.data() + k * r, ws.grad.data() + k * r, alpha, d, r);
				for (int64_t t = 0; t < r; t++)
					any_positive = any_positive || f.data()[k * r + t] + d[t] > 0;
				gd += dot(ws.grad.data() + k * r, d, r);
				q += line_l2(s, k) * dot(d, d, r);
				for (int64_t c = s.ptr[k]; c < s.ptr[k + 1]; c++)
				{
					const double e = dot(other.data() + static_cast<int64_t>(s.idx[c]) * r, d, r);
					q += e * e;
				}
			}
		}
		double *part = ws.part_cross.data() + 3 * blk;
		part[0] = gd;
		part[1] = q;
		part[2] = any_positive ? 1.0 : 0.0;
	});
	double gd = 0.0, q = 0.0;
	bool any_positive = false;
	for (int64_t k = 0; k < blocks; k++)
	{
		const double *part = ws.part_cross.data() + 3 * k;
		gd += part[0];
		q += part[1];
		any_positive = any_positive || part[2] != 0.0;
	}
	if (!any_positive && gd < 0)
		return 1.0;
	return (1.0 - kArmijoSigma) * gd + 0.5 * q;
}

// Lin's search from alpha = step; returns the accepted step (0: none).
double
search_step(const Problem &p, const Half &s, const Matrix &other, const Matrix &f, double step,
            Workspace &ws)
{
	double alpha = step;
	if (armijo_excess(p, s, other, f, alpha, ws) <= 0)
	{
		for (int i = 0; i < kMaxStepTrials; i++)
		{
			const double larger = alpha / kArmijoBeta;
			if (!std::isfinite(larger) || armijo_excess(p, s, other, f, larger, ws) > 0)
				break;
			alpha = larger;
		}
		return alpha;
	}
	for (int i = 0; i < kMaxStepTrials; i++)
	{
		alpha *= kArmijoBeta;
		if (armijo_excess(p, s, other, f, alpha, ws) <= 0)
			return alpha;
	}
	return 0.0;
}

// F <- max(0, F - alpha grad), by blocks of lines on ws.threads lanes.
void
apply_step(const Half &s, double alpha, Matrix &f, Workspace &ws)
{
	const int64_t r = f.rows();
	parallel_for(ws.threads, line_blocks(s, ws), [&](int64_t blk, int) {
		const int64_t first = blk * ws.block * r;
		const int64_t last = std::min(s.count, (blk + 1) * ws.block) * r;
		double *fd = f.data();
		const double *gd = ws.grad.data();
		for (int64_t k = first; k < last; k++)
			fd[k] = std::max(fd[k] - alpha * gd[k], 0.0);
	});
}

void
gd_half(const Problem &p, const Half &s, const Matrix &other, const Matrix &gram_other, Matrix &f,
        Matrix &gram_f, double &step, Workspace &ws)
{
	if (!s.masked)
	{
		ws.gram_line = gram_other;
		ws.gram_line.diagonal().array() += s.l2;
	}
	gradient(p, s, other, f, ws);
	double alpha = p.opt.learning_rate;
	if (alpha == 0.0)
	{
		alpha = search_step(p, s, other, f, step, ws);
		if (alpha > 0)
			step = alpha;
	}
	apply_step(s, alpha, f, ws);
	if (!s.masked)
	{
		const int64_t blocks = line_blocks(s, ws);
		parallel_for(ws.threads, blocks, [&](int64_t blk, int) {
			const int64_t k0 = blk * ws.block;
			Matrix &g = ws.part_gram[static_cast<size_t>(blk)];
			g.setZero();
			gram_add(g, f.middleCols(k0, std::min(ws.block, s.count - k0)));
		});
		reduce_blocks(ws, blocks, gram_f);
		gram_mirror(gram_f);
	}
}

} // namespace

double
gd_iteration(const Problem &p, Matrix &w, Matrix &h, Workspace &ws)
{
	gd_half(p, half_h(p), w, ws.gram_w, h, ws.gram_h, ws.step_h, ws);
	gd_half(p, half_w(p), h, ws.gram_h, w, ws.gram_w, ws.step_w, ws);
	return loss(p, w, h, ws);
}

void
gd_elementwise_step(const Problem &p, const Half &s, const Matrix &other, const Matrix &gram_other,
                    const Matrix &eta, Matrix &f, Workspace &ws)
{
	Half plain = s;
	plain.l1 = plain.l2 = 0.0;
	ws.gram_line = gram_other;
	gradient(p, plain, other, f, ws);
	const int64_t n = f.size();
	for (int64_t k = 0; k < n; k++)
		f.data()[k] = std::max(f.data()[k] - eta.data()[k] * ws.grad.data()[k], 0.0);
}

} // namespace nmf::solver
