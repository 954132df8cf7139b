// SPDX-License-Identifier: PostgreSQL
// parallel_for: see parallel.hpp.
#include "parallel.hpp"

#include <algorithm>
#include <atomic>
#include <csignal>
#include <exception>
#include <mutex>
#include <pthread.h>
#include <system_error>
#include <thread>
#include <vector>

namespace nmf
{

int
default_threads() noexcept
{
	const unsigned cores = std::thread::hardware_concurrency();
	return std::clamp(static_cast<int>(cores), 1, 8);
}

namespace
{

// The lanes' shared state: the next block to take, and the first failure.
struct Run
{
	std::atomic<int64_t> next{0};
	std::atomic<bool> failed{false};
	std::mutex mutex;
	std::exception_ptr error;
};

void
lane_loop(Run &run, int64_t blocks, int lane,
          const std::function<void(int64_t, int)> &body) noexcept
{
	try
	{
		for (;;)
		{
			if (run.failed.load(std::memory_order_relaxed))
				return;
			const int64_t k = run.next.fetch_add(1, std::memory_order_relaxed);
			if (k >= blocks)
				return;
			body(k, lane);
		}
	}
	catch (...)
	{
		std::lock_guard<std::mutex> guard(run.mutex);
		if (!run.error)
			run.error = std::current_exception();
		run.failed.store(true, std::memory_order_relaxed);
	}
}

} // namespace

void
parallel_for(int threads, int64_t blocks, const std::function<void(int64_t, int)> &body)
{
	const int lanes =
	    static_cast<int>(std::min<int64_t>(std::clamp(threads, 1, kMaxThreads), blocks));
	if (lanes <= 1)
	{
		for (int64_t k = 0; k < blocks; k++)
			body(k, 0);
		return;
	}
	Run run;
	std::vector<std::thread> workers;
	workers.reserve(static_cast<size_t>(lanes - 1));
	{
		// New threads inherit the signal mask: block everything while
		// spawning, then restore the caller's.
		sigset_t all, old;
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		try
		{
			for (int lane = 1; lane < lanes; lane++)
				workers.emplace_back(lane_loop, std::ref(run), blocks, lane, std::cref(body));
		}
		catch (const std::system_error &)
		{
			// No more threads to be had: the lanes started do the work.
		}
		pthread_sigmask(SIG_SETMASK, &old, nullptr);
	}
	lane_loop(run, blocks, 0, body);
	for (std::thread &t : workers)
		t.join();
	if (run.error)
		std::rethrow_exception(run.error);
}

} // namespace nmf
