// A busy multi-threaded parent that forks busy multi-threaded children: the
// parent's threads fill and release many trace slots while it forks, and each
// child's threads make known numbers of marker calls (kPerThread mallocs of
// kBase + t by thread t) that the child's own trace must hold, every one.
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <thread>
#include <vector>

#include "tracer/testdata/markers.h"

namespace {

using alloclab::tracer_testdata::MallocFreeMarkers;

constexpr size_t kBase = 200003;
constexpr int kChildren = 4;
constexpr int kThreads = 4;
constexpr int kPerThread = 100000;

}  // namespace

int main() {
  std::atomic<bool> stop{false};
  std::vector<std::thread> busy;
  for (int t = 0; t < 2; ++t) {
    busy.emplace_back([&stop, t] {
      while (!stop.load(std::memory_order_relaxed)) MallocFreeMarkers(64 + t, 1000);
    });
  }
  bool ok = true;
  for (int c = 0; c < kChildren; ++c) {
    const pid_t pid = fork();
    if (pid == 0) {
      std::vector<std::thread> threads;
      for (int t = 0; t < kThreads; ++t) threads.emplace_back(MallocFreeMarkers, kBase + t, kPerThread);
      for (auto& t : threads) t.join();
      exit(0);  // a normal exit: the child's trace is finished and compressed
    }
    int status = 0;
    ok &= pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }
  stop.store(true);
  for (auto& t : busy) t.join();
  return ok ? 0 : 1;
}
