// ChunkEncoder: appends one thread's events to a Chunk record in a fixed,
// caller-owned buffer, without allocating.
//
// Two modes. kCompact keeps a tight record, for writers that copy finished
// chunks out. kInPlace fills the whole buffer with one record from the start
// (lengths fixed, words zero) and commits each event with a single store of
// event_count: a buffer that is a block-aligned region of a shared file-backed
// mapping then holds every completed event even if the process is killed.
#ifndef ALLOCLAB_TRACE_CHUNK_ENCODER_H_
#define ALLOCLAB_TRACE_CHUNK_ENCODER_H_

#include <cstddef>
#include <cstdint>

#include "trace/event.h"

namespace alloclab::trace {

class ChunkEncoder {
 public:
  enum class Mode { kCompact, kInPlace };

  // Room for the record framing, the chunk's fixed fields and one event.
  static constexpr size_t kMinCapacity = 80 + kMaxEventBytes;
  static constexpr size_t kMaxCapacity = size_t{1} << 27;

  constexpr ChunkEncoder() = default;
  ChunkEncoder(uint8_t* buf, size_t capacity, Mode mode = Mode::kCompact) {
    Reset(buf, capacity, mode);
  }

  // Starts a new, empty chunk in buf; nothing is written until the first
  // Append. capacity must lie in [kMinCapacity, kMaxCapacity].
  void Reset(uint8_t* buf, size_t capacity, Mode mode = Mode::kCompact);

  // Appends e; the first event also fixes the chunk's thread and base values.
  // Returns false, leaving the chunk unchanged, when e does not fit or does
  // not belong here (another thread, seq not increasing, time going back, an
  // invalid kind): the caller then starts a new chunk.
  bool Append(const Event& e);

  bool empty() const { return count_ == 0; }
  uint32_t event_count() const { return count_; }
  // Bytes of the record, framing included: the used part in kCompact mode,
  // the whole buffer in kInPlace mode; 0 before the first Append.
  size_t size() const;
  const uint8_t* data() const { return buf_; }

 private:
  void Begin(const Event& e);
  void Commit();

  uint8_t* buf_ = nullptr;
  uint8_t* limit_ = nullptr;
  Mode mode_ = Mode::kCompact;
  bool started_ = false;
  uint8_t* end_ = nullptr;           // end of the words written so far
  uint8_t* count_at_ = nullptr;      // padded event_count
  uint8_t* words_len_at_ = nullptr;  // padded length of the words field
  uint8_t* words_begin_ = nullptr;
  uint32_t count_ = 0;
  uint64_t thread_id_ = 0;
  uint64_t last_seq_ = 0;
  uint64_t last_time_ = 0;
  uint64_t last_address_ = 0;
};

}  // namespace alloclab::trace

#endif  // ALLOCLAB_TRACE_CHUNK_ENCODER_H_
