#include "malloc/pool.h"

#include <cstring>
#include <set>
#include <vector>

#include "gtest/gtest.h"
#include "malloc/hardening.h"
#include "malloc/size_classes.h"

namespace alloclab::malloc {
namespace {

class PoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Two: short and long slabs are cut from segments of their own (buddy.h).
    for (SegmentMeta*& seg : segs_) {
      seg = NewSegment(this, /*from_break=*/false);
      ASSERT_NE(seg, nullptr);
      buddy_.AddSegment(seg);
    }
  }
  void TearDown() override {
    for (SegmentMeta* seg : segs_) ReleaseSegment(seg);
  }
  bool Ours(const void* p) const { return SegmentOf(p) == segs_[0] || SegmentOf(p) == segs_[1]; }
  SegmentMeta* segs_[2] = {};
  BuddyAllocator buddy_;
};

TEST_F(PoolTest, ChunksAreDistinctAlignedAndInsideTheirSlab) {
  for (int cls : {1, 7, 16, 20, 30, 44, SizeToClass(49152), kNumClasses - 1}) {
    Pool pool;
    pool.Init(cls);
    const SizeClass& c = ClassInfo(cls);
    std::vector<void*> chunks(3 * c.capacity + 1);
    ASSERT_EQ(pool.AllocBatch(buddy_, chunks.data(), static_cast<int>(chunks.size())),
              static_cast<int>(chunks.size()));
    std::set<void*> seen;
    for (void* p : chunks) {
      ASSERT_TRUE(seen.insert(p).second) << "chunk handed out twice";
      ASSERT_TRUE(Ours(p));
      SegmentMeta* seg = SegmentOf(p);
      const uint32_t page = seg->PageOf(p);
      ASSERT_EQ(seg->page_class[page], cls);
      const uint32_t first = seg->pages[page].span_first;
      const uintptr_t offset = reinterpret_cast<uintptr_t>(p) -
                               reinterpret_cast<uintptr_t>(seg->PageAddress(first));
      ASSERT_GE(offset, c.head_gap);
      ASSERT_EQ((offset - c.head_gap) % c.size, 0u);
      ASSERT_LT((offset - c.head_gap) / c.size, c.capacity);
      std::memset(p, 0xCD, c.size);  // the whole chunk is ours to write
    }
    EXPECT_EQ(pool.slabs(), 4u);
    EXPECT_EQ(pool.chunks_in_use(), chunks.size());
    for (void* p : chunks) pool.Free(buddy_, SegmentOf(p), p);
    EXPECT_EQ(pool.chunks_in_use(), 0u);
    if (c.capacity > 1) {
      EXPECT_EQ(pool.slabs(), 1u) << "empty slabs go back, but the last one stays";
    } else {
      EXPECT_EQ(pool.slabs(), 0u) << "one-chunk slabs all go back";
    }
  }
}

TEST_F(PoolTest, FreeRecognisesExactlyTheChunkStartsOfASlab) {
  // What a slab's page metadata tells free (hardening.h): every chunk start
  // is one, and nothing else is: not an address inside a chunk, on a page
  // inside a large chunk or in the head gap, nor one past the last chunk on
  // the chunk grid (the chunks end where the slab does: SizeClass::head_gap).
  for (int cls = 1; cls < kNumClasses; ++cls) {
    Pool pool;
    pool.Init(cls);
    const SizeClass& c = ClassInfo(cls);
    std::vector<void*> chunks(c.capacity);
    ASSERT_EQ(pool.AllocBatch(buddy_, chunks.data(), c.capacity), c.capacity);
    SegmentMeta* seg = SegmentOf(chunks[0]);
    const uint32_t first = seg->pages[seg->PageOf(chunks[0])].span_first;
    const char* slab = seg->PageAddress(first);
    ASSERT_EQ(c.head_gap + c.capacity * c.size, c.slab_pages * kPageSize) << "class " << cls;
    for (uint32_t offset = 0; offset < c.slab_pages * kPageSize; ++offset) {
      const void* p = slab + offset;
      const uint32_t page = seg->PageOf(p);
      const bool start = seg->page_class[page] != 0 && IsChunkStart(seg, page, p, seg->page_class[page]);
      const bool chunk = offset >= c.head_gap && (offset - c.head_gap) % c.size == 0;
      ASSERT_EQ(start, chunk) << "class " << cls << " offset " << offset;
    }
    for (void* p : chunks) pool.Free(buddy_, SegmentOf(p), p);
  }
}

TEST_F(PoolTest, TheLowestFreeChunksAreReusedFirstHandedOutHighestFirstAndNoChunkIsRead) {
  Pool pool;
  pool.Init(3);
  void* chunks[10];
  ASSERT_EQ(pool.AllocBatch(buddy_, chunks, 10), 10);
  // The ten lowest chunks, the highest first (a thread cache pops from the
  // end: it hands them out lowest first).
  char* const lowest = static_cast<char*>(chunks[9]);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(static_cast<char*>(chunks[i]) - lowest, (9 - i) * 48);
  // Freed chunks filled with garbage: the pool keeps its state out of band.
  void* const fourth = lowest + 4 * 48;
  void* const seventh = lowest + 7 * 48;
  memset(seventh, 0xA5, 48);
  memset(fourth, 0x5A, 48);
  pool.Free(buddy_, SegmentOf(seventh), seventh);
  pool.Free(buddy_, SegmentOf(fourth), fourth);
  EXPECT_TRUE(Pool::IsFree(SegmentOf(fourth), fourth, 3));
  EXPECT_FALSE(Pool::IsFree(SegmentOf(lowest + 5 * 48), lowest + 5 * 48, 3));
  memset(seventh, 0xFF, 48);
  void* again[3];
  ASSERT_EQ(pool.AllocBatch(buddy_, again, 3), 3);
  EXPECT_EQ(again[2], fourth);
  EXPECT_EQ(again[1], seventh);
  EXPECT_EQ(again[0], lowest + 10 * 48) << "then the slab's untouched chunks";
  EXPECT_FALSE(Pool::IsFree(SegmentOf(fourth), fourth, 3));
}

TEST_F(PoolTest, AFreshSlabsFirstBatchStartsAtAClassDependentOffset) {
  // Fresh slabs are page-aligned: their first chunks, handed out first, would
  // all sit at page offset 0, whatever the class. The first batch starts
  // at the last chunk at most (cls x 320) mod 4096 bytes in instead, and
  // wraps.
  std::set<uint64_t> offsets;
  for (int cls : {1, 2, 3, 4}) {
    Pool pool;
    pool.Init(cls);
    void* chunks[64];
    const int n = pool.AllocBatch(buddy_, chunks, 64);
    ASSERT_EQ(n, 64);
    const uint64_t size = ClassInfo(cls).size;
    const uint64_t gap = ClassInfo(cls).head_gap;
    // Popped from the end: chunks[n - 1] goes out first.
    const uint64_t first = reinterpret_cast<uintptr_t>(chunks[n - 1]) % kPageSize;
    EXPECT_EQ(first, gap + (static_cast<uint64_t>(cls) * 320 % 4096 - gap) / size * size) << cls;
    offsets.insert(first);
    // Then ascending, with one wrap back to the slab's start.
    int descents = 0;
    for (int i = n - 1; i > 0; --i) descents += chunks[i - 1] < chunks[i];
    EXPECT_EQ(descents, 1) << cls;
    for (int i = 0; i < n; ++i) pool.Free(buddy_, SegmentOf(chunks[i]), chunks[i]);
  }
  EXPECT_EQ(offsets.size(), 4u);
}

TEST_F(PoolTest, EmptySlabsReturnPagesToTheBuddy) {
  const size_t before = buddy_.free_pages();
  Pool pool;
  const int cls = SizeToClass(kMaxSharedSlabChunk);
  pool.Init(cls);
  const SizeClass& c = ClassInfo(cls);
  std::vector<void*> chunks(4 * c.capacity);
  ASSERT_EQ(pool.AllocBatch(buddy_, chunks.data(), static_cast<int>(chunks.size())),
            static_cast<int>(chunks.size()));
  EXPECT_EQ(buddy_.free_pages(), before - 4 * c.slab_pages);
  for (void* p : chunks) pool.Free(buddy_, SegmentOf(p), p);
  EXPECT_EQ(buddy_.free_pages(), before - c.slab_pages);
}

TEST_F(PoolTest, OneChunkSlabsArePageRunsOfTheClassSize) {
  const size_t before = buddy_.free_pages();
  Pool pool;
  pool.Init(kNumClasses - 1);
  const SizeClass& c = ClassInfo(kNumClasses - 1);
  void* chunks[3];
  ASSERT_EQ(pool.AllocBatch(buddy_, chunks, 3), 3);
  EXPECT_EQ(buddy_.free_pages(), before - 3 * c.size / kPageSize) << "no tail, no rounding to a power of two";
  for (void* p : chunks) {
    SegmentMeta* seg = SegmentOf(p);
    const uint32_t page = seg->PageOf(p);
    EXPECT_EQ(seg->PageAddress(page), p);
    EXPECT_EQ(seg->pages[page].span_first, page);
  }
  pool.Free(buddy_, SegmentOf(chunks[1]), chunks[1]);
  EXPECT_EQ(buddy_.free_pages(), before - 2 * c.size / kPageSize) << "a freed one goes back at once";
  pool.Free(buddy_, SegmentOf(chunks[0]), chunks[0]);
  pool.Free(buddy_, SegmentOf(chunks[2]), chunks[2]);
  EXPECT_EQ(buddy_.free_pages(), before);
}

}  // namespace
}  // namespace alloclab::malloc
