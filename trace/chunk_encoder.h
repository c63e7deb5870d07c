// ChunkEncoder: appends one thread's events to a Chunk record in a fixed,
// caller-owned buffer, without allocating.
//
// Two modes. kCompact keeps a tight record, for writers that copy finished
// chunks out. kInPlace fills the whole buffer with one record from the start
// (lengths fixed) and commits each event with a single store of event_count:
// a buffer that is a block-aligned region of a shared file-backed mapping
// then holds every completed event even if the process is killed. A kInPlace
// buffer must be zero-filled beforehand (a fresh file region is): the words
// after the last event are zeros, valid varints, and Begin does not clear a
// buffer that may be a megabyte.
#ifndef ALLOCLAB_TRACE_CHUNK_ENCODER_H_
#define ALLOCLAB_TRACE_CHUNK_ENCODER_H_

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "trace/event.h"
#include "trace/wire.h"

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

  // The two calls that make up most of every trace, for hot paths that have
  // no Event at hand: a malloc that returned out != 0, a free of in != 0
  // (no stack). Return false, leaving the chunk unchanged, whenever Append
  // might: the caller then builds the Event and calls Append.
  bool AppendMalloc(uint64_t thread_id, uint64_t seq, uint64_t time, uint64_t size, uint64_t out) {
    return AppendShort<Kind::kMalloc>(thread_id, seq, time, size, out);
  }
  bool AppendFree(uint64_t thread_id, uint64_t seq, uint64_t time, uint64_t in) {
    return AppendShort<Kind::kFree>(thread_id, seq, time, 0, in);
  }

  bool empty() const { return count_ == 0; }
  uint32_t event_count() const { return count_; }
  // Bytes of the record, framing included: the used part in kCompact mode,
  // the whole buffer in kInPlace mode; 0 before the first Append.
  size_t size() const;
  const uint8_t* data() const { return buf_; }

 private:
  void Begin(const Event& e);
  // AppendMalloc and AppendFree: kind, seq and time deltas, the size (malloc
  // only), the address delta, as EncodeEvent writes them without flags.
  template <Kind kKind>
  bool AppendShort(uint64_t thread_id, uint64_t seq, uint64_t time, uint64_t size, uint64_t address) {
    if (!Fits(thread_id, seq, time)) return false;
    uint8_t* p = end_;
    *p++ = static_cast<uint8_t>(kKind);
    p = PutVarint(p, seq - last_seq_);
    p = PutVarint(p, time - last_time_);
    if (kKind == Kind::kMalloc) p = PutVarint(p, size);
    p = PutVarint(p, ZigZagEncode(static_cast<int64_t>(address - last_address_)));
    Appended(p, seq, time, address);
    return true;
  }
  // Whether an event of this thread, seq and time can follow in this chunk.
  bool Fits(uint64_t thread_id, uint64_t seq, uint64_t time) const {
    return started_ && limit_ - end_ >= kMaxEventBytes && thread_id == thread_id_ && seq > last_seq_ &&
           time >= last_time_;
  }
  void Appended(uint8_t* end, uint64_t seq, uint64_t time, uint64_t address) {
    last_seq_ = seq;
    last_time_ = time;
    last_address_ = address;
    end_ = end;
    ++count_;
    Commit();
  }
  void Commit() {
    // The words must reach memory before the count or lengths that cover them.
    std::atomic_signal_fence(std::memory_order_release);
    if (mode_ == Mode::kInPlace) {
      PutPaddedVarint(count_at_, count_);  // one store: the commit point
      return;
    }
    CommitCompact();
  }
  void CommitCompact();

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
