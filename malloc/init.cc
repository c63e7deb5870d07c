// EnsureInitialized and the pthread_atfork handlers: before fork every
// allocator lock is taken, so that the child starts from consistent state;
// after it the parent releases them and the child resets them.
#include "malloc/init.h"

#include <pthread.h>

#include <atomic>

#include "base/spin_lock.h"
#include "malloc/arena_registry.h"
#include "malloc/hardening.h"
#include "malloc/huge.h"
#include "malloc/meta_alloc.h"
#include "malloc/platform.h"
#include "malloc/segment.h"
#include "malloc/thread_cache.h"
#include "malloc/tunables.h"

namespace alloclab::malloc {
namespace {

enum InitState : int { kUninitialized, kInitializing, kReady };
std::atomic<int> g_state{kUninitialized};
base::SpinLock g_init_lock;

void PrepareFork() {
  ArenasLockForFork();
  ThreadCacheLockForFork();
  ForEachArena([](Arena* a) { a->lock().Lock(); });
  HugeLockForFork();
  SegmentsLockForFork();
  MetaAllocLockForFork();
}

void ParentAfterFork() {
  MetaAllocUnlockForFork();
  SegmentsUnlockForFork();
  HugeUnlockForFork();
  ForEachArena([](Arena* a) { a->lock().Unlock(); });
  ThreadCacheUnlockForFork();
  ArenasUnlockForFork();
}

void ChildAfterFork() {
  MetaAllocAfterForkChild();
  SegmentsAfterForkChild();
  HugeAfterForkChild();
  ForEachArena([](Arena* a) { a->lock().Reset(); });
  ThreadCacheAfterForkChild();
  ThreadCache* tc = ActiveCacheIfAny();  // never activates: the registry locks are still held
  ArenasAfterForkChild(tc != nullptr ? tc->arena : nullptr);
}

// Tunables are read by a constructor, not by the first malloc: that can come
// before libc has set up the environment.
__attribute__((constructor)) void ReadTunablesAtStart() { ReadTunables(); }

}  // namespace

void EnsureInitialized() {
  if (ALLOCLAB_LIKELY(g_state.load(std::memory_order_acquire) == kReady)) return;
  {
    base::LockGuard guard(g_init_lock);
    if (g_state.load(std::memory_order_relaxed) != kUninitialized) return;
    InitHardening();
    InitArenas();
    g_state.store(kInitializing, std::memory_order_release);
  }
  pthread_atfork(PrepareFork, ParentAfterFork, ChildAfterFork);
  EnableThreadCaches();
  g_state.store(kReady, std::memory_order_release);
}

}  // namespace alloclab::malloc
