// The replay report: a table of the measurements (and ratios to a baseline
// allocator) as text, JSON for scripts, and a self-contained HTML page with
// SVG plots (RSS and live bytes over the replay, latency distributions, the
// size histogram) that needs no network.
#ifndef ALLOCLAB_REPLAY_REPORT_H_
#define ALLOCLAB_REPLAY_REPORT_H_

#include <string>
#include <vector>

#include "replay/op_stream.h"
#include "replay/run_result.h"

namespace alloclab::replay {

struct AllocatorRuns {
  std::string name;
  std::vector<RunResult> runs;
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
  std::vector<TimelinePoint> timeline;
  std::vector<AllocatorRuns> allocators;
};

// Whether every run issued the prepared ops (their checksums all match).
bool ChecksumsAgree(const Report& r);

std::string FormatText(const Report& r);
std::string FormatJson(const Report& r);
std::string FormatHtml(const Report& r);

}  // namespace alloclab::replay

#endif  // ALLOCLAB_REPLAY_REPORT_H_
