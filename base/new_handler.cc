// The C++ runtime, weakly: every name below is resolved from whatever C++
// runtime the process loaded (libstdc++), or stays null without one. No
// standard C++ header is included: they declare some of these names
// strongly.
#include "base/new_handler.h"

#include <cstddef>

#include "base/stderr_line.h"

// The personality routine that a catch clause refers to (through
// DW.ref.__gxx_personality_v0): weak as well, or the catch below alone would
// make the library need libstdc++.
asm(".weak __gxx_personality_v0");

extern "C" {
void* __cxa_allocate_exception(size_t size) noexcept __attribute__((weak));
[[noreturn]] void __cxa_throw(void* object, void* type, void (*destroy)(void*)) __attribute__((weak));
void* __cxa_begin_catch(void* exception) noexcept __attribute__((weak));
void __cxa_end_catch() __attribute__((weak));
}

namespace alloclab::base {
namespace cxx_runtime {

// std::get_new_handler(), and std::bad_alloc's virtual table, type_info and
// destructor, by their mangled names (external linkage: in an unnamed
// namespace they would be taken for local symbols).
NewHandler GetNewHandler() __asm__("_ZSt15get_new_handlerv") __attribute__((weak));
extern char bad_alloc_vtable[] __asm__("_ZTVSt9bad_alloc") __attribute__((weak));
extern char bad_alloc_typeinfo[] __asm__("_ZTISt9bad_alloc") __attribute__((weak));
void DestroyBadAlloc(void*) __asm__("_ZNSt9bad_allocD1Ev") __attribute__((weak));

}  // namespace cxx_runtime

using cxx_runtime::bad_alloc_typeinfo;
using cxx_runtime::bad_alloc_vtable;
using cxx_runtime::DestroyBadAlloc;
using cxx_runtime::GetNewHandler;

NewHandler CurrentNewHandler() { return GetNewHandler != nullptr ? GetNewHandler() : nullptr; }

void ThrowBadAlloc() {
  if (__cxa_allocate_exception != nullptr && __cxa_throw != nullptr && bad_alloc_vtable != nullptr &&
      bad_alloc_typeinfo != nullptr && DestroyBadAlloc != nullptr) {
    // A std::bad_alloc is its virtual table pointer alone; the pointer goes
    // past the table's offset-to-top and type_info entries (Itanium C++ ABI).
    void* object = __cxa_allocate_exception(sizeof(void*));
    *static_cast<void**>(object) = bad_alloc_vtable + 2 * sizeof(void*);
    __cxa_throw(object, bad_alloc_typeinfo, DestroyBadAlloc);
  }
  WriteStderrLine({"operator new: out of memory, and no C++ runtime to throw std::bad_alloc with"});
  __builtin_trap();
}

bool CallCatchingExceptions(NewHandler handler) {
  try {
    handler();
  } catch (...) {
    return false;
  }
  return true;
}

}  // namespace alloclab::base
