// Allocates and frees without end in several threads, counting completed
// marker mallocs in a shared file, until it is killed. The tracer's kill
// test compares that count with the trace.
//   busy_threads COUNTER_FILE
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

constexpr size_t kMarker = 1000033;

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: busy_threads COUNTER_FILE\n");
    return 2;
  }
  const int fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || ftruncate(fd, 4096) != 0) return 1;
  // Shared with the test: it survives our SIGKILL, like the trace.
  auto* counts = static_cast<std::atomic<uint64_t>*>(
      mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
  if (counts == MAP_FAILED) return 1;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([counts, t] {
      std::vector<void*> keep;
      for (uint64_t i = 0;; ++i) {
        void* p = std::malloc(kMarker);
        // Counted only after malloc returned, so after the tracer recorded it.
        counts[t].fetch_add(1, std::memory_order_release);
        keep.push_back(p);
        if (keep.size() > 64) {
          std::free(keep.front());
          keep.erase(keep.begin());
        }
        free(std::malloc(16 + i % 500));
      }
    });
  }
  for (auto& th : threads) th.join();
  return 0;
}
