// SPDX-License-Identifier: PostgreSQL
// Ranking metrics of top-k lists: how well a model's lists (or the
// popularity list) find a row's held-out cells.
//
// Relevance is binary: a row's relevant columns are its stored test cells
// (in columns the lists can name); R is their count. For a list l_1 .. l_n
// (n <= k, best first), rel_q = 1 when l_q is relevant, else 0:
//
//   precision@k = sum_q rel_q / k
//   recall@k    = sum_q rel_q / R
//   DCG@k       = sum_q rel_q / log2(q + 1)
//   NDCG@k      = DCG@k / IDCG@k, IDCG@k = sum_{q = 1 .. min(R, k)} 1 / log2(q + 1)
//                 (the DCG of a list with every relevant column first)
//   AP@k        = sum_q rel_q * precision@q / min(R, k), precision@q = sum_{p <= q} rel_p / q
//
// Each is averaged over the rows scored (MAP@k is the mean of AP@k); a row
// with R = 0 has no defined recall or NDCG and is not scored. Sums are taken
// in test row order, so the thread count changes no bit.
#include <algorithm>
#include <cmath>

#include "parallel.hpp"
#include "serve.hpp"

namespace nmf
{
namespace serve
{

namespace
{

// Rows per call of recommend_rows: their lists are kept until scored.
constexpr int64_t kScoreBatch = 4096;

} // namespace

RankMetrics
rank_metrics(const int64_t *list, int64_t n, int64_t k, const int64_t *relevant, int64_t n_relevant)
{
	RankMetrics out;
	double hits = 0, dcg = 0, ap = 0;
	for (int64_t q = 0; q < n && q < k; q++)
	{
		if (!std::binary_search(relevant, relevant + n_relevant, list[q]))
			continue;
		hits += 1;
		dcg += 1.0 / std::log2(static_cast<double>(q + 2));
		ap += hits / static_cast<double>(q + 1);
	}
	const int64_t ideal = std::min(n_relevant, k);
	double idcg = 0;
	for (int64_t q = 0; q < ideal; q++)
		idcg += 1.0 / std::log2(static_cast<double>(q + 2));
	out.precision = hits / static_cast<double>(k);
	out.recall = hits / static_cast<double>(n_relevant);
	out.ndcg = dcg / idcg;
	out.ap = ap / static_cast<double>(ideal);
	return out;
}

RankSums
rank_score(const apply::ModelView &m, const NmfMatrixFlat *test, const NmfMatrixFlat *train,
           int64_t k, int threads, const NmfcInterrupts &intr)
{
	if (k < 1)
		throw InvalidArgument(message("k must be at least 1, not ", k));
	RankSums s;
	s.cols = m.cols;
	const int64_t *test_rows = nmf_matrix_row_ids(test);
	const int64_t *test_cols = nmf_matrix_col_ids(test);
	const int64_t *row_ptr = nmf_matrix_row_ptr(test);
	const int32_t *col_idx = nmf_matrix_col_idx(test);
	std::vector<int64_t> col_of(static_cast<size_t>(test->cols));
	for (int64_t c = 0; c < test->cols; c++)
		col_of[static_cast<size_t>(c)] = find_id(m.col_ids, m.cols, test_cols[c]);

	// The rows to score and their relevant model columns (ascending, as the
	// test row's column indexes are and col_of keeps their order).
	std::vector<int64_t> rows, rel_ptr{0}, relevant;
	for (int64_t xi = 0; xi < test->rows; xi++)
	{
		const int64_t i = find_id(m.row_ids, m.rows, test_rows[xi]);
		if (i < 0)
		{
			s.unknown_rows++;
			s.unknown_cells += row_ptr[xi + 1] - row_ptr[xi];
			continue;
		}
		const size_t before = relevant.size();
		for (int64_t q = row_ptr[xi]; q < row_ptr[xi + 1]; q++)
		{
			const int64_t j = col_of[static_cast<size_t>(col_idx[q])];
			if (j < 0)
				s.unknown_cells++;
			else
				relevant.push_back(j);
		}
		if (relevant.size() == before)
		{
			s.empty_rows++;
			continue;
		}
		rows.push_back(i);
		rel_ptr.push_back(static_cast<int64_t>(relevant.size()));
	}

	const int64_t kk = std::min(k, m.cols);
	const int64_t n_rows = static_cast<int64_t>(rows.size());
	const int64_t batch = std::min(kScoreBatch, n_rows);
	std::vector<int64_t> cols(static_cast<size_t>(batch * kk)), counts(static_cast<size_t>(batch));
	std::vector<char> listed(static_cast<size_t>(m.cols), 0);
	for (int64_t b = 0; b < n_rows; b += batch)
	{
		const int64_t n = std::min(batch, n_rows - b);
		recommend_rows(m, rows.data() + b, n, kk, train, threads, cols.data(), counts.data(), intr);
		for (int64_t p = 0; p < n; p++)
		{
			const int64_t *list = cols.data() + p * kk;
			const int64_t r0 = rel_ptr[static_cast<size_t>(b + p)];
			const int64_t r1 = rel_ptr[static_cast<size_t>(b + p + 1)];
			const int64_t len = counts[static_cast<size_t>(p)];
			const RankMetrics one = rank_metrics(list, len, k, relevant.data() + r0, r1 - r0);
			s.sum.precision += one.precision;
			s.sum.recall += one.recall;
			s.sum.ndcg += one.ndcg;
			s.sum.ap += one.ap;
			for (int64_t q = 0; q < len; q++)
				listed[static_cast<size_t>(list[q])] = 1;
		}
		poll_interrupts(intr);
	}
	s.rows = n_rows;
	s.listed_cols = static_cast<int64_t>(std::count(listed.begin(), listed.end(), 1));
	return s;
}

RankSums
popularity_score(const NmfMatrixFlat *train, const NmfMatrixFlat *test, int64_t k, int threads,
                 const NmfcInterrupts &intr)
{
	// The popularity list as a rank-1 model: every row's weight 1, a column's
	// its count of stored cells, so that recommend_rows lists (and excludes,
	// and breaks ties) exactly as for a fitted model.
	std::vector<double> ones(static_cast<size_t>(train->rows), 1.0);
	std::vector<double> counts(static_cast<size_t>(train->cols), 0.0);
	const int32_t *col_idx = nmf_matrix_col_idx(train);
	for (int64_t p = 0; p < train->nnz; p++)
		counts[static_cast<size_t>(col_idx[p])] += 1;
	apply::ModelView m;
	m.rows = train->rows;
	m.cols = train->cols;
	m.rank = 1;
	m.row_ids = nmf_matrix_row_ids(train);
	m.col_ids = nmf_matrix_col_ids(train);
	m.w = ones.data();
	m.h = counts.data();
	return rank_score(m, test, train, k, threads, intr);
}

} // namespace serve
} // namespace nmf
