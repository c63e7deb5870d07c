// DecodeChunk: the inverse of ChunkEncoder's event encoding.
#include "trace/chunk_decoder.h"

#include "absl/strings/str_cat.h"
#include "trace/wire.h"

namespace alloclab::trace {
namespace {

class WordCursor {
 public:
  explicit WordCursor(const Chunk& c) : words_(c.words()) {}
  bool done() const { return i_ == words_.size(); }
  int index() const { return i_; }
  bool Next(uint64_t* w) {
    if (i_ == words_.size()) return false;
    *w = words_.Get(i_++);
    return true;
  }

 private:
  const google::protobuf::RepeatedField<uint64_t>& words_;
  int i_ = 0;
};

absl::Status Bad(uint32_t event, const std::string& what) {
  return absl::DataLossError(absl::StrCat("event ", event, " of the chunk: ", what));
}

}  // namespace

absl::Status DecodeChunk(const Chunk& chunk, std::vector<Event>* events) {
  if (chunk.thread_id() == 0) return absl::DataLossError("chunk has no thread id");
  WordCursor words(chunk);
  uint64_t seq = chunk.base_seq();
  uint64_t time = chunk.base_time();
  uint64_t address = chunk.base_address();
  uint32_t n = 0;
  for (; chunk.in_place() ? n < chunk.event_count() : !words.done(); ++n) {
    uint64_t head, seq_delta, time_delta;
    if (!words.Next(&head) || !words.Next(&seq_delta) || !words.Next(&time_delta)) {
      return Bad(n, "words end inside the event");
    }
    const uint32_t kind = static_cast<uint32_t>(head & kKindMask);
    const uint64_t flags = head & ~uint64_t{kKindMask};
    if (!IsValidKind(kind)) return Bad(n, absl::StrCat("unknown event kind ", kind));
    if ((flags & ~uint64_t{kFlagNullIn | kFlagNullOut | kFlagHasStack}) != 0) {
      return Bad(n, absl::StrCat("unknown flags ", flags));
    }
    Event e;
    e.kind = static_cast<Kind>(kind);
    e.thread_id = chunk.thread_id();
    if ((flags & kFlagNullIn) && !KindHas(e.kind, Word::kIn)) {
      return Bad(n, absl::StrCat("NULL_IN on ", KindName(e.kind)));
    }
    if ((flags & kFlagNullOut) && !KindHas(e.kind, Word::kOut)) {
      return Bad(n, absl::StrCat("NULL_OUT on ", KindName(e.kind)));
    }
    if (n > 0 && seq_delta == 0) return Bad(n, "inconsistent deltas: seq does not increase");
    if (__builtin_add_overflow(seq, seq_delta, &seq) ||
        __builtin_add_overflow(time, time_delta, &time)) {
      return Bad(n, "inconsistent deltas: seq or time overflows");
    }
    e.seq = seq;
    e.time = time;
    for (const Word* w = kLayouts[kind].words; *w != Word::kEnd; ++w) {
      if ((*w == Word::kIn && (flags & kFlagNullIn)) || (*w == Word::kOut && (flags & kFlagNullOut))) {
        continue;
      }
      uint64_t v;
      if (!words.Next(&v)) return Bad(n, "words end inside the event");
      switch (*w) {
        case Word::kIn:
        case Word::kOut: {
          // Deltas wrap modulo 2^64, as the encoder computes them.
          const uint64_t a = address + static_cast<uint64_t>(ZigZagDecode(v));
          if (a == 0) return Bad(n, "inconsistent deltas: NULL address without its flag");
          address = a;
          (*w == Word::kIn ? e.in : e.out) = a;
          break;
        }
        case Word::kSize: e.size = v; break;
        case Word::kCount: e.count = v; break;
        case Word::kAlignment: e.alignment = v; break;
        case Word::kResult: e.result = v; break;
        case Word::kEnd: break;
      }
    }
    if (flags & kFlagHasStack) {
      if (!words.Next(&e.stack_id)) return Bad(n, "words end inside the event");
      if (e.stack_id == 0) return Bad(n, "stack id 0 with HAS_STACK");
    }
    events->push_back(e);
  }
  if (n != chunk.event_count()) {
    return absl::DataLossError(absl::StrCat("chunk holds ", n, " events but its event_count says ",
                                            chunk.event_count()));
  }
  return absl::OkStatus();
}

}  // namespace alloclab::trace
