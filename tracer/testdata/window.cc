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

namespace {

constexpr size_t kBase = 300001;
constexpr int kBefore = 1000, kKept = 100, kInside = 2000, kLeft = 50, kAfter = 1000;

void Churn(size_t size, int n) {
  for (int i = 0; i < n; ++i) {
    void* p = malloc(size);
    if (p == nullptr) std::abort();
    static_cast<volatile char*>(p)[0] = 1;
    free(p);
  }
}

}  // namespace

int main() {
  Churn(kBase, kBefore);
  std::vector<void*> kept;
  for (int i = 0; i < kKept; ++i) kept.push_back(malloc(kBase + 1));
  kill(getpid(), SIGUSR2);  // recording starts
  std::thread other(Churn, kBase + 2, kInside / 2);
  Churn(kBase + 2, kInside / 2);
  other.join();
  for (void* p : kept) free(p);
  std::vector<void*> left;
  for (int i = 0; i < kLeft; ++i) left.push_back(malloc(kBase + 3));
  kill(getpid(), SIGUSR2);  // recording stops
  Churn(kBase + 4, kAfter);
  for (void* p : left) free(p);
  return 0;
}
