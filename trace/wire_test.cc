#include "trace/wire.h"

#include <cstring>
#include <limits>
#include <string>

#include "gtest/gtest.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wire_format_lite.h"

namespace alloclab::trace {
namespace {

TEST(Varint, RoundTripsEdgeValues) {
  const uint64_t values[] = {0, 1, 127, 128, 16383, 16384, (1ull << 32) - 1, 1ull << 63,
                             std::numeric_limits<uint64_t>::max()};
  for (uint64_t v : values) {
    uint8_t buf[kMaxVarintBytes];
    uint8_t* end = PutVarint(buf, v);
    EXPECT_EQ(end - buf, VarintSize(v));
    const uint8_t* p = buf;
    uint64_t back = 0;
    ASSERT_TRUE(GetVarint(&p, end, &back));
    EXPECT_EQ(back, v);
    EXPECT_EQ(p, end);
    // Protobuf agrees.
    google::protobuf::io::CodedInputStream in(buf, static_cast<int>(end - buf));
    uint64_t pb = 0;
    ASSERT_TRUE(in.ReadVarint64(&pb));
    EXPECT_EQ(pb, v);
  }
}

TEST(Varint, RejectsTruncatedAndOverlong) {
  uint8_t buf[12];
  uint8_t* end = PutVarint(buf, 1ull << 40);
  for (uint8_t* cut = buf; cut < end; ++cut) {
    const uint8_t* p = buf;
    uint64_t v;
    EXPECT_FALSE(GetVarint(&p, cut, &v));
    EXPECT_EQ(p, buf);  // no progress on failure
  }
  std::memset(buf, 0x80, sizeof(buf));
  const uint8_t* p = buf;
  uint64_t v;
  EXPECT_FALSE(GetVarint(&p, buf + sizeof(buf), &v));
  // Ten bytes whose last one overflows 64 bits.
  std::memset(buf, 0xff, 9);
  buf[9] = 0x02;
  p = buf;
  EXPECT_FALSE(GetVarint(&p, buf + 10, &v));
}

TEST(ZigZag, MatchesProtobuf) {
  const int64_t values[] = {0, -1, 1, -2, 123456789, -123456789, std::numeric_limits<int64_t>::min(),
                            std::numeric_limits<int64_t>::max()};
  for (int64_t v : values) {
    EXPECT_EQ(ZigZagEncode(v), google::protobuf::internal::WireFormatLite::ZigZagEncode64(v));
    EXPECT_EQ(ZigZagDecode(ZigZagEncode(v)), v);
  }
}

TEST(PaddedVarint, IsAValidVarintOfFixedWidth) {
  for (uint32_t v : {0u, 1u, 127u, 128u, 300u, 1u << 21, (1u << 28) - 1}) {
    uint8_t buf[kPaddedVarintBytes];
    PutPaddedVarint(buf, v);
    const uint8_t* p = buf;
    uint64_t back = 0;
    ASSERT_TRUE(GetVarint(&p, buf + sizeof(buf), &back));
    EXPECT_EQ(back, v);
    EXPECT_EQ(p, buf + kPaddedVarintBytes);
  }
}

TEST(WireWriter, OverflowIsStickyAndBounded) {
  uint8_t buf[8];
  std::memset(buf, 0xAA, sizeof(buf));
  WireWriter w(buf, 6);
  w.StringField(1, "abcdefgh");
  EXPECT_FALSE(w.ok());
  w.Varint(1);
  EXPECT_FALSE(w.ok());
  EXPECT_EQ(buf[6], 0xAA);  // nothing past capacity
  EXPECT_EQ(buf[7], 0xAA);
}

TEST(WireWriter, NestedLengthsArePatched) {
  uint8_t buf[64];
  WireWriter w(buf, sizeof(buf));
  size_t at = w.BeginField(3);
  w.VarintField(1, 300);
  w.EndLength(at);
  ASSERT_TRUE(w.ok());
  google::protobuf::io::CodedInputStream in(buf, static_cast<int>(w.size()));
  EXPECT_EQ(in.ReadTag(), MakeTag(3, kLengthDelimited));
  uint32_t len = 0;
  ASSERT_TRUE(in.ReadVarint32(&len));
  EXPECT_EQ(len, 3u);  // tag + two-byte varint
}

}  // namespace
}  // namespace alloclab::trace
