// Test data: event sequences that cover every kind, flag and edge value of
// the format. testonly.
#ifndef ALLOCLAB_TRACE_TEST_EVENTS_H_
#define ALLOCLAB_TRACE_TEST_EVENTS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "trace/event.h"
#include "trace/record_encoder.h"
#include "trace/trace_writer.h"

namespace alloclab::trace {

// An event with the fields most tests set; the others zero.
Event MakeEvent(uint64_t thread, Kind kind, uint64_t seq, uint64_t time, uint64_t in, uint64_t size, uint64_t out);

// Builds events of several threads with increasing seq (time = seq).
class EventSequence {
 public:
  // extra is calloc's and reallocarray's count, or the alignment of the
  // aligned allocations.
  EventSequence& Add(uint64_t thread, Kind kind, uint64_t in, uint64_t out, uint64_t size, uint64_t extra = 0);
  EventSequence& Malloc(uint64_t thread, uint64_t out, uint64_t size) { return Add(thread, Kind::kMalloc, 0, out, size); }
  EventSequence& Free(uint64_t thread, uint64_t in) { return Add(thread, Kind::kFree, in, 0, 0); }
  const std::vector<Event>& events() const { return events_; }

 private:
  uint64_t seq_ = 0;
  std::vector<Event> events_;
};

// Every kind at least once (with and without NULL pointers and stacks), for
// `threads` threads, in global seq order.
std::vector<Event> EveryKindEvents(int threads);

// A header with every field set.
HeaderFields TestHeader();

// A whole trace file holding `events` (plus a stack, maps and an exec record).
std::string WriteTestTrace(const std::vector<Event>& events, TraceWriter::Options options);

}  // namespace alloclab::trace

#endif  // ALLOCLAB_TRACE_TEST_EVENTS_H_
