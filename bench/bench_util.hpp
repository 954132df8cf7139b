// SPDX-License-Identifier: PostgreSQL
// What the stand-alone bench drivers share (no PostgreSQL, not a test).
#ifndef NMF_BENCH_UTIL_HPP
#define NMF_BENCH_UTIL_HPP

#include <cstdio>
#include <cstdlib>
#include <vector>

// Whether argv holds at least `need` words (the program's name counted);
// if not, prints "usage: PROGRAM usage" to stderr.
inline bool
has_args(int argc, char **argv, int need, const char *usage)
{
	if (argc >= need)
		return true;
	std::fprintf(stderr, "usage: %s %s\n", argv[0], usage);
	return false;
}

// The thread counts given as argv[first..], or 1 and 2 when none is.
inline std::vector<int>
thread_counts(int argc, char **argv, int first)
{
	std::vector<int> threads;
	for (int a = first; a < argc; a++)
		threads.push_back(std::atoi(argv[a]));
	if (threads.empty())
		threads = {1, 2};
	return threads;
}

#endif
