// Large-block churn: blocks of 1 to 32 MiB allocated, written through and
// freed over and over, a handful live at once (image and video buffers,
// compression windows, a database's sort runs). What it measures is what an
// allocator does with a freed huge block: a fresh mmap and a page fault per
// page every time, or memory kept for the next one.
// With --threads=T, T threads do that each (their own blocks), at once: a
// server's worker threads with a buffer each; an allocator whose remedy for
// freed huge blocks takes the address-space lock (mremap, munmap) stalls the
// other threads' page faults.
//   large_blocks [--iterations=N] [--live=K] [--min_mib=1] [--max_mib=32] [--threads=1]
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

namespace {

// One thread's churn; returns a checksum of what it read back.
uint64_t Churn(int iterations, int live, uint64_t min_mib, uint64_t max_mib, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<unsigned char*> slots(static_cast<size_t>(live), nullptr);
  std::vector<size_t> sizes(slots.size(), 0);
  uint64_t sum = 0;
  for (int i = 0; i < iterations; ++i) {
    const size_t j = rng() % slots.size();
    if (slots[j] != nullptr) sum += slots[j][sizes[j] / 2];
    std::free(slots[j]);
    // Any size in the range, not page multiples.
    const size_t size = (min_mib << 20) + rng() % (((max_mib - min_mib) << 20) + 1) + rng() % 4096;
    auto* p = static_cast<unsigned char*>(std::malloc(size));
    if (p == nullptr) std::abort();
    std::memset(p, i & 0xff, size);
    slots[j] = p;
    sizes[j] = size;
  }
  for (unsigned char* p : slots) std::free(p);
  return sum;
}

}  // namespace

int main(int argc, char** argv) {
  int iterations = 400, live = 4, threads = 1;
  uint64_t min_mib = 1, max_mib = 32;
  for (int i = 1; i < argc; ++i) {
    if (sscanf(argv[i], "--iterations=%d", &iterations) == 1 || sscanf(argv[i], "--live=%d", &live) == 1 ||
        sscanf(argv[i], "--min_mib=%lu", &min_mib) == 1 || sscanf(argv[i], "--max_mib=%lu", &max_mib) == 1 ||
        sscanf(argv[i], "--threads=%d", &threads) == 1) {
      continue;
    }
    std::fprintf(stderr, "usage: large_blocks [--iterations=N] [--live=K] [--min_mib=1] [--max_mib=32] [--threads=1]\n");
    return 2;
  }
  if (iterations < 1 || live < 1 || min_mib < 1 || max_mib < min_mib || threads < 1) return 2;
  // Thread 0 runs on the main thread: one thread is the program it was.
  std::vector<uint64_t> sums(static_cast<size_t>(threads), 0);
  std::vector<std::thread> others;
  for (int t = 1; t < threads; ++t) {
    others.emplace_back([&, t] { sums[static_cast<size_t>(t)] = Churn(iterations, live, min_mib, max_mib, 42 + static_cast<uint64_t>(t)); });
  }
  sums[0] = Churn(iterations, live, min_mib, max_mib, 42);
  for (auto& th : others) th.join();
  uint64_t sum = 0;
  for (uint64_t x : sums) sum += x;
  std::printf("%lu\n", static_cast<unsigned long>(sum));
  return 0;
}
