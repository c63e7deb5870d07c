// Memory goes back to the kernel: after a decay time without malloc_trim,
// and all of it with malloc_trim(0), read from /proc/self/statm.
#include <malloc.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "malloc/arena.h"
#include "malloc/testing/anon_rss.h"
#include "malloc/testing/api_under_test.h"

namespace {

ALLOCLAB_USE_API_UNDER_TEST;

using alloclab::malloc::Arena;


using alloclab::malloc::testing::AnonRss;

constexpr size_t kMiB = 1 << 20;

TEST(Release, FreeingEverythingEndsNearTheStartingRss) {
  malloc_trim(0);
  const size_t start = AnonRss();
  std::vector<void*> blocks;
  size_t total = 0;
  for (int i = 0; total < 256 * kMiB; ++i) {
    const size_t n = i % 10 == 0 ? 4096 * (1 + i % 64) : 16 + (i * 37) % 2000;
    void* p = malloc(n);
    memset(p, 1, n);
    blocks.push_back(p);
    total += n;
  }
  EXPECT_GT(AnonRss(), start + 200 * kMiB);
  for (void* p : blocks) free(p);
  std::vector<void*>().swap(blocks);
  malloc_trim(0);
  const size_t end = AnonRss();
  if (alloclab::malloc::api_under_test::kInternalApi) {
    GTEST_SKIP() << "RSS includes the sanitizer's heap and shadow memory (" << (end > start ? end - start : 0) / kMiB
                 << " MiB more at the end): the default build checks it";
  }
  EXPECT_LT(end, start + 8 * kMiB) << "start " << start / kMiB << " MiB, end " << end / kMiB << " MiB";
}

TEST(Release, FreeBlocksGoBackAfterTheDecayWithoutTrim) {
  Arena::SetDecayMs(50);
  malloc_trim(0);
  // Long-lived small blocks between the runs keep every segment partly used,
  // so only purging free blocks inside segments can give the memory back.
  std::vector<void*> runs, pins;
  for (int i = 0; i < 2000; ++i) {
    void* p = malloc(64 << 10);
    memset(p, 1, 64 << 10);
    runs.push_back(p);
    if (i % 50 == 0) pins.push_back(malloc(40 << 10));
  }
  const size_t full = AnonRss();
  for (void* p : runs) free(p);
  // Frees that reach the arena after the decay time let it purge what stayed
  // free (a page run goes straight to its arena).
  for (int i = 0; i < 20; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    free(malloc(512 << 10));
  }
  const size_t after = AnonRss();
  EXPECT_LT(after + 100 * kMiB, full) << "full " << full / kMiB << " MiB, after decay " << after / kMiB << " MiB";
  for (void* p : pins) free(p);
  Arena::SetDecayMs(Arena::kDefaultDecayMs);
}

TEST(Release, AMallocFreeLoopDoesNotThrash) {
  // Within the decay time, freed pages stay: reallocating them costs no fault.
  Arena::SetDecayMs(60000);
  // Nothing left dirty by the tests before: free memory kept from them would
  // count against the arena's retained budget (Arena::kLargeFreePages), and
  // whether the decay had purged it depended on how fast they ran.
  malloc_trim(0);
  void* warm = malloc(256 << 10);
  memset(warm, 1, 256 << 10);
  free(warm);
  const size_t before = AnonRss();
  for (int i = 0; i < 1000; ++i) {
    void* p = malloc(256 << 10);
    static_cast<char*>(p)[0] = 1;
    free(p);
  }
  EXPECT_GE(AnonRss() + 64 * 4096, before) << "freed pages were handed back inside the decay time";
  Arena::SetDecayMs(Arena::kDefaultDecayMs);
}

TEST(Release, FreeingLargeBlocksKeepsLittleOfThemResident) {
  // A program that frees large blocks it will not reallocate (a shrinking
  // heap, or a buffer grown by copying it) gets most of their pages purged
  // at once, not after the decay time.
  Arena::SetDecayMs(60000);
  malloc_trim(0);
  constexpr size_t kBlock = 768 << 10;  // page runs, not huge blocks
  std::vector<void*> blocks;
  for (int i = 0; i < 12; ++i) {
    blocks.push_back(malloc(kBlock));
    memset(blocks.back(), 1, kBlock);
  }
  const size_t full = AnonRss();
  for (void* p : blocks) free(p);
  const size_t after = AnonRss();
  EXPECT_GT(full, after + 6 * kMiB) << "full " << full / 1024 << " KiB, after " << after / 1024 << " KiB";
  Arena::SetDecayMs(Arena::kDefaultDecayMs);
}

}  // namespace
