// SPDX-License-Identifier: PostgreSQL
// The two block loops the solvers and losses share. Both cut the lines of one
// side of V into blocks of ws.block lines, run the blocks on ws.threads lanes
// (polling the interrupt flags once per block), and leave each block's partial
// results in its own slot, so the caller (or the loop itself) sums them in
// block order and the result does not depend on the thread count.
#ifndef NMF_SOLVER_BLOCKS_HPP
#define NMF_SOLVER_BLOCKS_HPP

#include <algorithm>
#include <array>
#include <limits>
#include <utility>

#include "parallel.hpp"
#include "solvers.hpp"

namespace nmf::solver
{

// body(blk, first, last, lane) for the lines [first, last) of each block of
// `count` lines. Returns the number of blocks.
template <typename Body>
int64_t
for_line_blocks(const Problem &p, const Workspace &ws, int64_t count, const Body &body)
{
	const int64_t lines = ws.block;
	const int64_t blocks = (count + lines - 1) / lines;
	parallel_for(ws.threads, blocks, [&](int64_t blk, int lane) {
		poll_interrupts(p.intr);
		body(blk, blk * lines, std::min(count, (blk + 1) * lines), lane);
	});
	return blocks;
}

// For each line k of F: line(k, f_k, num, den), num the lane's r zeros and
// den its r doubles of scratch (as the caller leaves them).
template <typename Line>
void
for_lines(const Problem &p, const Half &s, Matrix &f, Workspace &ws, const Line &line)
{
	const int64_t r = f.rows();
	for_line_blocks(p, ws, s.count, [&](int64_t, int64_t first, int64_t last, int lane) {
		double *num = ws.num_of(lane).data();
		double *den = ws.den_of(lane).data();
		for (int64_t k = first; k < last; k++)
		{
			double *fk = f.data() + k * r;
			std::fill(num, num + r, 0.0);
			line(k, fk, num, den);
		}
	});
}

// The multiplicative half over stored cells only (missing = 'ignore'): line
// k's num = sum a o and den = sum c o over its cells, (a, c) = weights(v,
// o . f_k) for each cell's other-side line o, then update(k, f_k, num, den).
template <typename Weights, typename Update>
void
masked_sums(const Problem &p, const Half &s, const Matrix &other, Matrix &f, Workspace &ws,
            const Weights &weights, const Update &update)
{
	const int64_t r = f.rows();
	for_lines(p, s, f, ws, [&](int64_t k, double *fk, double *num, double *den) {
		std::fill(den, den + r, 0.0);
		for (int64_t q = s.ptr[k]; q < s.ptr[k + 1]; q++)
		{
			const double *o = other.data() + static_cast<int64_t>(s.idx[q]) * r;
			const std::pair<double, double> ac = weights(s.val[q], dot(o, fk, r));
			for (int64_t t = 0; t < r; t++)
			{
				num[t] += ac.first * o[t];
				den[t] += ac.second * o[t];
			}
		}
		update(k, fk, num, den);
	});
}

// One iteration of a multiplicative solver: H (W fixed), then W (the new H
// fixed), each by half(p, side, other, f, ws); then the loss, if wanted.
template <typename HalfStep, typename Loss>
double
h_then_w(const Problem &p, Matrix &w, Matrix &h, Workspace &ws, const HalfStep &half,
         const Loss &loss)
{
	half(p, half_h(p), w, h, ws);
	half(p, half_w(p), h, w, ws);
	return p.want_loss ? loss(p, w, h, ws) : std::numeric_limits<double>::quiet_NaN();
}

// update() changes the block fb of F from fixed products; run it s.inner
// times at most. Each line (column of fb) stops once an update moves it by
// less than kInnerStop times its first move (squared norms) and is kept as
// it was then: a line's updates depend on it alone, so the rule gives the
// same lines whatever the blocks (a fit by blocks of rows gets nmf()'s
// iterates). prev is the lane's scratch: rows 0..r-1 the block before an
// update, row r each line's first move, row r + 1 whether it still moves.
template <typename Block, typename Update>
void
repeat_update(const Half &s, Block &fb, Matrix &prev, const Update &update)
{
	if (s.inner <= 1)
	{
		update();
		return;
	}
	const int64_t r = fb.rows();
	const int64_t len = fb.cols();
	auto before = prev.topLeftCorner(r, len);
	auto first = prev.row(r).head(len);
	auto moving = prev.row(r + 1).head(len);
	int64_t left = len;
	for (int k = 0; k < s.inner && left > 0; k++)
	{
		before = fb;
		update();
		for (int64_t c = 0; c < len; c++)
		{
			if (k > 0 && moving(c) == 0.0)
			{
				fb.col(c) = before.col(c);
				continue;
			}
			const double moved = (fb.col(c) - before.col(c)).squaredNorm();
			if (k == 0)
			{
				first(c) = moved;
				moving(c) = 1.0;
			}
			else if (moved <= kInnerStop * kInnerStop * first(c))
			{
				moving(c) = 0.0;
				left--;
			}
		}
	}
}

// body(blk, k0, len, y, rest, lane) for each block of F's lines, y's first
// len columns O^T F[:, k0 .. k0 + len) (the other side's count x len), rest
// the lane's scratch after y (room for r x width * len), on ws.threads
// lanes (the general beta's and KL's halves on dense products). Returns the
// blocks. The scratch holds `width` times the block's lines (Y on the left).
template <typename Body>
int64_t
for_dense_blocks(const Problem &p, const Half &s, const Matrix &other, const Matrix &f,
                 Workspace &ws, const Body &body, int64_t width = 1)
{
	const int64_t lines = beta_block_lines(other.cols(), f.rows());
	const int64_t blocks = (s.count + lines - 1) / lines;
	parallel_for(ws.threads, blocks, [&](int64_t blk, int lane) {
		poll_interrupts(p.intr);
		const int64_t k0 = blk * lines;
		const int64_t len = std::min(lines, s.count - k0);
		double *buf = ws.lane_beta[static_cast<size_t>(lane)].data();
		Eigen::Map<Matrix> y(buf, other.cols(), width * len);
		y.leftCols(len).noalias() = other.transpose() * f.middleCols(k0, len);
		body(blk, k0, len, y, buf + other.cols() * width * len, lane);
	});
	return blocks;
}

// The N sums over V's stored cells of cell(sums, v_ij, (W H)_ij), in row
// order within each block of rows and then in block order.
template <size_t N, typename Cell>
std::array<double, N>
sum_over_cells(const Problem &p, const Matrix &w, const Matrix &h, Workspace &ws, const Cell &cell)
{
	const CsrView &v = p.x;
	const int64_t r = w.rows();
	const int64_t n = static_cast<int64_t>(N);
	const int64_t blocks =
	    for_line_blocks(p, ws, v.rows, [&](int64_t blk, int64_t first, int64_t last, int) {
		    std::array<double, N> part{};
		    for (int64_t i = first; i < last; i++)
		    {
			    const double *wi = w.data() + i * r;
			    if (v.row_ptr == nullptr) // a dense image: every cell, row by row
				    for (int64_t j = 0; j < v.cols; j++)
					    cell(part, v.values[i * v.cols + j], dot(wi, h.data() + j * r, r));
			    else
				    for (int64_t q = v.row_ptr[i]; q < v.row_ptr[i + 1]; q++)
					    cell(part, v.values[q],
					         dot(wi, h.data() + static_cast<int64_t>(v.col_idx[q]) * r, r));
		    }
		    std::copy(part.begin(), part.end(), ws.part_cross.data() + n * blk);
	    });
	std::array<double, N> sums{};
	for (int64_t k = 0; k < blocks; k++)
		for (size_t j = 0; j < N; j++)
			sums[j] += ws.part_cross[static_cast<size_t>(n * k) + j];
	return sums;
}

// Absent cells as zeros: for each block of F's columns, its products
// B = O V (from `products`, or gathered from s into the lane's ws.num), then
// update(B, F's block, lane); then the block's <F, B> and Gram. Returns the
// sum of the cross terms and leaves F's Gram in gram_f, both in block order.
// F may be const (the loss: update does nothing).
template <typename F, typename Update>
double
cross_and_gram(const Problem &p, const Half &s, const Matrix &other, F &f, Matrix &gram_f,
               Workspace &ws, const Matrix *products, const Update &update)
{
	const int64_t r = f.rows();
	const int64_t b = ws.block;
	const int64_t blocks = (s.count + b - 1) / b;
	parallel_for(ws.threads, blocks, [&](int64_t blk, int lane) {
		poll_interrupts(p.intr);
		const int64_t k0 = blk * b;
		const int64_t len = std::min(b, s.count - k0);
		const double *bd = products != nullptr ? products->data() + k0 * r : ws.num_of(lane).data();
		if (products == nullptr)
			gather_lines(s, k0, k0 + len, other, ws.num_of(lane).data());
		const Eigen::Map<const Matrix> num(bd, r, len);
		auto fb = f.middleCols(k0, len);
		update(num, fb, lane);
		const size_t i = static_cast<size_t>(blk);
		ws.part_cross[i] = (fb.array() * num.array()).sum();
		ws.part_gram[i].setZero();
		gram_add(ws.part_gram[i], fb);
	});
	const double cross = reduce_blocks(ws, blocks, gram_f);
	gram_mirror(gram_f);
	return cross;
}

} // namespace nmf::solver

#endif
