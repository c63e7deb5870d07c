// Per-thread caches in front of the pools: one LIFO list of free chunks per
// size class, filled and drained in batches under the arena lock, so the
// common malloc and free touch no lock and no shared cache line. The fast
// paths are inline here; everything else is in thread_cache.cc.
#ifndef ALLOCLAB_MALLOC_THREAD_CACHE_H_
#define ALLOCLAB_MALLOC_THREAD_CACHE_H_

#include <cstddef>
#include <cstdint>

#include "malloc/arena.h"
#include "malloc/platform.h"
#include "malloc/size_classes.h"

namespace alloclab::malloc {

struct ThreadCache {
  struct Bin {
    void* head;
    uint32_t count;
    uint32_t max;
  };
  Bin bins[kNumClasses];
  Arena* arena;
  ThreadCache* next_free;  // recycled caches
};

namespace thread_cache_internal {
// initial-exec: one fs-relative load, no __tls_get_addr call, even from the
// preloaded shared object.
extern __thread ThreadCache* t_cache __attribute__((tls_model("initial-exec")));
}  // namespace thread_cache_internal

inline ThreadCache* CurrentCache() { return thread_cache_internal::t_cache; }

// Pops a cached chunk of class cls, or nullptr.
inline void* CachePop(ThreadCache* tc, int cls) {
  ThreadCache::Bin& b = tc->bins[cls];
  void* p = b.head;
  if (ALLOCLAB_LIKELY(p != nullptr)) {
    b.head = *static_cast<void**>(p);
    --b.count;
  }
  return p;
}

// Pushes a freed chunk; returns false when the bin is over its limit and
// must be flushed (CacheFlush).
inline bool CachePush(ThreadCache* tc, int cls, void* p) {
  ThreadCache::Bin& b = tc->bins[cls];
  *static_cast<void**>(p) = b.head;
  b.head = p;
  return ++b.count <= b.max;
}

// Refills bin cls from the arena and pops one chunk; nullptr when out of memory.
void* CacheRefill(ThreadCache* tc, int cls);
// Gives half of bin cls back to the pools.
void CacheFlush(ThreadCache* tc, int cls);

// The calling thread's cache, created on first use; nullptr before
// EnableThreadCaches or after the thread's cache was torn down at exit.
ThreadCache* GetOrCreateCache();

// Returns every cached chunk of the calling thread (malloc_trim).
void CacheDrainCurrent();

// Called once at initialisation: registers the thread-exit hook and lets
// threads create caches from then on.
void EnableThreadCaches();

// Fork handlers.
void ThreadCacheLockForFork();
void ThreadCacheUnlockForFork();
void ThreadCacheAfterForkChild();

}  // namespace alloclab::malloc

#endif  // ALLOCLAB_MALLOC_THREAD_CACHE_H_
