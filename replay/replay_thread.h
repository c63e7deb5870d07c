// The replay loop: one thread's op stream issued against whatever malloc the
// process has (the allocator under test is preloaded). Between calls it only
// indexes arrays and folds the op into the thread's running hash; waits on
// other threads spin briefly, then sleep on a futex.
#ifndef ALLOCLAB_REPLAY_REPLAY_THREAD_H_
#define ALLOCLAB_REPLAY_REPLAY_THREAD_H_

#include <atomic>
#include <cstdint>

#include "base/spin_lock.h"
#include "replay/latency_histogram.h"
#include "replay/op_stream.h"
#include "replay/pacing.h"
#include "replay/prepared_file.h"

namespace alloclab::replay {

enum class Touch { kNone, kFirst, kAll };

// Per traced thread, one cache line in memory the runner maps itself: its
// progress (which other threads wait on) and what its replay issued.
struct alignas(64) ThreadProgress {
  std::atomic<uint64_t> done{0};         // ops completed (position in the stream)
  std::atomic<uint64_t> wake_at{~0ull};  // a sleeper waits for done >= this
  // Written by the worker when it leaves the thread: the ops and calls it
  // issued and their hash (HashOp over each op word, as it went).
  uint64_t issued_ops;
  uint64_t issued_calls;
  uint64_t issued_hash;
  uint64_t finished;  // 1 when the worker reached the end of the thread's ops
};
static_assert(sizeof(ThreadProgress) == 64, "one line per traced thread");

// Per worker (OS thread); read by the runner after the workers end.
struct alignas(64) WorkerStats {
  std::atomic<uint64_t> ops_done{0};  // ops of its threads, at least once a block (the sampler's progress)
  uint64_t latency[kMaxOpKind + 1][kLatencyBuckets];
  uint64_t slop_requested;   // sampled allocations: bytes asked for
  uint64_t slop_usable;      // ... and malloc_usable_size of the result
  uint64_t slop_samples;
  uint64_t alloc_failures;   // replayed allocations that returned NULL
  uint64_t waits_slept;      // waits that had to sleep
  uint64_t verify_errors;    // --verify: blocks found damaged or misplaced
  uint64_t call_cycles;      // paced: TSC cycles spent in the calls
  uint64_t paced_sleep_ns;   // paced: time spent waiting for recorded gaps
  char first_error[160];     // the first verify error, described
};

struct ReplayConfig {
  const PreparedView* view;
  ThreadProgress* progress;  // [threads]
  void** slots;              // [slots], zeroed
  Touch touch;
  uint32_t sample_mask;      // time op i when (i & mask) == 0
  uint64_t* sizes;           // [slots] when verifying, else nullptr
  const Pacing* pacing;      // nullptr: as fast as possible
  // Set when a worker ended before its ops did (the allocator unwound it):
  // waits give up instead of waiting for ever.
  std::atomic<bool>* abandoned;
};

// The allocator's entry points, each checked to come from the allocator under
// test: a call that fell through to glibc would mix two heaps. Where an
// allocator lacks an obsolete one (jemalloc has no pvalloc), the replay calls
// the allocator's equivalent instead and says so.
struct EntryPoints {
  void* (*memalign)(size_t, size_t);
  int (*posix_memalign)(void**, size_t, size_t);
  void* (*aligned_alloc)(size_t, size_t);
  void* (*valloc)(size_t);
  void* (*pvalloc)(size_t);
  const char* substitutions[8];  // "pvalloc -> memalign", ...
  int substitution_count;
};

// Resolves the entry points against `object` (a path, or "glibc" for libc).
// On failure (malloc, free, calloc, realloc or malloc_usable_size not the
// object's own) writes the reason into error and returns false.
bool ResolveEntryPoints(const char* object, char* error, size_t error_size);
const EntryPoints& Entry();

// Replays traced thread t's stream on the calling worker, to the end or until
// a wait gives up (config.abandoned); fills progress[t]'s issued figures.
// Returns whether it reached the end.
bool ReplayThread(const ReplayConfig& config, uint32_t t, WorkerStats* stats);

// As ReplayThread, but checking every result instead of timing it: each
// block gets its slot's tag at both ends, which must be intact when the block
// is resized, queried or freed (two live blocks that overlap destroy each
// other's tags); alignment, usable size >= requested, calloc's zeroing.
bool VerifyThread(const ReplayConfig& config, uint32_t t, WorkerStats* stats);

// The attribution run (replay/site_waste.h): the traced threads take turns,
// one at a time, so that between two ops of any thread the whole heap holds
// still. The thread holding the turn keeps each live block's requested size
// (config.sizes) and call site (sites), and after every check_every calls
// runs checkpoint, which may look at every live block. A thread gives up its
// turn to wait for another, and after each block of its ops.
struct TakingTurns {
  base::SpinLock turn;
  uint64_t live_bytes = 0;  // requested bytes of the live blocks
  uint64_t calls = 0;       // issued so far, by all threads
  uint32_t* sites = nullptr;  // [slots]
  uint32_t check_every = 256;
  void (*checkpoint)(void* context) = nullptr;
  void* context = nullptr;
};

// As ReplayThread, but in turns with the other threads, untimed.
bool AttributeThread(const ReplayConfig& config, uint32_t t, WorkerStats* stats, TakingTurns* turns);

}  // namespace alloclab::replay

#endif  // ALLOCLAB_REPLAY_REPLAY_THREAD_H_
