// The heap a trace describes: each event of an ordered trace (global seq
// order, trace::OrderedReader) resolved into what it did to which block
// (allocated, freed, resized, asked about, or nothing), with the live set,
// the peak and the size and lifetime histograms kept on it. The replay's
// preparation (which adds slots and cross-thread waits on top) and
// `tracetool stats` both read a trace through it, so they cannot disagree
// about which block a free ends. Memory: the live set, never the events.
//
// Inversions: an allocation that returns an address still live means that
// address's free was recorded after the allocation that reused it (another
// thread's free, racing with the recording). The old block is evicted: it
// stays live (the program did hold both, however briefly), and the next free
// or realloc of that address takes the oldest evicted block, not the new one.
#ifndef ALLOCLAB_TRACE_HEAP_HISTORY_H_
#define ALLOCLAB_TRACE_HEAP_HISTORY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "trace/event.h"

namespace alloclab::trace {

// Counts by power-of-two bucket: bucket 0 is [0,1], bucket b >= 1 is
// [2^b, 2^(b+1) - 1].
class Log2Histogram {
 public:
  static constexpr int kBuckets = 64;
  static int Bucket(uint64_t v) { return v <= 1 ? 0 : 63 - __builtin_clzll(v); }
  void Add(uint64_t v) {
    ++buckets_[Bucket(v)];
    ++total_;
  }
  uint64_t bucket(int b) const { return buckets_[b]; }
  uint64_t total() const { return total_; }
  // "title:" then one line per non-empty bucket: range, count, share.
  std::string ToString(const char* title) const;

 private:
  uint64_t buckets_[kBuckets] = {};
  uint64_t total_ = 0;
};

// What one event did to the heap.
enum class HeapAction : uint8_t {
  kOther,        // not an allocation call (threads, forks, windows), or
                 // malloc_usable_size of an address not live
  kAllocate,     // a new block: the allocation kinds, realloc(NULL, n),
                 // and realloc of a pointer allocated before tracing began
  kFree,         // a block ended: the free kinds, realloc(p, 0) returning NULL
  kResize,       // realloc of a live block: the same block, maybe moved
  kQuery,        // malloc_usable_size of a live block
  kFreeNull,     // free(NULL)
  kFailed,       // an allocation or realloc that failed: nothing changed
  kUnknownFree,  // free (or realloc returning NULL) of an address the trace
                 // never allocated
};

// Requested bytes of an allocation or realloc event: count x size for
// calloc and reallocarray, saturated (an overflowing calloc cannot succeed:
// a corrupt record).
inline bool CountTimesSizeOverflows(const Event& e) {
  uint64_t bytes;
  return (e.kind == Kind::kCalloc || e.kind == Kind::kReallocArray) && __builtin_mul_overflow(e.count, e.size, &bytes);
}
inline uint64_t RequestedBytes(const Event& e) {
  if (e.kind != Kind::kCalloc && e.kind != Kind::kReallocArray) return e.size;
  return CountTimesSizeOverflows(e) ? UINT64_MAX : e.count * e.size;
}

// For readers that keep nothing on the blocks.
struct NoExtra {};

// Extra: what a reader of the history keeps on each block (the replay: its
// slot and the last op that touched it); default-constructed on allocation.
template <typename Extra>
class HeapHistory {
 public:
  struct Block {
    uint64_t bytes = 0;  // requested
    uint64_t seq = 0;    // of the call that gave the block its current size
    Extra extra{};
  };
  struct Step {
    HeapAction action = HeapAction::kOther;
    // kAllocate, kResize, kQuery: the live block (valid until the next Add).
    Block* block = nullptr;
    // kFree: the block that ended; kResize: the block as it was.
    Block old;
    // kAllocate, kUnknownFree: a realloc of a pointer allocated before
    // tracing began (kUnknownFree: it returned NULL).
    bool untraced = false;
    // kFree: realloc(p, 0) returned NULL and freed p.
    bool realloc_zero = false;
  };

  Step Add(const Event& e);

  uint64_t live_bytes() const { return live_bytes_; }
  uint64_t live_blocks() const { return live_blocks_; }
  // The most ever live after an event, and the seq of the event that first
  // reached it.
  uint64_t peak_live_bytes() const { return peak_bytes_; }
  uint64_t peak_seq() const { return peak_seq_; }
  uint64_t peak_live_blocks() const { return peak_blocks_; }
  // Allocations (and moving reallocs) that returned an address still live.
  uint64_t inversions() const { return inversions_; }
  // Evicted blocks whose free was never recorded (still live).
  uint64_t evicted_live() const { return evicted_live_; }
  uint64_t unknown_frees() const { return unknown_frees_; }
  uint64_t untraced_reallocs() const { return untraced_reallocs_; }
  uint64_t realloc_zero_frees() const { return realloc_zero_frees_; }
  uint64_t failed_allocations() const { return failed_allocations_; }
  // Requested sizes of allocations and resizes.
  const Log2Histogram& sizes() const { return sizes_; }
  // Events from a block's allocation (or last resize) to its end or resize.
  const Log2Histogram& lifetimes() const { return lifetimes_; }

  // From now on the statistics describe what follows (a window of the trace):
  // the peak starts at what is live now, the counts and histograms at zero.
  // The live set stays.
  void RestartStatistics() {
    peak_bytes_ = live_bytes_;
    peak_blocks_ = live_blocks_;
    peak_seq_ = 0;
    inversions_ = unknown_frees_ = untraced_reallocs_ = realloc_zero_frees_ = failed_allocations_ = 0;
    sizes_ = Log2Histogram();
    lifetimes_ = Log2Histogram();
  }

  // Calls f(address, block) for every block live now (evicted ones too).
  template <typename F>
  void ForEachLive(F f) const {
    for (const auto& [address, b] : live_) f(address, b);
    for (const auto& [address, blocks] : evicted_) {
      for (const Block& b : blocks) f(address, b);
    }
  }
  template <typename F>
  void ForEachLive(F f) {
    for (auto& [address, b] : live_) f(address, b);
    for (auto& [address, blocks] : evicted_) {
      for (Block& b : blocks) f(address, b);
    }
  }

 private:
  Step Allocate(const Event& e, uint64_t address, uint64_t bytes);
  // Removes the block a pointer argument names: the oldest evicted one at
  // that address, else the live one.
  bool Take(uint64_t address, Block* b);
  bool Holds(uint64_t address) const { return evicted_.contains(address) || live_.contains(address); }
  // Before a block appears at address: evicts the block still live there.
  void Claim(uint64_t address);
  void Ended(const Block& b, uint64_t seq);
  void NotePeak(uint64_t seq);

  absl::flat_hash_map<uint64_t, Block> live_;
  absl::flat_hash_map<uint64_t, std::vector<Block>> evicted_;
  uint64_t live_bytes_ = 0;
  uint64_t live_blocks_ = 0;
  uint64_t peak_bytes_ = 0;
  uint64_t peak_seq_ = 0;
  uint64_t peak_blocks_ = 0;
  uint64_t inversions_ = 0;
  uint64_t evicted_live_ = 0;
  uint64_t unknown_frees_ = 0;
  uint64_t untraced_reallocs_ = 0;
  uint64_t realloc_zero_frees_ = 0;
  uint64_t failed_allocations_ = 0;
  Log2Histogram sizes_;
  Log2Histogram lifetimes_;
};

template <typename Extra>
bool HeapHistory<Extra>::Take(uint64_t address, Block* b) {
  if (auto it = evicted_.find(address); it != evicted_.end()) {
    *b = it->second.front();
    it->second.erase(it->second.begin());
    if (it->second.empty()) evicted_.erase(it);
    --evicted_live_;
    return true;
  }
  auto it = live_.find(address);
  if (it == live_.end()) return false;
  *b = it->second;
  live_.erase(it);
  return true;
}

template <typename Extra>
void HeapHistory<Extra>::Claim(uint64_t address) {
  auto it = live_.find(address);
  if (it == live_.end()) return;
  ++inversions_;
  ++evicted_live_;
  evicted_[address].push_back(it->second);
  live_.erase(it);
}

template <typename Extra>
void HeapHistory<Extra>::Ended(const Block& b, uint64_t seq) {
  live_bytes_ -= b.bytes;
  --live_blocks_;
  lifetimes_.Add(seq - b.seq);
}

template <typename Extra>
void HeapHistory<Extra>::NotePeak(uint64_t seq) {
  if (live_bytes_ > peak_bytes_) {
    peak_bytes_ = live_bytes_;
    peak_seq_ = seq;
  }
  if (live_blocks_ > peak_blocks_) peak_blocks_ = live_blocks_;
}

template <typename Extra>
typename HeapHistory<Extra>::Step HeapHistory<Extra>::Allocate(const Event& e, uint64_t address, uint64_t bytes) {
  Claim(address);
  Step s;
  s.action = HeapAction::kAllocate;
  Block& b = live_[address];
  b = Block{bytes, e.seq, Extra{}};
  s.block = &b;
  live_bytes_ += bytes;
  ++live_blocks_;
  sizes_.Add(bytes);
  return s;
}

template <typename Extra>
typename HeapHistory<Extra>::Step HeapHistory<Extra>::Add(const Event& e) {
  Step s;
  const Kind k = e.kind;
  switch (k) {
    case Kind::kMalloc:
    case Kind::kCalloc:
    case Kind::kMemalign:
    case Kind::kPosixMemalign:
    case Kind::kAlignedAlloc:
    case Kind::kValloc:
    case Kind::kPvalloc:
      if (e.out == 0 || (k == Kind::kPosixMemalign && e.result != 0)) {
        ++failed_allocations_;
        s.action = HeapAction::kFailed;
        break;
      }
      s = Allocate(e, e.out, RequestedBytes(e));
      break;
    case Kind::kFree:
    case Kind::kFreeSized:
    case Kind::kFreeAligned:
    case Kind::kFreeSizedAligned:
      if (e.in == 0) {
        s.action = HeapAction::kFreeNull;
      } else if (Take(e.in, &s.old)) {
        s.action = HeapAction::kFree;
        Ended(s.old, e.seq);
      } else {
        ++unknown_frees_;
        s.action = HeapAction::kUnknownFree;
      }
      break;
    case Kind::kRealloc:
    case Kind::kReallocArray: {
      const uint64_t bytes = RequestedBytes(e);
      if (CountTimesSizeOverflows(e)) {
        ++failed_allocations_;  // count x size overflows: ENOMEM, nothing changed
        s.action = HeapAction::kFailed;
        break;
      }
      if (e.in == 0) {
        if (e.out == 0) {
          ++failed_allocations_;
          s.action = HeapAction::kFailed;
        } else {
          s = Allocate(e, e.out, bytes);
        }
        break;
      }
      if (!Holds(e.in)) {
        // Allocated before tracing began: there is nothing to resize, so the
        // new block is made from nothing.
        ++untraced_reallocs_;
        if (e.out != 0) {
          s = Allocate(e, e.out, bytes);
        } else {
          s.action = HeapAction::kUnknownFree;
        }
        s.untraced = true;
        break;
      }
      if (e.out == 0 && bytes != 0) {  // failed: p stays as it was
        ++failed_allocations_;
        s.action = HeapAction::kFailed;
        break;
      }
      Block b;
      Take(e.in, &b);
      if (e.out == 0) {  // realloc(p, 0) freed p (glibc)
        ++realloc_zero_frees_;
        s.action = HeapAction::kFree;
        s.realloc_zero = true;
        s.old = b;
        Ended(b, e.seq);
        break;
      }
      Claim(e.out);
      s.action = HeapAction::kResize;
      s.old = b;
      lifetimes_.Add(e.seq - b.seq);
      live_bytes_ += bytes - b.bytes;
      b.bytes = bytes;
      b.seq = e.seq;
      Block& now = live_[e.out];
      now = b;
      s.block = &now;
      sizes_.Add(bytes);
      break;
    }
    case Kind::kMallocUsableSize:
      if (e.in != 0) {
        if (auto it = live_.find(e.in); it != live_.end()) {
          s.action = HeapAction::kQuery;
          s.block = &it->second;
        }
      }
      break;
    default:
      break;
  }
  NotePeak(e.seq);
  return s;
}

}  // namespace alloclab::trace

#endif  // ALLOCLAB_TRACE_HEAP_HISTORY_H_
