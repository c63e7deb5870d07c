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

namespace alloclab::replay {

struct RunResult {
  std::string allocator;
  uint64_t checksum = 0;
  uint64_t threads = 0;
  uint64_t ops = 0;
  uint64_t calls = 0;
  uint64_t wall_ns = 0;
  uint64_t cpu_ns = 0;
  uint64_t tsc_hz = 0;
  uint64_t rss_base_bytes = 0;
  uint64_t rss_peak_bytes = 0;
  uint64_t rss_final_bytes = 0;
  uint64_t rss_interval_us = 0;
  uint64_t slop_requested = 0;
  uint64_t slop_usable = 0;
  uint64_t slop_samples = 0;
  uint64_t alloc_failures = 0;
  uint64_t waits_slept = 0;
  uint64_t verified = 0;       // 1 when run with --verify
  uint64_t verify_errors = 0;
  std::string first_verify_error;
  std::vector<std::string> substitutions;  // calls the allocator lacks, made another way
  std::vector<std::pair<uint64_t, uint64_t>> rss_points;  // (ops done, bytes)
  // By op kind: (bucket floor in cycles, count), ascending.
  std::map<int, std::vector<std::pair<uint64_t, uint64_t>>> latency;

  double CallsPerSecond() const { return wall_ns == 0 ? 0 : calls * 1e9 / wall_ns; }
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
};

// Runs the runner on a prepared file under allocator a.
absl::StatusOr<RunResult> RunReplay(const RunOptions& options, const std::string& prepared,
                                    const Allocator& a);

}  // namespace alloclab::replay

#endif  // ALLOCLAB_REPLAY_RUN_RESULT_H_
