// Writes the golden traces of tests/replay/testdata: small traces made by the
// project's own generators, replayed by the suites in tests/replay/BUILD.
//   make_golden_traces OUT_DIR
// Deterministic: the same program writes the same bytes (golden_traces_test
// checks the checked-in copies against a fresh run).
#include <cstdio>
#include <string>
#include <vector>

#include "trace/event.h"
#include "trace/io.h"
#include "trace/record_encoder.h"
#include "trace/synthetic.h"
#include "trace/trace_writer.h"

namespace alloclab {
namespace {

using trace::Event;
using trace::Kind;

// Cross-thread frees and reallocs, an inversion, an address reused across
// threads, every allocation entry point, and what preparation must skip.
std::vector<Event> EdgeCases() {
  std::vector<Event> out;
  uint64_t seq = 0;
  auto add = [&](uint64_t thread, Kind kind, uint64_t in, uint64_t out_ptr, uint64_t size) -> Event& {
    Event e;
    e.kind = kind;
    e.thread_id = thread;
    e.seq = ++seq;
    e.time = seq * 40;
    e.in = in;
    e.out = out_ptr;
    e.size = size;
    out.push_back(e);
    return out.back();
  };
  for (uint64_t t = 1; t <= 3; ++t) add(t, Kind::kThreadStart, 0, 0, 0);
  add(1, Kind::kMalloc, 0, 0x1000, 100);
  add(2, Kind::kFree, 0x1000, 0, 0);                 // freed by another thread
  add(1, Kind::kMalloc, 0, 0x2000, 50);
  add(2, Kind::kMalloc, 0, 0x2000, 60);              // inversion: 0x2000 still live in 1
  add(1, Kind::kFree, 0x2000, 0, 0);                 // ... whose free comes later
  add(2, Kind::kFree, 0x2000, 0, 0);
  add(3, Kind::kFree, 0xdead000, 0, 0);              // never allocated: skipped
  add(3, Kind::kFree, 0, 0, 0);                      // free(NULL)
  add(1, Kind::kMalloc, 0, 0x5000, 24);
  add(1, Kind::kFree, 0x5000, 0, 0);
  add(3, Kind::kMalloc, 0, 0x5000, 24);              // address reused across threads
  add(1, Kind::kMalloc, 0, 0x6000, 200);
  add(2, Kind::kRealloc, 0x6000, 0x7000, 400);       // cross-thread realloc
  add(3, Kind::kFree, 0x7000, 0, 0);
  add(3, Kind::kFree, 0x5000, 0, 0);
  Event& c = add(1, Kind::kCalloc, 0, 0x8000, 12);
  c.count = 10;
  Event& m = add(1, Kind::kMemalign, 0, 0x9000, 100);
  m.alignment = 64;
  Event& pm = add(2, Kind::kPosixMemalign, 0, 0xa000, 300);
  pm.alignment = 256;
  Event& pmf = add(2, Kind::kPosixMemalign, 0, 0xdeadbeef, 300);
  pmf.alignment = 256;
  pmf.result = 12;                                    // ENOMEM: skipped
  Event& aa = add(3, Kind::kAlignedAlloc, 0, 0xb000, 4096);
  aa.alignment = 4096;
  add(3, Kind::kValloc, 0, 0x10000, 5000);
  add(3, Kind::kPvalloc, 0, 0x20000, 5000);
  Event& us = add(1, Kind::kMallocUsableSize, 0x8000, 0, 0);
  us.result = 120;
  add(1, Kind::kRealloc, 0, 0x30000, 10);             // realloc(NULL, n)
  add(1, Kind::kRealloc, 0x30000, 0x30000, 20);       // in place
  add(1, Kind::kRealloc, 0x30000, 0x31000, 5000);     // moved
  add(1, Kind::kRealloc, 0x31000, 0, uint64_t{1} << 50);  // failed: unchanged
  Event& ra = add(1, Kind::kReallocArray, 0x31000, 0x32000, 100);
  ra.count = 70;
  add(1, Kind::kRealloc, 0x32000, 0, 0);              // realloc(p, 0) freed p
  add(2, Kind::kRealloc, 0x77000, 0x33000, 64);       // untraced pointer
  Event& fs = add(2, Kind::kFreeSized, 0x33000, 0, 64);
  (void)fs;
  add(1, Kind::kMalloc, 0, 0, uint64_t{1} << 60);     // failed: skipped
  add(2, Kind::kFork, 0, 0, 0).result = 4321;
  // Churn: each thread allocates, some blocks are freed by the next thread.
  uint64_t x = 88172645463325252ull;
  std::vector<std::pair<uint64_t, uint64_t>> live;  // (address, thread)
  uint64_t next_address = 0x100000;
  for (int i = 0; i < 3000; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    const uint64_t t = 1 + x % 3;
    if (live.size() < 64 && (x >> 8) % 3 != 0) {
      const uint64_t size = 1 + (x >> 16) % ((x >> 40) % 8 == 0 ? 70000 : 512);
      add(t, Kind::kMalloc, 0, next_address, size);
      live.emplace_back(next_address, t);
      next_address += (size + 4095) & ~uint64_t{4095};
    } else if (!live.empty()) {
      const size_t k = (x >> 24) % live.size();
      add(t, Kind::kFree, live[k].first, 0, 0);
      live[k] = live.back();
      live.pop_back();
    }
  }
  for (const auto& [address, thread] : live) add(thread, Kind::kFree, address, 0, 0);
  for (uint64_t t = 1; t <= 3; ++t) add(t, Kind::kThreadExit, 0, 0, 0);
  return out;
}

bool Write(const std::string& path, const std::vector<Event>& events, bool compress) {
  auto sink = trace::OpenFileSink(path);
  if (!sink.ok()) {
    std::fprintf(stderr, "%s\n", std::string(sink.status().message()).c_str());
    return false;
  }
  trace::HeaderFields header;
  header.pid = 1;
  header.executable = "make_golden_traces";
  header.page_size = 4096;
  header.clock_ticks_per_second = 1000000000;
  header.clock_source = "synthetic";
  trace::TraceWriter::Options options;
  options.compress = compress;
  options.chunk_bytes = 4096;  // many chunks: the file order interleaves threads
  trace::TraceWriter writer(sink->get(), header, options);
  for (const Event& e : events) {
    if (absl::Status st = writer.Append(e); !st.ok()) {
      std::fprintf(stderr, "%s: %s\n", path.c_str(), std::string(st.message()).c_str());
      return false;
    }
  }
  return writer.Flush().ok();
}

std::vector<Event> Synthetic(uint64_t events, int threads, double cross) {
  trace::SyntheticOptions o;
  o.events = events;
  o.threads = threads;
  o.seed = 7;
  o.cross_thread_free_fraction = cross;
  std::vector<Event> out;
  trace::GenerateSynthetic(o, [&](const Event& e) { out.push_back(e); });
  return out;
}

}  // namespace
}  // namespace alloclab

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_golden_traces OUT_DIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  using alloclab::Synthetic;
  using alloclab::Write;
  const bool ok = Write(dir + "/edge_cases.trace", alloclab::EdgeCases(), false) &&
                  Write(dir + "/single_thread.trace", Synthetic(15000, 1, 0), true) &&
                  Write(dir + "/four_threads.trace", Synthetic(20000, 4, 0.25), true);
  return ok ? 0 : 1;
}
