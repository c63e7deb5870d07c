// A program traced with MALLOC_TRACE_START=signal:SIGUSR2: it sends itself
// the signal twice (as an operator would with kill -USR2), so that a window
// of its life is recorded.
//   before: kBefore blocks of kBase, kKept of kBase + 1 kept live
//   window: kInside blocks of kBase + 2 on two threads, the kKept blocks
//           freed (allocated before the window: unknown to the trace),
//           kLeft of kBase + 3 left live
//   after:  kAfter blocks of kBase + 4
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <thread>
#include <vector>

#include "tracer/testdata/markers.h"

namespace {

using alloclab::tracer_testdata::MallocFreeMarkers;

constexpr size_t kBase = 300001;
constexpr int kBefore = 1000, kKept = 100, kInside = 2000, kLeft = 50, kAfter = 1000;

}  // namespace

int main() {
  MallocFreeMarkers(kBase, kBefore);
  std::vector<void*> kept;
  for (int i = 0; i < kKept; ++i) kept.push_back(malloc(kBase + 1));
  kill(getpid(), SIGUSR2);  // recording starts
  std::thread other(MallocFreeMarkers, kBase + 2, kInside / 2);
  MallocFreeMarkers(kBase + 2, kInside / 2);
  other.join();
  for (void* p : kept) free(p);
  std::vector<void*> left;
  for (int i = 0; i < kLeft; ++i) left.push_back(malloc(kBase + 3));
  kill(getpid(), SIGUSR2);  // recording stops
  MallocFreeMarkers(kBase + 4, kAfter);
  for (void* p : left) free(p);
  return 0;
}
