// make_seed_corpus: writes the checked-in seed corpora of the fuzz targets,
// with the project's own trace writers, so they follow the format exactly:
//   trace/testdata/fuzz_corpus/trace_reader/   traces of every record kind and
//       encoding (compact, in-place slots with padding, zstd blocks) and
//       truncated and corrupt variants
//   replay/testdata/fuzz_corpus/prepare/       traces with cross-thread frees,
//       inversions, realloc edge cases and unknown frees
//   replay/testdata/fuzz_corpus/replay_plan/   those traces prepared
//   malloc/testdata/fuzz_corpus/malloc/        op programs for malloc_fuzz
// Usage: bazel run //fuzz:make_seed_corpus -- "$PWD"   (the workspace root)
// Deterministic: the same files every run.
#include <sys/stat.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "replay/prepare.h"
#include "trace/chunk_encoder.h"
#include "trace/event.h"
#include "trace/io.h"
#include "trace/record_encoder.h"
#include "trace/synthetic.h"
#include "trace/test_events.h"
#include "trace/trace_writer.h"

namespace {

using alloclab::trace::Event;
using alloclab::trace::Kind;
using alloclab::trace::TraceWriter;

constexpr size_t kMaxSeedBytes = 20 << 10;

bool g_ok = true;

void Put(const std::string& dir, const std::string& name, const std::string& bytes) {
  if (bytes.size() > kMaxSeedBytes) {
    std::fprintf(stderr, "make_seed_corpus: %s is %zu bytes, over the %zu-byte limit\n", name.c_str(),
                 bytes.size(), kMaxSeedBytes);
    g_ok = false;
    return;
  }
  const std::string path = dir + "/" + name;
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr || std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size() ||
      std::fclose(f) != 0) {
    std::fprintf(stderr, "make_seed_corpus: cannot write %s\n", path.c_str());
    g_ok = false;
    return;
  }
  std::printf("%6zu %s\n", bytes.size(), path.c_str());
}

void MakeDirs(const std::string& path) {
  for (size_t i = 1; i <= path.size(); ++i) {
    if (i == path.size() || path[i] == '/') mkdir(path.substr(0, i).c_str(), 0755);
  }
}

std::string Write(const std::vector<Event>& events, TraceWriter::Options options) {
  std::string bytes;
  alloclab::trace::StringSink sink(&bytes);
  alloclab::trace::HeaderFields h;
  h.pid = 77;
  h.executable = "/usr/bin/seed";
  h.page_size = 4096;
  h.clock_ticks_per_second = 1000000000;
  TraceWriter w(&sink, h, options);
  for (const Event& e : events) {
    if (!w.Append(e).ok()) g_ok = false;
  }
  if (!w.Flush().ok()) g_ok = false;
  return bytes;
}

std::vector<Event> Synthetic(uint64_t n, int threads, uint64_t seed) {
  alloclab::trace::SyntheticOptions o;
  o.events = n;
  o.threads = threads;
  o.seed = seed;
  o.cross_thread_free_fraction = 0.3;
  std::vector<Event> events;
  alloclab::trace::GenerateSynthetic(o, [&](const Event& e) { events.push_back(e); });
  return events;
}

Event Make(uint64_t seq, uint64_t thread, Kind kind, uint64_t in, uint64_t size, uint64_t out) {
  return alloclab::trace::MakeEvent(thread, kind, seq, seq * 10, in, size, out);
}

// What the tracer leaves after a kill: the header, padding to 4 KiB, then
// one in-place chunk per thread filling its 4 KiB slot (zero words after the
// last committed event).
std::string InPlaceTrace(const std::vector<Event>& events) {
  std::string bytes(alloclab::trace::kMagic, sizeof alloclab::trace::kMagic);
  std::vector<uint8_t> buf(4096);
  alloclab::trace::HeaderFields h;
  h.pid = 78;
  h.tracer = "seed";
  bytes.append(reinterpret_cast<char*>(buf.data()),
               alloclab::trace::EncodeHeader(h, buf.data(), buf.size()));
  bytes.resize(4096, '\0');
  std::vector<uint64_t> ids;
  for (const Event& e : events) {
    if (std::find(ids.begin(), ids.end(), e.thread_id) == ids.end()) ids.push_back(e.thread_id);
  }
  for (uint64_t id : ids) {
    std::fill(buf.begin(), buf.end(), 0);  // an in-place chunk needs a zero-filled slot
    alloclab::trace::ChunkEncoder enc(buf.data(), buf.size(),
                                      alloclab::trace::ChunkEncoder::Mode::kInPlace);
    for (const Event& e : events) {
      if (e.thread_id == id && !enc.Append(e)) break;
    }
    bytes.append(reinterpret_cast<char*>(buf.data()), enc.size());
  }
  return bytes;
}

void TraceReaderCorpus(const std::string& dir) {
  MakeDirs(dir);
  const std::vector<Event> every = alloclab::trace::EveryKindEvents(2);
  TraceWriter::Options plain;
  const std::string every_raw = alloclab::trace::WriteTestTrace(every, plain);
  Put(dir, "every_kind", every_raw);
  TraceWriter::Options small;
  small.chunk_bytes = 0;  // the smallest chunks
  Put(dir, "every_kind_small_chunks", alloclab::trace::WriteTestTrace(every, small));
  TraceWriter::Options zstd;
  zstd.compress = true;
  zstd.block_bytes = 600;
  Put(dir, "every_kind_zstd", alloclab::trace::WriteTestTrace(every, zstd));
  Put(dir, "synthetic_1_thread", Write(Synthetic(200, 1, 1), plain));
  Put(dir, "synthetic_3_threads_zstd", Write(Synthetic(400, 3, 2), zstd));
  Put(dir, "in_place_slots", InPlaceTrace(Synthetic(60, 2, 3)));
  // Bad input: nothing, the magic alone, a cut header, a cut chunk, a flipped
  // byte inside a chunk, and a foreign file.
  Put(dir, "empty", "");
  Put(dir, "magic_only", every_raw.substr(0, 8));
  Put(dir, "truncated_header", every_raw.substr(0, 40));
  Put(dir, "truncated_chunk", every_raw.substr(0, every_raw.size() / 2));
  std::string flipped = every_raw;
  flipped[flipped.size() * 2 / 3] ^= 0x40;
  Put(dir, "flipped_byte", flipped);
  Put(dir, "foreign", "#!/bin/sh\necho this is not a trace\n");
}

void PrepareCorpus(const std::string& dir) {
  MakeDirs(dir);
  TraceWriter::Options plain;
  plain.chunk_bytes = 512;
  constexpr uint64_t A = 0x1000, B = 0x2000, C = 0x3000, D = 0x4000;
  // Two threads: cross-thread frees, an inversion, an unknown free, a free
  // of NULL, in file order unlike seq order (small chunks).
  std::vector<Event> two = {
      Make(1, 1, Kind::kMalloc, 0, 100, A), Make(2, 2, Kind::kMalloc, 0, 200, B),
      Make(3, 1, Kind::kMalloc, 0, 50, C),  Make(4, 2, Kind::kFree, A, 0, 0),
      Make(5, 1, Kind::kMalloc, 0, 30, A),  Make(6, 2, Kind::kMalloc, 0, 10, A),
      Make(7, 1, Kind::kFree, A, 0, 0),     Make(8, 2, Kind::kFree, 0xdead, 0, 0),
      Make(9, 2, Kind::kFree, B, 0, 0),     Make(10, 1, Kind::kFree, 0, 0, 0),
  };
  for (uint64_t i = 0; i < 40; ++i) {
    const uint64_t x = 0x100000 + 16 * i;
    two.push_back(Make(11 + 2 * i, 1 + i % 2, Kind::kMalloc, 0, 8 + i, x));
    two.push_back(Make(12 + 2 * i, 2 - i % 2, Kind::kFree, x, 0, 0));
  }
  Put(dir, "two_threads_inversion", Write(two, plain));
  // realloc's cases on one thread, and a usable_size from another.
  Event cal = Make(1, 1, Kind::kCalloc, 0, 16, A);
  cal.count = 4;
  Event pm = Make(9, 1, Kind::kPosixMemalign, 0, 100, D);
  pm.alignment = 64;
  Event pm_fail = Make(10, 1, Kind::kPosixMemalign, 0, 100, 0);
  pm_fail.alignment = 3;
  pm_fail.result = 22;
  Event ra = Make(11, 2, Kind::kReallocArray, D, 10, D);
  ra.count = 3;
  Event us = Make(12, 2, Kind::kMallocUsableSize, D, 0, 0);
  us.result = 112;
  const std::vector<Event> reallocs = {
      cal,
      Make(2, 1, Kind::kRealloc, A, 200, B),    // moves
      Make(3, 1, Kind::kRealloc, B, 300, B),    // grows in place
      Make(4, 1, Kind::kRealloc, B, 1 << 30, 0),  // fails: B stays
      Make(5, 1, Kind::kRealloc, B, 0, 0),      // realloc(p, 0) frees
      Make(6, 1, Kind::kRealloc, 0, 40, C),     // realloc(NULL, n)
      Make(7, 1, Kind::kRealloc, 0xbeef0, 40, A),  // allocated before tracing
      Make(8, 1, Kind::kMalloc, 0, 1 << 20, 0),  // failed malloc
      pm, pm_fail, ra, us,
      Make(13, 2, Kind::kFree, A, 0, 0),
      Make(14, 1, Kind::kFree, C, 0, 0),
      Make(15, 2, Kind::kThreadExit, 0, 0, 0),
  };
  Put(dir, "realloc_cases", Write(reallocs, plain));
  Put(dir, "every_kind", Write(alloclab::trace::EveryKindEvents(3), plain));
  Put(dir, "synthetic_4_threads", Write(Synthetic(500, 4, 4), plain));
  TraceWriter::Options zstd;
  zstd.compress = true;
  zstd.block_bytes = 2048;
  Put(dir, "synthetic_2_threads_zstd", Write(Synthetic(800, 2, 5), zstd));
  // Two threads claiming one seq: the ordered reader rejects it.
  Put(dir, "duplicate_seq",
      Write({Make(1, 1, Kind::kMalloc, 0, 8, A), Make(1, 2, Kind::kMalloc, 0, 8, B)}, plain));
}

// malloc_fuzz programs (see malloc/malloc_fuzz.cc for the op encoding).
void MallocCorpus(const std::string& dir) {
  MakeDirs(dir);
  auto program = [](std::initializer_list<int> bytes) {
    std::string s;
    for (int b : bytes) s.push_back(static_cast<char>(b));
    return s;
  };
  std::string churn;  // malloc slot i (small sizes), free every other, realloc the rest
  for (int i = 0; i < 32; ++i) churn += program({0, i, i * 2});
  for (int i = 0; i < 32; i += 2) churn += program({7, i});
  for (int i = 1; i < 32; i += 2) churn += program({9, i, 0x40 | i, i * 7});
  Put(dir, "churn", churn);
  // Every kind of call once, sizes from each range.
  Put(dir, "every_call",
      program({0, 1, 20,   4, 2, 0x50, 0x10, 3,   5, 3, 8, 12, 0,   5, 4, 30, 2, 1,
               5, 5, 13, 5, 2,   5, 6, 5, 7, 3,   6, 7, 0x41, 0x00, 0,   6, 8, 100, 1,
               9, 1, 0x80, 0x01, 0x00,   10, 3, 0x30, 3,   11, 1,   12, 1, 0, 0,
               12, 2, 5, 1,   12, 3, 9, 2,   12, 1, 1, 3,   12, 4, 0, 4,   12, 5, 7, 5,
               9, 1, 0,   255, 0,   7, 2,   8, 3}));
  // Page runs and huge blocks, grown and shrunk by realloc.
  Put(dir, "large", program({0, 10, 0xc0, 0x20, 0x00,   0, 11, 0x82, 0x00, 0x00,
                             9, 10, 0xc0, 0x40, 0x00,   9, 11, 0x81, 0x10, 0x00,
                             9, 10, 0x85, 0x00, 0x00,   9, 11, 0xc1, 0x00, 0x00,
                             5, 12, 20, 0x81, 0x00, 0x00, 1,   7, 10,   7, 11}));
  // Blocks moving between threads: allocate on the helper, free here; a
  // short-lived thread allocating and freeing.
  Put(dir, "threads", program({13, 0, 0, 1, 24,   13, 0, 0, 2, 0x48, 0x00,   7, 1,   7, 2,
                               0, 3, 40,   14, 2, 7, 3,   0, 4, 16,   0, 5, 0x90, 0x00, 0x00,
                               13, 0, 7, 4,   13, 0, 9, 5, 0x30}));
}

// The prepare corpus's traces as prepared files (what the runner maps).
void ReplayPlanCorpus(const std::string& traces, const std::string& dir) {
  MakeDirs(dir);
  for (const char* name : {"two_threads_inversion", "realloc_cases", "synthetic_4_threads", "every_kind"}) {
    auto h = alloclab::replay::PrepareTrace(traces + "/" + name, dir + "/" + name);
    if (!h.ok()) {
      std::fprintf(stderr, "%s: %s\n", name, std::string(h.status().message()).c_str());
      g_ok = false;
    }
  }
  // A window (--from): a heap-rebuilding thread the runner runs first.
  alloclab::replay::TraceWindow window;
  window.has_from = true;
  window.from = 200;
  auto h = alloclab::replay::PrepareTrace(traces + "/synthetic_4_threads", dir + "/synthetic_4_threads_window", "",
                                          window);
  if (!h.ok() || h->prologue_thread == 0) {
    std::fprintf(stderr, "synthetic_4_threads_window: no window\n");
    g_ok = false;
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_seed_corpus WORKSPACE_ROOT\n");
    return 2;
  }
  const std::string root = argv[1];
  TraceReaderCorpus(root + "/trace/testdata/fuzz_corpus/trace_reader");
  PrepareCorpus(root + "/replay/testdata/fuzz_corpus/prepare");
  ReplayPlanCorpus(root + "/replay/testdata/fuzz_corpus/prepare", root + "/replay/testdata/fuzz_corpus/replay_plan");
  MallocCorpus(root + "/malloc/testdata/fuzz_corpus/malloc");
  return g_ok ? 0 : 1;
}
