#include "base/fd_io.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace alloclab::base {
namespace {

class TempFile {
 public:
  TempFile() {
    std::string dir = getenv("TEST_TMPDIR") ? getenv("TEST_TMPDIR") : "/tmp";
    path_ = dir + "/fd_io_test.XXXXXX";
    fd_ = mkstemp(path_.data());
  }
  ~TempFile() {
    close(fd_);
    unlink(path_.c_str());
  }
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_;
};

TEST(FdIo, WriteFullyWritesMoreThanAPipeTakesAtOnce) {
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  // 1 MiB into a 64 KiB pipe: write() returns short counts; every byte must
  // still arrive, in order.
  std::vector<char> sent(1 << 20);
  for (size_t i = 0; i < sent.size(); ++i) sent[i] = static_cast<char>(i * 7);
  std::vector<char> got;
  std::thread reader([&] {
    char buf[4096];
    for (ssize_t n; (n = read(p[0], buf, sizeof buf)) > 0;) got.insert(got.end(), buf, buf + n);
  });
  EXPECT_TRUE(WriteFully(p[1], sent.data(), sent.size()));
  close(p[1]);
  reader.join();
  close(p[0]);
  EXPECT_EQ(got, sent);
}

TEST(FdIo, WriteFullyFailsOnAClosedReaderWithTheReason) {
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  close(p[0]);
  signal(SIGPIPE, SIG_IGN);
  const char data[] = "x";
  EXPECT_FALSE(WriteFully(p[1], data, 1));
  EXPECT_EQ(errno, EPIPE);
  close(p[1]);
}

TEST(FdIo, PwriteAndPreadFullyUseTheOffsetAndLeaveThePositionAlone) {
  TempFile f;
  ASSERT_GE(f.fd(), 0);
  ASSERT_TRUE(WriteFully(f.fd(), "0123456789", 10));
  ASSERT_TRUE(PwriteFully(f.fd(), "ab", 2, 4));
  EXPECT_EQ(lseek(f.fd(), 0, SEEK_CUR), 10);
  char buf[10];
  ASSERT_TRUE(PreadFully(f.fd(), buf, 10, 0));
  EXPECT_EQ(std::string(buf, 10), "0123ab6789");
}

TEST(FdIo, PreadFullyPastTheEndFailsWithErrnoZero) {
  TempFile f;
  ASSERT_TRUE(WriteFully(f.fd(), "abc", 3));
  char buf[8];
  errno = EBADF;
  EXPECT_FALSE(PreadFully(f.fd(), buf, 4, 0));
  EXPECT_EQ(errno, 0);
  EXPECT_FALSE(PreadFully(-1, buf, 1, 0));
  EXPECT_EQ(errno, EBADF);
}

TEST(FdIo, ReadSmallFileReadsAProcFileWholeAndStopsAtTheCap) {
  char buf[64 << 10];
  const size_t n = ReadSmallFile("/proc/self/status", buf, sizeof buf);
  ASSERT_GT(n, 0u);
  EXPECT_EQ(std::strncmp(buf, "Name:", 5), 0);
  EXPECT_NE(std::string(buf, n).find("VmRSS:"), std::string::npos);  // not only the first read's worth
  char small[5];
  EXPECT_EQ(ReadSmallFile("/proc/self/status", small, sizeof small), sizeof small);
  EXPECT_EQ(ReadSmallFile("/nonexistent/file", buf, sizeof buf), 0u);
}

}  // namespace
}  // namespace alloclab::base
