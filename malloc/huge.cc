// Huge blocks and their address table.
#include "malloc/huge.h"

#include "malloc/platform.h"
#include "malloc/spin_lock.h"

namespace alloclab::malloc {
namespace {

struct Entry {
  uintptr_t address;  // 0: empty; kTombstone: deleted
  size_t size;
};
constexpr uintptr_t kTombstone = 1;

SpinLock g_lock;
Entry* g_table = nullptr;
size_t g_capacity = 0;  // power of two
size_t g_used = 0;      // live + tombstones
size_t g_live = 0;
size_t g_bytes = 0;

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
  g_bytes += size;
  return true;
}

void Erase(Entry* e) {
  g_bytes -= e->size;
  e->address = kTombstone;
  --g_live;
}

}  // namespace

void* HugeAlloc(size_t size, size_t align) {
  const size_t mapped = AlignUp(size, kPageSize);
  if (mapped < size) return nullptr;
  void* p = MapAligned(mapped, align);
  if (p == nullptr) return nullptr;
  LockGuard guard(g_lock);
  if (!Insert(reinterpret_cast<uintptr_t>(p), mapped)) {
    UnmapPages(p, mapped);
    return nullptr;
  }
  return p;
}

size_t HugeFree(void* p) {
  size_t size;
  {
    LockGuard guard(g_lock);
    Entry* e = Find(reinterpret_cast<uintptr_t>(p));
    if (e == nullptr) return 0;
    size = e->size;
    Erase(e);
  }
  UnmapPages(p, size);
  return size;
}

size_t HugeUsableSize(const void* p) {
  LockGuard guard(g_lock);
  Entry* e = Find(reinterpret_cast<uintptr_t>(p));
  return e == nullptr ? 0 : e->size;
}

void* HugeRealloc(void* p, size_t new_size) {
  const size_t mapped = AlignUp(new_size, kPageSize);
  if (mapped < new_size) return nullptr;
  LockGuard guard(g_lock);
  Entry* e = Find(reinterpret_cast<uintptr_t>(p));
  if (e == nullptr) return nullptr;
  if (e->size == mapped) return p;
  void* q = RemapPages(p, e->size, mapped);
  if (q == nullptr) return nullptr;
  Erase(e);
  if (!Insert(reinterpret_cast<uintptr_t>(q), mapped)) Fatal("realloc(): out of memory for huge block table");
  return q;
}

HugeStats GetHugeStats() {
  LockGuard guard(g_lock);
  return {g_live, g_bytes};
}

void HugeLockForFork() { g_lock.Lock(); }
void HugeUnlockForFork() { g_lock.Unlock(); }
void HugeAfterForkChild() { g_lock.Reset(); }

}  // namespace alloclab::malloc
