// Arena: locking, growth and segment release around the buddy and pools.
#include "malloc/arena.h"

#include <cstring>

#include "malloc/hardening.h"
#include "malloc/huge.h"
#include "malloc/intrusive_list.h"
#include "malloc/platform.h"

namespace alloclab::malloc {

void Arena::Init(bool use_break) {
  // Idempotent: the pools' classes are fixed.
  use_break_ = use_break;
  for (int c = 1; c < kNumClasses; ++c) pools_[c].Init(c);
}

bool Arena::Grow() {
  SegmentMeta* seg = NewSegment(this, use_break_);
  if (seg == nullptr) return false;
  Link(seg);
  buddy_.AddSegment(seg);
  return true;
}

namespace {

uint64_t g_decay_ms = Arena::kDefaultDecayMs;

bool WhollyFree(const SegmentMeta* seg) {
  return seg->pages[0].kind == PageKind::kFree && seg->pages[0].order == kMaxOrder;
}

}  // namespace

void Arena::Link(SegmentMeta* seg) {
  ListPush(&segments_, seg);
  ++segment_count_;
}

void Arena::Unlink(SegmentMeta* seg) {
  ListRemove(&segments_, seg);
  --segment_count_;
}

bool Arena::Release(SegmentMeta* seg) {
  buddy_.RemoveSegment(seg);
  Unlink(seg);
  if (ReleaseSegment(seg)) return true;
  Link(seg);
  buddy_.AddSegment(seg);
  return false;
}

void Arena::ReleaseOrPurge(SegmentMeta* seg) {
  if (!CanReleaseSegment(seg)) {
    // A break segment below the top stays mapped, without its pages.
    buddy_.PurgeBlock(&seg->pages[0]);
    return;
  }
  Release(seg);
}

void Arena::SegmentFree(SegmentMeta* seg) {
  // As young as its youngest part (BuddyAllocator merges keep that time):
  // a flush dates its frees back, not the rest of the segment's.
  uint64_t since = free_time_ms_;
  const PageInfo& whole = seg->pages[0];
  const uint32_t later = whole.dirty_since - static_cast<uint32_t>(since);
  if (whole.dirty && static_cast<int32_t>(later) > 0) since += later;
  seg->free_since_ms = since;
  ++idle_segments_;
  ReleaseExpired(NowMs(), /*all=*/false);
}

void Arena::SetFreeTime(uint64_t ms) {
  free_time_ms_ = ms;
  buddy_.set_now_ms(static_cast<uint32_t>(ms));
}

uint64_t Arena::BeginFree() {
  const uint64_t now = NowMs();
  SetFreeTime(now);
  return now;
}

void Arena::PurgeExpired(uint64_t now_ms) {
  if (buddy_.dirty_pages() == 0 || now_ms - last_purge_ms_ < g_decay_ms / 4) return;
  last_purge_ms_ = now_ms;
  buddy_.PurgeDirty(static_cast<uint32_t>(now_ms), static_cast<uint32_t>(g_decay_ms));
}

void Arena::ReleaseExpired(uint64_t now_ms, bool all) {
  if (idle_segments_ == 0) return;
  if (!all && now_ms - last_decay_ms_ < g_decay_ms / 4) return;
  last_decay_ms_ = now_ms;
  // Restart after every release: releasing a break segment may release the
  // ones below it, which would invalidate a saved cursor.
  size_t idle = 0;
  for (bool again = true; again;) {
    again = false;
    idle = 0;
    for (SegmentMeta* seg = segments_; seg != nullptr; seg = seg->next) {
      if (!WhollyFree(seg)) continue;
      ++idle;
      const bool expired = now_ms - seg->free_since_ms >= g_decay_ms;
      if (!all && !expired) continue;
      if (CanReleaseSegment(seg)) {
        ReleaseOrPurge(seg);
        again = true;
        break;
      }
      ReleaseOrPurge(seg);  // purges a break segment below the top
    }
  }
  idle_segments_ = idle;
}

bool Arena::TransferHasRoom(int cls, int n) const {
  const size_t share = InUsePages() * kPageSize / kTransferShare;
  const size_t budget = share > kMinTransferBytes ? share : kMinTransferBytes;
  return transfer_[cls].count + n <= kTransferSlots && transfer_bytes_ + ChunkBytes(cls, n) <= budget;
}

int Arena::AllocBatch(int cls, void** out, int n) {
  Locked guard(this);
  TransferCache& t = transfer_[cls];
  int got = n < t.count ? n : t.count;
  if (got > 0) {
    t.count -= got;
    transfer_bytes_ -= ChunkBytes(cls, got);
    t.idle_since_ms = NowMs();
    memcpy(out, &t.chunks[t.count], static_cast<size_t>(got) * sizeof(void*));
  }
  if (got < n) got += pools_[cls].AllocBatch(buddy_, out + got, n - got);
  while (got < n && Grow()) got += pools_[cls].AllocBatch(buddy_, out + got, n - got);
  return got;
}

inline void Arena::FreeChunkLocked(int cls, SegmentMeta* seg, void* p) {
  SegmentMeta* whole = pools_[cls].Free(buddy_, seg, p);
  if (whole != nullptr) SegmentFree(whole);
}

void Arena::FreeBatch(int cls, void** chunks, int n, ChunkDestination to) {
  Locked guard(this);
  TransferCache& t = transfer_[cls];
  const uint64_t now = BeginFree();
  if (to == ChunkDestination::kTransferCache && TransferHasRoom(cls, n)) {
    if (t.count == 0) t.idle_since_ms = now;
    memcpy(&t.chunks[t.count], chunks, static_cast<size_t>(n) * sizeof(void*));
    t.count += n;
    transfer_bytes_ += ChunkBytes(cls, n);
  } else {
    for (int i = 0; i < n; ++i) FreeChunkLocked(cls, SegmentOf(chunks[i]), chunks[i]);
  }
  Decay(now);
}

void Arena::FlushTransferCache(int cls) {
  TransferCache& t = transfer_[cls];
  for (int i = 0; i < t.count; ++i) FreeChunkLocked(cls, SegmentOf(t.chunks[i]), t.chunks[i]);
  transfer_bytes_ -= ChunkBytes(cls, t.count);
  t.count = 0;
}

void Arena::FlushTransferCaches() {
  for (int c = 1; c < kNumClasses; ++c) FlushTransferCache(c);
}

void Arena::Decay(uint64_t now_ms) {
  if (transfer_bytes_ > 0 && now_ms - last_transfer_decay_ms_ >= g_decay_ms / 4) {
    last_transfer_decay_ms_ = now_ms;
    bool flushed = false;
    // Chunks no thread has come for in a decay period are memory the
    // program is done with.
    for (int c = 1; c < kNumClasses; ++c) {
      const TransferCache& t = transfer_[c];
      if (t.count == 0 || now_ms - t.idle_since_ms < g_decay_ms) continue;
      // Expired already, and no older: the buddy allocator keeps 32-bit
      // times, compared by their difference.
      if (!flushed) SetFreeTime(now_ms - g_decay_ms);
      FlushTransferCache(c);
      flushed = true;
    }
    if (flushed) {
      SetFreeTime(now_ms);
      // What the flush freed expired with the chunks: not another decay
      // period, nor the purge interval.
      last_purge_ms_ = now_ms - g_decay_ms;
      last_decay_ms_ = now_ms - g_decay_ms;
      ReleaseExpired(now_ms, /*all=*/false);
    }
  }
  PurgeExpired(now_ms);
  // Huge ranges age here too: their own frees alone would leave a program
  // that freed its big buffers and went on with small ones holding them.
  if (now_ms - last_huge_decay_ms_ >= g_decay_ms / 4) {
    last_huge_decay_ms_ = now_ms;
    HugeTrim(g_decay_ms, /*all=*/false);
  }
}

void* Arena::AllocSmall(int cls) {
  void* p = nullptr;
  if (AllocBatch(cls, &p, 1) != 1) return nullptr;
  MarkAllocated(p);
  return p;
}

bool Arena::HoldsFreeChunk(int cls, SegmentMeta* seg, const void* p) {
  Locked guard(this);
  const TransferCache& t = transfer_[cls];
  for (int i = 0; i < t.count; ++i) {
    if (t.chunks[i] == p) return true;
  }
  return Pool::IsFree(seg, p, cls);
}

void Arena::FreeSmall(int cls, SegmentMeta* seg, void* p) {
  MarkFreed(p);
  Locked guard(this);
  const uint64_t now = BeginFree();
  FreeChunkLocked(cls, seg, p);
  Decay(now);
}

PageInfo* Arena::TakeCachedRun(uint32_t pages) {
  for (PageInfo*& slot : run_cache_) {
    if (slot != nullptr && slot->span_pages == pages) {
      PageInfo* head = slot;
      slot = nullptr;
      run_cache_pages_ -= pages;
      head->kind = PageKind::kRun;
      return head;
    }
  }
  return nullptr;
}

void Arena::EvictCachedRun(PageInfo*& slot, bool purge) {
  PageInfo* head = slot;
  slot = nullptr;
  run_cache_pages_ -= head->span_pages;
  head->kind = PageKind::kRun;
  if (purge) return FreeRunPurged(head);
  SegmentMeta* whole = buddy_.FreeRun(head);
  if (whole != nullptr) SegmentFree(whole);
}

bool Arena::CacheRun(PageInfo* head) {
  if (head->span_pages > kMaxCachedRunPages) return false;
  // The slot about to be reused goes first, then the oldest entries while
  // the cache would be over its page budget.
  if (run_cache_[run_cache_next_] != nullptr) EvictCachedRun(run_cache_[run_cache_next_]);
  for (int i = 1; i < kRunCacheSlots && run_cache_pages_ + head->span_pages > kMaxRunCachePages; ++i) {
    PageInfo*& slot = run_cache_[(run_cache_next_ + i) & (kRunCacheSlots - 1)];
    if (slot != nullptr) EvictCachedRun(slot);
  }
  run_cache_[run_cache_next_] = head;
  run_cache_next_ = (run_cache_next_ + 1) & (kRunCacheSlots - 1);
  head->kind = PageKind::kCachedRun;
  run_cache_pages_ += head->span_pages;
  return true;
}

void Arena::FlushRunCache(bool purge) {
  for (PageInfo*& slot : run_cache_) {
    if (slot != nullptr) EvictCachedRun(slot, purge);
  }
}

void* Arena::AllocRun(size_t size, size_t align, bool for_growth) {
  const uint32_t pages = static_cast<uint32_t>(AlignUp(size, kPageSize) >> kPageShift);
  uint32_t align_pages = align > kPageSize ? static_cast<uint32_t>(align >> kPageShift) : 1;
  Locked guard(this);
  PageInfo* head = nullptr;
  if (align_pages == 1 && !for_growth) head = TakeCachedRun(pages);
  if (head == nullptr && for_growth) head = buddy_.AllocRun(pages, align_pages, /*room_to_grow=*/true);
  if (head == nullptr) head = buddy_.AllocRun(pages, align_pages);
  while (head == nullptr) {
    if (!Grow()) return nullptr;
    head = buddy_.AllocRun(pages, align_pages);
  }
  run_pages_ += pages;
  return SegmentMeta::AddressOf(head);
}

bool Arena::OverRetainedBudget(uint32_t freeing) const {
  // The program's heap, huge blocks included: a program holding a few large
  // blocks keeps as much free memory as its size warrants.
  const size_t in_use = InUsePages() - freeing + (HugeBytesInUse() >> kPageShift);
  const size_t budget = in_use / 4 > kMinRetainedPages ? in_use / 4 : kMinRetainedPages;
  return RetainedPages() + freeing > budget;
}

void Arena::FreeRunPurged(PageInfo* head) {
  PurgePages(SegmentMeta::AddressOf(head), size_t{head->span_pages} << kPageShift);
  SegmentMeta* whole = buddy_.FreeRun(head, /*dirty=*/false);
  if (whole != nullptr) SegmentFree(whole);
}

void Arena::FreeRun(PageInfo* head) {
  Locked guard(this);
  const uint32_t pages = head->span_pages;
  run_pages_ -= pages;
  const uint64_t now = BeginFree();
  if (pages >= kLargeFreePages && OverRetainedBudget(pages)) {
    FlushRunCache(/*purge=*/true);
    FreeRunPurged(head);
  } else if (!CacheRun(head)) {
    SegmentMeta* whole = buddy_.FreeRun(head);
    if (whole != nullptr) SegmentFree(whole);
  }
  Decay(now);
  ReleaseExpired(now, /*all=*/false);
}

bool Arena::ResizeRun(PageInfo* head, size_t new_size) {
  const uint32_t pages = static_cast<uint32_t>(AlignUp(new_size, kPageSize) >> kPageShift);
  Locked guard(this);
  BeginFree();
  const uint32_t old = head->span_pages;
  if (pages == old) return true;
  if (pages < old) {
    buddy_.ShrinkRun(head, pages);
  } else if (!buddy_.GrowRun(head, pages)) {
    return false;
  }
  run_pages_ = run_pages_ + pages - old;
  return true;
}

void Arena::DecayFromOutside() {
  if (!lock_.TryLock()) return;
  const uint64_t now = NowMs();
  Decay(now);
  ReleaseExpired(now, /*all=*/false);
  lock_.Unlock();
}

void Arena::Trim() {
  Locked guard(this);
  const uint64_t now = BeginFree();
  FlushTransferCaches();
  FlushRunCache();
  ReleaseExpired(now, /*all=*/true);
  buddy_.PurgeDirty(static_cast<uint32_t>(now), 0);  // every free block that may hold data
}

void Arena::SetDecayMs(uint64_t ms) { g_decay_ms = ms; }
uint64_t Arena::DecayMs() { return g_decay_ms; }

ArenaStats Arena::Stats() {
  Locked guard(this);
  ArenaStats s;
  s.segments = segment_count_;
  s.free_pages = buddy_.free_pages();
  s.dirty_free_pages = buddy_.dirty_pages();
  s.run_pages = run_pages_;
  s.cached_run_pages = run_cache_pages_;
  s.transfer_bytes = transfer_bytes_;
  for (int c = 1; c < kNumClasses; ++c) {
    s.slab_count += pools_[c].slabs();
    s.slab_pages += pools_[c].slabs() * ClassInfo(c).slab_pages;
    s.chunks_in_use += pools_[c].chunks_in_use();
    s.chunk_bytes_in_use += pools_[c].chunks_in_use() * ClassInfo(c).size;
  }
  for (int order = 0; order <= kMaxOrder; ++order) s.free_blocks[order] = buddy_.FreeBlocks(order);
  s.lock_acquisitions = lock_acquisitions();
  s.lock_waits = lock_waits();
  return s;
}

}  // namespace alloclab::malloc
