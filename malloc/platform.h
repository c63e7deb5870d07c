// The OS layer: the only file that talks to the kernel for memory (mmap,
// munmap, mremap, madvise, sbrk) or writes diagnostics. Everything above it
// asks for memory here. Nothing in this layer allocates.
#ifndef ALLOCLAB_MALLOC_PLATFORM_H_
#define ALLOCLAB_MALLOC_PLATFORM_H_

#include <cstddef>
#include <cstdint>

namespace alloclab::malloc {

inline constexpr size_t kPageSize = 4096;
inline constexpr int kPageShift = 12;

#define ALLOCLAB_LIKELY(x) __builtin_expect(!!(x), 1)
#define ALLOCLAB_UNLIKELY(x) __builtin_expect(!!(x), 0)
// On the declaration of a global the fast paths read: -fvisibility=hidden
// hides definitions only, and a declaration not known to be hidden is
// reached through the GOT (a load more on every use).
#define ALLOCLAB_HIDDEN __attribute__((visibility("hidden")))

// align must be a power of two.
template <typename T>
constexpr T AlignUp(T n, T align) {
  return (n + align - 1) & ~(align - 1);
}

// Fresh zeroed pages, or nullptr. size is a multiple of kPageSize.
void* MapPages(size_t size);
// Like MapPages, aligned to `align` (a power of two; below a page, any).
void* MapAligned(size_t size, size_t align);
void UnmapPages(void* p, size_t size);
// Asks for transparent huge pages over [p, p + size) (madvise MADV_HUGEPAGE;
// a no-op where the kernel has none).
void AdviseHugePages(void* p, size_t size);
// Moves or resizes a mapping; nullptr on failure (the old mapping stays).
void* RemapPages(void* p, size_t old_size, size_t new_size);
// Whether mremap can take [p, p + size) as one (it lies within one kernel
// mapping): probed by growing it a page in place (EFAULT if it spans
// mappings), undone at once. Nothing is moved.
bool CanMoveAsOne(void* p, size_t size);
// Moves the pages of [from, from + size) to [to, to + size), replacing what
// was mapped there (mremap MREMAP_FIXED: page tables move, data is neither
// copied nor zeroed). false on failure, when the destination may have been
// unmapped already (the kernel unmaps it before it checks the source).
bool MovePages(void* from, size_t size, void* to);
// Whether all of [p, p + size) is mapped.
bool IsMapped(void* p, size_t size);
// Fresh zeroed pages at exactly p, where nothing may be mapped; false if
// something is (or out of memory).
bool MapPagesAt(void* p, size_t size);
// Gives the pages' memory back to the kernel; they read as zero afterwards.
void PurgePages(void* p, size_t size);

// The CPUs online, at least 1 (get_nprocs, which does not allocate).
int OnlineCpus();

// Grows the program break by `size` bytes aligned to `align`; returns the
// aligned start, or nullptr if the break cannot grow (the caller falls back
// to mmap). Bytes skipped for alignment are lost to the break.
void* GrowBreak(size_t size, size_t align);
// Shrinks the break by `size` bytes if it still ends at `end`.
bool ShrinkBreak(void* end, size_t size);
bool BreakEndsAt(const void* end);

// A cheap monotonic clock (coarse, a few ms resolution), in milliseconds.
uint64_t NowMs();

// Writes one line to stderr and aborts, without allocating.
[[noreturn]] void Fatal(const char* message);
[[noreturn]] void FatalPointer(const char* message, const void* p);
// Writes to stderr without allocating.
void WriteStderr(const char* s, size_t n);
void WriteStderr(const char* s);

}  // namespace alloclab::malloc

#endif  // ALLOCLAB_MALLOC_PLATFORM_H_
