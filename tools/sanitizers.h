// Whether this code is compiled for a sanitizer build (.bazelrc's
// --config=asan, tsan, ubsan; README.md, "Sanitizers"), for the few places
// that must know. AddressSanitizer and ThreadSanitizer own the process's heap
// (malloc, free, new, delete are theirs), keep freed memory in quarantine and
// reserve terabytes of address space for their shadow memory: a process's
// RSS is then mostly theirs, and an address-space limit (RLIMIT_AS) makes
// their own mappings fail.
#ifndef ALLOCLAB_TOOLS_SANITIZERS_H_
#define ALLOCLAB_TOOLS_SANITIZERS_H_

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define ALLOCLAB_SANITIZER_OWNS_HEAP 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define ALLOCLAB_SANITIZER_OWNS_HEAP 1
#endif
#endif

namespace alloclab {

#ifdef ALLOCLAB_SANITIZER_OWNS_HEAP
inline constexpr bool kSanitizerOwnsHeap = true;
#else
inline constexpr bool kSanitizerOwnsHeap = false;
#endif

}  // namespace alloclab

#endif  // ALLOCLAB_TOOLS_SANITIZERS_H_
