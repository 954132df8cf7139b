// SPDX-License-Identifier: PostgreSQL
// A factorization in progress: the data, the factors, the scratch and the
// record of the iterations so far. The glue drives it one step at a time.
#ifndef NMF_FIT_HPP
#define NMF_FIT_HPP

#include <cstddef>
#include <vector>

#include "bias.hpp"
#include "kernels.hpp"
#include "nmf_api.h"
#include "solvers.hpp"
#include "sparse.hpp"

namespace nmf
{

class Fit
{
  public:
	// Throws InvalidArgument (or LimitExceeded) naming the first bad option.
	static void validate(const CsrView &x, const NmfcOptions &opt);
	static void validate_combinations(const CsrView &x, const NmfcOptions &opt);

	// Bytes a fit of x with opt allocates; saturates at INT64_MAX.
	static int64_t memory(const CsrView &x, const NmfcOptions &opt) noexcept;

	// Validates, builds the transpose and initialises the factors.
	Fit(const CsrView &x, const NmfcOptions &opt, const NmfcInterrupts &intr);

	// One iteration and the stopping rule; returns done(). After an exception
	// the factors may be half updated, so the fit refuses to go on.
	bool step();

	bool
	done() const noexcept
	{
		return done_;
	}

	NmfcSummary summary() const noexcept;

	// Normalised, ordered model image into flat (model_size bytes); the fit
	// itself is left unchanged.
	void write_model(const int64_t *row_ids, const int64_t *col_ids, void *flat, size_t size) const;

  private:
	// Iterations between two checks of the convergence rule.
	static constexpr int32_t kCheckEvery = 10;

	// Columns of the stored gradient: max(m, n) for solver gd, else none.
	static int64_t grad_columns(const CsrView &x, const NmfcOptions &opt) noexcept;

	// Columns of ws.products: V's for hals and mu (frobenius, zero), else none.
	static int64_t product_columns(const CsrView &x, const NmfcOptions &opt) noexcept;

	// Threads of the iterations: opt.threads, or the default for 0.
	static int lanes(const NmfcOptions &opt) noexcept;

	void update_stopping();

	// Block sweeps of the biases alone before the first iteration.
	static constexpr int kBiasStartSweeps = 20;
	void start_biases();

	void initialise();
	double final_frobenius();
	double iterate();

	CscMatrix xt_;
	Problem p_;
	const double *values_ = nullptr; // V's values; p_.x.values is the residual when biased
	BiasFit bias_;                   // opt.bias only

	Matrix w_; // r x m: column i is row i of W
	Matrix h_; // r x n: column j is column j of H
	Workspace ws_;
	std::vector<double> loss_history_;
	std::vector<double> seconds_history_;
	double loss_ = 0.0;      // after the last iteration (before the first: of the init)
	double frobenius_ = 0.0; // ||V - W H||^2 over the counted cells, set when done
	double initial_loss_ = 0.0;
	double seconds_ = 0.0;
	int32_t iterations_ = 0;
	bool converged_ = false;
	bool done_ = false;
	bool broken_ = false;
};

} // namespace nmf

#endif
