// A TraceFile of the test's own in $TEST_TMPDIR, named for the running test:
// the tracer's units tested without a traced program. testonly.
#ifndef ALLOCLAB_TRACER_TRACE_FILE_FIXTURE_H_
#define ALLOCLAB_TRACER_TRACE_FILE_FIXTURE_H_

#include <unistd.h>

#include <cstdlib>
#include <string>

#include "gtest/gtest.h"
#include "tracer/trace_file.h"

namespace alloclab::tracer {

class TraceFileFixture : public testing::Test {
 protected:
  void SetUp() override {
    pattern_ = std::string(getenv("TEST_TMPDIR")) + "/" +
               testing::UnitTest::GetInstance()->current_test_info()->name() + ".%p.pb";
    TraceFileInfo info;
    info.clock_ticks_per_second = 1000000000;
    info.path_pattern = pattern_.c_str();
    ASSERT_TRUE(file_.Open(info));
  }
  void TearDown() override { close(file_.fd()); }

  std::string pattern_;  // MALLOC_TRACE_FILE's form of the file's name
  TraceFile file_;
};

}  // namespace alloclab::tracer

#endif  // ALLOCLAB_TRACER_TRACE_FILE_FIXTURE_H_
