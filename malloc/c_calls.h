// The C interface's rules, one function per call: argument checks, errno,
// and glibc's documented quirks (memalign rounds its alignment up, pvalloc
// rounds the size to pages, calloc's count x size overflow is ENOMEM, ...).
// malloc_api.cc only exports them under the C names; the tests' internal API
// (malloc/testing/api_under_test.h) calls them as they are, so a sanitizer
// build tests the same rules.
#ifndef ALLOCLAB_MALLOC_C_CALLS_H_
#define ALLOCLAB_MALLOC_C_CALLS_H_

#include <malloc.h>

#include <cstddef>

namespace alloclab::malloc {

void* Calloc(size_t count, size_t size);
void* ReallocArray(void* p, size_t count, size_t size);
void* Memalign(size_t align, size_t size);
void* AlignedAlloc(size_t align, size_t size);
int PosixMemalign(void** out, size_t align, size_t size);
void* Valloc(size_t size);
void* Pvalloc(size_t size);
int MallocTrim(size_t pad);
struct mallinfo2 Mallinfo2();
struct mallinfo Mallinfo();

}  // namespace alloclab::malloc

#endif  // ALLOCLAB_MALLOC_C_CALLS_H_
