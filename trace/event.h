// The in-memory form of one traced call, and the per-kind layout of its words
// in a chunk (proto/trace.proto, message Chunk). Shared by the encoder and the
// decoder so that the layout is written down exactly once.
#ifndef ALLOCLAB_TRACE_EVENT_H_
#define ALLOCLAB_TRACE_EVENT_H_

#include <cstdint>

namespace alloclab::trace {

// Mirrors EventKind in proto/trace.proto (checked by event_test). Kept free of
// the generated header so the tracer's hot path needs no protobuf runtime.
enum class Kind : uint8_t {
  kMalloc = 1,
  kFree = 2,
  kCalloc = 3,
  kRealloc = 4,
  kReallocArray = 5,
  kMemalign = 6,
  kPosixMemalign = 7,
  kAlignedAlloc = 8,
  kValloc = 9,
  kPvalloc = 10,
  kMallocUsableSize = 11,
  kFreeSized = 12,
  kFreeAligned = 13,
  kFreeSizedAligned = 14,
  kThreadStart = 15,
  kThreadExit = 16,
  kFork = 17,
  kExec = 18,
  kWindow = 19,
};
inline constexpr int kMinKind = 1;
inline constexpr int kMaxKind = 19;

// Flag bits above the kind in an event's first word (EventFlag in the proto).
inline constexpr uint32_t kKindMask = 31;
inline constexpr uint32_t kFlagNullIn = 32;
inline constexpr uint32_t kFlagNullOut = 64;
inline constexpr uint32_t kFlagHasStack = 128;

// One call. Fields a kind does not use are zero. A NULL pointer is 0, which
// the encoder turns into the NULL_IN / NULL_OUT flags.
struct Event {
  Kind kind = Kind::kMalloc;
  uint64_t thread_id = 0;
  uint64_t seq = 0;
  uint64_t time = 0;
  uint64_t in = 0;         // pointer argument (free, realloc, ...)
  uint64_t out = 0;        // pointer returned
  uint64_t size = 0;       // requested size (per element for calloc)
  uint64_t count = 0;      // element count (calloc, reallocarray)
  uint64_t alignment = 0;  // requested alignment
  uint64_t result = 0;     // non-pointer result: posix_memalign's return,
                           // malloc_usable_size's, fork's child pid
  uint64_t stack_id = 0;   // 0 = no stack recorded

  bool operator==(const Event& o) const {
    return kind == o.kind && thread_id == o.thread_id && seq == o.seq && time == o.time &&
           in == o.in && out == o.out && size == o.size && count == o.count &&
           alignment == o.alignment && result == o.result && stack_id == o.stack_id;
  }
  bool operator!=(const Event& o) const { return !(*this == o); }
};

// The kind-specific words of an event, in order.
enum class Word : uint8_t { kEnd = 0, kIn, kOut, kSize, kCount, kAlignment, kResult };

struct KindLayout {
  const char* name;  // as in the proto, e.g. "MALLOC"
  Word words[5];     // terminated by kEnd
};

inline constexpr KindLayout kLayouts[kMaxKind + 1] = {
    {"UNSPECIFIED", {Word::kEnd}},
    {"MALLOC", {Word::kSize, Word::kOut, Word::kEnd}},
    {"FREE", {Word::kIn, Word::kEnd}},
    {"CALLOC", {Word::kCount, Word::kSize, Word::kOut, Word::kEnd}},
    {"REALLOC", {Word::kIn, Word::kSize, Word::kOut, Word::kEnd}},
    {"REALLOCARRAY", {Word::kIn, Word::kCount, Word::kSize, Word::kOut, Word::kEnd}},
    {"MEMALIGN", {Word::kAlignment, Word::kSize, Word::kOut, Word::kEnd}},
    {"POSIX_MEMALIGN", {Word::kAlignment, Word::kSize, Word::kResult, Word::kOut, Word::kEnd}},
    {"ALIGNED_ALLOC", {Word::kAlignment, Word::kSize, Word::kOut, Word::kEnd}},
    {"VALLOC", {Word::kSize, Word::kOut, Word::kEnd}},
    {"PVALLOC", {Word::kSize, Word::kOut, Word::kEnd}},
    {"MALLOC_USABLE_SIZE", {Word::kIn, Word::kResult, Word::kEnd}},
    {"FREE_SIZED", {Word::kIn, Word::kSize, Word::kEnd}},
    {"FREE_ALIGNED", {Word::kIn, Word::kAlignment, Word::kEnd}},
    {"FREE_SIZED_ALIGNED", {Word::kIn, Word::kSize, Word::kAlignment, Word::kEnd}},
    {"THREAD_START", {Word::kEnd}},
    {"THREAD_EXIT", {Word::kEnd}},
    {"FORK", {Word::kResult, Word::kEnd}},
    {"EXEC", {Word::kEnd}},
    {"WINDOW", {Word::kResult, Word::kEnd}},
};

inline bool IsValidKind(uint32_t k) { return k >= kMinKind && k <= kMaxKind; }

namespace event_internal {
constexpr uint32_t WordMask(const KindLayout& layout) {
  uint32_t mask = 0;
  for (const Word* p = layout.words; *p != Word::kEnd; ++p) mask |= 1u << static_cast<int>(*p);
  return mask;
}
struct WordMasks {
  uint32_t mask[kMaxKind + 1];
};
constexpr WordMasks MakeWordMasks() {
  WordMasks m{};
  for (int k = 0; k <= kMaxKind; ++k) m.mask[k] = WordMask(kLayouts[k]);
  return m;
}
inline constexpr WordMasks kWordMasks = MakeWordMasks();
}  // namespace event_internal

// Whether events of `kind` carry word w: one table lookup.
inline bool KindHas(Kind kind, Word w) {
  return (event_internal::kWordMasks.mask[static_cast<int>(kind)] >> static_cast<int>(w)) & 1;
}

inline const char* KindName(Kind kind) { return kLayouts[static_cast<int>(kind)].name; }

// Largest encoding of one event: 3 common words, 5 kind words, a stack id.
inline constexpr int kMaxEventBytes = 9 * 10;

}  // namespace alloclab::trace

#endif  // ALLOCLAB_TRACE_EVENT_H_
