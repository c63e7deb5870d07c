// ChunkEvents: the inverse of ChunkEncoder's event encoding, an event at a time.
#include "trace/chunk_decoder.h"

#include "absl/strings/str_cat.h"
#include "trace/wire.h"

namespace alloclab::trace {

bool ParseChunkView(const uint8_t* p, size_t n, ChunkView* view) {
  *view = ChunkView();
  const uint8_t* end = p + n;
  uint32_t seen = 0;  // a bit per field number: any repeat goes to protobuf
  while (p < end) {
    uint64_t tag;
    if (!GetVarint(&p, end, &tag) || tag > 0xff) return false;
    const uint32_t field = static_cast<uint32_t>(tag >> 3), type = static_cast<uint32_t>(tag & 7);
    if (field < 1 || field > 7 || (seen & (1u << field)) != 0) return false;
    seen |= 1u << field;
    if (field == 6) {  // words: packed only
      uint64_t len;
      if (type != 2 || !GetVarint(&p, end, &len) || len > static_cast<uint64_t>(end - p)) return false;
      // Every word must be a varint protobuf and this decoder read alike.
      for (const uint8_t *q = p, *stop = p + len; q < stop;) {
        uint64_t ignored;
        if (!GetVarint(&q, stop, &ignored)) return false;
      }
      view->words = p;
      view->words_bytes = static_cast<size_t>(len);
      p += len;
      continue;
    }
    uint64_t v;
    if (type != 0 || !GetVarint(&p, end, &v)) return false;
    switch (field) {
      case 1: view->thread_id = v; break;
      case 2: view->base_seq = v; break;
      case 3: view->base_time = v; break;
      case 4: view->base_address = v; break;
      case 5: view->event_count = static_cast<uint32_t>(v); break;  // uint32: protobuf truncates too
      case 7: view->in_place = v != 0; break;
    }
  }
  return true;
}

ChunkEvents::ChunkEvents(const ChunkView& view)
    : p_(view.words),
      end_(view.words + view.words_bytes),
      thread_id_(view.thread_id),
      event_count_(view.event_count),
      in_place_(view.in_place),
      seq_(view.base_seq),
      time_(view.base_time),
      address_(view.base_address) {
  RequireThread();
}

ChunkEvents::ChunkEvents(const Chunk& chunk)
    : field_(&chunk.words()),
      thread_id_(chunk.thread_id()),
      event_count_(chunk.event_count()),
      in_place_(chunk.in_place()),
      seq_(chunk.base_seq()),
      time_(chunk.base_time()),
      address_(chunk.base_address()) {
  RequireThread();
}

void ChunkEvents::RequireThread() {
  if (thread_id_ == 0) {
    status_ = absl::DataLossError("chunk has no thread id");
    done_ = true;
  }
}

bool ChunkEvents::NextWord(uint64_t* w) {
  if (field_ != nullptr) {
    if (field_index_ == field_->size()) return false;
    *w = field_->Get(field_index_++);
    return true;
  }
  return p_ < end_ && GetVarint(&p_, end_, w);  // ParseChunkView checked them all
}

bool ChunkEvents::Bad(const std::string& what) {
  status_ = absl::DataLossError(absl::StrCat("event ", n_, " of the chunk: ", what));
  done_ = true;
  return false;
}

bool ChunkEvents::Next(Event* out) {
  if (done_) return false;
  const bool words_left = field_ != nullptr ? field_index_ < field_->size() : p_ < end_;
  if (in_place_ ? n_ == event_count_ : !words_left) {
    done_ = true;
    if (n_ != event_count_) {
      status_ = absl::DataLossError(
          absl::StrCat("chunk holds ", n_, " events but its event_count says ", event_count_));
    }
    return false;
  }
  uint64_t head, seq_delta, time_delta;
  if (!NextWord(&head) || !NextWord(&seq_delta) || !NextWord(&time_delta)) {
    return Bad("words end inside the event");
  }
  const uint32_t kind = static_cast<uint32_t>(head & kKindMask);
  const uint64_t flags = head & ~uint64_t{kKindMask};
  if (!IsValidKind(kind)) return Bad(absl::StrCat("unknown event kind ", kind));
  if ((flags & ~uint64_t{kFlagNullIn | kFlagNullOut | kFlagHasStack}) != 0) {
    return Bad(absl::StrCat("unknown flags ", flags));
  }
  Event e;
  e.kind = static_cast<Kind>(kind);
  e.thread_id = thread_id_;
  if ((flags & kFlagNullIn) && !KindHas(e.kind, Word::kIn)) return Bad(absl::StrCat("NULL_IN on ", KindName(e.kind)));
  if ((flags & kFlagNullOut) && !KindHas(e.kind, Word::kOut)) {
    return Bad(absl::StrCat("NULL_OUT on ", KindName(e.kind)));
  }
  if (n_ > 0 && seq_delta == 0) return Bad("inconsistent deltas: seq does not increase");
  if (__builtin_add_overflow(seq_, seq_delta, &seq_) || __builtin_add_overflow(time_, time_delta, &time_)) {
    return Bad("inconsistent deltas: seq or time overflows");
  }
  e.seq = seq_;
  e.time = time_;
  for (const Word* w = kLayouts[kind].words; *w != Word::kEnd; ++w) {
    if ((*w == Word::kIn && (flags & kFlagNullIn)) || (*w == Word::kOut && (flags & kFlagNullOut))) continue;
    uint64_t v;
    if (!NextWord(&v)) return Bad("words end inside the event");
    switch (*w) {
      case Word::kIn:
      case Word::kOut: {
        // Deltas wrap modulo 2^64, as the encoder computes them.
        const uint64_t a = address_ + static_cast<uint64_t>(ZigZagDecode(v));
        if (a == 0) return Bad("inconsistent deltas: NULL address without its flag");
        address_ = a;
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
    if (!NextWord(&e.stack_id)) return Bad("words end inside the event");
    if (e.stack_id == 0) return Bad("stack id 0 with HAS_STACK");
  }
  ++n_;
  *out = e;
  return true;
}

absl::Status DecodeChunk(const Chunk& chunk, std::vector<Event>* events) {
  ChunkEvents decoder(chunk);
  Event e;
  while (decoder.Next(&e)) events->push_back(e);
  return decoder.status();
}

}  // namespace alloclab::trace
