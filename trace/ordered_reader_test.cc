#include "trace/ordered_reader.h"

#include <fstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tools/child_peak_rss.h"
#include "tools/sanitizers.h"
#include "trace/io.h"
#include "trace/synthetic.h"
#include "trace/test_events.h"
#include "trace/trace_reader.h"
#include "trace/trace_writer.h"

namespace alloclab::trace {
namespace {

std::string WriteFile(const std::string& name, const std::string& bytes) {
  const std::string path = std::string(getenv("TEST_TMPDIR")) + "/" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

std::vector<Event> ReadOrdered(const std::string& path, OrderedReader::Options options = {}) {
  auto r = OrderedReader::Open(path, options);
  EXPECT_TRUE(r.ok()) << r.status();
  std::vector<Event> out;
  if (!r.ok()) return out;
  Event e;
  while ((*r)->Next(&e)) out.push_back(e);
  EXPECT_TRUE((*r)->status().ok()) << (*r)->status();
  return out;
}

TEST(OrderedReader, RestoresGlobalOrderOfManyThreads) {
  std::vector<Event> events;
  SyntheticOptions opt;
  opt.events = 200000;
  opt.threads = 16;
  GenerateSynthetic(opt, [&](const Event& e) { events.push_back(e); });
  // Big writer chunks make the file order far from the seq order.
  TraceWriter::Options wopt;
  wopt.chunk_bytes = 256 << 10;
  for (bool compress : {false, true}) {
    wopt.compress = compress;
    const std::string path = WriteFile("many.trace", WriteTestTrace(events, wopt));
    OrderedReader::Options ropt;
    ropt.spill_chunk_bytes = 512;  // many spill chunks per thread
    std::vector<Event> got = ReadOrdered(path, ropt);
    ASSERT_EQ(got.size(), events.size());
    for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], events[i]) << "event " << i;
  }
}

TEST(OrderedReader, EveryKindRoundTrips) {
  std::vector<Event> events = EveryKindEvents(3);
  const std::string path = WriteFile("kinds.trace", WriteTestTrace(events, {}));
  auto r = OrderedReader::Open(path);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)->threads(), 3u);
  EXPECT_EQ((*r)->events(), events.size());
  EXPECT_GT((*r)->other_records(), 0u);
  Event e;
  size_t i = 0;
  while ((*r)->Next(&e)) {
    ASSERT_LT(i, events.size());
    EXPECT_EQ(e, events[i++]);
  }
  EXPECT_TRUE((*r)->status().ok());
  EXPECT_EQ(i, events.size());
}

TEST(OrderedReader, EmptyTraceHasNoEvents) {
  const std::string path = WriteFile("empty.trace", WriteTestTrace({}, {}));
  EXPECT_TRUE(ReadOrdered(path).empty());
}

TEST(OrderedReader, TruncatedTraceFailsAtOpen) {
  std::string bytes = WriteTestTrace(EveryKindEvents(2), {});
  const std::string path = WriteFile("cut.trace", bytes.substr(0, bytes.size() - 3));
  auto r = OrderedReader::Open(path);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("truncated"), std::string::npos) << r.status();
}

TEST(OrderedReader, DuplicateSeqAcrossThreadsIsAnError) {
  Event a;
  a.kind = Kind::kMalloc;
  a.thread_id = 1;
  a.seq = 5;
  a.size = 8;
  a.out = 0x1000;
  Event b = a;
  b.thread_id = 2;
  b.out = 0x2000;
  const std::string path = WriteFile("dup.trace", WriteTestTrace({a, b}, {}));
  auto r = OrderedReader::Open(path);
  ASSERT_TRUE(r.ok()) << r.status();
  Event e;
  while ((*r)->Next(&e)) {
  }
  EXPECT_NE((*r)->status().message().find("appears in two threads"), std::string::npos)
      << (*r)->status();
}

TEST(OrderedReader, MissingTempDirIsAClearError) {
  const std::string path = WriteFile("small.trace", WriteTestTrace(EveryKindEvents(1), {}));
  OrderedReader::Options opt;
  opt.temp_dir = "/nonexistent-dir-for-spill";
  auto r = OrderedReader::Open(path, opt);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("temporary file"), std::string::npos) << r.status();
}

// Found by fuzzing replay preparation: a 66 KB trace naming a new thread in
// every chunk of a compressed block (20000 threads, one event each) cost the
// spill pass 4 KiB per thread, and a 616 KB one 1.2 GB. The per-thread
// buffers now start small and grow as the thread's events need them.
TEST(OrderedReader, ManyTinyThreadsCostLittleMemory) {
  constexpr uint64_t kThreads = 100000;
  std::vector<Event> events;
  for (uint64_t t = 1; t <= kThreads; ++t) {
    Event e;
    e.kind = Kind::kMalloc;
    e.thread_id = t;
    e.seq = t;
    e.size = 16;
    e.out = 0x1000 * t;
    events.push_back(e);
  }
  TraceWriter::Options wopt;
  wopt.chunk_bytes = 0;
  const std::string path = WriteFile("tiny_threads.trace", WriteTestTrace(events, wopt));
  const long grew_mib = PeakRssGrowthMiBInChild([&] {
    auto r = OrderedReader::Open(path);
    uint64_t n = 0;
    Event e;
    while (r.ok() && (*r)->Next(&e)) ++n;
    return r.ok() && n == kThreads;
  });
  ASSERT_GE(grew_mib, 0) << "the trace did not read back";
  if (alloclab::kSanitizerOwnsHeap) {
    GTEST_SKIP() << "peak RSS is mostly the sanitizer's (redzones, quarantine): the default build checks it";
  }
  EXPECT_LT(grew_mib, 64) << "the reader's peak RSS grew by 64 MiB or more (4 KiB a thread would be 400 MB)";
}

TEST(OrderedReader, RefusesMoreThreadsThanItsLimitNamingIt) {
  std::vector<Event> events;
  for (uint64_t t = 1; t <= 300; ++t) events.push_back(MakeEvent(t, Kind::kMalloc, t, t, 0, 16, 0x1000 * t));
  TraceWriter::Options wopt;
  wopt.chunk_bytes = 0;
  const std::string path = WriteFile("many_threads.trace", WriteTestTrace(events, wopt));
  OrderedReader::Options options;
  options.max_threads = 300;
  ASSERT_TRUE(OrderedReader::Open(path, options).ok());
  options.max_threads = 299;
  auto r = OrderedReader::Open(path, options);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("names more than 299 threads"), std::string::npos) << r.status();
}

}  // namespace
}  // namespace alloclab::trace
