// What the process has resident, read without allocating: anonymous memory
// from /proc/self/statm, and the resident part of a region via mincore, so
// the runner can take its own mappings out of the allocator's footprint.
#ifndef ALLOCLAB_REPLAY_PROCESS_MEMORY_H_
#define ALLOCLAB_REPLAY_PROCESS_MEMORY_H_

#include <cstddef>
#include <cstdint>

namespace alloclab::replay {

class ProcessMemory {
 public:
  // Opens /proc/self/statm; false if it cannot.
  bool Open();
  // Resident anonymous bytes (resident minus file-backed and shared), or 0.
  uint64_t AnonResident() const;

 private:
  int statm_fd_ = -1;
};

// Maps n bytes of zeroed, resident anonymous memory (MAP_POPULATE); nullptr
// on failure.
void* MapResident(size_t n);
// Maps n bytes of zeroed anonymous memory that becomes resident only as it
// is touched (replay threads' stacks); nullptr on failure.
void* MapLazily(size_t n);
// Resident bytes of the mapping [p, p + n).
uint64_t ResidentBytes(const void* p, size_t n);

// Residency for a walk that asks about pages mostly one at a time and in
// ascending order (the waste attribution's page walk): one mincore per
// window of up to kWindowPages pages instead of one per page.
class PageResidency {
 public:
  PageResidency();
  // How many of the `pages` pages from page_address on are resident.
  uint64_t Count(uint64_t page_address, uint64_t pages);
  // Forgets the window (residency read before now may be stale).
  void Reset() { window_pages_ = 0; }

 private:
  static constexpr size_t kWindowPages = 4096;
  uint64_t page_size_;
  uint64_t first_ = 0;  // the window: pages [first_, first_ + window_pages_ * page_size_)
  uint64_t window_pages_ = 0;
  unsigned char vec_[kWindowPages];
};

}  // namespace alloclab::replay

#endif  // ALLOCLAB_REPLAY_PROCESS_MEMORY_H_
