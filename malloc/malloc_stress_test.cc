// Millions of random mixed operations checked against a reference model:
// every block is filled with a pattern of its own, checked before it is freed
// and after every realloc, and no two live blocks may overlap. Runs on the
// buddy allocator (malloc = "//malloc"), including the model's own memory;
// under asan through the internal API instead (api_under_test.h).
#include <malloc.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "malloc/testing/api_under_test.h"

namespace {

ALLOCLAB_USE_API_UNDER_TEST;

struct Block {
  uint8_t* p;
  size_t size;
  uint32_t seed;
};

// A pattern in the 8-byte words before the last byte (every word of small
// blocks, every 256th byte of large ones), plus the last byte: cheap, but
// catches overlaps, stale reuse and lost copies.
size_t Stride(size_t size) { return size <= 65536 ? 8 : 256; }

void Fill(const Block& b) {
  for (size_t i = 0; i + 8 < b.size; i += Stride(b.size)) {
    const uint64_t v = (uint64_t{b.seed} << 32) ^ i;
    std::memcpy(b.p + i, &v, 8);
  }
  if (b.size > 0) b.p[b.size - 1] = static_cast<uint8_t>(b.seed);
}

// Checks the pattern that b's seed wrote over `written` bytes, in the first
// `upto` bytes at b.p (less than written when a realloc shrank the block).
bool Verify(const Block& b, size_t written, size_t upto) {
  for (size_t i = 0; i + 8 < written && i + 8 <= upto; i += Stride(written)) {
    uint64_t v;
    std::memcpy(&v, b.p + i, 8);
    if (v != ((uint64_t{b.seed} << 32) ^ i)) return false;
  }
  if (written == 0 || upto < written) return true;
  return b.p[written - 1] == static_cast<uint8_t>(b.seed);
}

class Model {
 public:
  explicit Model(uint64_t seed) : rng_(seed) {}

  size_t DrawSize() {
    const uint64_t r = rng_() % 1000;
    if (r < 700) return rng_() % 257;            // small
    if (r < 950) return 257 + rng_() % 32000;    // pool classes
    if (r < 998) return 32769 + rng_() % 500000; // page runs
    return (1 << 20) + rng_() % (3 << 20);       // huge
  }

  void Add(Block b) {
    ASSERT_NE(b.p, nullptr);
    ASSERT_GE(malloc_usable_size(b.p), b.size);
    // No overlap with the neighbours in address order.
    auto next = ranges_.lower_bound(b.p);
    if (next != ranges_.end()) {
      ASSERT_LE(b.p + b.size, next->first) << "overlaps next block";
    }
    if (next != ranges_.begin()) {
      auto prev = std::prev(next);
      ASSERT_LE(prev->first + prev->second, b.p) << "overlaps previous block";
    }
    ranges_[b.p] = b.size == 0 ? 1 : b.size;
    Fill(b);
    live_.push_back(b);
  }

  Block Take(size_t i) {
    Block b = live_[i];
    live_[i] = live_.back();
    live_.pop_back();
    ranges_.erase(b.p);
    return b;
  }

  void Step() {
    const uint64_t op = rng_() % 100;
    const uint32_t seed = static_cast<uint32_t>(rng_());
    if (live_.empty() || op < 45 || (live_.size() < 2000 && op < 55)) {
      const size_t size = DrawSize();
      uint8_t* p;
      const uint64_t how = rng_() % 10;
      if (how < 6) {
        p = static_cast<uint8_t*>(malloc(size));
      } else if (how < 8) {
        p = static_cast<uint8_t*>(calloc(1, size));
        for (size_t i = 0; i < size; i += 997) ASSERT_EQ(p[i], 0) << "calloc not zeroed";
      } else {
        const size_t align = size_t{32} << (rng_() % 12);
        p = static_cast<uint8_t*>(aligned_alloc(align, size));
        ASSERT_EQ(reinterpret_cast<uintptr_t>(p) % align, 0u);
      }
      Add({p, size, seed});
    } else if (op < 80) {
      Block b = Take(rng_() % live_.size());
      ASSERT_TRUE(Verify(b, b.size, b.size)) << "block corrupted before free";
      free(b.p);
    } else {
      Block b = Take(rng_() % live_.size());
      const size_t size = DrawSize();
      auto* q = static_cast<uint8_t*>(realloc(b.p, size));
      if (size == 0) {
        ASSERT_EQ(q, nullptr) << "realloc(p, 0) frees";
        return;
      }
      ASSERT_TRUE(Verify({q, size, b.seed}, b.size, size)) << "realloc lost contents";
      Add({q, size, seed});
    }
  }

  void FreeAll() {
    while (!live_.empty()) {
      Block b = Take(live_.size() - 1);
      ASSERT_TRUE(Verify(b, b.size, b.size));
      free(b.p);
    }
  }

 private:
  std::mt19937_64 rng_;
  std::vector<Block> live_;
  std::map<uint8_t*, size_t> ranges_;
};

TEST(Stress, MillionsOfMixedOperations) {
  for (uint64_t seed : {1, 2, 3}) {
    Model m(seed);
    for (int i = 0; i < 400000; ++i) {
      m.Step();
      if (::testing::Test::HasFatalFailure()) return;
    }
    m.FreeAll();
  }
}

}  // namespace
