// SPDX-License-Identifier: PostgreSQL
// Entry points of the inits, losses and solvers the fit drives.
#ifndef NMF_SOLVERS_HPP
#define NMF_SOLVERS_HPP

#include "kernels.hpp"
#include "nmf_api.h"
#include "sparse.hpp"

namespace nmf
{

namespace init
{

// Seeded random factors scaled to the data, as scikit-learn's init='random'.
void random(const CsrView &v, int64_t seed, Matrix &w, Matrix &h, const NmfcInterrupts &intr);

} // namespace init

namespace solver
{

// ||V - W H||^2 of the current factors; leaves ws.gram_w and ws.gram_h set.
double frobenius_loss(const CsrView &v, const Matrix &w, const Matrix &h, double x_norm_sq,
                      Workspace &ws, const NmfcInterrupts &intr);

// One Lee & Seung iteration (H, then W); expects ws.gram_w = W^T W of the
// current W, leaves it for the next iteration, and returns the new loss.
double mu_frobenius_iteration(const CsrView &v, const CscMatrix &vt, const NmfcOptions &opt,
                              double x_norm_sq, Matrix &w, Matrix &h, Workspace &ws,
                              const NmfcInterrupts &intr);

} // namespace solver

} // namespace nmf

#endif
