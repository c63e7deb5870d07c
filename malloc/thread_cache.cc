// ThreadCache: activation, refill, flush, and teardown at thread exit.
#include "malloc/thread_cache.h"

#include <pthread.h>

#include <atomic>
#include <cstring>

#include "base/spin_lock.h"
#include "malloc/arena_registry.h"
#include "malloc/platform.h"
#include "malloc/segment.h"

namespace alloclab::malloc {
namespace thread_cache_internal {
__thread ThreadCache t_cache __attribute__((tls_model("initial-exec")));
}  // namespace thread_cache_internal

namespace {

using thread_cache_internal::t_cache;

std::atomic<bool> g_enabled{false};
// Every active cache, for statistics (activation and exit only).
base::SpinLock g_registry_lock;
ThreadCache* g_registry = nullptr;
// Registered caches (written under g_registry_lock), and the growth budget
// they share: kGrowthBudgetBytes per CPU (thread_cache.h).
std::atomic<size_t> g_active_caches{0};
size_t g_shared_growth_budget = ThreadCache::kGrowthBudgetBytes;

// What one thread's bins may grow by now: its share of the CPUs' budget.
size_t GrowthBudget() {
  const size_t caches = g_active_caches.load(std::memory_order_relaxed);
  const size_t share = g_shared_growth_budget / (caches > 0 ? caches : 1);
  return share < ThreadCache::kGrowthBudgetBytes ? share : ThreadCache::kGrowthBudgetBytes;
}

void Register(ThreadCache* tc) {
  base::LockGuard guard(g_registry_lock);
  g_active_caches.store(g_active_caches.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  tc->registry_prev = nullptr;
  tc->registry_next = g_registry;
  if (g_registry != nullptr) g_registry->registry_prev = tc;
  g_registry = tc;
}

void Unregister(ThreadCache* tc) {
  base::LockGuard guard(g_registry_lock);
  g_active_caches.store(g_active_caches.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
  if (tc->registry_prev != nullptr) {
    tc->registry_prev->registry_next = tc->registry_next;
  } else {
    g_registry = tc->registry_next;
  }
  if (tc->registry_next != nullptr) tc->registry_next->registry_prev = tc->registry_prev;
}

pthread_key_t g_exit_key;

// Where each bin's array lives in a thread's storage mapping. A bin starts
// packed among the others, with room for two batches (or its initial
// length, ClassInfo(cls).cache_max, if less): a thread that uses twenty
// classes a little touches a page or two of storage, not one or more a
// class (bins laid out at their initial lengths are up to 16 KiB apart, at
// their longest up to 64 KiB). A bin that overflows that room moves to its
// own zone, with room for the longest it can grow: its initial length plus
// the whole growth budget, within kMaxBinLength. Each array is followed by 8
// spare pointers, so that the tops of bins of equal length do not all fall
// into one L1 set.
constexpr uint32_t PackedRoom(int cls) {
  const SizeClass& c = size_class_internal::kTables.classes[cls];
  return c.cache_max < 2u * c.batch ? c.cache_max : 2u * c.batch;
}
constexpr uint32_t MaxBinLength(int cls) {
  const SizeClass& c = size_class_internal::kTables.classes[cls];
  const size_t n = c.cache_max + ThreadCache::kGrowthBudgetBytes / c.size;
  return n < ThreadCache::kMaxBinLength ? static_cast<uint32_t>(n) : ThreadCache::kMaxBinLength;
}
struct StorageLayout {
  uint32_t packed[kNumClasses];
  uint32_t own[kNumClasses];
  size_t bytes;
};
constexpr StorageLayout MakeLayout() {
  StorageLayout l{};
  uint32_t next = 0;
  for (int c = 1; c < kNumClasses; ++c) {
    l.packed[c] = next;
    next += PackedRoom(c) + 8;
  }
  for (int c = 1; c < kNumClasses; ++c) {
    l.own[c] = next;
    next += MaxBinLength(c) + 8;
  }
  l.bytes = AlignUp<size_t>(size_t{next} * sizeof(void*), kPageSize);
  return l;
}
constexpr StorageLayout kLayout = MakeLayout();

bool IsPacked(const ThreadCache* tc, int cls) { return tc->base[cls] == tc->storage + kLayout.packed[cls]; }

// Sets the bin's room from its capacity: all of it in its own zone, at most
// the packed room while packed.
void SetRoom(ThreadCache* tc, int cls) {
  const ThreadCache::Bin& b = tc->bins[cls];
  const uint32_t packed_room = PackedRoom(cls);
  uint32_t room = IsPacked(tc, cls) && b.capacity > packed_room ? packed_room : b.capacity;
  // A bin the thread never refilled only gathers chunks for other threads
  // (a consumer's): it goes back a batch at a time (CacheFlush).
  if (!b.refilled && room > ClassInfo(cls).batch) room = ClassInfo(cls).batch;
  tc->limit[cls] = tc->base[cls] + room;
}

// Grows or shrinks bin cls to `capacity` (at least its initial length), its
// growth counted against the thread's budget.
void SetCapacity(ThreadCache* tc, int cls, uint32_t capacity) {
  ThreadCache::Bin& b = tc->bins[cls];
  tc->grown_bytes = tc->grown_bytes + size_t{capacity} * ClassInfo(cls).size - size_t{b.capacity} * ClassInfo(cls).size;
  b.capacity = capacity;
  SetRoom(tc, cls);
}

// Moves bin cls's cached pointers to `to` (its packed room or its own zone).
void MoveBin(ThreadCache* tc, int cls, void** to) {
  const uint32_t length = tc->Length(cls);
  memcpy(to, tc->base[cls], size_t{length} * sizeof(void*));
  tc->base[cls] = to;
  tc->top[cls] = to + length;
  SetRoom(tc, cls);
}

// Storage of exited threads, for the next ones (guarded by g_registry_lock;
// linked through their first word). Pages a thread touched stay resident.
void** g_spare_storage = nullptr;
size_t g_storage_mapped = 0;  // bytes, guarded by g_registry_lock

void** TakeStorage() {
  {
    base::LockGuard guard(g_registry_lock);
    if (void** s = g_spare_storage; s != nullptr) {
      g_spare_storage = static_cast<void**>(*s);
      return s;
    }
  }
  void** s = static_cast<void**>(MapPages(kLayout.bytes));
  if (s != nullptr) {
    base::LockGuard guard(g_registry_lock);
    g_storage_mapped += kLayout.bytes;
  }
  return s;
}

void GiveBackStorage(void** s) {
  base::LockGuard guard(g_registry_lock);
  *s = g_spare_storage;
  g_spare_storage = s;
}

// Returns chunks to their arenas, one lock per run of same-arena chunks.
void ReturnChunks(int cls, void** chunks, int n, Arena::ChunkDestination to) {
  int i = 0;
  while (i < n) {
    Arena* owner = static_cast<Arena*>(SegmentOf(chunks[i])->owner);
    int j = i + 1;
    while (j < n && SegmentOf(chunks[j])->owner == owner) ++j;
    owner->FreeBatch(cls, chunks + i, j - i, to);
    i = j;
  }
}

// Returns the oldest chunks of bin cls until at most `keep` remain: the
// newest stay, warm, for the next mallocs.
void DrainBin(ThreadCache* tc, int cls, uint32_t keep,
              Arena::ChunkDestination to = Arena::ChunkDestination::kTransferCache) {
  void** const base = tc->base[cls];
  const size_t length = tc->Length(cls);
  if (length <= keep) return;
  const size_t excess = length - keep;
  // In batches, so that one arena lock is not held for thousands of chunks.
  for (size_t i = 0; i < excess; i += 128) {
    ReturnChunks(cls, base + i, static_cast<int>(excess - i < 128 ? excess - i : 128), to);
  }
  memmove(base, base + excess, keep * sizeof(void*));
  tc->top[cls] = base + keep;
}

void DrainAll(ThreadCache* tc) {
  for (int c = 1; c < kNumClasses; ++c) DrainBin(tc, c, 0);
}

// Runs among the thread's TLS destructors; TLS is still there.
void OnThreadExit(void*) {
  DrainAll(&t_cache);
  DetachThread(t_cache.arena);
  Unregister(&t_cache);
  GiveBackStorage(t_cache.storage);
  t_cache.state = ThreadCache::kOff;
  for (int c = 1; c < kNumClasses; ++c) {
    t_cache.top[c] = t_cache.limit[c] = t_cache.base[c] = nullptr;
    t_cache.bins[c] = {nullptr, false, false, 0};
  }
}

// Gives back the whole pages of bin storage in [from, to), room a shrunk bin
// may no longer fill: a burst of thousands of small blocks wrote thousands of
// pointers (small_heap simple: 33 KiB in the own zone of each of six classes,
// 16 KiB of them in the packed zone), which stayed resident after the burst's
// chunks went back.
void PurgeUnusedRoom(void** from, void** to) {
  const uintptr_t start = AlignUp(reinterpret_cast<uintptr_t>(from), uintptr_t{kPageSize});
  const uintptr_t end = reinterpret_cast<uintptr_t>(to) & ~uintptr_t{kPageSize - 1};
  if (start < end) PurgePages(reinterpret_cast<void*>(start), end - start);
}

// See ThreadCache::kSweepInterval. An idle bin keeps a quarter of its chunks
// (the newest) and gives the rest to their slabs directly, not to the
// transfer cache: they are cold, and an emptied slab's pages can serve any
// size. Its capacity halves towards the initial one, the storage beyond it
// is purged, and a bin back at its initial length returns to its packed room.
void SweepIdleBins(ThreadCache* tc) {
  for (int c = 1; c < kNumClasses; ++c) {
    ThreadCache::Bin& b = tc->bins[c];
    if (tc->top[c] == b.swept_top) {
      const SizeClass& sc = ClassInfo(c);
      const uint32_t length = tc->Length(c);
      if (size_t{length} * sc.size >= kPageSize) DrainBin(tc, c, length / 4, Arena::ChunkDestination::kSlabs);
      const uint32_t left = tc->Length(c);
      const uint32_t capacity = b.capacity;
      uint32_t shrunk = capacity / 2;
      if (shrunk < sc.cache_max) shrunk = sc.cache_max;
      if (shrunk < left) shrunk = left;
      void** const own = tc->storage + kLayout.own[c];
      if (shrunk < capacity) SetCapacity(tc, c, shrunk);
      if (tc->base[c] == own && shrunk == sc.cache_max && left <= PackedRoom(c)) {
        // Back to its packed room: the whole zone goes.
        MoveBin(tc, c, tc->storage + kLayout.packed[c]);
        PurgeUnusedRoom(own, own + MaxBinLength(c));
      } else if (tc->base[c] == own && shrunk < capacity) {
        // To the zone's end: the pages at the edges of earlier purges too.
        PurgeUnusedRoom(own + shrunk, own + MaxBinLength(c));
      }
    }
    b.swept_top = tc->top[c];
  }
}

void NoteArenaCounters(ThreadCache* tc) {
  tc->seen_acquisitions = tc->arena->lock_acquisitions();
  tc->seen_waits = tc->arena->lock_waits();
}

// Moves the thread to another arena if its own was contended since the last
// look (arena_registry.h).
void SpreadIfContended(ThreadCache* tc) {
  if (PerCpu()) return;
  const uint64_t acquisitions = tc->arena->lock_acquisitions() - tc->seen_acquisitions;
  if (acquisitions < kContentionWindow) return;
  if (ArenaIsContended(acquisitions, tc->arena->lock_waits() - tc->seen_waits)) {
    tc->arena = SpreadThread(tc->arena);
  }
  NoteArenaCounters(tc);
}

// Counts a refill or flush of bin cls (which is therefore not idle) and
// sweeps every kSweepInterval of them.
void CountSlowEvent(ThreadCache* tc, int cls) {
  tc->bins[cls].swept_top = nullptr;
  if (--tc->events_to_sweep != 0) return;
  tc->events_to_sweep = ThreadCache::kSweepInterval;
  SweepIdleBins(tc);
  DecayIdleArenas();
  SpreadIfContended(tc);
}

}  // namespace

void EnableThreadCaches() {
  g_shared_growth_budget = ThreadCache::kGrowthBudgetBytes * static_cast<size_t>(OnlineCpus());
  if (pthread_key_create(&g_exit_key, OnThreadExit) != 0) return;  // caches stay off
  g_enabled.store(true, std::memory_order_release);
}

ThreadCache* ActiveCache() {
  if (ThreadCache* active = ActiveCacheIfAny(); ALLOCLAB_LIKELY(active != nullptr)) return active;
  ThreadCache* tc = &t_cache;
  if (tc->state == ThreadCache::kOff || !g_enabled.load(std::memory_order_acquire)) {
    return nullptr;
  }
  tc->storage = TakeStorage();
  if (tc->storage == nullptr) {
    tc->state = ThreadCache::kOff;  // this thread goes without a cache
    return nullptr;
  }
  tc->arena = AttachThread();
  NoteArenaCounters(tc);
  tc->grown_bytes = 0;
  tc->events_to_sweep = ThreadCache::kSweepInterval;
  for (int c = 1; c < kNumClasses; ++c) {
    void** base = tc->storage + kLayout.packed[c];
    tc->top[c] = tc->base[c] = base;
    tc->bins[c] = {nullptr, false, false, ClassInfo(c).cache_max};
    SetRoom(tc, c);
  }
  Register(tc);
  tc->state = ThreadCache::kActive;
  // Any non-null value: the key's destructor drains the cache at thread exit.
  pthread_setspecific(g_exit_key, tc);
  return tc;
}

void* CacheRefill(ThreadCache* tc, int cls) {
  // Called when the bin is empty; it has room for two batches at least.
  CountSlowEvent(tc, cls);
  ThreadCache::Bin& b = tc->bins[cls];
  if (!b.refilled) {
    b.refilled = true;
    SetRoom(tc, cls);
  }
  b.refilled_since_flush = true;
  // The thread allocates the class faster than it frees it: room for more
  // of it when it does free (thread_cache.h, kGrowthBudgetBytes).
  const SizeClass& c = ClassInfo(cls);
  const uint32_t capacity = b.capacity;
  const uint32_t grow = capacity / 4 > c.batch ? capacity / 4 : c.batch;
  const size_t grow_bytes = size_t{grow} * c.size;
  if (capacity + grow <= MaxBinLength(cls) && tc->grown_bytes + grow_bytes <= GrowthBudget()) {
    SetCapacity(tc, cls, capacity + grow);
  }
  const int got = ArenaForOperation(tc->arena)->AllocBatch(cls, tc->base[cls], c.batch);
  if (got == 0) return nullptr;
  tc->top[cls] = tc->base[cls] + got - 1;
  void* p = *tc->top[cls];
  MarkAllocated(p);
  return p;
}

size_t ThreadCacheStorageBytes() {
  base::LockGuard guard(g_registry_lock);
  return g_storage_mapped;
}

// Other threads' tops and bases change under the read, without a lock (the
// fast paths take none): a statistic, read with volatile loads that TSan is
// told not to check (a race by design, like a gauge's; its atomics would
// still be checked against the owners' plain writes).
__attribute__((no_sanitize("thread"))) ThreadCacheTotals ThreadCacheHoldings() {
  ThreadCacheTotals t;
  base::LockGuard guard(g_registry_lock);  // caches stay registered meanwhile
  for (const ThreadCache* tc = g_registry; tc != nullptr; tc = tc->registry_next) {
    ++t.caches;
    for (int c = 1; c < kNumClasses; ++c) {
      void** const base = *static_cast<void** const volatile*>(&tc->base[c]);
      void** const top = *static_cast<void** const volatile*>(&tc->top[c]);
      // A bin being moved may be read half-way: a top below its base.
      if (top > base && top - base <= ThreadCache::kMaxBinLength) {
        t.bytes += static_cast<size_t>(top - base) * ClassInfo(c).size;
      }
    }
  }
  return t;
}

bool CacheHolds(int cls, const void* p) {
  if (t_cache.state != ThreadCache::kActive) return false;
  for (void* const* q = t_cache.base[cls]; q < t_cache.top[cls]; ++q) {
    if (*q == p) return true;
  }
  return false;
}

void CacheFlush(ThreadCache* tc, int cls) {
  CountSlowEvent(tc, cls);
  ThreadCache::Bin& b = tc->bins[cls];
  if (!b.refilled) {
    // Only ever freed here: holding the chunks helps no allocation of this
    // thread, and keeps them from the threads that do allocate them.
    DrainBin(tc, cls, 0);
    return;
  }
  if (IsPacked(tc, cls) && b.capacity > PackedRoom(cls)) {
    // Out of packed room, not of capacity: to the bin's own zone (kLayout).
    MoveBin(tc, cls, tc->storage + kLayout.own[cls]);
    return;
  }
  if ((!b.refilled_since_flush || tc->grown_bytes > GrowthBudget()) && b.capacity > ClassInfo(cls).cache_max) {
    // Frees outpace mallocs here, or more threads share the budget than
    // when the bin grew: give back a quarter of the growth.
    const SizeClass& c = ClassInfo(cls);
    const uint32_t shrink = b.capacity / 4 > c.batch ? b.capacity / 4 : c.batch;
    SetCapacity(tc, cls, b.capacity - shrink > c.cache_max ? b.capacity - shrink : c.cache_max);
  }
  b.refilled_since_flush = false;
  DrainBin(tc, cls, b.capacity / 2);
}

void CacheDrainCurrent() {
  if (t_cache.state == ThreadCache::kActive) DrainAll(&t_cache);
}

// The caches are per thread; only the registry is shared. A forked child
// keeps the forking thread's cache alone: the other threads' cached chunks
// stay allocated in it.
void ThreadCacheLockForFork() { g_registry_lock.Lock(); }
void ThreadCacheUnlockForFork() { g_registry_lock.Unlock(); }
void ThreadCacheAfterForkChild() {
  g_registry_lock.Reset();
  g_registry = nullptr;
  g_active_caches.store(0, std::memory_order_relaxed);
  if (t_cache.state == ThreadCache::kActive) Register(&t_cache);
}

}  // namespace alloclab::malloc
