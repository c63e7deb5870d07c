#include "analysis/report_text.h"

#include "gtest/gtest.h"

namespace alloclab::analysis {
namespace {

TEST(JsonString, EscapesWhatJsonAndHtmlScriptsNeed) {
  EXPECT_EQ(JsonString("plain"), "\"plain\"");
  EXPECT_EQ(JsonString("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(JsonString(std::string("t\n\x01", 3)), "\"t\\u000a\\u0001\"");
  EXPECT_EQ(JsonString("</script>"), "\"<\\/script>\"");
  EXPECT_EQ(JsonString("a/b"), "\"a/b\"");
  EXPECT_EQ(JsonString("ünïcode"), "\"ünïcode\"");  // UTF-8 as it is
}

TEST(HtmlEscape, EscapesMarkupAndQuotes) {
  EXPECT_EQ(HtmlEscape("plain"), "plain");
  EXPECT_EQ(HtmlEscape("a<b>&\"c\""), "a&lt;b&gt;&amp;&quot;c&quot;");
  EXPECT_EQ(HtmlEscape("&amp;"), "&amp;amp;");  // once, not idempotent
}

}  // namespace
}  // namespace alloclab::analysis
