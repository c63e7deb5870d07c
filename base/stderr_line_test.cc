#include "base/stderr_line.h"

#include <unistd.h>

#include <string>

#include "gtest/gtest.h"

namespace alloclab::base {
namespace {

// What WriteStderrLine writes, caught on a pipe put in stderr's place.
std::string Captured(std::initializer_list<const char*> pieces) {
  int p[2];
  EXPECT_EQ(pipe(p), 0);
  const int saved = dup(STDERR_FILENO);
  dup2(p[1], STDERR_FILENO);
  WriteStderrLine(pieces);
  dup2(saved, STDERR_FILENO);
  close(saved);
  close(p[1]);
  std::string out;
  char buf[512];
  for (ssize_t n; (n = read(p[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  close(p[0]);
  return out;
}

TEST(WriteStderrLine, JoinsThePiecesIntoOneLine) {
  EXPECT_EQ(Captured({"buddymalloc: ", "free(): ", "double free detected"}),
            "buddymalloc: free(): double free detected\n");
  EXPECT_EQ(Captured({}), "\n");
}

TEST(WriteStderrLine, KeepsTheFirstFifteenPieces) {
  EXPECT_EQ(Captured({"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p", "q"}),
            "abcdefghijklmno\n");
}

}  // namespace
}  // namespace alloclab::base
