// The arena registry: lazily initialised arenas, thread attachment counts,
// per-CPU selection.
#include "malloc/arena_registry.h"

#include <sched.h>

#include "base/spin_lock.h"

namespace alloclab::malloc {
namespace arenas_internal {
// Constant-initialised, in .bss: usable before any constructor runs; an
// arena's pages are touched only once it is initialised.
Arena g_arenas[kMaxArenas];
std::atomic<int> g_arena_count{0};
}  // namespace arenas_internal

namespace {

using arenas_internal::g_arena_count;
using arenas_internal::g_arenas;

base::SpinLock g_registry_lock;
std::atomic<int> g_limit{1};  // until the tunables are read: one arena
std::atomic<bool> g_per_cpu{false};
int g_attached[kMaxArenas];  // threads attached to each arena (registry lock)

// Arena i, initialising arenas up to it on first use.
Arena* ArenaAt(int i) {
  if (ALLOCLAB_LIKELY(i < g_arena_count.load(std::memory_order_acquire))) return &g_arenas[i];
  base::LockGuard guard(g_registry_lock);
  for (int n = g_arena_count.load(std::memory_order_relaxed); n <= i; ++n) {
    g_arenas[n].Init(/*use_break=*/n == 0);
    g_arena_count.store(n + 1, std::memory_order_release);
  }
  return &g_arenas[i];
}

// When DecayIdleArenas last ran.
std::atomic<uint64_t> g_outside_decay_ms{0};

}  // namespace

void InitArenas() { ArenaAt(0); }

Arena* MainArena() { return &g_arenas[0]; }

void SetArenaLimit(int n) {
  g_limit.store(n < 1 ? 1 : n > kMaxArenas ? kMaxArenas : n, std::memory_order_relaxed);
}
int ArenaLimit() { return g_limit.load(std::memory_order_relaxed); }
void SetPerCpu(bool on) { g_per_cpu.store(on, std::memory_order_relaxed); }
bool PerCpu() { return g_per_cpu.load(std::memory_order_relaxed); }

Arena* AttachThread() {
  {
    base::LockGuard guard(g_registry_lock);
    ++g_attached[0];
  }
  return ArenaAt(0);
}

bool ArenaIsContended(uint64_t acquisitions, uint64_t waits) {
  return acquisitions >= kContentionWindow && waits * 2 > acquisitions;
}

void DecayIdleArenas() {
  const uint64_t now = NowMs();
  uint64_t seen = g_outside_decay_ms.load(std::memory_order_relaxed);
  // Signed: another thread may have stamped a later time since NowMs().
  if (static_cast<int64_t>(now - seen) < static_cast<int64_t>(Arena::DecayMs() / 4)) return;
  if (!g_outside_decay_ms.compare_exchange_strong(seen, now, std::memory_order_relaxed)) return;  // another thread does it
  // Its own arena too: which arena a thread works in is not always the one
  // it is attached to (per CPU), and an arena busy with frees skips it.
  ForEachArena([](Arena* a) { a->DecayFromOutside(); });
}

Arena* SpreadThread(Arena* from) {
  const int i = static_cast<int>(from - g_arenas);
  if (i < 0 || i >= kMaxArenas) return from;
  int best = i;
  {
    base::LockGuard guard(g_registry_lock);
    const int limit = ArenaLimit();
    for (int j = 0; j < limit; ++j) {
      if (g_attached[j] < g_attached[best]) best = j;
    }
    // Only to an arena that then has fewer threads than this one had.
    if (best == i || g_attached[best] + 1 >= g_attached[i]) return from;
    --g_attached[i];
    ++g_attached[best];
  }
  return ArenaAt(best);
}

void DetachThread(Arena* a) {
  const int i = static_cast<int>(a - g_arenas);
  if (i < 0 || i >= kMaxArenas) return;
  base::LockGuard guard(g_registry_lock);
  if (g_attached[i] > 0) --g_attached[i];
}

int AttachedThreads(int i) {
  if (i < 0 || i >= kMaxArenas) return 0;
  base::LockGuard guard(g_registry_lock);
  return g_attached[i];
}

void ArenasLockForFork() { g_registry_lock.Lock(); }
void ArenasUnlockForFork() { g_registry_lock.Unlock(); }
void ArenasAfterForkChild(Arena* self) {
  g_registry_lock.Reset();
  for (int& n : g_attached) n = 0;
  const long i = self != nullptr ? self - g_arenas : -1;
  if (i >= 0 && i < kMaxArenas) g_attached[i] = 1;
}

Arena* ArenaForOperation(Arena* attached) {
  if (PerCpu()) {
    const int cpu = sched_getcpu();
    return ArenaAt(cpu < 0 ? 0 : cpu % ArenaLimit());
  }
  return attached != nullptr ? attached : MainArena();
}

}  // namespace alloclab::malloc
