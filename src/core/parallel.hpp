// SPDX-License-Identifier: PostgreSQL
// A minimal parallel loop over fixed blocks of work, on plain std::threads
// created for the call and joined before it returns.
//
// The calling thread is lane 0 and works too; the others start with every
// signal blocked, so the server's signal handlers only ever run on the calling
// thread. Bodies must not call PostgreSQL; they may poll the interrupt flags
// (poll_interrupts only reads them). The first exception any lane throws stops
// the others from taking new blocks and is rethrown here after the join.
//
// Which lane runs which block is not fixed, so a body writes only to its
// block's own outputs (or to its lane's scratch) and the caller reduces the
// blocks' partial results in block order: the result then does not depend on
// the thread count.
#ifndef NMF_PARALLEL_HPP
#define NMF_PARALLEL_HPP

#include <cstdint>
#include <functional>

namespace nmf
{

// Most threads one call may use (the nmf.threads GUC's maximum).
constexpr int kMaxThreads = 64;

// The thread count 0 stands for: the machine's cores, at most 8.
int default_threads() noexcept;

// body(block, lane) for every block in [0, blocks), on up to `threads` lanes
// (lane < threads); threads <= 1 or a single block run inline.
void parallel_for(int threads, int64_t blocks, const std::function<void(int64_t, int)> &body);

} // namespace nmf

#endif
