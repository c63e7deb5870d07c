// Tests of TraceStats on hand-made event sequences.
#include "analysis/trace_stats.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "trace/test_events.h"

namespace alloclab::analysis {
namespace {

using trace::Event;
using trace::Kind;
using ::testing::HasSubstr;

// Sizes first, thread last (default 1): the order these tests read best in.
class Events {
 public:
  Events& Malloc(uint64_t size, uint64_t out, uint64_t thread = 1) {
    seq_.Malloc(thread, out, size);
    return *this;
  }
  Events& Calloc(uint64_t count, uint64_t size, uint64_t out, uint64_t thread = 1) {
    seq_.Add(thread, Kind::kCalloc, 0, out, size, count);
    return *this;
  }
  Events& Free(uint64_t in, uint64_t thread = 1) {
    seq_.Free(thread, in);
    return *this;
  }
  Events& Realloc(uint64_t in, uint64_t size, uint64_t out, uint64_t thread = 1) {
    seq_.Add(thread, Kind::kRealloc, in, out, size);
    return *this;
  }
  Events& Other(Kind kind, uint64_t thread = 1) {
    seq_.Add(thread, kind, 0, 0, 0);
    return *this;
  }

  TraceStats Stats() const {
    TraceStats s;
    for (const Event& e : seq_.events()) s.Add(e);
    return s;
  }

 private:
  trace::EventSequence seq_;
};

TEST(TraceStatsTest, Empty) {
  TraceStats s;
  EXPECT_EQ(s.events(), 0u);
  EXPECT_EQ(s.heap().peak_live_bytes(), 0u);
  EXPECT_EQ(s.heap().live_blocks(), 0u);
  EXPECT_THAT(s.ToString(), HasSubstr("threads: 0\n"));
  EXPECT_THAT(s.ToString(), HasSubstr("frees of blocks not allocated in the trace: 0\n"));
}

TEST(TraceStatsTest, PeakLiveBytes) {
  const TraceStats s = Events()
                           .Malloc(100, 0x1000)   // 1: 100
                           .Malloc(50, 0x2000)    // 2: 150
                           .Free(0x1000)          // 3: 50
                           .Calloc(4, 30, 0x3000) // 4: 170 (peak)
                           .Free(0x2000)          // 5: 120
                           .Malloc(40, 0x1000)    // 6: 160
                           .Stats();
  EXPECT_EQ(s.events(), 6u);
  EXPECT_EQ(s.heap().peak_live_bytes(), 170u);
  EXPECT_EQ(s.heap().peak_seq(), 4u);
  EXPECT_EQ(s.heap().live_bytes(), 160u);
  EXPECT_EQ(s.heap().live_blocks(), 2u);
  EXPECT_EQ(s.count(Kind::kMalloc), 3u);
  EXPECT_EQ(s.count(Kind::kCalloc), 1u);
  EXPECT_EQ(s.count(Kind::kFree), 2u);
  EXPECT_EQ(s.heap().unknown_frees(), 0u);
  EXPECT_EQ(s.heap().inversions(), 0u);
  EXPECT_THAT(s.ToString(), HasSubstr("peak live requested bytes: 170 (at seq 4)\n"));
  EXPECT_THAT(s.ToString(), HasSubstr("live at end: 2 blocks, 160 bytes\n"));
}

TEST(TraceStatsTest, PeakIsTheFirstEventReachingIt) {
  const TraceStats s = Events().Malloc(10, 0x10).Free(0x10).Malloc(10, 0x10).Stats();
  EXPECT_EQ(s.heap().peak_live_bytes(), 10u);
  EXPECT_EQ(s.heap().peak_seq(), 1u);
}

TEST(TraceStatsTest, ReallocMovesBytes) {
  const TraceStats s = Events()
                           .Malloc(10, 0x100)
                           .Realloc(0x100, 1000, 0x900)  // moved: 1000 live
                           .Realloc(0x900, 20, 0x900)    // shrunk in place: 20 live
                           .Realloc(0, 5, 0x50)          // realloc(NULL, 5): a malloc
                           .Stats();
  EXPECT_EQ(s.heap().peak_live_bytes(), 1000u);
  EXPECT_EQ(s.heap().live_bytes(), 25u);
  EXPECT_EQ(s.heap().live_blocks(), 2u);
  EXPECT_EQ(s.heap().unknown_frees(), 0u);
  EXPECT_EQ(s.heap().inversions(), 0u);
}

TEST(TraceStatsTest, FailedReallocKeepsItsBlock) {
  const TraceStats s = Events().Malloc(10, 0x100).Realloc(0x100, 1ull << 60, 0).Free(0x100).Stats();
  EXPECT_EQ(s.heap().live_blocks(), 0u);
  EXPECT_EQ(s.heap().live_bytes(), 0u);
  EXPECT_EQ(s.heap().unknown_frees(), 0u);
  EXPECT_EQ(s.heap().peak_live_bytes(), 10u);
}

TEST(TraceStatsTest, ReallocToZeroReturningNullFrees) {
  // glibc's realloc(p, 0) frees p and returns NULL.
  const TraceStats s = Events().Malloc(10, 0x100).Realloc(0x100, 0, 0).Malloc(7, 0x100).Stats();
  EXPECT_EQ(s.heap().live_blocks(), 1u);
  EXPECT_EQ(s.heap().live_bytes(), 7u);
  EXPECT_EQ(s.heap().inversions(), 0u);
}

TEST(TraceStatsTest, UnknownFrees) {
  const TraceStats s = Events()
                           .Free(0xdead)           // allocated before tracing
                           .Free(0)                // free(NULL): nothing
                           .Realloc(0xbeef, 8, 0x40)  // realloc of an unknown block
                           .Malloc(8, 0x80)
                           .Free(0x80)
                           .Free(0x80)             // double free
                           .Stats();
  EXPECT_EQ(s.heap().unknown_frees(), 2u);
  EXPECT_EQ(s.heap().untraced_reallocs(), 1u);
  EXPECT_EQ(s.heap().live_blocks(), 1u);
  EXPECT_EQ(s.heap().live_bytes(), 8u);
  EXPECT_THAT(s.ToString(), HasSubstr("frees of blocks not allocated in the trace: 2\n"));
  EXPECT_THAT(s.ToString(), HasSubstr("reallocs of blocks not allocated in the trace: 1\n"));
}

TEST(TraceStatsTest, InversionKeepsTheOldBlockLiveUntilItsLateFree) {
  // Thread 2 frees 0x100 but its free is recorded after thread 1's malloc
  // that got the address back.
  const TraceStats s = Events()
                           .Malloc(100, 0x100, 2)
                           .Malloc(30, 0x100, 1)  // inversion: 0x100 still live
                           .Free(0x100, 2)        // the late free of the first block
                           .Stats();
  EXPECT_EQ(s.heap().inversions(), 1u);
  EXPECT_EQ(s.heap().evicted_live(), 0u);
  EXPECT_EQ(s.heap().unknown_frees(), 0u);
  EXPECT_EQ(s.heap().live_blocks(), 1u);
  EXPECT_EQ(s.heap().live_bytes(), 30u);
  // Both blocks were live between the reuse and the late free, as they are
  // in the replay.
  EXPECT_EQ(s.heap().peak_live_bytes(), 130u);
  EXPECT_THAT(s.ToString(),
              HasSubstr("inversions (an allocation returned an address still live): 1\n"));
}

TEST(TraceStatsTest, InversionWhoseFreeNeverComes) {
  const TraceStats s = Events().Malloc(100, 0x100).Malloc(30, 0x100).Stats();
  EXPECT_EQ(s.heap().inversions(), 1u);
  EXPECT_EQ(s.heap().evicted_live(), 1u);
  EXPECT_EQ(s.heap().live_bytes(), 130u);
  EXPECT_THAT(s.ToString(), HasSubstr(": 1, 1 of their frees never recorded\n"));
}

TEST(TraceStatsTest, ThreadsAndOtherKinds) {
  const TraceStats s = Events()
                           .Other(Kind::kThreadStart, 7)
                           .Malloc(1, 0x10, 7)
                           .Other(Kind::kThreadStart, 9)
                           .Free(0x10, 9)
                           .Other(Kind::kThreadExit, 9)
                           .Other(Kind::kFork, 7)
                           .Stats();
  EXPECT_EQ(s.events_by_thread().size(), 2u);
  EXPECT_EQ(s.events_by_thread().at(7), 3u);
  EXPECT_EQ(s.events_by_thread().at(9), 3u);
  EXPECT_EQ(s.count(Kind::kThreadStart), 2u);
  EXPECT_EQ(s.count(Kind::kFork), 1u);
  EXPECT_EQ(s.heap().unknown_frees(), 0u);
  const std::string text = s.ToString();
  EXPECT_THAT(text, HasSubstr("threads: 2\n"));
  EXPECT_THAT(text, HasSubstr("  THREAD_START         2\n"));
  EXPECT_THAT(text, HasSubstr("  thread 7          3 events\n"));
}

TEST(TraceStatsTest, SizeAndLifetimeHistograms) {
  const TraceStats s = Events()
                           .Malloc(0, 0x10)     // 1, bucket 0
                           .Malloc(1, 0x20)     // 2, bucket 0
                           .Malloc(5, 0x30)     // 3, bucket 2
                           .Malloc(4096, 0x40)  // 4, bucket 12
                           .Free(0x40)          // 5, lifetime 1
                           .Free(0x10)          // 6, lifetime 5
                           .Stats();
  EXPECT_EQ(s.heap().sizes().total(), 4u);
  EXPECT_EQ(s.heap().sizes().bucket(0), 2u);
  EXPECT_EQ(s.heap().sizes().bucket(2), 1u);
  EXPECT_EQ(s.heap().sizes().bucket(12), 1u);
  EXPECT_EQ(s.heap().lifetimes().total(), 2u);
  EXPECT_EQ(s.heap().lifetimes().bucket(0), 1u);
  EXPECT_EQ(s.heap().lifetimes().bucket(2), 1u);
  EXPECT_THAT(s.ToString(), HasSubstr("          4096 - 8191                  1   25.0%\n"));
}

TEST(TraceStatsTest, HistogramLinesShowTheWholeRange) {
  const TraceStats s = Events().Malloc(~0ull, 0x10).Stats();
  EXPECT_THAT(s.ToString(), HasSubstr("  9223372036854775808 - 18446744073709551615          1  100.0%\n"));
}

}  // namespace
}  // namespace alloclab::analysis
