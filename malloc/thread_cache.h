// Per-thread caches in front of the pools: one stack of free chunk pointers
// per size class, filled and drained in batches under the arena lock, so the
// common malloc and free touch no lock and no shared cache line. The stacks
// are arrays, not lists threaded through the chunks: popping does not wait
// for a load from the chunk (often cold) to find the next one, and a flush
// hands the oldest pointers back without walking anything. The cache itself
// lives in initial-exec TLS (no pointer to load, nothing to test for null);
// the arrays live in one mapping per thread. A bin whose top equals its
// limit sends free down the slow path: bin 0 (pointers that are not pool
// chunks) always, and every bin of a thread whose cache is not active yet
// (all null), where the slow path activates it.
#ifndef ALLOCLAB_MALLOC_THREAD_CACHE_H_
#define ALLOCLAB_MALLOC_THREAD_CACHE_H_

#include <cstddef>
#include <cstdint>

#include "malloc/arena.h"
#include "malloc/hardening.h"
#include "malloc/platform.h"
#include "malloc/size_classes.h"

namespace alloclab::malloc {

struct ThreadCache {
  // A bin's state the slow paths keep.
  struct Bin {
    // The top when the idle-bin sweep last looked, or nullptr when the bin
    // has refilled or flushed since: a bin found where it was left is idle.
    void** swept_top;
    // Whether this thread ever refilled the bin (allocated the class beyond
    // what it had freed). One that never did only frees chunks of the class
    // (a consumer of blocks other threads allocate): its bin does not grow,
    // and it goes back whole each time it holds a batch.
    bool refilled;
    // Whether it refilled since it last flushed: a bin that overflows twice
    // with no refill between frees more of the class than the thread
    // allocates, and needs less room (thread_cache.cc, CacheFlush).
    bool refilled_since_flush;
    // Chunks the bin may hold (thread_cache.cc: a packed bin holds up to two
    // batches until it moves to a zone of its own).
    uint32_t capacity;
  };
  // kOff: exited, or no memory could be mapped for its bins.
  enum State : uint32_t { kInactive = 0, kActive, kOff };

  // Bins start at ClassInfo(cls).cache_max (32 KiB or two batches) and grow
  // each time one runs empty (a refill), by a quarter (at least a batch),
  // while what the bins of a thread have grown by stays within
  // kGrowthBudgetBytes: a thread that allocates a thousand blocks in a burst
  // keeps them for the next burst when it frees them. By what the thread
  // allocates, not by what it frees (as tcmalloc's thread caches do): bins
  // that grew on overflow kept every burst of blocks handed over by other
  // threads (threaded_churn --threads=2: 17.6 -> 14.0 MB, 8 threads 48.9 ->
  // 39.2 MB; benchmarks/results/2026-12-03-session10.txt).
  // The budget is per CPU, shared by the threads with active caches: each
  // thread's bins grow by at most kGrowthBudgetBytes x CPUs / threads (and
  // kGrowthBudgetBytes), and a bin that overflows while its thread is over
  // its share gives back a quarter of its growth. Per thread, eight threads
  // on two CPUs kept 17-24 MB in their caches, more than they had live
  // (threaded_churn --threads=8: 35.2 MB peak RSS, 26.3 with 1 MiB each;
  // benchmarks/results/2026-12-04-session14.txt).
  static constexpr size_t kGrowthBudgetBytes = size_t{4} << 20;
  static constexpr uint32_t kMaxBinLength = 8192;
  // Every kSweepInterval refills and flushes, bins that neither moved nor
  // took the slow path since the last sweep give three quarters of their
  // chunks back to the slabs (if they hold a page's worth), half their
  // capacity back to the budget and the storage they no longer need back to
  // the kernel (thread_cache.cc, SweepIdleBins): a burst of
  // one size class does not keep its memory through a program's later
  // phases (jemalloc's tcache GC, driven by slow-path events so that the
  // fast path pays nothing and a program in a steady state is not swept).
  // Every 16 events, a thread using forty classes in turn (thread_transfer:
  // 1 B to 100 KB) found bins idle that it was about to use again, drained
  // them to their slabs and refilled them: 64 took thread_transfer from 0.75
  // to 0.66 s and 120 to 101 MB, threaded_churn 2 from 15.0 to 13.0 MB; 256
  // kept small_heap simple's finished phases (5.2 -> 7.0 MB).
  static constexpr uint32_t kSweepInterval = 64;

  // What the fast paths read, an array per field rather than a struct per
  // bin: indexed by the class with a scaled load, no multiply (a pop and a
  // push are one instruction shorter each; callgrind, malloc_free_loop).
  // Bin cls holds [base[cls], top[cls]); top[cls] == limit[cls] when full.
  void** top[kNumClasses];    // one past the newest cached chunk
  void** limit[kNumClasses];  // base + room: capacity, or less while packed
  void** base[kNumClasses];
  Bin bins[kNumClasses];
  void** storage;  // the mapping that holds every bin's array
  Arena* arena;
  State state;
  size_t grown_bytes;  // sum over bins of (capacity - initial) x class size
  // Refills and flushes until the next idle-bin sweep (SweepIdleBins).
  uint32_t events_to_sweep;
  // The arena's lock counters when this thread last judged its contention
  // (arena_registry.h).
  uint64_t seen_acquisitions;
  uint64_t seen_waits;
  ThreadCache* registry_next;
  ThreadCache* registry_prev;

  // Chunks cached in bin cls.
  uint32_t Length(int cls) const { return static_cast<uint32_t>(top[cls] - base[cls]); }
};

namespace thread_cache_internal {
extern __thread ThreadCache t_cache __attribute__((tls_model("initial-exec")));
}  // namespace thread_cache_internal

// The calling thread's cache, its address computed into a register. Left
// to itself the compiler reaches the bins through %fs with an index
// register, an instruction shorter on each path but 15-20% slower on
// malloc_free_loop (100 M iterations: 0.35 -> 0.40-0.42 s).
inline ThreadCache& CurrentCache() {
  ThreadCache* tc = &thread_cache_internal::t_cache;
  asm("" : "+r"(tc));
  return *tc;
}

// Pops a cached chunk of class cls, or nullptr.
inline void* CachePop(int cls) {
  ThreadCache& tc = CurrentCache();
  void** top = tc.top[cls];
  if (ALLOCLAB_UNLIKELY(top == tc.base[cls])) return nullptr;
  // The new top is stored before the chunk is loaded (an instruction less;
  // a signal handler that frees in between overwrites the slot, and both
  // would own the chunk: malloc is not async-signal-safe).
  tc.top[cls] = --top;
  void* p = *top;
  MarkAllocated(p);
  return p;
}

// Pushes a freed chunk of class cls (0: not a pool chunk); false, and nothing
// done, when the bin is full.
inline bool CachePush(int cls, void* p, uint64_t key = FreeKey()) {
  ThreadCache& tc = CurrentCache();
  void** top = tc.top[cls];
  if (ALLOCLAB_UNLIKELY(top == tc.limit[cls])) return false;
  *top = p;
  tc.top[cls] = top + 1;
  MarkFreed(p, key);
  return true;
}

// The calling thread's cache, activated on first use; nullptr before
// EnableThreadCaches or once the thread's cache was torn down at exit.
ThreadCache* ActiveCache();

// Refills bin cls of the active cache from its arena and pops one chunk;
// nullptr when out of memory.
void* CacheRefill(ThreadCache* tc, int cls);
// Makes room in a full bin: a packed bin moves to its own zone; otherwise
// the older half goes back to the pools (all of it if the thread never
// allocated the class), after a quarter of the capacity if the bin has not
// refilled since it last overflowed.
void CacheFlush(ThreadCache* tc, int cls);

// The calling thread's cache if it is active, else nullptr (no activation).
inline ThreadCache* ActiveCacheIfAny() {
  ThreadCache* tc = &thread_cache_internal::t_cache;
  return ALLOCLAB_LIKELY(tc->state == ThreadCache::kActive) ? tc : nullptr;
}

// Bytes mapped for the bins' arrays (every thread's, the spare ones of
// exited threads included): part of the allocator's metadata.
size_t ThreadCacheStorageBytes();

// Bytes of the chunks held in the bins of every active thread cache, and how
// many caches: a moment's reading of bins their threads keep changing (for
// statistics; each bin is read as it is, not all at one instant).
struct ThreadCacheTotals {
  size_t bytes = 0;
  size_t caches = 0;
};
ThreadCacheTotals ThreadCacheHoldings();

// Whether chunk p sits in the calling thread's bin cls (double-free check).
bool CacheHolds(int cls, const void* p);

// Returns every cached chunk of the calling thread (malloc_trim).
void CacheDrainCurrent();

// Called once at initialisation: registers the thread-exit hook and lets
// threads activate caches from then on.
void EnableThreadCaches();

// Fork handlers.
void ThreadCacheLockForFork();
void ThreadCacheUnlockForFork();
void ThreadCacheAfterForkChild();

}  // namespace alloclab::malloc

#endif  // ALLOCLAB_MALLOC_THREAD_CACHE_H_
