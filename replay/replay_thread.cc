// ReplayThread: the hot loop. Every op is a switch on its kind and a slot
// index; one op in 2^k is timed with the cycle counter.
#include "replay/replay_thread.h"

#include <dlfcn.h>
#include <limits.h>
#include <malloc.h>
#include <sched.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <initializer_list>

#include "base/clock.h"
#include "base/futex.h"

namespace alloclab::replay {
namespace {

EntryPoints g_entry = {memalign, posix_memalign, aligned_alloc, valloc, pvalloc, {}, 0};

// Equivalents built on posix_memalign, for allocators without the call.
int (*g_posix_memalign)(void**, size_t, size_t) = posix_memalign;
size_t g_page = 4096;
void* ViaPosixMemalign(size_t alignment, size_t size) {
  void* p = nullptr;
  if (alignment < sizeof(void*)) alignment = sizeof(void*);
  return g_posix_memalign(&p, alignment, size) == 0 ? p : nullptr;
}
void* VallocViaPosixMemalign(size_t size) { return ViaPosixMemalign(g_page, size); }
void* PvallocViaPosixMemalign(size_t size) {
  return ViaPosixMemalign(g_page, size == 0 ? g_page : (size + g_page - 1) & ~(g_page - 1));
}

// Whether symbol `name` resolves into `object`.
bool ComesFrom(const char* name, const char* object) {
  void* sym = dlsym(RTLD_DEFAULT, name);
  Dl_info info;
  if (sym == nullptr || dladdr(sym, &info) == 0 || info.dli_fname == nullptr) return false;
  char have[PATH_MAX];
  if (realpath(info.dli_fname, have) == nullptr) return false;
  if (strcmp(object, "glibc") == 0) return strstr(have, "/libc.so") != nullptr;
  char want[PATH_MAX];
  return realpath(object, want) != nullptr && strcmp(have, want) == 0;
}

inline const uint32_t* FutexWord(const std::atomic<uint64_t>* done) {
  return reinterpret_cast<const uint32_t*>(done);  // the low half on little-endian
}

// Whether the wait ended with other at target (false: the replay was abandoned).
bool WaitFor(WorkerStats* stats, ThreadProgress* other, uint64_t target, const std::atomic<bool>* abandoned) {
  for (int i = 0; i < 256; ++i) {
    if (other->done.load(std::memory_order_acquire) >= target) return true;
    _mm_pause();
  }
  for (int i = 0; i < 16; ++i) {
    if (other->done.load(std::memory_order_acquire) >= target) return true;
    sched_yield();
  }
  ++stats->waits_slept;
  // Sleep until the other thread passes the lowest target any sleeper set.
  // The publisher checks wake_at without a fence: a wake lost to that race
  // costs one timeout, never a hang.
  constexpr uint64_t kTimeoutNs = 1000000;
  for (;;) {
    uint64_t seen = other->done.load(std::memory_order_acquire);
    if (seen >= target) break;
    if (abandoned->load(std::memory_order_relaxed)) return false;
    uint64_t at = other->wake_at.load(std::memory_order_relaxed);
    while (target < at && !other->wake_at.compare_exchange_weak(at, target, std::memory_order_seq_cst)) {
    }
    seen = other->done.load(std::memory_order_seq_cst);
    if (seen >= target) break;
    base::FutexWait(FutexWord(&other->done), static_cast<uint32_t>(seen), kTimeoutNs);
  }
  return true;
}

inline void Publish(ThreadProgress* self, uint64_t pos) {
  self->done.store(pos, std::memory_order_release);
  if (__builtin_expect(pos >= self->wake_at.load(std::memory_order_relaxed), 0)) {
    self->wake_at.store(~0ull, std::memory_order_relaxed);
    base::FutexWake(FutexWord(&self->done), INT32_MAX);
  }
}

inline void TouchBlock(void* p, uint64_t size, Touch touch) {
  if (p == nullptr || size == 0) return;
  char* c = static_cast<char*>(p);
  if (touch == Touch::kAll) {
    memset(c, 0x5a, size);
    return;
  }
  // One write per page the block spans.
  for (uint64_t off = 0; off < size; off += 4096) c[off] = 1;
  c[size - 1] = 1;
}

// Issues one call; returns the block an allocating op produced (or NULL).
// arg is the kArg value for kinds that have one.
inline void* Issue(const Op& o, uint64_t arg, void** slots) {
  void*& slot = slots[o.slot];
  switch (o.kind) {
    case OpKind::kMalloc: return slot = malloc(o.size);
    case OpKind::kFree:
      free(slot);
      slot = nullptr;  // a stale slot is never freed twice
      return nullptr;
    case OpKind::kFreeNull: free(nullptr); return nullptr;
    case OpKind::kCalloc: return slot = calloc(arg, o.size);
    case OpKind::kRealloc: {
      void* p = realloc(slot, o.size);
      if (p != nullptr || o.size == 0) slot = p;
      return p;
    }
    case OpKind::kReallocNull: return slot = realloc(nullptr, o.size);
    case OpKind::kMemalign: return slot = g_entry.memalign(arg, o.size);
    case OpKind::kPosixMemalign: {
      void* p = nullptr;
      if (g_entry.posix_memalign(&p, arg, o.size) != 0) p = nullptr;
      return slot = p;
    }
    case OpKind::kAlignedAlloc: return slot = g_entry.aligned_alloc(arg, o.size);
    case OpKind::kValloc: return slot = g_entry.valloc(o.size);
    case OpKind::kPvalloc: return slot = g_entry.pvalloc(o.size);
    case OpKind::kUsableSize: {
      if (slot != nullptr) {
        volatile size_t n = malloc_usable_size(slot);
        (void)n;
      }
      return nullptr;
    }
    case OpKind::kWait:
    case OpKind::kArg: return nullptr;
  }
  return nullptr;
}

inline uint64_t Requested(const Op& o, uint64_t arg) {
  return o.kind == OpKind::kCalloc ? arg * o.size : o.size;
}

// After a call that makes or resizes a block: a failure is counted, a block
// is written as --touch asks.
inline void AfterCall(WorkerStats* stats, const Op& o, uint64_t arg, void* p, Touch touch) {
  if (!Allocates(o.kind) && o.kind != OpKind::kRealloc) return;
  if (p == nullptr && Requested(o, arg) != 0) {
    ++stats->alloc_failures;
  } else if (touch != Touch::kNone) {
    TouchBlock(p, Requested(o, arg), touch);
  }
}

}  // namespace

namespace {

// What SlowOp did.
enum SlowResult { kIssued = 0, kIssuedWithArg = 1, kGaveUp = -1 };

// Everything but the plain malloc/free fast path: waits, arguments, sampled
// (timed) ops.
template <Touch kTouch>
inline int SlowOp(const ReplayConfig& config, WorkerStats* stats, const Op* o, bool timed) {
  if (o->kind == OpKind::kWait) {
    return WaitFor(stats, &config.progress[o->slot], o->size, config.abandoned) ? kIssued : kGaveUp;
  }
  const bool has_arg = HasArg(o->kind);
  const uint64_t arg = has_arg ? o[1].size : 0;
  void* p;
  if (!timed) {
    p = Issue(*o, arg, config.slots);
  } else {
    const uint64_t start = __rdtsc();
    p = Issue(*o, arg, config.slots);
    const uint64_t cycles = __rdtsc() - start;
    ++stats->latency[static_cast<int>(o->kind)][LatencyBucket(cycles)];
    if (p != nullptr && Allocates(o->kind)) {
      stats->slop_requested += Requested(*o, arg);
      stats->slop_usable += malloc_usable_size(p);
      ++stats->slop_samples;
    }
  }
  AfterCall(stats, *o, arg, p, kTouch);
  return has_arg ? kIssuedWithArg : kIssued;
}

// What a worker leaves in a traced thread's progress when it stops.
inline bool Leave(ThreadProgress* self, uint64_t ops, uint64_t calls, uint64_t hash, bool finished) {
  self->issued_ops = ops;
  self->issued_calls = calls;
  self->issued_hash = hash;
  self->finished = finished ? 1 : 0;
  return finished;
}

// kMulti: other threads may wait on this one, so every op is published; a
// lone thread publishes once a block, for the progress the sampler plots.
// The inner loop keeps few values live across the calls (a pointer, an end,
// a countdown to the next timed op, the slots, the hash and call count) so
// they stay in registers. Every op word it passes is folded into the hash
// after its call, so the hash is of what was issued, in order.
template <bool kMulti, Touch kTouch>
bool Loop(const ReplayConfig& config, uint32_t t, WorkerStats* stats) {
  const PreparedView& v = *config.view;
  ThreadProgress* const self = &config.progress[t];
  void** const slots = config.slots;
  const uint32_t period = config.sample_mask + 1;
  const BlockRef* blocks = v.Blocks(t);
  const uint64_t nblocks = v.threads[t].blocks;
  const uint64_t stats_base = stats->ops_done.load(std::memory_order_relaxed);
  uint64_t base = 0;  // ops before this block
  uint64_t hash = kHashBasis;
  uint64_t calls = 0;
  uint32_t countdown = 1;  // the first op is timed
  for (uint64_t b = 0; b < nblocks; ++b) {
    const Op* const ops = v.BlockOps(blocks[b]);
    const Op* const end = ops + blocks[b].ops;
    for (const Op* o = ops; o < end; ++o) {
      // A program frees blocks it has just used, so they are in its cache; a
      // replay would find them cold. Fetch the block a few ops ahead will
      // free (and the slot a few further on), as the program would have it.
      if (o + 32 < end) __builtin_prefetch(&slots[o[32].slot]);
      if (o + 16 < end && o[16].kind == OpKind::kFree) __builtin_prefetch(slots[o[16].slot], 1);
      // The op's fields are read again after the call (from L1) rather than
      // kept in registers across it, which made the compiler spill them.
      if (__builtin_expect(--countdown != 0, 1) && o->kind == OpKind::kMalloc) {
        void* p = malloc(o->size);
        slots[o->slot] = p;
        if (__builtin_expect(p == nullptr, 0)) {
          if (o->size != 0) ++stats->alloc_failures;
        } else if (kTouch != Touch::kNone) {
          TouchBlock(p, o->size, kTouch);
        }
        ++calls;
      } else if (__builtin_expect(countdown != 0, 1) && o->kind == OpKind::kFree) {
        free(slots[o->slot]);
        slots[o->slot] = nullptr;  // a stale slot is never freed twice
        ++calls;
      } else {
        const bool timed = countdown == 0;
        if (timed) countdown = period;
        const int r = SlowOp<kTouch>(config, stats, o, timed);
        if (__builtin_expect(r == kGaveUp, 0)) {
          return Leave(self, base + static_cast<uint64_t>(o - ops), calls, hash, false);
        }
        calls += IsCall(o->kind);
        if (r == kIssuedWithArg) hash = HashOp(hash, *o++);
      }
      hash = HashOp(hash, *o);
      if (kMulti) Publish(self, base + static_cast<uint64_t>(o - ops) + 1);
    }
    base += blocks[b].ops;
    stats->ops_done.store(stats_base + base, std::memory_order_relaxed);
    if (!kMulti) self->done.store(base, std::memory_order_relaxed);
  }
  Publish(self, base);
  return Leave(self, base, calls, hash, true);
}

template <bool kMulti>
bool LoopTouch(const ReplayConfig& config, uint32_t t, WorkerStats* stats) {
  switch (config.touch) {
    case Touch::kNone: return Loop<kMulti, Touch::kNone>(config, t, stats);
    case Touch::kFirst: return Loop<kMulti, Touch::kFirst>(config, t, stats);
    case Touch::kAll: return Loop<kMulti, Touch::kAll>(config, t, stats);
  }
  return false;
}

using base::MonotonicNs;

// Sleeps until CLOCK_MONOTONIC reaches deadline_ns; returns the time slept.
uint64_t SleepUntil(uint64_t deadline_ns) {
  const uint64_t before = MonotonicNs();
  if (deadline_ns <= before) return 0;
  struct timespec ts;
  ts.tv_sec = static_cast<time_t>(deadline_ns / 1000000000);
  ts.tv_nsec = static_cast<long>(deadline_ns % 1000000000);
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
  }
  return MonotonicNs() - before;
}

// The paced replay: not the throughput loop. Each op waits for its recorded
// time (an op less than 50 us early goes at once: sleeping is coarser than
// that), every call is timed, and every op is published.
bool PacedLoop(const ReplayConfig& config, uint32_t t, WorkerStats* stats) {
  const PreparedView& v = *config.view;
  const Pacing& pacing = *config.pacing;
  ThreadProgress* const self = &config.progress[t];
  const BlockRef* blocks = v.Blocks(t);
  const uint64_t stats_base = stats->ops_done.load(std::memory_order_relaxed);
  uint64_t pos = 0, hash = kHashBasis, calls = 0, now = MonotonicNs(), call_cycles = 0;
  for (uint64_t b = 0; b < v.threads[t].blocks; ++b) {
    const Op* ops = v.BlockOps(blocks[b]);
    const uint64_t* times = v.BlockTimes(blocks[b]);
    for (uint64_t i = 0; i < blocks[b].ops; ++i) {
      const Op& o = ops[i];
      const uint64_t due = pacing.start_ns + PacedTime(pacing, times[i]);
      if (due > now) now = MonotonicNs();
      if (due > now + 50000) {
        stats->paced_sleep_ns += SleepUntil(due);
        now = MonotonicNs();
      }
      if (o.kind == OpKind::kWait) {
        if (!WaitFor(stats, &config.progress[o.slot], o.size, config.abandoned)) {
          return Leave(self, pos, calls, hash, false);
        }
      } else {
        const uint64_t arg = HasArg(o.kind) ? ops[i + 1].size : 0;
        const uint64_t start = __rdtsc();
        void* p = Issue(o, arg, config.slots);
        const uint64_t cycles = __rdtsc() - start;
        call_cycles += cycles;
        ++stats->latency[static_cast<int>(o.kind)][LatencyBucket(cycles)];
        ++calls;
        AfterCall(stats, o, arg, p, config.touch);
      }
      hash = HashOp(hash, o);
      if (HasArg(o.kind)) {
        hash = HashOp(hash, ops[++i]);
        ++pos;
      }
      Publish(self, ++pos);
    }
    stats->ops_done.store(stats_base + pos, std::memory_order_relaxed);
  }
  stats->call_cycles += call_cycles;
  return Leave(self, pos, calls, hash, true);
}

}  // namespace

const EntryPoints& Entry() { return g_entry; }

bool ResolveEntryPoints(const char* object, char* error, size_t error_size) {
  for (const char* required : {"malloc", "free", "calloc", "realloc", "malloc_usable_size", "posix_memalign"}) {
    if (!ComesFrom(required, object)) {
      snprintf(error, error_size, "%s does not provide %s (the replay would mix two heaps)", object, required);
      return false;
    }
  }
  g_posix_memalign = reinterpret_cast<int (*)(void**, size_t, size_t)>(dlsym(RTLD_DEFAULT, "posix_memalign"));
  g_page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  g_entry.posix_memalign = g_posix_memalign;
  struct Optional {
    const char* name;
    void** slot;
    void* fallback;
    const char* note;
  };
  const Optional optional[] = {
      {"memalign", reinterpret_cast<void**>(&g_entry.memalign), reinterpret_cast<void*>(&ViaPosixMemalign),
       "memalign -> posix_memalign"},
      {"aligned_alloc", reinterpret_cast<void**>(&g_entry.aligned_alloc), reinterpret_cast<void*>(&ViaPosixMemalign),
       "aligned_alloc -> posix_memalign"},
      {"valloc", reinterpret_cast<void**>(&g_entry.valloc), reinterpret_cast<void*>(&VallocViaPosixMemalign),
       "valloc -> posix_memalign"},
      {"pvalloc", reinterpret_cast<void**>(&g_entry.pvalloc), reinterpret_cast<void*>(&PvallocViaPosixMemalign),
       "pvalloc -> posix_memalign"},
  };
  for (const Optional& o : optional) {
    if (ComesFrom(o.name, object)) {
      *o.slot = dlsym(RTLD_DEFAULT, o.name);
    } else {
      *o.slot = o.fallback;
      g_entry.substitutions[g_entry.substitution_count++] = o.note;
    }
  }
  return true;
}

bool ReplayThread(const ReplayConfig& config, uint32_t t, WorkerStats* stats) {
  if (config.pacing != nullptr) return PacedLoop(config, t, stats);
  if (config.view->header->threads > 1) return LoopTouch<true>(config, t, stats);
  return LoopTouch<false>(config, t, stats);
}

namespace {

inline uint64_t Tag(uint32_t slot) { return (uint64_t{slot} + 1) * 0x9e3779b97f4a7c15ull; }

// The tag (its first bytes, for blocks under 8 bytes) at the start of the
// block, and again at the end when the two copies cannot overlap.
void WriteTag(void* p, uint64_t size, uint64_t tag) {
  memcpy(p, &tag, size < 8 ? size : 8);
  if (size >= 16) memcpy(static_cast<char*>(p) + size - 8, &tag, 8);
}

bool TagIntact(const void* p, uint64_t size, uint64_t tag) {
  if (memcmp(p, &tag, size < 8 ? size : 8) != 0) return false;
  return size < 16 || memcmp(static_cast<const char*>(p) + size - 8, &tag, 8) == 0;
}

void Report(WorkerStats* self, uint32_t t, uint64_t pos, const Op& o, const char* what) {
  if (self->verify_errors++ == 0) {
    snprintf(self->first_error, sizeof self->first_error, "thread %u op %llu (%s, slot %u, size %llu): %s", t,
             static_cast<unsigned long long>(pos), OpKindName(o.kind), o.slot,
             static_cast<unsigned long long>(o.size), what);
  }
}

// The alignment a result must have: what was asked for, or the ABI's
// fundamental alignment (16) capped by the size (malloc(8) may be 8-aligned).
uint64_t RequiredAlignment(const Op& o, uint64_t arg) {
  switch (o.kind) {
    case OpKind::kMemalign:
    case OpKind::kPosixMemalign:
    case OpKind::kAlignedAlloc: return arg != 0 && (arg & (arg - 1)) == 0 ? arg : 1;
    case OpKind::kValloc:
    case OpKind::kPvalloc: return 4096;
    default: {
      uint64_t a = 16;
      while (a > 1 && a > o.size) a >>= 1;
      return a;
    }
  }
}

}  // namespace

bool VerifyThread(const ReplayConfig& config, uint32_t t, WorkerStats* stats) {
  const PreparedView& v = *config.view;
  ThreadProgress* const progress = &config.progress[t];
  WorkerStats* const self = stats;
  uint64_t hash = kHashBasis, calls = 0;
  void** slots = config.slots;
  uint64_t* sizes = config.sizes;
  const BlockRef* blocks = v.Blocks(t);
  uint64_t pos = 0;
  for (uint64_t b = 0; b < v.threads[t].blocks; ++b) {
    const Op* ops = v.BlockOps(blocks[b]);
    for (uint64_t i = 0; i < blocks[b].ops; ++i) {
      const Op& o = ops[i];
      const uint64_t at = pos;
      if (o.kind == OpKind::kWait) {
        if (!WaitFor(stats, &config.progress[o.slot], o.size, config.abandoned)) {
          return Leave(progress, pos, calls, hash, false);
        }
        hash = HashOp(hash, o);
        Publish(progress, ++pos);
        continue;
      }
      const uint64_t arg = HasArg(o.kind) ? ops[i + 1].size : 0;
      void* old = o.kind == OpKind::kFreeNull ? nullptr : slots[o.slot];
      const uint64_t old_size = o.kind == OpKind::kFreeNull ? 0 : sizes[o.slot];
      const uint64_t tag = Tag(o.slot);
      if (UsesSlot(o.kind) && old != nullptr && old_size != 0 && !TagIntact(old, old_size, tag)) {
        Report(self, t, at, o, "the block's contents changed while it was live (overlapping blocks?)");
      }
      if (o.kind == OpKind::kUsableSize && old != nullptr && malloc_usable_size(old) < old_size) {
        Report(self, t, at, o, "malloc_usable_size is smaller than the size requested");
      }
      void* p = Issue(o, arg, slots);
      ++calls;
      hash = HashOp(hash, o);
      if (Allocates(o.kind) || o.kind == OpKind::kRealloc) {
        const uint64_t size = Requested(o, arg);
        if (p == nullptr) {
          if (size != 0) ++self->alloc_failures;
          sizes[o.slot] = 0;
        } else {
          if (reinterpret_cast<uintptr_t>(p) % RequiredAlignment(o, arg) != 0) {
            Report(self, t, at, o, "the block is not aligned as required");
          }
          if (malloc_usable_size(p) < size) Report(self, t, at, o, "malloc_usable_size < requested size");
          if (o.kind == OpKind::kCalloc) {
            const char* c = static_cast<const char*>(p);
            const uint64_t n = size < 4096 ? size : 4096;
            for (uint64_t k = 0; k < n; ++k) {
              if (c[k] != 0 || c[size - 1 - k] != 0) {
                Report(self, t, at, o, "calloc returned memory that is not zero");
                break;
              }
            }
          }
          if (o.kind == OpKind::kRealloc && old_size != 0 && size != 0) {
            // The kept prefix still starts with the tag.
            const size_t n = (old_size < size ? old_size : size) < 8 ? (old_size < size ? old_size : size) : 8;
            if (memcmp(p, &tag, n) != 0) Report(self, t, at, o, "realloc did not keep the block's contents");
          }
          if (size != 0) WriteTag(p, size, tag);
          sizes[o.slot] = size;
        }
      } else if (o.kind == OpKind::kFree) {
        sizes[o.slot] = 0;
      }
      if (HasArg(o.kind)) {
        hash = HashOp(hash, ops[++i]);
        ++pos;
      }
      Publish(progress, ++pos);
    }
    stats->ops_done.fetch_add(blocks[b].ops, std::memory_order_relaxed);
  }
  return Leave(progress, pos, calls, hash, true);
}

namespace {

// The turn, held while a thread issues ops. Released by its destructor too:
// an allocator that unwinds the thread from inside a call (pthread_exit in
// free) must not leave the other threads waiting for the turn for ever.
class Turn {
 public:
  explicit Turn(base::SpinLock& lock) : lock_(lock) { Take(); }
  ~Turn() {
    if (held_) lock_.Unlock();
  }
  void Take() {
    lock_.Lock();
    held_ = true;
  }
  void Give() {
    held_ = false;
    lock_.Unlock();
  }

 private:
  base::SpinLock& lock_;
  bool held_ = false;
};

}  // namespace

bool AttributeThread(const ReplayConfig& config, uint32_t t, WorkerStats* stats, TakingTurns* turns) {
  const PreparedView& v = *config.view;
  ThreadProgress* const progress = &config.progress[t];
  void** const slots = config.slots;
  uint64_t* const sizes = config.sizes;
  uint32_t* const sites = turns->sites;
  uint64_t hash = kHashBasis, calls = 0, pos = 0;
  uint32_t countdown = turns->check_every;
  const BlockRef* blocks = v.Blocks(t);
  Turn turn(turns->turn);
  for (uint64_t b = 0; b < v.threads[t].blocks; ++b) {
    const Op* ops = v.BlockOps(blocks[b]);
    for (uint64_t i = 0; i < blocks[b].ops; ++i) {
      const Op& o = ops[i];
      if (o.kind == OpKind::kWait) {
        if (config.progress[o.slot].done.load(std::memory_order_acquire) < o.size) {
          turn.Give();
          const bool ok = WaitFor(stats, &config.progress[o.slot], o.size, config.abandoned);
          if (!ok) return Leave(progress, pos, calls, hash, false);
          turn.Take();
        }
        hash = HashOp(hash, o);
        Publish(progress, ++pos);
        continue;
      }
      const uint64_t arg = HasArg(o.kind) ? ops[i + 1].size : 0;
      const uint64_t old_size = UsesSlot(o.kind) ? sizes[o.slot] : 0;
      void* p = Issue(o, arg, slots);
      AfterCall(stats, o, arg, p, config.touch);
      const uint64_t size = Requested(o, arg);
      if (Allocates(o.kind) || (o.kind == OpKind::kRealloc && (p != nullptr || o.size == 0))) {
        turns->live_bytes -= old_size;  // a realloc's old block is gone
        sizes[o.slot] = p != nullptr ? size : 0;
        sites[o.slot] = OpSite(o);
        if (p != nullptr) turns->live_bytes += size;
      } else if (o.kind == OpKind::kFree) {
        turns->live_bytes -= old_size;
        sizes[o.slot] = 0;
      }
      ++calls;
      ++turns->calls;
      hash = HashOp(hash, o);
      if (HasArg(o.kind)) {
        hash = HashOp(hash, ops[++i]);
        ++pos;
      }
      Publish(progress, ++pos);
      if (--countdown == 0) {
        countdown = turns->check_every;
        turns->checkpoint(turns->context);
      }
    }
    stats->ops_done.fetch_add(blocks[b].ops, std::memory_order_relaxed);
    turn.Give();
    sched_yield();  // the others' turn
    turn.Take();
  }
  turn.Give();
  return Leave(progress, pos, calls, hash, true);
}

}  // namespace alloclab::replay
