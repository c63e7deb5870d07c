// CompactRecords: the byte-level walk of records and chunk words.
#include "trace/chunk_compactor.h"

#include <cstring>

#include "trace/event.h"
#include "trace/record_encoder.h"
#include "trace/wire.h"

namespace alloclab::trace {
namespace {

constexpr uint32_t kRecordChunk = 2;

struct ChunkFields {
  uint64_t thread_id = 0, base_seq = 0, base_time = 0, base_address = 0, event_count = 0;
  bool in_place = false;
  const uint8_t* words = nullptr;
  size_t words_len = 0;
};

bool ParseChunk(const uint8_t* p, const uint8_t* end, ChunkFields* c) {
  while (p < end) {
    uint64_t tag, v;
    if (!GetVarint(&p, end, &tag)) return false;
    const uint32_t field = static_cast<uint32_t>(tag >> 3);
    const uint32_t type = static_cast<uint32_t>(tag & 7);
    if (type == kVarint) {
      if (!GetVarint(&p, end, &v)) return false;
      switch (field) {
        case 1: c->thread_id = v; break;
        case 2: c->base_seq = v; break;
        case 3: c->base_time = v; break;
        case 4: c->base_address = v; break;
        case 5: c->event_count = v; break;
        case 7: c->in_place = v != 0; break;
        default: break;
      }
    } else if (type == kLengthDelimited) {
      if (!GetVarint(&p, end, &v) || v > static_cast<uint64_t>(end - p)) return false;
      if (field == 6) {
        c->words = p;
        c->words_len = static_cast<size_t>(v);
      }
      p += v;
    } else {
      return false;
    }
  }
  return true;
}

// The bytes of the first `count` events of a words stream, or -1.
long CommittedWordBytes(const uint8_t* words, size_t len, uint64_t count) {
  const uint8_t* p = words;
  const uint8_t* end = words + len;
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t head, w;
    if (!GetVarint(&p, end, &head)) return -1;
    const uint32_t kind = static_cast<uint32_t>(head & kKindMask);
    if (!IsValidKind(kind)) return -1;
    int n = 2;  // seq and time deltas
    for (const Word* k = kLayouts[kind].words; *k != Word::kEnd; ++k) {
      if ((*k == Word::kIn && (head & kFlagNullIn)) || (*k == Word::kOut && (head & kFlagNullOut))) continue;
      ++n;
    }
    if (head & kFlagHasStack) ++n;
    for (int j = 0; j < n; ++j) {
      if (!GetVarint(&p, end, &w)) return -1;
    }
  }
  return p - words;
}

}  // namespace

long CompactRecords(const uint8_t* in, size_t n, size_t start, uint8_t* out, size_t out_cap,
                    size_t* consumed) {
  if (start > n) return -1;
  const uint8_t* p = in + start;
  const uint8_t* end = in + n;
  WireWriter w(out, out_cap);
  while (p < end) {
    if (*p == 0) {  // padding: skip to the next block
      const size_t offset = static_cast<size_t>(p - in);
      const size_t next = (offset / kPaddingBlock + 1) * kPaddingBlock;
      p = next < n ? in + next : end;
      continue;
    }
    const uint8_t* record_start = p;
    uint64_t len;
    const bool framed = GetVarint(&p, end, &len);
    if (!framed || len > static_cast<uint64_t>(end - p)) {
      if (consumed == nullptr || (!framed && end - record_start >= kMaxVarintBytes)) return -1;
      p = record_start;  // cut off by the window: the caller goes on from here
      break;
    }
    const uint8_t* body = p;
    const uint8_t* body_end = p + len;
    p = body_end;
    // Is it a chunk? Record = (tag 0x12, length, Chunk).
    const uint8_t* q = body;
    uint64_t tag, chunk_len;
    ChunkFields c;
    if (GetVarint(&q, body_end, &tag) && tag == MakeTag(kRecordChunk, kLengthDelimited) &&
        GetVarint(&q, body_end, &chunk_len) && chunk_len == static_cast<uint64_t>(body_end - q) &&
        ParseChunk(q, body_end, &c) && c.in_place) {
      const long used = CommittedWordBytes(c.words, c.words_len, c.event_count);
      if (used < 0) return -1;
      if (c.event_count == 0) continue;
      const size_t record = w.BeginLength();
      const size_t chunk = w.BeginField(kRecordChunk);
      w.VarintField(1, c.thread_id);
      w.VarintField(2, c.base_seq);
      w.VarintField(3, c.base_time);
      w.VarintField(4, c.base_address);
      w.VarintField(5, c.event_count);
      w.BytesField(6, c.words, static_cast<size_t>(used));
      w.EndLength(chunk);
      w.EndLength(record);
    } else {
      w.Varint(len);
      w.Raw(body, static_cast<size_t>(len));
    }
    if (!w.ok()) return -1;
  }
  if (consumed != nullptr) *consumed = static_cast<size_t>(p - in);
  return static_cast<long>(w.size());
}

}  // namespace alloclab::trace
