#include "malloc/buddy.h"

#include <memory>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace alloclab::malloc {
namespace {

// The buddy allocator never touches block memory, so a segment at a made-up
// address exercises it completely.
std::unique_ptr<SegmentMeta> FakeSegment(uintptr_t base) {
  auto seg = std::make_unique<SegmentMeta>();
  seg->base = base;
  return seg;
}

TEST(Buddy, SplitsDownAndMergesBack) {
  auto seg = FakeSegment(uintptr_t{64} << 22);
  BuddyAllocator b;
  b.AddSegment(seg.get());
  EXPECT_EQ(b.free_pages(), kPagesPerSegment);
  EXPECT_EQ(b.FreeBlocks(kMaxOrder), 1u);
  PageInfo* one = b.AllocRun(1);
  ASSERT_NE(one, nullptr);
  EXPECT_EQ(SegmentMeta::IndexOf(one), 0);
  EXPECT_EQ(one->kind, PageKind::kRun);
  // One page out of 1024 leaves one free block of each smaller order.
  for (int order = 0; order < kMaxOrder; ++order) EXPECT_EQ(b.FreeBlocks(order), 1u) << order;
  EXPECT_EQ(b.FreeBlocks(kMaxOrder), 0u);
  EXPECT_EQ(b.free_pages(), kPagesPerSegment - 1);
  EXPECT_EQ(b.FreeRun(one), seg.get()) << "freeing the last run coalesces the whole segment";
  EXPECT_EQ(b.FreeBlocks(kMaxOrder), 1u);
  for (int order = 0; order < kMaxOrder; ++order) EXPECT_EQ(b.FreeBlocks(order), 0u);
}

TEST(Buddy, ExactRunsReturnTheirTail) {
  auto seg = FakeSegment(uintptr_t{64} << 22);
  BuddyAllocator b;
  b.AddSegment(seg.get());
  PageInfo* run = b.AllocRun(5);
  ASSERT_NE(run, nullptr);
  EXPECT_EQ(run->span_pages, 5u);
  EXPECT_EQ(b.free_pages(), kPagesPerSegment - 5) << "5 pages, not 8";
  // The tail of the 8-page block: pages 5 (order 0) and 6-7 (order 1).
  EXPECT_EQ(seg->pages[5].kind, PageKind::kFree);
  EXPECT_EQ(seg->pages[5].order, 0);
  EXPECT_EQ(seg->pages[6].kind, PageKind::kFree);
  EXPECT_EQ(seg->pages[6].order, 1);
  PageInfo* three = b.AllocRun(3);
  ASSERT_NE(three, nullptr);
  EXPECT_EQ(b.free_pages(), kPagesPerSegment - 8);
  b.FreeRun(run);
  EXPECT_EQ(b.FreeRun(three), seg.get());
}

TEST(Buddy, PagesThatHeldDataAreUsedBeforeFreshOnes) {
  auto seg = FakeSegment(uintptr_t{64} << 22);
  BuddyAllocator b;
  b.AddSegment(seg.get());
  PageInfo* keep = b.AllocRun(1);  // page 0: stops the merges below
  PageInfo* used = b.AllocRun(8);  // pages 8-15
  ASSERT_NE(keep, nullptr);
  ASSERT_NE(used, nullptr);
  const uint32_t used_first = SegmentMeta::IndexOf(used);
  b.FreeRun(used);  // a dirty 8-page block; fresh 1..4-page blocks remain beside page 0
  EXPECT_EQ(b.dirty_pages(), 8u);
  // Smallest fit alone would take fresh page 1; the dirty block comes first.
  PageInfo* one = b.AllocRun(1);
  ASSERT_NE(one, nullptr);
  EXPECT_GE(SegmentMeta::IndexOf(one), used_first);
  EXPECT_LT(SegmentMeta::IndexOf(one), used_first + 8);
}

// Short runs (slabs) never take the tail of a long one: a long run's pages
// merge back when it is freed, however many short runs live on.
// Two fake segments, one after the other, in one buddy allocator.
class TwoSegments : public ::testing::Test {
 protected:
  void SetUp() override {
    b.AddSegment(s1.get());
    b.AddSegment(s2.get());
  }
  // The page's index across both segments (the second's follow the first's).
  size_t PageNumber(PageInfo* page) const {
    return (SegmentMeta::Of(page) == s2.get() ? kPagesPerSegment : 0) + SegmentMeta::IndexOf(page);
  }
  std::unique_ptr<SegmentMeta> s1 = FakeSegment(uintptr_t{64} << 22);
  std::unique_ptr<SegmentMeta> s2 = FakeSegment(uintptr_t{65} << 22);
  BuddyAllocator b;
};

TEST_F(TwoSegments, ShortAndLongRunsComeFromSegmentsOfTheirOwn) {
  PageInfo* long_run = b.AllocRun(10);  // a 16-page block, its last 6 pages free
  ASSERT_NE(long_run, nullptr);
  SegmentMeta* long_seg = SegmentMeta::Of(long_run);
  std::vector<PageInfo*> short_runs;
  for (uint32_t pages : {4u, 2u, 1u, 3u}) {
    PageInfo* r = b.AllocRun(pages);
    ASSERT_NE(r, nullptr);
    EXPECT_NE(SegmentMeta::Of(r), long_seg) << pages << " pages in the long run's tail";
    short_runs.push_back(r);
  }
  PageInfo* another_long = b.AllocRun(12);
  ASSERT_NE(another_long, nullptr);
  EXPECT_EQ(SegmentMeta::Of(another_long), long_seg);
  b.FreeRun(another_long);
  EXPECT_EQ(b.FreeRun(long_run), long_seg) << "its pages merged back into a wholly free segment";
  // A wholly free segment belongs to no band: short runs take it once the
  // other segment is full.
  bool reached = false;
  for (uint32_t i = 0; i <= kPagesPerSegment / 8 && !reached; ++i) {
    PageInfo* r = b.AllocRun(8);
    ASSERT_NE(r, nullptr);
    reached = SegmentMeta::Of(r) == long_seg;
  }
  EXPECT_TRUE(reached);
  EXPECT_EQ(b.AllocRun(9), nullptr) << "both segments hold short runs now";
}

TEST(Buddy, AlignedRuns) {
  auto seg = FakeSegment(uintptr_t{64} << 22);
  BuddyAllocator b;
  b.AddSegment(seg.get());
  PageInfo* filler = b.AllocRun(1);
  for (uint32_t align : {2u, 16u, 128u, 512u}) {
    PageInfo* r = b.AllocRun(3, align);
    ASSERT_NE(r, nullptr) << align;
    EXPECT_EQ(SegmentMeta::IndexOf(r) % align, 0u) << align;
    b.FreeRun(r);
  }
  b.FreeRun(filler);
  EXPECT_EQ(b.free_pages(), kPagesPerSegment);
}

TEST(Buddy, ExhaustionReturnsNull) {
  auto seg = FakeSegment(uintptr_t{64} << 22);
  BuddyAllocator b;
  b.AddSegment(seg.get());
  PageInfo* half = b.AllocRun(512);
  PageInfo* quarter = b.AllocRun(256);
  ASSERT_NE(half, nullptr);
  ASSERT_NE(quarter, nullptr);
  EXPECT_EQ(b.AllocRun(512), nullptr);
  EXPECT_EQ(b.AllocRun(257), nullptr);
  EXPECT_NE(b.AllocRun(256), nullptr);
  EXPECT_EQ(b.AllocRun(1), nullptr);
  EXPECT_EQ(b.AllocRun(kPagesPerSegment + 1), nullptr);
}

TEST(Buddy, GrowAndShrinkInPlace) {
  auto seg = FakeSegment(uintptr_t{64} << 22);
  BuddyAllocator b;
  b.AddSegment(seg.get());
  PageInfo* run = b.AllocRun(50);
  ASSERT_TRUE(b.GrowRun(run, 60));
  EXPECT_EQ(run->span_pages, 60u);
  EXPECT_EQ(b.free_pages(), kPagesPerSegment - 60);
  ASSERT_TRUE(b.GrowRun(run, 320));  // across several free blocks
  EXPECT_EQ(b.free_pages(), kPagesPerSegment - 320);
  PageInfo* blocker = b.AllocRun(9);  // a long run: cut from this segment too
  ASSERT_NE(blocker, nullptr);
  EXPECT_EQ(SegmentMeta::IndexOf(blocker), 320);
  EXPECT_FALSE(b.GrowRun(run, 321)) << "the next page is taken";
  b.ShrinkRun(run, 10);
  EXPECT_EQ(b.free_pages(), kPagesPerSegment - 19);
  EXPECT_TRUE(b.GrowRun(run, 320));
  b.FreeRun(blocker);
  EXPECT_EQ(b.FreeRun(run), seg.get());
}

TEST_F(TwoSegments, RandomRunsAlwaysCoalesceCompletely) {
  std::mt19937 rng(7);
  std::vector<PageInfo*> live;
  std::vector<int> owner(2 * kPagesPerSegment, -1);  // page -> run id
  size_t used = 0;
  for (int step = 0; step < 20000; ++step) {
    if (live.empty() || rng() % 2 == 0) {
      const uint32_t pages = 1 + rng() % (rng() % 4 == 0 ? 300 : 12);
      PageInfo* r = b.AllocRun(pages, 1u << (rng() % 3));
      if (r == nullptr) continue;
      const size_t first = PageNumber(r);
      for (size_t p = first; p < first + pages; ++p) {
        ASSERT_EQ(owner[p], -1) << "page handed out twice";
        owner[p] = step;
      }
      live.push_back(r);
      used += pages;
    } else {
      const size_t i = rng() % live.size();
      PageInfo* r = live[i];
      const size_t first = PageNumber(r);
      for (size_t p = first; p < first + r->span_pages; ++p) owner[p] = -1;
      used -= r->span_pages;
      b.FreeRun(r);
      live[i] = live.back();
      live.pop_back();
    }
    ASSERT_EQ(b.free_pages() + used, 2 * kPagesPerSegment);
  }
  for (PageInfo* r : live) b.FreeRun(r);
  EXPECT_EQ(b.FreeBlocks(kMaxOrder), 2u);
  EXPECT_EQ(b.free_pages(), 2 * kPagesPerSegment);
}

TEST(Buddy, ARunFreedCleanStaysCleanUnlessItMergesWithDirtyMemory) {
  auto seg = FakeSegment(uintptr_t{64} << 22);
  BuddyAllocator b;
  b.AddSegment(seg.get());
  PageInfo* a = b.AllocRun(512);
  PageInfo* keep = b.AllocRun(256);
  PageInfo* c = b.AllocRun(128);
  PageInfo* d = b.AllocRun(128);
  ASSERT_TRUE(a && keep && c && d);
  b.FreeRun(a, /*dirty=*/false);
  EXPECT_EQ(b.dirty_pages(), 0u);
  b.FreeRun(c);
  EXPECT_EQ(b.dirty_pages(), 128u);
  b.FreeRun(d, /*dirty=*/false);
  EXPECT_EQ(b.dirty_pages(), 256u) << "merged with its dirty buddy: the 256-page block may hold data";
  EXPECT_TRUE(seg->pages[768].dirty);
  EXPECT_FALSE(seg->pages[0].dirty);
}

}  // namespace
}  // namespace alloclab::malloc
