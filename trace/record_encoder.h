// Allocation-free encoders for the trace's non-event records (file magic,
// Header, Stack, MemoryMaps, Exec, the head of a Compressed block), each
// written with its framing into a caller-owned buffer. Inputs are plain structs of C strings and arrays, so
// the tracer can fill them without allocating.
#ifndef ALLOCLAB_TRACE_RECORD_ENCODER_H_
#define ALLOCLAB_TRACE_RECORD_ENCODER_H_

#include <cstddef>
#include <cstdint>

namespace alloclab::trace {

inline constexpr char kMagic[8] = {'\x89', 'M', 'T', 'R', 'A', 'C', 'E', '\n'};
inline constexpr uint32_t kFormatVersion = 1;
// Padding (a zero byte where a record length is expected) skips to the next
// multiple of this many bytes; see proto/trace.proto.
inline constexpr uint64_t kPaddingBlock = 4096;

struct HeaderFields {
  uint32_t format_version = kFormatVersion;
  uint64_t pid = 0;
  uint64_t parent_pid = 0;
  const char* executable = nullptr;
  const char* const* args = nullptr;
  size_t arg_count = 0;
  uint64_t start_time_unix_ns = 0;
  uint64_t page_size = 0;
  uint64_t clock_ticks_per_second = 0;
  const char* clock_source = nullptr;
  bool forked = false;
  uint64_t fork_seq = 0;
  const char* parent_trace = nullptr;
  uint32_t exec_depth = 0;
  uint32_t stack_depth = 0;
  const char* tracer = nullptr;
};

struct MappingFields {
  uint64_t start = 0;
  uint64_t end = 0;
  uint64_t file_offset = 0;
  const char* path = nullptr;
  const char* build_id = nullptr;
};

// Each returns the number of bytes written, or 0 if the record did not fit in
// capacity (nothing useful is then in buf).
size_t EncodeMagic(uint8_t* buf, size_t capacity);
size_t EncodeHeader(const HeaderFields& h, uint8_t* buf, size_t capacity);
size_t EncodeStack(uint64_t id, const uint64_t* frames, size_t frame_count, uint8_t* buf,
                   size_t capacity);
size_t EncodeMemoryMaps(uint64_t seq, const MappingFields* mappings, size_t count, uint8_t* buf,
                        size_t capacity);
size_t EncodeExec(uint64_t thread_id, uint64_t seq, const char* path, const char* const* args,
                  size_t arg_count, uint8_t* buf, size_t capacity);
// Everything of a framed Record{compressed: {codec: ZSTD, raw_size, data}}
// up to the data itself, which the caller writes right after (data_size
// bytes of zstd output that decompress to raw_size bytes).
size_t EncodeCompressedHead(uint64_t raw_size, size_t data_size, uint8_t* buf, size_t capacity);

}  // namespace alloclab::trace

#endif  // ALLOCLAB_TRACE_RECORD_ENCODER_H_
