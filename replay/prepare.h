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

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "replay/op_stream.h"
#include "trace/ordered_reader.h"

namespace alloclab::replay {

// Prepares the trace at trace_path into out_path (created or truncated).
absl::StatusOr<PreparedHeader> PrepareTrace(const std::string& trace_path,
                                            const std::string& out_path,
                                            const std::string& temp_dir = "");

// Prepares from an open ordered reader into the file descriptor out_fd.
absl::StatusOr<PreparedHeader> PrepareFromReader(trace::OrderedReader& reader, int out_fd);

}  // namespace alloclab::replay

#endif  // ALLOCLAB_REPLAY_PREPARE_H_
