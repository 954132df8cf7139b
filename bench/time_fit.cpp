// SPDX-License-Identifier: PostgreSQL
// Seconds per iteration of the core's solvers, without PostgreSQL: a quick
// stand-alone timing for kernel work (not part of the extension, not a test).
//
//   g++ -std=c++17 -O2 -ffp-contract=off -DEIGEN_NO_DEBUG -DEIGEN_MAX_ALIGN_BYTES=64 -isystem
//   /usr/include/eigen3
//       -Isrc/core bench/time_fit.cpp src/core/*.cpp -pthread -o /tmp/time_fit
//   [NMF_SIMD=sse2|avx2|avx512] /tmp/time_fit [rows cols nnz rank iterations threads...]
//
// NMF_MATRIX_CSV=file reads the matrix from a gen_synthetic.py CSV instead
// (rows, cols and nnz are then ignored). NMF_LOSS=kl or NMF_LOSS=BETA (a
// number: loss 'beta') times solver mu on that loss instead of the
// frobenius solvers. NMF_MASKED_REG=reg fits the stored cells only
// (missing 'ignore') with biases and that count-scaled ridge. NMF_INNER_UPDATES=k
// sets inner_updates; NMF_NNDSVDA=1 starts from nndsvda (else random). Defaults: a seeded random
// 10,000 x 5,000 matrix with 1,000,000 stored cells, rank 20, 20 iterations, threads 1 and 2;
// prints one line per solver and thread count (median over 3 fits of the seconds per iteration, and
// of the CPU seconds of all threads, steadier on a loaded machine) and the final loss, which must
// not depend on the thread count nor on NMF_SIMD (the kernels' instruction set; by default the
// widest the CPU has).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <random>
#include <vector>

#include "bench_util.hpp"
#include "nmf_api.h"
#include "simd.hpp"

namespace
{

struct Csr
{
	int64_t rows = 0, cols = 0;
	std::vector<int64_t> ptr;
	std::vector<int32_t> idx;
	std::vector<double> val;
};

Csr
random_matrix(int64_t rows, int64_t cols, int64_t nnz)
{
	Csr x;
	x.rows = rows;
	x.cols = cols;
	std::mt19937_64 gen(42);
	std::uniform_int_distribution<int32_t> col(0, static_cast<int32_t>(cols - 1));
	std::uniform_real_distribution<double> value(0.5, 5.0);
	const int64_t per_row = nnz / rows;
	x.ptr.push_back(0);
	std::vector<int32_t> line;
	for (int64_t i = 0; i < rows; i++)
	{
		line.clear();
		for (int64_t q = 0; q < per_row; q++)
			line.push_back(col(gen));
		std::sort(line.begin(), line.end());
		line.erase(std::unique(line.begin(), line.end()), line.end());
		for (int32_t j : line)
		{
			x.idx.push_back(j);
			x.val.push_back(value(gen));
		}
		x.ptr.push_back(static_cast<int64_t>(x.idx.size()));
	}
	return x;
}

// A triplet CSV 'row_id,col_id,value' with a header line and 1-based ids
// sorted by (row, col), as ../shared/peers/gen_synthetic.py writes it.
Csr
csv_matrix(const char *path)
{
	Csr x;
	FILE *f = std::fopen(path, "r");
	if (f == nullptr)
	{
		std::perror(path);
		std::exit(1);
	}
	char line[256];
	if (std::fgets(line, sizeof line, f) == nullptr)
		std::exit(1);
	long long r, c;
	double v;
	x.ptr.push_back(0);
	while (std::fscanf(f, "%lld,%lld,%lf", &r, &c, &v) == 3)
	{
		while (x.rows < r)
		{
			if (x.rows > 0)
				x.ptr.push_back(static_cast<int64_t>(x.idx.size()));
			x.rows++;
		}
		x.cols = std::max<int64_t>(x.cols, c);
		x.idx.push_back(static_cast<int32_t>(c - 1));
		x.val.push_back(v);
	}
	x.ptr.push_back(static_cast<int64_t>(x.idx.size()));
	std::fclose(f);
	return x;
}

// NMF_LOSS's loss and beta (frobenius when unset).
void
set_loss(NmfcOptions *opt)
{
	const char *loss = std::getenv("NMF_LOSS");
	if (loss == nullptr)
		return;
	if (std::strcmp(loss, "kl") == 0)
		opt->loss = NMF_LOSS_KL;
	else
	{
		opt->loss = NMF_LOSS_BETA;
		opt->beta = std::atof(loss);
	}
}

bool
time_fit(const Csr &x, int solver, int64_t rank, int iterations, int threads, double *per_iter,
         double *cpu_per_iter, double *loss)
{
	NmfcMatrixView v{x.rows,       x.cols,       x.ptr.back(), x.ptr.data(),
	                 x.idx.data(), x.val.data(), nullptr,      nullptr};
	NmfcOptions opt;
	nmfc_options_default(&opt, rank);
	opt.solver = solver;
	set_loss(&opt);
	if (const char *inner = std::getenv("NMF_INNER_UPDATES"))
		opt.inner_updates = std::atoi(inner);
	if (std::getenv("NMF_NNDSVDA") != nullptr)
		opt.init = NMF_INIT_NNDSVDA;
	opt.max_iter = iterations;
	opt.tol = 0;
	if (const char *reg = std::getenv("NMF_MASKED_REG"))
	{
		opt.missing = NMF_MISSING_IGNORE;
		opt.bias = 1;
		opt.reg = std::atof(reg);
	}
#ifndef NO_THREADS
	opt.threads = threads;
#else
	(void)threads;
#endif
	NmfcInterrupts intr{{nullptr, nullptr}};
	NmfcFit *fit = nullptr;
	NmfcError err;
	if (nmfc_fit_create(&v, &opt, &intr, &fit, &err) != NMFC_OK)
	{
		std::fprintf(stderr, "create: %s\n", err.message);
		return false;
	}
	int done = 0;
	const auto t0 = std::chrono::steady_clock::now();
	const std::clock_t c0 = std::clock();
	while (!done)
		if (nmfc_fit_step(fit, &done, &err) != NMFC_OK)
		{
			std::fprintf(stderr, "step: %s\n", err.message);
			return false;
		}
	const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
	const double cpu = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
	NmfcSummary sum;
	nmfc_fit_summary(fit, &sum);
	*per_iter = s / sum.iterations;
	*cpu_per_iter = cpu / sum.iterations;
	*loss = sum.loss;
	nmfc_fit_free(fit);
	return true;
}

} // namespace

int
main(int argc, char **argv)
{
	const int64_t rows = argc > 1 ? std::atoll(argv[1]) : 10000;
	const int64_t cols = argc > 2 ? std::atoll(argv[2]) : 5000;
	const int64_t nnz = argc > 3 ? std::atoll(argv[3]) : 1000000;
	const int64_t rank = argc > 4 ? std::atoll(argv[4]) : 20;
	const int iterations = argc > 5 ? std::atoi(argv[5]) : 20;
	const std::vector<int> threads = thread_counts(argc, argv, 6);
	if (const char *isa = std::getenv("NMF_SIMD"); isa != nullptr && !nmf::simd::select(isa))
	{
		std::fprintf(stderr, "NMF_SIMD=%s: no such kernels on this CPU\n", isa);
		return 1;
	}
	const char *csv = std::getenv("NMF_MATRIX_CSV");
	const Csr x = csv != nullptr ? csv_matrix(csv) : random_matrix(rows, cols, nnz);
	std::printf("matrix %lld x %lld, %lld stored, rank %lld, %d iterations, kernels %s\n",
	            static_cast<long long>(x.rows), static_cast<long long>(x.cols),
	            static_cast<long long>(x.ptr.back()), static_cast<long long>(rank), iterations,
	            nmf::simd::active().name);
	const std::vector<int> solvers = std::getenv("NMF_LOSS") != nullptr
	                                     ? std::vector<int>{NMF_SOLVER_MU}
	                                     : std::vector<int>{NMF_SOLVER_HALS, NMF_SOLVER_MU};
	for (int solver : solvers)
		for (int t : threads)
		{
			std::vector<double> times, cpus;
			double loss = 0;
			for (int rep = 0; rep < 3; rep++)
			{
				double s = 0, cpu = 0;
				if (!time_fit(x, solver, rank, iterations, t, &s, &cpu, &loss))
					return 1;
				times.push_back(s);
				cpus.push_back(cpu);
			}
			std::sort(times.begin(), times.end());
			std::sort(cpus.begin(), cpus.end());
			std::printf("%-4s threads %d: %.4f s/iteration (min %.4f; cpu %.4f), loss %.17g\n",
			            nmfc_solver_name(solver), t, times[1], times[0], cpus[1], loss);
		}
	return 0;
}
