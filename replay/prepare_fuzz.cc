// Fuzz target of replay preparation: any bytes, read as a trace through
// trace::OrderedReader and prepared by PrepareFromReader into a memfd. Bad
// input must fail cleanly; whatever is prepared must be mapped and accepted
// by MapPrepared (the runner's check), and must be replayable: simulating
// its threads with the recorded waits never deadlocks, every slot is used
// only between an allocation and its free, and every two ops on one slot from
// different threads are ordered by the waits (no race in any interleaving).
// Any violation aborts. Built by //replay:prepare_fuzz (tools/fuzz.bzl), fuzzed
// with libFuzzer under --config=fuzz.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "google/protobuf/stubs/logging.h"
#include "replay/op_stream.h"
#include "replay/prepare.h"
#include "replay/prepared_file.h"
#include "trace/io.h"
#include "trace/ordered_reader.h"
#include "trace/trace_reader.h"

namespace {

using alloclab::replay::BlockRef;
using alloclab::replay::Op;
using alloclab::replay::OpKind;
using alloclab::replay::PreparedHeader;
using alloclab::replay::PreparedView;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "prepare_fuzz: %s\n", what.c_str());
  std::abort();
}

// Runs the threads of v one op at a time, round robin, each until a wait
// that is not yet satisfied, and checks the slots with vector clocks.
void CheckReplayable(const PreparedView& v) {
  const PreparedHeader& h = *v.header;
  const size_t threads = h.threads;
  std::vector<std::vector<Op>> ops(threads);
  for (size_t t = 0; t < threads; ++t) {
    const BlockRef* blocks = v.Blocks(t);
    for (uint64_t b = 0; b < v.threads[t].blocks; ++b) {
      const Op* o = v.BlockOps(blocks[b]);
      ops[t].insert(ops[t].end(), o, o + blocks[b].ops);
    }
  }
  // clock[t][u]: how many ops of thread u happen before thread t's next op.
  // snapshots[t]: thread t's clock after each of its waits (pos, clock).
  // Clocks take threads^2 words: past kMaxClocked threads (a corrupt trace
  // can name a new thread in every few bytes) races are not checked.
  constexpr size_t kMaxClocked = 512;
  const bool clocked = threads <= kMaxClocked;
  std::vector<std::vector<uint64_t>> clock(clocked ? threads : 0, std::vector<uint64_t>(threads, 0));
  std::vector<std::vector<std::pair<uint64_t, std::vector<uint64_t>>>> snapshots(threads);
  std::vector<uint64_t> pos(threads, 0);
  struct Slot {
    bool full = false;
    bool touched = false;
    uint32_t thread = 0;
    uint64_t pos = 0;  // just after the last op on it
  };
  std::vector<Slot> slots(h.slots);
  uint64_t waits = 0, args = 0, calls = 0;
  for (bool progress = true; progress;) {
    progress = false;
    for (size_t t = 0; t < threads; ++t) {
      while (pos[t] < ops[t].size()) {
        const Op& o = ops[t][pos[t]];
        const uint64_t here = pos[t];
        auto at = [&] {  // only on failure: this loop runs for every op
          return "op " + std::to_string(here) + " of thread " + std::to_string(t) + " (" +
                 alloclab::replay::OpKindName(o.kind) + ")";
        };
        if (o.kind == OpKind::kWait) {
          const uint32_t u = o.slot;
          if (pos[u] < o.size) break;  // not yet: another thread's turn
          ++pos[t];
          ++waits;
          progress = true;
          if (!clocked) continue;
          // Acquire thread u's clock as of its op o.size.
          const std::vector<uint64_t>* seen = nullptr;
          for (const auto& [p, c] : snapshots[u]) {
            if (p > o.size) break;
            seen = &c;
          }
          if (seen != nullptr) {
            for (size_t k = 0; k < threads; ++k) clock[t][k] = std::max(clock[t][k], (*seen)[k]);
          }
          clock[t][u] = std::max(clock[t][u], o.size);
          snapshots[t].emplace_back(pos[t], clock[t]);
          continue;
        }
        if (o.kind == OpKind::kArg) Die("an argument op without its call at " + at());
        ++calls;
        if (o.kind != OpKind::kFreeNull) {
          Slot& s = slots[o.slot];
          if (clocked && s.touched && s.thread != t && clock[t][s.thread] < s.pos) {
            Die("slot " + std::to_string(o.slot) + " is used at " + at() + " without waiting for op " +
                std::to_string(s.pos - 1) + " of thread " + std::to_string(s.thread) +
                " on it: a race");
          }
          if (alloclab::replay::Allocates(o.kind)) {
            if (s.full) Die("allocation into the live slot " + std::to_string(o.slot) + " at " + at());
            s.full = true;
          } else if (alloclab::replay::UsesSlot(o.kind)) {
            if (!s.full) Die("the empty slot " + std::to_string(o.slot) + " is used at " + at());
            if (o.kind == OpKind::kFree) s.full = false;
          } else {
            Die("an op of an unexpected kind at " + at());
          }
          s.touched = true;
          s.thread = static_cast<uint32_t>(t);
          s.pos = pos[t] + 1;
        }
        ++pos[t];
        if (alloclab::replay::HasArg(o.kind)) {
          if (pos[t] == ops[t].size() || ops[t][pos[t]].kind != OpKind::kArg) {
            Die("a call without its argument at " + at());
          }
          ++pos[t];
          ++args;
        }
        progress = true;
      }
    }
  }
  for (size_t t = 0; t < threads; ++t) {
    if (pos[t] != ops[t].size()) {
      Die("the replay deadlocks: thread " + std::to_string(t) + " waits forever at op " +
          std::to_string(pos[t]));
    }
  }
  if (waits != h.waits) Die("the header's wait count is wrong");
  if (calls != h.calls || waits + args + calls != h.ops) Die("the header's op counts are wrong");
  uint64_t live = 0;
  for (const Slot& s : slots) live += s.full;
  if (live != h.final_live_blocks) Die("the header's final live block count is wrong");
}

}  // namespace

// Protobuf logs every string field that is not UTF-8; bad input is expected.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto reader = alloclab::trace::TraceReader::FromSource(
      std::make_unique<alloclab::trace::MemorySource>(bytes));
  if (!reader.ok()) return 0;
  auto ordered = alloclab::trace::OrderedReader::FromReader(*std::move(reader),
                                                            alloclab::trace::OrderedReader::Options());
  if (!ordered.ok()) {
    // Bad input is DataLoss or InvalidArgument; Internal means a bug (an event
    // the reader accepted that the spill cannot re-encode, say).
    if (ordered.status().code() == absl::StatusCode::kInternal) {
      Die("OrderedReader: " + std::string(ordered.status().message()));
    }
    return 0;
  }
  const int fd = memfd_create("prepared", MFD_CLOEXEC);
  if (fd < 0) Die("memfd_create failed");
  auto prepared = alloclab::replay::PrepareFromReader(**ordered, fd);
  if (!prepared.ok()) {
    close(fd);
    if (prepared.status().code() == absl::StatusCode::kInternal) {
      Die("PrepareFromReader: " + std::string(prepared.status().message()));
    }
    return 0;
  }
  if (prepared->trace_events != (*ordered)->events()) {
    Die("the prepared header's event count differs from the trace's");
  }
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  PreparedView view;
  char error[512];
  if (!alloclab::replay::MapPrepared(path.c_str(), &view, error, sizeof error)) {
    Die(std::string("MapPrepared rejects what PrepareFromReader wrote: ") + error);
  }
  close(fd);
  if (std::memcmp(view.header, &*prepared, sizeof(PreparedHeader)) != 0) {
    Die("the mapped header differs from the one PrepareFromReader returned");
  }
  CheckReplayable(view);
  alloclab::replay::UnmapPrepared(&view);
  return 0;
}
