// SPDX-License-Identifier: PostgreSQL
// The leading singular triplets of the sparse training matrix.
#ifndef NMF_SVD_HPP
#define NMF_SVD_HPP

#include "solvers.hpp"

namespace nmf
{

// V ~ U diag(s) V^T over the leading r triplets, s descending; u is m x r,
// v is n x r: scikit-learn's randomized_svd(V, r, random_state = opt.seed),
// step for step (svd.cpp). Signs as its svd_flip: the entry of largest
// magnitude in each column of U (the first, on ties) is positive. Runs on
// opt.threads lanes with the same bits for any count; polls p.intr.
void truncated_svd(const Problem &p, int64_t r, Matrix &u, Eigen::VectorXd &s, Matrix &v);

// Bytes truncated_svd allocates for an m x n matrix at rank r.
int64_t truncated_svd_bytes(int64_t m, int64_t n, int64_t r) noexcept;

} // namespace nmf

#endif
