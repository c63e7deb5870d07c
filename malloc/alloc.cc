// The slow paths: first use, cache refill, page runs, huge blocks, aligned
// and resizing allocation, and the checks that turn a bad pointer into an
// error line.
#include "malloc/alloc.h"

#include <atomic>
#include <cerrno>
#include <cstring>

#include "malloc/arena_registry.h"
#include "malloc/huge.h"
#include "malloc/init.h"

namespace alloclab::malloc {

namespace {

std::atomic<size_t> g_mmap_threshold{kDefaultMmapThreshold};
std::atomic<bool> g_threshold_fixed{false};

// Largest request we try to satisfy; beyond it size arithmetic could wrap.
constexpr size_t kMaxRequest = size_t{1} << 62;

void* NoMemory() {
  errno = ENOMEM;
  return nullptr;
}

Arena* ArenaForCaller() {
  ThreadCache* tc = ActiveCache();
  return ArenaForOperation(tc != nullptr ? tc->arena : nullptr);
}

// A chunk of class cls, through the cache when there is one.
void* AllocateClass(int cls) {
  ThreadCache* tc = ActiveCache();
  if (tc != nullptr) {
    void* p = CachePop(cls);
    return p != nullptr ? p : CacheRefill(tc, cls);
  }
  return ArenaForOperation(nullptr)->AllocSmall(cls);
}

// a + b into out (NUL-terminated, truncated to cap), without allocating.
void Concat(char* out, size_t cap, const char* a, const char* b) {
  size_t n = 0;
  for (; *a != '\0' && n + 1 < cap; ++a) out[n++] = *a;
  for (; *b != '\0' && n + 1 < cap; ++b) out[n++] = *b;
  out[n] = '\0';
}

// Aborts unless p is a live chunk: a chunk start (not inside one), and not a
// chunk that is free already.
void CheckChunk(const char* what, SegmentMeta* seg, uint32_t page, const void* p, int cls) {
  if (!IsChunkStart(seg, page, p, cls)) {
    char message[64];
    Concat(message, sizeof message, what, ": invalid pointer (inside a block)");
    FatalPointer(message, p);
  }
  if (MaybeFreed(p) && (CacheHolds(cls, p) || static_cast<Arena*>(seg->owner)->HoldsFreeChunk(cls, seg, p))) {
    char message[64];
    Concat(message, sizeof message, what, ": double free detected");
    FatalPointer(message, p);
  }
}

// What a pointer is, as far as our metadata says.
enum class BlockKind { kNull, kChunk, kRun, kHuge, kInvalid };

struct Block {
  BlockKind kind;
  SegmentMeta* seg;
  PageInfo* page;  // kRun: the run's head
  size_t usable;
};

Block Classify(const void* p) {
  if (p == nullptr) return {BlockKind::kNull, nullptr, nullptr, 0};
  SegmentMeta* seg = SegmentOf(p);
  if (seg != nullptr) {
    const uint32_t page = seg->PageOf(p);
    const int cls = seg->page_class[page];
    if (cls != 0) {
      if (!IsChunkStart(seg, page, p, cls)) return {BlockKind::kInvalid, seg, nullptr, 0};
      return {BlockKind::kChunk, seg, nullptr, ClassInfo(cls).size};
    }
    PageInfo* head = &seg->pages[page];
    if (head->kind == PageKind::kRun && seg->PageAddress(page) == p) {
      return {BlockKind::kRun, seg, head, size_t{head->span_pages} << kPageShift};
    }
    return {BlockKind::kInvalid, seg, nullptr, 0};
  }
  const size_t huge = HugeUsableSize(p);
  if (huge != 0) return {BlockKind::kHuge, nullptr, nullptr, huge};
  return {BlockKind::kInvalid, nullptr, nullptr, 0};
}

// What a page run that realloc grows to `size` gets: a quarter more, so that
// a buffer grown in small steps (a string builder appending a line at a
// time) moves or resizes once per 25% of growth, not once per page; then its
// copies add up to a few times its final size instead of its size times the
// number of steps. Within the mmap threshold (a block beyond is huge).
size_t WithHeadroom(size_t size) {
  const size_t roomy = size + size / 4;
  return roomy <= MmapThreshold() ? roomy : size;
}

void RaiseMmapThreshold(size_t freed) {
  if (freed > g_mmap_threshold.load(std::memory_order_relaxed) && freed <= kSegmentSize &&
      !g_threshold_fixed.load(std::memory_order_relaxed)) {
    g_mmap_threshold.store(freed, std::memory_order_relaxed);
  }
}

}  // namespace

size_t MmapThreshold() { return g_mmap_threshold.load(std::memory_order_relaxed); }

void SetMmapThreshold(size_t bytes) {
  g_threshold_fixed.store(true, std::memory_order_relaxed);
  g_mmap_threshold.store(bytes, std::memory_order_relaxed);
}

void* AllocateSlow(size_t size) {
  EnsureInitialized();
  void* p;
  if (size <= kMaxSmallSize) {
    p = AllocateClass(SizeToClass(size));
  } else if (size <= MmapThreshold()) {
    p = ArenaForCaller()->AllocRun(size, kPageSize);
  } else if (size <= kMaxRequest) {
    p = HugeAlloc(size, kPageSize);
  } else {
    p = nullptr;
  }
  return p != nullptr ? p : NoMemory();
}

void DeallocateSlow(void* p, SegmentMeta* seg) {
  if (p == nullptr) return;
  const uint32_t page = seg != nullptr ? seg->PageOf(p) : 0;
  // Whatever follows may madvise or munmap; free keeps errno.
  const int saved_errno = errno;
  if (seg != nullptr) {
    Arena* owner = static_cast<Arena*>(seg->owner);
    if (const int cls = seg->page_class[page]; cls != 0) {
      CheckChunk("free()", seg, page, p, cls);
      // The bin was full, or the cache is not active.
      ThreadCache* tc = ActiveCache();
      if (tc != nullptr) {
        CacheFlush(tc, cls);
        CachePush(cls, p);
      } else {
        owner->FreeSmall(cls, seg, p);
      }
    } else if (seg->pages[page].kind == PageKind::kRun && seg->PageAddress(page) == p) {
      owner->FreeRun(&seg->pages[page]);
    } else if (seg->PageAddress(page) == p && (seg->pages[page].kind == PageKind::kFree ||
                                               seg->pages[page].kind == PageKind::kCachedRun)) {
      FatalPointer("free(): double free detected", p);
    } else {
      FatalPointer("free(): invalid pointer", p);
    }
  } else if (const size_t freed = HugeFree(p, Arena::DecayMs()); freed != 0) {
    RaiseMmapThreshold(freed);
  } else {
    FatalPointer("free(): invalid pointer", p);
  }
  errno = saved_errno;
}

void* AllocateAligned(size_t align, size_t size) {
  if (align <= 16) return Allocate(size);
  if (size > kMaxRequest || align > kMaxRequest) return NoMemory();
  EnsureInitialized();
  if (size <= kMaxSmallSize && align <= kPageSize) {
    // Slabs start page-aligned and their head gap (a page multiple less
    // chunks) is a multiple of align too, so a class whose size is a
    // multiple of align yields only aligned chunks.
    for (int cls = SizeToClass(size); cls < kNumClasses; ++cls) {
      if (ClassInfo(cls).size % align == 0) {
        void* p = AllocateClass(cls);
        return p != nullptr ? p : NoMemory();
      }
    }
  }
  void* p;
  if (size <= MmapThreshold() && align <= kSegmentSize) {
    // Buddy blocks are aligned to their size within 4 MiB-aligned segments.
    p = ArenaForCaller()->AllocRun(size == 0 ? 1 : size, align);
  } else {
    p = HugeAlloc(size == 0 ? 1 : size, align);
  }
  return p != nullptr ? p : NoMemory();
}

void* AllocateZeroed(size_t size) {
  if (size > MmapThreshold() && size <= kMaxRequest) {
    // A fresh mapping is zero already; cached huge pages are not.
    EnsureInitialized();
    bool zeroed = false;
    void* p = HugeAlloc(size, kPageSize, &zeroed);
    if (p == nullptr) return NoMemory();
    if (!zeroed) std::memset(p, 0, size);
    return p;
  }
  void* p = Allocate(size);
  if (p != nullptr) std::memset(p, 0, size);
  return p;
}

size_t UsableSize(const void* p) {
  const Block b = Classify(p);
  if (b.kind == BlockKind::kInvalid) FatalPointer("malloc_usable_size(): invalid pointer", p);
  return b.usable;
}

void* Reallocate(void* p, size_t size) {
  if (p == nullptr) return Allocate(size);
  if (size == 0) {
    Deallocate(p);
    return nullptr;
  }
  const Block b = Classify(p);
  switch (b.kind) {
    case BlockKind::kChunk:
      CheckChunk("realloc()", b.seg, b.seg->PageOf(p), p, b.seg->page_class[b.seg->PageOf(p)]);
      // Stay while the class still fits and at least half of it is used.
      if (size <= b.usable && (size > b.usable / 2 || b.usable == ClassInfo(1).size)) return p;
      break;
    case BlockKind::kRun:
      if (size > kMaxSmallSize && size <= MmapThreshold()) {
        // A small shrink keeps the block whole: its tail may be the headroom
        // a growing block was given.
        if (size <= b.usable && size > b.usable - b.usable / 4) return p;
        Arena* owner = static_cast<Arena*>(b.seg->owner);
        if (size > b.usable && owner->ResizeRun(b.page, WithHeadroom(size))) return p;
        if (owner->ResizeRun(b.page, size)) return p;
      }
      break;
    case BlockKind::kHuge:
      if (size > MmapThreshold()) {
        // mremap; it cannot resize a block gathered from several mappings
        // (huge.cc): then the block moves by copying.
        if (void* q = HugeRealloc(p, size); q != nullptr) return q;
      }
      break;
    case BlockKind::kNull:
      break;
    case BlockKind::kInvalid:
      FatalPointer("realloc(): invalid pointer", p);
  }
  // Moving. A block that grows into page runs gets headroom and is placed
  // where it can keep growing in place.
  void* q;
  if (size > b.usable && size > kMaxSmallSize && size <= MmapThreshold()) {
    q = ArenaForCaller()->AllocRun(WithHeadroom(size), kPageSize, /*for_growth=*/true);
    if (q == nullptr) q = NoMemory();
  } else {
    q = Allocate(size);
  }
  if (q == nullptr) return nullptr;
  std::memcpy(q, p, size < b.usable ? size : b.usable);
  Deallocate(p);
  return q;
}

void TrimAll() {
  EnsureInitialized();
  CacheDrainCurrent();
  ForEachArena([](Arena* a) { a->Trim(); });
  HugeTrim(0, /*all=*/true);
}

}  // namespace alloclab::malloc
