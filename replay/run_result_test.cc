// ParseRunnerOutput against reports written with runner_report.h's keys.
#include "replay/run_result.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "replay/runner_report.h"

namespace alloclab::replay {
namespace {

namespace key = runner_report;

// A report as the runner writes it: every scalar (value: its position), two
// threads, an rss point, a latency bucket, the texts, the end line.
std::string FullReport() {
  std::string s = absl::StrCat(key::kChecksum, " 00000000deadbeef\n", key::kPreparedChecksum, " 00000000cafef00d\n");
  absl::StrAppend(&s, key::kThread, " 0 10 8 0000000000000001 1 10\n");
  absl::StrAppend(&s, key::kThread, " 1 5 4 00000000000000ff 0 3\n");
  uint64_t n = 0;
#define ALLOCLAB_LINE(name) absl::StrAppend(&s, #name, " ", ++n, "\n");
  ALLOCLAB_RUNNER_SCALARS(ALLOCLAB_LINE)
#undef ALLOCLAB_LINE
  absl::StrAppend(&s, key::kRssPoint, " 100 2000 4096\n", key::kLatency, " 1 64 7\n");
  absl::StrAppend(&s, key::kSiteWaste, " 3 65536 983040\n");
  absl::StrAppend(&s, key::kSubstituted, " reallocarray by realloc\n", key::kVerifyError, " slot 3 lost its bytes\n");
  absl::StrAppend(&s, key::kEnd, " 1\n");
  return s;
}

TEST(ParseRunnerOutput, ReadsEveryKeyTheRunnerWrites) {
  std::string text = FullReport();
  // threads is the 3rd scalar (3); the report has two thread lines: make it 2.
  text.replace(text.find("\nthreads 3\n"), 11, "\nthreads 2\n");
  auto r = ParseRunnerOutput(text);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->checksum, 0xdeadbeefu);
  EXPECT_EQ(r->prepared_checksum, 0xcafef00du);
  ASSERT_EQ(r->issued.size(), 2u);
  EXPECT_EQ(r->issued[1].hash, 0xffu);
  EXPECT_FALSE(r->issued[1].finished);
  EXPECT_EQ(r->ops, 1u);
  EXPECT_EQ(r->calls, 2u);
  EXPECT_EQ(r->wall_ns, 9u);
  EXPECT_EQ(r->verify_errors, 22u);  // not taken for a verify_error text line
  EXPECT_EQ(r->first_verify_error, "slot 3 lost its bytes");
  ASSERT_EQ(r->substitutions.size(), 1u);
  EXPECT_EQ(r->substitutions[0], "reallocarray by realloc");
  ASSERT_EQ(r->rss_points.size(), 1u);
  EXPECT_EQ(r->rss_points[0].bytes, 4096u);
  EXPECT_EQ(r->LatencySamples(1), 7u);
  ASSERT_EQ(r->site_waste.size(), 1u);
  EXPECT_EQ(r->site_waste[0].site, 3u);
  EXPECT_EQ(r->site_waste[0].live_bytes, 65536u);
  EXPECT_EQ(r->site_waste[0].waste_bytes, 983040u);
}

TEST(ParseRunnerOutput, ATruncatedReportIsAnError) {
  std::string text = FullReport();
  text.resize(text.rfind(key::kEnd));
  auto r = ParseRunnerOutput(text);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("no end line"), std::string::npos);
}

TEST(ParseRunnerOutput, UnknownKeysAndBadNumbersAreErrors) {
  for (const char* bad : {"frobs 1\n", "ops x\n", "checksum zz\n", "thread 5 1 1 1 1 1\n", "site_waste 1 2\n",
                          "site_waste 16777216 1 1\n"}) {
    auto r = ParseRunnerOutput(absl::StrCat(bad, FullReport()));
    EXPECT_FALSE(r.ok()) << bad;
  }
}

}  // namespace
}  // namespace alloclab::replay
