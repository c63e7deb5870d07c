// The kernel interface: mappings, the program break, and error lines.
#include "malloc/platform.h"

#include <sys/mman.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "base/clock.h"
#include "base/fd_io.h"

namespace alloclab::malloc {

void* MapPages(size_t size) {
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return p == MAP_FAILED ? nullptr : p;
}

void* MapAligned(size_t size, size_t align) {
  if (align <= kPageSize) return MapPages(size);
  // Over-map, then trim the ends so what remains starts aligned.
  const size_t span = size + align - kPageSize;
  if (span < size) return nullptr;
  char* raw = static_cast<char*>(MapPages(span));
  if (raw == nullptr) return nullptr;
  const uintptr_t start = AlignUp<uintptr_t>(reinterpret_cast<uintptr_t>(raw), align);
  char* aligned = reinterpret_cast<char*>(start);
  if (aligned > raw) munmap(raw, static_cast<size_t>(aligned - raw));
  char* end = aligned + size;
  if (end < raw + span) munmap(end, static_cast<size_t>(raw + span - end));
  return aligned;
}

void UnmapPages(void* p, size_t size) { munmap(p, size); }

void AdviseHugePages(void* p, size_t size) { madvise(p, size, MADV_HUGEPAGE); }

void* RemapPages(void* p, size_t old_size, size_t new_size) {
  void* q = mremap(p, old_size, new_size, MREMAP_MAYMOVE);
  return q == MAP_FAILED ? nullptr : q;
}

bool CanMoveAsOne(void* p, size_t size) {
  // Without MREMAP_MAYMOVE a failure changes nothing: EFAULT when the range
  // spans mappings, ENOMEM when the page after it is taken.
  if (mremap(p, size, size + kPageSize, 0) == p) {
    mremap(p, size + kPageSize, size, 0);  // a shrink always succeeds
    return true;
  }
  return errno != EFAULT;
}

bool MovePages(void* from, size_t size, void* to) {
  return mremap(from, size, size, MREMAP_MAYMOVE | MREMAP_FIXED, to) == to;
}

bool IsMapped(void* p, size_t size) { return madvise(p, size, MADV_NORMAL) == 0; }

bool MapPagesAt(void* p, size_t size) {
  void* q = mmap(p, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (q == p) return true;
  if (q != MAP_FAILED) munmap(q, size);  // a kernel before 4.17 took the address as a hint
  return false;
}

void PurgePages(void* p, size_t size) { madvise(p, size, MADV_DONTNEED); }

int OnlineCpus() {
  const int cpus = get_nprocs();
  return cpus > 0 ? cpus : 1;
}

void* GrowBreak(size_t size, size_t align) {
  char* cur = static_cast<char*>(sbrk(0));
  if (cur == reinterpret_cast<char*>(-1)) return nullptr;
  const size_t pad = AlignUp<uintptr_t>(reinterpret_cast<uintptr_t>(cur), align) - reinterpret_cast<uintptr_t>(cur);
  if (pad + size < size) return nullptr;
  char* got = static_cast<char*>(sbrk(static_cast<intptr_t>(pad + size)));
  if (got == reinterpret_cast<char*>(-1)) return nullptr;
  if (got != cur) {
    // Someone moved the break between the two calls: realign what we got.
    char* aligned = reinterpret_cast<char*>(AlignUp<uintptr_t>(reinterpret_cast<uintptr_t>(got), align));
    if (aligned + size > got + pad + size) {
      sbrk(-static_cast<intptr_t>(pad + size));
      return nullptr;
    }
    return aligned;
  }
  return cur + pad;
}

bool BreakEndsAt(const void* end) { return sbrk(0) == end; }

bool ShrinkBreak(void* end, size_t size) {
  if (sbrk(0) != end) return false;
  return sbrk(-static_cast<intptr_t>(size)) != reinterpret_cast<void*>(-1);
}

uint64_t NowMs() { return base::NowNs(CLOCK_MONOTONIC_COARSE) / 1000000; }

void WriteStderr(const char* s, size_t n) { base::WriteFully(STDERR_FILENO, s, n); }

void WriteStderr(const char* s) { WriteStderr(s, strlen(s)); }

void Fatal(const char* message) {
  char line[256];
  size_t n = strnlen(message, sizeof(line) - 2);
  memcpy(line, message, n);
  line[n++] = '\n';
  WriteStderr(line, n);
  abort();
}

void FatalPointer(const char* message, const void* p) {
  char line[256];
  size_t n = strnlen(message, 200);
  memcpy(line, message, n);
  static const char kHex[] = "0123456789abcdef";
  const char prefix[] = " (pointer 0x";
  memcpy(line + n, prefix, sizeof(prefix) - 1);
  n += sizeof(prefix) - 1;
  const uintptr_t v = reinterpret_cast<uintptr_t>(p);
  bool started = false;
  for (int shift = 60; shift >= 0; shift -= 4) {
    const int digit = static_cast<int>((v >> shift) & 15);
    if (digit != 0 || started || shift == 0) {
      line[n++] = kHex[digit];
      started = true;
    }
  }
  line[n++] = ')';
  line[n] = '\0';
  Fatal(line);
}

}  // namespace alloclab::malloc
