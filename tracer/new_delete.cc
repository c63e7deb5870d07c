// C++ operator new and delete, every form. Allocators such as jemalloc,
// tcmalloc, mimalloc and ours define these themselves, so a C++ program's
// new and delete would never reach the traced malloc and free over them:
// the tracer defines them too (it is first in the lookup order) and serves
// them with the traced C entry points. new is malloc (memalign for the
// aligned forms) with the standard's new_handler loop; delete records the
// size and alignment the program passed (FREE_SIZED, FREE_ALIGNED,
// FREE_SIZED_ALIGNED) and frees.
#include <malloc.h>

#include <cstddef>
#include <cstdlib>
#include <new>

#include "base/new_handler.h"
#include "trace/event.h"
#include "tracer/interpose.h"

#define EXPORT __attribute__((visibility("default")))

namespace {

using alloclab::trace::Kind;
using alloclab::tracer::TracedFree;

// Each attempt is a traced malloc or memalign (a failed one is recorded as
// failed); the new_handler runs outside the tracer, so what it frees is
// traced too.
template <bool kNoThrow>
void* New(size_t size, size_t align) {
  if (size == 0) size = 1;  // distinct non-null blocks, as libstdc++'s new
  auto attempt = [&] { return align == 0 ? malloc(size) : memalign(align, size); };
  void* p = attempt();
  return p != nullptr ? p : alloclab::base::RetryWithNewHandler<kNoThrow>(attempt);
}

inline size_t Align(std::align_val_t a) { return static_cast<size_t>(a); }

}  // namespace

EXPORT void* operator new(size_t n) { return New<false>(n, 0); }
EXPORT void* operator new[](size_t n) { return New<false>(n, 0); }
EXPORT void* operator new(size_t n, const std::nothrow_t&) noexcept { return New<true>(n, 0); }
EXPORT void* operator new[](size_t n, const std::nothrow_t&) noexcept { return New<true>(n, 0); }
EXPORT void* operator new(size_t n, std::align_val_t a) { return New<false>(n, Align(a)); }
EXPORT void* operator new[](size_t n, std::align_val_t a) { return New<false>(n, Align(a)); }
EXPORT void* operator new(size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return New<true>(n, Align(a));
}
EXPORT void* operator new[](size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return New<true>(n, Align(a));
}

EXPORT void operator delete(void* p) noexcept { TracedFree(p, Kind::kFree, 0, 0); }
EXPORT void operator delete[](void* p) noexcept { TracedFree(p, Kind::kFree, 0, 0); }
EXPORT void operator delete(void* p, const std::nothrow_t&) noexcept { TracedFree(p, Kind::kFree, 0, 0); }
EXPORT void operator delete[](void* p, const std::nothrow_t&) noexcept { TracedFree(p, Kind::kFree, 0, 0); }
EXPORT void operator delete(void* p, size_t n) noexcept { TracedFree(p, Kind::kFreeSized, n, 0); }
EXPORT void operator delete[](void* p, size_t n) noexcept { TracedFree(p, Kind::kFreeSized, n, 0); }
EXPORT void operator delete(void* p, std::align_val_t a) noexcept {
  TracedFree(p, Kind::kFreeAligned, 0, Align(a));
}
EXPORT void operator delete[](void* p, std::align_val_t a) noexcept {
  TracedFree(p, Kind::kFreeAligned, 0, Align(a));
}
EXPORT void operator delete(void* p, std::align_val_t a, const std::nothrow_t&) noexcept {
  TracedFree(p, Kind::kFreeAligned, 0, Align(a));
}
EXPORT void operator delete[](void* p, std::align_val_t a, const std::nothrow_t&) noexcept {
  TracedFree(p, Kind::kFreeAligned, 0, Align(a));
}
EXPORT void operator delete(void* p, size_t n, std::align_val_t a) noexcept {
  TracedFree(p, Kind::kFreeSizedAligned, n, Align(a));
}
EXPORT void operator delete[](void* p, size_t n, std::align_val_t a) noexcept {
  TracedFree(p, Kind::kFreeSizedAligned, n, Align(a));
}
