// Decodes a Chunk message's packed words back into events, checking every
// rule of the format (kinds, flags, deltas, counts).
#ifndef ALLOCLAB_TRACE_CHUNK_DECODER_H_
#define ALLOCLAB_TRACE_CHUNK_DECODER_H_

#include <vector>

#include "absl/status/status.h"
#include "proto/trace.pb.h"
#include "trace/event.h"

namespace alloclab::trace {

// Appends the chunk's events to *events. On error *events may hold a prefix.
absl::Status DecodeChunk(const Chunk& chunk, std::vector<Event>* events);

}  // namespace alloclab::trace

#endif  // ALLOCLAB_TRACE_CHUNK_DECODER_H_
