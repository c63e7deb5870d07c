// ProcessMemory: statm sampling and mincore.
#include "replay/process_memory.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/proc_statm.h"

namespace alloclab::replay {

bool ProcessMemory::Open() {
  statm_fd_ = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  return statm_fd_ >= 0;
}

uint64_t ProcessMemory::AnonResident() const { return base::AnonResidentBytes(statm_fd_); }

void* MapResident(size_t n) {
  void* p = mmap(nullptr, n == 0 ? 1 : n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
                 -1, 0);
  return p == MAP_FAILED ? nullptr : p;
}

void* MapLazily(size_t n) {
  void* p = mmap(nullptr, n == 0 ? 1 : n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  return p == MAP_FAILED ? nullptr : p;
}

uint64_t ResidentBytes(const void* p, size_t n) {
  const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  uintptr_t begin = reinterpret_cast<uintptr_t>(p) & ~(page - 1);
  const uintptr_t end = reinterpret_cast<uintptr_t>(p) + n;
  uint64_t resident = 0;
  unsigned char vec[4096];
  while (begin < end) {
    size_t pages = (end - begin + page - 1) / page;
    if (pages > sizeof vec) pages = sizeof vec;
    if (mincore(reinterpret_cast<void*>(begin), pages * page, vec) != 0) break;
    for (size_t i = 0; i < pages; ++i) resident += vec[i] & 1;
    begin += pages * page;
  }
  return resident * page;
}

PageResidency::PageResidency() : page_size_(static_cast<uint64_t>(sysconf(_SC_PAGESIZE))) {}

uint64_t PageResidency::Count(uint64_t page_address, uint64_t pages) {
  if (pages != 1) return ResidentBytes(reinterpret_cast<const void*>(page_address), pages * page_size_) / page_size_;
  if (page_address < first_ || page_address >= first_ + window_pages_ * page_size_) {
    // A window from here on; shorter where the mapping ends sooner (mincore
    // fails for a range with unmapped pages).
    window_pages_ = 0;
    for (size_t n = kWindowPages; n >= 1; n /= 8) {
      if (mincore(reinterpret_cast<void*>(page_address), n * page_size_, vec_) == 0) {
        first_ = page_address;
        window_pages_ = n;
        break;
      }
    }
    if (window_pages_ == 0) return 0;
  }
  return vec_[(page_address - first_) / page_size_] & 1;
}

}  // namespace alloclab::replay
