#include "replay/replay_plan.h"

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "replay/op_stream.h"
#include "replay/prepare.h"
#include "replay/prepared_file.h"
#include "trace/test_events.h"

namespace alloclab::replay {
namespace {

using trace::Event;
using trace::Kind;

std::string TempPath(const std::string& name) { return std::string(getenv("TEST_TMPDIR")) + "/" + name; }

// Prepares events (seq and time in order) into a file; returns its path.
std::string Prepare(const std::vector<Event>& events, const std::string& name) {
  const std::string trace_path = TempPath(name + ".trace");
  std::ofstream(trace_path, std::ios::binary) << trace::WriteTestTrace(events, {});
  const std::string out = TempPath(name + ".prepared");
  auto h = PrepareTrace(trace_path, out);
  EXPECT_TRUE(h.ok()) << h.status();
  return out;
}

using Events = trace::EventSequence;

struct Planned {
  bool ok = false;
  std::string error;
  uint32_t workers = 0;
  std::vector<std::vector<uint64_t>> chains;  // traced thread ids, per worker
};

Planned Plan(const std::string& path) {
  Planned p;
  PreparedView v;
  char error[512] = "";
  if (!MapPrepared(path.c_str(), &v, error, sizeof error)) {
    p.error = error;
    return p;
  }
  ReplayPlan plan;
  p.ok = MakeReplayPlan(v, &plan, error, sizeof error);
  p.error = error;
  if (p.ok) {
    p.workers = plan.workers;
    for (uint32_t w = 0; w < plan.workers; ++w) {
      p.chains.emplace_back();
      for (uint32_t t = plan.first_thread[w]; t != kNoThread; t = plan.next_thread[t]) {
        p.chains.back().push_back(v.threads[t].trace_thread_id);
      }
    }
    FreeReplayPlan(&plan);
  }
  UnmapPrepared(&v);
  return p;
}

TEST(ReplayPlan, ThreadsThatDoNotOverlapShareOneWorkerInOrder) {
  Events e;
  uint64_t handed = 0;
  for (uint64_t t = 1; t <= 200; ++t) {
    const uint64_t a = 0x1000 * t;
    e.Malloc(t, a, 32);
    if (handed != 0) e.Free(t, handed);  // the predecessor's block: a wait on a finished thread
    handed = a;
  }
  const Planned p = Plan(Prepare(e.events(), "sequential"));
  ASSERT_TRUE(p.ok) << p.error;
  ASSERT_EQ(p.workers, 1u);
  ASSERT_EQ(p.chains[0].size(), 200u);
  for (uint64_t i = 0; i < 200; ++i) EXPECT_EQ(p.chains[0][i], i + 1);
}

TEST(ReplayPlan, OverlappingThreadsGetWorkersOfTheirOwnAndLaterOnesReuseThem) {
  Events e;
  e.Malloc(1, 0x1000, 8).Malloc(2, 0x2000, 8).Malloc(3, 0x3000, 8);  // three alive at once
  e.Free(1, 0x1000).Free(2, 0x2000).Free(3, 0x3000);
  e.Malloc(4, 0x4000, 8).Malloc(5, 0x5000, 8).Free(4, 0x4000).Free(5, 0x5000);  // two, after them
  const Planned p = Plan(Prepare(e.events(), "overlap"));
  ASSERT_TRUE(p.ok) << p.error;
  EXPECT_EQ(p.workers, 3u);
  size_t scheduled = 0;
  for (const auto& chain : p.chains) scheduled += chain.size();
  EXPECT_EQ(scheduled, 5u);
}

// The threads' places in the global order are not covered by the checksum:
// a file that puts a waiting thread before the thread it waits for, on the
// same worker, must be refused rather than hang.
TEST(ReplayPlan, WaitsThatWouldDeadlockAreRefused) {
  Events e;
  e.Malloc(1, 0x1000, 8).Malloc(1, 0x2000, 8).Free(2, 0x1000).Free(2, 0x2000);
  const std::string path = Prepare(e.events(), "deadlock");
  ASSERT_TRUE(Plan(path).ok);
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto* h = reinterpret_cast<const PreparedHeader*>(bytes.data());
  ASSERT_EQ(h->threads, 2u);
  auto* t = reinterpret_cast<ThreadEntry*>(&bytes[h->thread_table_offset]);
  // Thread 2 (waits for thread 1) first, thread 1 after it.
  const uint64_t ops0 = t[0].ops, ops1 = t[1].ops;
  t[1].first_op = 0;
  t[1].last_op = ops1 - 1;
  t[0].first_op = ops1;
  t[0].last_op = ops1 + ops0 - 1;
  const std::string tampered = TempPath("deadlock.tampered");
  std::ofstream(tampered, std::ios::binary) << bytes;
  const Planned p = Plan(tampered);
  EXPECT_FALSE(p.ok);
  EXPECT_NE(p.error.find("deadlock"), std::string::npos) << p.error;
}

TEST(ReplayPlan, AThreadWithoutOpsIsNotScheduled) {
  Events e;
  e.Malloc(1, 0x1000, 8).Free(2, 0xdead).Free(1, 0x1000);  // thread 2: an unknown free only
  const Planned p = Plan(Prepare(e.events(), "empty_thread"));
  ASSERT_TRUE(p.ok) << p.error;
  ASSERT_EQ(p.workers, 1u);
  EXPECT_EQ(p.chains[0], std::vector<uint64_t>{1});
}

}  // namespace
}  // namespace alloclab::replay
