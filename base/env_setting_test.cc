#include "base/env_setting.h"

#include "gtest/gtest.h"

namespace alloclab::base {
namespace {

TEST(ParseWholeNumber, TakesDigitsThatFitIn64Bits) {
  uint64_t v = 0;
  EXPECT_TRUE(ParseWholeNumber("0", &v));
  EXPECT_EQ(v, 0u);
  EXPECT_TRUE(ParseWholeNumber("18446744073709551615", &v));
  EXPECT_EQ(v, UINT64_MAX);
}

TEST(ParseWholeNumber, RefusesAnythingElseAndLeavesTheValue) {
  uint64_t v = 5;
  for (const char* bad : {"", "-1", "+1", " 1", "1 ", "1k", "abc", "0x10", "18446744073709551616"}) {
    EXPECT_FALSE(ParseWholeNumber(bad, &v)) << bad;
  }
  EXPECT_FALSE(ParseWholeNumber(nullptr, &v));
  EXPECT_EQ(v, 5u);
}

TEST(ParseSwitch, KnowsTheFourSpellingsOfEach) {
  bool on = false;
  for (const char* s : {"1", "yes", "true", "on"}) {
    on = false;
    EXPECT_TRUE(ParseSwitch(s, &on)) << s;
    EXPECT_TRUE(on) << s;
  }
  for (const char* s : {"0", "no", "false", "off"}) {
    on = true;
    EXPECT_TRUE(ParseSwitch(s, &on)) << s;
    EXPECT_FALSE(on) << s;
  }
  for (const char* s : {"", "YES", "2", "enable"}) EXPECT_FALSE(ParseSwitch(s, &on)) << s;
  EXPECT_FALSE(ParseSwitch(nullptr, &on));
}

}  // namespace
}  // namespace alloclab::base
