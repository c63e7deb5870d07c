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

#include <atomic>

#include "malloc/arena.h"
#include "malloc/hardening.h"
#include "malloc/platform.h"
#include "malloc/size_classes.h"

namespace alloclab::malloc {

struct ThreadCache {
  struct Bin {
    void** top;    // one past the newest cached chunk; [base, top) are cached
    void** limit;  // base + capacity
    void** base;
    // The top when the idle-bin sweep last looked, or nullptr when the bin
    // has refilled or flushed since: a bin found where it was left is idle.
    void** swept_top;
  };
  // kOff: exited, or no memory could be mapped for its bins.
  enum State : uint32_t { kInactive = 0, kActive, kOff };

  // Bins start at ClassInfo(cls).cache_max (32 KiB or two batches) and grow
  // each time one overflows, by a quarter (at least a batch), while what the
  // bins of a thread have grown by stays within kGrowthBudgetBytes: a thread
  // that frees a thousand blocks in a burst keeps them for the next burst.
  static constexpr size_t kGrowthBudgetBytes = size_t{4} << 20;
  static constexpr uint32_t kMaxBinLength = 8192;
  // Every kSweepInterval refills and flushes, bins that neither moved nor
  // took the slow path since the last sweep give three quarters of their
  // chunks back to the slabs and their growth back to the budget: a burst of
  // one size class does not keep its memory through a program's later
  // phases (jemalloc's tcache GC, driven by slow-path events so that the
  // fast path pays nothing and a program in a steady state is not swept).
  static constexpr uint32_t kSweepInterval = 16;

  Bin bins[kNumClasses];
  void** storage;  // the mapping that holds every bin's array
  Arena* arena;
  State state;
  size_t grown_bytes;  // sum over bins of (capacity - initial) x class size
  // Refills and flushes until the next idle-bin sweep (CacheSweepIdle).
  uint32_t events_to_sweep;
  // Eight recently freed page runs (up to kMaxCachedRunPages pages each),
  // reused without taking the arena lock for a run of their length or up to
  // an eighth shorter (the smallest that fits): a program that frees and
  // reallocates large buffers of similar sizes stays off the lock.
  static constexpr int kRunSlots = 8;
  static constexpr uint32_t kMaxCachedRunPages = 32;  // 128 KiB
  void* run_address[kRunSlots];
  PageInfo* runs[kRunSlots];
  // Pages of each slot's run; 0: the slot is empty. Written by this thread
  // only (relaxed: plain stores), read by statistics through the registry.
  std::atomic<uint32_t> run_length[kRunSlots];
  uint32_t next_run;
  ThreadCache* registry_next;
  ThreadCache* registry_prev;
};

namespace thread_cache_internal {
extern __thread ThreadCache t_cache __attribute__((tls_model("initial-exec")));
}  // namespace thread_cache_internal

// Pops a cached chunk of class cls, or nullptr.
inline void* CachePop(int cls) {
  ThreadCache::Bin& b = thread_cache_internal::t_cache.bins[cls];
  void** top = b.top;
  if (ALLOCLAB_UNLIKELY(top == b.base)) return nullptr;
  void* p = *--top;
  b.top = top;
  MarkAllocated(p);
  return p;
}

// Pushes a freed chunk of class cls (0: not a pool chunk); false, and nothing
// done, when the bin is full.
inline bool CachePush(int cls, void* p, uint64_t key = FreeKey()) {
  ThreadCache* tc = &thread_cache_internal::t_cache;
  asm("" : "+r"(tc));  // the TLS address once, into a register
  ThreadCache::Bin& b = tc->bins[cls];
  void** top = b.top;
  if (ALLOCLAB_UNLIKELY(top == b.limit)) return false;
  *top = p;
  b.top = top + 1;
  MarkFreed(p, key);
  return true;
}

// The calling thread's cache, activated on first use; nullptr before
// EnableThreadCaches or once the thread's cache was torn down at exit.
ThreadCache* ActiveCache();

// Refills bin cls of the active cache from its arena and pops one chunk;
// nullptr when out of memory.
void* CacheRefill(ThreadCache* tc, int cls);
// Makes room in a full bin: grows it if the budget allows, else gives half
// of it back to the pools.
void CacheFlush(ThreadCache* tc, int cls);

// The calling thread's cache if it is active, else nullptr (no activation).
inline ThreadCache* ActiveCacheIfAny() {
  ThreadCache* tc = &thread_cache_internal::t_cache;
  return ALLOCLAB_LIKELY(tc->state == ThreadCache::kActive) ? tc : nullptr;
}

inline uint32_t RunLength(const ThreadCache* tc, int slot) {
  return tc->run_length[slot].load(std::memory_order_relaxed);
}
inline void SetRunLength(ThreadCache* tc, int slot, uint32_t pages) {
  tc->run_length[slot].store(pages, std::memory_order_relaxed);
}

// The shortest cached run of `pages` to pages + pages/8 pages (it keeps its
// length: the block is that much larger), or nullptr (no lock taken).
inline void* CachePopRun(ThreadCache* tc, uint32_t pages) {
  const uint32_t most = pages + pages / 8;
  int best = -1;
  uint32_t best_length = most + 1;
  for (int i = 0; i < ThreadCache::kRunSlots; ++i) {
    const uint32_t length = RunLength(tc, i);
    if (length >= pages && length < best_length) {
      best = i;
      best_length = length;
    }
  }
  if (best < 0) return nullptr;
  SetRunLength(tc, best, 0);
  return tc->run_address[best];
}

// Puts a run in the next slot, which must be empty.
inline void StoreRun(ThreadCache* tc, void* address, PageInfo* head) {
  const uint32_t slot = tc->next_run;
  tc->next_run = (slot + 1) % ThreadCache::kRunSlots;
  tc->run_address[slot] = address;
  tc->runs[slot] = head;
  SetRunLength(tc, slot, head->span_pages);
}

// CachePushRun's slow path: aborts if address is cached already (a double
// free), empties the next slot (its run back to its arena), stores.
bool CachePushRunSlow(ThreadCache* tc, void* address, PageInfo* head);

// Keeps a freed run (its head page) for reuse; false when it does not
// qualify (too large). The run evicted to make room goes back to its arena.
// Aborts on a run that is already cached (a double free).
inline bool CachePushRun(ThreadCache* tc, void* address, PageInfo* head) {
  if (head->span_pages > ThreadCache::kMaxCachedRunPages) return false;
  bool clash = RunLength(tc, static_cast<int>(tc->next_run)) != 0;
  for (int i = 0; i < ThreadCache::kRunSlots; ++i) {
    clash |= (tc->run_address[i] == address) & (RunLength(tc, i) != 0);
  }
  if (ALLOCLAB_UNLIKELY(clash)) return CachePushRunSlow(tc, address, head);  // a tail call
  StoreRun(tc, address, head);
  return true;
}

// Bytes of freed runs sitting in thread caches (they count as free).
size_t ThreadCachedRunBytes();

// Bytes mapped for the bins' arrays (every thread's, the spare ones of
// exited threads included): part of the allocator's metadata.
size_t ThreadCacheStorageBytes();

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
