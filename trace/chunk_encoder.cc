// ChunkEncoder. Byte layout of the record it maintains (lengths and the count
// are padded varints so that they can be rewritten in place):
//
//   [len:4] 0x12 [len:4]                   record framing, Record.chunk
//   0x08 tid  0x10 base_seq  0x18 base_time  0x20 base_address
//   (0x38 0x01)                            in_place, kInPlace only
//   0x28 [event_count:4]  0x32 [words_len:4]  words...
#include "trace/chunk_encoder.h"

#include <atomic>

#include "trace/wire.h"

namespace alloclab::trace {
namespace {

constexpr uint8_t kRecordChunkTag = MakeTag(2, kLengthDelimited);
constexpr uint8_t kEventCountTag = MakeTag(5, kVarint);
constexpr uint8_t kWordsTag = MakeTag(6, kLengthDelimited);
constexpr uint8_t kInPlaceTag = MakeTag(7, kVarint);
constexpr size_t kFramingBytes = 2 * kPaddedVarintBytes + 1;

// The event's words, as the proto's Chunk comment specifies them.
uint8_t* EncodeEvent(uint8_t* p, const Event& e, uint64_t prev_seq, uint64_t prev_time,
                     uint64_t* address) {
  const int kind = static_cast<int>(e.kind);
  uint32_t head = static_cast<uint32_t>(kind);
  if (KindHas(e.kind, Word::kIn) && e.in == 0) head |= kFlagNullIn;
  if (KindHas(e.kind, Word::kOut) && e.out == 0) head |= kFlagNullOut;
  if (e.stack_id != 0) head |= kFlagHasStack;
  p = PutVarint(p, head);
  p = PutVarint(p, e.seq - prev_seq);
  p = PutVarint(p, e.time - prev_time);
  for (const Word* w = kLayouts[kind].words; *w != Word::kEnd; ++w) {
    switch (*w) {
      case Word::kIn:
      case Word::kOut: {
        const uint64_t a = *w == Word::kIn ? e.in : e.out;
        if (a == 0) break;
        p = PutVarint(p, ZigZagEncode(static_cast<int64_t>(a - *address)));
        *address = a;
        break;
      }
      case Word::kSize: p = PutVarint(p, e.size); break;
      case Word::kCount: p = PutVarint(p, e.count); break;
      case Word::kAlignment: p = PutVarint(p, e.alignment); break;
      case Word::kResult: p = PutVarint(p, e.result); break;
      case Word::kEnd: break;
    }
  }
  if (e.stack_id != 0) p = PutVarint(p, e.stack_id);
  return p;
}

}  // namespace

void ChunkEncoder::Reset(uint8_t* buf, size_t capacity, Mode mode) {
  buf_ = buf;
  limit_ = buf + capacity;
  mode_ = mode;
  started_ = false;
  end_ = buf;
  count_ = 0;
}

size_t ChunkEncoder::size() const {
  if (!started_) return 0;
  return static_cast<size_t>((mode_ == Mode::kInPlace ? limit_ : end_) - buf_);
}

void ChunkEncoder::Begin(const Event& e) {
  uint8_t* p = buf_ + kPaddedVarintBytes;
  *p++ = kRecordChunkTag;
  p += kPaddedVarintBytes;
  const uint64_t base_address = e.in != 0 ? e.in : e.out;
  const uint64_t fields[4] = {e.thread_id, e.seq, e.time, base_address};
  for (uint32_t f = 0; f < 4; ++f) {
    *p++ = static_cast<uint8_t>(MakeTag(f + 1, kVarint));
    p = PutVarint(p, fields[f]);
  }
  if (mode_ == Mode::kInPlace) {
    *p++ = kInPlaceTag;
    *p++ = 1;
  }
  *p++ = kEventCountTag;
  count_at_ = p;
  PutPaddedVarint(count_at_, 0);
  p += kPaddedVarintBytes;
  *p++ = kWordsTag;
  words_len_at_ = p;
  p += kPaddedVarintBytes;
  words_begin_ = end_ = p;
  thread_id_ = e.thread_id;
  last_seq_ = e.seq;
  last_time_ = e.time;
  last_address_ = base_address;
  started_ = true;
  if (mode_ == Mode::kInPlace) {
    // Lengths span the whole buffer; the record length goes last, in one
    // store, so that a kill before it leaves a zero (padding) at buf_[0].
    PutPaddedVarint(words_len_at_, static_cast<uint32_t>(limit_ - words_begin_));
    PutPaddedVarint(buf_ + kPaddedVarintBytes + 1,
                    static_cast<uint32_t>(limit_ - (buf_ + kFramingBytes)));
    std::atomic_signal_fence(std::memory_order_release);
    PutPaddedVarint(buf_, static_cast<uint32_t>(limit_ - (buf_ + kPaddedVarintBytes)));
  }
}

bool ChunkEncoder::Append(const Event& e) {
  if (!IsValidKind(static_cast<uint32_t>(e.kind))) return false;
  if (started_ && (e.thread_id != thread_id_ || e.seq <= last_seq_ || e.time < last_time_)) {
    return false;
  }
  if (!started_) {
    // The header and one event always fit in kMinCapacity.
    if (static_cast<size_t>(limit_ - buf_) < kMinCapacity) return false;
    Begin(e);
  } else if (limit_ - end_ < kMaxEventBytes) {
    return false;
  }
  uint64_t address = last_address_;
  uint8_t* p = EncodeEvent(end_, e, last_seq_, last_time_, &address);
  Appended(p, e.seq, e.time, address);
  return true;
}

void ChunkEncoder::CommitCompact() {
  PutPaddedVarint(words_len_at_, static_cast<uint32_t>(end_ - words_begin_));
  PutPaddedVarint(count_at_, count_);
  const uint32_t chunk_len = static_cast<uint32_t>(end_ - (buf_ + kFramingBytes));
  PutPaddedVarint(buf_ + kPaddedVarintBytes + 1, chunk_len);
  PutPaddedVarint(buf_, chunk_len + kPaddedVarintBytes + 1);
}

}  // namespace alloclab::trace
