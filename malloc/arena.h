// An arena: one buddy allocator, its segments and a pool per size class,
// behind one lock. Thread caches take batches of chunks from it and give them
// back; page runs (sizes above the pools) are served here directly. The first
// arena grows with the program break; others (per-thread arenas) with mmap.
#ifndef ALLOCLAB_MALLOC_ARENA_H_
#define ALLOCLAB_MALLOC_ARENA_H_

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "base/spin_lock.h"
#include "malloc/buddy.h"
#include "malloc/pool.h"
#include "malloc/segment.h"
#include "malloc/size_classes.h"

namespace alloclab::malloc {

struct ArenaStats {
  size_t segments = 0;
  size_t free_pages = 0;
  size_t dirty_free_pages = 0;  // free, not yet returned to the kernel
  size_t run_pages = 0;        // pages in allocated runs (large blocks)
  size_t cached_run_pages = 0; // freed runs kept for reuse
  size_t slab_count = 0;
  size_t slab_pages = 0;
  size_t chunks_in_use = 0;    // pool chunks handed out (cached ones included)
  size_t chunk_bytes_in_use = 0;
  size_t transfer_bytes = 0;   // chunks parked in the transfer caches (counted in use)
  // Free buddy blocks of each order (2^order pages): whether free memory is
  // in pieces too small for what is asked.
  size_t free_blocks[kMaxOrder + 1] = {};
  // Times the arena's lock was taken, and of those, found held by another
  // thread.
  uint64_t lock_acquisitions = 0;
  uint64_t lock_waits = 0;
};

class Arena {
  // Holds the arena's lock, counting the acquisition and whether it waited
  // (how a thread learns that its arena is contended: arena_registry.h).
  class Locked {
   public:
    explicit Locked(Arena* a) : a_(a) {
      if (!a->lock_.TryLock()) {
        a->waits_.fetch_add(1, std::memory_order_relaxed);
        a->lock_.Lock();
      }
      a->acquisitions_.store(a->acquisitions_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    }
    ~Locked() { a_->lock_.Unlock(); }
    Locked(const Locked&) = delete;
    Locked& operator=(const Locked&) = delete;

   private:
    Arena* a_;
  };

 public:
  // constexpr: arenas live in static storage and are used by the first
  // malloc, before any constructor runs; a member that needed dynamic
  // initialisation would re-initialise a live arena later.
  constexpr Arena() = default;
  void Init(bool use_break);

  // Pool chunks for a thread cache; returns how many (0 when out of memory).
  int AllocBatch(int cls, void** out, int n);
  // Where FreeBatch puts chunks: the transfer cache (while it has room)
  // keeps them for the next thread cache that refills; kSlabs returns them
  // to their slabs at once (cold chunks: an emptied slab frees its pages).
  enum class ChunkDestination { kTransferCache, kSlabs };
  // Returns chunks of class cls to this arena (locks once for all of them).
  void FreeBatch(int cls, void** chunks, int n, ChunkDestination to = ChunkDestination::kTransferCache);
  // One chunk without a cache.
  void* AllocSmall(int cls);
  // Whether chunk p (of class cls, in seg) is free here: in the transfer
  // cache or free in its slab (the double-free check's slow part).
  bool HoldsFreeChunk(int cls, SegmentMeta* seg, const void* p);
  // One chunk of class cls (in seg) without a cache.
  void FreeSmall(int cls, SegmentMeta* seg, void* p);

  // A run of whole pages for size bytes, aligned to align (<= kSegmentSize).
  // for_growth: the block is expected to grow (realloc), so it is cut from
  // a free block with room after it (BuddyAllocator::AllocRun).
  void* AllocRun(size_t size, size_t align, bool for_growth = false);
  void FreeRun(PageInfo* head);
  // Resizes a run in place (shrinking always works; growing when the pages
  // after it are free). false: the caller moves the block.
  bool ResizeRun(PageInfo* head, size_t new_size);

  // A run of at least kLargeFreePages freed while the arena keeps more free
  // memory resident than a quarter of the heap in use (huge blocks included;
  // at least kMinRetainedPages) is purged at once, and so are the cached
  // runs: a program whose heap shrinks, or that grew a buffer by copying it
  // (std::vector), does not keep the old copies resident for the decay time
  // (glibc would have unmapped them, above its mmap threshold). What it
  // costs is proportional to the program's own large frees, not to the
  // heap: purging all free memory beyond the budget instead refaulted a busy
  // multi-threaded heap page by page (benchmarks/results/
  // 2026-12-03-session7.txt).
  static constexpr uint32_t kLargeFreePages = 64;       // 256 KiB
  static constexpr size_t kMinRetainedPages = 128;      // 512 KiB

  // Returns cached chunks and runs to the buddy allocator, gives every wholly
  // free segment back and purges every free page (malloc_trim).
  void Trim();
  // The decay work a free into this arena does (idle transfer caches, dirty
  // pages and wholly free segments past the decay time, huge ranges), for an
  // arena no thread frees into any more: its memory would otherwise stay
  // until malloc_trim. Any thread's cache sweep calls it (DecayIdleArenas);
  // it does nothing while the lock is held (the holder is at work there).
  void DecayFromOutside();

  // How long freed pages stay before they go back to the kernel: wholly free
  // segments are released, free blocks inside used segments purged with
  // madvise (so that a workload that frees and reallocates does not refault
  // pages; checked on frees, and from thread-cache sweeps for every arena
  // (DecayIdleArenas), at most every decay/4).
  static constexpr uint64_t kDefaultDecayMs = 1000;
  static void SetDecayMs(uint64_t ms);
  static uint64_t DecayMs();

  ArenaStats Stats();

  base::SpinLock& lock() { return lock_; }
  // See ArenaStats; read without the lock (a moment's values).
  uint64_t lock_acquisitions() const { return acquisitions_.load(std::memory_order_relaxed); }
  uint64_t lock_waits() const { return waits_.load(std::memory_order_relaxed); }

 private:
  bool Grow();
  // Chunk p of class cls (marked freed) back to its pool.
  void FreeChunkLocked(int cls, SegmentMeta* seg, void* p);
  // Called when a segment became wholly free.
  void SegmentFree(SegmentMeta* seg);
  // Stamps the clock of the frees that follow (the buddy allocator's dirty
  // blocks, wholly free segments); BeginFree stamps now and returns it.
  void SetFreeTime(uint64_t ms);
  uint64_t BeginFree();
  // Purges free blocks that stayed dirty for the decay time.
  void PurgeExpired(uint64_t now_ms);
  // Releases (or purges) wholly free segments older than the decay time.
  void ReleaseExpired(uint64_t now_ms, bool all);
  void ReleaseOrPurge(SegmentMeta* seg);
  // Pages of free memory that may be resident (dirty buddy blocks, cached
  // runs) and pages in runs and slabs.
  size_t RetainedPages() const { return buddy_.dirty_pages() + run_cache_pages_; }
  size_t InUsePages() const {
    return segment_count_ * kPagesPerSegment - buddy_.free_pages() - run_cache_pages_;
  }
  // See kLargeFreePages: whether keeping a run of `freeing` pages (still
  // allocated) would put the arena over its budget.
  bool OverRetainedBudget(uint32_t freeing) const;
  // Purges a freed run's pages and returns it to the buddy allocator.
  void FreeRunPurged(PageInfo* head);
  bool Release(SegmentMeta* seg);
  void Link(SegmentMeta* seg);
  void Unlink(SegmentMeta* seg);

  // Recently freed small runs, reused by exact page count before going back
  // to the buddy allocator: a program that frees and reallocates blocks of
  // one size skips the splitting and merging.
  static constexpr int kRunCacheSlots = 8;  // a power of two
  static constexpr uint32_t kMaxCachedRunPages = 256;    // one run: 1 MiB
  static constexpr uint32_t kMaxRunCachePages = 512;     // all of them: 2 MiB
  PageInfo* TakeCachedRun(uint32_t pages);
  bool CacheRun(PageInfo* head);  // false: not cacheable
  // purge: its pages go back to the kernel first (FreeRunPurged). These
  // and FreeRunPurged free into the buddy allocator: the caller has stamped
  // its clock (BeginFree).
  void EvictCachedRun(PageInfo*& slot, bool purge = false);
  void FlushRunCache(bool purge = false);

  static constexpr int kTransferSlots = 1024;
  struct TransferCache {
    int count = 0;
    // When a refill last took from it, or it last became non-empty: its
    // chunks have waited for a thread since then.
    uint64_t idle_since_ms = 0;
    void* chunks[kTransferSlots] = {};
  };
  // The transfer caches of an arena share one budget: half of what it has
  // in use, at least 2 MiB. A per-class limit (1 MiB each, tried first) was
  // too small for a class of big chunks handed between threads
  // (thread_transfer: 100 MB peak, 61 MB with the shared budget) and too
  // large in sum for a small heap. A class's cache unused for a decay
  // period is flushed (Decay).
  static constexpr size_t kMinTransferBytes = size_t{2} << 20;
  static constexpr size_t kTransferShare = 2;
  static size_t ChunkBytes(int cls, int n) { return size_t{static_cast<uint32_t>(n)} * ClassInfo(cls).size; }
  bool TransferHasRoom(int cls, int n) const;
  void FlushTransferCache(int cls);
  void FlushTransferCaches();
  // The time-driven work of a free (at most every decay/4): transfer caches
  // idle for a decay period go back to their slabs, their frees dated a
  // decay period back, so that the pages they free (and no others) have
  // expired with the chunks' disuse and go back to the kernel in the same
  // step; then expired dirty pages, and expired cached huge ranges.
  void Decay(uint64_t now_ms);

  base::SpinLock lock_;
  std::atomic<uint64_t> acquisitions_{0};  // written under lock_
  std::atomic<uint64_t> waits_{0};
  BuddyAllocator buddy_;
  TransferCache transfer_[kNumClasses];
  size_t transfer_bytes_ = 0;  // the chunks in all of transfer_, in bytes
  uint64_t last_transfer_decay_ms_ = 0;
  uint64_t free_time_ms_ = 0;  // see SetFreeTime
  PageInfo* run_cache_[kRunCacheSlots] = {};
  int run_cache_next_ = 0;
  uint32_t run_cache_pages_ = 0;
  Pool pools_[kNumClasses];
  SegmentMeta* segments_ = nullptr;
  size_t segment_count_ = 0;
  size_t run_pages_ = 0;
  size_t idle_segments_ = 0;  // wholly free segments seen, not yet released
  uint64_t last_decay_ms_ = 0;
  uint64_t last_purge_ms_ = 0;
  uint64_t last_huge_decay_ms_ = 0;
  bool use_break_ = false;
};

}  // namespace alloclab::malloc

#endif  // ALLOCLAB_MALLOC_ARENA_H_
