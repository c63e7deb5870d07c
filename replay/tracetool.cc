// tracetool: inspect allocation traces.
//   tracetool validate TRACE   exit 0 if the whole trace decodes, else the first error
//   tracetool stats TRACE      event counts by kind and by thread, live blocks at the end
//   tracetool dump TRACE       one event per line
// validate and dump stream (memory bounded by one chunk). stats replays the
// allocation history in global seq order, which needs every thread's events:
// it holds them in memory for now (a bounded-memory merge is replay's job).
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_format.h"
#include "trace/event.h"
#include "trace/trace_reader.h"

namespace alloclab::replay {
namespace {

using trace::Event;
using trace::Kind;

int Usage() {
  std::fprintf(stderr,
               "usage: tracetool validate|stats|dump TRACE\n"
               "  validate  exit status 0 if TRACE decodes completely, else the first error\n"
               "  stats     event counts by kind and thread, peak live bytes, size and lifetime\n"
               "            histograms, allocation balance\n"
               "  dump      one event per line\n");
  return 2;
}

int Error(const std::string& path, const absl::Status& st) {
  std::fprintf(stderr, "tracetool: %s: %s\n", path.c_str(), std::string(st.message()).c_str());
  return 1;
}

std::string Describe(const Event& e) {
  std::string s = absl::StrFormat("%llu t%llu %s", static_cast<unsigned long long>(e.seq),
                                  static_cast<unsigned long long>(e.thread_id), trace::KindName(e.kind));
  for (const trace::Word* w = trace::kLayouts[static_cast<int>(e.kind)].words; *w != trace::Word::kEnd; ++w) {
    switch (*w) {
      case trace::Word::kIn: absl::StrAppendFormat(&s, " in=%#x", e.in); break;
      case trace::Word::kOut: absl::StrAppendFormat(&s, " out=%#x", e.out); break;
      case trace::Word::kSize: absl::StrAppendFormat(&s, " size=%u", e.size); break;
      case trace::Word::kCount: absl::StrAppendFormat(&s, " count=%u", e.count); break;
      case trace::Word::kAlignment: absl::StrAppendFormat(&s, " align=%u", e.alignment); break;
      case trace::Word::kResult: absl::StrAppendFormat(&s, " result=%u", e.result); break;
      case trace::Word::kEnd: break;
    }
  }
  absl::StrAppendFormat(&s, " time=%u", e.time);
  if (e.stack_id != 0) absl::StrAppendFormat(&s, " stack=%u", e.stack_id);
  return s;
}

// Bytes a call asked for (calloc and reallocarray: count x size).
uint64_t RequestedBytes(const Event& e) {
  if (e.kind == Kind::kCalloc || e.kind == Kind::kReallocArray) return e.count * e.size;
  return e.size;
}

// Counts by power-of-two bucket: [0,1], [2,3], [4,7], ...
class Histogram {
 public:
  void Add(uint64_t v) {
    const int b = v <= 1 ? 0 : 64 - __builtin_clzll(v) - 1;
    ++buckets_[b];
    ++total_;
  }
  void Print(const char* title) const {
    std::printf("%s:\n", title);
    for (int b = 0; b < 64; ++b) {
      if (buckets_[b] == 0) continue;
      const unsigned long long lo = b == 0 ? 0 : 1ull << b;
      const unsigned long long hi = b == 63 ? ~0ull : (2ull << b) - 1;
      std::printf("  %12llu - %-12llu %10llu  %5.1f%%\n", lo, hi, static_cast<unsigned long long>(buckets_[b]),
                  100.0 * static_cast<double>(buckets_[b]) / static_cast<double>(total_));
    }
  }

 private:
  uint64_t buckets_[64] = {};
  uint64_t total_ = 0;
};

int Run(const std::string& command, const std::string& path) {
  auto reader = trace::TraceReader::Open(path);
  if (!reader.ok()) return Error(path, reader.status());
  trace::TraceReader& r = **reader;
  Event e;
  if (command == "validate") {
    uint64_t n = 0;
    while (r.Next(&e)) ++n;
    if (!r.status().ok()) return Error(path, r.status());
    std::printf("%s: ok, %llu events\n", path.c_str(), static_cast<unsigned long long>(n));
    return 0;
  }
  if (command == "dump") {
    while (r.Next(&e)) std::printf("%s\n", Describe(e).c_str());
    return r.status().ok() ? 0 : Error(path, r.status());
  }
  // stats
  std::map<int, uint64_t> by_kind;
  std::map<uint64_t, uint64_t> by_thread;
  struct Live {
    uint64_t bytes;
    uint64_t seq;
  };
  absl::flat_hash_map<uint64_t, Live> live;  // address -> requested bytes, allocation seq
  uint64_t unknown_frees = 0, events = 0, live_bytes = 0, peak_bytes = 0, peak_seq = 0;
  Histogram sizes, lifetimes;
  std::vector<Event> all;
  while (r.Next(&e)) all.push_back(e);
  if (!r.status().ok()) return Error(path, r.status());
  // File order is per thread; the allocation history is in seq order.
  std::sort(all.begin(), all.end(), [](const Event& a, const Event& b) { return a.seq < b.seq; });
  for (const Event& e : all) {
    ++events;
    ++by_kind[static_cast<int>(e.kind)];
    ++by_thread[e.thread_id];
    if (trace::KindHas(e.kind, trace::Word::kIn) && e.kind != Kind::kMallocUsableSize && e.in != 0) {
      // A failed realloc keeps its block.
      const bool released = (e.kind != Kind::kRealloc && e.kind != Kind::kReallocArray) || e.out != 0;
      if (released) {
        auto it = live.find(e.in);
        if (it == live.end()) {
          ++unknown_frees;
        } else {
          live_bytes -= it->second.bytes;
          lifetimes.Add(e.seq - it->second.seq);
          live.erase(it);
        }
      }
    }
    if (trace::KindHas(e.kind, trace::Word::kOut) && e.out != 0) {
      const uint64_t bytes = RequestedBytes(e);
      live[e.out] = {bytes, e.seq};
      live_bytes += bytes;
      sizes.Add(bytes);
      if (live_bytes > peak_bytes) {
        peak_bytes = live_bytes;
        peak_seq = e.seq;
      }
    }
  }
  const trace::Header& h = r.header();
  std::printf("trace %s: pid %llu, %s%s, %llu events\n", path.c_str(), static_cast<unsigned long long>(h.pid()),
              h.executable().c_str(), h.forked() ? " (forked)" : "", static_cast<unsigned long long>(events));
  for (const auto& [k, n] : by_kind) {
    std::printf("  %-20s %llu\n", trace::KindName(static_cast<Kind>(k)), static_cast<unsigned long long>(n));
  }
  std::printf("threads: %zu\n", by_thread.size());
  for (const auto& [t, n] : by_thread) {
    std::printf("  thread %-10llu %llu events\n", static_cast<unsigned long long>(t), static_cast<unsigned long long>(n));
  }
  std::printf("peak live requested bytes: %llu (at seq %llu)\n", static_cast<unsigned long long>(peak_bytes),
              static_cast<unsigned long long>(peak_seq));
  sizes.Print("allocation sizes (bytes)");
  lifetimes.Print("lifetimes (events between allocation and free)");
  std::printf("live at end: %zu blocks\nfrees of blocks not allocated in the trace: %llu\n", live.size(),
              static_cast<unsigned long long>(unknown_frees));
  return 0;
}

}  // namespace
}  // namespace alloclab::replay

int main(int argc, char** argv) {
  if (argc != 3) return alloclab::replay::Usage();
  const std::string command = argv[1];
  if (command != "validate" && command != "stats" && command != "dump") {
    std::fprintf(stderr, "tracetool: unknown command '%s'\n", command.c_str());
    return alloclab::replay::Usage();
  }
  return alloclab::replay::Run(command, argv[2]);
}
