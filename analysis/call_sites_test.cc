// The call-site reports on a trace whose answers are known: a leak, a peak
// holder, a temporary, and stacks shared between sites.
#include "analysis/call_sites.h"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "analysis/symbolizer.h"
#include "gtest/gtest.h"
#include "trace/event.h"
#include "tools/child_peak_rss.h"
#include "tools/sanitizers.h"
#include "trace/io.h"
#include "trace/synthetic.h"
#include "trace/test_events.h"
#include "trace/trace_writer.h"

namespace alloclab::analysis {
namespace {

using trace::Event;
using trace::Kind;

// Stacks: 1 the leaker, 2 the peak holder, 3 the temporaries' site, 4 more
// leaks; frame 0x2001 is shared by 1 and 2 (their common caller).
std::string WriteTrace() {
  trace::EventSequence s;
  std::vector<uint64_t> stacks;
  auto add = [&](uint64_t thread, Kind kind, uint64_t in, uint64_t out, uint64_t size, uint64_t stack) {
    s.Add(thread, kind, in, out, size);
    stacks.push_back(stack);
  };
  add(1, Kind::kMalloc, 0, 0xA0, 100, 1);   // 1: leaked
  add(1, Kind::kMalloc, 0, 0xB0, 1000, 2);  // 2
  add(1, Kind::kMalloc, 0, 0xC0, 10, 3);    // 3: freed at once: temporary
  add(1, Kind::kFree, 0xC0, 0, 0, 0);       // 4
  add(1, Kind::kMalloc, 0, 0xD0, 2000, 2);  // 5: the peak, 3100 live
  add(1, Kind::kFree, 0xB0, 0, 0, 0);       // 6
  add(1, Kind::kFree, 0xD0, 0, 0, 0);       // 7
  add(2, Kind::kMalloc, 0, 0xE0, 50, 3);    // 8: freed by another thread: not temporary
  add(1, Kind::kFree, 0xE0, 0, 0, 0);       // 9
  add(1, Kind::kMalloc, 0, 0xF0, 60, 3);    // 10: freed 3 of its thread's events later
  add(1, Kind::kMalloc, 0, 0x100, 1, 4);    // 11: leaked
  add(1, Kind::kMalloc, 0, 0x110, 1, 4);    // 12: leaked
  add(1, Kind::kFree, 0xF0, 0, 0, 0);       // 13
  std::string bytes;
  trace::StringSink sink(&bytes);
  trace::TraceWriter w(&sink, trace::TestHeader());
  EXPECT_TRUE(w.AppendStack(1, {0x1001, 0x2001}).ok());
  EXPECT_TRUE(w.AppendStack(2, {0x3001, 0x2001}).ok());
  EXPECT_TRUE(w.AppendStack(3, {0x4001}).ok());
  EXPECT_TRUE(w.AppendStack(4, {0x5001, 0x5001}).ok());  // recursion
  for (size_t i = 0; i < s.events().size(); ++i) {
    Event e = s.events()[i];
    e.stack_id = stacks[i];
    EXPECT_TRUE(w.Append(e).ok());
  }
  EXPECT_TRUE(w.Flush().ok());
  const std::string path = std::string(getenv("TEST_TMPDIR")) + "/call_sites.pb";
  FILE* f = fopen(path.c_str(), "wb");
  fwrite(bytes.data(), 1, bytes.size(), f);
  fclose(f);
  return path;
}

CallSiteReport Analyze(CallSiteReportKind kind, uint64_t window = 16) {
  static const std::string path = WriteTrace();
  CallSiteOptions o;
  o.kind = kind;
  o.window = window;
  auto r = AnalyzeCallSites(path, o);
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : CallSiteReport();
}

TEST(CallSites, LeaksAreTheBlocksLiveAtTheEndByStack) {
  const CallSiteReport r = Analyze(CallSiteReportKind::kLeaks);
  EXPECT_EQ(r.events, 13u);
  EXPECT_EQ(r.total.blocks, 3u);
  EXPECT_EQ(r.total.bytes, 102u);
  ASSERT_EQ(r.sites.size(), 2u);
  EXPECT_EQ(r.sites[0].stack_id, 1u);
  EXPECT_EQ(r.sites[0].totals.bytes, 100u);
  EXPECT_EQ(r.sites[1].stack_id, 4u);
  EXPECT_EQ(r.sites[1].totals.blocks, 2u);
  EXPECT_EQ(r.sites[1].totals.sample_size, 1u);
  Symbolizer none({});
  const std::string text = CallSiteReportText(r, none, 20);
  EXPECT_NE(text.find("leaks: 3 blocks, 102 bytes"), std::string::npos) << text;
  EXPECT_NE(text.find("0x1001"), std::string::npos) << text;
}

TEST(CallSites, PeakIsWhatWasLiveWhenLiveBytesFirstPeaked) {
  const CallSiteReport r = Analyze(CallSiteReportKind::kPeak);
  EXPECT_EQ(r.peak_seq, 5u);
  EXPECT_EQ(r.total.bytes, 3100u);
  ASSERT_EQ(r.sites.size(), 2u);
  EXPECT_EQ(r.sites[0].stack_id, 2u);
  EXPECT_EQ(r.sites[0].totals.bytes, 3000u);
  EXPECT_EQ(r.sites[0].totals.blocks, 2u);
  EXPECT_EQ(r.sites[1].stack_id, 1u);
}

TEST(CallSites, TemporariesAreFreedSoonByTheirOwnThread) {
  // Distances among thread 1's own events: 0xC0 freed 1 later, 0xD0 2, 0xF0 3;
  // 0xE0 is freed by another thread, 0xB0 4 later.
  CallSiteReport r = Analyze(CallSiteReportKind::kTemporary, 1);
  ASSERT_EQ(r.sites.size(), 1u);
  EXPECT_EQ(r.sites[0].stack_id, 3u);
  EXPECT_EQ(r.total.bytes, 10u);
  r = Analyze(CallSiteReportKind::kTemporary, 2);
  EXPECT_EQ(r.total.blocks, 2u);
  EXPECT_EQ(r.sites[0].stack_id, 2u);  // 0xD0, 2000 bytes
  r = Analyze(CallSiteReportKind::kTemporary, 3);
  EXPECT_EQ(r.total.blocks, 3u);
  EXPECT_EQ(r.total.bytes, 2070u);
  r = Analyze(CallSiteReportKind::kTemporary, 4);
  EXPECT_EQ(r.total.blocks, 4u);  // 0xB0; never 0xE0
}

TEST(CallSites, TopCountsByStackAndByFunctionInclusiveAndExclusive) {
  const CallSiteReport r = Analyze(CallSiteReportKind::kTop);
  EXPECT_EQ(r.total.blocks, 8u);
  EXPECT_EQ(r.total.bytes, 3222u);
  ASSERT_FALSE(r.sites.empty());
  EXPECT_EQ(r.sites[0].stack_id, 2u);
  EXPECT_EQ(r.sites[0].totals.blocks, 2u);
  Symbolizer none({});
  const std::vector<FunctionRow> f = ByFunction(r, none);
  ASSERT_FALSE(f.empty());
  EXPECT_EQ(f[0].function, "0x2001");  // the common caller: inclusive only
  EXPECT_EQ(f[0].inclusive.bytes, 3100u);
  EXPECT_EQ(f[0].inclusive.blocks, 3u);
  EXPECT_EQ(f[0].exclusive.bytes, 0u);
  for (const FunctionRow& row : f) {
    if (row.function == "0x5001") {  // recursive: counted once inclusively
      EXPECT_EQ(row.inclusive.blocks, 2u);
      EXPECT_EQ(row.exclusive.blocks, 2u);
    }
  }
  const std::string json = CallSiteReportJson(r, none);
  EXPECT_NE(json.find("\"report\": \"top\""), std::string::npos);
  EXPECT_NE(json.find("\"inclusive_bytes\": 3100"), std::string::npos) << json;
}

// Streaming: ten million events (a synthetic program of four threads, 100
// stacks) and the reports' memory does not grow with them.
TEST(CallSites, TenMillionEventsInBoundedMemory) {
  const std::string path = std::string(getenv("TEST_TMPDIR")) + "/ten_million.pb";
  {
    auto sink = trace::OpenFileSink(path);
    ASSERT_TRUE(sink.ok());
    trace::TraceWriter w(sink->get(), trace::TestHeader());
    for (uint64_t id = 1; id <= 100; ++id) ASSERT_TRUE(w.AppendStack(id, {0x1000 * id + 1, 0x99001}).ok());
    trace::SyntheticOptions o;
    o.events = 10000000;
    o.threads = 4;
    bool ok = true;
    trace::GenerateSynthetic(o, [&](const Event& e) {
      Event with_stack = e;
      with_stack.stack_id = 1 + e.seq % 100;
      ok = ok && w.Append(with_stack).ok();
    });
    ASSERT_TRUE(ok);
    ASSERT_TRUE(w.Flush().ok());
  }
  for (CallSiteReportKind kind : {CallSiteReportKind::kTop, CallSiteReportKind::kPeak}) {
    const long grew_mib = PeakRssGrowthMiBInChild([&] {
      CallSiteOptions o;
      o.kind = kind;
      auto r = AnalyzeCallSites(path, o);
      if (!r.ok()) std::fprintf(stderr, "report: %s\n", std::string(r.status().message()).c_str());  // why, in the log
      return r.ok() && r->events >= 10000000 && r->sites.size() == 100;
    });
    ASSERT_GE(grew_mib, 0) << "the report failed";
    if (kSanitizerOwnsHeap) continue;  // its heap is the sanitizer's: the default build checks
    EXPECT_LT(grew_mib, 64) << "report " << static_cast<int>(kind) << " grew the RSS by " << grew_mib << " MiB";
  }
}

TEST(CallSites, ABrokenTraceIsAnError) {
  CallSiteOptions o;
  EXPECT_FALSE(AnalyzeCallSites("/nonexistent.pb", o).ok());
}

}  // namespace
}  // namespace alloclab::analysis
