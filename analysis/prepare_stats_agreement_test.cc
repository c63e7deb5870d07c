// The replay's preparation and `tracetool stats` read a trace through one
// heap history (trace/heap_history.h); this checks that what each reports
// agrees on every trace at hand: the fuzz seed corpora (every kind, realloc
// edges, inversions, duplicate seqs, several threads) given as arguments,
// and synthetic traces of one to four threads with cross-thread frees.
#include <sys/mman.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "replay/op_stream.h"
#include "replay/prepare.h"
#include "analysis/trace_stats.h"
#include "trace/ordered_reader.h"
#include "trace/synthetic.h"
#include "trace/test_events.h"
#include "trace/trace_writer.h"

namespace alloclab::analysis {
namespace {

std::vector<std::string> g_paths;

// Stats and preparation of the trace at path; false (and nothing checked)
// when the trace does not open or does not prepare.
void ExpectAgreement(const std::string& path, int* compared) {
  auto for_stats = trace::OrderedReader::Open(path);
  auto for_prepare = trace::OrderedReader::Open(path);
  ASSERT_EQ(for_stats.ok(), for_prepare.ok()) << path;
  if (!for_stats.ok()) return;
  TraceStats stats;
  trace::Event e;
  while ((*for_stats)->Next(&e)) stats.Add(e);
  const int fd = memfd_create("prepared", MFD_CLOEXEC);
  ASSERT_GE(fd, 0);
  auto h = replay::PrepareFromReader(**for_prepare, fd);
  close(fd);
  if (!h.ok() || !(*for_stats)->status().ok()) {
    EXPECT_EQ(h.ok(), (*for_stats)->status().ok()) << path << ": one view read the whole trace, the other did not";
    return;
  }
  const trace::HeapHistory<trace::NoExtra>& heap = stats.heap();
  SCOPED_TRACE(path);
  EXPECT_EQ(h->trace_events, stats.events());
  EXPECT_EQ(h->peak_live_bytes, heap.peak_live_bytes());
  EXPECT_EQ(h->peak_live_blocks, heap.peak_live_blocks());
  EXPECT_EQ(h->final_live_bytes, heap.live_bytes());
  EXPECT_EQ(h->final_live_blocks, heap.live_blocks());
  EXPECT_EQ(h->inversions, heap.inversions());
  EXPECT_EQ(h->unknown_frees, heap.unknown_frees());
  EXPECT_EQ(h->untraced_reallocs, heap.untraced_reallocs());
  EXPECT_EQ(h->realloc_zero_frees, heap.realloc_zero_frees());
  EXPECT_EQ(h->failed_allocations, heap.failed_allocations());
  for (int b = 0; b < replay::kSizeBuckets; ++b) EXPECT_EQ(h->size_histogram[b], heap.sizes().bucket(b)) << "bucket " << b;
  // Every call the preparation replays is one the history resolved.
  uint64_t calls = 0;
  for (int k = 0; k <= replay::kMaxOpKind; ++k) calls += h->calls_by_kind[k];
  EXPECT_EQ(calls, h->calls);
  ++*compared;
}

TEST(PrepareStatsAgreement, OnTheFuzzSeedCorpora) {
  ASSERT_FALSE(g_paths.empty()) << "give the corpus files as arguments";
  int compared = 0;
  for (const std::string& path : g_paths) ExpectAgreement(path, &compared);
  EXPECT_GE(compared, 5) << "too few of the corpus files are traces that prepare";
}

TEST(PrepareStatsAgreement, OnSyntheticTracesWithCrossThreadFrees) {
  const std::string dir = getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp";
  int compared = 0;
  for (int threads = 1; threads <= 4; ++threads) {
    trace::SyntheticOptions o;
    o.events = 200000;
    o.threads = threads;
    o.seed = static_cast<uint64_t>(threads);
    o.cross_thread_free_fraction = 0.2;
    std::vector<trace::Event> events;
    trace::GenerateSynthetic(o, [&](const trace::Event& e) { events.push_back(e); });
    const std::string path = dir + "/synthetic_" + std::to_string(threads) + ".pb";
    const std::string bytes = trace::WriteTestTrace(events, trace::TraceWriter::Options());
    FILE* f = fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    ASSERT_EQ(fwrite(bytes.data(), 1, bytes.size(), f), bytes.size());
    fclose(f);
    ExpectAgreement(path, &compared);
  }
  EXPECT_EQ(compared, 4);
}

}  // namespace
}  // namespace alloclab::analysis

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  for (int i = 1; i < argc; ++i) alloclab::analysis::g_paths.push_back(argv[i]);
  return RUN_ALL_TESTS();
}
