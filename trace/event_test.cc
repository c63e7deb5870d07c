// The hand-written Kind and flag constants must match proto/trace.proto.
#include "trace/event.h"

#include "gtest/gtest.h"
#include "proto/trace.pb.h"

namespace alloclab::trace {
namespace {

TEST(Event, KindsMatchTheProto) {
  const auto* desc = EventKind_descriptor();
  EXPECT_EQ(desc->value_count(), kMaxKind + 1);
  for (int k = kMinKind; k <= kMaxKind; ++k) {
    const auto* v = desc->FindValueByNumber(k);
    ASSERT_NE(v, nullptr) << k;
    EXPECT_EQ(v->name(), KindName(static_cast<Kind>(k)));
  }
  EXPECT_LE(kMaxKind, static_cast<int>(kKindMask));
}

TEST(Event, FlagsMatchTheProto) {
  EXPECT_EQ(static_cast<uint32_t>(NULL_IN), kFlagNullIn);
  EXPECT_EQ(static_cast<uint32_t>(NULL_OUT), kFlagNullOut);
  EXPECT_EQ(static_cast<uint32_t>(HAS_STACK), kFlagHasStack);
  EXPECT_EQ(kFlagNullIn & kKindMask, 0u);
}

TEST(Event, EveryKindThatReturnsAPointerHasAnOutWord) {
  for (Kind k : {Kind::kMalloc, Kind::kCalloc, Kind::kRealloc, Kind::kReallocArray, Kind::kMemalign,
                 Kind::kPosixMemalign, Kind::kAlignedAlloc, Kind::kValloc, Kind::kPvalloc}) {
    EXPECT_TRUE(KindHas(k, Word::kOut)) << KindName(k);
  }
  for (Kind k : {Kind::kFree, Kind::kFreeSized, Kind::kFreeAligned, Kind::kFreeSizedAligned,
                 Kind::kRealloc, Kind::kReallocArray, Kind::kMallocUsableSize}) {
    EXPECT_TRUE(KindHas(k, Word::kIn)) << KindName(k);
  }
}

}  // namespace
}  // namespace alloclab::trace
