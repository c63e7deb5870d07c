// Fuzz target of the runner's set-up: any bytes as a prepared file through
// MapPrepared and MakeReplayPlan, which must reject what they cannot replay
// with an error (never crash, overflow or hang) and plan what they accept
// soundly: every traced thread with ops on exactly one worker (a window's
// heap-rebuilding thread on none: the runner runs it first), each worker's
// threads in global order with disjoint ranges. Mutated bytes almost never
// keep the checksums right, so each input is tried twice: as it is, and with
// its checksums and counts recomputed wherever its tables are in bounds (so
// that arbitrary op streams, waits that deadlock and impossible thread
// ranges reach the planner). Built by //replay:replay_plan_fuzz.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "replay/op_stream.h"
#include "replay/prepared_file.h"
#include "replay/replay_plan.h"

namespace {

using namespace alloclab::replay;  // NOLINT: a test's own namespace use

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "replay_plan_fuzz: %s\n", what);
  std::abort();
}

bool In(uint64_t offset, uint64_t count, uint64_t unit, uint64_t size) {
  uint64_t bytes;
  return !__builtin_mul_overflow(count, unit, &bytes) && offset <= size && bytes <= size - offset;
}

// Recomputes per-thread calls and checksums and the header's totals where
// the tables are in bounds; leaves everything else as it is.
void FixUp(std::vector<uint8_t>& f) {
  if (f.size() < kHeaderBytes) return;
  auto* h = reinterpret_cast<PreparedHeader*>(f.data());
  h->file_size = f.size();
  if (h->threads > 4096 || !In(h->thread_table_offset, h->threads, sizeof(ThreadEntry), f.size()) ||
      h->thread_table_offset % 8 != 0) {
    return;
  }
  auto* threads = reinterpret_cast<ThreadEntry*>(f.data() + h->thread_table_offset);
  uint64_t checksum = kHashBasis, ops = 0, calls = 0, by_kind[kMaxOpKind + 1] = {};
  // The tables may overlap the header and each other: what is written below
  // can change what is read later, so every count is read once and checked.
  const uint64_t nthreads = h->threads;
  for (uint64_t t = 0; t < nthreads; ++t) {
    ThreadEntry& te = threads[t];
    if (te.blocks > 4096 || !In(te.block_table_offset, te.blocks, sizeof(BlockRef), f.size()) ||
        te.block_table_offset % 8 != 0) {
      return;
    }
    const auto* blocks = reinterpret_cast<const BlockRef*>(f.data() + te.block_table_offset);
    uint64_t hash = kHashBasis, n = 0, c = 0;
    const uint64_t nblocks = te.blocks;
    for (uint64_t b = 0; b < nblocks; ++b) {
      if (blocks[b].ops > kBlockOps || blocks[b].offset % 8 != 0 ||
          !In(blocks[b].offset, blocks[b].ops, kOpBytes, f.size())) {
        return;
      }
      const auto* o = reinterpret_cast<const Op*>(f.data() + blocks[b].offset);
      hash = HashOps(hash, o, blocks[b].ops);
      for (uint64_t i = 0; i < blocks[b].ops; ++i) {
        const int k = static_cast<int>(o[i].kind);
        if (k >= 1 && k <= kMaxOpKind && IsCall(o[i].kind)) {
          ++c;
          ++by_kind[k];
        }
      }
      n += blocks[b].ops;
    }
    te.ops = n;
    te.calls = c;
    te.checksum = hash;
    checksum = CombineChecksum(checksum, hash);
    ops += n;
    calls += c;
  }
  h->ops = ops;
  h->calls = calls;
  h->checksum = checksum;
  std::memcpy(h->calls_by_kind, by_kind, sizeof by_kind);
}

void CheckPlan(const PreparedView& v, const ReplayPlan& plan) {
  const uint64_t threads = v.header->threads;
  std::vector<int> seen(threads, 0);
  for (uint32_t w = 0; w < plan.workers; ++w) {
    uint64_t end = 0;
    bool first = true;
    for (uint32_t t = plan.first_thread[w]; t != kNoThread; t = plan.next_thread[t]) {
      if (t >= threads || ++seen[t] > 1) Die("a thread is on two workers, or twice on one");
      if (v.threads[t].ops == 0) Die("a thread without ops was scheduled");
      if (!first && v.threads[t].first_op <= end) Die("a worker's threads overlap or run out of order");
      end = v.threads[t].last_op;
      first = false;
    }
  }
  for (uint64_t t = 0; t < threads; ++t) {
    // A window's heap-rebuilding thread runs before the workers: never on one.
    const bool rebuilds = t + 1 == v.header->prologue_thread;
    if (rebuilds && seen[t] != 0) Die("the heap-rebuilding thread was put on a worker");
    if (!rebuilds && v.threads[t].ops != 0 && seen[t] != 1) Die("a thread with ops was not scheduled");
  }
}

void Try(const std::vector<uint8_t>& bytes) {
  const int fd = memfd_create("prepared", MFD_CLOEXEC);
  if (fd < 0) Die("memfd_create");
  if (!bytes.empty() && write(fd, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size())) Die("write");
  char path[64], error[512];
  std::snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  PreparedView view;
  if (MapPrepared(path, &view, error, sizeof error)) {
    ReplayPlan plan;
    if (MakeReplayPlan(view, &plan, error, sizeof error)) {
      CheckPlan(view, plan);
      FreeReplayPlan(&plan);
    } else if (error[0] == '\0') {
      Die("the plan was refused without a reason");
    }
    UnmapPrepared(&view);
  } else if (error[0] == '\0') {
    Die("the file was refused without a reason");
  }
  close(fd);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> bytes(data, data + size);
  Try(bytes);
  FixUp(bytes);
  Try(bytes);
  return 0;
}
