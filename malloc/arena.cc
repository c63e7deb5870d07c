// Arena: locking, growth and segment release around the buddy and pools.
#include "malloc/arena.h"

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

bool WhollyFree(const SegmentMeta* seg) {
  return seg->pages[0].kind == PageKind::kFree && seg->pages[0].order == kMaxOrder;
}

}  // namespace

void Arena::Link(SegmentMeta* seg) {
  seg->prev = nullptr;
  seg->next = segments_;
  if (segments_ != nullptr) segments_->prev = seg;
  segments_ = seg;
  ++segment_count_;
}

void Arena::Unlink(SegmentMeta* seg) {
  if (seg->prev != nullptr) {
    seg->prev->next = seg->next;
  } else {
    segments_ = seg->next;
  }
  if (seg->next != nullptr) seg->next->prev = seg->prev;
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
    if (seg->pages[0].dirty) {
      PurgePages(reinterpret_cast<void*>(seg->base), kSegmentSize);
      seg->pages[0].dirty = false;
    }
    return;
  }
  const bool from_break = seg->from_break;
  uintptr_t below = seg->base - kSegmentSize;
  if (!Release(seg)) return;
  // The break shrank: the segments below may now be the top, and free.
  while (from_break) {
    SegmentMeta* next = SegmentOf(reinterpret_cast<void*>(below));
    if (next == nullptr || next->owner != this || !WhollyFree(next) ||
        buddy_.free_pages() < 2 * kPagesPerSegment || !Release(next)) {
      break;
    }
    below -= kSegmentSize;
  }
}

void Arena::SegmentFree(SegmentMeta* seg) {
  // Keep one segment's worth of free pages, so that a workload oscillating
  // around a segment boundary does not map and unmap on every cycle.
  if (buddy_.free_pages() >= 2 * kPagesPerSegment) ReleaseOrPurge(seg);
}

int Arena::AllocBatch(int cls, void** out, int n) {
  LockGuard guard(lock_);
  int got = pools_[cls].AllocBatch(buddy_, out, n);
  while (got < n && Grow()) got += pools_[cls].AllocBatch(buddy_, out + got, n - got);
  return got;
}

void Arena::FreeChunkLocked(SegmentMeta* seg, void* p) {
  SegmentMeta* whole = pools_[seg->page_class[seg->PageOf(p)]].Free(buddy_, seg, p);
  if (whole != nullptr) SegmentFree(whole);
}

void Arena::FreeBatch(void** chunks, int n) {
  LockGuard guard(lock_);
  for (int i = 0; i < n; ++i) FreeChunkLocked(SegmentOf(chunks[i]), chunks[i]);
}

void* Arena::AllocSmall(int cls) {
  void* p = nullptr;
  return AllocBatch(cls, &p, 1) == 1 ? p : nullptr;
}

void Arena::FreeSmall(SegmentMeta* seg, void* p) {
  LockGuard guard(lock_);
  FreeChunkLocked(seg, p);
}

void* Arena::AllocRun(size_t size, size_t align) {
  const uint32_t pages = static_cast<uint32_t>(AlignUp(size, kPageSize) >> kPageShift);
  const uint32_t align_pages = align > kPageSize ? static_cast<uint32_t>(align >> kPageShift) : 1;
  LockGuard guard(lock_);
  PageInfo* head = buddy_.AllocRun(pages, align_pages);
  while (head == nullptr) {
    if (!Grow()) return nullptr;
    head = buddy_.AllocRun(pages, align_pages);
  }
  run_pages_ += pages;
  return SegmentMeta::Of(head)->PageAddress(head->index);
}

void Arena::FreeRun(SegmentMeta* seg, PageInfo* head) {
  LockGuard guard(lock_);
  run_pages_ -= head->span_pages;
  SegmentMeta* whole = buddy_.FreeRun(head);
  if (whole != nullptr) SegmentFree(whole);
  (void)seg;
}

bool Arena::ResizeRun(PageInfo* head, size_t new_size) {
  const uint32_t pages = static_cast<uint32_t>(AlignUp(new_size, kPageSize) >> kPageShift);
  LockGuard guard(lock_);
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

void Arena::Trim() {
  LockGuard guard(lock_);
  // Release from the list head each time: releasing may also release the
  // segments below a break segment, which would invalidate a saved cursor.
  for (bool again = true; again;) {
    again = false;
    for (SegmentMeta* seg = segments_; seg != nullptr; seg = seg->next) {
      if (WhollyFree(seg) && CanReleaseSegment(seg)) {
        ReleaseOrPurge(seg);
        again = true;
        break;
      }
    }
  }
  // Purge every free block that may hold data.
  for (SegmentMeta* seg = segments_; seg != nullptr; seg = seg->next) {
    for (uint32_t p = 0; p < kPagesPerSegment;) {
      PageInfo& info = seg->pages[p];
      if (info.kind == PageKind::kFree) {
        if (info.dirty) {
          PurgePages(seg->PageAddress(p), kPageSize << info.order);
          info.dirty = false;
        }
        p += 1u << info.order;
      } else {
        // Runs and slabs: skip to the next block.
        p += info.span_pages != 0 ? info.span_pages : 1;
      }
    }
  }
}

ArenaStats Arena::Stats() {
  LockGuard guard(lock_);
  ArenaStats s;
  s.segments = segment_count_;
  s.free_pages = buddy_.free_pages();
  s.run_pages = run_pages_;
  for (int c = 1; c < kNumClasses; ++c) {
    s.slab_count += pools_[c].slabs();
    s.chunks_in_use += pools_[c].chunks_in_use();
    s.chunk_bytes_in_use += pools_[c].chunks_in_use() * ClassInfo(c).size;
  }
  return s;
}

}  // namespace alloclab::malloc
