// pauses: allocations around pauses and a busy phase, for the test of the
// tracer's event clock (which reuses a thread's clock reading for a few
// events while its tick runs). Marker sizes, in order:
//   1001, 100 ms pause, 1002   while another thread keeps allocating (ticking)
//   1003, 100 ms pause, 1004   with the whole program quiet
//   1005, 200 ms of allocation, 1006
// Prints the busy phase's length in ns as CLOCK_MONOTONIC measured it, from
// just after 1005 to just before 1006, then from just before 1005 to just
// after 1006.
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <thread>

namespace {

void* volatile g_sink;

void Churn(int n) {
  for (int i = 0; i < n; ++i) {
    void* p = std::malloc(16 + i % 200);
    g_sink = p;
    std::free(p);
  }
}

void Marker(size_t size) {
  void* p = std::malloc(size);
  g_sink = p;
  std::free(p);
}

uint64_t NowNs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace

int main() {
  Churn(200000);  // fills the first trace slots: the tracer's helper thread runs
  std::atomic<bool> stop{false};
  std::thread ticking([&] {
    while (!stop.load()) Churn(1000);
  });
  Churn(1000);
  Marker(1001);
  usleep(100000);
  Marker(1002);
  stop.store(true);
  ticking.join();

  usleep(50000);  // quiet: nothing allocates
  Marker(1003);
  usleep(100000);
  Marker(1004);

  const uint64_t outer_start = NowNs();
  Marker(1005);
  const uint64_t inner_start = NowNs();
  uint64_t inner_end;
  while ((inner_end = NowNs()) - inner_start < 200000000) Churn(1000);
  Marker(1006);
  const uint64_t outer_end = NowNs();
  std::printf("%llu %llu\n", static_cast<unsigned long long>(inner_end - inner_start),
              static_cast<unsigned long long>(outer_end - outer_start));
  return 0;
}
