// A prepared file mapped read-only and checked before anything is sized from
// it: every header field against the file's size and the others (no product
// can overflow), the tables, every op's kind and operands, each thread's
// calls and checksum, and the header's totals against what the streams hold. Allocation-free (the runner uses it
// while the allocator under test is loaded).
#ifndef ALLOCLAB_REPLAY_PREPARED_FILE_H_
#define ALLOCLAB_REPLAY_PREPARED_FILE_H_

#include <cstddef>
#include <cstdint>

#include "replay/op_stream.h"

namespace alloclab::replay {

struct PreparedView {
  const uint8_t* base = nullptr;
  size_t size = 0;
  const PreparedHeader* header = nullptr;
  const ThreadEntry* threads = nullptr;
  const TimelinePoint* timeline = nullptr;
  const IdleGap* idle_gaps = nullptr;
  const uint64_t* site_stacks = nullptr;  // [header->sites]: each site's stack id

  const BlockRef* Blocks(uint64_t thread) const {
    return reinterpret_cast<const BlockRef*>(base + threads[thread].block_table_offset);
  }
  const Op* BlockOps(const BlockRef& b) const { return reinterpret_cast<const Op*>(base + b.offset); }
  // The recorded time of each op of the block, ns since the trace's start.
  const uint64_t* BlockTimes(const BlockRef& b) const {
    return reinterpret_cast<const uint64_t*>(base + b.offset + b.ops * sizeof(Op));
  }
};

// Maps path and checks it. On failure writes a one-line reason (no newline)
// into error[error_size] and returns false.
bool MapPrepared(const char* path, PreparedView* view, char* error, size_t error_size);
void UnmapPrepared(PreparedView* view);

}  // namespace alloclab::replay

#endif  // ALLOCLAB_REPLAY_PREPARED_FILE_H_
