// One replay run's measurements, as the runner reports them, and how `replay`
// obtains them: a child process with the allocator preloaded.
#ifndef ALLOCLAB_REPLAY_RUN_RESULT_H_
#define ALLOCLAB_REPLAY_RUN_RESULT_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "replay/allocators.h"
#include "replay/runner_report.h"

namespace alloclab::replay {

// What a replay issued for one traced thread, as its worker counted and
// hashed it.
struct IssuedThread {
  uint64_t ops = 0;
  uint64_t calls = 0;
  uint64_t hash = 0;
  bool finished = false;  // the worker reached the end of its ops
  uint64_t published = 0;  // ops it had published as done (all a thread unwound mid-call leaves)
};

// The runner's scalars (runner_report.h: ops, calls, threads, wall_ns,
// rss_peak_bytes, ...) and the rest of its report.
struct RunResult : RunnerScalars {
  std::string allocator;
  // Measured: the hash of the ops the runner issued (CombineChecksum over the
  // threads' HashOp folds), not the prepared file's.
  uint64_t checksum = 0;
  std::vector<IssuedThread> issued;  // by traced thread
  uint64_t prepared_checksum = 0;    // the file the runner mapped
  std::string first_verify_error;
  std::vector<std::string> substitutions;  // calls the allocator lacks, made another way
  struct RssPoint {
    uint64_t ops;    // done by then
    uint64_t ns;     // since the replay began
    uint64_t bytes;
  };
  std::vector<RssPoint> rss_points;
  // By op kind: (bucket floor in cycles, count), ascending.
  std::map<int, std::vector<std::pair<uint64_t, uint64_t>>> latency;
  // --attribute: the snapshot's live and waste bytes by call site (the
  // prepared file's site index), sites with neither left out.
  struct SiteWasteRow {
    uint32_t site;
    uint64_t live_bytes;
    uint64_t waste_bytes;
  };
  std::vector<SiteWasteRow> site_waste;

  // The time the report's timing figures stand for: the whole replay, or in a
  // paced one only the calls (the rest is waiting for recorded gaps).
  uint64_t TimedNs() const { return paced ? call_ns : wall_ns; }
  // Counted calls per timed second.
  double CallsPerSecond() const { return TimedNs() == 0 ? 0 : calls * 1e9 / TimedNs(); }
  // The q-quantile (0..1) of a kind's sampled latency, in nanoseconds; -1 if
  // nothing of that kind was sampled.
  double LatencyNs(int kind, double q) const;
  uint64_t LatencySamples(int kind) const;
  // Mean (usable - requested) over sampled allocations, as a share of requested.
  double SlopFraction() const {
    return slop_requested == 0 ? 0 : static_cast<double>(slop_usable - slop_requested) / slop_requested;
  }
};

// Parses the runner's "key value" output. Truncated or foreign output is an error.
absl::StatusOr<RunResult> ParseRunnerOutput(const std::string& text);

struct RunOptions {
  std::string runner;           // path of replay_runner
  std::string touch = "first";  // none | first | all
  int sample_shift = 6;
  int rss_interval_us = 500;
  bool verify = false;
  bool attribute = false;        // the attribution run (replay/site_waste.h)
  uint64_t pace_max_gap_ns = 0;  // 0: not paced
};

// Runs the runner on a prepared file under allocator a.
absl::StatusOr<RunResult> RunReplay(const RunOptions& options, const std::string& prepared,
                                    const Allocator& a);

}  // namespace alloclab::replay

#endif  // ALLOCLAB_REPLAY_RUN_RESULT_H_
