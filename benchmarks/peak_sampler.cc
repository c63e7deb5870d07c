// libpeaksampler.so: what an allocator holds at a program's peak RSS.
// Preloaded after the allocator, a thread polls /proc/self/statm every
// millisecond; each time resident memory passes its high-water mark by
// PEAK_SAMPLER_STEP_KIB (256 unless set) it writes "=== rss N KiB" and the
// allocator's malloc_stats() to stderr, and copies /proc/self/smaps to
// PEAK_SAMPLER_SMAPS if set. The last block is the peak's. Peak RSS is set
// in an instant that exit-time statistics do not see (caches drained, pages
// freed); this is how benchmarks/results explains a peak.
//   PEAK_SAMPLER_SMAPS=/tmp/peak.smaps LD_PRELOAD="bazel-bin/malloc/libbuddymalloc.so
//       bazel-bin/benchmarks/libpeaksampler.so" PROGRAM 2>stats.txt
// The sampler reads and writes with plain system calls into stack buffers:
// it runs inside the program measured and must not allocate from its heap.
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace {

long ResidentKiB() {
  const int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  char buf[128];
  const ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return -1;
  buf[n] = '\0';
  long size = 0, resident = 0;
  if (std::sscanf(buf, "%ld %ld", &size, &resident) != 2) return -1;
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

// Copies `from` to `to` through a temporary file renamed into place: the
// program may exit in the middle of a copy, and `to` must then still hold
// the last whole one (peak_sampler_test saw an empty smaps copy).
void CopyFile(const char* from, const char* to) {
  char partial[4096];
  if (std::snprintf(partial, sizeof partial, "%s.partial", to) >= static_cast<int>(sizeof partial)) return;
  const int in = open(from, O_RDONLY | O_CLOEXEC);
  if (in < 0) return;
  const int out = open(partial, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  bool whole = out >= 0;
  if (whole) {
    char buf[16384];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0) {
      if (write(out, buf, static_cast<size_t>(n)) != n) break;
    }
    whole = n == 0;
    close(out);
  }
  close(in);
  if (whole) rename(partial, to);
}

void* Sample(void*) {
  const char* step_env = std::getenv("PEAK_SAMPLER_STEP_KIB");
  const long step = step_env != nullptr && std::atol(step_env) > 0 ? std::atol(step_env) : 256;
  const char* smaps = std::getenv("PEAK_SAMPLER_SMAPS");
  long high = 0;
  const timespec interval = {0, 1000000};
  for (;;) {
    const long rss = ResidentKiB();
    if (rss > high + step) {
      high = rss;
      char line[64];
      const int n = std::snprintf(line, sizeof line, "=== rss %ld KiB\n", rss);
      if (write(STDERR_FILENO, line, static_cast<size_t>(n)) != n) return nullptr;
      malloc_stats();
      if (smaps != nullptr) CopyFile("/proc/self/smaps", smaps);
    }
    nanosleep(&interval, nullptr);
  }
}

__attribute__((constructor)) void StartSampler() {
  pthread_t thread;
  if (pthread_create(&thread, nullptr, Sample, nullptr) == 0) pthread_detach(thread);
}

}  // namespace
