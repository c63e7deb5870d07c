// OrderedReader: every event of a trace in global seq order, in bounded memory.
//
// A trace stores each thread's events in its own chunks, in file order; the
// program's order across threads is the seq number. The reader makes one pass
// that re-encodes each thread's events into small compact chunks in an
// unlinked temporary file, then merges the threads by seq, holding one decoded
// spill chunk per thread. Memory is bounded by threads x spill chunk, never by
// the number of events.
#ifndef ALLOCLAB_TRACE_ORDERED_READER_H_
#define ALLOCLAB_TRACE_ORDERED_READER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "proto/trace.pb.h"
#include "trace/chunk_encoder.h"
#include "trace/event.h"
#include "trace/trace_reader.h"

namespace alloclab::trace {

class OrderedReader {
 public:
  struct Options {
    size_t spill_chunk_bytes = 4096;  // per-thread encoded spill chunk
    std::string temp_dir;             // "" = $TMPDIR or /tmp
    // Per-thread state (a few hundred bytes, and one decoded spill chunk in
    // the merge) is bounded by refusing traces that name more threads: a
    // corrupt one can name a new thread in every few bytes. The replay runs
    // at most as many (replay/op_stream.h, kMaxPreparedThreads).
    uint64_t max_threads = uint64_t{1} << 20;
    // Called during Open's pass with each record other than the header and
    // chunks (stacks, memory maps, execs), in file order.
    std::function<void(const Record&)> on_other_record;
  };

  // Reads (and checks) the whole trace once, spilling it. Errors in the trace
  // are reported here, before the first event is handed out.
  static absl::StatusOr<std::unique_ptr<OrderedReader>> Open(const std::string& path,
                                                             const Options& options);
  static absl::StatusOr<std::unique_ptr<OrderedReader>> Open(const std::string& path) {
    return Open(path, Options());
  }
  static absl::StatusOr<std::unique_ptr<OrderedReader>> FromReader(
      std::unique_ptr<TraceReader> reader, const Options& options);
  ~OrderedReader();

  const Header& header() const { return header_; }
  // The next event by seq. Returns false at the end or on an error (status()).
  bool Next(Event* event);
  const absl::Status& status() const { return status_; }

  uint64_t threads() const { return threads_.size(); }
  uint64_t events() const { return events_; }
  // Records other than header and chunks (stacks, maps, execs) seen in the pass.
  uint64_t other_records() const { return other_records_; }

 private:
  struct Spill {
    uint64_t offset;
    uint32_t size;
  };
  struct Thread {
    uint64_t id = 0;
    std::vector<Spill> spills;  // this thread's spill chunks, in seq order
    size_t next_spill = 0;
    std::vector<Event> decoded;  // the current spill chunk
    size_t next_event = 0;
    std::vector<uint8_t> encode_buf;  // pass 1 only
    ChunkEncoder encoder;
  };

  OrderedReader() = default;
  absl::Status SpillAll(TraceReader& reader, const Options& options);
  absl::Status FlushSpill(Thread& t);
  // Makes t.decoded[t.next_event] valid; false when the thread is exhausted.
  bool Load(Thread& t);
  bool Fail(absl::Status st) {
    status_ = std::move(st);
    return false;
  }

  Header header_;
  int fd_ = -1;
  uint64_t file_size_ = 0;
  std::vector<Thread> threads_;
  std::vector<uint32_t> heap_;  // indexes into threads_, min-heap by next seq
  bool started_ = false;
  uint64_t events_ = 0;
  uint64_t other_records_ = 0;
  uint64_t last_seq_ = 0;
  uint64_t emitted_ = 0;
  std::string scratch_;
  Record record_;
  absl::Status status_;
};

}  // namespace alloclab::trace

#endif  // ALLOCLAB_TRACE_ORDERED_READER_H_
