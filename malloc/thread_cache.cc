// ThreadCache: creation, refill, flush, and teardown at thread exit.
#include "malloc/thread_cache.h"

#include <pthread.h>

#include <atomic>

#include "malloc/arenas.h"
#include "malloc/meta_alloc.h"
#include "malloc/segment.h"
#include "malloc/spin_lock.h"

namespace alloclab::malloc {
namespace thread_cache_internal {
__thread ThreadCache* t_cache __attribute__((tls_model("initial-exec"))) = nullptr;
}  // namespace thread_cache_internal

namespace {

using thread_cache_internal::t_cache;

// Set once the thread's cache was torn down: allocations made by later
// thread-exit destructors go to the arena directly.
__thread bool t_exited __attribute__((tls_model("initial-exec"))) = false;

std::atomic<bool> g_enabled{false};
SpinLock g_free_lock;
ThreadCache* g_free_caches = nullptr;
pthread_key_t g_exit_key;

// Returns chunks to their arenas, one lock per run of same-arena chunks.
void ReturnChunks(void** chunks, int n) {
  int i = 0;
  while (i < n) {
    Arena* owner = static_cast<Arena*>(SegmentOf(chunks[i])->owner);
    int j = i + 1;
    while (j < n && SegmentOf(chunks[j])->owner == owner) ++j;
    owner->FreeBatch(chunks + i, j - i);
    i = j;
  }
}

void DrainBin(ThreadCache* tc, int cls, uint32_t keep) {
  ThreadCache::Bin& b = tc->bins[cls];
  void* batch[128];
  while (b.count > keep) {
    int n = 0;
    while (n < 128 && b.count > keep) {
      batch[n++] = b.head;
      b.head = *static_cast<void**>(b.head);
      --b.count;
    }
    ReturnChunks(batch, n);
  }
}

void DrainAll(ThreadCache* tc) {
  for (int c = 1; c < kNumClasses; ++c) DrainBin(tc, c, 0);
}

void OnThreadExit(void* arg) {
  ThreadCache* tc = static_cast<ThreadCache*>(arg);
  t_cache = nullptr;
  t_exited = true;
  DrainAll(tc);
  LockGuard guard(g_free_lock);
  tc->next_free = g_free_caches;
  g_free_caches = tc;
}

}  // namespace

void EnableThreadCaches() {
  if (pthread_key_create(&g_exit_key, OnThreadExit) != 0) return;  // caches stay off
  g_enabled.store(true, std::memory_order_release);
}

ThreadCache* GetOrCreateCache() {
  ThreadCache* tc = t_cache;
  if (ALLOCLAB_LIKELY(tc != nullptr)) return tc;
  if (t_exited || !g_enabled.load(std::memory_order_acquire)) return nullptr;
  {
    LockGuard guard(g_free_lock);
    tc = g_free_caches;
    if (tc != nullptr) g_free_caches = tc->next_free;
  }
  if (tc == nullptr) {
    tc = static_cast<ThreadCache*>(MetaAlloc(sizeof(ThreadCache)));
    if (tc == nullptr) return nullptr;
  }
  for (int c = 1; c < kNumClasses; ++c) {
    tc->bins[c].head = nullptr;
    tc->bins[c].count = 0;
    tc->bins[c].max = ClassInfo(c).cache_max;
  }
  tc->arena = ArenaForNewThread();
  tc->next_free = nullptr;
  t_cache = tc;
  // The key's destructor drains the cache when the thread exits.
  pthread_setspecific(g_exit_key, tc);
  return tc;
}

void* CacheRefill(ThreadCache* tc, int cls) {
  ThreadCache::Bin& b = tc->bins[cls];
  void* batch[64];
  const int want = ClassInfo(cls).batch;
  const int got = tc->arena->AllocBatch(cls, batch, want);
  if (got == 0) return nullptr;
  for (int i = 1; i < got; ++i) {
    *static_cast<void**>(batch[i]) = b.head;
    b.head = batch[i];
  }
  b.count += static_cast<uint32_t>(got - 1);
  return batch[0];
}

void CacheFlush(ThreadCache* tc, int cls) { DrainBin(tc, cls, tc->bins[cls].max / 2); }

void CacheDrainCurrent() {
  if (t_cache != nullptr) DrainAll(t_cache);
}

void ThreadCacheLockForFork() { g_free_lock.Lock(); }
void ThreadCacheUnlockForFork() { g_free_lock.Unlock(); }
void ThreadCacheAfterForkChild() { g_free_lock.Reset(); }

}  // namespace alloclab::malloc
