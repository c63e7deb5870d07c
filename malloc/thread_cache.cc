// ThreadCache: activation, refill, flush, and teardown at thread exit.
#include "malloc/thread_cache.h"

#include <pthread.h>

#include <atomic>

#include "malloc/arenas.h"
#include "malloc/platform.h"
#include "malloc/segment.h"

namespace alloclab::malloc {
namespace thread_cache_internal {
__thread ThreadCache t_cache __attribute__((tls_model("initial-exec")));
}  // namespace thread_cache_internal

namespace {

using thread_cache_internal::t_cache;

std::atomic<bool> g_enabled{false};
std::atomic<size_t> g_cached_run_pages{0};
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
  uint32_t length = ClassInfo(cls).cache_max - b.room;
  void* batch[128];
  while (length > keep) {
    int n = 0;
    while (n < 128 && length > keep) {
      batch[n++] = b.head;
      b.head = *static_cast<void**>(b.head);
      --length;
      ++b.room;
    }
    ReturnChunks(cls, batch, n);
  }
}

void DrainRuns(ThreadCache* tc) {
  for (PageInfo*& run : tc->runs) {
    if (run == nullptr) continue;
    g_cached_run_pages.fetch_sub(run->span_pages, std::memory_order_relaxed);
    static_cast<Arena*>(SegmentMeta::Of(run)->owner)->FreeRun(run);
    run = nullptr;
  }
}

void DrainAll(ThreadCache* tc) {
  for (int c = 1; c < kNumClasses; ++c) DrainBin(tc, c, 0);
  DrainRuns(tc);
}

// Runs among the thread's TLS destructors; TLS is still there.
void OnThreadExit(void*) {
  DrainAll(&t_cache);
  DetachThread(t_cache.arena);
  t_cache.state = ThreadCache::kExited;
  for (int c = 1; c < kNumClasses; ++c) t_cache.bins[c].room = 0;
}

}  // namespace

void EnableThreadCaches() {
  if (pthread_key_create(&g_exit_key, OnThreadExit) != 0) return;  // caches stay off
  g_enabled.store(true, std::memory_order_release);
}

ThreadCache* ActiveCache() {
  ThreadCache* tc = &t_cache;
  if (ALLOCLAB_LIKELY(tc->state == ThreadCache::kActive)) return tc;
  if (tc->state == ThreadCache::kExited || !g_enabled.load(std::memory_order_acquire)) {
    return nullptr;
  }
  tc->arena = AttachThread();
  for (int c = 1; c < kNumClasses; ++c) {
    tc->bins[c].head = nullptr;
    tc->bins[c].room = ClassInfo(c).cache_max;
  }
  for (PageInfo*& run : tc->runs) run = nullptr;
  tc->next_run = 0;
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

void* CachePopRun(ThreadCache* tc, uint32_t pages) {
  for (PageInfo*& run : tc->runs) {
    if (run != nullptr && run->span_pages == pages) {
      PageInfo* head = run;
      run = nullptr;
      g_cached_run_pages.fetch_sub(pages, std::memory_order_relaxed);
      return SegmentMeta::Of(head)->PageAddress(head->index);
    }
  }
  return nullptr;
}

bool CachePushRun(ThreadCache* tc, PageInfo* head) {
  if (head->span_pages > ThreadCache::kMaxCachedRunPages) return false;
  for (PageInfo* run : tc->runs) {
    if (run == head) FatalPointer("free(): double free detected", SegmentMeta::Of(head)->PageAddress(head->index));
  }
  PageInfo*& slot = tc->runs[tc->next_run];
  tc->next_run = (tc->next_run + 1) % ThreadCache::kRunSlots;
  if (slot != nullptr) {
    g_cached_run_pages.fetch_sub(slot->span_pages, std::memory_order_relaxed);
    static_cast<Arena*>(SegmentMeta::Of(slot)->owner)->FreeRun(slot);
  }
  slot = head;
  g_cached_run_pages.fetch_add(head->span_pages, std::memory_order_relaxed);
  return true;
}

size_t ThreadCachedRunBytes() { return g_cached_run_pages.load(std::memory_order_relaxed) * kPageSize; }

bool CacheHolds(int cls, const void* p) {
  if (t_cache.state != ThreadCache::kActive) return false;
  const ThreadCache::Bin& b = t_cache.bins[cls];
  uint32_t length = ClassInfo(cls).cache_max - b.room;
  for (void* q = b.head; q != nullptr && length-- > 0; q = *static_cast<void**>(q)) {
    if (q == p) return true;
  }
  return false;
}

void CacheFlush(ThreadCache* tc, int cls) { DrainBin(tc, cls, ClassInfo(cls).cache_max / 2); }

void CacheDrainCurrent() {
  if (t_cache.state == ThreadCache::kActive) DrainAll(&t_cache);
}

// Nothing shared to lock: caches are per thread. A forked child keeps the
// forking thread's cache; the other threads' cached chunks stay allocated.
void ThreadCacheLockForFork() {}
void ThreadCacheUnlockForFork() {}
void ThreadCacheAfterForkChild() {}

}  // namespace alloclab::malloc
