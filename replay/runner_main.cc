// replay_runner: the measured half of a replay. `replay` runs it as a child
// with the allocator under test preloaded (LD_PRELOAD), so every allocator
// sees exactly the prepared ops and nothing else: the runner's own memory
// (prepared streams, slots, stacks, counters) comes from mmap. It prints its
// measurements as "key value" lines on stdout for `replay` to read.
//
//   replay_runner PREPARED [--touch=none|first|all] [--sample-shift=K]
//                 [--rss-interval-us=N] [--expect=glibc|PATH.so] [--verify]
//                 [--pace-max-gap-ns=N] [--attribute]
//
// --verify checks every result (replay/replay_thread.h, VerifyThread) instead
// of timing; the report then carries verify_errors and the first of them.
// --attribute replays untimed, the threads taking turns (AttributeThread),
// and at the RSS peak charges the allocator's waste to the call sites whose
// blocks occupy its pages (replay/site_waste.h): site_waste lines.
// --pace-max-gap-ns paces the replay by the recorded times (Pacing).
// The report's checksum, ops and calls are what the workers issued, hashed
// and counted as they went (per traced thread on the `thread` lines), not
// the prepared file's; `replay` compares the two. A thread line is
//   thread INDEX ISSUED_OPS ISSUED_CALLS HASH FINISHED PUBLISHED_OPS
// (a thread unwound from inside a call has only its published progress).
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
#include <initializer_list>
#include <new>
#include <cstdio>

#include "base/clock.h"
#include "base/env_setting.h"
#include "base/fd_io.h"
#include "base/stderr_line.h"
#include "replay/latency_histogram.h"
#include "replay/op_stream.h"
#include "replay/prepared_file.h"
#include "replay/process_memory.h"
#include "replay/replay_plan.h"
#include "replay/replay_thread.h"
#include "replay/runner_report.h"
#include "replay/site_waste.h"

namespace alloclab::replay {
namespace {

constexpr size_t kStackBytes = 256 << 10;
constexpr int kMaxRssPoints = 4096;

struct RssPoint {
  uint64_t ops;
  uint64_t ns;  // since the replay began
  uint64_t bytes;
};

void WriteLine(const char* line, int n, size_t cap) {
  if (n <= 0) return;
  base::WriteFully(STDOUT_FILENO, line, static_cast<size_t>(n) < cap ? static_cast<size_t>(n) : cap - 1);
}

// "key n..." in decimal, on a line of its own.
void OutNumbers(const char* key, std::initializer_list<uint64_t> numbers) {
  char line[160];
  int n = snprintf(line, sizeof line, "%s", key);
  for (uint64_t v : numbers) n += snprintf(line + n, sizeof line - n, " %llu", static_cast<unsigned long long>(v));
  n += snprintf(line + n, sizeof line - n, "\n");
  WriteLine(line, n, sizeof line);
}

// "key hash" with the hash in 16 hex digits.
void OutHex(const char* key, uint64_t v) {
  char line[64];
  WriteLine(line, snprintf(line, sizeof line, "%s %016llx\n", key, static_cast<unsigned long long>(v)), sizeof line);
}

// "key text" on a line of its own.
void OutText(const char* key, const char* text) {
  char line[256];
  WriteLine(line, snprintf(line, sizeof line, "%s %s\n", key, text), sizeof line);
}

[[noreturn]] void Die(int code, const char* what, const char* detail = "") {
  base::WriteStderrLine({"replay_runner: ", what, detail});
  _exit(code);
}

using base::NowNs;

uint64_t ProcessCpuNs() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (static_cast<uint64_t>(ru.ru_utime.tv_sec) + static_cast<uint64_t>(ru.ru_stime.tv_sec)) * 1000000000 +
         (static_cast<uint64_t>(ru.ru_utime.tv_usec) + static_cast<uint64_t>(ru.ru_stime.tv_usec)) * 1000;
}

struct Shared {
  ReplayConfig config;
  const ReplayPlan* plan = nullptr;
  WorkerStats* stats = nullptr;
  std::atomic<uint32_t> running{0};
  std::atomic<bool> go{false};
  std::atomic<bool> abandoned{false};
  bool verify = false;
  TakingTurns* turns = nullptr;  // --attribute
};
Shared g;

// Runs traced thread t as the run's mode asks.
bool RunThread(uint32_t t, WorkerStats* stats) {
  if (g.turns != nullptr) return AttributeThread(g.config, t, stats, g.turns);
  return g.verify ? VerifyThread(g.config, t, stats) : ReplayThread(g.config, t, stats);
}

// --attribute: the snapshot at the RSS peak. Its checkpoint runs while one
// thread holds the turn (or after all have ended), so the slots hold still.
struct Attribution {
  const ProcessMemory* memory;
  uint64_t own_bytes;  // the runner's resident memory but the workers' stacks
  const char* stacks;
  size_t stacks_bytes;
  void** slots;
  const uint64_t* sizes;
  const uint32_t* sites;
  uint64_t slot_count;
  LiveBlock* blocks;  // [slot_count]
  SiteWaste* site_waste;  // [nsites]: the snapshot kept
  SiteWaste* scratch;     // [nsites]: the moment being evaluated
  uint32_t nsites;
  PageResidency* residency;
  TakingTurns* turns;
  PeakSnapshotPolicy policy;
  // The snapshot kept.
  uint64_t snapshots = 0;
  uint64_t rss = 0;
  uint64_t live = 0;
  uint64_t calls = 0;
  uint64_t peak_rss = 0;  // the highest sampled
  PageTotals totals = {};
};

uint64_t CountResidentPages(void* residency, uint64_t page_address, uint64_t pages) {
  return static_cast<PageResidency*>(residency)->Count(page_address, pages);
}

// A moment of the replay: the snapshot kept if it is the peak's best.
// (final: the end of the replay, evaluated whatever the sample says.)
void Evaluate(Attribution& a, bool final) {
  const uint64_t anon = a.memory->AnonResident();
  const uint64_t own = a.own_bytes + ResidentBytes(a.stacks, a.stacks_bytes);
  const uint64_t rss = anon > own ? anon - own : 0;
  if (rss > a.peak_rss) a.peak_rss = rss;
  const uint64_t live = a.turns->live_bytes;
  if (!a.policy.Want(rss, live) && !final) return;
  size_t n = 0;
  for (uint64_t s = 0; s < a.slot_count; ++s) {
    if (a.slots[s] != nullptr && a.sizes[s] != 0) {
      a.blocks[n++] = LiveBlock{reinterpret_cast<uint64_t>(a.slots[s]), a.sizes[s], a.sites[s]};
    }
  }
  memset(static_cast<void*>(a.scratch), 0, a.nsites * sizeof(SiteWaste));
  a.residency->Reset();  // a window read at an earlier moment is stale
  const PageTotals totals = AttributeWasteByPage(a.blocks, n, static_cast<uint64_t>(sysconf(_SC_PAGESIZE)),
                                                 CountResidentPages, a.residency, a.scratch, a.nsites);
  ++a.snapshots;
  if (!a.policy.Keep(rss, live, totals.block_page_bytes - totals.live_resident_bytes)) return;
  SiteWaste* kept = a.scratch;
  a.scratch = a.site_waste;
  a.site_waste = kept;
  a.totals = totals;
  a.rss = rss;
  a.live = live;
  a.calls = a.turns->calls;
}

void Checkpoint(void* context) { Evaluate(*static_cast<Attribution*>(context), false); }

// Counts a worker out however it ends. An allocator can unwind a replay
// thread from inside a call (pthread_exit, a longjmp-like forced unwind):
// then the worker never reaches the end of its ops, the replay is marked
// abandoned (waits on its threads give up) and the issued figures show it.
struct WorkerExit {
  bool finished = false;
  ~WorkerExit() {
    if (!finished) g.abandoned.store(true, std::memory_order_relaxed);
    g.running.fetch_sub(1, std::memory_order_release);
  }
};

void* WorkerMain(void* p) {
  const uint32_t w = static_cast<uint32_t>(reinterpret_cast<uintptr_t>(p));
  WorkerExit exit;
  while (!g.go.load(std::memory_order_acquire)) sched_yield();
  bool ok = true;
  for (uint32_t t = g.plan->first_thread[w]; ok && t != kNoThread; t = g.plan->next_thread[t]) {
    ok = RunThread(t, &g.stats[w]);
  }
  exit.finished = ok;
  return nullptr;
}

// A whole decimal number in [min, max]; false if a is anything else.
bool ParseNumber(const char* a, uint64_t min, uint64_t max, uint64_t* out) {
  return base::ParseWholeNumber(a, out) && *out >= min && *out <= max;
}

int Main(int argc, char** argv) {
  if (argc < 2) Die(2, "usage: replay_runner PREPARED [--touch=none|first|all] [--sample-shift=K] "
                       "[--rss-interval-us=N] [--expect=glibc|PATH.so] [--verify] [--pace-max-gap-ns=N] "
                       "[--attribute]");
  const char* path = argv[1];
  Touch touch = Touch::kFirst;
  uint64_t sample_shift = 6;
  uint64_t interval_us = 500;
  const char* expect = nullptr;
  bool verify = false;
  bool attribute = false;
  bool paced = false;
  uint64_t max_gap_ns = 0;
  for (int i = 2; i < argc; ++i) {
    const char* a = argv[i];
    if (strcmp(a, "--touch=none") == 0) {
      touch = Touch::kNone;
    } else if (strcmp(a, "--touch=first") == 0) {
      touch = Touch::kFirst;
    } else if (strcmp(a, "--touch=all") == 0) {
      touch = Touch::kAll;
    } else if (strncmp(a, "--sample-shift=", 15) == 0) {
      if (!ParseNumber(a + 15, 0, 31, &sample_shift)) Die(2, "--sample-shift must be in [0, 31]: ", a);
    } else if (strncmp(a, "--rss-interval-us=", 18) == 0) {
      if (!ParseNumber(a + 18, 50, 10000000, &interval_us)) Die(2, "--rss-interval-us must be in [50, 10^7]: ", a);
    } else if (strncmp(a, "--pace-max-gap-ns=", 18) == 0) {
      if (!ParseNumber(a + 18, kMinIdleGapNs, uint64_t{3600} * 1000000000, &max_gap_ns)) {
        Die(2, "--pace-max-gap-ns must be between 1 ms and an hour: ", a);
      }
      paced = true;
    } else if (strcmp(a, "--verify") == 0) {
      verify = true;
    } else if (strcmp(a, "--attribute") == 0) {
      attribute = true;
    } else if (strncmp(a, "--expect=", 9) == 0) {
      expect = a + 9;
    } else {
      Die(2, "unknown flag ", a);
    }
  }
  if (paced && verify) Die(2, "--verify replays as fast as it can; it cannot be paced");
  if (attribute && (paced || verify)) Die(2, "--attribute is a run of its own: not with --verify or pacing");
  // A preload that failed (ld.so only warns) must not silently measure glibc.
  char error[512];
  if (!ResolveEntryPoints(expect != nullptr ? expect : "glibc", error, sizeof error)) Die(4, error);

  PreparedView view;
  if (!MapPrepared(path, &view, error, sizeof error)) Die(3, error);
  const PreparedHeader& h = *view.header;
  if (paced && h.clock_known == 0) Die(3, "the trace recorded no clock rate: it cannot be replayed paced");
  madvise(const_cast<uint8_t*>(view.base), view.size, MADV_SEQUENTIAL);
  ReplayPlan plan;
  if (!MakeReplayPlan(view, &plan, error, sizeof error)) Die(3, error);

  ProcessMemory memory;
  if (!memory.Open()) Die(5, "cannot read /proc/self/statm");
  // The runner's own anonymous memory, resident from here on, but for the
  // workers' stacks, which fault in as they are used and are measured.
  const uint64_t nthreads = h.threads;
  const uint32_t nworkers = plan.workers;
  const size_t stats_bytes = (nworkers + 1) * sizeof(WorkerStats);
  const size_t stacks_bytes = (nworkers + 1) * kStackBytes;
  const size_t points_bytes = kMaxRssPoints * sizeof(RssPoint);
  const size_t gaps_bytes = (h.idle_gaps + 1) * sizeof(uint64_t);
  void** slots = static_cast<void**>(MapResident(plan.slots_bytes));
  auto* progress = static_cast<ThreadProgress*>(MapResident(plan.progress_bytes));
  auto* stats = static_cast<WorkerStats*>(MapResident(stats_bytes));
  char* stacks = static_cast<char*>(MapLazily(stacks_bytes));
  auto* points = static_cast<RssPoint*>(MapResident(points_bytes));
  auto* workers = static_cast<pthread_t*>(MapResident((nworkers + 1) * sizeof(pthread_t)));
  auto* cut_before = paced ? static_cast<uint64_t*>(MapResident(gaps_bytes)) : nullptr;
  uint64_t* sizes = verify || attribute ? static_cast<uint64_t*>(MapResident(plan.slots_bytes)) : nullptr;
  // --attribute: each slot's site, the snapshot's blocks, the sites' waste.
  const uint64_t nsites = h.sites == 0 ? 1 : h.sites;
  const size_t sites_bytes = h.slots * sizeof(uint32_t);
  const size_t blocks_bytes = h.slots * sizeof(LiveBlock);
  const size_t waste_bytes = 2 * nsites * sizeof(SiteWaste);  // kept and scratch
  auto* slot_sites = attribute ? static_cast<uint32_t*>(MapResident(sites_bytes)) : nullptr;
  auto* live_blocks = attribute ? static_cast<LiveBlock*>(MapResident(blocks_bytes)) : nullptr;
  auto* site_waste = attribute ? static_cast<SiteWaste*>(MapResident(waste_bytes)) : nullptr;
  void* residency_memory = attribute ? MapResident(sizeof(PageResidency)) : nullptr;
  if (((verify || attribute) && sizes == nullptr) || (paced && cut_before == nullptr) || !slots || !progress ||
      !stats || !stacks || !points || !workers ||
      (attribute && (slot_sites == nullptr || live_blocks == nullptr || site_waste == nullptr ||
                     residency_memory == nullptr))) {
    Die(5, "out of memory for the replay's own state");
  }
  for (uint64_t t = 0; t < nthreads; ++t) {
    progress[t].issued_hash = kHashBasis;  // nothing issued yet
    progress[t].finished = view.threads[t].ops == 0;  // a thread without ops is never scheduled
  }
  Pacing pacing = {};
  if (paced) {
    CutGaps(view.idle_gaps, h.idle_gaps, max_gap_ns, cut_before);
    pacing = Pacing{0, max_gap_ns, view.idle_gaps, cut_before, h.idle_gaps};
  }
  const uint64_t own_bytes = (sizes ? ResidentBytes(sizes, plan.slots_bytes) : 0) +
                             ResidentBytes(slots, plan.slots_bytes) + ResidentBytes(progress, plan.progress_bytes) +
                             ResidentBytes(stats, stats_bytes) + ResidentBytes(points, points_bytes) +
                             ResidentBytes(plan.mapping, plan.mapping_bytes) +
                             (cut_before ? ResidentBytes(cut_before, gaps_bytes) : 0) +
                             (attribute ? ResidentBytes(slot_sites, sites_bytes) + ResidentBytes(live_blocks, blocks_bytes) +
                                              ResidentBytes(site_waste, waste_bytes) +
                                              ResidentBytes(residency_memory, sizeof(PageResidency))
                                        : 0);
  auto stack_bytes = [&] { return ResidentBytes(stacks, stacks_bytes); };

  g.config = ReplayConfig{&view, progress, slots, touch, static_cast<uint32_t>((1ull << sample_shift) - 1),
                          sizes, paced ? &pacing : nullptr, &g.abandoned};
  g.plan = &plan;
  g.stats = stats;
  g.verify = verify;
  static TakingTurns turns;
  static Attribution attribution;
  if (attribute) {
    turns.sites = slot_sites;
    turns.checkpoint = Checkpoint;
    turns.context = &attribution;
    attribution.memory = &memory;
    attribution.own_bytes = own_bytes;
    attribution.stacks = stacks;
    attribution.stacks_bytes = stacks_bytes;
    attribution.slots = slots;
    attribution.sizes = sizes;
    attribution.sites = slot_sites;
    attribution.slot_count = h.slots;
    attribution.blocks = live_blocks;
    attribution.site_waste = site_waste;
    attribution.scratch = site_waste + nsites;
    attribution.nsites = static_cast<uint32_t>(nsites);
    attribution.residency = new (residency_memory) PageResidency;  // placement: no allocation
    attribution.turns = &turns;
    g.turns = &turns;
  }
  g.running.store(nworkers);
  for (uint32_t w = 0; w < nworkers; ++w) {
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstack(&attr, stacks + w * kStackBytes, kStackBytes);
    if (pthread_create(&workers[w], &attr, WorkerMain, reinterpret_cast<void*>(uintptr_t{w})) != 0) {
      Die(5, "cannot start a replay thread");
    }
    pthread_attr_destroy(&attr);
  }
  // A window of the trace: the heap live at its start is rebuilt here, by
  // the thread preparation made for it, before the clock starts (the
  // window's ops on those blocks wait for it; the plan left it out).
  if (h.prologue_thread != 0) {
    static WorkerStats rebuild;  // its calls are not the window's: not reported
    const uint32_t p = static_cast<uint32_t>(h.prologue_thread - 1);
    if (!RunThread(p, &rebuild)) {
      Die(5, "rebuilding the heap at the window's start failed");
    }
  }
  const uint64_t base = memory.AnonResident() - own_bytes - stack_bytes();

  // Sampling: RSS and progress every interval while the workers run.
  const uint64_t sampler_cpu0 = NowNs(CLOCK_THREAD_CPUTIME_ID);
  const uint64_t cpu0 = ProcessCpuNs();
  const uint64_t wall0 = NowNs(CLOCK_MONOTONIC);
  const uint64_t tsc0 = __rdtsc();
  pacing.start_ns = wall0;
  g.go.store(true, std::memory_order_release);
  int npoints = 0;
  uint64_t peak = base;
  uint64_t stride = 1, tick = 0;
  uint64_t stacks_resident = stack_bytes();
  const struct timespec pause = {static_cast<time_t>(interval_us / 1000000),
                                 static_cast<long>(interval_us % 1000000) * 1000};
  while (g.running.load(std::memory_order_acquire) != 0) {
    nanosleep(&pause, nullptr);
    uint64_t ops = 0;
    for (uint32_t w = 0; w < nworkers; ++w) ops += stats[w].ops_done.load(std::memory_order_relaxed);
    // mincore over every stack is cheap for the usual few workers.
    if (nworkers <= 64 || tick % 64 == 0) stacks_resident = stack_bytes();
    const uint64_t anon = memory.AnonResident();
    const uint64_t rss = anon > own_bytes + stacks_resident ? anon - own_bytes - stacks_resident : 0;
    if (rss > peak) peak = rss;
    if (++tick % stride != 0) continue;
    if (npoints == kMaxRssPoints) {  // keep every other point, sample half as often
      for (int i = 0; i < kMaxRssPoints / 2; ++i) points[i] = points[2 * i];
      npoints = kMaxRssPoints / 2;
      stride *= 2;
    }
    points[npoints++] = RssPoint{ops, NowNs(CLOCK_MONOTONIC) - wall0, rss};
  }
  for (uint32_t w = 0; w < nworkers; ++w) pthread_join(workers[w], nullptr);
  if (attribute) Evaluate(attribution, true);  // the heap at the end
  const uint64_t tsc1 = __rdtsc();
  const uint64_t wall1 = NowNs(CLOCK_MONOTONIC);
  const uint64_t cpu1 = ProcessCpuNs();
  const uint64_t sampler_cpu = NowNs(CLOCK_THREAD_CPUTIME_ID) - sampler_cpu0;
  const uint64_t anon = memory.AnonResident();
  const uint64_t own_final = own_bytes + stack_bytes();
  const uint64_t final_rss = anon > own_final ? anon - own_final : 0;
  if (final_rss > peak) peak = final_rss;
  const uint64_t wall = wall1 > wall0 ? wall1 - wall0 : 1;
  const uint64_t tsc_hz = static_cast<uint64_t>(static_cast<double>(tsc1 - tsc0) * 1e9 / static_cast<double>(wall));

  // What was issued, as the workers counted and hashed it.
  uint64_t issued_checksum = kHashBasis, issued_ops = 0, issued_calls = 0;
  for (uint64_t t = 0; t < nthreads; ++t) {
    issued_checksum = CombineChecksum(issued_checksum, progress[t].issued_hash);
    issued_ops += progress[t].issued_ops;
    issued_calls += progress[t].issued_calls;
  }
  namespace key = runner_report;
  RunnerScalars r;
  r.ops = issued_ops;
  r.calls = issued_calls;
  r.threads = nthreads;
  r.workers = nworkers;
  OutHex(key::kChecksum, issued_checksum);
  OutHex(key::kPreparedChecksum, h.checksum);
  for (uint64_t t = 0; t < nthreads; ++t) {
    char line[160];
    WriteLine(line,
              snprintf(line, sizeof line, "%s %llu %llu %llu %016llx %llu %llu\n", key::kThread,
                       static_cast<unsigned long long>(t), static_cast<unsigned long long>(progress[t].issued_ops),
                       static_cast<unsigned long long>(progress[t].issued_calls),
                       static_cast<unsigned long long>(progress[t].issued_hash),
                       static_cast<unsigned long long>(progress[t].finished),
                       static_cast<unsigned long long>(progress[t].done.load(std::memory_order_relaxed))),
              sizeof line);
  }
  r.wall_ns = wall;
  r.cpu_ns = cpu1 - cpu0 > sampler_cpu ? cpu1 - cpu0 - sampler_cpu : 0;
  r.tsc_hz = tsc_hz;
  uint64_t call_cycles = 0;
  for (uint32_t w = 0; w < nworkers; ++w) {
    r.slop_requested += stats[w].slop_requested;
    r.slop_usable += stats[w].slop_usable;
    r.slop_samples += stats[w].slop_samples;
    r.alloc_failures += stats[w].alloc_failures;
    r.waits_slept += stats[w].waits_slept;
    call_cycles += stats[w].call_cycles;
    r.paced_sleep_ns += stats[w].paced_sleep_ns;
  }
  r.paced = paced ? 1 : 0;
  if (paced) {
    r.max_gap_ns = max_gap_ns;
    r.call_ns = tsc_hz == 0 ? 0 : static_cast<uint64_t>(static_cast<double>(call_cycles) * 1e9 / tsc_hz);
  } else {
    r.paced_sleep_ns = 0;
  }
  r.rss_base_bytes = base;
  r.rss_peak_bytes = peak;
  r.rss_final_bytes = final_rss;
  r.rss_interval_us = interval_us;
  for (int i = 0; i < Entry().substitution_count; ++i) OutText(key::kSubstituted, Entry().substitutions[i]);
  for (int i = 0; i < npoints; ++i) OutNumbers(key::kRssPoint, {points[i].ops, points[i].ns, points[i].bytes});
  OutNumbers(key::kRssPoint, {issued_ops, wall, final_rss});
  for (int k = 1; k <= kMaxOpKind; ++k) {
    for (int b = 0; b < kLatencyBuckets; ++b) {
      uint64_t n = 0;
      for (uint32_t w = 0; w < nworkers; ++w) n += stats[w].latency[k][b];
      if (n != 0) OutNumbers(key::kLatency, {static_cast<uint64_t>(k), LatencyBucketFloor(b), n});
    }
  }
  for (uint32_t w = 0; w < nworkers; ++w) {
    if (stats[w].verify_errors != 0 && r.verify_errors == 0) OutText(key::kVerifyError, stats[w].first_error);
    r.verify_errors += stats[w].verify_errors;
  }
  r.verified = verify ? 1 : 0;
  if (attribute) {
    r.attributed = 1;
    r.attribution_snapshots = attribution.snapshots;
    r.attribution_calls = attribution.calls;
    r.attribution_peak_rss_bytes = attribution.peak_rss;
    r.attribution_rss_bytes = attribution.rss;
    r.attribution_live_bytes = attribution.live;
    r.attribution_block_page_bytes = attribution.totals.block_page_bytes;
    r.attribution_live_resident_bytes = attribution.totals.live_resident_bytes;
    r.attribution_live_unresident_bytes = attribution.totals.live_unresident_bytes;
    for (uint32_t s = 0; s < nsites; ++s) {
      const SiteWaste& w = attribution.site_waste[s];
      if (w.live_bytes != 0 || w.waste_bytes != 0) {
        OutNumbers(key::kSiteWaste, {s, w.live_bytes, static_cast<uint64_t>(w.waste_bytes + 0.5)});
      }
    }
  }
#define ALLOCLAB_OUT_SCALAR(name) OutNumbers(#name, {r.name});
  ALLOCLAB_RUNNER_SCALARS(ALLOCLAB_OUT_SCALAR)
#undef ALLOCLAB_OUT_SCALAR
  OutNumbers(key::kEnd, {1});
  return 0;
}

}  // namespace
}  // namespace alloclab::replay

int main(int argc, char** argv) { return alloclab::replay::Main(argc, argv); }
