// The arena registry: the process's arenas and which one a thread uses. Two
// ways to bind threads to arenas:
//  - per thread (default): a thread is attached, when its cache activates, to
//    the main arena. A thread whose arena's lock was found
//    held on more than half of the last kContentionWindow or more
//    acquisitions moves to the arena with the fewest threads, created if need
//    be, among at most ArenaLimit() arenas (the CPU count unless
//    BUDDYMALLOC_ARENAS says otherwise); threads beyond that share. It
//    detaches at exit, so its arena goes to the next. Arenas are created only
//    where threads contend: free memory in one arena cannot serve another's
//    threads, and arenas made for threads that did not contend cost peak RSS
//    for nothing (thread_transfer 181 -> 118 MB, threaded_churn --threads=8
//    61 -> 45 MB, producer-consumer 8 threads 21.6 -> 15.2 MB; thread caches
//    keep most of the traffic off the arena locks: a lock found held on 4-17%
//    of acquisitions cost 0-14% of the time on two cores. A lower threshold
//    (1/4, 1/8) spread threads on bursts and kept most of the memory split.
//    benchmarks/results/2026-12-03-session10.txt).
//  - per CPU (BUDDYMALLOC_PER_CPU=1): every slow-path operation takes the
//    arena of the CPU it runs on (sched_getcpu), each behind its own lock.
// Arena 0 grows with the program break; the others with mmap.
#ifndef ALLOCLAB_MALLOC_ARENA_REGISTRY_H_
#define ALLOCLAB_MALLOC_ARENA_REGISTRY_H_

#include <atomic>

#include "malloc/arena.h"

namespace alloclab::malloc {

inline constexpr int kMaxArenas = 64;

void InitArenas();

// The arena that grows with the program break.
Arena* MainArena();

// Settings (tunables): how many arenas at most, per-CPU binding.
void SetArenaLimit(int n);
int ArenaLimit();
void SetPerCpu(bool on);
bool PerCpu();

// Per-thread binding: the arena for a thread whose cache activates, and the
// release of it when the thread exits.
Arena* AttachThread();
void DetachThread(Arena* a);
// Lock acquisitions of its arena a thread counts before judging contention.
inline constexpr uint64_t kContentionWindow = 1024;
// Whether an arena whose lock was taken `acquisitions` times, `waits` of
// them after waiting, is contended enough to spread its threads.
bool ArenaIsContended(uint64_t acquisitions, uint64_t waits);
// Moves a thread attached to `from` to the arena with the fewest attached
// threads, if that leaves fewer on it than on `from`; returns the thread's
// arena.
Arena* SpreadThread(Arena* from);
// Runs every arena's decay work (Arena::DecayFromOutside), at most every
// quarter of the decay time in the whole process: an arena
// whose threads exited or moved, and whose chunks nobody frees, gets no
// frees of its own to run it (its transfer caches held chunks, and their
// pages stayed resident, until malloc_trim). Thread caches call it as they
// sweep their bins.
void DecayIdleArenas();

// Threads attached to arena i now.
int AttachedThreads(int i);

// Fork handlers for the registry. The child starts with only the forking
// thread attached (to `self`, or to nothing when it has no cache).
void ArenasLockForFork();
void ArenasUnlockForFork();
void ArenasAfterForkChild(Arena* self);

// The arena for a slow-path operation of a thread attached to `attached`
// (nullptr: the thread has no cache): the CPU's in per-CPU mode, else the
// attached one (or the main arena).
Arena* ArenaForOperation(Arena* attached);

namespace arenas_internal {
extern Arena g_arenas[kMaxArenas];
extern std::atomic<int> g_arena_count;  // arenas initialised: 0 .. count-1
}  // namespace arenas_internal

// Visits every initialised arena.
template <typename F>
void ForEachArena(F f) {
  const int n = arenas_internal::g_arena_count.load(std::memory_order_acquire);
  for (int i = 0; i < n; ++i) f(&arenas_internal::g_arenas[i]);
}

}  // namespace alloclab::malloc

#endif  // ALLOCLAB_MALLOC_ARENA_REGISTRY_H_
