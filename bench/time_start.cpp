// SPDX-License-Identifier: PostgreSQL
// Seconds of a fit's start-up in the core, without PostgreSQL: creating the
// fit (transpose, init, the initial loss) and writing the model image, i.e.
// everything in a call but the iterations and the glue (not part of the
// extension, not a test). Also usable under perf.
//
//   g++ -std=c++17 -O2 -DEIGEN_NO_DEBUG -DEIGEN_MAX_ALIGN_BYTES=64 -isystem /usr/include/eigen3
//   -Isrc/core
//       bench/time_start.cpp src/core/*.cpp -pthread -o /tmp/time_start
//   /tmp/time_start bench/data/synth_S.csv [rank init reps threads...]
//
// The CSV is row_id,col_id,value with a header line (bench/data's). Prints,
// per solver and thread count, the median seconds of create and of
// write_model, and a checksum of the model's W and H bits, which must not
// depend on the thread count.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <unordered_map>
#include <vector>

#include "bench_util.hpp"
#include "nmf_api.h"

namespace
{

struct Csr
{
	int64_t rows = 0, cols = 0;
	std::vector<int64_t> ptr, row_ids, col_ids;
	std::vector<int32_t> idx;
	std::vector<double> val;
};

bool
read_csv(const char *path, Csr &x)
{
	FILE *f = std::fopen(path, "r");
	if (f == nullptr)
		return false;
	char line[256];
	if (std::fgets(line, sizeof line, f) == nullptr)
		return false;
	struct Cell
	{
		int64_t i, j;
		double v;
	};
	std::vector<Cell> cells;
	long long i, j;
	double v;
	while (std::fscanf(f, "%lld,%lld,%lf", &i, &j, &v) == 3)
		cells.push_back({i, j, v});
	std::fclose(f);
	for (const Cell &c : cells)
	{
		x.row_ids.push_back(c.i);
		x.col_ids.push_back(c.j);
	}
	for (auto *ids : {&x.row_ids, &x.col_ids})
	{
		std::sort(ids->begin(), ids->end());
		ids->erase(std::unique(ids->begin(), ids->end()), ids->end());
	}
	std::unordered_map<int64_t, int32_t> col_of;
	for (size_t k = 0; k < x.col_ids.size(); k++)
		col_of[x.col_ids[k]] = static_cast<int32_t>(k);
	std::sort(cells.begin(), cells.end(),
	          [](const Cell &a, const Cell &b) { return a.i != b.i ? a.i < b.i : a.j < b.j; });
	x.rows = static_cast<int64_t>(x.row_ids.size());
	x.cols = static_cast<int64_t>(x.col_ids.size());
	x.ptr.assign(static_cast<size_t>(x.rows + 1), 0);
	// Every row id has a cell: count the cells per row, then sum.
	size_t row = 0;
	for (const Cell &c : cells)
	{
		while (x.row_ids[row] != c.i)
			row++;
		x.idx.push_back(col_of[c.j]);
		x.val.push_back(c.v);
		x.ptr[row + 1]++;
	}
	for (size_t k = 0; k < static_cast<size_t>(x.rows); k++)
		x.ptr[k + 1] += x.ptr[k];
	return true;
}

// CPU seconds of the whole process (every thread), less sensitive to a
// loaded machine than wall time.
double
cpu_seconds()
{
	timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

double
seconds_since(std::chrono::steady_clock::time_point t0)
{
	return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

} // namespace

int
main(int argc, char **argv)
{
	if (!has_args(argc, argv, 2, "matrix.csv [rank init reps threads...]"))
		return 2;
	Csr x;
	const auto t_read = std::chrono::steady_clock::now();
	if (!read_csv(argv[1], x))
	{
		std::fprintf(stderr, "cannot read %s\n", argv[1]);
		return 1;
	}
	const int64_t rank = argc > 2 ? std::atoll(argv[2]) : 20;
	const int init = argc > 3 ? nmfc_init_code(argv[3]) : NMF_INIT_NNDSVDA;
	const int reps = argc > 4 ? std::atoi(argv[4]) : 3;
	const std::vector<int> threads = thread_counts(argc, argv, 5);
	std::printf("matrix %lld x %lld, %lld stored (read in %.2f s), rank %lld, init %s\n",
	            static_cast<long long>(x.rows), static_cast<long long>(x.cols),
	            static_cast<long long>(x.ptr.back()), seconds_since(t_read),
	            static_cast<long long>(rank), nmfc_init_name(init));

	NmfcMatrixView v{x.rows,       x.cols,       x.ptr.back(),     x.ptr.data(),
	                 x.idx.data(), x.val.data(), x.row_ids.data(), x.col_ids.data()};
	const int64_t size = nmfc_model_size(x.rows, x.cols, rank, 0);
	std::vector<int64_t> image(static_cast<size_t>(size + 7) / 8);
	for (int solver : {NMF_SOLVER_HALS, NMF_SOLVER_MU})
		for (int t : threads)
		{
			std::vector<double> create, write, cpu;
			uint64_t sum = 0;
			for (int rep = 0; rep < reps; rep++)
			{
				NmfcOptions opt;
				nmfc_options_default(&opt, rank);
				opt.solver = solver;
				opt.init = init;
				opt.max_iter = 0;
				opt.seed = 42;
				opt.threads = t;
				NmfcInterrupts intr{{nullptr, nullptr}};
				NmfcFit *fit = nullptr;
				NmfcError err;
				auto t0 = std::chrono::steady_clock::now();
				const double c0 = cpu_seconds();
				if (nmfc_fit_create(&v, &opt, &intr, &fit, &err) != NMFC_OK)
				{
					std::fprintf(stderr, "create: %s\n", err.message);
					return 1;
				}
				create.push_back(seconds_since(t0));
				cpu.push_back(cpu_seconds() - c0);
				t0 = std::chrono::steady_clock::now();
				if (nmfc_fit_write_model(fit, x.row_ids.data(), x.col_ids.data(), image.data(),
				                         static_cast<size_t>(size), &err) != NMFC_OK)
				{
					std::fprintf(stderr, "write: %s\n", err.message);
					return 1;
				}
				write.push_back(seconds_since(t0));
				nmfc_fit_free(fit);
				sum = 0;
				for (int64_t word : image)
					sum = sum * 1000003u + static_cast<uint64_t>(word);
			}
			std::sort(create.begin(), create.end());
			std::sort(write.begin(), write.end());
			std::sort(cpu.begin(), cpu.end());
			std::printf("%-4s threads %d: create %.4f s (min %.4f; cpu %.4f s, min %.4f), "
			            "write_model %.4f s, "
			            "checksum %016llx\n",
			            nmfc_solver_name(solver), t, create[create.size() / 2], create[0],
			            cpu[cpu.size() / 2], cpu[0], write[write.size() / 2],
			            static_cast<unsigned long long>(sum));
		}
	return 0;
}
