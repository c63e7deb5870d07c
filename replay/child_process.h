// Running a child program and capturing its stdout: how `replay` runs the
// runner once per allocator, with that allocator preloaded and nothing else.
#ifndef ALLOCLAB_REPLAY_CHILD_PROCESS_H_
#define ALLOCLAB_REPLAY_CHILD_PROCESS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace alloclab::replay {

struct ChildOutcome {
  std::string out;      // everything it wrote on stdout (stderr passes through)
  bool exited = false;  // else killed by a signal
  int exit_status = 0;  // when exited
  int signal = 0;       // when killed
};

// Starts argv[0] (a path) with argv and env, reads its stdout to the end and
// waits for it. An error only when it cannot be started.
absl::StatusOr<ChildOutcome> RunCapturingStdout(const std::vector<std::string>& argv,
                                                const std::vector<std::string>& env);

// This process's environment with LD_PRELOAD replaced by `preload` (removed
// when empty): a child that loads exactly the allocator under test.
std::vector<std::string> EnvironmentWithPreload(const std::string& preload);

}  // namespace alloclab::replay

#endif  // ALLOCLAB_REPLAY_CHILD_PROCESS_H_
