// replay_runner: the measured half of a replay. `replay` runs it as a child
// with the allocator under test preloaded (LD_PRELOAD), so every allocator
// sees exactly the prepared ops and nothing else: the runner's own memory
// (prepared streams, slots, stacks, counters) comes from mmap. It prints its
// measurements as "key value" lines on stdout for `replay` to read.
//
//   replay_runner PREPARED [--touch=none|first|all] [--sample-shift=K]
//                 [--rss-interval-us=N] [--expect=glibc|PATH.so] [--verify]
//
// --verify checks every result (replay/replay_thread.h, VerifyThread) instead
// of timing; the report then carries verify_errors and the first of them.
// Exit status: 0 done, 2 usage, 3 bad prepared file, 4 allocator not loaded,
// 5 out of resources.
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#include <atomic>
#include <cstdio>

#include "replay/latency_histogram.h"
#include "replay/op_stream.h"
#include "replay/prepared_file.h"
#include "replay/process_memory.h"
#include "replay/replay_thread.h"

namespace alloclab::replay {
namespace {

constexpr size_t kStackBytes = 256 << 10;
constexpr int kMaxRssPoints = 4096;

struct RssPoint {
  uint64_t ops;
  uint64_t bytes;
};

void WriteLine(const char* line, int n, size_t cap) {
  if (n <= 0) return;
  const ssize_t w = write(1, line, static_cast<size_t>(n) < cap ? static_cast<size_t>(n) : cap - 1);
  (void)w;
}

void Out(const char* fmt, unsigned long long a, unsigned long long b = 0, unsigned long long c = 0) {
  char line[160];
  WriteLine(line, snprintf(line, sizeof line, fmt, a, b, c), sizeof line);
}

// "key text" on a line of its own.
void OutText(const char* key, const char* text) {
  char line[256];
  WriteLine(line, snprintf(line, sizeof line, "%s %s\n", key, text), sizeof line);
}

[[noreturn]] void Die(int code, const char* what, const char* detail = "") {
  char line[512];
  const int n = snprintf(line, sizeof line, "replay_runner: %s%s\n", what, detail);
  const ssize_t w = write(2, line, n > 0 ? static_cast<size_t>(n) : 0);
  (void)w;
  _exit(code);
}

uint64_t NowNs(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000 + static_cast<uint64_t>(ts.tv_nsec);
}

uint64_t ProcessCpuNs() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (static_cast<uint64_t>(ru.ru_utime.tv_sec) + static_cast<uint64_t>(ru.ru_stime.tv_sec)) * 1000000000 +
         (static_cast<uint64_t>(ru.ru_utime.tv_usec) + static_cast<uint64_t>(ru.ru_stime.tv_usec)) * 1000;
}

struct Shared {
  ReplayConfig config;
  std::atomic<uint32_t> running{0};
  std::atomic<bool> go{false};
  bool verify = false;
};
Shared g;

struct ThreadArg {
  uint32_t index;
};

void* ThreadMain(void* p) {
  const uint32_t t = static_cast<ThreadArg*>(p)->index;
  while (!g.go.load(std::memory_order_acquire)) sched_yield();
  if (g.verify) {
    VerifyThread(g.config, t);
  } else {
    ReplayThread(g.config, t);
  }
  g.running.fetch_sub(1, std::memory_order_release);
  return nullptr;
}

int Main(int argc, char** argv) {
  if (argc < 2) Die(2, "usage: replay_runner PREPARED [--touch=none|first|all] [--sample-shift=K] "
                       "[--rss-interval-us=N] [--expect=glibc|PATH.so]");
  const char* path = argv[1];
  Touch touch = Touch::kFirst;
  int sample_shift = 6;
  long interval_us = 500;
  const char* expect = nullptr;
  bool verify = false;
  for (int i = 2; i < argc; ++i) {
    const char* a = argv[i];
    if (strcmp(a, "--touch=none") == 0) {
      touch = Touch::kNone;
    } else if (strcmp(a, "--touch=first") == 0) {
      touch = Touch::kFirst;
    } else if (strcmp(a, "--touch=all") == 0) {
      touch = Touch::kAll;
    } else if (strncmp(a, "--sample-shift=", 15) == 0) {
      sample_shift = atoi(a + 15);
      if (sample_shift < 0 || sample_shift > 31) Die(2, "--sample-shift must be in [0, 31]");
    } else if (strncmp(a, "--rss-interval-us=", 18) == 0) {
      interval_us = atol(a + 18);
      if (interval_us < 50) Die(2, "--rss-interval-us must be at least 50");
    } else if (strcmp(a, "--verify") == 0) {
      verify = true;
    } else if (strncmp(a, "--expect=", 9) == 0) {
      expect = a + 9;
    } else {
      Die(2, "unknown flag ", a);
    }
  }
  // A preload that failed (ld.so only warns) must not silently measure glibc.
  char error[512];
  if (!ResolveEntryPoints(expect != nullptr ? expect : "glibc", error, sizeof error)) Die(4, error);

  PreparedView view;
  if (!MapPrepared(path, &view, error, sizeof error)) Die(3, error);
  const PreparedHeader& h = *view.header;
  madvise(const_cast<uint8_t*>(view.base), view.size, MADV_SEQUENTIAL);

  ProcessMemory memory;
  if (!memory.Open()) Die(5, "cannot read /proc/self/statm");
  // The runner's own anonymous memory, all resident from here on.
  const uint64_t nthreads = h.threads;
  const size_t slots_bytes = (h.slots == 0 ? 1 : h.slots) * sizeof(void*);
  const size_t controls_bytes = (nthreads == 0 ? 1 : nthreads) * sizeof(ThreadControl);
  const size_t stacks_bytes = (nthreads == 0 ? 1 : nthreads) * kStackBytes;
  const size_t points_bytes = kMaxRssPoints * sizeof(RssPoint);
  void** slots = static_cast<void**>(MapResident(slots_bytes));
  auto* controls = static_cast<ThreadControl*>(MapResident(controls_bytes));
  char* stacks = static_cast<char*>(MapResident(stacks_bytes));
  auto* points = static_cast<RssPoint*>(MapResident(points_bytes));
  auto* threads = static_cast<pthread_t*>(MapResident(nthreads * sizeof(pthread_t) + 1));
  auto* args = static_cast<ThreadArg*>(MapResident(nthreads * sizeof(ThreadArg) + 1));
  uint64_t* sizes = verify ? static_cast<uint64_t*>(MapResident(slots_bytes)) : nullptr;
  if (verify && sizes == nullptr) Die(5, "out of memory for the replay's own state");
  if (!slots || !controls || !stacks || !points || !threads || !args) Die(5, "out of memory for the replay's own state");
  // All populated up front, so their resident size is a constant to subtract.
  const uint64_t own_bytes = (sizes ? ResidentBytes(sizes, slots_bytes) : 0) + ResidentBytes(slots, slots_bytes) +
                             ResidentBytes(controls, controls_bytes) +
                             ResidentBytes(stacks, stacks_bytes) + ResidentBytes(points, points_bytes);

  g.config = ReplayConfig{&view, controls, slots, touch, (1u << sample_shift) - 1, sizes};
  g.verify = verify;
  g.running.store(static_cast<uint32_t>(nthreads));
  for (uint32_t t = 0; t < nthreads; ++t) {
    args[t].index = t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstack(&attr, stacks + t * kStackBytes, kStackBytes);
    if (pthread_create(&threads[t], &attr, ThreadMain, &args[t]) != 0) Die(5, "cannot start a replay thread");
    pthread_attr_destroy(&attr);
  }
  const uint64_t base = memory.AnonResident() - own_bytes;

  // Sampling: RSS and progress every interval while the threads run.
  const uint64_t sampler_cpu0 = NowNs(CLOCK_THREAD_CPUTIME_ID);
  const uint64_t cpu0 = ProcessCpuNs();
  const uint64_t wall0 = NowNs(CLOCK_MONOTONIC);
  const uint64_t tsc0 = __rdtsc();
  g.go.store(true, std::memory_order_release);
  int npoints = 0;
  uint64_t peak = base;
  uint64_t stride = 1, tick = 0;
  const struct timespec pause = {0, interval_us * 1000};
  while (g.running.load(std::memory_order_acquire) != 0) {
    nanosleep(&pause, nullptr);
    uint64_t ops = 0;
    for (uint64_t t = 0; t < nthreads; ++t) ops += controls[t].done.load(std::memory_order_relaxed);
    const uint64_t rss = memory.AnonResident() - own_bytes;
    if (rss > peak) peak = rss;
    if (++tick % stride != 0) continue;
    if (npoints == kMaxRssPoints) {  // keep every other point, sample half as often
      for (int i = 0; i < kMaxRssPoints / 2; ++i) points[i] = points[2 * i];
      npoints = kMaxRssPoints / 2;
      stride *= 2;
    }
    points[npoints++] = RssPoint{ops, rss};
  }
  for (uint32_t t = 0; t < nthreads; ++t) pthread_join(threads[t], nullptr);
  const uint64_t tsc1 = __rdtsc();
  const uint64_t wall1 = NowNs(CLOCK_MONOTONIC);
  const uint64_t cpu1 = ProcessCpuNs();
  const uint64_t sampler_cpu = NowNs(CLOCK_THREAD_CPUTIME_ID) - sampler_cpu0;
  const uint64_t final_rss = memory.AnonResident() - own_bytes;
  if (final_rss > peak) peak = final_rss;

  Out("checksum %016llx\n", h.checksum);
  Out("threads %llu\n", nthreads);
  Out("ops %llu\n", h.ops);
  Out("calls %llu\n", h.calls);
  Out("wall_ns %llu\n", wall1 - wall0);
  Out("cpu_ns %llu\n", cpu1 - cpu0 > sampler_cpu ? cpu1 - cpu0 - sampler_cpu : 0);
  const uint64_t wall = wall1 > wall0 ? wall1 - wall0 : 1;
  Out("tsc_hz %llu\n", static_cast<unsigned long long>(static_cast<double>(tsc1 - tsc0) * 1e9 / wall));
  Out("rss_base_bytes %llu\n", base);
  Out("rss_peak_bytes %llu\n", peak);
  Out("rss_final_bytes %llu\n", final_rss);
  Out("rss_interval_us %llu\n", static_cast<unsigned long long>(interval_us));
  uint64_t slop_req = 0, slop_use = 0, slop_n = 0, failures = 0, slept = 0;
  for (uint64_t t = 0; t < nthreads; ++t) {
    slop_req += controls[t].slop_requested;
    slop_use += controls[t].slop_usable;
    slop_n += controls[t].slop_samples;
    failures += controls[t].alloc_failures;
    slept += controls[t].waits_slept;
  }
  Out("slop_requested %llu\n", slop_req);
  Out("slop_usable %llu\n", slop_use);
  Out("slop_samples %llu\n", slop_n);
  Out("alloc_failures %llu\n", failures);
  Out("waits_slept %llu\n", slept);
  for (int i = 0; i < Entry().substitution_count; ++i) OutText("substituted", Entry().substitutions[i]);
  for (int i = 0; i < npoints; ++i) Out("rss_point %llu %llu\n", points[i].ops, points[i].bytes);
  Out("rss_point %llu %llu\n", h.ops, final_rss);
  for (int k = 1; k <= kMaxOpKind; ++k) {
    for (int b = 0; b < kLatencyBuckets; ++b) {
      uint64_t n = 0;
      for (uint64_t t = 0; t < nthreads; ++t) n += controls[t].latency[k][b];
      if (n != 0) Out("latency %llu %llu %llu\n", static_cast<unsigned long long>(k), LatencyBucketFloor(b), n);
    }
  }
  uint64_t verify_errors = 0;
  for (uint64_t t = 0; t < nthreads; ++t) {
    if (controls[t].verify_errors != 0 && verify_errors == 0) OutText("verify_error", controls[t].first_error);
    verify_errors += controls[t].verify_errors;
  }
  Out("verified %llu\n", verify ? 1 : 0);
  Out("verify_errors %llu\n", verify_errors);
  Out("end %llu\n", 1);
  return 0;
}

}  // namespace
}  // namespace alloclab::replay

int main(int argc, char** argv) { return alloclab::replay::Main(argc, argv); }
