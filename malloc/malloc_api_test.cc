// Conformance of the public API with glibc's documented semantics. Linked
// with malloc = "//malloc", so every call here (gtest's own included) goes to
// the buddy allocator.
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace {

// Hides a size from the compiler, which would otherwise reject (or fold)
// calls whose arguments it can see are absurd.
size_t Opaque(size_t n) {
  volatile size_t v = n;
  return v;
}

bool Aligned(const void* p, size_t a) { return reinterpret_cast<uintptr_t>(p) % a == 0; }

// Fills [p, p+n) with a pattern of seed and checks it.
void Fill(void* p, size_t n, uint8_t seed) {
  auto* b = static_cast<uint8_t*>(p);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(seed + i * 31);
}
bool Check(const void* p, size_t n, uint8_t seed) {
  const auto* b = static_cast<const uint8_t*>(p);
  for (size_t i = 0; i < n; ++i) {
    if (b[i] != static_cast<uint8_t>(seed + i * 31)) return false;
  }
  return true;
}

// Sizes that cover every size class boundary, page runs and huge blocks.
std::vector<size_t> InterestingSizes() {
  std::vector<size_t> sizes = {0, 1, 7, 8, 15, 16, 17, 24, 100, 255, 256, 257, 1000, 1024, 1025};
  for (size_t s = 2048; s <= (size_t{8} << 20); s *= 2) {
    for (size_t d : {s - 1, s, s + 1, s + s / 3}) sizes.push_back(d);
  }
  return sizes;
}

TEST(Malloc, ThisBinaryRunsOnTheBuddyAllocator) {
  // 100 bytes round up to our 112-byte class; glibc would report 104.
  void* p = malloc(100);
  EXPECT_EQ(malloc_usable_size(p), 112u);
  free(p);
}

TEST(Malloc, SixteenByteAlignedAndUsable) {
  for (size_t size : InterestingSizes()) {
    void* p = malloc(size);
    ASSERT_NE(p, nullptr) << size;
    EXPECT_TRUE(Aligned(p, 16)) << size;
    const size_t usable = malloc_usable_size(p);
    EXPECT_GE(usable, size);
    Fill(p, usable, 3);  // every usable byte may be written
    EXPECT_TRUE(Check(p, usable, 3));
    free(p);
  }
}

TEST(Malloc, ZeroSizeGivesDistinctPointers) {
  void* a = malloc(0);
  void* b = malloc(0);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_NE(a, b);
  free(a);
  free(b);
}

TEST(Malloc, BlocksDoNotOverlap) {
  std::vector<std::pair<uint8_t*, size_t>> blocks;
  for (int round = 0; round < 3; ++round) {
    for (size_t size : InterestingSizes()) {
      if (size > (1 << 20)) continue;
      auto* p = static_cast<uint8_t*>(malloc(size));
      const size_t n = malloc_usable_size(p);
      Fill(p, n, static_cast<uint8_t>(blocks.size()));
      blocks.push_back({p, n});
    }
  }
  for (size_t i = 0; i < blocks.size(); ++i) {
    EXPECT_TRUE(Check(blocks[i].first, blocks[i].second, static_cast<uint8_t>(i))) << i;
  }
  for (auto& b : blocks) free(b.first);
}

// A fresh thread's blocks of one size come out in ascending address order
// (pool.h: a batch is handed over highest first), so that objects allocated
// one after another and walked in that order are walked forwards.
TEST(Malloc, ConsecutiveBlocksAscend) {
  std::vector<uintptr_t> addresses;
  std::thread([&] {
    for (int i = 0; i < 200; ++i) addresses.push_back(reinterpret_cast<uintptr_t>(malloc(208)));
  }).join();
  int ascending = 0;
  for (size_t i = 1; i < addresses.size(); ++i) ascending += addresses[i] > addresses[i - 1];
  EXPECT_GE(ascending, 190) << "a new batch or slab may start lower; within one they ascend";
  for (uintptr_t a : addresses) free(reinterpret_cast<void*>(a));
}

TEST(Malloc, FailsWithEnomem) {
  for (size_t size : {SIZE_MAX, SIZE_MAX / 2, size_t{1} << 62, size_t{1} << 50}) {
    errno = 0;
    EXPECT_EQ(malloc(Opaque(size)), nullptr) << size;
    EXPECT_EQ(errno, ENOMEM);
  }
}

TEST(Free, NullIsANoOp) { free(nullptr); }

TEST(Free, KeepsErrno) {
  for (size_t size : {size_t{16}, size_t{100000}, size_t{8} << 20}) {
    void* p = malloc(size);
    errno = 1234;
    free(p);
    EXPECT_EQ(errno, 1234) << size;
  }
}

TEST(FreeDeathTest, InvalidPointersAbortWithOneLine) {
  int on_stack = 0;
  EXPECT_DEATH(free(&on_stack), "free\\(\\): invalid pointer");
  void* run = malloc(100000);
  EXPECT_DEATH(free(static_cast<char*>(run) + 4096), "free\\(\\): invalid pointer");
  EXPECT_DEATH(
      {
        void* r = realloc(&on_stack, 10);
        free(r);
      },
      "realloc\\(\\): invalid pointer");
  EXPECT_DEATH(malloc_usable_size(&on_stack), "malloc_usable_size\\(\\): invalid pointer");
  free(run);
}

TEST(FreeDeathTest, InteriorPointersOfChunksAbort) {
  for (size_t size : {16ul, 48ul, 100ul, 1000ul, 5000ul, 20000ul}) {
    char* p = static_cast<char*>(malloc(size));
    EXPECT_DEATH(free(p + 8), "free\\(\\): invalid pointer \\(inside a block\\)") << size;
    EXPECT_DEATH(free(p + size / 2 + 1), "free\\(\\): invalid pointer") << size;
    EXPECT_DEATH(
        {
          void* r = realloc(p + 8, 10);
          free(r);
        },
        "realloc\\(\\): invalid pointer")
        << size;
    free(p);
  }
}

TEST(MallocApi, AlignedChunksOfClassesWithSpareBytesInFrontStayAligned) {
  // 96-byte chunks: 42 in a page, 64 spare bytes before the first one (a
  // multiple of 32); 192: 21 and 64; 384: 10 and 256 (a multiple of 128).
  for (const auto& [align, size] : {std::pair<size_t, size_t>{32, 96}, {64, 192}, {128, 384}}) {
    std::vector<void*> blocks;
    for (int i = 0; i < 200; ++i) {
      void* p = aligned_alloc(align, size);
      ASSERT_NE(p, nullptr);
      EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % align, 0u) << align << " " << size;
      blocks.push_back(p);
    }
    for (void* p : blocks) free(p);
  }
}

TEST(FreeDeathTest, APointerOnTheChunkGridPastASlabsLastChunkAborts) {
  // 48-byte chunks: 85 in a one-page slab, 16 bytes spare. Were the spare
  // bytes at the slab's end, page + 85 x 48 would be where an 86th chunk
  // starts, and free would cache a chunk reaching into the next page.
  char* p = static_cast<char*>(malloc(48));
  char* page = reinterpret_cast<char*>(reinterpret_cast<uintptr_t>(p) & ~uintptr_t{4095});
  EXPECT_DEATH(free(page + 85 * 48), "free\\(\\): invalid pointer");
  free(p);
}

TEST(FreeDeathTest, DoubleFreeOfACachedChunkAborts) {
  for (size_t size : {16ul, 200ul, 3000ul, 30000ul}) {
    EXPECT_DEATH(
        {
          void* p = malloc(size);
          free(p);
          free(p);
        },
        "free\\(\\): double free detected")
        << size;
  }
}

TEST(FreeDeathTest, DoubleFreeAfterTheCacheDrainedAborts) {
  // The first free's chunk leaves the thread cache (a full bin drains to the
  // arena, malloc_trim empties everything) before the second free.
  EXPECT_DEATH(
      {
        void* p = malloc(64);
        free(p);
        std::vector<void*> many;
        for (int i = 0; i < 5000; ++i) many.push_back(malloc(64));
        for (void* q : many) free(q);
        malloc_trim(0);
        free(p);
      },
      "double free detected");
  EXPECT_DEATH(
      {
        void* p = malloc(64);
        free(p);
        malloc_trim(0);
        void* r = realloc(p, 100);
        free(r);
      },
      "realloc\\(\\): double free detected");
}

TEST(FreeDeathTest, DoubleFreeOfAPageRunAborts) {
  EXPECT_DEATH(
      {
        void* p = malloc(300000);
        free(p);
        free(p);
      },
      "free\\(\\): double free detected");
}

TEST(FreeDeathTest, PointersFromAnotherAllocatorAbort) {
  // Memory from mmap (as another allocator's heap would be) is not ours.
  void* other = mmap(nullptr, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(other, MAP_FAILED);
  EXPECT_DEATH(free(static_cast<char*>(other) + 64), "free\\(\\): invalid pointer");
  EXPECT_DEATH(free(other), "free\\(\\): invalid pointer");
  munmap(other, 1 << 20);
}

TEST(Free, AValueThatLooksLikeTheFreeKeyIsNotADoubleFree) {
  // A live block whose second word happens to hold anything at all is freed
  // normally: the key only triggers the search, the search decides.
  for (int i = 0; i < 1000; ++i) {
    auto* p = static_cast<uint64_t*>(malloc(32));
    p[0] = ~0ull;
    p[1] = static_cast<uint64_t>(i) * 0x9e3779b97f4a7c15ull;
    free(p);
  }
}

TEST(Calloc, ZeroesRecycledMemory) {
  for (size_t size : InterestingSizes()) {
    void* dirty = malloc(size);
    memset(dirty, 0xAB, size);
    free(dirty);
    auto* p = static_cast<uint8_t*>(calloc(1, size));
    ASSERT_NE(p, nullptr);
    for (size_t i = 0; i < size; ++i) ASSERT_EQ(p[i], 0) << size << " at " << i;
    free(p);
  }
}

TEST(Calloc, DetectsOverflow) {
  errno = 0;
  EXPECT_EQ(calloc(Opaque(SIZE_MAX / 2), 3), nullptr);
  EXPECT_EQ(errno, ENOMEM);
  errno = 0;
  EXPECT_EQ(calloc(Opaque(size_t{1} << 33), Opaque(size_t{1} << 33)), nullptr);
  EXPECT_EQ(errno, ENOMEM);
}

TEST(Reallocarray, DetectsOverflow) {
  void* p = malloc(10);
  errno = 0;
  void* failed = reallocarray(p, Opaque(SIZE_MAX / 2), 3);
  EXPECT_EQ(failed, nullptr);
  EXPECT_EQ(errno, ENOMEM);
  void* q = reallocarray(failed == nullptr ? p : failed, 10, 10);  // p is still valid
  ASSERT_NE(q, nullptr);
  free(q);
}

TEST(Realloc, NullMallocsAndZeroFrees) {
  void* p = realloc(nullptr, 100);
  ASSERT_NE(p, nullptr);
  EXPECT_GE(malloc_usable_size(p), 100u);
  EXPECT_EQ(realloc(p, 0), nullptr);
}

TEST(Realloc, PreservesContentsAcrossEverySizePair) {
  const std::vector<size_t> sizes = {1, 16, 100, 1000, 5000, 40000, 300000, 1 << 20, 3 << 20};
  for (size_t from : sizes) {
    for (size_t to : sizes) {
      void* p = malloc(from);
      Fill(p, from, 7);
      void* q = realloc(p, to);
      ASSERT_NE(q, nullptr);
      EXPECT_TRUE(Check(q, from < to ? from : to, 7)) << from << " -> " << to;
      EXPECT_GE(malloc_usable_size(q), to);
      free(q);
    }
  }
}

TEST(Realloc, ShrinksInPlace) {
  void* small = malloc(100);
  EXPECT_EQ(realloc(small, 90), small);
  void* run = malloc(200000);
  EXPECT_EQ(realloc(run, 150000), run);
  void* huge = malloc(8 << 20);
  Fill(huge, 4 << 20, 9);
  void* shrunk = realloc(huge, 6 << 20);
  EXPECT_TRUE(Check(shrunk, 4 << 20, 9));
  free(small);
  free(run);
  free(shrunk);
}

TEST(Realloc, GrowsARunInPlaceWhenThePagesAfterAreFree) {
  // A 50-page run is cut from a 64-page buddy block; the 14 pages after it
  // go back free, so growing into them needs no copy.
  void* run = malloc(50 * 4096);
  void* grown = realloc(run, 60 * 4096);
  EXPECT_EQ(grown, run);
  free(grown);
}

TEST(Realloc, AGrowingArrayGetsHeadroom) {
  // A Python list growing by an eighth at a time from 33 KB to 1 MB (28
  // steps), while the program allocates small objects in between: those
  // take the pages right after the array, so it can rarely grow in place and
  // without headroom moves (and copies itself) at every step. With a quarter
  // more each time it moves, every other step fits where it is.
  size_t size = 33 << 10;
  char* array = static_cast<char*>(malloc(size));
  Fill(array, size, 3);
  std::vector<void*> objects;
  int steps = 0;
  int moves = 0;
  while (size + size / 8 <= (1000u << 10)) {
    const size_t grow = size / 8;
    size += grow;
    for (size_t k = 0; k < grow / 16; ++k) objects.push_back(malloc(64));
    char* grown = static_cast<char*>(realloc(array, size));
    ASSERT_NE(grown, nullptr);
    ASSERT_GE(malloc_usable_size(grown), size);
    moves += grown != array;
    ++steps;
    array = grown;
  }
  EXPECT_TRUE(Check(array, 33 << 10, 3));
  EXPECT_LE(moves, steps * 2 / 3) << "of " << steps << " steps";
  // Shrinking by a little keeps it where it is.
  EXPECT_EQ(realloc(array, size - 4096), array);
  free(array);
  for (void* p : objects) free(p);
}

TEST(Realloc, FailureLeavesTheBlock) {
  void* p = malloc(100);
  Fill(p, 100, 1);
  errno = 0;
  EXPECT_EQ(realloc(p, Opaque(SIZE_MAX / 2)), nullptr);
  EXPECT_EQ(errno, ENOMEM);
  EXPECT_TRUE(Check(p, 100, 1));
  free(p);
}

TEST(Aligned, EveryFunctionEveryPowerOfTwoUpTo1MiB) {
  for (size_t align = 1; align <= (size_t{1} << 20); align *= 2) {
    for (size_t size : {size_t{1}, size_t{24}, size_t{100}, size_t{4096}, size_t{5000},
                        size_t{100000}, size_t{2} << 20}) {
      void* p = memalign(align, size);
      ASSERT_NE(p, nullptr);
      EXPECT_TRUE(Aligned(p, align)) << "memalign " << align << " " << size;
      EXPECT_GE(malloc_usable_size(p), size);
      Fill(p, size, 5);
      free(p);

      p = aligned_alloc(align, size);
      ASSERT_NE(p, nullptr);
      EXPECT_TRUE(Aligned(p, align)) << "aligned_alloc " << align << " " << size;
      free(p);

      if (align >= sizeof(void*)) {
        void* q = nullptr;
        ASSERT_EQ(posix_memalign(&q, align, size), 0);
        EXPECT_TRUE(Aligned(q, align)) << "posix_memalign " << align << " " << size;
        EXPECT_GE(malloc_usable_size(q), size);
        free(q);
      }

      void* n = operator new(size, std::align_val_t(align));
      EXPECT_TRUE(Aligned(n, align)) << "new " << align;
      operator delete(n, size, std::align_val_t(align));
    }
  }
}

TEST(Aligned, LargeAlignmentsBeyondASegment) {
  for (size_t align : {size_t{8} << 20, size_t{64} << 20}) {
    void* p = aligned_alloc(align, 100);
    ASSERT_NE(p, nullptr);
    EXPECT_TRUE(Aligned(p, align));
    free(p);
  }
}

TEST(PosixMemalign, RejectsBadAlignment) {
  void* p = reinterpret_cast<void*>(0x1);
  for (size_t align : {size_t{0}, size_t{3}, size_t{4}, size_t{24}, size_t{100}}) {
    EXPECT_EQ(posix_memalign(&p, align, 10), EINVAL) << align;
    EXPECT_EQ(p, reinterpret_cast<void*>(0x1));  // untouched
  }
  EXPECT_EQ(posix_memalign(&p, 64, Opaque(SIZE_MAX / 2)), ENOMEM);
}

TEST(AlignedAlloc, RejectsNonPowerOfTwo) {
  errno = 0;
  EXPECT_EQ(aligned_alloc(Opaque(24), 48), nullptr);
  EXPECT_EQ(errno, EINVAL);
}

TEST(Memalign, RoundsAlignmentUpToAPowerOfTwo) {
  void* p = memalign(Opaque(48), 10);
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(Aligned(p, 64));
  free(p);
}

TEST(Valloc, PageAligned) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  void* v = valloc(10);
  EXPECT_TRUE(Aligned(v, page));
  void* pv = pvalloc(10);
  EXPECT_TRUE(Aligned(pv, page));
  EXPECT_GE(malloc_usable_size(pv), page);  // rounded up to a whole page
  void* pv0 = pvalloc(0);
  EXPECT_NE(pv0, nullptr);
  free(v);
  free(pv);
  free(pv0);
}

TEST(UsableSize, NullIsZero) { EXPECT_EQ(malloc_usable_size(nullptr), 0u); }

TEST(New, ThrowsBadAllocAndNothrowReturnsNull) {
  EXPECT_THROW(static_cast<void>(operator new(Opaque(SIZE_MAX / 2))), std::bad_alloc);
  EXPECT_THROW(static_cast<void>(operator new[](Opaque(SIZE_MAX / 2))), std::bad_alloc);
  EXPECT_EQ(operator new(Opaque(SIZE_MAX / 2), std::nothrow), nullptr);
  EXPECT_EQ(operator new[](Opaque(SIZE_MAX / 2), std::nothrow), nullptr);
  EXPECT_EQ(operator new(Opaque(SIZE_MAX / 2), std::align_val_t(64), std::nothrow), nullptr);
}

int g_handler_calls = 0;
void ReleaseReserve() {
  ++g_handler_calls;
  std::set_new_handler(nullptr);
}

TEST(New, CallsTheNewHandler) {
  g_handler_calls = 0;
  std::set_new_handler(ReleaseReserve);
  EXPECT_THROW(static_cast<void>(operator new(Opaque(SIZE_MAX / 2))), std::bad_alloc);
  EXPECT_EQ(g_handler_calls, 1);
}

TEST(New, EveryFormRoundTrips) {
  int* a = new int(5);
  int* b = new int[100]();
  auto* c = new (std::nothrow) double(2.5);
  struct alignas(256) Wide {
    char bytes[300];
  };
  Wide* w = new Wide();
  Wide* ws = new Wide[3];
  EXPECT_TRUE(Aligned(w, 256));
  EXPECT_TRUE(Aligned(ws, 256));
  EXPECT_EQ(*a + b[99] + static_cast<int>(*c), 7);
  delete a;
  delete[] b;
  delete c;
  delete w;
  delete[] ws;
  operator delete(operator new(10), 10);
  operator delete[](operator new[](10), 10);
  operator delete(operator new(10, std::nothrow), std::nothrow);
}

// Freed huge blocks are cached as page ranges, and a block no range holds
// is gathered from several (huge.cc): it spans mappings, which mremap
// cannot resize as one (EFAULT). realloc must move it by copying instead of
// failing (gcc ran out of memory on a block cut across two merged mappings
// with a 32 KiB mmap threshold).
TEST(Realloc, AHugeBlockSpanningTwoMappingsStillGrows) {
  malloc_trim(0);
  void* keep = malloc(64 << 20);  // huge bytes in use: the cache may hold both
  auto* a = static_cast<char*>(malloc(8 << 20));
  auto* b = static_cast<char*>(malloc(8 << 20));
  ASSERT_TRUE(a && b && keep);
  const size_t span = malloc_usable_size(a);
  std::memset(a, 1, span);
  std::memset(b, 2, span);
  free(a);
  free(b);
  // Gathered from both ranges while this is the one thread allocating huge
  // blocks (huge_test checks the pages); else grown from one: either way
  // realloc must work.
  auto* p = static_cast<char*>(malloc(2 * span));
  ASSERT_NE(p, nullptr);
  std::memset(p, 5, 2 * span);
  auto* q = static_cast<char*>(realloc(p, 3 * span));
  ASSERT_NE(q, nullptr) << "realloc of a block spanning two mappings failed";
  for (size_t i = 0; i < 2 * span; i += 4096) ASSERT_EQ(q[i], 5);
  free(q);
  free(keep);
  malloc_trim(0);
}

TEST(Mallinfo, ReportsWhatIsInUse) {
  const struct mallinfo2 before = mallinfo2();
  std::vector<void*> blocks;
  for (int i = 0; i < 64; ++i) blocks.push_back(malloc(100000));  // page runs
  void* huge = malloc(16 << 20);
  const struct mallinfo2 during = mallinfo2();
  EXPECT_GE(during.uordblks, before.uordblks + 64 * 100000 + (16 << 20));
  EXPECT_EQ(during.hblks, before.hblks + 1);
  EXPECT_GE(during.hblkhd, before.hblkhd + (16 << 20));
  EXPECT_GE(during.arena, 64u * 100000);
  for (void* p : blocks) free(p);
  free(huge);
  const struct mallinfo2 after = mallinfo2();
  EXPECT_LT(after.uordblks, during.uordblks - 64 * 100000);
  EXPECT_EQ(after.hblks, before.hblks);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  const struct mallinfo narrow = mallinfo();  // the old int-sized form
#pragma GCC diagnostic pop
  EXPECT_GE(narrow.uordblks, 0);
}

TEST(MallocStats, WritesAReportToStderr) {
  ::testing::internal::CaptureStderr();
  malloc_stats();
  const std::string report = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(report.find("buddymalloc statistics"), std::string::npos) << report;
  EXPECT_NE(report.find("huge blocks:"), std::string::npos) << report;
  EXPECT_NE(report.find("arena 0 (sbrk):"), std::string::npos) << report;
  EXPECT_NE(report.find("settings:    at most"), std::string::npos) << report;
}

// The number in `attribute="..."` of the first element named tag.
size_t XmlNumber(const std::string& xml, const std::string& tag, const std::string& attribute) {
  const size_t at = xml.find("<" + tag + " ");
  if (at == std::string::npos) return ~size_t{0};
  const size_t a = xml.find(attribute + "=\"", at);
  if (a == std::string::npos || a > xml.find('>', at)) return ~size_t{0};
  return std::stoull(xml.substr(a + attribute.size() + 2));
}

std::string MallocInfo() {
  FILE* f = tmpfile();
  EXPECT_NE(f, nullptr);
  EXPECT_EQ(malloc_info(0, f), 0);
  std::string xml;
  rewind(f);
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, f)) > 0;) xml.append(buf, n);
  fclose(f);
  return xml;
}

TEST(MallocInfo, WritesXmlThatFollowsTheHeap) {
  // Chunks in thread caches count as in use: earlier tests' must not be
  // the ones the blocks below are taken from.
  malloc_trim(0);
  const std::string before = MallocInfo();
  EXPECT_EQ(before.rfind("<malloc version=\"buddymalloc-1\">", 0), 0u) << before;
  EXPECT_NE(before.find("</malloc>"), std::string::npos) << before;
  EXPECT_NE(before.find("<heap nr=\"0\" source=\"sbrk\""), std::string::npos) << before;
  const size_t in_use = XmlNumber(before, "total", "in_use");
  ASSERT_NE(in_use, ~size_t{0}) << before;
  std::vector<void*> blocks;
  for (int i = 0; i < 1000; ++i) blocks.push_back(malloc(10000));
  const std::string during = MallocInfo();
  EXPECT_GE(XmlNumber(during, "total", "in_use"), in_use + 1000 * 10000) << during;
  for (void* p : blocks) free(p);
  EXPECT_NE(XmlNumber(during, "settings", "arenas"), ~size_t{0}) << during;
}

TEST(MallocInfo, RejectsOptions) {
  errno = 0;
  EXPECT_EQ(malloc_info(1, stderr), -1);
  EXPECT_EQ(errno, EINVAL);
}

TEST(MallocTrim, Succeeds) {
  std::vector<void*> blocks;
  for (int i = 0; i < 1000; ++i) blocks.push_back(malloc(10000));
  for (void* p : blocks) free(p);
  EXPECT_EQ(malloc_trim(0), 1);
}

}  // namespace
