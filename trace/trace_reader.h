// TraceReader: the streaming decoder of a whole trace. Checks the header,
// decodes chunks one at a time and yields events in file order; hands the
// other records (stacks, maps, execs) to a callback. Memory is the current
// record's bytes (and its compressed block's): a chunk is checked whole, then
// decoded again event by event as they are asked for, never held as events.
#ifndef ALLOCLAB_TRACE_TRACE_READER_H_
#define ALLOCLAB_TRACE_TRACE_READER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "proto/trace.pb.h"
#include "trace/chunk_decoder.h"
#include "trace/event.h"
#include "trace/io.h"
#include "trace/record_reader.h"

namespace alloclab::trace {

class TraceReader {
 public:
  // Opens path and reads its header.
  static absl::StatusOr<std::unique_ptr<TraceReader>> Open(const std::string& path);
  // Reads the header from source.
  static absl::StatusOr<std::unique_ptr<TraceReader>> FromSource(std::unique_ptr<ByteSource> source);

  const Header& header() const { return header_; }

  // Called with every record other than the header and chunks.
  void set_record_callback(std::function<void(const Record&)> cb) { callback_ = std::move(cb); }

  // The next event in file order (per thread, in seq order). Returns false at
  // the end or on an error; status() tells which.
  bool Next(Event* event);
  const absl::Status& status() const { return status_; }

  uint64_t chunks_read() const { return chunks_; }
  uint64_t bytes_read() const { return records_.file_offset(); }

 private:
  explicit TraceReader(std::unique_ptr<ByteSource> source) : records_(std::move(source)) {}
  absl::Status ReadHeader();
  bool Fail(const std::string& what);

  // Checks a whole chunk (nothing of a bad one is handed out) and its
  // continuity with the thread's previous chunk; false if it is bad.
  bool CheckChunk(ChunkEvents events);

  RecordReader records_;
  Header header_;
  Record record_;
  ChunkView view_;
  ChunkEvents events_;  // the current chunk's, as they are handed out
  uint64_t chunks_ = 0;
  absl::flat_hash_map<uint64_t, Event> last_by_thread_;
  std::function<void(const Record&)> callback_;
  absl::Status status_;
};

// Reads a whole trace into memory (for tests and small tools).
struct TraceContents {
  Header header;
  std::vector<Event> events;
  std::vector<Record> other_records;
};
absl::StatusOr<TraceContents> ReadWholeTrace(std::unique_ptr<ByteSource> source);

}  // namespace alloclab::trace

#endif  // ALLOCLAB_TRACE_TRACE_READER_H_
