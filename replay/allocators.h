// Allocator names users type (--allocator=buddy|glibc|jemalloc|tcmalloc|
// mimalloc|PATH.so) and the shared objects they stand for.
#ifndef ALLOCLAB_REPLAY_ALLOCATORS_H_
#define ALLOCLAB_REPLAY_ALLOCATORS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace alloclab::replay {

struct Allocator {
  std::string name;     // as given
  std::string preload;  // the .so to preload; empty for glibc
};

// The named allocators, in the order compare uses by default.
const std::vector<std::string>& KnownAllocators();

// Resolves one name. buddy is our libbuddymalloc.so (found next to the
// replayer, in its runfiles, or through $BUDDYMALLOC_SO); a .so must exist and
// be a loadable ELF shared object.
absl::StatusOr<Allocator> ResolveAllocator(const std::string& name);

// Finds a file shipped with the replayer: "replay/replay_runner",
// "malloc/libbuddymalloc.so" (workspace-relative).
absl::StatusOr<std::string> FindDataFile(const std::string& workspace_path);

}  // namespace alloclab::replay

#endif  // ALLOCLAB_REPLAY_ALLOCATORS_H_
