// SPDX-License-Identifier: PostgreSQL
// The kernel sets (simd.hpp): every set this CPU runs gives the same bits as
// the portable one, loop by loop and for whole fits on any thread count.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kernel_loops.hpp"
#include "kernels.hpp"
#include "simd.hpp"
#include "test_util.hpp"

using nmf::simd::Kernels;

namespace
{

// A random CSR matrix (rows x cols, about `per_row` cells a row) whose
// values and factors have full mantissas, so that any change in the order of
// operations, or a fused multiply-add, changes some bits.
struct Sparse
{
	std::vector<int64_t> ptr{0};
	std::vector<int32_t> idx;
	std::vector<double> val;
	nmf::CsrView view{};
};

Sparse
random_csr(int64_t rows, int64_t cols, int per_row, uint64_t seed)
{
	std::mt19937_64 rng(seed);
	std::uniform_int_distribution<int32_t> col(0, static_cast<int32_t>(cols - 1));
	std::uniform_real_distribution<double> u(0.1, 3.0);
	Sparse s;
	for (int64_t i = 0; i < rows; i++)
	{
		std::vector<int32_t> line;
		for (int q = 0; q < per_row; q++)
			line.push_back(col(rng));
		std::sort(line.begin(), line.end());
		line.erase(std::unique(line.begin(), line.end()), line.end());
		for (int32_t j : line)
		{
			s.idx.push_back(j);
			s.val.push_back(u(rng));
		}
		s.ptr.push_back(static_cast<int64_t>(s.idx.size()));
	}
	s.view.rows = rows;
	s.view.cols = cols;
	s.view.nnz = s.ptr.back();
	s.view.row_ptr = s.ptr.data();
	s.view.col_idx = s.idx.data();
	s.view.values = s.val.data();
	return s;
}

Eigen::MatrixXd
random_factor(int64_t r, int64_t count, uint64_t seed)
{
	std::mt19937_64 rng(seed);
	std::uniform_real_distribution<double> u(0.0, 1.0);
	Eigen::MatrixXd f(r, count);
	for (Eigen::Index k = 0; k < f.size(); k++)
		f.data()[k] = u(rng);
	return f;
}

bool
same_bits(const Eigen::MatrixXd &a, const Eigen::MatrixXd &b)
{
	return a.rows() == b.rows() && a.cols() == b.cols() &&
	       std::memcmp(a.data(), b.data(), static_cast<size_t>(a.size()) * sizeof(double)) == 0;
}

const Kernels &
portable()
{
	return *nmf::simd::available().front();
}

// Restores the default choice when a test that selects a set ends.
struct SelectGuard
{
	std::string name = nmf::simd::active().name;
	~SelectGuard()
	{
		nmf::simd::select(name.c_str());
	}
};

} // namespace

TEST(Simd, PortableComesFirstAndTheWidestIsActive)
{
	const auto sets = nmf::simd::available();
	ASSERT_FALSE(sets.empty());
	EXPECT_STREQ(sets.front()->name, "sse2");
	EXPECT_STREQ(nmf::simd::active().name, sets.back()->name);
	EXPECT_FALSE(nmf::simd::select("no such set"));
	EXPECT_GT(nmf::simd::l2_cache_bytes(), 0);
}

// The build asks Eigen for cache-line aligned matrices (the Makefile's
// EIGEN_MAX_ALIGN_BYTES): the gathers load factor rows with vector loads and
// lose ~25 % when the factors start mid-line.
TEST(Simd, FactorsStartOnACacheLine)
{
	for (Eigen::Index cols : {1, 7, 1000})
		for (int k = 0; k < 8; k++)
		{
			const Eigen::MatrixXd f(20, cols + k);
			EXPECT_EQ(reinterpret_cast<uintptr_t>(f.data()) % 64, 0u) << cols + k;
		}
}

// The rows [first, rows) of V H^T, transposed, by the plain scalar loop:
// cells in order, one column at a time.
static Eigen::MatrixXd
scalar_gather(const Sparse &x, const Eigen::MatrixXd &h, int64_t first)
{
	Eigen::MatrixXd out = Eigen::MatrixXd::Zero(h.rows(), x.view.rows - first);
	for (int64_t i = first; i < x.view.rows; i++)
		for (int64_t p = x.ptr[static_cast<size_t>(i)]; p < x.ptr[static_cast<size_t>(i) + 1]; p++)
		{
			const double v = x.val[static_cast<size_t>(p)];
			const int32_t j = x.idx[static_cast<size_t>(p)];
			for (Eigen::Index t = 0; t < h.rows(); t++)
				out(t, i - first) += v * h(t, j);
		}
	return out;
}

// Odd and even counts of columns, so that gathers running columns side by
// side also end on a lone one.
TEST(Simd, GatherAndScatterGiveTheScalarBitsAtEveryRank)
{
	const Sparse x = random_csr(90, 70, 9, 1);
	for (int r = 1; r <= nmf::simd::kFixedRankMax; r++)
	{
		const Eigen::MatrixXd h = random_factor(r, x.view.cols, 10 + static_cast<uint64_t>(r));
		const Eigen::MatrixXd w = random_factor(r, x.view.rows, 50 + static_cast<uint64_t>(r));
		Eigen::MatrixXd s0 = Eigen::MatrixXd::Zero(r, x.view.cols);
		portable().scatter[static_cast<size_t>(r)](x.view, w.data(), 0,
		                                           static_cast<int32_t>(x.view.cols), s0.data());
		for (int64_t first : {0, 3})
		{
			const Eigen::MatrixXd g0 = scalar_gather(x, h, first);
			for (const Kernels *k : nmf::simd::available())
			{
				Eigen::MatrixXd g = Eigen::MatrixXd::Zero(r, x.view.rows - first);
				k->gather[static_cast<size_t>(r)](x.ptr.data(), x.idx.data(), x.val.data(), first,
				                                  x.view.rows, h.data(), g.data());
				EXPECT_TRUE(same_bits(g, g0)) << k->name << ", rank " << r << ", from " << first;
			}
		}
		for (const Kernels *k : nmf::simd::available())
		{
			Eigen::MatrixXd s = Eigen::MatrixXd::Zero(r, x.view.cols);
			k->scatter[static_cast<size_t>(r)](x.view, w.data(), 0,
			                                   static_cast<int32_t>(x.view.cols), s.data());
			EXPECT_TRUE(same_bits(s, s0)) << k->name << ", rank " << r;
		}
	}
}

// A line of the sparse KL half gives, in every set and at every rank, the
// bits of the plain loop: per cell in order, wh = o . f, num += v / wh o and
// (masked) den += o; a cell whose o is zero takes eps for wh.
TEST(Simd, KlLinesGiveTheScalarBitsAtEveryRank)
{
	const Sparse x =
	    random_csr(1, 300, 37, 3); // one line of 37 cells or so: 4 at a time, and a tail
	const double eps = 1e-3;
	for (int r = 1; r <= nmf::simd::kFixedRankMax; r++)
	{
		Eigen::MatrixXd o = random_factor(r, x.view.cols, 70 + static_cast<uint64_t>(r));
		o.col(x.idx[5]).setZero();
		const Eigen::MatrixXd f = random_factor(r, 1, 90 + static_cast<uint64_t>(r));
		const int64_t n = x.ptr[1];
		for (bool masked : {false, true})
		{
			Eigen::MatrixXd num0 = Eigen::MatrixXd::Zero(r, 1);
			Eigen::MatrixXd den0 = random_factor(r, 1, 5);
			const Eigen::MatrixXd den_start = den0;
			for (int64_t c = 0; c < n; c++)
			{
				const double *oc =
				    o.data() + static_cast<int64_t>(x.idx[static_cast<size_t>(c)]) * r;
				double wh = 0.0;
				for (int t = 0; t < r; t++)
					wh += oc[t] * f(t);
				const double ratio = x.val[static_cast<size_t>(c)] / (wh == 0.0 ? eps : wh);
				for (int t = 0; t < r; t++)
				{
					num0(t) += ratio * oc[t];
					if (masked)
						den0(t) += oc[t];
				}
			}
			for (const Kernels *k : nmf::simd::available())
			{
				Eigen::MatrixXd num = Eigen::MatrixXd::Zero(r, 1);
				Eigen::MatrixXd den = den_start;
				(masked ? k->kl_line_masked : k->kl_line)[static_cast<size_t>(r)](
				    x.idx.data(), x.val.data(), n, o.data(), f.data(), eps, num.data(),
				    masked ? den.data() : nullptr);
				EXPECT_TRUE(same_bits(num, num0) && same_bits(den, masked ? den0 : den_start))
				    << k->name << ", rank " << r << (masked ? ", masked" : "");
			}
		}
	}
}

// A dense gather (V column-major, every cell) gives the bits of the gather
// over the CSC of the same cells, zeros included or left out, in every set.
TEST(Simd, DenseGatherGivesTheCellGatherBitsAtEveryRank)
{
	const int64_t m = 37, n = 29;
	std::mt19937_64 rng(3);
	std::uniform_real_distribution<double> u(0.0, 3.0);
	Eigen::MatrixXd v(m, n);
	for (Eigen::Index k = 0; k < v.size(); k++)
		v.data()[k] = k % 5 == 0 ? 0.0 : u(rng);
	// V's columns as CSR rows of V^T, zeros left out.
	Sparse t;
	for (int64_t j = 0; j < n; j++)
	{
		for (int64_t i = 0; i < m; i++)
			if (v(i, j) != 0.0)
			{
				t.idx.push_back(static_cast<int32_t>(i));
				t.val.push_back(v(i, j));
			}
		t.ptr.push_back(static_cast<int64_t>(t.idx.size()));
	}
	for (int r = 1; r <= nmf::simd::kFixedRankMax; r++)
	{
		const Eigen::MatrixXd w = random_factor(r, m, 90 + static_cast<uint64_t>(r));
		for (int64_t first : {0, 4})
		{
			Eigen::MatrixXd g0 = Eigen::MatrixXd::Zero(r, n - first);
			portable().gather[static_cast<size_t>(r)](t.ptr.data(), t.idx.data(), t.val.data(),
			                                          first, n, w.data(), g0.data());
			for (const Kernels *k : nmf::simd::available())
			{
				Eigen::MatrixXd g = Eigen::MatrixXd::Zero(r, n - first);
				k->dense_gather[static_cast<size_t>(r)](v.data(), m, first, n, w.data(), g.data());
				EXPECT_TRUE(same_bits(g, g0)) << k->name << ", rank " << r << ", from " << first;
			}
		}
	}
}

// The comparison above can fail: a fused multiply-add, as g++ emits for
// AVX-512 unless told not to, gives other bits on these data.
TEST(Simd, TheDataTellFusedFromSeparateMultiplyAdd)
{
	const Sparse x = random_csr(90, 70, 9, 1);
	const int r = 20;
	const Eigen::MatrixXd h = random_factor(r, x.view.cols, 30);
	Eigen::MatrixXd g = Eigen::MatrixXd::Zero(r, x.view.rows);
	portable().gather[r](x.ptr.data(), x.idx.data(), x.val.data(), 0, x.view.rows, h.data(),
	                     g.data());
	int differ = 0;
	for (int64_t i = 0; i < x.view.rows; i++)
		for (int t = 0; t < r; t++)
		{
			double fused = 0.0;
			for (int64_t p = x.ptr[static_cast<size_t>(i)]; p < x.ptr[static_cast<size_t>(i) + 1];
			     p++)
				fused = std::fma(x.val[static_cast<size_t>(p)], h(t, x.idx[static_cast<size_t>(p)]),
				                 fused);
			differ += fused != g(t, i);
		}
	EXPECT_GT(differ, 0);
}

// The sweeps: ranks on both sides of the specialised ones, column counts
// that fill the lanes and that leave a last, partial group.
TEST(Simd, CoordinateSweepsGiveThePortableBits)
{
	for (int64_t r : {1, 3, 20, 45})
		for (int64_t count :
		     {int64_t(1), int64_t(8), int64_t(16), int64_t(32), int64_t(37), int64_t(70)})
		{
			Eigen::MatrixXd g = random_factor(r, r + 3, 7);
			g = g * g.transpose();
			if (r > 2)
				g(1, 1) = 0.0; // a coordinate without curvature is skipped
			const Eigen::MatrixXd b = random_factor(r, count, 8) * 3.0;
			const Eigen::MatrixXd f_in = random_factor(r, count, 9);
			std::vector<double> scratch(static_cast<size_t>(2 * r * nmf::loops::kSweepLanesMax));
			Eigen::MatrixXd f0 = f_in;
			portable().cd_sweep_columns(g.data(), r, b.data(), 0.25, f0.data(), count,
			                            scratch.data());
			// One column at a time gives the same bits as side by side.
			Eigen::MatrixXd alone = f_in;
			for (int64_t c = 0; c < count; c++)
				portable().cd_sweep_columns(g.data(), r, b.data() + c * r, 0.25,
				                            alone.data() + c * r, 1, scratch.data());
			EXPECT_TRUE(same_bits(alone, f0)) << "rank " << r << ", " << count << " columns";
			EXPECT_FALSE(same_bits(f0, f_in));
			for (const Kernels *k : nmf::simd::available())
			{
				Eigen::MatrixXd f = f_in;
				k->cd_sweep_columns(g.data(), r, b.data(), 0.25, f.data(), count, scratch.data());
				EXPECT_TRUE(same_bits(f, f0))
				    << k->name << ", rank " << r << ", " << count << " columns";
			}
		}
}

TEST(Simd, MultiplicativeUpdatesGiveTheScalarBits)
{
	const int64_t n = 203;
	const Eigen::MatrixXd num = random_factor(1, n, 1);
	Eigen::MatrixXd den = random_factor(1, n, 2);
	den(0, 5) = 0.0; // a zero denominator becomes eps
	const Eigen::MatrixXd f_in = random_factor(1, n, 3);
	Eigen::MatrixXd f0 = f_in;
	portable().multiply_update(f0.data(), num.data(), den.data(), n, 0.0, 0.0, 1e-3);
	EXPECT_EQ(f0(0, 5), f_in(0, 5) * (num(0, 5) / 1e-3));
	for (double l1 : {0.0, 0.5})
		for (const Kernels *k : nmf::simd::available())
		{
			Eigen::MatrixXd f = f_in, ref = f_in;
			for (int64_t i = 0; i < n; i++) // the plain scalar loop
			{
				const double d = den(0, i) + l1 + 0.1 * f_in(0, i);
				ref(0, i) = f_in(0, i) * (num(0, i) / (d == 0.0 ? 1e-3 : d));
			}
			k->multiply_update(f.data(), num.data(), den.data(), n, l1, 0.1, 1e-3);
			EXPECT_TRUE(same_bits(f, ref)) << k->name << ", l1 " << l1;
		}
}

TEST(Simd, DenseLineWeightsGiveTheScalarBits)
{
	const int64_t n = 203;
	const Eigen::MatrixXd v = random_factor(1, n, 4);
	Eigen::MatrixXd y_in = random_factor(1, n, 5);
	y_in(0, 7) = 0.0; // a zero W H takes the given values (kl: eps)
	Eigen::MatrixXd v0 = v;
	v0(0, 9) = 0.0; // a zero V gives a zero KL weight
	// The plain scalar loops (the sets run them as vectors).
	Eigen::MatrixXd y_is = y_in, z_is(1, n), y_kl = y_in;
	for (int64_t i = 0; i < n; i++)
	{
		const double yi = y_in(0, i);
		y_is(0, i) = yi == 0.0 ? 5.0 : 1.0 / yi;
		z_is(0, i) = yi == 0.0 ? v(0, i) * 3.0 : v(0, i) * (y_is(0, i) / yi);
		y_kl(0, i) = v0(0, i) == 0.0 ? 0.0 : v0(0, i) / (yi == 0.0 ? 1e-3 : yi);
	}
	EXPECT_EQ(y_is(0, 7), 5.0);
	EXPECT_EQ(z_is(0, 7), v(0, 7) * 3.0);
	EXPECT_EQ(y_is(0, 1), 1.0 / y_in(0, 1));
	EXPECT_EQ(z_is(0, 1), v(0, 1) * (y_is(0, 1) / y_in(0, 1)));
	EXPECT_EQ(y_kl(0, 7), v0(0, 7) / 1e-3);
	EXPECT_EQ(y_kl(0, 9), 0.0);
	for (const Kernels *k : nmf::simd::available())
	{
		Eigen::MatrixXd y = y_in, z(1, n), yk = y_in;
		k->is_weights(v.data(), y.data(), z.data(), n, 3.0, 5.0);
		k->kl_ratios(v0.data(), yk.data(), n, 1e-3);
		EXPECT_TRUE(same_bits(y, y_is) && same_bits(z, z_is)) << k->name << ": is_weights";
		EXPECT_TRUE(same_bits(yk, y_kl)) << k->name << ": kl_ratios";
	}
}

// Whole fits under each set, on 1 and 2 threads, against the portable set on one.
TEST(Simd, FitsAreBitIdenticalUnderEverySet)
{
	SelectGuard guard;
	const nmf_test::Image x = nmf_test::random_sparse(700, 400, 0.02, 17, nullptr);
	struct Case
	{
		int solver, loss, missing;
	};
	for (const Case &c : {Case{NMF_SOLVER_HALS, NMF_LOSS_FROBENIUS, NMF_MISSING_ZERO},
	                      Case{NMF_SOLVER_HALS, NMF_LOSS_FROBENIUS, NMF_MISSING_IGNORE},
	                      Case{NMF_SOLVER_MU, NMF_LOSS_FROBENIUS, NMF_MISSING_ZERO},
	                      Case{NMF_SOLVER_MU, NMF_LOSS_FROBENIUS, NMF_MISSING_IGNORE},
	                      Case{NMF_SOLVER_MU, NMF_LOSS_KL, NMF_MISSING_ZERO},
	                      Case{NMF_SOLVER_MU, NMF_LOSS_KL, NMF_MISSING_IGNORE},
	                      Case{NMF_SOLVER_GD, NMF_LOSS_FROBENIUS, NMF_MISSING_ZERO},
	                      Case{NMF_SOLVER_GD, NMF_LOSS_FROBENIUS, NMF_MISSING_IGNORE}})
	{
		NmfcOptions opt;
		nmfc_options_default(&opt, 12);
		opt.solver = c.solver;
		opt.loss = c.loss;
		opt.missing = c.missing;
		opt.max_iter = 5;
		opt.tol = 0;
		opt.threads = 1;
		ASSERT_TRUE(nmf::simd::select("sse2"));
		NmfcSummary s0;
		Eigen::MatrixXd w0, h0;
		nmf_test::model_factors(nmf_test::fit_model(x, opt, &s0), &w0, &h0);
		for (const Kernels *k : nmf::simd::available())
			for (int threads : {1, 2})
			{
				ASSERT_TRUE(nmf::simd::select(k->name));
				opt.threads = threads;
				NmfcSummary s;
				Eigen::MatrixXd w, h;
				nmf_test::model_factors(nmf_test::fit_model(x, opt, &s), &w, &h);
				EXPECT_TRUE(same_bits(w, w0) && same_bits(h, h0))
				    << k->name << ", solver " << c.solver << ", loss " << c.loss << ", missing "
				    << c.missing << ", " << threads << " threads";
				EXPECT_EQ(s.loss, s0.loss);
			}
	}
}
