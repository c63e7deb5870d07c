// Segment sources (break, mmap), the segment map, SegmentMeta recycling.
#include "malloc/segment.h"

#include "base/spin_lock.h"
#include "malloc/meta_alloc.h"

namespace alloclab::malloc {
namespace segment_internal {
// 256 MiB of address space in .bss; only the pages covering segments we
// register are ever touched.
SegmentMeta* g_segment_map[kSegmentMapEntries];
}  // namespace segment_internal

namespace {

using segment_internal::g_segment_map;

base::SpinLock g_lock;  // the break, the map's writers, the meta free list
SegmentMeta* g_free_metas = nullptr;
// Written under the lock, read without it (statistics): atomic accesses.
size_t g_break_bytes = 0;
size_t g_mmap_bytes = 0;

void AddBytes(size_t* counter, ptrdiff_t delta) {
  __atomic_store_n(counter, *counter + static_cast<size_t>(delta), __ATOMIC_RELAXED);
}

// A SegmentMeta whose pages are all kInterior and of no class: a fresh one
// (zeroed), or a recycled one reset.
SegmentMeta* TakeMeta() {
  if (g_free_metas != nullptr) {
    SegmentMeta* m = g_free_metas;
    g_free_metas = m->next;
    for (uint32_t i = 0; i < kPagesPerSegment; ++i) {
      m->page_class[i] = 0;
      m->pages[i] = PageInfo{};
    }
    return m;
  }
  return static_cast<SegmentMeta*>(MetaAlloc(sizeof(SegmentMeta), alignof(SegmentMeta)));
}

}  // namespace

SegmentMeta* NewSegment(void* owner, bool from_break) {
  base::LockGuard guard(g_lock);
  void* mem = from_break ? GrowBreak(kSegmentSize, kSegmentSize) : nullptr;
  const bool got_break = mem != nullptr;
  if (mem == nullptr) mem = MapAligned(kSegmentSize, kSegmentSize);
  if (mem == nullptr) return nullptr;
  SegmentMeta* seg = TakeMeta();
  if (seg == nullptr) {
    if (got_break) {
      ShrinkBreak(static_cast<char*>(mem) + kSegmentSize, kSegmentSize);
    } else {
      UnmapPages(mem, kSegmentSize);
    }
    return nullptr;
  }
  seg->base = reinterpret_cast<uintptr_t>(mem);
  seg->owner = owner;
  seg->next = seg->prev = nullptr;
  seg->from_break = got_break;
  seg->band = 0;
  AddBytes(got_break ? &g_break_bytes : &g_mmap_bytes, static_cast<ptrdiff_t>(kSegmentSize));
  __atomic_store_n(&g_segment_map[seg->base >> kSegmentShift], seg, __ATOMIC_RELEASE);
  return seg;
}

bool CanReleaseSegment(const SegmentMeta* seg) {
  return !seg->from_break || BreakEndsAt(reinterpret_cast<char*>(seg->base) + kSegmentSize);
}

bool ReleaseSegment(SegmentMeta* seg) {
  base::LockGuard guard(g_lock);
  char* mem = reinterpret_cast<char*>(seg->base);
  if (seg->from_break) {
    if (!ShrinkBreak(mem + kSegmentSize, kSegmentSize)) return false;
    AddBytes(&g_break_bytes, -static_cast<ptrdiff_t>(kSegmentSize));
  } else {
    UnmapPages(mem, kSegmentSize);
    AddBytes(&g_mmap_bytes, -static_cast<ptrdiff_t>(kSegmentSize));
  }
  __atomic_store_n(&g_segment_map[seg->base >> kSegmentShift], nullptr, __ATOMIC_RELEASE);
  seg->next = g_free_metas;
  g_free_metas = seg;
  return true;
}

void SegmentsLockForFork() { g_lock.Lock(); }
void SegmentsUnlockForFork() { g_lock.Unlock(); }
void SegmentsAfterForkChild() { g_lock.Reset(); }

size_t SegmentBytesFromBreak() { return __atomic_load_n(&g_break_bytes, __ATOMIC_RELAXED); }
size_t SegmentBytesFromMmap() { return __atomic_load_n(&g_mmap_bytes, __ATOMIC_RELAXED); }

}  // namespace alloclab::malloc
