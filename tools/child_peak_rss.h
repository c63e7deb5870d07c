// For tests that bound a reader's memory: runs body in a forked child, so
// that the peak RSS measured is body's alone, and reports how much it grew.
#ifndef ALLOCLAB_TOOLS_CHILD_PEAK_RSS_H_
#define ALLOCLAB_TOOLS_CHILD_PEAK_RSS_H_

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>

namespace alloclab {

// MiB by which the child's peak RSS grew while body ran (at most 250), or
// -1 if body returned false or the child did not exit normally.
inline long PeakRssGrowthMiBInChild(const std::function<bool()>& body) {
  const pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    struct rusage before, after;
    getrusage(RUSAGE_SELF, &before);
    const bool ok = body();
    getrusage(RUSAGE_SELF, &after);
    const long grew = (after.ru_maxrss - before.ru_maxrss) / 1024;
    _exit(!ok ? 255 : grew > 250 ? 250 : static_cast<int>(grew));
  }
  int status = 0;
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) == 255) return -1;
  return WEXITSTATUS(status);
}

}  // namespace alloclab

#endif  // ALLOCLAB_TOOLS_CHILD_PEAK_RSS_H_
