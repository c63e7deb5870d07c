#include "base/decimal.h"

#include <string>

#include "gtest/gtest.h"

namespace alloclab::base {
namespace {

std::string Decimal(uint64_t v, size_t room = 32) {
  char buf[32];
  char* end = PutDecimal(buf, buf + room, v);
  return std::string(buf, end);
}

TEST(PutDecimal, WritesEveryDigit) {
  EXPECT_EQ(Decimal(0), "0");
  EXPECT_EQ(Decimal(7), "7");
  EXPECT_EQ(Decimal(1234567890), "1234567890");
  EXPECT_EQ(Decimal(UINT64_MAX), "18446744073709551615");
}

TEST(PutDecimal, StopsAtTheEndOfTheBuffer) {
  EXPECT_EQ(Decimal(123456, 3), "123");
  EXPECT_EQ(Decimal(42, 0), "");
}

}  // namespace
}  // namespace alloclab::base
