// ThreadCache: activation, refill, flush, and teardown at thread exit.
#include "malloc/thread_cache.h"

#include <pthread.h>

#include <atomic>

#include "malloc/arenas.h"
#include "malloc/platform.h"
#include "malloc/segment.h"
#include "malloc/spin_lock.h"

namespace alloclab::malloc {
namespace thread_cache_internal {
__thread ThreadCache t_cache __attribute__((tls_model("initial-exec")));
}  // namespace thread_cache_internal

namespace {

using thread_cache_internal::t_cache;

std::atomic<bool> g_enabled{false};
// Every active cache, for statistics (activation and exit only).
SpinLock g_registry_lock;
ThreadCache* g_registry = nullptr;

void Register(ThreadCache* tc) {
  LockGuard guard(g_registry_lock);
  tc->registry_prev = nullptr;
  tc->registry_next = g_registry;
  if (g_registry != nullptr) g_registry->registry_prev = tc;
  g_registry = tc;
}

void Unregister(ThreadCache* tc) {
  LockGuard guard(g_registry_lock);
  if (tc->registry_prev != nullptr) {
    tc->registry_prev->registry_next = tc->registry_next;
  } else {
    g_registry = tc->registry_next;
  }
  if (tc->registry_next != nullptr) tc->registry_next->registry_prev = tc->registry_prev;
}

pthread_key_t g_exit_key;

// Returns chunks to their arenas, one lock per run of same-arena chunks.
void ReturnChunks(int cls, void** chunks, int n) {
  int i = 0;
  while (i < n) {
    Arena* owner = static_cast<Arena*>(SegmentOf(chunks[i])->owner);
    int j = i + 1;
    while (j < n && SegmentOf(chunks[j])->owner == owner) ++j;
    owner->FreeBatch(cls, chunks + i, j - i);
    i = j;
  }
}

// Returns chunks of bin cls until at most `keep` remain.
void DrainBin(ThreadCache* tc, int cls, uint32_t keep) {
  ThreadCache::Bin& b = tc->bins[cls];
  const uint32_t length = b.capacity - b.room;
  if (length <= keep) return;
  // Keep the `keep` most recently freed chunks (the front of the LIFO list,
  // likely still in cache) and return the older rest.
  void** link = &b.head;
  for (uint32_t i = 0; i < keep; ++i) link = static_cast<void**>(*link);
  void* rest = *link;
  *link = nullptr;
  b.room += length - keep;
  void* batch[128];
  while (rest != nullptr) {
    int n = 0;
    while (n < 128 && rest != nullptr) {
      batch[n++] = rest;
      rest = *static_cast<void**>(rest);
    }
    ReturnChunks(cls, batch, n);
  }
}

// Empties run slot i: its run goes back to its arena.
void EvictRun(ThreadCache* tc, int i) {
  if (RunLength(tc, i) == 0) return;
  SetRunLength(tc, i, 0);
  static_cast<Arena*>(SegmentMeta::Of(tc->runs[i])->owner)->FreeRun(tc->runs[i]);
}

void DrainRuns(ThreadCache* tc) {
  for (int i = 0; i < ThreadCache::kRunSlots; ++i) EvictRun(tc, i);
}

void DrainAll(ThreadCache* tc) {
  for (int c = 1; c < kNumClasses; ++c) DrainBin(tc, c, 0);
  DrainRuns(tc);
}

// Runs among the thread's TLS destructors; TLS is still there.
void OnThreadExit(void*) {
  DrainAll(&t_cache);
  DetachThread(t_cache.arena);
  Unregister(&t_cache);
  t_cache.state = ThreadCache::kExited;
  for (int c = 1; c < kNumClasses; ++c) t_cache.bins[c].room = 0;
}

}  // namespace

void EnableThreadCaches() {
  if (pthread_key_create(&g_exit_key, OnThreadExit) != 0) return;  // caches stay off
  g_enabled.store(true, std::memory_order_release);
}

ThreadCache* ActiveCache() {
  if (ThreadCache* active = ActiveCacheIfAny(); ALLOCLAB_LIKELY(active != nullptr)) return active;
  ThreadCache* tc = &t_cache;
  if (tc->state == ThreadCache::kExited || !g_enabled.load(std::memory_order_acquire)) {
    return nullptr;
  }
  tc->arena = AttachThread();
  tc->grown_bytes = 0;
  for (int c = 1; c < kNumClasses; ++c) {
    tc->bins[c].head = nullptr;
    tc->bins[c].capacity = ClassInfo(c).cache_max;
    tc->bins[c].room = tc->bins[c].capacity;
  }
  for (int i = 0; i < ThreadCache::kRunSlots; ++i) SetRunLength(tc, i, 0);
  tc->next_run = 0;
  Register(tc);
  tc->state = ThreadCache::kActive;
  // Any non-null value: the key's destructor drains the cache at thread exit.
  pthread_setspecific(g_exit_key, tc);
  return tc;
}

void* CacheRefill(ThreadCache* tc, int cls) {
  ThreadCache::Bin& b = tc->bins[cls];
  void* batch[64];
  const int want = ClassInfo(cls).batch;
  const int got = ArenaForOperation(tc->arena)->AllocBatch(cls, batch, want);
  if (got == 0) return nullptr;
  for (int i = 1; i < got; ++i) {
    *static_cast<void**>(batch[i]) = b.head;
    b.head = batch[i];
  }
  b.room -= static_cast<uint32_t>(got - 1);
  MarkAllocated(batch[0]);
  return batch[0];
}

bool CachePushRunSlow(ThreadCache* tc, void* address, PageInfo* head) {
  for (int i = 0; i < ThreadCache::kRunSlots; ++i) {
    if (tc->run_address[i] == address && RunLength(tc, i) != 0) {
      FatalPointer("free(): double free detected", address);
    }
  }
  EvictRun(tc, static_cast<int>(tc->next_run));
  StoreRun(tc, address, head);
  return true;
}

size_t ThreadCachedRunBytes() {
  LockGuard guard(g_registry_lock);
  size_t pages = 0;
  for (ThreadCache* tc = g_registry; tc != nullptr; tc = tc->registry_next) {
    for (int i = 0; i < ThreadCache::kRunSlots; ++i) pages += RunLength(tc, i);
  }
  return pages * kPageSize;
}

bool CacheHolds(int cls, const void* p) {
  if (t_cache.state != ThreadCache::kActive) return false;
  const ThreadCache::Bin& b = t_cache.bins[cls];
  uint32_t length = b.capacity - b.room;
  for (void* q = b.head; q != nullptr && length-- > 0; q = *static_cast<void**>(q)) {
    if (q == p) return true;
  }
  return false;
}

void CacheFlush(ThreadCache* tc, int cls) {
  ThreadCache::Bin& b = tc->bins[cls];
  const SizeClass& c = ClassInfo(cls);
  const uint32_t grow = b.capacity / 4 > c.batch ? b.capacity / 4 : c.batch;
  const size_t grow_bytes = size_t{grow} * c.size;
  if (b.capacity + grow <= ThreadCache::kMaxBinLength &&
      tc->grown_bytes + grow_bytes <= ThreadCache::kGrowthBudgetBytes) {
    b.capacity += grow;
    b.room += grow;
    tc->grown_bytes += grow_bytes;
    return;
  }
  DrainBin(tc, cls, b.capacity / 2);
}

void CacheDrainCurrent() {
  if (t_cache.state == ThreadCache::kActive) DrainAll(&t_cache);
}

// The caches are per thread; only the registry is shared. A forked child
// keeps the forking thread's cache alone: the other threads' cached chunks
// and runs stay allocated in it.
void ThreadCacheLockForFork() { g_registry_lock.Lock(); }
void ThreadCacheUnlockForFork() { g_registry_lock.Unlock(); }
void ThreadCacheAfterForkChild() {
  g_registry_lock.Reset();
  g_registry = nullptr;
  if (t_cache.state == ThreadCache::kActive) Register(&t_cache);
}

}  // namespace alloclab::malloc
