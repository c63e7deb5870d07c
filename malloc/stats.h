// Heap statistics for mallinfo, mallinfo2 and malloc_stats: gathered from
// every layer, formatted without allocating.
#ifndef ALLOCLAB_MALLOC_STATS_H_
#define ALLOCLAB_MALLOC_STATS_H_

#include <malloc.h>

#include <cstddef>

#include "malloc/arena.h"
#include "malloc/arena_registry.h"

namespace alloclab::malloc {

struct ArenaReport {
  ArenaStats stats;
  int threads = 0;  // attached (per-thread binding)
};

struct HeapStats {
  size_t arenas = 0;
  ArenaReport arena[kMaxArenas];
  size_t segments = 0;
  size_t break_bytes = 0;       // heap from sbrk
  size_t mapped_heap_bytes = 0; // heap segments from mmap
  size_t free_bytes = 0;        // free buddy blocks
  size_t pool_bytes = 0;        // pages held by pool slabs
  size_t pool_used_bytes = 0;   // chunks handed out (thread caches included)
  size_t thread_cache_bytes = 0;  // of those, held in thread caches (a moment's reading)
  size_t thread_caches = 0;       // active thread caches
  size_t run_bytes = 0;         // page runs in use
  size_t cached_run_bytes = 0;  // freed runs kept for reuse
  size_t huge_blocks = 0;
  size_t huge_bytes = 0;
  size_t huge_cached_bytes = 0;  // freed huge pages kept mapped for reuse
  size_t metadata_bytes = 0;
  size_t dirty_free_bytes = 0;  // free but not yet returned to the kernel
  // Settings in force.
  int arena_limit = 0;
  bool per_cpu = false;
  uint64_t decay_ms = 0;
  size_t mmap_threshold = 0;
};

HeapStats CollectStats();

// mallinfo2's fields from the heap statistics (malloc_api.cc's mallinfo2 and
// mallinfo, and the tests' internal API, use this one mapping).
struct mallinfo2 MallInfo2();

// Writes a readable report into buf (NUL-terminated); returns its length.
size_t FormatStats(const HeapStats& s, char* buf, size_t cap);

// The same as XML for programs (malloc_info), in the spirit of glibc's.
size_t FormatStatsXml(const HeapStats& s, char* buf, size_t cap);

}  // namespace alloclab::malloc

#endif  // ALLOCLAB_MALLOC_STATS_H_
