// A program that starts children the way production programs do, then (and
// meanwhile, on other threads) makes marker calls its trace must hold:
//   spawner posix_spawn   three children by posix_spawn (CLONE_VM|CLONE_VFORK)
//   spawner system        three by system() (posix_spawn of /bin/sh)
//   spawner vfork         three by vfork + execve, the way Python's
//                         subprocess does (the child runs our execve in the
//                         parent's memory)
//   spawner threads       four threads make markers while the main thread
//                         starts 20 children (posix_spawn and vfork in turn)
// Markers: kMain mallocs of kBase by the main thread after the children,
// and in "threads" kPerThread of kBase + 1 + t by thread t. Every child runs
// /bin/true (traced by its own image). Exit status 0 when all went well.
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

#include "tracer/testdata/markers.h"

extern char** environ;

namespace {

using alloclab::tracer_testdata::MallocFreeMarkers;

constexpr size_t kBase = 100003;
constexpr int kMain = 20000;
constexpr int kThreads = 4;
constexpr int kPerThread = 50000;

bool Wait(pid_t pid) {
  int status = 0;
  return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

char kTrue[] = "/bin/true";

bool SpawnChild() {
  char* argv[] = {kTrue, nullptr};
  pid_t pid;
  return posix_spawn(&pid, kTrue, nullptr, nullptr, argv, environ) == 0 && Wait(pid);
}

bool VforkChild() {
  char* argv[] = {kTrue, nullptr};
  const pid_t pid = vfork();
  if (pid == 0) {
    // What Python's child does before it execs: close the descriptors it
    // does not pass on (the tracer's among them), in its own table.
    for (int fd = 3; fd < 1024; ++fd) close(fd);
    execve(kTrue, argv, environ);
    _exit(127);
  }
  return Wait(pid);
}

bool SystemChild() { return system("/bin/true") == 0; }

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: spawner posix_spawn|system|vfork|threads\n");
    return 2;
  }
  const char* mode = argv[1];
  bool ok = true;
  if (strcmp(mode, "threads") == 0) {
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) threads.emplace_back(MallocFreeMarkers, kBase + 1 + t, kPerThread);
    for (int i = 0; i < 20; ++i) ok &= i % 2 == 0 ? SpawnChild() : VforkChild();
    for (auto& t : threads) t.join();
  } else {
    bool (*child)() = strcmp(mode, "posix_spawn") == 0 ? SpawnChild
                      : strcmp(mode, "system") == 0    ? SystemChild
                      : strcmp(mode, "vfork") == 0     ? VforkChild
                                                       : nullptr;
    if (child == nullptr) return 2;
    for (int i = 0; i < 3; ++i) ok &= child();
  }
  MallocFreeMarkers(kBase, kMain);
  return ok ? 0 : 1;
}
