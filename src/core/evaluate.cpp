// SPDX-License-Identifier: PostgreSQL
// Evaluation: the error of a model over a matrix's stored cells, and the
// seeded split of stored cells into folds that cross-validation holds out.
#include <cmath>

#include "apply.hpp"
#include "hash.hpp"

namespace nmf
{
namespace apply
{

ScoreSums
score(const ModelView &m, const CsrView &x, const int64_t *x_row_ids, const int64_t *x_col_ids,
      const NmfcInterrupts &intr)
{
	ScoreSums s;
	std::vector<int64_t> col_of(static_cast<size_t>(x.cols));
	for (int64_t c = 0; c < x.cols; c++)
		col_of[static_cast<size_t>(c)] = find_id(m.col_ids, m.cols, x_col_ids[c]);

	int64_t since_poll = 0;
	for (int64_t xi = 0; xi < x.rows; xi++)
	{
		const int64_t begin = x.row_ptr[xi], end = x.row_ptr[xi + 1];
		const int64_t i = find_id(m.row_ids, m.rows, x_row_ids[xi]);
		if (i < 0)
		{
			s.unknown_cells += end - begin;
			continue;
		}
		for (int64_t p = begin; p < end; p++)
		{
			const int64_t j = col_of[static_cast<size_t>(x.col_idx[p])];
			if (j < 0)
			{
				s.unknown_cells++;
				continue;
			}
			const double v = x.values[p];
			const double e = v - predict(m, i, j);
			s.cells++;
			s.sse += e * e;
			s.sae += std::fabs(e);
			s.x_sq += v * v;
		}
		since_poll += (end - begin + 1) * m.rank;
		if (since_poll >= kPollElements)
		{
			poll_interrupts(intr);
			since_poll = 0;
		}
	}
	return s;
}

namespace
{

uint64_t
cell_hash(int64_t row_id, int64_t col_id, int64_t seed) noexcept
{
	uint64_t z = splitmix64(static_cast<uint64_t>(seed));
	z = splitmix64(z ^ static_cast<uint64_t>(row_id));
	return splitmix64(z ^ static_cast<uint64_t>(col_id));
}

} // namespace

int32_t
cell_fold(int64_t row_id, int64_t col_id, int64_t seed, int32_t folds) noexcept
{
	return static_cast<int32_t>(cell_hash(row_id, col_id, seed) % static_cast<uint64_t>(folds));
}

double
cell_uniform(int64_t row_id, int64_t col_id, int64_t seed) noexcept
{
	// The top 53 bits, so every double in [0, 1) that can come out is equally likely.
	return static_cast<double>(cell_hash(row_id, col_id, seed) >> 11) * 0x1.0p-53;
}

int64_t
split(const CsrView &x, const int64_t *row_ids, const int64_t *col_ids, int32_t folds, int32_t fold,
      int64_t seed, NmfTriplet *out, const NmfcInterrupts &intr)
{
	if (folds < 2)
		throw InvalidArgument(message("folds must be at least 2, not ", folds));
	if (fold < 0 || fold >= folds)
		throw InvalidArgument(
		    message("fold must be between 1 and folds (", folds, "), not ", int64_t(fold) + 1));
	int64_t n_train = 0, n_test = 0;
	for (int64_t i = 0; i < x.rows; i++)
	{
		for (int64_t p = x.row_ptr[i]; p < x.row_ptr[i + 1]; p++)
		{
			const NmfTriplet t{row_ids[i], col_ids[x.col_idx[p]], x.values[p]};
			if (cell_fold(t.row, t.col, seed, folds) == fold)
				out[x.nnz - 1 - n_test++] = t;
			else
				out[n_train++] = t;
		}
		if ((i & 1023) == 1023)
			poll_interrupts(intr);
	}
	return n_train;
}

} // namespace apply
} // namespace nmf
