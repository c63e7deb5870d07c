#include "replay/child_process.h"

#include <signal.h>
#include <stdlib.h>

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace alloclab::replay {
namespace {

TEST(ChildProcess, CapturesStdoutAndTheExitStatus) {
  auto r = RunCapturingStdout({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"}, {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->out, "out\n");
  EXPECT_TRUE(r->exited);
  EXPECT_EQ(r->exit_status, 3);
}

TEST(ChildProcess, ReportsTheSignalThatKilledIt) {
  auto r = RunCapturingStdout({"/bin/sh", "-c", "kill -KILL $$"}, {});
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->exited);
  EXPECT_EQ(r->signal, SIGKILL);
}

TEST(ChildProcess, AProgramThatDoesNotExistIsAnError) {
  EXPECT_FALSE(RunCapturingStdout({"/nonexistent/program"}, {}).ok());
  EXPECT_FALSE(RunCapturingStdout({}, {}).ok());
}

TEST(ChildProcess, TheChildGetsExactlyThePreloadAsked) {
  setenv("LD_PRELOAD", "/some/other.so", 1);
  setenv("CHILD_PROCESS_TEST", "kept", 1);
  auto r = RunCapturingStdout({"/usr/bin/env"}, EnvironmentWithPreload(""));
  unsetenv("LD_PRELOAD");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->out.find("LD_PRELOAD="), std::string::npos);
  EXPECT_NE(r->out.find("CHILD_PROCESS_TEST=kept\n"), std::string::npos);
  const std::vector<std::string> env = EnvironmentWithPreload("/lib/x.so");
  int preloads = 0;
  for (const std::string& v : env) preloads += v.rfind("LD_PRELOAD=", 0) == 0;
  EXPECT_EQ(preloads, 1);
  EXPECT_EQ(env.back(), "LD_PRELOAD=/lib/x.so");
}

}  // namespace
}  // namespace alloclab::replay
