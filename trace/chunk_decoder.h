// Decodes a chunk's packed words back into events, checking every rule of the
// format (kinds, flags, deltas, counts), one event at a time: straight from
// the record's bytes (ChunkView) or from a parsed Chunk message, so that a
// reader's memory is the record's bytes, never a vector of its events.
#ifndef ALLOCLAB_TRACE_CHUNK_DECODER_H_
#define ALLOCLAB_TRACE_CHUNK_DECODER_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "proto/trace.pb.h"
#include "trace/event.h"

namespace alloclab::trace {

// A Chunk message's fields with its words left packed where they lie.
struct ChunkView {
  uint64_t thread_id = 0;
  uint64_t base_seq = 0;
  uint64_t base_time = 0;
  uint64_t base_address = 0;
  uint32_t event_count = 0;
  bool in_place = false;
  const uint8_t* words = nullptr;  // packed varints
  size_t words_bytes = 0;
};

// Reads the serialized Chunk message [p, p + n) into *view without unpacking
// its words. False when the message is not in the plain form writers produce
// (an unknown or repeated field, unpacked words, a malformed varint): the
// caller then parses it with protobuf, which decides.
bool ParseChunkView(const uint8_t* p, size_t n, ChunkView* view);

// The events of one chunk, decoded as they are asked for.
class ChunkEvents {
 public:
  explicit ChunkEvents(const ChunkView& view);
  explicit ChunkEvents(const Chunk& chunk);  // chunk must outlive this
  ChunkEvents() = default;                   // no events

  // The next event; false at the end of the chunk or on an error (status()).
  bool Next(Event* e);
  const absl::Status& status() const { return status_; }
  uint32_t decoded() const { return n_; }

 private:
  void RequireThread();  // a chunk without a thread id is an error
  bool NextWord(uint64_t* w);
  bool Bad(const std::string& what);

  // The words: packed bytes, or a parsed message's field.
  const uint8_t* p_ = nullptr;
  const uint8_t* end_ = nullptr;
  const google::protobuf::RepeatedField<uint64_t>* field_ = nullptr;
  int field_index_ = 0;
  uint64_t thread_id_ = 0;
  uint32_t event_count_ = 0;
  bool in_place_ = false;
  uint64_t seq_ = 0, time_ = 0, address_ = 0;
  uint32_t n_ = 0;
  bool done_ = false;
  absl::Status status_;
};

// Appends the chunk's events to *events. On error *events may hold a prefix.
absl::Status DecodeChunk(const Chunk& chunk, std::vector<Event>* events);

}  // namespace alloclab::trace

#endif  // ALLOCLAB_TRACE_CHUNK_DECODER_H_
