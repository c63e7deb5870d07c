// mtrace import: converts glibc's mtrace log (the file MALLOC_TRACE names
// once the program calls mtrace(); glibc malloc/mtrace-impl.c) into a trace.
//
// The log, one call per line, each optionally prefixed by its caller
// ("@ FILE:(SYMBOL+OFF)[0xADDR] " or "@ [0xADDR] "); pointers print as %p
// ("0x..." or "(nil)"), sizes as %#lx ("0" or "0x..."):
//   = Start / = End              markers (ignored)
//   + PTR SIZE                   malloc, calloc (SIZE = count x size), memalign,
//                                realloc(NULL, SIZE); PTR (nil): it failed
//   - PTR                        free, or realloc(PTR, 0) that freed
//   < OLD  then  > NEW SIZE      realloc that succeeded (two lines, always adjacent)
//   ! OLD SIZE                   realloc that failed (OLD is kept)
// become MALLOC, FREE, REALLOC (out = NEW) and REALLOC (out = 0) events of
// one thread (kThreadId), seq 1, 2, 3, ..., time = the line number of the
// event's first line. mtrace loses which call it was (calloc, memalign, ...),
// alignments, threads and times; empty lines are skipped.
//
// Streaming: the log is read in fixed-size pieces, one line at a time (at
// most kMaxLineBytes), and events go straight to a TraceWriter: memory is
// bounded whatever the log's length.
#ifndef ALLOCLAB_ANALYSIS_MTRACE_IMPORT_H_
#define ALLOCLAB_ANALYSIS_MTRACE_IMPORT_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "trace/event.h"
#include "trace/io.h"

namespace alloclab::analysis {

inline constexpr uint64_t kMtraceThreadId = 1;
inline constexpr size_t kMaxMtraceLineBytes = 64 << 10;

struct MtraceCounts {
  uint64_t lines = 0;
  uint64_t events = 0;
  uint64_t mallocs = 0;          // "+" lines, failed ones included
  uint64_t frees = 0;            // "-" lines
  uint64_t reallocs = 0;         // "<" ">" pairs
  uint64_t failed_reallocs = 0;  // "!" lines
};

// Turns log lines into events. Errors name the line ("line 12: ...").
class MtraceParser {
 public:
  using Sink = std::function<absl::Status(const trace::Event&)>;
  explicit MtraceParser(Sink sink) : sink_(std::move(sink)) {}

  // The next line of the log, without its newline (a trailing '\r' is
  // ignored). Lines are numbered from 1 in call order.
  absl::Status AddLine(std::string_view line);
  // End of the log: a "<" line still waiting for its ">" is an error.
  absl::Status Finish();

  const MtraceCounts& counts() const { return counts_; }

 private:
  absl::Status Fail(uint64_t line, const std::string& what, std::string_view text) const;
  absl::Status Emit(trace::Event e);

  Sink sink_;
  MtraceCounts counts_;
  uint64_t seq_ = 0;
  bool realloc_open_ = false;  // a "<" line waits for its ">"
  uint64_t realloc_line_ = 0;
  uint64_t realloc_old_ = 0;
};

// Reads the whole log from source and hands every event to sink. Lines longer
// than kMaxMtraceLineBytes and a last line without its newline (a log cut
// short) are errors.
absl::StatusOr<MtraceCounts> ParseMtrace(trace::ByteSource* source, const MtraceParser::Sink& sink);

// ParseMtrace into a whole trace file written to out (zstd-compressed blocks).
absl::StatusOr<MtraceCounts> ImportMtrace(trace::ByteSource* log, trace::ByteSink* out);

// Converts the log at log_path into a trace at out_path ("-": standard
// output). The trace is written to out_path + ".tmp" and renamed into place
// only when complete: on any error neither file is left behind (an existing
// out_path is untouched).
absl::StatusOr<MtraceCounts> ImportMtraceFile(const std::string& log_path, const std::string& out_path);

}  // namespace alloclab::analysis

#endif  // ALLOCLAB_ANALYSIS_MTRACE_IMPORT_H_
