// What operator new does after a failed allocation, as the standard requires
// it: call the new_handler and try again until an allocation succeeds; with no
// handler, throw std::bad_alloc (return nullptr for the nothrow forms).
//
// The C++ runtime's parts of that (the handler, the exception) are reached
// through weak references (new_handler.cc), so that a library defining
// operator new does not make every program it is preloaded into load
// libstdc++: a C program (ls, perl, lua, python3) would map three more
// libraries, about 1.2 MB resident, for code it never runs. A program that
// calls operator new has its C++ runtime loaded already.
#ifndef ALLOCLAB_BASE_NEW_HANDLER_H_
#define ALLOCLAB_BASE_NEW_HANDLER_H_

namespace alloclab::base {

using NewHandler = void (*)();

// The installed std::new_handler; nullptr when there is none or the process
// has no C++ runtime.
NewHandler CurrentNewHandler();

// Throws std::bad_alloc. Without a C++ runtime (no program that called
// operator new is without one) it aborts with one line on stderr.
[[noreturn]] void ThrowBadAlloc();

// Calls handler; false if it threw.
bool CallCatchingExceptions(NewHandler handler);

// allocate() is the allocation that just failed; it is retried after each
// handler call.
template <bool kNoThrow, typename Allocate>
void* RetryWithNewHandler(Allocate allocate) {
  for (;;) {
    const NewHandler handler = CurrentNewHandler();
    if (handler == nullptr) {
      if (kNoThrow) return nullptr;
      ThrowBadAlloc();
    }
    if (kNoThrow) {
      if (!CallCatchingExceptions(handler)) return nullptr;
    } else {
      handler();
    }
    if (void* p = allocate()) return p;
  }
}

}  // namespace alloclab::base

#endif  // ALLOCLAB_BASE_NEW_HANDLER_H_
