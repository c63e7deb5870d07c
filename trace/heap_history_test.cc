// Tests of HeapHistory on hand-made event sequences: which block each event
// resolves to, and the live set, peak and histograms kept on it.
#include "trace/heap_history.h"

#include <vector>

#include "gtest/gtest.h"
#include "trace/event.h"
#include "trace/test_events.h"

namespace alloclab::trace {
namespace {

struct Tag {
  int value = 0;
};
using History = HeapHistory<Tag>;

// A step with its block copied: Step::block is valid only until the next Add.
struct Resolved {
  History::Step step;
  History::Block block;
};

std::vector<Resolved> Apply(History& h, const EventSequence& events) {
  std::vector<Resolved> out;
  for (const Event& e : events.events()) {
    const History::Step s = h.Add(e);
    out.push_back(Resolved{s, s.block != nullptr ? *s.block : History::Block{}});
  }
  return out;
}

TEST(HeapHistory, AllocationsAndFreesKeepTheLiveSetAndThePeak) {
  History h;
  EventSequence s;
  s.Malloc(1, 0x1000, 100).Malloc(1, 0x2000, 300).Free(1, 0x1000).Malloc(1, 0x3000, 50).Free(1, 0x2000);
  const auto steps = Apply(h, s);
  EXPECT_EQ(steps[0].step.action, HeapAction::kAllocate);
  EXPECT_EQ(steps[2].step.action, HeapAction::kFree);
  EXPECT_EQ(steps[2].step.old.bytes, 100u);
  EXPECT_EQ(steps[2].step.old.seq, 1u);
  EXPECT_EQ(h.live_bytes(), 50u);
  EXPECT_EQ(h.live_blocks(), 1u);
  EXPECT_EQ(h.peak_live_bytes(), 400u);
  EXPECT_EQ(h.peak_seq(), 2u);
  EXPECT_EQ(h.peak_live_blocks(), 2u);
  EXPECT_EQ(h.sizes().total(), 3u);
  EXPECT_EQ(h.lifetimes().total(), 2u);
  EXPECT_EQ(h.lifetimes().bucket(1), 2u);  // seq 1 -> 3 and 2 -> 5: 2 and 3 events
}

TEST(HeapHistory, ExtraStaysWithTheBlockThroughAMovingRealloc) {
  History h;
  EventSequence s;
  s.Malloc(1, 0x1000, 16);
  History::Step a = h.Add(s.events()[0]);
  a.block->extra.value = 7;
  s.Add(1, Kind::kRealloc, 0x1000, 0x2000, 64);
  const History::Step r = h.Add(s.events()[1]);
  ASSERT_EQ(r.action, HeapAction::kResize);
  EXPECT_EQ(r.old.bytes, 16u);
  EXPECT_EQ(r.old.extra.value, 7);
  EXPECT_EQ(r.block->bytes, 64u);
  EXPECT_EQ(r.block->extra.value, 7);
  EXPECT_EQ(h.live_bytes(), 64u);
  EXPECT_EQ(h.live_blocks(), 1u);
  s.Free(1, 0x1000).Free(1, 0x2000);
  EXPECT_EQ(h.Add(s.events()[2]).action, HeapAction::kUnknownFree);  // the old address is gone
  const History::Step f = h.Add(s.events()[3]);
  EXPECT_EQ(f.action, HeapAction::kFree);
  EXPECT_EQ(f.old.extra.value, 7);
  EXPECT_EQ(h.live_blocks(), 0u);
}

TEST(HeapHistory, AnInversionKeepsTheOldBlockLiveUntilItsLateFree) {
  // Thread 2 frees 0x1000, thread 1 gets 0x1000 again, but thread 2's free
  // is recorded after the reuse.
  History h;
  EventSequence s;
  s.Malloc(2, 0x1000, 100).Malloc(1, 0x1000, 40).Free(2, 0x1000).Free(1, 0x1000);
  std::vector<History::Step> steps;
  steps.push_back(h.Add(s.events()[0]));
  steps.back().block->extra.value = 1;
  steps.push_back(h.Add(s.events()[1]));
  steps.back().block->extra.value = 2;
  EXPECT_EQ(h.inversions(), 1u);
  EXPECT_EQ(h.evicted_live(), 1u);
  EXPECT_EQ(h.live_bytes(), 140u);  // both are held
  EXPECT_EQ(h.live_blocks(), 2u);
  steps.push_back(h.Add(s.events()[2]));
  EXPECT_EQ(steps[2].action, HeapAction::kFree);
  EXPECT_EQ(steps[2].old.extra.value, 1);  // the late free ends the old block
  EXPECT_EQ(h.evicted_live(), 0u);
  EXPECT_EQ(h.live_bytes(), 40u);
  steps.push_back(h.Add(s.events()[3]));
  EXPECT_EQ(steps[3].old.extra.value, 2);
  EXPECT_EQ(h.live_blocks(), 0u);
  EXPECT_EQ(h.unknown_frees(), 0u);
}

TEST(HeapHistory, ReallocEdgesFailFreeOrStartFromNothing) {
  History h;
  EventSequence s;
  s.Malloc(1, 0x1000, 10);
  s.Add(1, Kind::kRealloc, 0x1000, 0, 1 << 30);  // failed: the block stays
  s.Add(1, Kind::kRealloc, 0x1000, 0, 0);        // realloc(p, 0) -> NULL: freed
  s.Add(1, Kind::kRealloc, 0x9000, 0x2000, 8);   // of a block allocated before tracing
  s.Add(1, Kind::kRealloc, 0x8000, 0, 0);        // the same, returning NULL
  s.Add(1, Kind::kRealloc, 0, 0x3000, 4);        // realloc(NULL, n)
  s.Add(1, Kind::kReallocArray, 0x3000, 0, 1ull << 40, 1ull << 40);  // count x size overflows
  const auto steps = Apply(h, s);
  EXPECT_EQ(steps[1].step.action, HeapAction::kFailed);
  EXPECT_EQ(steps[2].step.action, HeapAction::kFree);
  EXPECT_TRUE(steps[2].step.realloc_zero);
  EXPECT_EQ(steps[3].step.action, HeapAction::kAllocate);
  EXPECT_TRUE(steps[3].step.untraced);
  EXPECT_EQ(steps[4].step.action, HeapAction::kUnknownFree);
  EXPECT_TRUE(steps[4].step.untraced);
  EXPECT_EQ(steps[5].step.action, HeapAction::kAllocate);
  EXPECT_FALSE(steps[5].step.untraced);
  EXPECT_EQ(steps[6].step.action, HeapAction::kFailed);
  EXPECT_EQ(h.failed_allocations(), 2u);
  EXPECT_EQ(h.realloc_zero_frees(), 1u);
  EXPECT_EQ(h.untraced_reallocs(), 2u);
  EXPECT_EQ(h.unknown_frees(), 0u);
  EXPECT_EQ(h.live_bytes(), 12u);
}

TEST(HeapHistory, AFailedReallocOfAnEvictedAddressLeavesBothBlocks) {
  History h;
  EventSequence s;
  s.Malloc(2, 0x1000, 100).Malloc(1, 0x1000, 40);
  s.Add(2, Kind::kRealloc, 0x1000, 0, 1 << 30);  // fails
  Apply(h, s);
  EXPECT_EQ(h.live_blocks(), 2u);
  EXPECT_EQ(h.live_bytes(), 140u);
  EXPECT_EQ(h.evicted_live(), 1u);
}

TEST(HeapHistory, CallocCountsCountTimesSizeAndFailuresChangeNothing) {
  History h;
  EventSequence s;
  s.Add(1, Kind::kCalloc, 0, 0x1000, 24, 10);
  s.Add(1, Kind::kPosixMemalign, 0, 0x2000, 64, 16);
  s.Malloc(1, 0, 1 << 20);  // NULL: failed
  s.Free(1, 0);
  const auto steps = Apply(h, s);
  EXPECT_EQ(steps[0].block.bytes, 240u);
  EXPECT_EQ(steps[1].step.action, HeapAction::kAllocate);
  EXPECT_EQ(steps[2].step.action, HeapAction::kFailed);
  EXPECT_EQ(steps[3].step.action, HeapAction::kFreeNull);
  EXPECT_EQ(h.live_bytes(), 304u);
}

TEST(HeapHistory, UsableSizeFindsOnlyLiveBlocks) {
  History h;
  EventSequence s;
  s.Malloc(1, 0x1000, 10);
  s.Add(1, Kind::kMallocUsableSize, 0x1000, 0, 0);
  s.Add(1, Kind::kMallocUsableSize, 0x5000, 0, 0);
  s.Add(1, Kind::kThreadStart, 0, 0, 0);
  const auto steps = Apply(h, s);
  EXPECT_EQ(steps[1].step.action, HeapAction::kQuery);
  EXPECT_EQ(steps[1].block.bytes, 10u);
  EXPECT_EQ(steps[2].step.action, HeapAction::kOther);
  EXPECT_EQ(steps[3].step.action, HeapAction::kOther);
}

TEST(HeapHistory, RestartingTheStatisticsKeepsTheLiveSet) {
  History h;
  EventSequence s;
  s.Malloc(1, 0x1000, 100).Malloc(1, 0x2000, 300).Free(1, 0x2000).Free(1, 0x9000);
  Apply(h, s);
  h.RestartStatistics();
  EXPECT_EQ(h.peak_live_bytes(), 100u);  // what is live now
  EXPECT_EQ(h.unknown_frees(), 0u);
  EXPECT_EQ(h.sizes().total(), 0u);
  EXPECT_EQ(h.live_blocks(), 1u);
  EventSequence more;
  more.Free(1, 0x1000);
  for (const Event& e : more.events()) EXPECT_EQ(h.Add(e).action, HeapAction::kFree);  // still known
}

TEST(Log2Histogram, Buckets) {
  EXPECT_EQ(Log2Histogram::Bucket(0), 0);
  EXPECT_EQ(Log2Histogram::Bucket(1), 0);
  EXPECT_EQ(Log2Histogram::Bucket(2), 1);
  EXPECT_EQ(Log2Histogram::Bucket(3), 1);
  EXPECT_EQ(Log2Histogram::Bucket(4), 2);
  EXPECT_EQ(Log2Histogram::Bucket(~0ull), 63);
}

}  // namespace
}  // namespace alloclab::trace
