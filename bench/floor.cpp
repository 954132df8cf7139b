// SPDX-License-Identifier: PostgreSQL
// How fast can one sparse NMF iteration go on this machine? A stand-alone
// driver (no PostgreSQL, not part of the extension) for bench/RESULTS.md:
//
//   g++ -std=c++17 -O2 -pthread bench/floor.cpp -o bench/data/floor
//   bench/data/floor bench/data/synth_M.csv 20
//
// It reads the triplets (row_id,col_id,value, 1-based, sorted by row), keeps
// them as CSR and CSC (int32 index + double value, as the extension does), and
// times the two sparse products of an iteration, X Hᵀ over the rows (gathering
// H's columns) and Wᵀ X over the columns (gathering W's rows), factors stored
// one r-vector per row/column as in the extension:
//
//   stream   read every value and index once per pass: the bandwidth floor
//   scalar   out[t] += v * f[t] with r known only at run time, accumulating in
//            the output block (the loop shape of the foundation's gather)
//   fixed    r a compile-time constant, accumulating in a local array the
//            compiler keeps in registers (SSE2, the portable baseline)
//   avx2     the same with AVX2 + FMA enabled for this one function
//   fixed×2  "fixed" on two threads, each half of the rows / columns
//
// and, one pass at a time, "fixed" over the CSR (X Hᵀ) and over the CSC (Wᵀ X),
// and Wᵀ X computed from the CSR instead, scattering each row's W vector into
// the n x r result ("scatter": W streamed once, the small result in cache).
//
// Each figure is the best of 5 of (CSR pass + CSC pass) in seconds: the
// products' share of one iteration (the Gram products and updates are
// O((m + n) r²) more). One JSON line on stdout.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <thread>
#include <vector>

#include "bench_util.hpp"

namespace
{

struct Sparse
{
	int64_t n = 0; // outer dimension (rows of CSR, columns of CSC)
	std::vector<int64_t> ptr;
	std::vector<int32_t> idx;
	std::vector<double> val;
};

double
seconds(const std::function<void()> &f)
{
	double best = 1e300;
	for (int rep = 0; rep < 5; rep++)
	{
		const auto t0 = std::chrono::steady_clock::now();
		f();
		best = std::min(
		    best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
	}
	return best;
}

volatile double sink;

void
stream(const Sparse &x)
{
	double s = 0;
	int64_t k = 0;
	for (int64_t p = 0; p < x.ptr[x.n]; p++)
	{
		s += x.val[p];
		k += x.idx[p];
	}
	sink = s + static_cast<double>(k);
}

// out (r x n) = for each outer k: sum over its cells of v * f.col(idx)
void
scalar(const Sparse &x, const double *f, int64_t r, double *out)
{
	for (int64_t k = 0; k < x.n; k++)
	{
		double *o = out + k * r;
		std::fill(o, o + r, 0.0);
		for (int64_t p = x.ptr[k]; p < x.ptr[k + 1]; p++)
		{
			const double v = x.val[p];
			const double *src = f + static_cast<int64_t>(x.idx[p]) * r;
			for (int64_t t = 0; t < r; t++)
				o[t] += v * src[t];
		}
	}
}

// The gather of rows k0..k1 at a fixed rank, inlined into each instruction set's copy.
template <int R>
__attribute__((always_inline)) inline void
gather_range(const Sparse &x, const double *__restrict f, double *__restrict out, int64_t k0,
             int64_t k1)
{
	for (int64_t k = k0; k < k1; k++)
	{
		double acc[R] = {};
		for (int64_t p = x.ptr[k]; p < x.ptr[k + 1]; p++)
		{
			const double v = x.val[p];
			const double *__restrict src = f + static_cast<int64_t>(x.idx[p]) * R;
			for (int t = 0; t < R; t++)
				acc[t] += v * src[t];
		}
		std::copy(acc, acc + R, out + k * R);
	}
}

template <int R>
void
fixed_range(const Sparse &x, const double *__restrict f, double *__restrict out, int64_t k0,
            int64_t k1)
{
	gather_range<R>(x, f, out, k0, k1);
}

template <int R>
__attribute__((target("avx2,fma"))) void
avx2_range(const Sparse &x, const double *__restrict f, double *__restrict out, int64_t k0,
           int64_t k1)
{
	gather_range<R>(x, f, out, k0, k1);
}

// Wᵀ X from the CSR: each row's W vector is read once, in order, and scattered
// into the n x r output (H's size: it stays in cache where W would not).
template <int R>
void
scatter(const Sparse &x, const double *__restrict f, double *__restrict out, int64_t n)
{
	std::fill(out, out + n * R, 0.0);
	for (int64_t k = 0; k < x.n; k++)
	{
		const double *__restrict w = f + k * R;
		for (int64_t p = x.ptr[k]; p < x.ptr[k + 1]; p++)
		{
			const double v = x.val[p];
			double *__restrict o = out + static_cast<int64_t>(x.idx[p]) * R;
			for (int t = 0; t < R; t++)
				o[t] += v * w[t];
		}
	}
}

template <int R>
void
two_threads(const Sparse &x, const double *f, double *out)
{
	std::thread t([&] { fixed_range<R>(x, f, out, 0, x.n / 2); });
	fixed_range<R>(x, f, out, x.n / 2, x.n);
	t.join();
}

Sparse
transpose(const Sparse &x, int64_t cols)
{
	Sparse t;
	t.n = cols;
	t.ptr.assign(static_cast<size_t>(cols) + 1, 0);
	for (int32_t c : x.idx)
		t.ptr[static_cast<size_t>(c) + 1]++;
	for (int64_t c = 0; c < cols; c++)
		t.ptr[c + 1] += t.ptr[c];
	t.idx.resize(x.idx.size());
	t.val.resize(x.val.size());
	std::vector<int64_t> next(t.ptr.begin(), t.ptr.end() - 1);
	for (int64_t k = 0; k < x.n; k++)
		for (int64_t p = x.ptr[k]; p < x.ptr[k + 1]; p++)
		{
			const int64_t q = next[x.idx[p]]++;
			t.idx[q] = static_cast<int32_t>(k);
			t.val[q] = x.val[p];
		}
	return t;
}

template <int R>
int
run(const Sparse &csr, int64_t cols)
{
	const Sparse csc = transpose(csr, cols);
	const int64_t m = csr.n, n = cols, nnz = csr.ptr[m];
	std::mt19937_64 g(1);
	std::uniform_real_distribution<double> u(0.0, 1.0);
	std::vector<double> w(static_cast<size_t>(m * R)), h(static_cast<size_t>(n * R));
	for (double &x : w)
		x = u(g);
	for (double &x : h)
		x = u(g);
	std::vector<double> xh(static_cast<size_t>(m * R)), wx(static_cast<size_t>(n * R));
	const double t_stream = seconds([&] {
		stream(csr);
		stream(csc);
	});
	const double t_scalar = seconds([&] {
		scalar(csr, h.data(), R, xh.data());
		scalar(csc, w.data(), R, wx.data());
	});
	const double t_fixed = seconds([&] {
		fixed_range<R>(csr, h.data(), xh.data(), 0, m);
		fixed_range<R>(csc, w.data(), wx.data(), 0, n);
	});
	const double t_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")
	                          ? seconds([&] {
		                            avx2_range<R>(csr, h.data(), xh.data(), 0, m);
		                            avx2_range<R>(csc, w.data(), wx.data(), 0, n);
	                            })
	                          : -1;
	const double t_fixed_csr = seconds([&] { fixed_range<R>(csr, h.data(), xh.data(), 0, m); });
	const double t_fixed_csc = seconds([&] { fixed_range<R>(csc, w.data(), wx.data(), 0, n); });
	const double t_scatter = seconds([&] { scatter<R>(csr, w.data(), wx.data(), n); });
	const double t_two = seconds([&] {
		two_threads<R>(csr, h.data(), xh.data());
		two_threads<R>(csc, w.data(), wx.data());
	});
	const double bytes = 2.0 * static_cast<double>(nnz) * (sizeof(int32_t) + sizeof(double));
	std::printf("{\"rows\": %lld, \"cols\": %lld, \"nnz\": %lld, \"rank\": %d, \"stream_s\": %.5f, "
	            "\"stream_gbs\": %.2f, \"scalar_s\": %.5f, \"fixed_s\": %.5f, \"avx2_s\": %.5f, "
	            "\"fixed_2threads_s\": %.5f, \"fixed_xht_csr_s\": %.5f, \"fixed_wtx_csc_s\": %.5f, "
	            "\"wtx_by_csr_scatter_s\": %.5f, \"gflop_both_passes\": %.3f}\n",
	            static_cast<long long>(m), static_cast<long long>(n), static_cast<long long>(nnz),
	            R, t_stream, bytes / t_stream / 1e9, t_scalar, t_fixed, t_avx2, t_two, t_fixed_csr,
	            t_fixed_csc, t_scatter, 2.0 * 2.0 * static_cast<double>(nnz) * R / 1e9);
	return 0;
}

} // namespace

int
main(int argc, char **argv)
{
	if (!has_args(argc, argv, 3, "TRIPLETS.csv RANK(10|20)"))
		return 2;
	FILE *in = std::fopen(argv[1], "r");
	if (!in)
	{
		std::perror(argv[1]);
		return 1;
	}
	std::fscanf(in, "%*[^\n]\n"); // header
	Sparse csr;
	long long i, j;
	double v;
	int64_t cols = 0;
	std::vector<int64_t> count;
	while (std::fscanf(in, "%lld,%lld,%lf\n", &i, &j, &v) == 3)
	{
		if (static_cast<int64_t>(count.size()) < i)
			count.resize(static_cast<size_t>(i), 0);
		count[static_cast<size_t>(i - 1)]++;
		csr.idx.push_back(static_cast<int32_t>(j - 1));
		csr.val.push_back(v);
		cols = std::max<int64_t>(cols, j);
	}
	std::fclose(in);
	csr.n = static_cast<int64_t>(count.size());
	csr.ptr.assign(count.size() + 1, 0);
	for (size_t k = 0; k < count.size(); k++)
		csr.ptr[k + 1] = csr.ptr[k] + count[k];
	const int r = std::atoi(argv[2]);
	if (r == 10)
		return run<10>(csr, cols);
	if (r == 20)
		return run<20>(csr, cols);
	std::fprintf(stderr, "rank must be 10 or 20\n");
	return 2;
}
