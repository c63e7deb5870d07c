// Stack capture, the dedup table, and /proc/self/maps parsing.
#include "tracer/stacks.h"

#include <execinfo.h>
#include <link.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "base/fd_io.h"
#include "trace/record_encoder.h"
#include "tracer/settings.h"

namespace alloclab::tracer {
namespace {

constexpr int kMaxDepth = kMaxStackDepth;
constexpr size_t kTableSlots = size_t{1} << 20;  // 16 MiB of address space, touched as used

struct StackSlot {
  std::atomic<uint64_t> hash;  // 0: empty
  std::atomic<uint64_t> id;    // 0 while the owner is assigning it
};

int g_depth = 0;
StackSlot* g_table = nullptr;
std::atomic<uint64_t> g_next_id{1};
// The tracer's own code: frames there are left out of every stack.
uintptr_t g_self_start = 0;
uintptr_t g_self_end = 0;

int FindSelf(struct dl_phdr_info* info, size_t, void*) {
  const uintptr_t probe = reinterpret_cast<uintptr_t>(&FindSelf);
  uintptr_t lo = UINTPTR_MAX, hi = 0;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_LOAD) continue;
    const uintptr_t start = info->dlpi_addr + ph.p_vaddr;
    lo = start < lo ? start : lo;
    hi = start + ph.p_memsz > hi ? start + ph.p_memsz : hi;
  }
  if (probe >= lo && probe < hi) {
    g_self_start = lo;
    g_self_end = hi;
    return 1;
  }
  return 0;
}

uint64_t HashFrames(void* const* frames, int n) {
  uint64_t h = 0x9E3779B97F4A7C15ull ^ static_cast<uint64_t>(n);
  for (int i = 0; i < n; ++i) {
    h ^= reinterpret_cast<uint64_t>(frames[i]);
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
  }
  return h == 0 ? 1 : h;
}

uint64_t ParseHex(const char** p, const char* end) {
  uint64_t v = 0;
  for (; *p < end; ++*p) {
    const char c = **p;
    const int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) break;
    v = v * 16 + static_cast<uint64_t>(d);
  }
  return v;
}

}  // namespace

int InitStacks(int depth) {
  if (depth <= 0) return 0;
  if (depth > kMaxDepth) depth = kMaxDepth;
  void* table = mmap(nullptr, kTableSlots * sizeof(StackSlot), PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (table == MAP_FAILED) return 0;
  g_table = static_cast<StackSlot*>(table);
  dl_iterate_phdr(FindSelf, nullptr);
  // The first backtrace() loads the unwinder (and allocates): do it now.
  void* warm[4];
  backtrace(warm, 4);
  g_depth = depth;
  return depth;
}

uint64_t CaptureStackId(TraceFile& file) {
  if (g_depth == 0) return 0;
  void* frames[kMaxDepth + 16];
  const int total = backtrace(frames, g_depth + 16);
  int skip = 0;
  while (skip < total && reinterpret_cast<uintptr_t>(frames[skip]) >= g_self_start &&
         reinterpret_cast<uintptr_t>(frames[skip]) < g_self_end) {
    ++skip;
  }
  int n = total - skip < g_depth ? total - skip : g_depth;
  if (n <= 0) return 0;
  void** kept = frames + skip;
  const uint64_t h = HashFrames(kept, n);
  for (size_t i = h & (kTableSlots - 1), probes = 0; probes < 64; i = (i + 1) & (kTableSlots - 1), ++probes) {
    StackSlot& s = g_table[i];
    uint64_t seen = s.hash.load(std::memory_order_acquire);
    if (seen == 0) {
      if (!s.hash.compare_exchange_strong(seen, h)) {
        if (seen != h) continue;
      } else {
        // New stack: number it and write it once.
        const uint64_t id = g_next_id.fetch_add(1);
        uint64_t addresses[kMaxDepth];
        for (int f = 0; f < n; ++f) addresses[f] = reinterpret_cast<uint64_t>(kept[f]);
        uint8_t buf[64 + kMaxDepth * 10];
        const size_t len = trace::EncodeStack(id, addresses, static_cast<size_t>(n), buf, sizeof(buf));
        file.AppendSideRecord(buf, len);
        s.id.store(id, std::memory_order_release);
        return id;
      }
    }
    if (seen == h) {
      uint64_t id;
      while ((id = s.id.load(std::memory_order_acquire)) == 0) {
      }
      return id;
    }
  }
  return 0;  // table too full around this hash
}

void WriteMemoryMaps(TraceFile& file, uint64_t seq) {
  if (g_depth == 0) return;
  static char text[512 << 10];
  static trace::MappingFields maps[1024];
  static uint8_t buf[kSideSlotBytes - 64];
  const int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  const size_t len = base::ReadUpTo(fd, text, sizeof(text) - 1);
  close(fd);
  text[len] = '\0';
  size_t count = 0;
  // Lines: start-end perms offset dev inode path
  for (char* line = text; line < text + len && count < 1024;) {
    char* eol = static_cast<char*>(memchr(line, '\n', static_cast<size_t>(text + len - line)));
    if (eol == nullptr) eol = text + len;
    *eol = '\0';
    const char* p = line;
    trace::MappingFields m;
    m.start = ParseHex(&p, eol);
    ++p;
    m.end = ParseHex(&p, eol);
    ++p;
    const bool exec = p + 2 < eol && p[2] == 'x';
    p += 5;
    m.file_offset = ParseHex(&p, eol);
    const char* path = strchr(p, '/');
    if (exec && path != nullptr) {
      m.path = path;
      maps[count++] = m;
    }
    line = eol + 1;
  }
  const size_t n = trace::EncodeMemoryMaps(seq, maps, count, buf, sizeof(buf));
  file.AppendSideRecord(buf, n);
}

}  // namespace alloclab::tracer
