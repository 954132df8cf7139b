// SPDX-License-Identifier: PostgreSQL
// The two block loops the solvers and losses share. Both cut the lines of one
// side of V into blocks of ws.block lines, run the blocks on ws.threads lanes
// (polling the interrupt flags once per block), and leave each block's partial
// results in its own slot, so the caller (or the loop itself) sums them in
// block order and the result does not depend on the thread count.
#ifndef NMF_SOLVER_BLOCKS_HPP
#define NMF_SOLVER_BLOCKS_HPP

#include <algorithm>

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
			gather(s.ptr, s.idx, s.val, k0, k0 + len, other, ws.num_of(lane));
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
