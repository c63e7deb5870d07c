// What operator new does after a failed allocation, as the standard requires
// it: call the new_handler and try again until an allocation succeeds; with no
// handler, throw std::bad_alloc (return nullptr for the nothrow forms).
#ifndef ALLOCLAB_BASE_NEW_HANDLER_H_
#define ALLOCLAB_BASE_NEW_HANDLER_H_

#include <new>

namespace alloclab::base {

// allocate() is the allocation that just failed; it is retried after each
// handler call.
template <bool kNoThrow, typename Allocate>
void* RetryWithNewHandler(Allocate allocate) {
  for (;;) {
    std::new_handler handler = std::get_new_handler();
    if (handler == nullptr) {
      if (kNoThrow) return nullptr;
      throw std::bad_alloc();
    }
    if (kNoThrow) {
      try {
        handler();
      } catch (...) {
        return nullptr;
      }
    } else {
      handler();
    }
    if (void* p = allocate()) return p;
  }
}

}  // namespace alloclab::base

#endif  // ALLOCLAB_BASE_NEW_HANDLER_H_
