// CollectStats and an allocation-free report formatter.
#include "malloc/stats.h"

#include "malloc/arenas.h"
#include "malloc/huge.h"
#include "malloc/meta_alloc.h"
#include "malloc/platform.h"
#include "malloc/segment.h"

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
    char digits[24];
    int n = 0;
    do {
      digits[n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    while (n > 0 && p_ < end_) *p_++ = digits[--n];
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
  s.metadata_bytes = MetaBytesMapped();
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
    << "  page runs:   " << s.run_bytes << " bytes in use, " << s.cached_run_bytes << " cached for reuse\n"
    << "  free:        " << s.free_bytes << " bytes in free buddy blocks\n"
    << "  huge blocks: " << s.huge_blocks << " (" << s.huge_bytes << " bytes, mmap)\n"
    << "  metadata:    " << s.metadata_bytes << " bytes\n";
  return t.Finish();
}

}  // namespace alloclab::malloc
