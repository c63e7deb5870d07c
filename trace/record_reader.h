// RecordReader: streams the records of a trace file (magic, framing, padding,
// compressed blocks) with memory bounded by one record or block, never by the
// file. Every malformed input becomes a specific error naming its byte offset.
#ifndef ALLOCLAB_TRACE_RECORD_READER_H_
#define ALLOCLAB_TRACE_RECORD_READER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "proto/trace.pb.h"
#include "trace/chunk_decoder.h"
#include "trace/io.h"

namespace alloclab::trace {

// Largest single record a reader accepts.
inline constexpr uint64_t kMaxRecordBytes = uint64_t{64} << 20;

class RecordReader {
 public:
  explicit RecordReader(std::unique_ptr<ByteSource> source);

  // Reads the next record into *record, unpacking compressed blocks. Returns
  // false at the end of the file or on an error; status() tells which.
  bool Next(Record* record) { return Next(record, nullptr); }
  // As Next, but a chunk record in the form writers produce is not parsed:
  // *chunk points into the record's bytes (valid until the next call) and
  // *record is left empty (body_case() == BODY_NOT_SET). Other chunks (an
  // odd encoding) come parsed in *record as usual.
  bool Next(Record* record, ChunkView* chunk);

  const absl::Status& status() const { return status_; }
  // Where the record last returned starts: its file offset, or for a record
  // inside a compressed block, the block's file offset (and inner_offset()).
  uint64_t record_offset() const { return record_offset_; }
  uint64_t inner_offset() const { return inner_offset_; }
  bool in_block() const { return block_ != nullptr; }
  // Bytes of the file consumed so far.
  uint64_t file_offset() const { return file_.offset; }

 private:
  // A framed record stream: the file, or a decompressed block in memory.
  struct Stream {
    std::unique_ptr<ByteSource> source;
    std::vector<uint8_t> buf;
    size_t pos = 0;
    size_t limit = 0;
    uint64_t offset = 0;  // stream offset of buf[pos]
    bool eof = false;
  };
  enum class Frame { kRecord, kEnd, kError };

  bool ReadMagic();
  // Reads one framed record's bytes from s into bytes_; skips padding.
  Frame NextFrame(Stream& s, const char* where, uint64_t* start);
  bool Fill(Stream& s);  // false at end of input or on error
  bool Fail(absl::Status status);
  std::string Where(const Stream& s, uint64_t offset) const;

  Stream file_;
  std::unique_ptr<Stream> block_;
  std::string bytes_;
  std::string raw_block_;
  bool started_ = false;
  absl::Status status_;
  uint64_t record_offset_ = 0;
  uint64_t inner_offset_ = 0;
};

}  // namespace alloclab::trace

#endif  // ALLOCLAB_TRACE_RECORD_READER_H_
