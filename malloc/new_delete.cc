// C++ operator new and delete in every form (plain, array, nothrow, sized,
// aligned), over alloc.h. new retries through the new_handler and throws
// std::bad_alloc, as the standard requires.
#include <cstddef>
#include <new>

#include "base/new_handler.h"
#include "malloc/alloc.h"

using alloclab::malloc::Allocate;
using alloclab::malloc::AllocateAligned;
using alloclab::malloc::Deallocate;

namespace {

// After a failed allocation: the new_handler loop, out of line.
template <bool kNoThrow>
__attribute__((noinline)) void* NewSlow(size_t size, size_t align) {
  return alloclab::base::RetryWithNewHandler<kNoThrow>(
      [&] { return align == 0 ? Allocate(size) : AllocateAligned(align, size); });
}

inline void* New(size_t size) {
  void* p = Allocate(size);
  return __builtin_expect(p != nullptr, 1) ? p : NewSlow<false>(size, 0);
}

inline void* NewNoThrow(size_t size) noexcept {
  void* p = Allocate(size);
  return __builtin_expect(p != nullptr, 1) ? p : NewSlow<true>(size, 0);
}

inline void* NewAligned(size_t size, std::align_val_t align) {
  const size_t a = static_cast<size_t>(align);
  void* p = AllocateAligned(a, size);
  return p != nullptr ? p : NewSlow<false>(size, a);
}

inline void* NewAlignedNoThrow(size_t size, std::align_val_t align) noexcept {
  const size_t a = static_cast<size_t>(align);
  void* p = AllocateAligned(a, size);
  return p != nullptr ? p : NewSlow<true>(size, a);
}

}  // namespace

void* operator new(size_t size) { return New(size); }
void* operator new[](size_t size) { return New(size); }
void* operator new(size_t size, const std::nothrow_t&) noexcept { return NewNoThrow(size); }
void* operator new[](size_t size, const std::nothrow_t&) noexcept { return NewNoThrow(size); }
void* operator new(size_t size, std::align_val_t align) { return NewAligned(size, align); }
void* operator new[](size_t size, std::align_val_t align) { return NewAligned(size, align); }
void* operator new(size_t size, std::align_val_t align, const std::nothrow_t&) noexcept {
  return NewAlignedNoThrow(size, align);
}
void* operator new[](size_t size, std::align_val_t align, const std::nothrow_t&) noexcept {
  return NewAlignedNoThrow(size, align);
}

void operator delete(void* p) noexcept { Deallocate(p); }
void operator delete[](void* p) noexcept { Deallocate(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { Deallocate(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { Deallocate(p); }
void operator delete(void* p, size_t) noexcept { Deallocate(p); }
void operator delete[](void* p, size_t) noexcept { Deallocate(p); }
void operator delete(void* p, std::align_val_t) noexcept { Deallocate(p); }
void operator delete[](void* p, std::align_val_t) noexcept { Deallocate(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { Deallocate(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { Deallocate(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { Deallocate(p); }
void operator delete[](void* p, size_t, std::align_val_t) noexcept { Deallocate(p); }
