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
  std::string redirected_by;  // the environment variable that chose preload, if one did
};

// The named allocators, in the order compare uses by default.
const std::vector<std::string>& KnownAllocators();

// Resolves one name. buddy is our libbuddymalloc.so (found next to the
// replayer, in its runfiles, or through $BUDDYMALLOC_SO); a .so must exist,
// be a loadable ELF shared object, and have a path LD_PRELOAD can carry (no
// space or colon, its separators).
absl::StatusOr<Allocator> ResolveAllocator(const std::string& name);

// The environment variables set now that tune or redirect one of the known
// allocators ("MALLOC_CONF=...", "BUDDYMALLOC_DECAY_MS=..."): every replay
// child inherits them, so a report says so.
std::vector<std::string> AllocatorEnvironment();

// Finds a file shipped with the replayer: "replay/replay_runner",
// "malloc/libbuddymalloc.so" (workspace-relative).
absl::StatusOr<std::string> FindDataFile(const std::string& workspace_path);

}  // namespace alloclab::replay

#endif  // ALLOCLAB_REPLAY_ALLOCATORS_H_
