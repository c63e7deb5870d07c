// MapPrepared: bounds and consistency checks of a prepared file.
#include "replay/prepared_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace alloclab::replay {
namespace {

bool Fail(char* error, size_t n, const char* what, unsigned long long a = 0,
          unsigned long long b = 0) {
  snprintf(error, n, what, a, b);
  return false;
}

// Whether [offset, offset + count * unit) lies inside a file of size bytes.
bool Inside(uint64_t offset, uint64_t count, uint64_t unit, uint64_t size) {
  uint64_t bytes;
  if (__builtin_mul_overflow(count, unit, &bytes)) return false;
  return offset <= size && bytes <= size - offset;
}

bool CheckThread(const PreparedView& v, uint64_t t, uint64_t* calls_by_kind, char* error, size_t n) {
  const PreparedHeader& h = *v.header;
  const ThreadEntry& te = v.threads[t];
  if (!Inside(te.block_table_offset, te.blocks, sizeof(BlockRef), v.size) ||
      te.block_table_offset % sizeof(uint64_t) != 0) {
    return Fail(error, n, "corrupt prepared file: thread %llu's block table is outside the file or misaligned", t);
  }
  if (te.ops > h.ops || (te.ops == 0 ? te.first_op != 0 || te.last_op != 0
                                      : te.first_op > te.last_op || te.last_op >= h.ops ||
                                            te.last_op - te.first_op + 1 < te.ops)) {
    return Fail(error, n, "corrupt prepared file: thread %llu's place in the global order is impossible", t);
  }
  uint64_t hash = kHashBasis;
  uint64_t ops = 0, calls = 0;
  const BlockRef* blocks = v.Blocks(t);
  for (uint64_t b = 0; b < te.blocks; ++b) {
    if (blocks[b].ops == 0 || blocks[b].ops > kBlockOps || blocks[b].offset < kHeaderBytes ||
        blocks[b].offset % sizeof(uint64_t) != 0 || !Inside(blocks[b].offset, blocks[b].ops, kOpBytes, v.size)) {
      return Fail(error, n, "corrupt prepared file: block %llu of thread %llu is malformed", b, t);
    }
    const Op* op = v.BlockOps(blocks[b]);
    for (uint64_t i = 0; i < blocks[b].ops; ++i) {
      const Op& o = op[i];
      const int k = static_cast<int>(o.kind);
      if (k < 1 || k > kMaxOpKind || o.kind == OpKind::kArg) {
        return Fail(error, n, "corrupt prepared file: bad op kind at op %llu of thread %llu", ops + i, t);
      }
      if (o.kind == OpKind::kWait) {
        // The heap-rebuilding thread runs alone, before the others start.
        if (o.slot >= h.threads || o.slot == t || o.size > v.threads[o.slot].ops || t + 1 == h.prologue_thread) {
          return Fail(error, n, "corrupt prepared file: bad wait at op %llu of thread %llu", ops + i, t);
        }
        continue;
      }
      if (OpSite(o) != 0 && OpSite(o) >= h.sites) {
        return Fail(error, n, "corrupt prepared file: call site out of range at op %llu of thread %llu", ops + i, t);
      }
      ++calls;
      ++calls_by_kind[k];
      if (o.kind != OpKind::kFreeNull && o.slot >= h.slots) {
        return Fail(error, n, "corrupt prepared file: slot out of range at op %llu of thread %llu", ops + i, t);
      }
      if (HasArg(o.kind)) {
        if (i + 1 == blocks[b].ops || op[i + 1].kind != OpKind::kArg) {
          return Fail(error, n, "corrupt prepared file: missing argument at op %llu of thread %llu", ops + i, t);
        }
        ++i;
      }
    }
    hash = HashOps(hash, op, blocks[b].ops);
    ops += blocks[b].ops;
    if (ops > te.ops) break;
  }
  if (ops != te.ops) {
    return Fail(error, n, "corrupt prepared file: thread %llu has %llu ops, its table says otherwise", t, ops);
  }
  if (calls != te.calls || hash != te.checksum) {
    return Fail(error, n, "corrupt prepared file: thread %llu's calls or checksum differ from its ops (%llu calls)",
                t, calls);
  }
  return true;
}

bool CheckOps(const PreparedView& v, char* error, size_t n) {
  const PreparedHeader& h = *v.header;
  uint64_t checksum = kHashBasis;
  uint64_t total = 0, calls = 0;
  uint64_t by_kind[kMaxOpKind + 1] = {};
  for (uint64_t t = 0; t < h.threads; ++t) {
    if (!CheckThread(v, t, by_kind, error, n)) return false;
    total += v.threads[t].ops;  // each at most h.ops: no overflow over 2^20 threads
    calls += v.threads[t].calls;
    checksum = CombineChecksum(checksum, v.threads[t].checksum);
  }
  if (total != h.ops) return Fail(error, n, "corrupt prepared file: op count mismatch (%llu ops found)", total);
  if (calls != h.calls) {
    return Fail(error, n, "corrupt prepared file: the streams hold %llu calls, the header says %llu", calls, h.calls);
  }
  for (int k = 0; k <= kMaxOpKind; ++k) {
    if (by_kind[k] != h.calls_by_kind[k]) {
      snprintf(error, n, "corrupt prepared file: the header counts %llu %s calls, the streams hold %llu",
               static_cast<unsigned long long>(h.calls_by_kind[k]), OpKindName(static_cast<OpKind>(k)),
               static_cast<unsigned long long>(by_kind[k]));
      return false;
    }
  }
  if (checksum != h.checksum) {
    return Fail(error, n, "corrupt prepared file: checksum %016llx, header says %016llx", checksum, h.checksum);
  }
  return true;
}

}  // namespace

bool MapPrepared(const char* path, PreparedView* view, char* error, size_t n) {
  *view = PreparedView();
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    snprintf(error, n, "cannot open %s: %s", path, strerror(errno));
    return false;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    snprintf(error, n, "%s is not a regular file", path);
    return false;
  }
  const size_t size = static_cast<size_t>(st.st_size);
  if (size < kHeaderBytes) {
    close(fd);
    snprintf(error, n, "%s is not a prepared trace (%zu bytes, shorter than a header)", path, size);
    return false;
  }
  void* p = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (p == MAP_FAILED) {
    snprintf(error, n, "cannot map %s: %s", path, strerror(errno));
    return false;
  }
  view->base = static_cast<const uint8_t*>(p);
  view->size = size;
  view->header = reinterpret_cast<const PreparedHeader*>(p);
  const PreparedHeader& h = *view->header;
  bool ok = false;
  if (memcmp(h.magic, kPreparedMagic, sizeof h.magic) != 0) {
    snprintf(error, n, "%s is not a prepared trace (bad magic)", path);
  } else if (h.version != kPreparedVersion) {
    snprintf(error, n, "%s: unsupported prepared format version %llu", path,
             static_cast<unsigned long long>(h.version));
  } else if (h.file_size != size) {
    snprintf(error, n, "%s is truncated or extended (%zu bytes, header says %llu)", path, size,
             static_cast<unsigned long long>(h.file_size));
  } else if (h.threads > kMaxPreparedThreads || !Inside(h.thread_table_offset, h.threads, sizeof(ThreadEntry), size) ||
             h.thread_table_offset % sizeof(uint64_t) != 0 || h.timeline_samples > kMaxTimeline + 1 ||
             !Inside(h.timeline_offset, h.timeline_samples, sizeof(TimelinePoint), size) ||
             h.timeline_offset % sizeof(uint64_t) != 0 || h.idle_gaps_offset % sizeof(uint64_t) != 0 ||
             !Inside(h.idle_gaps_offset, h.idle_gaps, sizeof(IdleGap), size) || h.sites > kMaxSites ||
             h.sites_offset % sizeof(uint64_t) != 0 || !Inside(h.sites_offset, h.sites, sizeof(uint64_t), size)) {
    snprintf(error, n, "corrupt prepared file %s: tables outside the file", path);
  } else if (h.ops > size / sizeof(Op) || h.calls > h.ops || h.slots > h.ops) {
    // Every op takes file space; a slot is only made by an op.
    snprintf(error, n, "corrupt prepared file %s: %llu ops, %llu calls and %llu slots cannot fit in %zu bytes", path,
             static_cast<unsigned long long>(h.ops), static_cast<unsigned long long>(h.calls),
             static_cast<unsigned long long>(h.slots), size);
  } else if (h.prologue_thread > h.threads || h.window_first_seq > h.window_last_seq) {
    snprintf(error, n, "corrupt prepared file %s: its window or heap-rebuilding thread is impossible", path);
  } else {
    view->threads = reinterpret_cast<const ThreadEntry*>(view->base + h.thread_table_offset);
    view->timeline = reinterpret_cast<const TimelinePoint*>(view->base + h.timeline_offset);
    view->idle_gaps = reinterpret_cast<const IdleGap*>(view->base + h.idle_gaps_offset);
    view->site_stacks = reinterpret_cast<const uint64_t*>(view->base + h.sites_offset);
    ok = CheckOps(*view, error, n);
  }
  if (!ok) UnmapPrepared(view);
  return ok;
}

void UnmapPrepared(PreparedView* view) {
  if (view->base != nullptr) munmap(const_cast<uint8_t*>(view->base), view->size);
  *view = PreparedView();
}

}  // namespace alloclab::replay
