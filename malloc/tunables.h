// Settings from the environment, read once at initialisation. One prefix,
// BUDDYMALLOC_:
//   BUDDYMALLOC_MMAP_THRESHOLD=bytes  blocks above go to mmap (at most 4 MiB);
//                                     setting it turns off the dynamic threshold
//   BUDDYMALLOC_DECAY_MS=ms           how long free segments stay before they
//                                     go back to the kernel (default 1000)
//   BUDDYMALLOC_STATS_AT_EXIT=1       print malloc_stats() at exit
//   BUDDYMALLOC_ARENAS=n              at most n arenas (1..64; default: CPUs)
//   BUDDYMALLOC_PER_CPU=1             bind operations to the CPU's arena
//                                     (sched_getcpu) instead of the thread's
// A value that does not parse or is out of range gets one warning line on
// stderr and the default.
#ifndef ALLOCLAB_MALLOC_TUNABLES_H_
#define ALLOCLAB_MALLOC_TUNABLES_H_

namespace alloclab::malloc {

void ReadTunables();
bool StatsAtExit();

}  // namespace alloclab::malloc

#endif  // ALLOCLAB_MALLOC_TUNABLES_H_
