// GenerateSynthetic: a small simulated program and allocator.
#include "trace/synthetic.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace alloclab::trace {
namespace {

struct Block {
  uint64_t address;  // as returned to the program
  uint64_t size;     // as taken from the heap (alignment slack included)
  int owner;         // allocating thread
  uint64_t heap_address;
};

// A simulated allocator that hands out realistic, reused addresses: 16-byte
// size classes up to 1 KiB, power-of-two classes above, per-class LIFO free
// lists and a bump pointer per thread arena; large blocks get their own
// "mmap" region.
class FakeHeap {
 public:
  explicit FakeHeap(int threads)
      : bump_(threads), free_(threads, std::vector<std::vector<uint64_t>>(kClasses)) {
    for (int t = 0; t < threads; ++t) {
      bump_[t] = (t == 0 ? 0x55d4c0a00000ull : 0x7f3a00000000ull + (uint64_t(t) << 28));
    }
  }
  uint64_t Allocate(int thread, uint64_t size) {
    if (size > (256 << 10)) {
      mmap_top_ -= (size + 4095) & ~4095ull;
      return mmap_top_;
    }
    const int cls = Class(size);
    auto& list = free_[thread][cls];
    if (!list.empty()) {
      uint64_t a = list.back();
      list.pop_back();
      return a;
    }
    uint64_t a = bump_[thread];
    bump_[thread] += ClassSize(cls);
    return a;
  }
  void Free(const Block& b) {
    if (b.size > (256 << 10)) return;
    free_[b.owner][Class(b.size)].push_back(b.heap_address);
  }

 private:
  static int Class(uint64_t size) {
    if (size <= 1024) return static_cast<int>((size + 15) / 16);
    int c = 64;
    for (uint64_t s = 1024; s < size; s <<= 1) ++c;
    return c;
  }
  static uint64_t ClassSize(int cls) { return cls <= 64 ? uint64_t(cls) * 16 : uint64_t{1024} << (cls - 64); }

  static constexpr int kClasses = 96;

  std::vector<uint64_t> bump_;                            // per thread
  std::vector<std::vector<std::vector<uint64_t>>> free_;  // per thread, per class
  uint64_t mmap_top_ = 0x7ff000000000ull;
};

class Generator {
 public:
  Generator(const SyntheticOptions& o, const std::function<void(const Event&)>& sink)
      : o_(o), sink_(sink), rng_(o.seed), heap_(o.threads), live_(o.threads) {
    // A few hot sizes per program, as call sites repeat theirs.
    for (int i = 0; i < 64; ++i) hot_sizes_.push_back(DrawSize());
  }

  void Run() {
    for (int t = 0; t < o_.threads; ++t) Emit(t, Kind::kThreadStart);
    int thread = 0;
    uint64_t burst = 0;
    while (emitted_ < o_.events) {
      if (burst == 0) {
        thread = static_cast<int>(Uniform(o_.threads));
        burst = 20 + Uniform(400);
      }
      --burst;
      Step(thread);
    }
    for (int t = 0; t < o_.threads; ++t) {
      while (!live_[t].empty()) FreeAt(t, t, live_[t].size() - 1);
      Emit(t, Kind::kThreadExit);
    }
  }

 private:
  uint64_t Uniform(uint64_t n) { return rng_() % n; }
  double Unit() { return (rng_() >> 11) * (1.0 / 9007199254740992.0); }

  uint64_t DrawSize() {
    const double u = Unit();
    if (u < 0.60) return 8 + 8 * Uniform(16);         // 8..128
    if (u < 0.90) return 128 + Uniform(3968);          // ..4 KiB
    if (u < 0.99) return 4096 + Uniform(60 << 10);     // ..64 KiB
    return (64 << 10) + Uniform(960 << 10);            // ..1 MiB
  }
  uint64_t Size() { return Unit() < 0.8 ? hot_sizes_[Uniform(8) * Uniform(8)] : DrawSize(); }

  Event Base(int t, Kind kind) {
    Event e;
    e.kind = kind;
    e.thread_id = 1000 + static_cast<uint64_t>(t);
    e.seq = ++seq_;
    // One clock for all threads; exponential gaps, as calls cluster.
    now_ += static_cast<uint64_t>(-std::log(1.0 - Unit()) * o_.ns_per_event) + 1;
    e.time = now_;
    return e;
  }
  void Emit(int t, Kind kind) {
    sink_(Base(t, kind));
    ++emitted_;
  }
  void Send(const Event& e) {
    sink_(e);
    ++emitted_;
  }

  void Allocate(int t, Kind kind) {
    Event e = Base(t, kind);
    uint64_t size = Size();
    switch (kind) {
      case Kind::kCalloc:
        e.count = 1 + Uniform(4);
        e.size = (size + e.count - 1) / e.count;
        size = e.count * e.size;
        break;
      case Kind::kMemalign:
      case Kind::kAlignedAlloc:
      case Kind::kPosixMemalign:
        e.alignment = uint64_t{32} << Uniform(8);
        e.size = size;
        break;
      default:
        e.size = size;
    }
    // Aligned blocks take their slack from the heap, as real allocators do.
    const uint64_t heap_size = size + (e.alignment > 16 ? e.alignment : 0);
    const uint64_t heap_address = heap_.Allocate(t, heap_size);
    e.out = e.alignment != 0 ? (heap_address + e.alignment - 1) & ~(e.alignment - 1) : heap_address;
    live_[t].push_back({e.out, heap_size, t, heap_address});
    Send(e);
  }

  void FreeAt(int t, int list, size_t index) {
    auto& blocks = live_[list];
    Block b = blocks[index];
    blocks[index] = blocks.back();
    blocks.pop_back();
    Event e = Base(t, Kind::kFree);
    e.in = b.address;
    heap_.Free(b);
    Send(e);
  }

  void Step(int t) {
    auto& mine = live_[t];
    const double u = Unit();
    // Keep the live set around a few thousand blocks: free more when big.
    const double free_bias = mine.size() < 64 ? 0.2 : mine.size() > 4096 ? 0.7 : 0.47;
    if (u < free_bias && !mine.empty()) {
      int list = t;
      if (o_.threads > 1 && Unit() < o_.cross_thread_free_fraction) {
        list = static_cast<int>(Uniform(o_.threads));
        if (live_[list].empty()) list = t;
      }
      auto& blocks = live_[list];
      // Mostly the newest block (LIFO), sometimes an old one.
      const size_t n = blocks.size();
      const size_t index = Unit() < 0.7 ? n - 1 - Uniform(std::min<size_t>(n, 4)) : Uniform(n);
      FreeAt(t, list, index);
      return;
    }
    const double k = Unit();
    if (k < 0.90) {
      Allocate(t, Kind::kMalloc);
    } else if (k < 0.94) {
      Allocate(t, Kind::kCalloc);
    } else if (k < 0.99 && !mine.empty()) {
      Block& b = mine[mine.size() - 1 - Uniform(std::min<size_t>(mine.size(), 8))];
      Event e = Base(t, Kind::kRealloc);
      e.in = b.address;
      // Grow or shrink, mostly grow, within the size model's range.
      e.size = std::min<uint64_t>(b.size / 2 + 1 + Uniform(b.size * 2 + 64), 1 << 20);
      heap_.Free(b);
      e.out = heap_.Allocate(t, e.size);
      b = {e.out, e.size, t, e.out};
      Send(e);
    } else if (k < 0.995) {
      Allocate(t, Unit() < 0.5 ? Kind::kPosixMemalign : Kind::kAlignedAlloc);
    } else if (!mine.empty()) {
      Event e = Base(t, Kind::kMallocUsableSize);
      e.in = mine.back().address;
      e.result = (mine.back().size + 15) & ~15ull;
      Send(e);
    } else {
      Allocate(t, Kind::kMalloc);
    }
  }

  const SyntheticOptions& o_;
  const std::function<void(const Event&)>& sink_;
  std::mt19937_64 rng_;
  FakeHeap heap_;
  std::vector<std::vector<Block>> live_;
  std::vector<uint64_t> hot_sizes_;
  uint64_t seq_ = 0;
  uint64_t now_ = 0;
  uint64_t emitted_ = 0;
};

}  // namespace

void GenerateSynthetic(const SyntheticOptions& options,
                       const std::function<void(const Event&)>& sink) {
  Generator(options, sink).Run();
}

}  // namespace alloclab::trace
