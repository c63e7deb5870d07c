// Preparation: turns a trace into per-thread slot-indexed op streams
// (replay/op_stream.h), streaming, with memory bounded by the live set and
// threads x one block, never by the trace's length.
//
// Events are taken in global seq order (trace::OrderedReader). Each live
// address maps to a slot; an op on a block last touched by another thread is
// preceded by a wait for that thread's op; so is a block at an address that
// another thread freed last. A malloc that returns an address still live
// elsewhere (the free was recorded after the reuse: an inversion) evicts the
// old block, and the next free of that address is taken to be the old
// block's. Frees of pointers never allocated in the trace are skipped.
#ifndef ALLOCLAB_REPLAY_PREPARE_H_
#define ALLOCLAB_REPLAY_PREPARE_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "replay/op_stream.h"
#include "trace/ordered_reader.h"

namespace alloclab::replay {

// A window of the trace to replay: from the first event at or after `from`
// to the last at or before `to`, each a seq or a time (ns since the trace's
// first event); unset ends are the trace's. The heap live at the window's
// start is rebuilt first (PreparedHeader::prologue_thread), untimed.
struct TraceWindow {
  enum class Unit { kSeq, kTimeNs };
  bool has_from = false, has_to = false;
  Unit from_unit = Unit::kSeq, to_unit = Unit::kSeq;
  uint64_t from = 0, to = 0;
  bool active() const { return has_from || has_to; }
};

// A duration with its unit ("10s", "250ms", "500us", "1000000ns", "2min") in
// ns; false if malformed, negative or past 2^64 ns.
bool ParseDurationNs(const std::string& text, uint64_t* ns);

// Parses "SEQ" or a time with a unit (a duration since the first event).
bool ParseWindowBound(const std::string& text, TraceWindow::Unit* unit, uint64_t* value);

// Prepares the trace at trace_path into out_path (created or truncated).
// on_record, if given, sees the records other than events (stacks, memory
// maps) as they are read.
absl::StatusOr<PreparedHeader> PrepareTrace(const std::string& trace_path,
                                            const std::string& out_path,
                                            const std::string& temp_dir = "",
                                            const TraceWindow& window = TraceWindow(),
                                            std::function<void(const trace::Record&)> on_record = nullptr);

// Prepares from an open ordered reader into the file descriptor out_fd.
absl::StatusOr<PreparedHeader> PrepareFromReader(trace::OrderedReader& reader, int out_fd,
                                                 const TraceWindow& window = TraceWindow());

}  // namespace alloclab::replay

#endif  // ALLOCLAB_REPLAY_PREPARE_H_
