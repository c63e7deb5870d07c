// Reports by call site: which recorded stacks (MALLOC_TRACE_STACKS) leak,
// hold the peak, make short-lived temporaries, and allocate the most. All of
// them read the trace through the one heap history (trace/heap_history.h) in
// global seq order, streaming: memory is the live set plus one line per
// distinct stack, never the events.
//   leaks       blocks live at the end, by the stack that allocated them
//   peak        what was live when the live bytes first reached their peak
//               (a second pass stops there)
//   temporary   blocks freed by the thread that allocated them within
//               `window` of its own events (heaptrack's and memray's
//               temporary allocations)
//   top         allocations and bytes by stack, and by function: inclusive
//               (every function on the stack) and exclusive (the innermost)
// A block's stack is the one of the call that gave it its current size (a
// realloc's, after one). Events without a stack count under stack 0.
#ifndef ALLOCLAB_ANALYSIS_CALL_SITES_H_
#define ALLOCLAB_ANALYSIS_CALL_SITES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "analysis/symbolizer.h"
#include "proto/trace.pb.h"

namespace alloclab::analysis {

enum class CallSiteReportKind { kLeaks, kPeak, kTemporary, kTop };

struct CallSiteOptions {
  CallSiteReportKind kind = CallSiteReportKind::kLeaks;
  uint64_t window = 16;   // temporary: events of the allocating thread
  size_t limit = 20;      // rows printed (0: all)
  std::string temp_dir;   // for the ordered reader's spill file
};

struct SiteTotals {
  uint64_t blocks = 0;  // or calls (top)
  uint64_t bytes = 0;
  uint64_t sample_size = 0;  // one block's requested size, as an example
  void Add(uint64_t size) {
    ++blocks;
    bytes += size;
    if (sample_size == 0) sample_size = size;
  }
};

struct SiteRow {
  uint64_t stack_id = 0;
  SiteTotals totals;
};

struct CallSiteReport {
  CallSiteReportKind kind = CallSiteReportKind::kLeaks;
  uint64_t events = 0;
  uint64_t peak_seq = 0;    // peak: the event that reached it
  uint64_t window = 0;      // temporary
  SiteTotals total;         // over every site
  std::vector<SiteRow> sites;  // by bytes, largest first
  // top: live bytes over the trace, (seq, live bytes) after evenly spread
  // events, at most kMaxTimelinePoints of them; and the peak.
  static constexpr size_t kMaxTimelinePoints = 2048;
  std::vector<std::pair<uint64_t, uint64_t>> timeline;
  uint64_t peak_live_bytes = 0;
  absl::flat_hash_map<uint64_t, std::vector<uint64_t>> stacks;  // id -> frames, innermost first
  std::vector<MappedFile> mappings;
};

// Keeps what a trace's record tells about its stacks (a stack's frames,
// innermost first, by id) or its memory maps (a later record supersedes an
// earlier one); other records are left alone. For a reader's
// on_other_record (trace::OrderedReader::Options).
void NoteStacksAndMaps(const trace::Record& r, absl::flat_hash_map<uint64_t, std::vector<uint64_t>>* stacks,
                       std::vector<MappedFile>* mappings);

// Reads the trace at path and makes the report.
absl::StatusOr<CallSiteReport> AnalyzeCallSites(const std::string& path, const CallSiteOptions& options);

// top, peak and leaks of one trace, as AnalyzeCallSites makes each, in two
// passes over the trace instead of four (leaks come from top's history at
// its end, the peak's seq from its peak).
struct ProfileReports {
  CallSiteReport top;
  CallSiteReport peak;
  CallSiteReport leaks;
};
absl::StatusOr<ProfileReports> AnalyzeProfile(const std::string& path, const std::string& temp_dir = "");

// top's second table: allocations by function, inclusive (each function on a
// stack counts the stack's allocations once) and exclusive (the innermost
// frame's function), by inclusive bytes, largest first.
struct FunctionRow {
  std::string function;
  SiteTotals inclusive;
  SiteTotals exclusive;
};
std::vector<FunctionRow> ByFunction(const CallSiteReport& report, Symbolizer& symbolizer);

// The report as text (a table, `limit` rows) or JSON (every row), frames
// symbolised through symbolizer.
std::string CallSiteReportText(const CallSiteReport& report, Symbolizer& symbolizer, size_t limit);
std::string CallSiteReportJson(const CallSiteReport& report, Symbolizer& symbolizer);

}  // namespace alloclab::analysis

#endif  // ALLOCLAB_ANALYSIS_CALL_SITES_H_
