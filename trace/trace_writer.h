// TraceWriter: a convenience writer for programs that produce traces off any
// hot path (tests, the synthetic generator, tracetool import). Keeps one
// compact chunk per thread, writes full chunks out, and optionally packs the
// output into zstd blocks. The tracer has its own in-place writer.
#ifndef ALLOCLAB_TRACE_TRACE_WRITER_H_
#define ALLOCLAB_TRACE_TRACE_WRITER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "trace/chunk_encoder.h"
#include "trace/event.h"
#include "trace/io.h"
#include "trace/record_encoder.h"

namespace alloclab::trace {

class TraceWriter {
 public:
  struct Options {
    size_t chunk_bytes = 32 << 10;  // capacity of each thread's chunk
    bool compress = false;          // zstd blocks
    int compression_level = 3;
    size_t block_bytes = 1 << 20;   // raw bytes per compressed block
  };

  TraceWriter(ByteSink* sink, const HeaderFields& header, Options options);
  TraceWriter(ByteSink* sink, const HeaderFields& header) : TraceWriter(sink, header, Options()) {}

  // Events of one thread must come in increasing seq order.
  absl::Status Append(const Event& e);
  absl::Status AppendStack(uint64_t id, const std::vector<uint64_t>& frames);
  absl::Status AppendMemoryMaps(uint64_t seq, const std::vector<MappingFields>& mappings);
  absl::Status AppendExec(uint64_t thread_id, uint64_t seq, const std::string& path,
                          const std::vector<std::string>& args);
  // Writes out every open chunk and block. The writer stays usable.
  absl::Status Flush();

  uint64_t events() const { return events_; }
  uint64_t bytes_written() const { return bytes_written_; }

 private:
  struct ThreadChunk {
    std::vector<uint8_t> buf;
    ChunkEncoder encoder;
  };
  absl::Status Emit(const uint8_t* data, size_t n);  // one framed record
  absl::Status EmitEncoded(std::vector<uint8_t>& scratch, size_t n);
  absl::Status FlushChunk(ThreadChunk& t);
  absl::Status FlushBlock();
  absl::Status WriteOut(const std::string& bytes);

  ByteSink* sink_;
  Options options_;
  absl::Status status_;
  std::map<uint64_t, std::unique_ptr<ThreadChunk>> threads_;  // ordered: same bytes every run
  std::string block_;
  uint64_t events_ = 0;
  uint64_t bytes_written_ = 0;
};

}  // namespace alloclab::trace

#endif  // ALLOCLAB_TRACE_TRACE_WRITER_H_
