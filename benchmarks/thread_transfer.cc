// Thread churn with transfer: two threads, re-created for every iteration,
// each allocate objects of sizes drawn uniformly from 1 byte to 100 KB (small
// chunks up to page runs), keep a working set, hand some to the other thread
// through a shared array (whose previous occupant they free), free the rest,
// and exit. The next iteration's threads free what the last ones handed on.
// Measures whether an exiting thread's caches and the blocks other threads
// free later are reusable at once by the next threads, in time and in RSS.
//   thread_transfer [--iterations=50] [--ops=100000] [--max_size=100000]
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

namespace {

constexpr int kThreads = 2;
constexpr size_t kTransferSlots = 1024;
constexpr size_t kWorkingSet = 512;

// transfer[t]: what thread t hands to the other one.
std::atomic<void*> g_transfer[kThreads][kTransferSlots];

void Work(int t, uint64_t seed, int ops, size_t max_size) {
  std::mt19937_64 rng(seed);
  std::vector<void*> live(kWorkingSet, nullptr);
  for (int i = 0; i < ops; ++i) {
    const size_t size = 1 + rng() % max_size;
    auto* p = static_cast<unsigned char*>(std::malloc(size));
    if (p == nullptr) std::abort();
    p[0] = static_cast<unsigned char>(i);
    p[size - 1] = static_cast<unsigned char>(i);
    if (i % 4 == 0) {
      // Hand it on; free what the other thread handed on last.
      void* old = g_transfer[t][rng() % kTransferSlots].exchange(p);
      std::free(old);
      void* theirs = g_transfer[1 - t][rng() % kTransferSlots].exchange(nullptr);
      std::free(theirs);
    } else {
      void*& slot = live[rng() % kWorkingSet];
      std::free(slot);
      slot = p;
    }
  }
  for (void* p : live) std::free(p);
}

}  // namespace

int main(int argc, char** argv) {
  int iterations = 50, ops = 100000;
  size_t max_size = 100000;
  for (int i = 1; i < argc; ++i) {
    if (sscanf(argv[i], "--iterations=%d", &iterations) == 1 || sscanf(argv[i], "--ops=%d", &ops) == 1 ||
        sscanf(argv[i], "--max_size=%zu", &max_size) == 1) {
      continue;
    }
    std::fprintf(stderr, "usage: thread_transfer [--iterations=50] [--ops=100000] [--max_size=100000]\n");
    return 2;
  }
  if (iterations < 1 || ops < 1 || max_size < 1) return 2;
  for (int it = 0; it < iterations; ++it) {
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) threads.emplace_back(Work, t, static_cast<uint64_t>(it * kThreads + t), ops, max_size);
    for (auto& th : threads) th.join();
  }
  size_t left = 0;
  for (auto& side : g_transfer) {
    for (auto& slot : side) {
      left += slot.load() != nullptr;
      std::free(slot.exchange(nullptr));
    }
  }
  std::printf("%zu\n", left);
  return 0;
}
