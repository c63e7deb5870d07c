#include "trace/synthetic.h"

#include <map>
#include <set>
#include <vector>

#include "gtest/gtest.h"

namespace alloclab::trace {
namespace {

std::vector<Event> Generate(SyntheticOptions o) {
  std::vector<Event> out;
  GenerateSynthetic(o, [&](const Event& e) { out.push_back(e); });
  return out;
}

TEST(Synthetic, DeterministicPerSeed) {
  SyntheticOptions o;
  o.events = 20000;
  o.threads = 3;
  EXPECT_EQ(Generate(o), Generate(o));
  SyntheticOptions other = o;
  other.seed = 2;
  EXPECT_NE(Generate(o), Generate(other));
}

TEST(Synthetic, ConsistentAllocationHistory) {
  SyntheticOptions o;
  o.events = 50000;
  o.threads = 4;
  o.cross_thread_free_fraction = 0.3;
  const std::vector<Event> events = Generate(o);
  ASSERT_GE(events.size(), o.events);
  std::map<uint64_t, uint64_t> live;  // address -> allocating thread
  std::set<uint64_t> started, exited;
  uint64_t last_seq = 0, last_time = 0, cross_frees = 0;
  for (const Event& e : events) {
    EXPECT_EQ(e.seq, last_seq + 1);
    EXPECT_GE(e.time, last_time);
    last_seq = e.seq;
    last_time = e.time;
    if (e.kind == Kind::kThreadStart) started.insert(e.thread_id);
    if (e.kind == Kind::kThreadExit) exited.insert(e.thread_id);
    if (KindHas(e.kind, Word::kIn) && e.kind != Kind::kMallocUsableSize) {
      auto it = live.find(e.in);
      ASSERT_NE(it, live.end()) << "free of a block that is not live, seq " << e.seq;
      cross_frees += it->second != e.thread_id;
      live.erase(it);
    }
    if (e.kind == Kind::kMallocUsableSize) {
      EXPECT_EQ(live.count(e.in), 1u);
    }
    if (KindHas(e.kind, Word::kOut) && e.out != 0) {
      EXPECT_TRUE(live.emplace(e.out, e.thread_id).second) << "address handed out twice";
      if (e.alignment != 0) {
        EXPECT_EQ(e.out % e.alignment, 0u);
      }
    }
  }
  EXPECT_TRUE(live.empty()) << "everything is freed at the end";
  EXPECT_EQ(started.size(), 4u);
  EXPECT_EQ(exited, started);
  EXPECT_GT(cross_frees, 100u);
}

}  // namespace
}  // namespace alloclab::trace
