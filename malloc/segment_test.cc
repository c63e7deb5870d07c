#include "malloc/segment.h"

#include <sys/mman.h>
#include <unistd.h>

#include "gtest/gtest.h"

namespace alloclab::malloc {
namespace {

TEST(Segment, MappedSegmentsAreAlignedAndFound) {
  int owner;
  SegmentMeta* seg = NewSegment(&owner, /*from_break=*/false);
  ASSERT_NE(seg, nullptr);
  EXPECT_FALSE(seg->from_break);
  EXPECT_EQ(seg->base % kSegmentSize, 0u);
  EXPECT_EQ(seg->owner, &owner);
  char* base = reinterpret_cast<char*>(seg->base);
  for (size_t off : {size_t{0}, size_t{1}, kPageSize, kSegmentSize - 1}) {
    EXPECT_EQ(SegmentOf(base + off), seg) << off;
  }
  EXPECT_NE(SegmentOf(base + kSegmentSize), seg);
  EXPECT_NE(SegmentOf(base - 1), seg);
  EXPECT_EQ(seg->PageOf(base + 5 * kPageSize + 17), 5u);
  EXPECT_EQ(SegmentMeta::Of(&seg->pages[77]), seg);
  base[kSegmentSize - 1] = 1;  // the memory is really there
  EXPECT_TRUE(CanReleaseSegment(seg));
  ASSERT_TRUE(ReleaseSegment(seg));
  EXPECT_EQ(SegmentOf(base), nullptr);
}

TEST(Segment, BreakSegmentsGrowAndShrinkTheBreak) {
  int owner;
  const size_t before = SegmentBytesFromBreak();
  SegmentMeta* low = NewSegment(&owner, /*from_break=*/true);
  SegmentMeta* high = NewSegment(&owner, /*from_break=*/true);
  ASSERT_NE(low, nullptr);
  ASSERT_NE(high, nullptr);
  ASSERT_TRUE(low->from_break && high->from_break) << "the break could not grow here";
  EXPECT_EQ(SegmentBytesFromBreak(), before + 2 * kSegmentSize);
  EXPECT_EQ(high->base % kSegmentSize, 0u);
  EXPECT_EQ(sbrk(0), reinterpret_cast<void*>(high->base + kSegmentSize));
  EXPECT_FALSE(CanReleaseSegment(low)) << "not at the top of the break";
  EXPECT_TRUE(CanReleaseSegment(high));
  ASSERT_TRUE(ReleaseSegment(high));
  EXPECT_EQ(sbrk(0), reinterpret_cast<void*>(low->base + kSegmentSize)) << "negative sbrk";
  EXPECT_TRUE(CanReleaseSegment(low));
  ASSERT_TRUE(ReleaseSegment(low));
  EXPECT_EQ(SegmentBytesFromBreak(), before);
}

TEST(Segment, FallsBackToMmapWhenTheBreakCannotGrow) {
  // A mapping placed right above the break blocks it from growing.
  char* brk_end = static_cast<char*>(sbrk(0));
  const uintptr_t above = (reinterpret_cast<uintptr_t>(brk_end) + kSegmentSize - 1) & ~(kSegmentSize - 1);
  void* wall = mmap(reinterpret_cast<void*>(above), 2 * kSegmentSize, PROT_NONE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  ASSERT_EQ(wall, reinterpret_cast<void*>(above)) << "could not place the wall";
  int owner;
  SegmentMeta* seg = NewSegment(&owner, /*from_break=*/true);
  ASSERT_NE(seg, nullptr);
  EXPECT_FALSE(seg->from_break) << "the break cannot grow past the wall";
  EXPECT_EQ(seg->base % kSegmentSize, 0u);
  EXPECT_EQ(sbrk(0), brk_end) << "a failed attempt leaves the break where it was";
  static_cast<char*>(reinterpret_cast<void*>(seg->base))[100] = 1;
  ASSERT_TRUE(ReleaseSegment(seg));
  munmap(wall, 2 * kSegmentSize);
}

TEST(Segment, NotOurs) {
  int on_stack;
  EXPECT_EQ(SegmentOf(&on_stack), nullptr);
  EXPECT_EQ(SegmentOf(nullptr), nullptr);
  EXPECT_EQ(SegmentOf(reinterpret_cast<void*>(~uintptr_t{0})), nullptr);
}

}  // namespace
}  // namespace alloclab::malloc
