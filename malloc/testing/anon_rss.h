// The process's resident anonymous memory, for tests that check what the
// allocator gives back to the kernel (/proc/self/statm: resident - shared).
#ifndef ALLOCLAB_MALLOC_TESTING_ANON_RSS_H_
#define ALLOCLAB_MALLOC_TESTING_ANON_RSS_H_

#include <cstddef>

#include "base/proc_statm.h"

namespace alloclab::malloc::testing {

inline size_t AnonRss() { return static_cast<size_t>(base::AnonResidentBytes()); }

}  // namespace alloclab::malloc::testing

#endif  // ALLOCLAB_MALLOC_TESTING_ANON_RSS_H_
