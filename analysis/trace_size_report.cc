// Measures what an event costs on disk: generates realistic synthetic
// allocation traces (trace/synthetic.h), writes each raw and zstd-compressed
// with the format library, reads every file back with the streaming decoder,
// checks it event by event against the generator, and prints bytes per event.
//
//   ./bazelw run //analysis:trace_size_report -- --events=2000000
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "trace/io.h"
#include "trace/synthetic.h"
#include "trace/trace_reader.h"
#include "trace/trace_writer.h"

ABSL_FLAG(uint64_t, events, 1000000, "events per workload");
ABSL_FLAG(std::string, out_dir, "", "where to write the traces (default: $TMPDIR or /tmp)");
ABSL_FLAG(int, level, 3, "zstd level for the compressed variant");
ABSL_FLAG(uint64_t, tick_ns, 1, "clock resolution of the recorded times, in nanoseconds");

namespace alloclab::analysis {
namespace {

using trace::Event;
using trace::GenerateSynthetic;
using trace::HeaderFields;
using trace::OpenFileSink;
using trace::SyntheticOptions;
using trace::TraceReader;
using trace::TraceWriter;

struct Workload {
  std::string name;
  SyntheticOptions options;
};

int Fail(const std::string& what) {
  std::fprintf(stderr, "trace_size_report: %s\n", what.c_str());
  return 1;
}

// Writes one trace; returns its size in bytes, or -1 on error.
int64_t Write(const Workload& w, bool compress, const std::string& path) {
  auto sink = OpenFileSink(path);
  if (!sink.ok()) return Fail(std::string(sink.status().message())), -1;
  HeaderFields h;
  const char* args[] = {"trace_size_report", w.name.c_str()};
  h.executable = "synthetic";
  h.args = args;
  h.arg_count = 2;
  h.page_size = 4096;
  const uint64_t tick_ns = absl::GetFlag(FLAGS_tick_ns);
  h.clock_ticks_per_second = 1000000000 / tick_ns;
  h.clock_source = "synthetic";
  h.tracer = "trace_size_report";
  TraceWriter::Options o;
  o.compress = compress;
  o.compression_level = absl::GetFlag(FLAGS_level);
  TraceWriter writer(sink->get(), h, o);
  absl::Status st;
  GenerateSynthetic(w.options, [&](Event e) {
    e.time /= tick_ns;
    if (st.ok()) st = writer.Append(e);
  });
  if (st.ok()) st = writer.Flush();
  if (!st.ok()) return Fail(absl::StrCat(path, ": ", st.message())), -1;
  return static_cast<int64_t>(writer.bytes_written());
}

// Reads path back and compares it with a fresh run of the generator,
// thread by thread (the file holds each thread's events in order).
bool Verify(const Workload& w, const std::string& path, uint64_t* events) {
  auto reader = TraceReader::Open(path);
  if (!reader.ok()) return Fail(absl::StrCat(path, ": ", reader.status().message())), false;
  std::vector<Event> expected;
  const uint64_t tick_ns = absl::GetFlag(FLAGS_tick_ns);
  GenerateSynthetic(w.options, [&](Event e) {
    e.time /= tick_ns;
    expected.push_back(e);
  });
  std::vector<Event> got;
  Event e;
  while ((*reader)->Next(&e)) got.push_back(e);
  if (!(*reader)->status().ok()) {
    return Fail(absl::StrCat(path, ": ", (*reader)->status().message())), false;
  }
  auto by_seq = [](const Event& a, const Event& b) { return a.seq < b.seq; };
  std::sort(got.begin(), got.end(), by_seq);
  if (got != expected) return Fail(absl::StrCat(path, ": events differ from the generator")), false;
  *events = got.size();
  return true;
}

int Main() {
  std::string dir = absl::GetFlag(FLAGS_out_dir);
  if (dir.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    dir = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
  }
  const uint64_t n = absl::GetFlag(FLAGS_events);
  std::vector<Workload> workloads(3);
  workloads[0].name = "single-thread";
  workloads[1].name = "4-threads";
  workloads[1].options.threads = 4;
  workloads[2].name = "16-threads";
  workloads[2].options.threads = 16;
  workloads[2].options.cross_thread_free_fraction = 0.2;
  for (auto& w : workloads) w.options.events = n;

  std::printf("Bytes per event on realistic synthetic traces (%llu events each, %llu ns ticks)\n",
              static_cast<unsigned long long>(n),
              static_cast<unsigned long long>(absl::GetFlag(FLAGS_tick_ns)));
  std::printf("%-14s %10s %14s %14s   %s\n", "workload", "events", "raw B/event",
              absl::StrCat("zstd-", absl::GetFlag(FLAGS_level), " B/event").c_str(), "files");
  for (const Workload& w : workloads) {
    const std::string raw = absl::StrCat(dir, "/synthetic-", w.name, ".pb");
    const std::string packed = absl::StrCat(dir, "/synthetic-", w.name, ".zst.pb");
    std::fprintf(stderr, "writing and verifying %s ...\n", w.name.c_str());
    const int64_t raw_bytes = Write(w, false, raw);
    const int64_t packed_bytes = Write(w, true, packed);
    uint64_t raw_events = 0, packed_events = 0;
    if (raw_bytes < 0 || packed_bytes < 0 || !Verify(w, raw, &raw_events) ||
        !Verify(w, packed, &packed_events)) {
      return 1;
    }
    std::printf("%-14s %10llu %14.2f %14.2f   %s %s\n", w.name.c_str(),
                static_cast<unsigned long long>(raw_events),
                static_cast<double>(raw_bytes) / raw_events,
                static_cast<double>(packed_bytes) / packed_events, raw.c_str(), packed.c_str());
  }
  std::printf("Every file was read back by the streaming decoder and matched the generator.\n");
  return 0;
}

}  // namespace
}  // namespace alloclab::analysis

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return alloclab::analysis::Main();
}
