// Encoders for the non-event records. Field numbers follow proto/trace.proto;
// record_encoder_test parses the output with the generated classes.
#include "trace/record_encoder.h"

#include <cstring>

#include "trace/wire.h"

namespace alloclab::trace {
namespace {

// Record oneof field numbers.
constexpr uint32_t kRecordHeader = 1;
constexpr uint32_t kRecordCompressed = 3;
constexpr uint32_t kRecordStack = 4;
constexpr uint32_t kRecordMemoryMaps = 5;
constexpr uint32_t kRecordExec = 6;

// Writes a framed record whose single field `body_field` is filled by fill(w).
template <typename Fill>
size_t EncodeRecord(uint32_t body_field, uint8_t* buf, size_t capacity, Fill fill) {
  WireWriter w(buf, capacity);
  const size_t record = w.BeginLength();
  const size_t body = w.BeginField(body_field);
  fill(w);
  w.EndLength(body);
  w.EndLength(record);
  return w.ok() ? w.size() : 0;
}

void StringsField(WireWriter& w, uint32_t field, const char* const* strings, size_t n) {
  for (size_t i = 0; i < n; ++i) w.StringField(field, strings[i]);
}

}  // namespace

size_t EncodeMagic(uint8_t* buf, size_t capacity) {
  if (capacity < sizeof(kMagic)) return 0;
  std::memcpy(buf, kMagic, sizeof(kMagic));
  return sizeof(kMagic);
}

size_t EncodeHeader(const HeaderFields& h, uint8_t* buf, size_t capacity) {
  return EncodeRecord(kRecordHeader, buf, capacity, [&](WireWriter& w) {
    w.VarintField(1, h.format_version);
    w.VarintField(2, h.pid);
    w.VarintField(3, h.parent_pid);
    w.StringField(4, h.executable);
    StringsField(w, 5, h.args, h.arg_count);
    w.VarintField(6, h.start_time_unix_ns);
    w.VarintField(7, h.page_size);
    w.VarintField(8, h.clock_ticks_per_second);
    w.StringField(9, h.clock_source);
    w.VarintField(10, h.forked ? 1 : 0);
    w.VarintField(11, h.fork_seq);
    w.StringField(12, h.parent_trace);
    w.VarintField(13, h.exec_depth);
    w.VarintField(14, h.stack_depth);
    w.StringField(15, h.tracer);
  });
}

size_t EncodeStack(uint64_t id, const uint64_t* frames, size_t frame_count, uint8_t* buf,
                   size_t capacity) {
  return EncodeRecord(kRecordStack, buf, capacity, [&](WireWriter& w) {
    w.VarintField(1, id);
    const size_t packed = w.BeginField(2);
    for (size_t i = 0; i < frame_count; ++i) w.Varint(frames[i]);
    w.EndLength(packed);
  });
}

size_t EncodeMemoryMaps(uint64_t seq, const MappingFields* mappings, size_t count, uint8_t* buf,
                        size_t capacity) {
  return EncodeRecord(kRecordMemoryMaps, buf, capacity, [&](WireWriter& w) {
    w.VarintField(1, seq);
    for (size_t i = 0; i < count; ++i) {
      const MappingFields& m = mappings[i];
      const size_t mapping = w.BeginField(2);
      w.VarintField(1, m.start);
      w.VarintField(2, m.end);
      w.VarintField(3, m.file_offset);
      w.StringField(4, m.path);
      w.StringField(5, m.build_id);
      w.EndLength(mapping);
    }
  });
}

size_t EncodeExec(uint64_t thread_id, uint64_t seq, const char* path, const char* const* args,
                  size_t arg_count, uint8_t* buf, size_t capacity) {
  return EncodeRecord(kRecordExec, buf, capacity, [&](WireWriter& w) {
    w.VarintField(1, thread_id);
    w.VarintField(2, seq);
    w.StringField(3, path);
    StringsField(w, 4, args, arg_count);
  });
}

size_t EncodeCompressedHead(uint64_t raw_size, size_t data_size, uint8_t* buf, size_t capacity) {
  // Lengths known up front (the data is not in buf): Compressed's fields are
  // codec (tag, 1), raw_size (tag, varint) and data (tag, length, bytes).
  const uint64_t compressed = 2 + 1 + VarintSize(raw_size) + 1 + VarintSize(data_size) + data_size;
  const uint64_t record = 1 + VarintSize(compressed) + compressed;
  if (capacity < VarintSize(record) + (record - data_size)) return 0;
  uint8_t* p = PutVarint(buf, record);
  *p++ = MakeTag(kRecordCompressed, kLengthDelimited);
  p = PutVarint(p, compressed);
  *p++ = MakeTag(1, kVarint);
  *p++ = 1;  // Compressed::ZSTD
  *p++ = MakeTag(2, kVarint);
  p = PutVarint(p, raw_size);
  *p++ = MakeTag(3, kLengthDelimited);
  p = PutVarint(p, data_size);
  return static_cast<size_t>(p - buf);
}

}  // namespace alloclab::trace
