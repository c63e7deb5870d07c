// Micro benchmarks of the allocation API. The binary uses whatever malloc it
// runs on, so benchmarks/compare_allocators.py runs it under LD_PRELOAD of
// each allocator in turn:
//   ./bazelw run //benchmarks:compare_allocators -- --suite=micro
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include "benchmark/benchmark.h"

namespace {

void BM_MallocFree(benchmark::State& state) {
  const size_t size = static_cast<size_t>(state.range(0));
  for (auto _ : state) {
    void* p = malloc(size);
    benchmark::DoNotOptimize(p);
    free(p);
  }
}
BENCHMARK(BM_MallocFree)->Arg(16)->Arg(64)->Arg(256)->Arg(1024)->Arg(4096)->Arg(32768)->Arg(100000)->Arg(1 << 20);

// Many blocks live at once, freed in allocation order (FIFO) or reverse.
void BM_BatchThenFree(benchmark::State& state) {
  const size_t size = static_cast<size_t>(state.range(0));
  const bool fifo = state.range(1) != 0;
  std::vector<void*> blocks(1000);
  for (auto _ : state) {
    for (auto& p : blocks) p = malloc(size);
    if (fifo) {
      for (void* p : blocks) free(p);
    } else {
      for (size_t i = blocks.size(); i-- > 0;) free(blocks[i]);
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(blocks.size()));
}
BENCHMARK(BM_BatchThenFree)->Args({32, 0})->Args({32, 1})->Args({200, 1})->Args({2000, 1});

// A vector that grows by doubling, through realloc.
void BM_ReallocGrowth(benchmark::State& state) {
  for (auto _ : state) {
    void* p = nullptr;
    for (size_t n = 16; n <= (size_t{1} << 20); n *= 2) {
      p = realloc(p, n);
      static_cast<char*>(p)[n - 1] = 1;
    }
    free(p);
  }
}
BENCHMARK(BM_ReallocGrowth);

void BM_Calloc(benchmark::State& state) {
  const size_t size = static_cast<size_t>(state.range(0));
  for (auto _ : state) {
    void* p = calloc(1, size);
    benchmark::DoNotOptimize(p);
    free(p);
  }
}
BENCHMARK(BM_Calloc)->Arg(64)->Arg(4096)->Arg(65536);

// Random sizes and lifetimes over 4096 slots: what a program's heap sees.
void BM_RandomMix(benchmark::State& state) {
  std::mt19937_64 rng(42);
  std::vector<void*> slots(4096, nullptr);
  std::vector<uint32_t> sizes(1 << 16);
  for (auto& s : sizes) {
    const uint64_t r = rng() % 100;
    s = static_cast<uint32_t>(r < 80 ? 8 + rng() % 248 : r < 98 ? 256 + rng() % 4000 : 4096 + rng() % 60000);
  }
  size_t i = 0;
  for (auto _ : state) {
    const size_t slot = (i * 2654435761u) % slots.size();
    free(slots[slot]);
    slots[slot] = malloc(sizes[i % sizes.size()]);
    ++i;
  }
  for (void* p : slots) free(p);
}
BENCHMARK(BM_RandomMix);

}  // namespace

BENCHMARK_MAIN();
