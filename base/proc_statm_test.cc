#include "base/proc_statm.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>

#include "gtest/gtest.h"

namespace alloclab::base {
namespace {

TEST(ProcStatm, ParsesTheFirstThreeFields) {
  const char line[] = "2960 512 384 41 0 221 0\n";
  Statm s;
  ASSERT_TRUE(ParseStatm(line, std::strlen(line), &s));
  EXPECT_EQ(s.size, 2960u);
  EXPECT_EQ(s.resident, 512u);
  EXPECT_EQ(s.shared, 384u);
}

TEST(ProcStatm, RejectsATruncatedLine) {
  Statm s;
  EXPECT_FALSE(ParseStatm("2960 512", 8, &s));
  EXPECT_FALSE(ParseStatm("", 0, &s));
  EXPECT_FALSE(ParseStatm("x 1 2", 5, &s));
}

TEST(ProcStatm, AnonymousMemoryTouchedAndGivenBackMovesTheCount) {
  constexpr size_t kBytes = 64 << 20;
  const int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  const uint64_t before = AnonResidentBytes(fd);
  EXPECT_GT(before, 0u);
  auto* p = static_cast<char*>(mmap(nullptr, kBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(p, MAP_FAILED);
  std::memset(p, 1, kBytes);
  const uint64_t touched = AnonResidentBytes(fd);  // the same descriptor, read afresh
  EXPECT_GE(touched, before + kBytes * 9 / 10);
  EXPECT_NEAR(static_cast<double>(AnonResidentBytes()), static_cast<double>(touched), 4 << 20);
  madvise(p, kBytes, MADV_DONTNEED);
  EXPECT_LT(AnonResidentBytes(fd), touched - kBytes * 9 / 10);
  munmap(p, kBytes);
  close(fd);
}

}  // namespace
}  // namespace alloclab::base
