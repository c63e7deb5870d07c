#include "malloc/huge.h"

#include <cstdint>
#include <cstring>
#include <vector>

#include "gtest/gtest.h"

namespace alloclab::malloc {
namespace {

TEST(Huge, AllocFreeAndUsableSize) {
  const HugeStats before = GetHugeStats();
  void* p = HugeAlloc((3 << 20) + 5, 4096);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(HugeUsableSize(p), (3u << 20) + 4096);
  std::memset(p, 1, (3 << 20) + 5);
  EXPECT_EQ(GetHugeStats().blocks, before.blocks + 1);
  EXPECT_EQ(HugeFree(p), (3u << 20) + 4096);
  EXPECT_EQ(HugeUsableSize(p), 0u);
  EXPECT_EQ(HugeFree(p), 0u) << "no longer ours";
  EXPECT_EQ(GetHugeStats().blocks, before.blocks);
}

TEST(Huge, Aligned) {
  for (size_t align : {size_t{1} << 21, size_t{1} << 24}) {
    void* p = HugeAlloc(100, align);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % align, 0u);
    EXPECT_NE(HugeFree(p), 0u);
  }
}

TEST(Huge, ReallocKeepsContents) {
  auto* p = static_cast<uint8_t*>(HugeAlloc(2 << 20, 4096));
  for (size_t i = 0; i < (2 << 20); i += 4096) p[i] = static_cast<uint8_t>(i >> 12);
  auto* q = static_cast<uint8_t*>(HugeRealloc(p, 64 << 20));
  ASSERT_NE(q, nullptr);
  for (size_t i = 0; i < (2 << 20); i += 4096) ASSERT_EQ(q[i], static_cast<uint8_t>(i >> 12));
  EXPECT_EQ(HugeUsableSize(q), 64u << 20);
  auto* r = static_cast<uint8_t*>(HugeRealloc(q, 1 << 20));
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r[4096], 1);
  EXPECT_NE(HugeFree(r), 0u);
}

TEST(Huge, TableGrowsWithManyBlocks) {
  std::vector<void*> blocks;
  for (int i = 0; i < 3000; ++i) {
    blocks.push_back(HugeAlloc(8192, 4096));
    ASSERT_NE(blocks.back(), nullptr);
  }
  for (void* p : blocks) ASSERT_EQ(HugeUsableSize(p), 8192u);
  for (size_t i = 0; i < blocks.size(); i += 2) ASSERT_NE(HugeFree(blocks[i]), 0u);
  for (size_t i = 1; i < blocks.size(); i += 2) ASSERT_EQ(HugeUsableSize(blocks[i]), 8192u);
  for (size_t i = 1; i < blocks.size(); i += 2) ASSERT_NE(HugeFree(blocks[i]), 0u);
}

}  // namespace
}  // namespace alloclab::malloc
