// The replay report: a table of the measurements (and ratios to a baseline
// allocator) as text, JSON for scripts, and a self-contained HTML page with
// SVG plots (RSS and live bytes over the replay, latency distributions, the
// size histogram) that needs no network.
#ifndef ALLOCLAB_REPLAY_REPORT_H_
#define ALLOCLAB_REPLAY_REPORT_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "replay/op_stream.h"
#include "replay/run_result.h"

namespace alloclab::replay {

struct AllocatorRuns {
  std::string name;
  std::vector<RunResult> runs;
  // The attribution run, one or none: waste by call site (site_waste.h).
  std::vector<RunResult> attribution;
  // The median of a metric over the runs.
  double Median(double (*metric)(const RunResult&)) const;
  // The run with the median wall time (its curves represent the allocator).
  const RunResult& Representative() const;
};

struct Report {
  std::string trace;    // what was replayed (trace or prepared file)
  std::string touch;
  int sample_every = 64;  // one op in this many is timed
  std::string baseline;  // ratios are to this allocator ("" = none)
  PreparedHeader prepared;
  std::vector<ThreadEntry> threads;  // the prepared file's: each thread's ops, calls, checksum
  std::vector<TimelinePoint> timeline;
  std::vector<IdleGap> idle_gaps;
  uint64_t pace_max_gap_ns = 0;       // paced replay: idle gaps shortened to this; 0 = not paced
  std::vector<std::string> notes;     // e.g. an allocator name an environment variable redirects
  std::vector<AllocatorRuns> allocators;
  // A trace with stacks: the allocation profile by call site (flame graphs,
  // analysis/profile_html.h), put in the HTML report as it is.
  std::string call_sites_html;
  // The prepared file's call sites, by site index: what each is called in
  // the waste-by-site table (its innermost frames; "stack N" without the
  // trace's symbols).
  std::vector<std::string> site_names;
  std::vector<uint64_t> site_stacks;  // by site index: the trace's stack id
};

// Whether one run issued exactly the prepared ops: per traced thread, the
// ops and calls the runner counted and the hash it folded as it went equal
// the prepared file's, and every allocation succeeded (the traced program's
// did: preparation skips failed ones). Otherwise an error naming the first
// difference.
absl::Status CheckIssued(const Report& r, const RunResult& run);

// Whether every run issued the prepared ops (their measured checksums all
// match the prepared one).
bool ChecksumsAgree(const Report& r);

std::string FormatText(const Report& r);
std::string FormatJson(const Report& r);
std::string FormatHtml(const Report& r);

}  // namespace alloclab::replay

#endif  // ALLOCLAB_REPLAY_REPORT_H_
