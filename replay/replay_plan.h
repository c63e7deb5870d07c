// What a replay of a checked prepared file needs before its first call:
// which OS thread (a worker) replays which traced threads, the proof that the
// recorded waits let every worker run to its end, and the size of the
// runner's own memory. Allocation-free (the runner makes it while the
// allocator under test is loaded); its arrays come from mmap.
//
// A program that starts 10^5 short-lived threads, a few alive at once, is
// replayed by a few workers: traced threads whose ranges in the global order
// (ThreadEntry.first_op..last_op) do not overlap share one, in that order.
// That keeps the recorded order: every wait points at an earlier op of the
// global order, and each worker replays its threads in global order, so the
// earliest op not yet replayed can always run. The plan does not take that
// on trust: it runs the schedule once over the ops' waits (no calls) and
// rejects a file whose waits would leave a worker stuck.
#ifndef ALLOCLAB_REPLAY_REPLAY_PLAN_H_
#define ALLOCLAB_REPLAY_REPLAY_PLAN_H_

#include <cstddef>
#include <cstdint>

#include "replay/prepared_file.h"

namespace alloclab::replay {

inline constexpr uint32_t kNoThread = UINT32_MAX;
// More traced threads alive at once than this is refused (each is an OS thread).
inline constexpr uint32_t kMaxWorkers = 16384;

struct ReplayPlan {
  uint32_t workers = 0;
  const uint32_t* first_thread = nullptr;  // [workers]: each worker's first traced thread
  const uint32_t* next_thread = nullptr;   // [threads]: what its worker replays after it, or kNoThread
  // The runner's own memory, in bytes (none of it can overflow: every count
  // is bounded by the file's size once MapPrepared has accepted it).
  size_t slots_bytes = 0;     // one pointer per slot
  size_t progress_bytes = 0;  // one cache line per traced thread
  void* mapping = nullptr;    // first_thread and next_thread
  size_t mapping_bytes = 0;
};

// Plans the replay of v (accepted by MapPrepared). On failure writes a
// one-line reason into error and returns false.
bool MakeReplayPlan(const PreparedView& v, ReplayPlan* plan, char* error, size_t error_size);
void FreeReplayPlan(ReplayPlan* plan);

}  // namespace alloclab::replay

#endif  // ALLOCLAB_REPLAY_REPLAY_PLAN_H_
