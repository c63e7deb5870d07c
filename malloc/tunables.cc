// ReadTunables: getenv (which does not allocate) and strict integer parsing.
#include "malloc/tunables.h"

#include <cstdint>
#include <cstdlib>

#include "base/env_setting.h"
#include "malloc/alloc.h"
#include "malloc/arena.h"
#include "malloc/arena_registry.h"
#include "malloc/platform.h"
#include "malloc/segment.h"
#include "malloc/size_classes.h"

namespace alloclab::malloc {
namespace {

bool g_stats_at_exit = false;

// The value of BUDDYMALLOC_<name> in [lo, hi]; false if unset or bad (with a
// warning when set but bad).
bool ReadInteger(const char* name, uint64_t lo, uint64_t hi, uint64_t* out) {
  const char* value = getenv(name);
  if (value == nullptr) return false;
  uint64_t v = 0;
  if (!base::ParseWholeNumber(value, &v) || v < lo || v > hi) {
    WriteStderr("buddymalloc: ignoring ");
    WriteStderr(name);
    WriteStderr("=");
    WriteStderr(value);
    WriteStderr(" (not a whole number in range); using the default\n");
    return false;
  }
  *out = v;
  return true;
}

}  // namespace

void ReadTunables() {
  uint64_t v;
  if (ReadInteger("BUDDYMALLOC_MMAP_THRESHOLD", kMaxSmallSize, kSegmentSize, &v)) SetMmapThreshold(v);
  if (ReadInteger("BUDDYMALLOC_DECAY_MS", 0, 3600000, &v)) Arena::SetDecayMs(v);
  if (ReadInteger("BUDDYMALLOC_STATS_AT_EXIT", 0, 1, &v)) g_stats_at_exit = v == 1;
  // Arenas: one per CPU by default (threads beyond that share).
  SetArenaLimit(OnlineCpus());
  if (ReadInteger("BUDDYMALLOC_ARENAS", 1, kMaxArenas, &v)) SetArenaLimit(static_cast<int>(v));
  if (ReadInteger("BUDDYMALLOC_PER_CPU", 0, 1, &v)) SetPerCpu(v == 1);
}

bool StatsAtExit() { return g_stats_at_exit; }

}  // namespace alloclab::malloc
