// The prepared form of a trace: per-thread operation streams in which every
// pointer is a dense slot index. Written by prepare (replay/prepare.h), mapped
// read-only by the runner, which only indexes arrays: no hashing, parsing or
// allocation of its own between the calls it replays.
//
// File layout (little-endian, all offsets from the start of the file):
//   PreparedHeader            at 0, one 4 KiB page
//   op blocks                 up to kBlockOps ops each, each op's recorded
//                             time (uint64 ns) right after the block's ops
//   ThreadEntry[threads]      at header.thread_table_offset
//   BlockRef[blocks]          per thread, at ThreadEntry.block_table_offset
//   TimelinePoint[samples]    at header.timeline_offset
//   IdleGap[idle_gaps]        at header.idle_gaps_offset
//   uint64_t[sites]           at header.sites_offset: each call site's stack id
// Allocation-free and dependency-free: the runner includes it.
#ifndef ALLOCLAB_REPLAY_OP_STREAM_H_
#define ALLOCLAB_REPLAY_OP_STREAM_H_

#include <cstddef>
#include <cstdint>

namespace alloclab::replay {

enum class OpKind : uint8_t {
  kMalloc = 1,       // slot = malloc(size)
  kFree,             // free(slot)
  kFreeNull,         // free(NULL): the program made the call, so we do too
  kCalloc,           // slot = calloc(arg.value, size)
  kRealloc,          // slot = realloc(slot, size)
  kReallocNull,      // slot = realloc(NULL, size)
  kMemalign,         // slot = memalign(arg.value, size)
  kPosixMemalign,    // posix_memalign(&slot, arg.value, size)
  kAlignedAlloc,     // slot = aligned_alloc(arg.value, size)
  kValloc,           // slot = valloc(size)
  kPvalloc,          // slot = pvalloc(size)
  kUsableSize,       // malloc_usable_size(slot)
  kWait,             // wait until thread `slot` has completed `size` ops
  kArg,              // the extra argument of the op before it, in size
};
inline constexpr int kMaxOpKind = static_cast<int>(OpKind::kArg);

// Whether an op of this kind is followed by a kArg op.
constexpr bool HasArg(OpKind k) {
  return k == OpKind::kCalloc || k == OpKind::kMemalign || k == OpKind::kPosixMemalign ||
         k == OpKind::kAlignedAlloc;
}
// Whether an op of this kind makes a new block in its slot.
constexpr bool Allocates(OpKind k) {
  return k == OpKind::kMalloc || k == OpKind::kCalloc || k == OpKind::kReallocNull ||
         k == OpKind::kMemalign || k == OpKind::kPosixMemalign || k == OpKind::kAlignedAlloc ||
         k == OpKind::kValloc || k == OpKind::kPvalloc;
}
// Whether an op reads its slot.
constexpr bool UsesSlot(OpKind k) {
  return k == OpKind::kFree || k == OpKind::kRealloc || k == OpKind::kUsableSize;
}

inline const char* OpKindName(OpKind k) {
  static constexpr const char* kNames[kMaxOpKind + 1] = {
      "?",      "malloc",        "free",          "free(NULL)", "calloc", "realloc",    "realloc(NULL)",
      "memalign", "posix_memalign", "aligned_alloc", "valloc",     "pvalloc", "usable_size", "wait",
      "arg"};
  const int i = static_cast<int>(k);
  return i >= 0 && i <= kMaxOpKind ? kNames[i] : "?";
}

struct Op {
  OpKind kind;
  // An op that makes or resizes a block: its call site, an index into the
  // site table (little-endian, 24 bits; 0: no stack recorded). 0 otherwise.
  uint8_t site[3];
  uint32_t slot;  // kWait: the thread index waited for
  uint64_t size;  // bytes requested; kWait: op count; kArg: the value
};
static_assert(sizeof(Op) == 16, "ops are two words");

// Distinct call sites an op can name; a trace's further stacks share site 0.
inline constexpr uint32_t kMaxSites = 1u << 24;
inline uint32_t OpSite(const Op& o) {
  return uint32_t{o.site[0]} | uint32_t{o.site[1]} << 8 | uint32_t{o.site[2]} << 16;
}
inline void SetOpSite(Op* o, uint32_t site) {
  o->site[0] = static_cast<uint8_t>(site);
  o->site[1] = static_cast<uint8_t>(site >> 8);
  o->site[2] = static_cast<uint8_t>(site >> 16);
}

inline constexpr char kPreparedMagic[8] = {'A', 'L', 'R', 'E', 'P', 'L', 'A', 'Y'};
inline constexpr uint64_t kPreparedVersion = 4;
inline constexpr uint64_t kBlockOps = 1024;  // 16 KiB per block
inline constexpr uint64_t kHeaderBytes = 4096;
inline constexpr uint64_t kMaxPreparedThreads = uint64_t{1} << 20;
inline constexpr int kSizeBuckets = 64;   // trace::Log2Histogram's buckets of requested sizes
inline constexpr int kMaxTimeline = 2048;  // live-bytes samples kept
// Stretches of the recorded timeline without any event at least this long are
// listed (IdleGap), so that a paced replay can shorten them (--max_gap).
inline constexpr uint64_t kMinIdleGapNs = 1000000;
// Bytes an op takes in its block: the op, then (after the block's ops) its time.
inline constexpr uint64_t kOpBytes = 16 + 8;

struct PreparedHeader {
  char magic[8];
  uint64_t version;
  uint64_t file_size;
  uint64_t threads;
  uint64_t slots;
  uint64_t ops;       // every op word, waits and args included
  uint64_t calls;     // allocator calls (ops minus waits and args)
  uint64_t checksum;  // HashOps of each thread's stream, folded in thread order
  uint64_t thread_table_offset;
  uint64_t timeline_offset;
  uint64_t timeline_samples;
  // What the trace held and how preparation treated it.
  uint64_t trace_events;
  uint64_t trace_threads;
  uint64_t peak_live_bytes;   // requested bytes live at the peak ("ideal RSS")
  uint64_t peak_live_blocks;
  uint64_t final_live_bytes;  // still live at the end of the trace
  uint64_t final_live_blocks;
  uint64_t inversions;        // an address returned while still live elsewhere
  uint64_t unknown_frees;     // frees of pointers the trace never allocated: skipped
  uint64_t failed_allocations;  // recorded NULL results: skipped
  uint64_t realloc_zero_frees;  // realloc(p, 0) that freed p: replayed as free
  uint64_t untraced_reallocs;   // realloc of a pointer allocated before tracing
  uint64_t waits;               // cross-thread synchronisation points
  uint64_t reuse_waits;         // of which: an address reused across threads
  uint64_t skipped_other;       // thread start/exit, fork, exec, unknown usable_size
  uint64_t calls_by_kind[kMaxOpKind + 1];
  uint64_t size_histogram[kSizeBuckets];
  // The recorded clock: op times are ns since the trace's first event.
  uint64_t clock_known;        // 0 when the trace had no clock rate (times are 0)
  uint64_t trace_duration_ns;  // the last event's time
  uint64_t idle_gaps_offset;
  uint64_t idle_gaps;
  // Capture on demand: WINDOW events (recording switched on or off). A trace
  // of windows knows blocks allocated while recording was off only by their
  // frees (unknown_frees).
  uint64_t window_starts;
  uint64_t window_stops;
  // A window of the trace (prepare's --from/--to): the first and last seq it
  // replays (0 and 0: the whole trace), and the thread (its index + 1; 0:
  // none) whose ops allocate the blocks live at the window's start, in the
  // original program's address order. The runner runs that thread before
  // the timed replay; the window's ops on those blocks wait for it.
  uint64_t window_first_seq;
  uint64_t window_last_seq;
  uint64_t prologue_thread;
  uint64_t prologue_blocks;
  // Call sites (MALLOC_TRACE_STACKS): entry i is the trace's stack id of the
  // ops whose site is i; entry 0 is 0 (no stack). No table (sites 0) when the
  // trace recorded no stacks. Stacks past kMaxSites - 1 distinct ones are
  // counted here and named by site 0.
  uint64_t sites_offset;
  uint64_t sites;
  uint64_t stacks_beyond_sites;
};
static_assert(sizeof(PreparedHeader) <= kHeaderBytes, "header fits its page");

struct ThreadEntry {
  uint64_t trace_thread_id;
  uint64_t ops;
  uint64_t calls;     // allocator calls among the ops (not waits or args)
  uint64_t checksum;  // HashOps over the thread's ops
  uint64_t blocks;
  uint64_t block_table_offset;
  // Where the thread's ops lie in preparation's global order (the position of
  // its first and last op among all threads' ops; 0 and 0 with no ops).
  // Threads whose ranges do not overlap can share one replay thread.
  uint64_t first_op;
  uint64_t last_op;
};

// A block of consecutive ops of one thread. Blocks hold up to kBlockOps ops;
// one may end early so that an op and its kArg stay together. The ops' times
// follow them: uint64 at offset + ops * sizeof(Op).
struct BlockRef {
  uint64_t offset;
  uint64_t ops;
};

// Live requested bytes after `ops` op words of the global order, and the
// recorded time then.
struct TimelinePoint {
  uint64_t ops;
  uint64_t live_bytes;
  uint64_t time_ns;
};

// No event was recorded in (start_ns, start_ns + length_ns).
struct IdleGap {
  uint64_t start_ns;
  uint64_t length_ns;
};

// FNV-1a over the ops' 64-bit words (two steps an op: cheap enough to check
// every op of a big stream before a replay).
inline constexpr uint64_t kHashBasis = 0xcbf29ce484222325ull;
inline constexpr uint64_t kHashPrime = 0x100000001b3ull;
// The replay folds each op it issues with HashOp as it goes, so its hash of a
// thread equals HashOps of the thread's stream only if it issued every op.
inline uint64_t HashOp(uint64_t h, const Op& op) {
  uint64_t w[2];
  __builtin_memcpy(w, &op, sizeof w);
  h = (h ^ w[0]) * kHashPrime;
  return (h ^ w[1]) * kHashPrime;
}
inline uint64_t HashOps(uint64_t h, const Op* ops, size_t n) {
  for (size_t i = 0; i < n; ++i) h = HashOp(h, ops[i]);
  return h;
}
// Whether an op is an allocator call (waits and arguments are not).
constexpr bool IsCall(OpKind k) { return k != OpKind::kWait && k != OpKind::kArg; }
// The checksum of all threads: each thread's stream hash folded in order.
inline uint64_t CombineChecksum(uint64_t combined, uint64_t thread_hash) {
  return (combined ^ thread_hash) * kHashPrime;
}

}  // namespace alloclab::replay

#endif  // ALLOCLAB_REPLAY_OP_STREAM_H_
