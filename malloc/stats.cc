// CollectStats and an allocation-free report formatter.
#include "malloc/stats.h"

#include "base/decimal.h"
#include "malloc/alloc.h"
#include "malloc/arena_registry.h"
#include "malloc/huge.h"
#include "malloc/meta_alloc.h"
#include "malloc/platform.h"
#include "malloc/segment.h"
#include "malloc/thread_cache.h"

namespace alloclab::malloc {
namespace {

class Text {
 public:
  Text(char* buf, size_t cap) : p_(buf), end_(buf + cap - 1), begin_(buf) {}
  Text& operator<<(const char* s) {
    while (*s != '\0' && p_ < end_) *p_++ = *s++;
    return *this;
  }
  Text& operator<<(size_t v) {
    p_ = base::PutDecimal(p_, end_, v);
    return *this;
  }
  size_t Finish() {
    *p_ = '\0';
    return static_cast<size_t>(p_ - begin_);
  }

 private:
  char* p_;
  char* end_;
  char* begin_;
};

}  // namespace

HeapStats CollectStats() {
  HeapStats s;
  ForEachArena([&](Arena* a) {
    const ArenaStats as = a->Stats();
    s.arena[s.arenas].stats = as;
    s.arena[s.arenas].threads = AttachedThreads(static_cast<int>(s.arenas));
    s.dirty_free_bytes += as.dirty_free_pages * kPageSize;
    ++s.arenas;
    s.segments += as.segments;
    s.free_bytes += as.free_pages * kPageSize;
    s.pool_bytes += as.slab_pages * kPageSize;
    s.pool_used_bytes += as.chunk_bytes_in_use;
    s.run_bytes += as.run_pages * kPageSize;
    s.cached_run_bytes += as.cached_run_pages * kPageSize;
  });
  s.break_bytes = SegmentBytesFromBreak();
  s.mapped_heap_bytes = SegmentBytesFromMmap();
  const HugeStats huge = GetHugeStats();
  s.huge_blocks = huge.blocks;
  s.huge_bytes = huge.bytes;
  s.huge_cached_bytes = huge.cached_bytes;
  const ThreadCacheTotals caches = ThreadCacheHoldings();
  s.thread_cache_bytes = caches.bytes;
  s.thread_caches = caches.caches;
  s.metadata_bytes = MetaBytesMapped() + ThreadCacheStorageBytes();
  s.arena_limit = ArenaLimit();
  s.per_cpu = PerCpu();
  s.decay_ms = Arena::DecayMs();
  s.mmap_threshold = MmapThreshold();
  return s;
}

size_t FormatStats(const HeapStats& s, char* buf, size_t cap) {
  Text t(buf, cap);
  t << "buddymalloc statistics\n"
    << "  heap:        " << s.break_bytes + s.mapped_heap_bytes << " bytes in " << s.segments
    << " segments (" << s.break_bytes << " from sbrk, " << s.mapped_heap_bytes << " from mmap), "
    << s.arenas << " arena(s)\n"
    << "  pools:       " << s.pool_used_bytes << " bytes in use of " << s.pool_bytes
    << " in slabs (thread caches count as in use)\n"
    << "  thread caches: " << s.thread_cache_bytes << " bytes of chunks in " << s.thread_caches << " caches\n"
    << "  page runs:   " << s.run_bytes << " bytes in use, " << s.cached_run_bytes << " cached for reuse\n"
    << "  free:        " << s.free_bytes << " bytes in free buddy blocks, " << s.dirty_free_bytes
    << " of them not yet returned to the kernel\n"
    << "  huge blocks: " << s.huge_blocks << " (" << s.huge_bytes << " bytes, mmap; " << s.huge_cached_bytes
    << " bytes freed and kept for reuse)\n"
    << "  metadata:    " << s.metadata_bytes << " bytes\n"
    << "  settings:    at most " << static_cast<size_t>(s.arena_limit) << " arenas, "
    << (s.per_cpu ? "per CPU" : "per thread") << ", decay " << static_cast<size_t>(s.decay_ms)
    << " ms, mmap threshold " << s.mmap_threshold << " bytes\n";
  for (size_t i = 0; i < s.arenas; ++i) {
    const ArenaStats& a = s.arena[i].stats;
    t << "  arena " << i << (i == 0 ? " (sbrk)" : " (mmap)") << ": " << static_cast<size_t>(s.arena[i].threads)
      << " threads, " << a.segments << " segments, " << a.chunk_bytes_in_use << " bytes in chunks, "
      << a.run_pages * kPageSize << " in runs, " << a.free_pages * kPageSize << " free; lock taken "
      << static_cast<size_t>(a.lock_acquisitions) << " times, " << static_cast<size_t>(a.lock_waits)
      << " of them after waiting\n";
    t << "    " << a.transfer_bytes << " bytes of the chunks in transfer caches; free blocks by pages:";
    for (int order = 0; order <= kMaxOrder; ++order) {
      if (a.free_blocks[order] != 0) t << " " << (size_t{1} << order) << "x" << a.free_blocks[order];
    }
    t << "\n";
  }
  return t.Finish();
}

size_t FormatStatsXml(const HeapStats& s, char* buf, size_t cap) {
  Text t(buf, cap);
  t << "<malloc version=\"buddymalloc-1\">\n";
  for (size_t i = 0; i < s.arenas; ++i) {
    const ArenaStats& a = s.arena[i].stats;
    t << "<heap nr=\"" << i << "\" source=\"" << (i == 0 ? "sbrk" : "mmap") << "\" threads=\""
      << static_cast<size_t>(s.arena[i].threads) << "\">\n"
      << "<segments count=\"" << a.segments << "\" size=\"" << a.segments * kSegmentSize << "\"/>\n"
      << "<pools slabs=\"" << a.slab_count << "\" size=\"" << a.slab_pages * kPageSize << "\" in_use=\""
      << a.chunk_bytes_in_use << "\" chunks=\"" << a.chunks_in_use << "\"/>\n"
      << "<runs in_use=\"" << a.run_pages * kPageSize << "\" cached=\"" << a.cached_run_pages * kPageSize
      << "\"/>\n"
      << "<free size=\"" << a.free_pages * kPageSize << "\" dirty=\"" << a.dirty_free_pages * kPageSize
      << "\"/>\n"
      << "</heap>\n";
  }
  t << "<huge count=\"" << s.huge_blocks << "\" size=\"" << s.huge_bytes << "\" cached=\"" << s.huge_cached_bytes
    << "\"/>\n"
    << "<system type=\"sbrk\" size=\"" << s.break_bytes << "\"/>\n"
    << "<system type=\"mmap\" size=\"" << s.mapped_heap_bytes + s.huge_bytes + s.huge_cached_bytes << "\"/>\n"
    << "<metadata size=\"" << s.metadata_bytes << "\"/>\n"
    << "<total in_use=\"" << s.pool_used_bytes + s.run_bytes + s.huge_bytes << "\" free=\""
    << s.free_bytes + s.cached_run_bytes + (s.pool_bytes - s.pool_used_bytes) + s.huge_cached_bytes
    << "\" dirty=\""
    << s.dirty_free_bytes << "\"/>\n"
    << "<settings arenas=\"" << static_cast<size_t>(s.arena_limit) << "\" per_cpu=\"" << (s.per_cpu ? "1" : "0")
    << "\" decay_ms=\"" << static_cast<size_t>(s.decay_ms) << "\" mmap_threshold=\"" << s.mmap_threshold
    << "\"/>\n"
    << "</malloc>\n";
  return t.Finish();
}

struct mallinfo2 MallInfo2() {
  const HeapStats s = CollectStats();
  struct mallinfo2 m = {};
  m.arena = s.break_bytes + s.mapped_heap_bytes;  // heap from sbrk and mmap'd segments
  m.ordblks = s.segments;
  m.hblks = s.huge_blocks;
  m.hblkhd = s.huge_bytes;                                      // in huge blocks (cached ones are free)
  m.uordblks = s.pool_used_bytes + s.run_bytes + s.huge_bytes;  // in use
  m.fsmblks = s.pool_bytes - s.pool_used_bytes;                 // free chunks in slabs
  m.fordblks = s.free_bytes + s.cached_run_bytes + m.fsmblks + s.huge_cached_bytes;  // free
  m.keepcost = s.free_bytes + s.huge_cached_bytes;              // releasable by malloc_trim
  return m;
}

}  // namespace alloclab::malloc
