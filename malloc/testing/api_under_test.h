// The allocator's public calls as a test makes them: malloc, free, calloc,
// realloc, reallocarray, memalign, aligned_alloc, posix_memalign, valloc,
// pvalloc, malloc_usable_size, malloc_trim and mallinfo2.
//
// Normally they are the process's own functions: the test runs on the
// allocator through its malloc = attribute. Under AddressSanitizer and
// ThreadSanitizer the sanitizer's runtime is the process's malloc, so there
// (ALLOCLAB_TEST_INTERNAL_API, set by //malloc/testing:api_under_test) they
// call the allocator's internal API instead (malloc/alloc.h, the layer
// below malloc_api.cc): the same code, locks, thread caches and arenas run,
// under the sanitizer, while the test's own containers use the sanitizer's
// malloc.
//
// Use: include this header and write ALLOCLAB_USE_API_UNDER_TEST inside the
// test's anonymous namespace; unqualified malloc(n), free(p), ... in that
// namespace then mean these functions.
#ifndef ALLOCLAB_MALLOC_TESTING_API_UNDER_TEST_H_
#define ALLOCLAB_MALLOC_TESTING_API_UNDER_TEST_H_

#include <malloc.h>

#include <cstddef>
#include <cstdlib>

#ifdef ALLOCLAB_TEST_INTERNAL_API
#include "malloc/alloc.h"
#include "malloc/c_calls.h"
#endif

namespace alloclab::malloc::api_under_test {

#ifdef ALLOCLAB_TEST_INTERNAL_API

// Whether the calls go to the internal API (a sanitizer build): the process
// then also has the sanitizer's heap, so its RSS is not the allocator's alone.
inline constexpr bool kInternalApi = true;

// What malloc_api.cc exports, minus the export: the same functions.
inline void* malloc(size_t size) { return Allocate(size); }
inline void free(void* p) { Deallocate(p); }
inline void* calloc(size_t count, size_t size) { return Calloc(count, size); }
inline void* realloc(void* p, size_t size) { return Reallocate(p, size); }
inline void* reallocarray(void* p, size_t count, size_t size) { return ReallocArray(p, count, size); }
inline void* memalign(size_t align, size_t size) { return Memalign(align, size); }
inline void* aligned_alloc(size_t align, size_t size) { return AlignedAlloc(align, size); }
inline int posix_memalign(void** out, size_t align, size_t size) { return PosixMemalign(out, align, size); }
inline void* valloc(size_t size) { return Valloc(size); }
inline void* pvalloc(size_t size) { return Pvalloc(size); }
inline size_t malloc_usable_size(void* p) { return UsableSize(p); }
inline int malloc_trim(size_t pad) { return MallocTrim(pad); }
inline struct mallinfo2 mallinfo2() { return Mallinfo2(); }

#else  // the process's functions

inline constexpr bool kInternalApi = false;

inline void* malloc(size_t size) { return ::malloc(size); }
inline void free(void* p) { ::free(p); }
inline void* calloc(size_t count, size_t size) { return ::calloc(count, size); }
inline void* realloc(void* p, size_t size) { return ::realloc(p, size); }
inline void* reallocarray(void* p, size_t count, size_t size) { return ::reallocarray(p, count, size); }
inline void* memalign(size_t align, size_t size) { return ::memalign(align, size); }
inline void* aligned_alloc(size_t align, size_t size) { return ::aligned_alloc(align, size); }
inline int posix_memalign(void** out, size_t align, size_t size) { return ::posix_memalign(out, align, size); }
inline void* valloc(size_t size) { return ::valloc(size); }
inline void* pvalloc(size_t size) { return ::pvalloc(size); }
inline size_t malloc_usable_size(void* p) { return ::malloc_usable_size(p); }
inline int malloc_trim(size_t pad) { return ::malloc_trim(pad); }
inline struct mallinfo2 mallinfo2() { return ::mallinfo2(); }

#endif

}  // namespace alloclab::malloc::api_under_test

#define ALLOCLAB_USE_API_UNDER_TEST                                \
  using ::alloclab::malloc::api_under_test::aligned_alloc;         \
  using ::alloclab::malloc::api_under_test::calloc;                \
  using ::alloclab::malloc::api_under_test::free;                  \
  using ::alloclab::malloc::api_under_test::mallinfo2;             \
  using ::alloclab::malloc::api_under_test::malloc;                \
  using ::alloclab::malloc::api_under_test::malloc_trim;           \
  using ::alloclab::malloc::api_under_test::malloc_usable_size;    \
  using ::alloclab::malloc::api_under_test::memalign;              \
  using ::alloclab::malloc::api_under_test::posix_memalign;        \
  using ::alloclab::malloc::api_under_test::pvalloc;               \
  using ::alloclab::malloc::api_under_test::realloc;               \
  using ::alloclab::malloc::api_under_test::reallocarray;          \
  using ::alloclab::malloc::api_under_test::valloc

#endif  // ALLOCLAB_MALLOC_TESTING_API_UNDER_TEST_H_
