// Fuzz target of the allocator: the input is a program of allocation calls
// (malloc, calloc, realloc, reallocarray, free, memalign, posix_memalign,
// aligned_alloc, valloc, pvalloc, malloc_usable_size, malloc_trim, calls that
// must fail, and calls made from a second thread or a short-lived one) on 64
// slots, checked against a model: every block is aligned as asked, its
// usable size is at least the size requested and does not change, blocks
// never overlap, calloc's memory is zero, realloc keeps the contents, and a
// pattern written over each block's whole usable size is intact whenever the
// block is touched and when it is freed. Any violation aborts.
//
// The calls go to the buddy allocator: in the default build the binary runs
// on it (//malloc as its malloc, checked at start); under a sanitizer and
// under --config=fuzz, whose runtime owns the process's malloc, they go to
// the allocator's internal API (malloc/testing/api_under_test.h).
#include <dlfcn.h>
#include <malloc.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "malloc/testing/api_under_test.h"

namespace {

ALLOCLAB_USE_API_UNDER_TEST;

constexpr int kSlots = 64;
// Live requested bytes stay below this: inputs never exhaust memory.
constexpr size_t kBudget = size_t{48} << 20;

[[noreturn]] void Die(const char* what, int slot = -1, size_t a = 0, size_t b = 0) {
  std::fprintf(stderr, "malloc_fuzz: %s (slot %d, %zu, %zu)\n", what, slot, a, b);
  std::abort();
}

struct Block {
  uint8_t* p = nullptr;
  size_t size = 0;    // requested
  size_t usable = 0;  // malloc_usable_size at allocation
  uint64_t seed = 0;  // of the pattern over [p, p + usable)
};

Block g_slots[kSlots];
size_t g_live = 0;
uint64_t g_next_seed = 1;

uint8_t PatternByte(uint64_t seed, size_t i) {
  uint64_t x = (seed * 0x9e3779b97f4a7c15ull) ^ ((i >> 3) * 0xbf58476d1ce4e5b9ull);
  x ^= x >> 29;
  return static_cast<uint8_t>(x >> (8 * (i & 7)));
}

void FillRange(uint8_t* p, size_t from, size_t to, uint64_t seed) {
  size_t i = from;
  for (; i < to && (i & 7) != 0; ++i) p[i] = PatternByte(seed, i);
  for (; i + 8 <= to; i += 8) {
    uint64_t x = (seed * 0x9e3779b97f4a7c15ull) ^ ((i >> 3) * 0xbf58476d1ce4e5b9ull);
    x ^= x >> 29;
    std::memcpy(p + i, &x, 8);  // little-endian: byte k is PatternByte(seed, i + k)
  }
  for (; i < to; ++i) p[i] = PatternByte(seed, i);
}

size_t FirstBadInRange(const uint8_t* p, size_t from, size_t to, uint64_t seed) {
  for (size_t i = from; i < to; ++i) {
    if ((i & 7) == 0 && i + 8 <= to) {
      uint64_t x = (seed * 0x9e3779b97f4a7c15ull) ^ ((i >> 3) * 0xbf58476d1ce4e5b9ull);
      x ^= x >> 29;
      if (std::memcmp(p + i, &x, 8) == 0) {
        i += 7;
        continue;
      }
    }
    if (p[i] != PatternByte(seed, i)) return i;
  }
  return to;
}

// The parts of a block of n bytes that carry the pattern: all of a block up
// to 64 KiB; of a larger one, its first and last 4 KiB and the first 64 bytes
// of every page (filling megabytes on every op would make fuzzing crawl).
template <typename Fn>
void ForEachRange(size_t n, Fn fn) {
  constexpr size_t kWhole = 64 << 10, kEdge = 4096, kPage = 4096, kProbe = 64;
  if (n <= kWhole) {
    fn(0, n);
    return;
  }
  fn(0, kEdge);
  for (size_t at = kEdge; at + kProbe <= n - kEdge; at += kPage) fn(at, at + kProbe);
  fn(n - kEdge, n);
}

void Fill(uint8_t* p, size_t n, uint64_t seed) {
  ForEachRange(n, [&](size_t from, size_t to) { FillRange(p, from, to, seed); });
}

// The first index below limit where a block of n bytes filled by Fill no
// longer holds the pattern, or limit.
size_t FirstBad(const uint8_t* p, size_t n, uint64_t seed, size_t limit) {
  size_t bad = limit;
  ForEachRange(n, [&](size_t from, size_t to) {
    if (to > limit) to = limit;
    if (bad == limit && from < to) {
      const size_t b = FirstBadInRange(p, from, to, seed);
      if (b != to) bad = b;
    }
  });
  return bad;
}

void CheckIntact(int s) {
  const Block& b = g_slots[s];
  if (b.p == nullptr) return;
  const size_t bad = FirstBad(b.p, b.usable, b.seed, b.usable);
  if (bad != b.usable) Die("a live block's contents changed (overlap or corruption)", s, bad, b.usable);
}

bool Aligned(const void* p, size_t a) { return reinterpret_cast<uintptr_t>(p) % a == 0; }

// Checks a block just returned for slot s and takes it into the model.
void Adopt(int s, void* raw, size_t size, size_t align, bool zeroed) {
  uint8_t* p = static_cast<uint8_t*>(raw);
  if (p == nullptr) Die("an allocation within budget failed", s, size, align);
  if (!Aligned(p, align)) Die("a block is not aligned as required", s, size, align);
  const size_t usable = malloc_usable_size(p);
  if (usable < size) Die("malloc_usable_size is below the size requested", s, usable, size);
  for (int o = 0; o < kSlots; ++o) {
    const Block& b = g_slots[o];
    if (o == s || b.p == nullptr) continue;
    if (p < b.p + b.usable && b.p < p + usable) Die("two live blocks overlap", s, o, usable);
  }
  if (zeroed) {
    ForEachRange(size, [&](size_t from, size_t to) {
      for (size_t i = from; i < to; ++i) {
        if (p[i] != 0) Die("calloc returned memory that is not zero", s, i, size);
      }
    });
  }
  Block& b = g_slots[s];
  b.p = p;
  b.size = size;
  b.usable = usable;
  b.seed = g_next_seed++;
  Fill(p, usable, b.seed);
  g_live += size;
}

void Release(int s) {
  Block& b = g_slots[s];
  if (b.p == nullptr) return;
  CheckIntact(s);
  if (malloc_usable_size(b.p) != b.usable) Die("malloc_usable_size changed", s, b.usable);
  free(b.p);
  g_live -= b.size;
  b = Block();
}

// Reads the input front to back; past its end, zeros.
class Input {
 public:
  Input(const uint8_t* data, size_t size) : p_(data), end_(data + size) {}
  bool done() const { return p_ == end_; }
  uint8_t Byte() { return p_ < end_ ? *p_++ : 0; }
  uint16_t U16() { return static_cast<uint16_t>(Byte() | Byte() << 8); }
  // A size, mostly small, sometimes a page run or a huge block.
  size_t Size() {
    const uint8_t k = Byte();
    if (k < 128) return k & 63;                                   // 0..63
    if (k < 192) return ((k & 63) << 8 | Byte()) & 4095;          // up to a page
    const size_t v = static_cast<size_t>((k & 7) << 16 | U16());  // 19 bits
    if (k < 248) return v % (160 << 10);  // page runs, up to 160 KiB
    return (v << 4) % (6 << 20);          // huge blocks too, up to 6 MiB
  }
  // An alignment: a power of two up to 2 MiB.
  size_t Alignment() { return size_t{1} << (Byte() % 22); }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

// Runs one op of the program; may recurse once into another thread.
void Step(Input& in, int depth);

// A thread that runs ops on request, one at a time, while the main thread
// waits: blocks move between thread caches, deterministically.
class Helper {
 public:
  void Run(const std::function<void()>& fn) {
    std::unique_lock<std::mutex> lock(mu_);
    if (!thread_.joinable()) thread_ = std::thread([this] { Loop(); });
    work_ = &fn;
    cv_.notify_all();
    cv_.wait(lock, [this] { return work_ == nullptr; });
  }

 private:
  void Loop() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      cv_.wait(lock, [this] { return work_ != nullptr; });
      (*work_)();
      work_ = nullptr;
      cv_.notify_all();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  const std::function<void()>* work_ = nullptr;
  std::thread thread_;  // never joined: lives as long as the process
};

Helper* g_helper = new Helper();

void Allocate(Input& in, int s, uint8_t op) {
  size_t size = in.Size();
  if (g_slots[s].p != nullptr) Release(s);
  switch (op) {
    case 0:
      if (g_live + size > kBudget) return;
      Adopt(s, malloc(size), size, 16, false);
      return;
    case 1: {  // calloc(count, size / count)
      const size_t count = 1 + in.Byte() % 16;
      size /= count;
      if (g_live + count * size > kBudget) return;
      Adopt(s, calloc(count, size), count * size, 16, true);
      return;
    }
    case 2: {  // memalign (non-powers of two round up), aligned_alloc, posix_memalign
      size_t align = in.Alignment();
      const uint8_t which = in.Byte() % 4;
      if (g_live + size > kBudget) return;
      if (which == 0) {
        if (align > 2) align += in.Byte() % (align - 1);  // rounds up to 2 * align's power
        size_t want = 1;
        while (want < align) want <<= 1;
        Adopt(s, memalign(align, size), size, want, false);
      } else if (which == 1) {
        Adopt(s, aligned_alloc(align, size), size, align, false);
      } else if (which == 2) {
        void* p = nullptr;
        const int rc = posix_memalign(&p, align, size);
        if (align < sizeof(void*)) {
          if (rc != EINVAL || p != nullptr) Die("posix_memalign takes an alignment below sizeof(void*)", s, align);
          return;
        }
        if (rc != 0) Die("posix_memalign failed within budget", s, size, align);
        Adopt(s, p, size, align, false);
      } else {
        // An alignment that is not a power of two.
        const size_t bad = align * 3;
        errno = 0;
        if (aligned_alloc(bad, size) != nullptr || errno != EINVAL) Die("aligned_alloc accepts a bad alignment", s, bad);
        void* p = reinterpret_cast<void*>(1);
        if (posix_memalign(&p, bad, size) != EINVAL || p != reinterpret_cast<void*>(1)) {
          Die("posix_memalign accepts a bad alignment", s, bad);
        }
      }
      return;
    }
    default: {  // valloc, pvalloc
      const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
      if (g_live + size + page > kBudget) return;
      if (op == 3) {
        Adopt(s, valloc(size), size, page, false);
      } else {
        const size_t rounded = size == 0 ? page : (size + page - 1) / page * page;
        Adopt(s, pvalloc(size), rounded, page, false);
      }
      return;
    }
  }
}

void Resize(Input& in, int s, bool array) {
  size_t size = in.Size();
  size_t count = 1;
  if (array) {
    count = 1 + in.Byte() % 8;
    size /= count;
  }
  const size_t total = count * size;
  Block& b = g_slots[s];
  if (g_live - b.size + total > kBudget) return;
  if (b.p != nullptr) CheckIntact(s);
  void* q = array ? reallocarray(b.p, count, size) : realloc(b.p, total);
  if (total == 0 && b.p != nullptr) {  // realloc(p, 0) frees p and returns NULL
    if (q != nullptr) Die("realloc(p, 0) returned a block", s);
    g_live -= b.size;
    b = Block();
    return;
  }
  const Block old = b;
  const size_t keep = old.size < total ? old.size : total;
  if (q == nullptr) Die("realloc within budget failed", s, total);
  const size_t bad = FirstBad(static_cast<const uint8_t*>(q), old.usable, old.seed, keep);
  if (bad != keep) Die("realloc lost the block's contents", s, bad, keep);
  g_live -= old.size;
  b = Block();
  Adopt(s, q, total, 16, false);
}

// Calls that must fail, leaving everything as it was.
// Hides a size from the compiler, which rejects calls it can see are absurd.
size_t Opaque(size_t n) {
  volatile size_t v = n;
  return v;
}

void MustFail(Input& in, int s) {
  const size_t big = Opaque(SIZE_MAX - in.Byte() * size_t{4096});
  errno = 0;
  switch (in.Byte() % 6) {
    case 0:
      if (malloc(big) != nullptr || errno != ENOMEM) Die("malloc(huge) did not fail with ENOMEM", s, big);
      break;
    case 1:
      if (calloc(big / 2 + 2, 2) != nullptr || errno != ENOMEM) Die("calloc overflow did not fail", s, big);
      break;
    case 2:
      if (reallocarray(g_slots[s].p, big / 2 + 2, 2) != nullptr || errno != ENOMEM) {
        Die("reallocarray overflow did not fail", s, big);
      }
      CheckIntact(s);
      break;
    case 3:
      if (realloc(g_slots[s].p, big) != nullptr || errno != ENOMEM) Die("realloc(p, huge) did not fail", s, big);
      CheckIntact(s);
      break;
    case 4:
      if (memalign(64, big) != nullptr) Die("memalign(huge) did not fail", s, big);
      break;
    default: {
      void* p = nullptr;
      if (posix_memalign(&p, 4096, big) != ENOMEM || p != nullptr) Die("posix_memalign(huge) did not fail", s, big);
      break;
    }
  }
}

void Step(Input& in, int depth) {
  const uint8_t op = in.Byte();
  const int s = in.Byte() % kSlots;
  switch (op % 16) {
    case 0: case 1: case 2: case 3:  // malloc: the common case
      Allocate(in, s, 0);
      break;
    case 4: Allocate(in, s, 1); break;
    case 5: Allocate(in, s, 2); break;
    case 6: Allocate(in, s, static_cast<uint8_t>(3 + in.Byte() % 2)); break;
    case 7: case 8: Release(s); break;
    case 9: Resize(in, s, false); break;
    case 10: Resize(in, s, true); break;
    case 11: {
      CheckIntact(s);
      const Block& b = g_slots[s];
      if (malloc_usable_size(b.p) != b.usable) Die("malloc_usable_size changed", s, b.usable);
      break;
    }
    case 12: MustFail(in, s); break;
    case 13:  // the next op on the helper thread
      if (depth == 0) g_helper->Run([&] { Step(in, 1); });
      break;
    case 14:  // the next few ops on a thread that then exits (its cache goes back)
      if (depth == 0) {
        const int n = 1 + s % 8;
        std::thread([&] {
          for (int i = 0; i < n; ++i) Step(in, 1);
        }).join();
      }
      break;
    default:
      if (op == 255) malloc_trim(0);
      free(nullptr);
      break;
  }
}

// Whether malloc is the one linked into this executable (ours), not libc's.
bool RunsOnOurAllocator() {
  if (alloclab::malloc::api_under_test::kInternalApi) return true;
  Dl_info self, m;
  void* (*fn)(size_t) = &::malloc;
  return dladdr(reinterpret_cast<void*>(&RunsOnOurAllocator), &self) != 0 &&
         dladdr(reinterpret_cast<void*>(fn), &m) != 0 && self.dli_fbase == m.dli_fbase;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (!RunsOnOurAllocator()) Die("this binary does not run on the buddy allocator (link //malloc)");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in(data, size);
  while (!in.done()) Step(in, 0);
  for (int s = 0; s < kSlots; ++s) Release(s);
  if (g_live != 0) Die("the model's byte count is off", -1, g_live);
  return 0;
}
