// The comparison allocators (tools/allocators.bzl, generated into
// allocators.inc) for C++: the replayer's names and the tests' paths.
#ifndef ALLOCLAB_TOOLS_ALLOCATOR_LIST_H_
#define ALLOCLAB_TOOLS_ALLOCATOR_LIST_H_

#include <string_view>

namespace alloclab {

struct ListedAllocator {
  const char* name;
  const char* so;       // "" for glibc; workspace-relative for buddy
  const char* package;  // Debian's
};

inline constexpr ListedAllocator kListedAllocators[] = {
#include "tools/allocators.inc"
};

// The listed allocator called name, or nullptr.
inline const ListedAllocator* FindListedAllocator(std::string_view name) {
  for (const ListedAllocator& a : kListedAllocators) {
    if (name == a.name) return &a;
  }
  return nullptr;
}

}  // namespace alloclab

#endif  // ALLOCLAB_TOOLS_ALLOCATOR_LIST_H_
