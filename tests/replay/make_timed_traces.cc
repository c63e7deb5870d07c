// Writes the traces of the replay tests that are about time and threads,
// made here rather than checked in:
//   make_timed_traces OUT_DIR
// idle_gap.trace: one thread allocates 32 MiB in 64 KiB blocks, frees them
//   all at 0.1 s, then makes a malloc(16)/free pair every 100 ms up to 2.1 s
//   (the program is otherwise idle: what an allocator gives back in that
//   time shows only in a paced replay).
// thread_churn.trace: 100000 threads one after another, each allocating a
//   few blocks and freeing the block its predecessor handed on (a program
//   that starts a short-lived thread per request), and a last thread whose
//   only call frees a pointer the trace never allocated (no ops to replay).
#include <cstdio>
#include <string>

#include "trace/event.h"
#include "trace/io.h"
#include "trace/record_encoder.h"
#include "trace/trace_writer.h"

namespace alloclab {
namespace {

using trace::Event;
using trace::Kind;

class Writer {
 public:
  explicit Writer(trace::ByteSink* sink) : writer_(sink, Header(), Options()) {}

  bool Add(uint64_t thread, Kind kind, uint64_t time_ns, uint64_t in, uint64_t out, uint64_t size) {
    Event e;
    e.kind = kind;
    e.thread_id = thread;
    e.seq = ++seq_;
    e.time = time_ns;
    e.in = in;
    e.out = out;
    e.size = size;
    return ok_ = ok_ && writer_.Append(e).ok();
  }
  bool Flush() { return ok_ = ok_ && writer_.Flush().ok(); }

 private:
  static trace::HeaderFields Header() {
    trace::HeaderFields h;
    h.pid = 1;
    h.executable = "make_timed_traces";
    h.page_size = 4096;
    h.clock_ticks_per_second = 1000000000;
    h.clock_source = "synthetic";
    return h;
  }
  static trace::TraceWriter::Options Options() {
    trace::TraceWriter::Options o;
    o.compress = true;
    o.chunk_bytes = 4096;
    return o;
  }
  trace::TraceWriter writer_;
  uint64_t seq_ = 0;
  bool ok_ = true;
};

constexpr uint64_t kMs = 1000000;

bool IdleGap(trace::ByteSink* sink) {
  Writer w(sink);
  const uint64_t kBlocks = 512, kBlock = 64 << 10, kBase = 0x10000000;
  w.Add(1, Kind::kThreadStart, 0, 0, 0, 0);
  for (uint64_t i = 0; i < kBlocks; ++i) w.Add(1, Kind::kMalloc, 1 * kMs + i * 1000, 0, kBase + i * kBlock, kBlock);
  for (uint64_t i = 0; i < kBlocks; ++i) w.Add(1, Kind::kFree, 100 * kMs + i * 1000, kBase + i * kBlock, 0, 0);
  for (uint64_t t = 200 * kMs; t <= 2100 * kMs; t += 100 * kMs) {
    w.Add(1, Kind::kMalloc, t, 0, 0x1000, 16);
    w.Add(1, Kind::kFree, t + 1000, 0x1000, 0, 0);
  }
  w.Add(1, Kind::kThreadExit, 2100 * kMs + 2000, 0, 0, 0);
  return w.Flush();
}

bool ThreadChurn(trace::ByteSink* sink) {
  Writer w(sink);
  uint64_t time = 0, handed = 0;
  for (uint64_t t = 1; t <= 100000; ++t) {
    const uint64_t base = 0x10000000 + (t % 64) * 0x10000;
    w.Add(t, Kind::kThreadStart, time += 1000, 0, 0, 0);
    w.Add(t, Kind::kMalloc, time += 100, 0, base, 64 + t % 200);
    w.Add(t, Kind::kMalloc, time += 100, 0, base + 0x1000, 4096);
    if (handed != 0) w.Add(t, Kind::kFree, time += 100, handed, 0, 0);  // its predecessor's block
    w.Add(t, Kind::kFree, time += 100, base, 0, 0);
    handed = base + 0x1000;  // left for the next thread
    w.Add(t, Kind::kThreadExit, time += 100, 0, 0, 0);
    if (t % 1000 == 0 && !w.Flush()) return false;
  }
  w.Add(100001, Kind::kFree, time += 1000, handed, 0, 0);
  w.Add(100002, Kind::kFree, time += 1000, 0xdead0000, 0, 0);  // never allocated: a thread left without ops
  return w.Flush();
}

bool WriteTo(const std::string& path, bool (*make)(trace::ByteSink*)) {
  auto sink = trace::OpenFileSink(path);
  if (!sink.ok() || !make(sink->get())) {
    std::fprintf(stderr, "make_timed_traces: cannot write %s\n", path.c_str());
    return false;
  }
  return true;
}

}  // namespace
}  // namespace alloclab

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_timed_traces OUT_DIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  using alloclab::WriteTo;
  return WriteTo(dir + "/idle_gap.trace", alloclab::IdleGap) &&
                 WriteTo(dir + "/thread_churn.trace", alloclab::ThreadChurn)
             ? 0
             : 1;
}
