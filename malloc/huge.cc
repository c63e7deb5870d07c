// Huge blocks, their address table, and the cache of freed huge ranges.
#include "malloc/huge.h"

#include <pthread.h>

#include "base/spin_lock.h"
#include "malloc/platform.h"

namespace alloclab::malloc {
namespace {

// A block's mapping tag (see FreeRange::mapping) rides in the high bits of
// its size (below 2^47, the user address space), and whether it was
// gathered from pieces (GatheredBlock) in the lowest (a page multiple).
constexpr size_t kGatheredBit = 1;
constexpr int kMappingShift = 48;
constexpr uint32_t kMappingMask = 0xffff;
constexpr size_t kMaxHugeBytes = size_t{1} << 47;

struct Entry {
  uintptr_t address;  // 0: empty; kTombstone: deleted
  size_t bits;        // size | mapping << kMappingShift | gathered
  size_t Size() const { return bits & (kMaxHugeBytes - 1) & ~(kPageSize - 1); }
  uint32_t Mapping() const { return static_cast<uint32_t>(bits >> kMappingShift) & kMappingMask; }
  bool Gathered() const { return (bits & kGatheredBit) != 0; }
};
constexpr uintptr_t kTombstone = 1;

base::SpinLock g_lock;
Entry* g_table = nullptr;
size_t g_capacity = 0;  // power of two
size_t g_used = 0;      // live + tombstones
size_t g_live = 0;
// Written under g_lock; also read without it (HugeBytesInUse): atomic accesses.
size_t g_bytes = 0;

// The most bytes in use since g_peak_since_ms, when it was last reset
// (CacheBudget; TrimCache resets it every decay period).
size_t g_peak_bytes = 0;
uint64_t g_peak_since_ms = 0;

void AddHugeBytes(size_t delta) {
  __atomic_store_n(&g_bytes, g_bytes + delta, __ATOMIC_RELAXED);
  if (g_bytes > g_peak_bytes) g_peak_bytes = g_bytes;
}

size_t Hash(uintptr_t a) { return static_cast<size_t>((a >> kPageShift) * 0x9E3779B97F4A7C15ull); }

Entry* Find(uintptr_t a) {
  if (g_capacity == 0) return nullptr;
  for (size_t i = Hash(a) & (g_capacity - 1);; i = (i + 1) & (g_capacity - 1)) {
    if (g_table[i].address == a) return &g_table[i];
    if (g_table[i].address == 0) return nullptr;
  }
}

bool Rehash(size_t capacity) {
  Entry* table = static_cast<Entry*>(MapPages(capacity * sizeof(Entry)));
  if (table == nullptr) return false;
  for (size_t i = 0; i < g_capacity; ++i) {
    const uintptr_t a = g_table[i].address;
    if (a <= kTombstone) continue;
    size_t j = Hash(a) & (capacity - 1);
    while (table[j].address != 0) j = (j + 1) & (capacity - 1);
    table[j] = g_table[i];
  }
  if (g_table != nullptr) UnmapPages(g_table, g_capacity * sizeof(Entry));
  g_table = table;
  g_capacity = capacity;
  g_used = g_live;
  return true;
}

bool Insert(uintptr_t a, size_t size, uint32_t mapping, bool gathered = false) {
  if ((g_used + 1) * 4 > g_capacity * 3) {
    size_t capacity = g_capacity == 0 ? kPageSize / sizeof(Entry) : g_capacity;
    while ((g_live + 1) * 2 > capacity) capacity *= 2;
    if (!Rehash(capacity)) return false;
  }
  size_t i = Hash(a) & (g_capacity - 1);
  while (g_table[i].address > kTombstone) i = (i + 1) & (g_capacity - 1);
  if (g_table[i].address == 0) ++g_used;
  g_table[i] = {a, size | size_t{mapping & kMappingMask} << kMappingShift | (gathered ? kGatheredBit : 0)};
  ++g_live;
  AddHugeBytes(size);
  return true;
}

void Erase(Entry* e) {
  AddHugeBytes(-e->Size());
  e->address = kTombstone;
  --g_live;
}

// Freed huge blocks are kept, still mapped and resident, as free page ranges
// (adjacent ones of one mapping merged), and the next huge block is cut
// from the smallest range that holds it, or, if none does, gathered from
// the largest ones (Gather: their pages move without being touched; only
// the rest faults in): a program that frees and allocates big buffers over
// and over pays no mmap and no page fault per page for each (glibc keeps
// such memory at the top of its heap, tcmalloc in its page heap).
// The cache holds the lesser of what would take the blocks in use back to
// their recent peak plus a quarter, and what is in use plus a quarter of
// that peak (none with nothing in use: a program that freed all its big
// buffers keeps kMinCachedBytes), between kMinCachedBytes and
// kMaxCachedBytes. The peak is the
// most in use since it was last reset to what is in use, which happens
// every decay period. With 1.5 times what is in use, a churn whose live
// bytes swing unmapped at each low what it faulted in again at the next
// high (a 1-32 MiB churn without huge pages: 1.37 GB faulted in over 400
// blocks, 0.52 GB so, in 0.45 s rather than 0.79); with the peak alone, a
// program that frees all its big buffers at the end of a phase kept them
// into the next (cxx_containers' peak RSS 47 -> 51 MB). Over the budget,
// the smallest ranges are unmapped first (the leftovers of cut ranges,
// which serve the fewest requests: with the oldest first, a 1-32 MiB churn
// faulted in 5 MiB a block, what it would with the freed block alone; a
// range over the budget by itself goes before them), and any range left
// unused for the decay time; malloc_trim unmaps it all.
// Every range lies within one mapping (one kernel VMA), which mremap can
// move or grow at once; a range spanning two it refuses (EFAULT). Each
// mapping we make (mmap, or a piece moved by Gather) gets a tag, kept by
// the blocks and ranges cut from it, and neighbouring ranges merge only
// when their tags match. Tags are 16 bits and wrap, and a program may split
// a block's mapping itself (mprotect, madvise): a range is checked before
// it is moved (CanMoveAsOne), and one that spans mappings is marked
// unmovable (cutting from it still works).
struct FreeRange {
  uintptr_t address;
  size_t size;
  uint64_t freed_ms;
  uint32_t mapping;
  bool movable;
};
uint32_t g_next_mapping = 0;
uint32_t NewMapping() { return g_next_mapping++ & kMappingMask; }
constexpr int kMaxRanges = 128;
constexpr size_t kTransparentHugePage = size_t{2} << 20;
constexpr size_t kHugePageMinBytes = size_t{4} << 20;
// Whether a block of kHugePageMinBytes or more has been freed (HugeAlloc).
bool g_freed_big_block = false;
constexpr size_t kMinCachedBytes = size_t{8} << 20;
constexpr size_t kMaxCachedBytes = size_t{96} << 20;
FreeRange g_ranges[kMaxRanges];
int g_range_count = 0;
size_t g_cached_bytes = 0;

void RemoveRange(int i) {
  g_cached_bytes -= g_ranges[i].size;
  g_ranges[i] = g_ranges[--g_range_count];
}

// Unmaps range i (under the lock: its address space must not be reused by
// another thread's mmap while the table still lists it).
void UnmapRange(int i) {
  UnmapPages(reinterpret_cast<void*>(g_ranges[i].address), g_ranges[i].size);
  RemoveRange(i);
}

size_t CacheBudget() {
  const size_t peak = g_peak_bytes + g_peak_bytes / 4;
  const size_t back_to_peak = peak > g_bytes ? peak - g_bytes : 0;
  const size_t with_use = g_bytes == 0 ? 0 : g_bytes + g_peak_bytes / 4;
  const size_t budget = back_to_peak < with_use ? back_to_peak : with_use;
  return budget < kMinCachedBytes ? kMinCachedBytes : budget > kMaxCachedBytes ? kMaxCachedBytes : budget;
}

void KeepWithinBudget();

// Unmaps ranges older than the decay time, then the smallest while the
// cache is over its budget.
void TrimCache(uint64_t now, uint64_t decay, bool all) {
  if (now - g_peak_since_ms >= decay) {
    g_peak_bytes = g_bytes;
    g_peak_since_ms = now;
  }
  for (int i = 0; i < g_range_count;) {
    if (all || now - g_ranges[i].freed_ms >= decay) {
      UnmapRange(i);
    } else {
      ++i;
    }
  }
  KeepWithinBudget();
}

// Unmaps the smallest ranges while the cache is over its budget or full.
void KeepWithinBudget() {
  while (g_cached_bytes > CacheBudget() || g_range_count == kMaxRanges) {
    int smallest = 0, largest = 0;
    for (int i = 1; i < g_range_count; ++i) {
      if (g_ranges[i].size < g_ranges[smallest].size) smallest = i;
      if (g_ranges[i].size > g_ranges[largest].size) largest = i;
    }
    // A range over the budget by itself cannot stay: the others can.
    UnmapRange(g_ranges[largest].size > CacheBudget() ? largest : smallest);
  }
}

// Adds [address, address + size) of `mapping` to the cache, merged with
// adjacent ranges of the same mapping.
void CacheRange(uintptr_t address, size_t size, uint64_t now, uint32_t mapping, bool movable = true) {
  for (int i = 0; i < g_range_count;) {
    FreeRange& r = g_ranges[i];
    if (r.mapping != mapping) {
      ++i;
    } else if (r.address + r.size == address) {
      movable = movable && r.movable;
      address = r.address;
      size += r.size;
      RemoveRange(i);
    } else if (address + size == r.address) {
      movable = movable && r.movable;
      size += r.size;
      RemoveRange(i);
    } else {
      ++i;
    }
  }
  if (g_range_count == kMaxRanges) KeepWithinBudget();  // callers leave a slot; in case
  g_ranges[g_range_count++] = {address, size, now, mapping, movable};
  g_cached_bytes += size;
}

// A block of `size` bytes aligned to `align` cut from the smallest cached
// range that holds it (the rest stays cached), and its mapping's tag; 0 if
// none does.
uintptr_t TakeFromCache(size_t size, size_t align, uint32_t* mapping) {
  int best = -1;
  for (int i = 0; i < g_range_count; ++i) {
    const FreeRange& r = g_ranges[i];
    if (r.size >= size && r.address % align == 0 && (best < 0 || r.size < g_ranges[best].size)) best = i;
  }
  if (best < 0) return 0;
  FreeRange& r = g_ranges[best];
  const uintptr_t address = r.address;
  *mapping = r.mapping;
  if (r.size == size) {
    RemoveRange(best);
  } else {
    r.address += size;
    r.size -= size;
    g_cached_bytes -= size;
  }
  return address;
}

// A block that no cached range holds is gathered from several, so that a
// cache of a few blocks' worth serves any size up to all of it: the largest
// range is grown to the block (mremap), the next largest are moved in
// after it (their page tables move; nothing is copied or zeroed), and only
// what they do not cover faults in fresh. Growing the largest alone, a
// 1-32 MiB churn with four blocks live faulted in 1.37 GB over 400 blocks
// (tcmalloc, whose page heap keeps and coalesces freed spans: 0.2 GB), and
// its time followed how readily the kernel found huge pages to zero: 0.33 s
// with them at hand, 0.79 s without (0.27 and 0.45 s now;
// benchmarks/results/2026-12-04-session14.txt). Such a block spans several
// mappings: its pieces are recorded, so that when it is freed each goes
// back to the cache as a range of its own mapping (hence kMaxRanges: with
// 32, the cache unmapped ranges for want of slots, not of budget). At most
// kMaxGatheredBlocks live at once (a piece record each), so that the
// mappings a process has stay few (the kernel caps them,
// vm.max_map_count); beyond that only the largest range is grown. Ranges
// below kMinMovedBytes are not moved: a move costs a few syscalls, a
// mapping and TLB flushes, for a few pages (with a minimum of a sixteenth
// of the block, the 1-32 MiB churn faulted in 47% more). Blocks aligned
// beyond a page are mapped fresh.
constexpr int kMaxGathered = 16;              // ranges moved into a block
constexpr int kMaxPieces = kMaxGathered + 2;  // + the grown one, + a fresh tail
constexpr int kMaxGatheredBlocks = 64;
constexpr size_t kMinMovedBytes = size_t{64} << 10;

struct GatheredBlock {
  uintptr_t address;  // 0: free record
  int count;
  size_t bytes[kMaxPieces];
  uint32_t mapping[kMaxPieces];
};
GatheredBlock g_gathered[kMaxGatheredBlocks];
int g_gathered_live = 0;
// The thread that allocated the last huge block, and since when it is the
// only one to have done so (GatherAllowed).
pthread_t g_last_huge_thread = 0;
uint64_t g_sole_allocator_since_ms = 0;
uint64_t g_decay_ms = 1000;  // the decay time HugeFree was last given

// Notes the thread allocating a huge block (under g_lock) and tells whether
// blocks may be gathered now: only while one thread has been allocating
// huge blocks for a decay period. Each move (mremap)
// takes the process's address-space lock for writing and flushes the TLBs
// of the CPUs running its other threads: with two or four threads churning
// huge blocks, gathering cost more than the page faults it saved (a 1-13
// MiB churn, 4 threads: 4.3 -> 6.7 s, 1 thread: 2.6 -> 2.3 s;
// benchmarks/results/2026-12-04-session14.txt).
bool GatherAllowed(uint64_t now, uint64_t decay_ms) {
  const pthread_t self = pthread_self();
  if (g_last_huge_thread == 0) {
    g_last_huge_thread = self;
    g_sole_allocator_since_ms = now - decay_ms;
  } else if (!pthread_equal(self, g_last_huge_thread)) {
    g_last_huge_thread = self;
    g_sole_allocator_since_ms = now;
  }
  return now - g_sole_allocator_since_ms >= decay_ms;
}

GatheredBlock* FindGathered(uintptr_t address) {
  for (GatheredBlock& g : g_gathered) {
    if (g.address == address) return &g;
  }
  return nullptr;
}

// Takes movable ranges out of the cache, largest first, until they add up
// to size (at most 1 + moves of them, the ones after the first at least
// kMinMovedBytes); returns how many.
int TakeLargest(size_t size, int moves, FreeRange* out) {
  int n = 0;
  size_t have = 0;
  while (n <= moves && have < size) {
    int largest = -1;
    for (int i = 0; i < g_range_count; ++i) {
      if (g_ranges[i].movable && (largest < 0 || g_ranges[i].size > g_ranges[largest].size)) largest = i;
    }
    if (largest < 0 || (n > 0 && g_ranges[largest].size < kMinMovedBytes)) break;
    out[n++] = g_ranges[largest];
    have += g_ranges[largest].size;
    RemoveRange(largest);
  }
  return n;
}

// Puts back what is left of taken ranges (size 0: nothing).
void ReturnRanges(const FreeRange* ranges, int n) {
  base::LockGuard guard(g_lock);
  for (int i = 0; i < n; ++i) {
    if (ranges[i].size == 0) continue;
    CacheRange(ranges[i].address, ranges[i].size, ranges[i].freed_ms, ranges[i].mapping, ranges[i].movable);
    KeepWithinBudget();  // other threads may have cached ranges meanwhile
  }
}

// A block of `size` bytes made of the taken ranges (each smaller than it,
// largest first), outside the lock, its pieces' sizes in *pieces (their
// tags are the caller's to give); nullptr when it cannot be made (the
// ranges go back; the caller maps the block fresh). Without a piece record
// for it (!may_move), only the first range is grown.
void* Gather(FreeRange* ranges, int n, size_t size, bool may_move, GatheredBlock* pieces) {
  pieces->count = 0;
  auto add_piece = [pieces](size_t bytes) { pieces->bytes[pieces->count++] = bytes; };
  char* block = static_cast<char*>(RemapPages(reinterpret_cast<void*>(ranges[0].address), ranges[0].size, size));
  size_t filled = 0;
  int next = 0;
  bool moved = false;
  if (block != nullptr) {
    filled = ranges[0].size;
    ranges[0].size = 0;
    next = 1;
    add_piece(filled);
  } else {
    ranges[0].movable = false;  // spans mappings (or out of memory: tried once)
    if (!may_move || n == 1) {
      ReturnRanges(ranges, n);
      return nullptr;
    }
    block = static_cast<char*>(MapPages(size));
    if (block == nullptr) {
      ReturnRanges(ranges, n);
      return nullptr;
    }
    next = 1;
  }
  for (int i = next; may_move && i < n && filled < size; ++i) {
    FreeRange& r = ranges[i];
    const size_t take = r.size < size - filled ? r.size : size - filled;
    if (!CanMoveAsOne(reinterpret_cast<void*>(r.address), take)) {
      r.movable = false;  // see FreeRange
      continue;
    }
    if (!MovePages(reinterpret_cast<void*>(r.address), take, block + filled)) {
      // Out of memory or of mappings. The kernel may have unmapped the
      // destination before it failed: fresh pages go back there, and if
      // that fails too the block has a hole and is given up.
      if (!IsMapped(block + filled, take) && !MapPagesAt(block + filled, take)) {
        if (filled != 0) UnmapPages(block, filled);
        if (filled + take < size) UnmapPages(block + filled + take, size - filled - take);
        ReturnRanges(ranges, n);
        return nullptr;
      }
      break;
    }
    add_piece(take);
    moved = true;
    filled += take;
    r.address += take;
    r.size -= take;
  }
  if (filled < size) add_piece(size - filled);  // fresh pages
  if (!moved) {
    // Nothing moved in: one mapping (the largest range grown, or fresh).
    pieces->count = 1;
    pieces->bytes[0] = size;
  }
  ReturnRanges(ranges, n);
  return block;
}

}  // namespace

void* HugeAlloc(size_t size, size_t align, bool* zeroed) {
  const size_t mapped = AlignUp(size, kPageSize);
  if (mapped < size || mapped >= kMaxHugeBytes) return nullptr;
  if (zeroed != nullptr) *zeroed = false;
  FreeRange taken[kMaxGathered + 1];
  int n = 0;
  bool reserved = false;  // a piece record (GatheredBlock) is ours
  {
    base::LockGuard guard(g_lock);
    const uint64_t now = NowMs();
    const bool may_gather = GatherAllowed(now, g_decay_ms);
    uint32_t mapping = 0;
    if (const uintptr_t cached = TakeFromCache(mapped, align, &mapping); cached != 0) {
      if (Insert(cached, mapped, mapping)) return reinterpret_cast<void*>(cached);
      CacheRange(cached, mapped, now, mapping);
    } else if (align <= kPageSize) {
      reserved = g_gathered_live < kMaxGatheredBlocks && may_gather;
      if (reserved) ++g_gathered_live;
      n = TakeLargest(mapped, reserved ? kMaxGathered : 0, taken);
      if (n == 0 && reserved) {
        --g_gathered_live;
        reserved = false;
      }
    }
  }
  if (n != 0) {
    // Ours alone now: gathered outside the lock.
    GatheredBlock pieces = {};
    void* p = Gather(taken, n, mapped, reserved, &pieces);
    base::LockGuard guard(g_lock);
    const bool gathered = p != nullptr && pieces.count > 1;
    if (reserved && !gathered) --g_gathered_live;
    if (p != nullptr) {
      // Each piece is a mapping of its own now (a moved one could land next
      // to what is left of the range it came from): new tags.
      for (int i = 0; i < pieces.count; ++i) pieces.mapping[i] = NewMapping();
      if (Insert(reinterpret_cast<uintptr_t>(p), mapped, pieces.mapping[0], gathered)) {
        if (gathered) {
          pieces.address = reinterpret_cast<uintptr_t>(p);
          *FindGathered(0) = pieces;  // there is a free one: ours was reserved
        }
        return p;
      }
      if (gathered) --g_gathered_live;
      UnmapPages(p, mapped);
      return nullptr;
    }
    // Not gathered: mapped fresh below.
  }
  // Blocks of kHugePageMinBytes or more are aligned to the transparent huge
  // page size and marked for it once the program has freed such a block: a
  // program that churns big buffers faults them in 2 MiB at a time, not
  // 4 KiB (a 1-32 MiB churn: 1.36 M faults, then 455 k with the cache, 70 k
  // with huge pages). Not before: with the kernel's default defrag setting
  // (madvise) a fault in a marked range may stall on direct compaction, which
  // a buffer allocated once does not win back (sort(1)'s big buffer:
  // benchmarks/results/2026-12-03-session7.txt).
  const bool thp = mapped >= kHugePageMinBytes && __atomic_load_n(&g_freed_big_block, __ATOMIC_RELAXED);
  void* p = MapAligned(mapped, thp && align < kTransparentHugePage ? kTransparentHugePage : align);
  if (p == nullptr) return nullptr;
  if (thp) AdviseHugePages(p, mapped);
  base::LockGuard guard(g_lock);
  if (!Insert(reinterpret_cast<uintptr_t>(p), mapped, NewMapping())) {
    UnmapPages(p, mapped);
    return nullptr;
  }
  if (zeroed != nullptr) *zeroed = true;
  return p;
}

size_t HugeFree(void* p, uint64_t decay_ms) {
  base::LockGuard guard(g_lock);
  g_decay_ms = decay_ms;
  const uintptr_t address = reinterpret_cast<uintptr_t>(p);
  Entry* e = Find(address);
  if (e == nullptr) return 0;
  const size_t size = e->Size();
  const uint32_t mapping = e->Mapping();
  const bool gathered = e->Gathered();
  if (size >= kHugePageMinBytes) __atomic_store_n(&g_freed_big_block, true, __ATOMIC_RELAXED);
  Erase(e);
  const uint64_t now = NowMs();
  if (gathered) {
    // Each piece back as a range of its own mapping.
    GatheredBlock* g = FindGathered(address);
    uintptr_t piece = address;
    for (int i = 0; i < g->count; ++i) {
      const size_t bytes = g->bytes[i];
      CacheRange(piece, bytes, now, g->mapping[i]);
      KeepWithinBudget();  // room for the next piece
      piece += bytes;
    }
    g->address = 0;
    --g_gathered_live;
  } else {
    CacheRange(address, size, now, mapping);
  }
  TrimCache(now, decay_ms, /*all=*/false);
  return size;
}

void HugeForgetPeak() {
  base::LockGuard guard(g_lock);
  g_peak_bytes = g_bytes;
  g_peak_since_ms = NowMs();
}

void HugeTrim(uint64_t decay_ms, bool all) {
  base::LockGuard guard(g_lock);
  TrimCache(NowMs(), decay_ms, all);
}

size_t HugeUsableSize(const void* p) {
  base::LockGuard guard(g_lock);
  Entry* e = Find(reinterpret_cast<uintptr_t>(p));
  return e == nullptr ? 0 : e->Size();
}

void* HugeRealloc(void* p, size_t new_size) {
  const size_t mapped = AlignUp(new_size, kPageSize);
  if (mapped < new_size) return nullptr;
  base::LockGuard guard(g_lock);
  Entry* e = Find(reinterpret_cast<uintptr_t>(p));
  if (e == nullptr) return nullptr;
  if (e->Size() == mapped) return p;
  if (e->Gathered()) return nullptr;  // spans mappings: mremap would fail
  void* q = RemapPages(p, e->Size(), mapped);
  if (q == nullptr) return nullptr;
  Erase(e);
  // Resized (maybe moved), it is a mapping of its own.
  if (!Insert(reinterpret_cast<uintptr_t>(q), mapped, NewMapping())) {
    Fatal("realloc(): out of memory for huge block table");
  }
  return q;
}

size_t HugeBytesInUse() { return __atomic_load_n(&g_bytes, __ATOMIC_RELAXED); }

HugeStats GetHugeStats() {
  base::LockGuard guard(g_lock);
  return {g_live, g_bytes, g_cached_bytes};
}

void HugeLockForFork() { g_lock.Lock(); }
void HugeUnlockForFork() { g_lock.Unlock(); }
void HugeAfterForkChild() { g_lock.Reset(); }

}  // namespace alloclab::malloc
