// The process's resident anonymous memory, for tests that check what the
// allocator gives back to the kernel (/proc/self/statm: resident - shared).
#ifndef ALLOCLAB_MALLOC_TESTING_ANON_RSS_H_
#define ALLOCLAB_MALLOC_TESTING_ANON_RSS_H_

#include <unistd.h>

#include <cstddef>
#include <fstream>

namespace alloclab::malloc::testing {

inline size_t AnonRss() {
  std::ifstream f("/proc/self/statm");
  size_t size = 0, resident = 0, shared = 0;
  f >> size >> resident >> shared;
  return (resident - shared) * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace alloclab::malloc::testing

#endif  // ALLOCLAB_MALLOC_TESTING_ANON_RSS_H_
