// Huge blocks, their address table, and the cache of freed huge ranges.
#include "malloc/huge.h"

#include "base/spin_lock.h"
#include "malloc/platform.h"

namespace alloclab::malloc {
namespace {

struct Entry {
  uintptr_t address;  // 0: empty; kTombstone: deleted
  size_t size;
};
constexpr uintptr_t kTombstone = 1;

base::SpinLock g_lock;
Entry* g_table = nullptr;
size_t g_capacity = 0;  // power of two
size_t g_used = 0;      // live + tombstones
size_t g_live = 0;
// Written under g_lock; also read without it (HugeBytesInUse): atomic accesses.
size_t g_bytes = 0;

void AddHugeBytes(size_t delta) { __atomic_store_n(&g_bytes, g_bytes + delta, __ATOMIC_RELAXED); }

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

bool Insert(uintptr_t a, size_t size) {
  if ((g_used + 1) * 4 > g_capacity * 3) {
    size_t capacity = g_capacity == 0 ? kPageSize / sizeof(Entry) : g_capacity;
    while ((g_live + 1) * 2 > capacity) capacity *= 2;
    if (!Rehash(capacity)) return false;
  }
  size_t i = Hash(a) & (g_capacity - 1);
  while (g_table[i].address > kTombstone) i = (i + 1) & (g_capacity - 1);
  if (g_table[i].address == 0) ++g_used;
  g_table[i] = {a, size};
  ++g_live;
  AddHugeBytes(size);
  return true;
}

void Erase(Entry* e) {
  AddHugeBytes(-e->size);
  e->address = kTombstone;
  --g_live;
}

// Freed huge blocks are kept, still mapped and resident, as free page ranges
// (adjacent ones merged), and the next huge block is cut from the smallest
// range that holds it, or, if none does, grown out of the largest one with
// mremap (its pages move without being touched; only the rest faults in): a
// program that frees and allocates big buffers over and over pays no mmap and
// no page fault per page for each (glibc keeps such memory at the top of its
// heap, tcmalloc in its page heap). The cache holds at most one and a half
// times the bytes of the huge blocks in use (between kMinCachedBytes and
// kMaxCachedBytes): over it, the smallest ranges are unmapped first (the
// leftovers of cut ranges, which serve the fewest requests: with the oldest
// first, a 1-32 MiB churn faulted in 5 MiB a block, what it would with the
// freed block alone; a range over the budget by itself goes before them),
// and any range left unused for the decay time; malloc_trim unmaps it all.
struct FreeRange {
  uintptr_t address;
  size_t size;
  uint64_t freed_ms;
};
constexpr int kMaxRanges = 32;
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
  const size_t budget = g_bytes + g_bytes / 2;
  return budget < kMinCachedBytes ? kMinCachedBytes : budget > kMaxCachedBytes ? kMaxCachedBytes : budget;
}

// Unmaps ranges older than the decay time, then the smallest while the
// cache is over its budget.
void TrimCache(uint64_t now, uint64_t decay, bool all) {
  for (int i = 0; i < g_range_count;) {
    if (all || now - g_ranges[i].freed_ms >= decay) {
      UnmapRange(i);
    } else {
      ++i;
    }
  }
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

// Adds [address, address + size) to the cache, merged with adjacent ranges.
void CacheRange(uintptr_t address, size_t size, uint64_t now) {
  for (int i = 0; i < g_range_count;) {
    FreeRange& r = g_ranges[i];
    if (r.address + r.size == address) {
      address = r.address;
      size += r.size;
      RemoveRange(i);
    } else if (address + size == r.address) {
      size += r.size;
      RemoveRange(i);
    } else {
      ++i;
    }
  }
  g_ranges[g_range_count++] = {address, size, now};
  g_cached_bytes += size;
}

// A block of `size` bytes aligned to `align` cut from the smallest cached
// range that holds it (the rest stays cached); 0 if none does.
uintptr_t TakeFromCache(size_t size, size_t align) {
  int best = -1;
  for (int i = 0; i < g_range_count; ++i) {
    const FreeRange& r = g_ranges[i];
    if (r.size >= size && r.address % align == 0 && (best < 0 || r.size < g_ranges[best].size)) best = i;
  }
  if (best < 0) return 0;
  FreeRange& r = g_ranges[best];
  const uintptr_t address = r.address;
  if (r.size == size) {
    RemoveRange(best);
  } else {
    r.address += size;
    r.size -= size;
    g_cached_bytes -= size;
  }
  return address;
}

}  // namespace

void* HugeAlloc(size_t size, size_t align, bool* zeroed) {
  const size_t mapped = AlignUp(size, kPageSize);
  if (mapped < size) return nullptr;
  if (zeroed != nullptr) *zeroed = false;
  FreeRange grow = {0, 0, 0};
  {
    base::LockGuard guard(g_lock);
    if (const uintptr_t cached = TakeFromCache(mapped, align); cached != 0) {
      if (Insert(cached, mapped)) return reinterpret_cast<void*>(cached);
      CacheRange(cached, mapped, NowMs());
    } else if (align <= kPageSize && g_range_count != 0) {
      int largest = 0;
      for (int i = 1; i < g_range_count; ++i) {
        if (g_ranges[i].size > g_ranges[largest].size) largest = i;
      }
      grow = g_ranges[largest];
      RemoveRange(largest);
    }
  }
  if (grow.size != 0) {
    // Ours alone now: grown (and moved if need be) outside the lock.
    if (void* p = RemapPages(reinterpret_cast<void*>(grow.address), grow.size, mapped); p != nullptr) {
      base::LockGuard guard(g_lock);
      if (Insert(reinterpret_cast<uintptr_t>(p), mapped)) return p;
      UnmapPages(p, mapped);
      return nullptr;
    }
    UnmapPages(reinterpret_cast<void*>(grow.address), grow.size);
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
  if (!Insert(reinterpret_cast<uintptr_t>(p), mapped)) {
    UnmapPages(p, mapped);
    return nullptr;
  }
  if (zeroed != nullptr) *zeroed = true;
  return p;
}

size_t HugeFree(void* p, uint64_t decay_ms) {
  base::LockGuard guard(g_lock);
  Entry* e = Find(reinterpret_cast<uintptr_t>(p));
  if (e == nullptr) return 0;
  const size_t size = e->size;
  if (size >= kHugePageMinBytes) __atomic_store_n(&g_freed_big_block, true, __ATOMIC_RELAXED);
  Erase(e);
  const uint64_t now = NowMs();
  CacheRange(reinterpret_cast<uintptr_t>(p), size, now);
  TrimCache(now, decay_ms, /*all=*/false);
  return size;
}

void HugeTrim(uint64_t decay_ms, bool all) {
  base::LockGuard guard(g_lock);
  TrimCache(NowMs(), decay_ms, all);
}

size_t HugeUsableSize(const void* p) {
  base::LockGuard guard(g_lock);
  Entry* e = Find(reinterpret_cast<uintptr_t>(p));
  return e == nullptr ? 0 : e->size;
}

void* HugeRealloc(void* p, size_t new_size) {
  const size_t mapped = AlignUp(new_size, kPageSize);
  if (mapped < new_size) return nullptr;
  base::LockGuard guard(g_lock);
  Entry* e = Find(reinterpret_cast<uintptr_t>(p));
  if (e == nullptr) return nullptr;
  if (e->size == mapped) return p;
  void* q = RemapPages(p, e->size, mapped);
  if (q == nullptr) return nullptr;
  Erase(e);
  if (!Insert(reinterpret_cast<uintptr_t>(q), mapped)) Fatal("realloc(): out of memory for huge block table");
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
