// two_thread_trace: writes a small two-thread trace whose file order is not
// its seq order (all of thread 2's chunks come before thread 1's), for
// tracetool_stats_test. Its allocation history, by seq:
//   1 t1 malloc(100) = A      4 t2 free(A)  (cross-thread)
//   2 t2 malloc(200) = B      5 t1 malloc(30) = A
//   3 t1 malloc(50)  = C      6 t2 malloc(10) = A  inversion: A still live,
//                             7 t1 free(A)          its free recorded here
//   8 t2 free(0xdead)  never allocated      9 t2 free(B)
// then 1000 malloc(8)/free pairs on fresh addresses, each freed by the other
// thread. Peak 350 bytes at seq 3; at the end C and A live (60 bytes).
//   two_thread_trace OUT            that trace
//   two_thread_trace OUT dup-seq    a trace where both threads claim seq 1
#include <cstdio>
#include <cstring>
#include <vector>

#include "trace/event.h"
#include "trace/io.h"
#include "trace/record_encoder.h"
#include "trace/test_events.h"
#include "trace/trace_writer.h"

namespace {

using alloclab::trace::Event;
using alloclab::trace::Kind;

Event Make(uint64_t seq, uint64_t thread, Kind kind, uint64_t in, uint64_t size, uint64_t out) {
  return alloclab::trace::MakeEvent(thread, kind, seq, seq, in, size, out);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3 || (argc == 3 && std::strcmp(argv[2], "dup-seq") != 0)) {
    std::fprintf(stderr, "usage: two_thread_trace OUT [dup-seq]\n");
    return 2;
  }
  constexpr uint64_t A = 0x1000, B = 0x2000, C = 0x3000;
  std::vector<Event> events;
  if (argc == 3) {
    events = {Make(1, 1, Kind::kMalloc, 0, 8, A), Make(1, 2, Kind::kMalloc, 0, 8, B)};
  } else {
    events = {
        Make(1, 1, Kind::kMalloc, 0, 100, A), Make(2, 2, Kind::kMalloc, 0, 200, B),
        Make(3, 1, Kind::kMalloc, 0, 50, C),  Make(4, 2, Kind::kFree, A, 0, 0),
        Make(5, 1, Kind::kMalloc, 0, 30, A),  Make(6, 2, Kind::kMalloc, 0, 10, A),
        Make(7, 1, Kind::kFree, A, 0, 0),     Make(8, 2, Kind::kFree, 0xdead, 0, 0),
        Make(9, 2, Kind::kFree, B, 0, 0),
    };
    for (uint64_t i = 0; i < 1000; ++i) {
      const uint64_t x = 0x100000 + 16 * i;
      events.push_back(Make(10 + 2 * i, 1 + i % 2, Kind::kMalloc, 0, 8, x));
      events.push_back(Make(11 + 2 * i, 2 - i % 2, Kind::kFree, x, 0, 0));
    }
  }
  auto sink = alloclab::trace::OpenFileSink(argv[1]);
  if (!sink.ok()) {
    std::fprintf(stderr, "two_thread_trace: %s\n", std::string(sink.status().message()).c_str());
    return 1;
  }
  alloclab::trace::HeaderFields h;
  h.pid = 4242;
  h.executable = "/usr/bin/two_thread_trace";
  alloclab::trace::TraceWriter::Options options;
  options.chunk_bytes = 0;  // the smallest chunks: each thread spans several
  alloclab::trace::TraceWriter writer(sink->get(), h, options);
  absl::Status st;
  for (uint64_t thread : {2, 1}) {
    for (const Event& e : events) {
      if (e.thread_id == thread && st.ok()) st = writer.Append(e);
    }
    if (st.ok()) st = writer.Flush();
  }
  if (!st.ok()) {
    std::fprintf(stderr, "two_thread_trace: %s\n", std::string(st.message()).c_str());
    return 1;
  }
  return 0;
}
