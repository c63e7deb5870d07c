#include "malloc/size_classes.h"

#include "gtest/gtest.h"

namespace alloclab::malloc {
namespace {

TEST(SizeClasses, EverySizeGetsTheSmallestClassThatFits) {
  for (size_t size = 0; size <= kMaxSmallSize; ++size) {
    const int cls = SizeToClass(size);
    ASSERT_GE(cls, 1);
    ASSERT_LT(cls, kNumClasses);
    ASSERT_GE(ClassInfo(cls).size, size) << size;
    if (cls > 1) {
      ASSERT_LT(ClassInfo(cls - 1).size, size) << size;
    }
  }
}

TEST(SizeClasses, RoundingWasteIsBounded) {
  for (size_t size = 1; size <= kMaxSmallSize; ++size) {
    const size_t got = ClassInfo(SizeToClass(size)).size;
    if (size <= 256) {
      ASSERT_LT(got - size, 16u) << size;
    } else if (size > 1024 && size <= 8192) {
      ASSERT_LT(8 * (got - size), size) << size;  // under 12.5%
    } else {
      ASSERT_LT(4 * (got - size), size) << size;  // under 25%
    }
  }
}

TEST(SizeClasses, SlabsAreSensible) {
  for (int cls = 1; cls < kNumClasses; ++cls) {
    const SizeClass& c = ClassInfo(cls);
    EXPECT_EQ(c.size % 16, 0u) << cls;
    EXPECT_GT(c.size, ClassInfo(cls - 1).size) << cls;
    const size_t slab = size_t{c.slab_pages} * kPageSize;
    EXPECT_EQ(c.capacity, slab / c.size) << cls;
    EXPECT_GE(c.capacity, c.size <= kMaxSharedSlabChunk ? 2 : 1) << cls;
    EXPECT_LE(8 * (slab - c.capacity * c.size), slab) << "spare bytes over 1/8, class " << cls;
    // It fills the buddy block it is cut from: no tail for another slab.
    EXPECT_EQ(c.slab_pages & (c.slab_pages - 1), 0) << "a slab of " << c.slab_pages << " pages, class " << cls;
    EXPECT_LE(c.slab_pages, kMaxSlabPages) << cls;
    EXPECT_GE(c.batch, 2);
    EXPECT_LE(c.batch, 64);
    EXPECT_GE(c.cache_max, c.batch);
  }
  EXPECT_EQ(ClassInfo(kNumClasses - 1).size, kMaxSmallSize);
}

}  // namespace
}  // namespace alloclab::malloc
