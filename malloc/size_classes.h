// The size classes served by pools and thread caches: 16-byte steps up to
// 256, then four classes per doubling up to 128 KiB (at most 25% rounding,
// 12% on average) but eight from 1 to 8 KiB (at most 12.5%): sqlite's
// 1032-byte cells and 4104- or 4368-byte pages took 1280 and 5120 bytes, and
// its peak RSS was 1.32 of glibc's (1.14 with the finer classes; benchmarks/
// results/2026-12-03-session10.txt). With each class's slab size and
// thread-cache batch.
// Every slab is a power of two pages long, so that it fills the buddy block
// it is cut from: a slab's tail given back as smaller blocks was taken by
// other slabs, and the first slab's pages could not merge when it was freed
// (buddy.h). Classes up to 128 KiB are pool classes, so that a program
// allocating and freeing blocks of tens of KiB gets them from its thread
// cache, not from the arena under its lock (tcmalloc's size classes go as
// far); above 32 KiB a slab holds as few chunks as keep its spare bytes
// (SizeClass::head_gap) within 1/8
// (one 64 KiB chunk in 16 pages, three 40 KiB chunks in 32): thread_transfer,
// whose blocks of 1-100 KB had page runs of 10-28 pages with tails, peaked at
// 1.57 of glibc's RSS, 1.16 so. Computed at compile time; SizeToClass is a
// table lookup.
#ifndef ALLOCLAB_MALLOC_SIZE_CLASSES_H_
#define ALLOCLAB_MALLOC_SIZE_CLASSES_H_

#include <cstddef>
#include <cstdint>

#include "malloc/platform.h"

namespace alloclab::malloc {

inline constexpr int kNumClasses = 65;  // class 0 means "not a pool size"
inline constexpr size_t kMaxSmallSize = 131072;
// Classes up to this have at least two chunks per slab.
inline constexpr size_t kMaxSharedSlabChunk = 32768;
// The longest slab (the 96 KiB class's five chunks).
inline constexpr uint32_t kMaxSlabPages = 128;

struct SizeClass {
  uint32_t size = 0;        // bytes per chunk
  uint16_t slab_pages = 0;  // pages per slab
  uint16_t capacity = 0;    // chunks per slab
  uint16_t batch = 0;       // chunks moved between a thread cache and the pool at once
  uint16_t cache_max = 0;   // chunks a thread cache keeps before flushing
  // Bytes before a slab's first chunk: the slab's spare bytes (below the
  // chunk size) go at its start, so that the chunks end where the slab does.
  // At the end, they would hold a position on the chunk grid (the slab's
  // start plus capacity x size) that a free of a made-up pointer there
  // would take for a chunk: a chunk reaching past the slab. In front, the
  // grid's positions are all chunks.
  uint32_t head_gap = 0;
};

namespace size_class_internal {

// The classes eight to a doubling: 1152 bytes to 8 KiB.
inline constexpr int kFirstFineClass = 25;
inline constexpr int kLastFineClass = 48;

constexpr uint32_t ClassSize(int cls) {
  if (cls <= 16) return static_cast<uint32_t>(cls) * 16;
  if (cls < kFirstFineClass) {  // four classes per doubling from 256
    const int k = cls - 17;
    const uint32_t base = uint32_t{256} << (k / 4);
    return base + base * static_cast<uint32_t>(k % 4 + 1) / 4;
  }
  if (cls <= kLastFineClass) {  // eight per doubling from 1 KiB
    const int k = cls - kFirstFineClass;
    const uint32_t base = uint32_t{1024} << (k / 8);
    return base + base * static_cast<uint32_t>(k % 8 + 1) / 8;
  }
  const int k = cls - (kLastFineClass + 1);  // four per doubling from 8 KiB
  const uint32_t base = uint32_t{8192} << (k / 4);
  return base + base * static_cast<uint32_t>(k % 4 + 1) / 4;
}

constexpr SizeClass Make(int cls) {
  SizeClass c;
  c.size = ClassSize(cls);
  // The fewest pages, a power of two, holding enough chunks with at most 1/8
  // of the slab spare (head_gap).
  const uint32_t min_chunks = c.size <= 4096 ? 8 : c.size <= 16384 ? 4 : c.size <= kMaxSharedSlabChunk ? 2 : 1;
  for (uint32_t pages = 1; pages <= kMaxSlabPages; pages *= 2) {
    const uint32_t bytes = pages * kPageSize;
    const uint32_t cap = bytes / c.size;
    if (cap >= min_chunks && (bytes - cap * c.size) * 8 <= bytes) {
      c.slab_pages = static_cast<uint16_t>(pages);
      c.capacity = static_cast<uint16_t>(cap);
      c.head_gap = bytes - cap * c.size;
      break;
    }
  }
  uint32_t batch = 8192 / c.size;
  batch = batch < 2 ? 2 : batch > 64 ? 64 : batch;
  c.batch = static_cast<uint16_t>(batch);
  // A thread keeps up to 32 KiB of a class (at least two batches): a burst
  // of a thousand small blocks allocated and freed stays in the cache.
  // Classes eight to a doubling share what four would get: finer classes
  // alone cost the threaded workloads memory in more caches.
  const uint32_t share = cls >= kFirstFineClass && cls <= kLastFineClass ? 2 : 1;
  uint32_t cache_max = 32768 / c.size / share;
  cache_max = cache_max < 2 * batch ? 2 * batch : cache_max > 2048 ? 2048 : cache_max;
  c.cache_max = static_cast<uint16_t>(cache_max);
  return c;
}

struct Tables {
  SizeClass classes[kNumClasses];
  // One lookup for every small size, by (size + 15) / 16: 8 KiB, and the hot
  // front of it stays in L1.
  uint8_t by_16[kMaxSmallSize / 16 + 1];
  // Per class, 2^64 / size rounded up: x (< 2^32) is a multiple of size
  // exactly when x * div_magic < div_magic (Lemire et al., "Faster remainder
  // by direct computation"). 0 for class 0: nothing is a chunk start there.
  uint64_t div_magic[kNumClasses];
};

constexpr Tables MakeTables() {
  Tables t{};
  for (int cls = 1; cls < kNumClasses; ++cls) {
    t.classes[cls] = Make(cls);
    t.div_magic[cls] = ~uint64_t{0} / t.classes[cls].size + 1;
  }
  int cls = 1;
  for (uint32_t i = 0; i <= kMaxSmallSize / 16; ++i) {
    while (t.classes[cls].size < i * 16) ++cls;
    t.by_16[i] = static_cast<uint8_t>(cls);
  }
  return t;
}

inline constexpr Tables kTables = MakeTables();
static_assert(ClassSize(kNumClasses - 1) == kMaxSmallSize);
static_assert(ClassSize(17) == 320 && ClassSize(20) == 512 && ClassSize(16) == 256);
static_assert(ClassSize(56) == kMaxSharedSlabChunk);
static_assert(ClassSize(24) == 1024 && ClassSize(25) == 1152 && ClassSize(48) == 8192 && ClassSize(49) == 10240);
constexpr bool SlabsFitTheirMaps() {
  for (int cls = 1; cls < kNumClasses; ++cls) {
    if (Make(cls).capacity > 256 || Make(cls).slab_pages == 0) return false;
  }
  return true;
}
static_assert(SlabsFitTheirMaps());

}  // namespace size_class_internal

inline const SizeClass& ClassInfo(int cls) { return size_class_internal::kTables.classes[cls]; }

// See Tables::div_magic.
inline uint64_t DivMagic(int cls) { return size_class_internal::kTables.div_magic[cls]; }

// offset / ClassInfo(cls).size for an offset below 2^32, by a multiply: with
// div_magic = ceil(2^64 / size), the high word of offset * div_magic is the
// quotient (Lemire et al.).
inline uint32_t ChunkIndex(uint32_t offset, int cls) {
  return static_cast<uint32_t>((static_cast<unsigned __int128>(offset) * DivMagic(cls)) >> 64);
}

// The most chunks a slab holds (16-byte chunks in one page): a slab's free
// chunks fit a 256-bit map (SegmentMeta::slab_free).
inline constexpr uint32_t kMaxSlabChunks = 256;

// The pool class for size (<= kMaxSmallSize); malloc(0) gets the smallest.
inline int SizeToClass(size_t size) { return size_class_internal::kTables.by_16[(size + 15) >> 4]; }

}  // namespace alloclab::malloc

#endif  // ALLOCLAB_MALLOC_SIZE_CLASSES_H_
