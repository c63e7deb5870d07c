#include "malloc/huge.h"

#include <sys/mman.h>

#include <cstdint>
#include <cstring>
#include <thread>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace alloclab::malloc {
namespace {

constexpr uint64_t kDecayMs = 1000;
// An alignment no cached range meets: a block mapped fresh, not cut.
constexpr size_t kAlignAtLeast2MiB = size_t{1} << 21;

TEST(Huge, AllocFreeAndUsableSize) {
  const HugeStats before = GetHugeStats();
  void* p = HugeAlloc((3 << 20) + 5, 4096);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(HugeUsableSize(p), (3u << 20) + 4096);
  std::memset(p, 1, (3 << 20) + 5);
  EXPECT_EQ(GetHugeStats().blocks, before.blocks + 1);
  EXPECT_EQ(HugeFree(p, kDecayMs), (3u << 20) + 4096);
  EXPECT_EQ(HugeUsableSize(p), 0u);
  EXPECT_EQ(HugeFree(p, kDecayMs), 0u) << "no longer ours";
  EXPECT_EQ(GetHugeStats().blocks, before.blocks);
}

TEST(Huge, Aligned) {
  for (size_t align : {size_t{1} << 21, size_t{1} << 24}) {
    void* p = HugeAlloc(100, align);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % align, 0u);
    EXPECT_NE(HugeFree(p, kDecayMs), 0u);
  }
}

TEST(Huge, ReallocKeepsContents) {
  auto* p = static_cast<uint8_t*>(HugeAlloc(2 << 20, 4096));
  for (size_t i = 0; i < (2 << 20); i += 4096) p[i] = static_cast<uint8_t>(i >> 12);
  auto* q = static_cast<uint8_t*>(HugeRealloc(p, 64 << 20));
  ASSERT_NE(q, nullptr);
  for (size_t i = 0; i < (2 << 20); i += 4096) ASSERT_EQ(q[i], static_cast<uint8_t>(i >> 12));
  EXPECT_EQ(HugeUsableSize(q), 64u << 20);
  auto* r = static_cast<uint8_t*>(HugeRealloc(q, 1 << 20));
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r[4096], 1);
  EXPECT_NE(HugeFree(r, kDecayMs), 0u);
}

TEST(Huge, TableGrowsWithManyBlocks) {
  std::vector<void*> blocks;
  for (int i = 0; i < 3000; ++i) {
    blocks.push_back(HugeAlloc(8192, 4096));
    ASSERT_NE(blocks.back(), nullptr);
  }
  for (void* p : blocks) ASSERT_EQ(HugeUsableSize(p), 8192u);
  for (size_t i = 0; i < blocks.size(); i += 2) ASSERT_NE(HugeFree(blocks[i], kDecayMs), 0u);
  for (size_t i = 1; i < blocks.size(); i += 2) ASSERT_EQ(HugeUsableSize(blocks[i]), 8192u);
  for (size_t i = 1; i < blocks.size(); i += 2) ASSERT_NE(HugeFree(blocks[i], kDecayMs), 0u);
}

// A freed huge block's pages are kept and the next huge block that fits is
// cut from them: same address, no new mapping, no page fault per page.
TEST(Huge, AFreedBlockIsReusedForTheNextOneThatFits) {
  HugeTrim(0, /*all=*/true);
  auto* p = static_cast<uint8_t*>(HugeAlloc(8 << 20, 4096));
  ASSERT_NE(p, nullptr);
  std::memset(p, 7, 8 << 20);
  ASSERT_NE(HugeFree(p, kDecayMs), 0u);
  EXPECT_EQ(GetHugeStats().cached_bytes, 8u << 20);
  auto* q = static_cast<uint8_t*>(HugeAlloc((6 << 20) + 1, 4096));
  EXPECT_EQ(q, p) << "cut from the cached range";
  EXPECT_EQ(HugeUsableSize(q), (6u << 20) + 4096) << "exactly what was asked, page-rounded";
  EXPECT_EQ(GetHugeStats().cached_bytes, (2u << 20) - 4096) << "the rest stays cached";
  // The rest is a range of its own: a block that fits in it comes from there.
  auto* r = static_cast<uint8_t*>(HugeAlloc(1 << 20, 4096));
  EXPECT_EQ(r, q + (6 << 20) + 4096);
  ASSERT_NE(HugeFree(r, kDecayMs), 0u);
  ASSERT_NE(HugeFree(q, kDecayMs), 0u);
  EXPECT_EQ(GetHugeStats().cached_bytes, 8u << 20) << "freed neighbours merge back into one range";
  HugeTrim(0, /*all=*/true);
  EXPECT_EQ(GetHugeStats().cached_bytes, 0u) << "malloc_trim gives it all back";
}

TEST(Huge, CachedRangesGoBackAfterTheDecayTime) {
  HugeTrim(0, /*all=*/true);
  void* p = HugeAlloc(4 << 20, 4096);
  ASSERT_NE(HugeFree(p, /*decay_ms=*/0), 0u);
  EXPECT_EQ(GetHugeStats().cached_bytes, 0u) << "decayed at once";
  void* q = HugeAlloc(4 << 20, 4096);
  ASSERT_NE(HugeFree(q, kDecayMs), 0u);
  EXPECT_EQ(GetHugeStats().cached_bytes, 4u << 20);
  HugeTrim(kDecayMs, /*all=*/false);
  EXPECT_EQ(GetHugeStats().cached_bytes, 4u << 20) << "not yet";
  HugeTrim(0, /*all=*/false);
  EXPECT_EQ(GetHugeStats().cached_bytes, 0u);
}

// The budget follows the peak in use, which is reset to what is in use once
// per decay period; HugeForgetPeak does it now, and the next trim applies
// the budget.
void ForgetPeak() {
  HugeForgetPeak();
  HugeTrim(kDecayMs, /*all=*/false);
}

// The budget: the lesser of (1.25 x peak - in use) and (in use + peak / 4),
// 8 MiB at least.
TEST(Huge, TheCacheHoldsWhatIsInUsePlusAQuarterOfTheRecentPeak) {
  HugeTrim(0, /*all=*/true);
  constexpr size_t kMiB = size_t{1} << 20;
  std::vector<void*> blocks;
  for (int i = 0; i < 16; ++i) blocks.push_back(HugeAlloc(4 * kMiB, 4096));
  if (HugeBytesInUse() > 64 * kMiB) GTEST_SKIP() << "other huge blocks in use";
  for (int i = 0; i < 12; ++i) ASSERT_NE(HugeFree(blocks[i], kDecayMs), 0u);
  // Peak 64 MiB, 16 in use: 16 + 16 (80 - 16 would be 64).
  EXPECT_EQ(GetHugeStats().cached_bytes, 32 * kMiB);
  for (int i = 0; i < 12; ++i) blocks[i] = HugeAlloc(4 * kMiB, 4096);
  EXPECT_EQ(GetHugeStats().cached_bytes, 0u) << "the next blocks come from the cache";
  for (int i = 0; i < 12; ++i) ASSERT_NE(HugeFree(blocks[i], kDecayMs), 0u);
  EXPECT_EQ(GetHugeStats().cached_bytes, 32 * kMiB);
  // A decay period on, the peak is what is in use, 16 MiB: 20 - 16, and the
  // floor, 8 MiB.
  ForgetPeak();
  EXPECT_EQ(GetHugeStats().cached_bytes, 8 * kMiB);
  for (int i = 12; i < 16; ++i) ASSERT_NE(HugeFree(blocks[i], kDecayMs), 0u);
  // Nothing in use: the floor.
  EXPECT_EQ(GetHugeStats().cached_bytes, 8 * kMiB);
  HugeTrim(0, /*all=*/true);
}

// Huge blocks of the given sizes, no two side by side (so that no test
// depends on whether separate mappings merge): a candidate the kernel
// places next to one chosen already is set aside and another mapped; those
// set aside are freed and the cache emptied before returning. Empty if the
// kernel kept refusing.
std::vector<void*> MapApart(const std::vector<size_t>& sizes) {
  std::vector<void*> chosen, rejected;
  for (size_t size : sizes) {
    for (int tries = 0; tries < 8 && chosen.size() < sizes.size(); ++tries) {
      auto* p = static_cast<char*>(HugeAlloc(size, 4096));
      bool touches = false;
      for (size_t i = 0; i < chosen.size(); ++i) {
        auto* q = static_cast<char*>(chosen[i]);
        touches = touches || p + size == q || q + sizes[i] == p;
      }
      if (!touches) {
        chosen.push_back(p);
        break;
      }
      rejected.push_back(p);
    }
  }
  for (void* p : rejected) HugeFree(p, kDecayMs);
  HugeTrim(0, /*all=*/true);
  if (chosen.size() != sizes.size()) {
    for (void* p : chosen) HugeFree(p, kDecayMs);
    chosen.clear();
  }
  return chosen;
}

// Over the budget, the smallest cached range goes first: a leftover serves
// fewer requests than a whole big block, however recently it was freed.
TEST(Huge, OverTheBudgetTheSmallestRangeIsUnmappedFirst) {
  HugeTrim(0, /*all=*/true);
  constexpr size_t kMiB = size_t{1} << 20;
  const std::vector<void*> blocks = MapApart({12 * kMiB, 2 * kMiB, 12 * kMiB});
  ASSERT_EQ(blocks.size(), 3u);
  // Ballast (never touched): 99 MiB in use once the three are freed and
  // the peak is reset, a budget of a quarter of it, 24.75 MiB, for 26.
  const size_t others = HugeBytesInUse() - 26 * kMiB;
  if (others >= 99 * kMiB) GTEST_SKIP() << "other huge blocks in use: " << others;
  void* ballast = HugeAlloc(99 * kMiB - others, 4096);
  for (void* p : blocks) ASSERT_NE(HugeFree(p, kDecayMs), 0u);
  EXPECT_EQ(GetHugeStats().cached_bytes, 26 * kMiB) << "within the peak's budget";
  ForgetPeak();
  // The 2 MiB range goes, not the oldest (12 MiB).
  EXPECT_EQ(GetHugeStats().cached_bytes, 24 * kMiB);
  ASSERT_NE(HugeFree(ballast, kDecayMs), 0u);
  HugeTrim(0, /*all=*/true);
}

// A range over the budget by itself goes first: unmapping the smaller ones
// before it would leave nothing cached.
TEST(Huge, ARangeOverTheBudgetByItselfGoesFirst) {
  HugeTrim(0, /*all=*/true);
  constexpr size_t kMiB = size_t{1} << 20;
  const std::vector<void*> blocks = MapApart({2 * kMiB, 20 * kMiB});
  ASSERT_EQ(blocks.size(), 2u);
  if (HugeBytesInUse() - 22 * kMiB > 4 * kMiB) GTEST_SKIP() << "other huge blocks in use";
  // At most 4 MiB in use once both are freed, a peak of at most 26: a
  // budget of at most 10.5 MiB.
  ASSERT_NE(HugeFree(blocks[0], kDecayMs), 0u);
  ASSERT_NE(HugeFree(blocks[1], kDecayMs), 0u);
  EXPECT_EQ(GetHugeStats().cached_bytes, 2 * kMiB);
  HugeTrim(0, /*all=*/true);
}

// No cached range holds the block: the largest is grown to it (mremap moves
// its pages; only the rest is new).
TEST(Huge, ABiggerBlockGrowsOutOfTheLargestCachedRange) {
  HugeTrim(0, /*all=*/true);
  auto* p = static_cast<uint8_t*>(HugeAlloc(6 << 20, 4096));
  std::memset(p, 9, 6 << 20);
  ASSERT_NE(HugeFree(p, kDecayMs), 0u);
  auto* q = static_cast<uint8_t*>(HugeAlloc(10 << 20, 4096));
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q[(6 << 20) - 1], 9) << "the cached pages came along";
  EXPECT_EQ(GetHugeStats().cached_bytes, 0u);
  std::memset(q, 1, 10 << 20);
  ASSERT_NE(HugeFree(q, kDecayMs), 0u);
  HugeTrim(0, /*all=*/true);
}

// The three tests below start alike: two huge blocks of 8 and 6 MiB, not
// side by side, filled with 0xaa and 0xbb, and 16 MiB of ballast (never
// touched) in use, so that the cache's budget holds both blocks once they
// are freed. The caller frees the blocks and the ballast. `skip` says why a
// test cannot run (other huge blocks in use make the budget unknown);
// `blocks` is empty if the kernel kept placing them side by side.
struct EightAndSix {
  std::vector<void*> blocks;
  void* ballast = nullptr;
  const char* skip = nullptr;
};

EightAndSix MapEightAndSix() {
  constexpr size_t kMiB = size_t{1} << 20;
  HugeTrim(0, /*all=*/true);
  EightAndSix s;
  s.blocks = MapApart({8 * kMiB, 6 * kMiB});
  if (s.blocks.size() != 2) return s;
  if (HugeBytesInUse() - 14 * kMiB > 4 * kMiB) {
    s.skip = "other huge blocks in use";
    return s;
  }
  s.ballast = HugeAlloc(16 * kMiB, 4096);
  std::memset(s.blocks[0], 0xaa, 8 * kMiB);
  std::memset(s.blocks[1], 0xbb, 6 * kMiB);
  return s;
}

// What the tests that do not gather check of their 13 MiB block q: the
// 8 MiB range was grown (its data kept), the other 5 MiB are fresh (zero).
void ExpectGrownWithFreshRest(const uint8_t* q) {
  constexpr size_t kMiB = size_t{1} << 20;
  for (size_t i = 0; i < 8 * kMiB; i += 4096) ASSERT_EQ(q[i], 0xaa);
  for (size_t i = 8 * kMiB; i < 13 * kMiB; i += 4096) ASSERT_EQ(q[i], 0) << "fresh";
}

// Frees a test's block and its ballast, and empties the cache for the next.
void FreeWithBallast(void* q, const EightAndSix& s) {
  ASSERT_NE(HugeFree(q, kDecayMs), 0u);
  ASSERT_NE(HugeFree(s.ballast, kDecayMs), 0u);
  HugeTrim(0, /*all=*/true);
}

// No cached range holds the block, two together do: the largest is grown
// and the other moved in after it, so that no page of the block is fresh
// (fresh pages read as zero).
TEST(Huge, ABlockIsGatheredFromSeveralCachedRanges) {
  constexpr size_t kMiB = size_t{1} << 20;
  const EightAndSix s = MapEightAndSix();
  ASSERT_EQ(s.blocks.size(), 2u);
  if (s.skip != nullptr) GTEST_SKIP() << s.skip;
  for (void* p : s.blocks) ASSERT_NE(HugeFree(p, kDecayMs), 0u);
  ASSERT_EQ(GetHugeStats().cached_bytes, 14 * kMiB);
  auto* q = static_cast<uint8_t*>(HugeAlloc(13 * kMiB, 4096));
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(GetHugeStats().cached_bytes, 1 * kMiB) << "what the block did not need stays cached";
  size_t from_first = 0, from_second = 0, fresh = 0;
  for (size_t i = 0; i < 13 * kMiB; i += 4096) {
    from_first += q[i] == 0xaa;
    from_second += q[i] == 0xbb;
    fresh += q[i] == 0;
  }
  EXPECT_EQ(fresh, 0u);
  EXPECT_EQ(from_first, 8 * kMiB / 4096) << "the largest range, grown";
  EXPECT_EQ(from_second, 5 * kMiB / 4096) << "the other, moved in after it";
  // It spans two mappings, which mremap cannot resize as one: the caller
  // copies (realloc).
  EXPECT_EQ(HugeRealloc(q, 20 * kMiB), nullptr);
  EXPECT_EQ(HugeRealloc(q, 4 * kMiB), nullptr) << "a shrink would leave its piece record wrong";
  EXPECT_EQ(HugeUsableSize(q), 13 * kMiB);
  // Freed, its pieces go back as ranges of their own mappings, which serve
  // the next block the same way.
  std::memset(q, 0xcc, 13 * kMiB);
  ASSERT_NE(HugeFree(q, kDecayMs), 0u);
  EXPECT_EQ(GetHugeStats().cached_bytes, 14 * kMiB);
  auto* r = static_cast<uint8_t*>(HugeAlloc(14 * kMiB, 4096));
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(GetHugeStats().cached_bytes, 0u);
  for (size_t i = 0; i < 14 * kMiB; i += 4096) ASSERT_NE(r[i], 0) << "a fresh page at " << i;
  FreeWithBallast(r, s);
}

// A range the program split into two mappings itself (madvise with other
// flags on part of a block) cannot be moved: it stays cached, and the block
// gets fresh pages instead, all of them mapped.
TEST(Huge, ARangeTheProgramSplitIsNotMoved) {
  constexpr size_t kMiB = size_t{1} << 20;
  const EightAndSix s = MapEightAndSix();
  ASSERT_EQ(s.blocks.size(), 2u);
  if (s.skip != nullptr) GTEST_SKIP() << s.skip;
  ASSERT_EQ(madvise(s.blocks[1], 2 * kMiB, MADV_NOHUGEPAGE), 0);
  for (void* p : s.blocks) ASSERT_NE(HugeFree(p, kDecayMs), 0u);
  auto* q = static_cast<uint8_t*>(HugeAlloc(13 * kMiB, 4096));
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(GetHugeStats().cached_bytes, 6 * kMiB) << "the split range stays";
  ASSERT_NO_FATAL_FAILURE(ExpectGrownWithFreshRest(q));
  std::memset(q, 1, 13 * kMiB);  // every page mapped
  FreeWithBallast(q, s);
}

// Last: while another thread allocates huge blocks too, blocks are not
// gathered (for a decay period): the largest range is grown, the rest is
// fresh, and the other range stays cached.
TEST(Huge, NoGatheringWhileAnotherThreadAllocatesHugeBlocks) {
  constexpr size_t kMiB = size_t{1} << 20;
  const EightAndSix s = MapEightAndSix();
  ASSERT_EQ(s.blocks.size(), 2u);
  if (s.skip != nullptr) GTEST_SKIP() << s.skip;
  std::thread([] { ASSERT_NE(HugeFree(HugeAlloc(2 * kMiB, kAlignAtLeast2MiB), kDecayMs), 0u); }).join();
  for (void* p : s.blocks) ASSERT_NE(HugeFree(p, kDecayMs), 0u);
  const size_t cached = GetHugeStats().cached_bytes;
  auto* q = static_cast<uint8_t*>(HugeAlloc(13 * kMiB, 4096));
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(GetHugeStats().cached_bytes, cached - 8 * kMiB) << "only the largest range was used";
  ASSERT_NO_FATAL_FAILURE(ExpectGrownWithFreshRest(q));
  FreeWithBallast(q, s);
}

}  // namespace
}  // namespace alloclab::malloc
