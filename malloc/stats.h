// Heap statistics for mallinfo, mallinfo2 and malloc_stats: gathered from
// every layer, formatted without allocating.
#ifndef ALLOCLAB_MALLOC_STATS_H_
#define ALLOCLAB_MALLOC_STATS_H_

#include <cstddef>

namespace alloclab::malloc {

struct HeapStats {
  size_t arenas = 0;
  size_t segments = 0;
  size_t break_bytes = 0;       // heap from sbrk
  size_t mapped_heap_bytes = 0; // heap segments from mmap
  size_t free_bytes = 0;        // free buddy blocks
  size_t pool_bytes = 0;        // pages held by pool slabs
  size_t pool_used_bytes = 0;   // chunks handed out (thread caches included)
  size_t run_bytes = 0;         // page runs in use
  size_t cached_run_bytes = 0;  // freed runs kept for reuse
  size_t huge_blocks = 0;
  size_t huge_bytes = 0;
  size_t metadata_bytes = 0;
};

HeapStats CollectStats();

// Writes a readable report into buf (NUL-terminated); returns its length.
size_t FormatStats(const HeapStats& s, char* buf, size_t cap);

}  // namespace alloclab::malloc

#endif  // ALLOCLAB_MALLOC_STATS_H_
