// Preparation: slot assignment, cross-thread waits, inversions, and the
// prepared file's writing.
#include "replay/prepare.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/fd_io.h"
#include "trace/event.h"
#include "trace/heap_history.h"

namespace alloclab::replay {
namespace {

using trace::Event;
using trace::Kind;

OpKind AllocationOp(Kind k) {
  switch (k) {
    case Kind::kCalloc: return OpKind::kCalloc;
    case Kind::kMemalign: return OpKind::kMemalign;
    case Kind::kPosixMemalign: return OpKind::kPosixMemalign;
    case Kind::kAlignedAlloc: return OpKind::kAlignedAlloc;
    case Kind::kValloc: return OpKind::kValloc;
    case Kind::kPvalloc: return OpKind::kPvalloc;
    default: return OpKind::kMalloc;
  }
}

absl::Status WriteAt(int fd, const void* data, size_t n, uint64_t offset) {
  if (base::PwriteFully(fd, data, n, offset)) return absl::OkStatus();
  return absl::InternalError(absl::StrCat("cannot write the prepared file: ", std::strerror(errno)));
}

static_assert(kSizeBuckets == trace::Log2Histogram::kBuckets);

class Preparer {
 public:
  // ticks_per_second: the trace's clock rate (0 if unknown: times stay 0).
  Preparer(int fd, uint64_t ticks_per_second, const TraceWindow& window)
      : fd_(fd), ticks_per_second_(ticks_per_second), window_(window) {
    std::memset(&h_, 0, sizeof h_);
    std::memcpy(h_.magic, kPreparedMagic, sizeof h_.magic);
    h_.version = kPreparedVersion;
    h_.clock_known = ticks_per_second != 0;
  }

  absl::Status Add(const Event& e);
  absl::StatusOr<PreparedHeader> Finish(uint64_t trace_threads);
  // Past the window's end: the rest of the trace is not read.
  bool done() const { return done_; }

 private:
  // What the replay keeps on a live block: its slot, and the last op that
  // touched it (thread and the position just after the op in that thread's
  // stream).
  struct SlotRef {
    uint32_t slot = 0;
    uint32_t thread = 0;
    uint64_t pos = 0;
    uint32_t site = 0;  // the call site that gave the block its size
  };
  using History = trace::HeapHistory<SlotRef>;
  struct Ref {
    uint32_t thread;
    uint64_t pos;
  };
  struct Thread {
    uint64_t trace_id = 0;
    std::vector<Op> buf;
    std::vector<uint64_t> times;  // of the ops in buf
    uint64_t ops = 0;
    uint64_t calls = 0;
    uint64_t hash = kHashBasis;
    uint64_t first_op = 0;  // global positions of its first and last op
    uint64_t last_op = 0;
    std::vector<BlockRef> blocks;
    std::vector<uint32_t> free_slots;
  };

  uint32_t ThreadIndex(uint64_t trace_id);
  absl::Status Emit(uint32_t t, OpKind kind, uint32_t slot, uint64_t size, uint32_t site = 0);
  absl::Status EmitWithArg(uint32_t t, OpKind kind, uint32_t slot, uint64_t size, uint64_t arg, uint32_t site);
  // The site index of a recorded stack (0 for none, or past kMaxSites).
  uint32_t SiteOf(uint64_t stack_id);
  absl::Status FlushBlock(Thread& th);
  absl::Status WaitFor(uint32_t t, uint32_t other, uint64_t pos, bool reuse);
  absl::StatusOr<uint32_t> TakeSlot(uint32_t t);
  // Before a block appears at address: waits for its last free elsewhere.
  absl::Status WaitForReuse(uint32_t t, uint64_t address);
  absl::Status NewBlock(uint32_t t, uint64_t address, OpKind kind, uint64_t size, uint64_t arg, uint32_t site,
                        SlotRef* ref);
  // Frees the block that ended (a free, or realloc(p, 0)).
  absl::Status FreeBlock(uint32_t t, uint64_t address, const SlotRef& ref);
  void Sample();
  // Sets now_ns_ from an event's time; notes an idle stretch before it.
  void Clock(uint64_t ticks);
  // A window: whether e (timed now_ns_) is before its start, or after its end.
  bool BeforeWindow(const Event& e) const;
  bool AfterWindow(const Event& e) const;
  // At the window's start: a thread of its own allocates every block live
  // now, in address order.
  absl::Status RebuildHeap();

  int fd_;
  uint64_t ticks_per_second_;
  TraceWindow window_;
  bool in_window_ = false;  // the window's first event has been seen
  bool done_ = false;
  bool clock_started_ = false;
  uint64_t first_ticks_ = 0;
  uint64_t now_ns_ = 0;    // the current event's time, ns since the first event
  uint64_t latest_ns_ = 0;  // the latest time seen (threads' clocks interleave)
  std::vector<IdleGap> idle_gaps_;
  PreparedHeader h_;
  uint64_t out_pos_ = kHeaderBytes;
  std::vector<Thread> threads_;
  absl::flat_hash_map<uint64_t, uint32_t> thread_index_;
  History heap_;
  absl::flat_hash_map<uint64_t, Ref> freed_;
  absl::flat_hash_map<uint64_t, uint64_t> waited_;  // (waiter << 32 | thread) -> pos
  uint64_t next_slot_ = 0;
  std::vector<TimelinePoint> timeline_;
  uint64_t sample_step_ = 1024;
  uint64_t next_sample_ = 0;
  absl::flat_hash_map<uint64_t, uint32_t> site_index_;  // stack id -> site
  std::vector<uint64_t> site_stacks_{0};                // site -> stack id
};

uint32_t Preparer::SiteOf(uint64_t stack_id) {
  if (stack_id == 0) return 0;
  auto it = site_index_.find(stack_id);
  if (it != site_index_.end()) return it->second;
  if (site_stacks_.size() == kMaxSites) {
    ++h_.stacks_beyond_sites;
    site_index_.emplace(stack_id, 0);
    return 0;
  }
  const uint32_t site = static_cast<uint32_t>(site_stacks_.size());
  site_stacks_.push_back(stack_id);
  site_index_.emplace(stack_id, site);
  return site;
}

uint32_t Preparer::ThreadIndex(uint64_t trace_id) {
  auto [it, fresh] = thread_index_.try_emplace(trace_id, static_cast<uint32_t>(threads_.size()));
  if (fresh) {
    threads_.emplace_back();
    threads_.back().trace_id = trace_id;  // its op buffer grows as it fills
  }
  return it->second;
}

absl::Status Preparer::FlushBlock(Thread& th) {
  if (th.buf.empty()) return absl::OkStatus();
  const size_t bytes = th.buf.size() * sizeof(Op);
  if (absl::Status st = WriteAt(fd_, th.buf.data(), bytes, out_pos_); !st.ok()) return st;
  if (absl::Status st = WriteAt(fd_, th.times.data(), th.times.size() * sizeof(uint64_t), out_pos_ + bytes);
      !st.ok()) {
    return st;
  }
  th.blocks.push_back(BlockRef{out_pos_, th.buf.size()});
  out_pos_ += th.buf.size() * kOpBytes;
  th.buf.clear();
  th.times.clear();
  return absl::OkStatus();
}

absl::Status Preparer::Emit(uint32_t t, OpKind kind, uint32_t slot, uint64_t size, uint32_t site) {
  Thread& th = threads_[t];
  if (th.buf.size() == kBlockOps) {
    if (absl::Status st = FlushBlock(th); !st.ok()) return st;
  }
  Op op{};
  op.kind = kind;
  op.slot = slot;
  op.size = size;
  SetOpSite(&op, site);
  th.buf.push_back(op);
  th.times.push_back(now_ns_);
  th.hash = HashOp(th.hash, op);
  if (th.ops == 0) th.first_op = h_.ops;
  th.last_op = h_.ops;
  ++th.ops;
  ++h_.ops;
  if (IsCall(kind)) {
    ++th.calls;
    ++h_.calls;
    ++h_.calls_by_kind[static_cast<int>(kind)];
  }
  return absl::OkStatus();
}

absl::Status Preparer::EmitWithArg(uint32_t t, OpKind kind, uint32_t slot, uint64_t size, uint64_t arg,
                                   uint32_t site) {
  Thread& th = threads_[t];
  if (th.buf.size() + 2 > kBlockOps) {
    if (absl::Status st = FlushBlock(th); !st.ok()) return st;
  }
  if (absl::Status st = Emit(t, kind, slot, size, site); !st.ok()) return st;
  return Emit(t, OpKind::kArg, 0, arg);
}

absl::Status Preparer::WaitFor(uint32_t t, uint32_t other, uint64_t pos, bool reuse) {
  if (other == t) return absl::OkStatus();
  uint64_t& done = waited_[(uint64_t{t} << 32) | other];
  if (pos <= done) return absl::OkStatus();
  // Wait for everything the other thread had done by now in the recorded
  // order, not just the op needed: still only earlier ops (no cycles), and
  // later dependencies on those ops need no wait of their own.
  pos = threads_[other].ops;
  done = pos;
  ++h_.waits;
  if (reuse) ++h_.reuse_waits;
  return Emit(t, OpKind::kWait, other, pos);
}

absl::StatusOr<uint32_t> Preparer::TakeSlot(uint32_t t) {
  Thread& th = threads_[t];
  if (!th.free_slots.empty()) {
    uint32_t s = th.free_slots.back();
    th.free_slots.pop_back();
    return s;
  }
  if (next_slot_ >= UINT32_MAX) return absl::ResourceExhaustedError("more than 2^32 live blocks");
  return static_cast<uint32_t>(next_slot_++);
}

absl::Status Preparer::WaitForReuse(uint32_t t, uint64_t address) {
  auto it = freed_.find(address);
  if (it == freed_.end()) return absl::OkStatus();
  const Ref r = it->second;
  freed_.erase(it);
  return WaitFor(t, r.thread, r.pos, true);
}

absl::Status Preparer::NewBlock(uint32_t t, uint64_t address, OpKind kind, uint64_t size, uint64_t arg,
                                uint32_t site, SlotRef* ref) {
  if (absl::Status st = WaitForReuse(t, address); !st.ok()) return st;
  auto slot = TakeSlot(t);
  if (!slot.ok()) return slot.status();
  absl::Status st = HasArg(kind) ? EmitWithArg(t, kind, *slot, size, arg, site) : Emit(t, kind, *slot, size, site);
  if (!st.ok()) return st;
  *ref = SlotRef{*slot, t, threads_[t].ops, site};
  return absl::OkStatus();
}

absl::Status Preparer::FreeBlock(uint32_t t, uint64_t address, const SlotRef& ref) {
  if (absl::Status st = WaitFor(t, ref.thread, ref.pos, false); !st.ok()) return st;
  if (absl::Status st = Emit(t, OpKind::kFree, ref.slot, 0); !st.ok()) return st;
  threads_[t].free_slots.push_back(ref.slot);
  freed_[address] = Ref{t, threads_[t].ops};
  return absl::OkStatus();
}

void Preparer::Sample() {
  if (h_.ops < next_sample_) return;
  if (timeline_.size() == kMaxTimeline) {
    // Keep every other point and sample half as often: bounded, evenly spread.
    size_t j = 0;
    for (size_t i = 0; i < timeline_.size(); i += 2) timeline_[j++] = timeline_[i];
    timeline_.resize(j);
    sample_step_ *= 2;
  }
  timeline_.push_back(TimelinePoint{h_.ops, heap_.live_bytes(), now_ns_});
  next_sample_ = h_.ops + sample_step_;
}

void Preparer::Clock(uint64_t ticks) {
  if (ticks_per_second_ == 0) return;
  if (!clock_started_) {
    clock_started_ = true;
    first_ticks_ = ticks;
  }
  // A time before the first event's (another thread's older reading) is 0.
  const unsigned __int128 since = ticks > first_ticks_ ? ticks - first_ticks_ : 0;
  const unsigned __int128 ns = since * 1000000000u / ticks_per_second_;
  now_ns_ = ns > UINT64_MAX ? UINT64_MAX : static_cast<uint64_t>(ns);
  if (now_ns_ > latest_ns_) {
    if (now_ns_ - latest_ns_ >= kMinIdleGapNs) idle_gaps_.push_back(IdleGap{latest_ns_, now_ns_ - latest_ns_});
    latest_ns_ = now_ns_;
  }
}

bool Preparer::BeforeWindow(const Event& e) const {
  if (!window_.has_from) return false;
  return window_.from_unit == TraceWindow::Unit::kSeq ? e.seq < window_.from : now_ns_ < window_.from;
}

bool Preparer::AfterWindow(const Event& e) const {
  if (!window_.has_to) return false;
  return window_.to_unit == TraceWindow::Unit::kSeq ? e.seq > window_.to : now_ns_ > window_.to;
}

absl::Status Preparer::RebuildHeap() {
  std::vector<std::pair<uint64_t, History::Block*>> live;
  heap_.ForEachLive([&](uint64_t address, History::Block& b) { live.emplace_back(address, &b); });
  std::sort(live.begin(), live.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  // Above any traced thread id (those are tids, and the window thread's 2^32).
  const uint32_t t = ThreadIndex(uint64_t{1} << 33);
  for (auto& [address, b] : live) {
    if (absl::Status st = NewBlock(t, address, OpKind::kMalloc, b->bytes, 0, b->extra.site, &b->extra); !st.ok()) {
      return st;
    }
  }
  h_.prologue_thread = t + 1;
  h_.prologue_blocks = live.size();
  heap_.RestartStatistics();  // the header describes the window
  return absl::OkStatus();
}

absl::Status Preparer::Add(const Event& e) {
  ++h_.trace_events;
  Clock(e.time);
  if (window_.active()) {
    if (AfterWindow(e)) {
      done_ = true;
      return absl::OkStatus();
    }
    if (!in_window_) {
      if (BeforeWindow(e)) {
        // Only the history: which blocks are live at the start, and the
        // call sites that gave them their size.
        const History::Step step = heap_.Add(e);
        if (step.action == trace::HeapAction::kAllocate || step.action == trace::HeapAction::kResize) {
          step.block->extra.site = SiteOf(e.stack_id);
        }
        return absl::OkStatus();
      }
      in_window_ = true;
      h_.window_first_seq = e.seq;
      if (absl::Status st = RebuildHeap(); !st.ok()) return st;
    }
    h_.window_last_seq = e.seq;
  }
  if (threads_.size() >= kMaxPreparedThreads && !thread_index_.contains(e.thread_id)) {
    return absl::ResourceExhaustedError(
        absl::StrCat("the trace has more than ", kMaxPreparedThreads, " threads; the replay runs one thread each"));
  }
  const History::Step step = heap_.Add(e);
  absl::Status st;
  const Kind k = e.kind;
  switch (step.action) {
    case trace::HeapAction::kAllocate: {
      const uint32_t t = ThreadIndex(e.thread_id);
      if (k == Kind::kRealloc || k == Kind::kReallocArray) {
        // realloc(NULL, n), or of a block allocated before tracing began:
        // the replay has nothing to resize, so the block is made from nothing.
        st = NewBlock(t, e.out, OpKind::kReallocNull, step.block->bytes, 0, SiteOf(e.stack_id), &step.block->extra);
      } else {
        st = NewBlock(t, e.out, AllocationOp(k), e.size, k == Kind::kCalloc ? e.count : e.alignment,
                      SiteOf(e.stack_id), &step.block->extra);
      }
      break;
    }
    case trace::HeapAction::kFree:
      st = FreeBlock(ThreadIndex(e.thread_id), e.in, step.old.extra);
      break;
    case trace::HeapAction::kFreeNull:
      st = Emit(ThreadIndex(e.thread_id), OpKind::kFreeNull, 0, 0);
      break;
    case trace::HeapAction::kResize: {
      const uint32_t t = ThreadIndex(e.thread_id);
      const SlotRef old = step.old.extra;
      if (st = WaitFor(t, old.thread, old.pos, false); !st.ok()) break;
      if (e.out != e.in) {
        if (st = WaitForReuse(t, e.out); !st.ok()) break;
      }
      const uint32_t site = SiteOf(e.stack_id);
      if (st = Emit(t, OpKind::kRealloc, old.slot, step.block->bytes, site); !st.ok()) break;
      if (e.out != e.in) freed_[e.in] = Ref{t, threads_[t].ops};
      step.block->extra = SlotRef{old.slot, t, threads_[t].ops, site};
      break;
    }
    case trace::HeapAction::kQuery: {
      const uint32_t t = ThreadIndex(e.thread_id);
      SlotRef& ref = step.block->extra;
      if (st = WaitFor(t, ref.thread, ref.pos, false); !st.ok()) break;
      if (st = Emit(t, OpKind::kUsableSize, ref.slot, 0); !st.ok()) break;
      ref.thread = t;
      ref.pos = threads_[t].ops;
      break;
    }
    case trace::HeapAction::kUnknownFree:
      ThreadIndex(e.thread_id);  // counted by the history; the thread is numbered
      break;
    case trace::HeapAction::kFailed:
      // Counted by the history. A failed realloc numbers its thread, as every
      // realloc that reaches the allocator does (one whose count x size
      // overflows never does).
      if ((k == Kind::kRealloc || k == Kind::kReallocArray) && !trace::CountTimesSizeOverflows(e)) {
        ThreadIndex(e.thread_id);
      }
      break;
    case trace::HeapAction::kOther:
      if (k == Kind::kWindow) {
        ++(e.result != 0 ? h_.window_starts : h_.window_stops);
      } else {
        ++h_.skipped_other;
      }
      break;
  }
  if (!st.ok()) return st;
  Sample();
  return absl::OkStatus();
}

absl::StatusOr<PreparedHeader> Preparer::Finish(uint64_t trace_threads) {
  h_.trace_threads = trace_threads;
  for (Thread& th : threads_) {
    if (absl::Status st = FlushBlock(th); !st.ok()) return st;
  }
  h_.threads = threads_.size();
  h_.slots = next_slot_;
  h_.final_live_bytes = heap_.live_bytes();
  h_.final_live_blocks = heap_.live_blocks();
  h_.peak_live_bytes = heap_.peak_live_bytes();
  h_.peak_live_blocks = heap_.peak_live_blocks();
  h_.inversions = heap_.inversions();
  h_.unknown_frees = heap_.unknown_frees();
  h_.untraced_reallocs = heap_.untraced_reallocs();
  h_.realloc_zero_frees = heap_.realloc_zero_frees();
  h_.failed_allocations = heap_.failed_allocations();
  for (int b = 0; b < kSizeBuckets; ++b) h_.size_histogram[b] = heap_.sizes().bucket(b);
  h_.trace_duration_ns = latest_ns_;
  h_.checksum = kHashBasis;
  // Thread table, then each thread's block table, then the timeline.
  h_.thread_table_offset = out_pos_;
  uint64_t block_tables = out_pos_ + threads_.size() * sizeof(ThreadEntry);
  std::vector<ThreadEntry> table;
  for (const Thread& th : threads_) {
    table.push_back(
        ThreadEntry{th.trace_id, th.ops, th.calls, th.hash, th.blocks.size(), block_tables, th.first_op, th.last_op});
    if (absl::Status st = WriteAt(fd_, th.blocks.data(), th.blocks.size() * sizeof(BlockRef), block_tables);
        !st.ok()) {
      return st;
    }
    block_tables += th.blocks.size() * sizeof(BlockRef);
    h_.checksum = CombineChecksum(h_.checksum, th.hash);
  }
  if (absl::Status st = WriteAt(fd_, table.data(), table.size() * sizeof(ThreadEntry), out_pos_); !st.ok()) {
    return st;
  }
  timeline_.push_back(TimelinePoint{h_.ops, heap_.live_bytes(), latest_ns_});
  h_.timeline_offset = block_tables;
  h_.timeline_samples = timeline_.size();
  if (absl::Status st = WriteAt(fd_, timeline_.data(), timeline_.size() * sizeof(TimelinePoint), block_tables);
      !st.ok()) {
    return st;
  }
  h_.idle_gaps_offset = h_.timeline_offset + timeline_.size() * sizeof(TimelinePoint);
  h_.idle_gaps = idle_gaps_.size();
  if (absl::Status st =
          WriteAt(fd_, idle_gaps_.data(), idle_gaps_.size() * sizeof(IdleGap), h_.idle_gaps_offset);
      !st.ok()) {
    return st;
  }
  // The site table only when some op names a stack.
  if (site_stacks_.size() == 1) site_stacks_.clear();
  h_.sites_offset = h_.idle_gaps_offset + idle_gaps_.size() * sizeof(IdleGap);
  h_.sites = site_stacks_.size();
  if (absl::Status st = WriteAt(fd_, site_stacks_.data(), site_stacks_.size() * sizeof(uint64_t), h_.sites_offset);
      !st.ok()) {
    return st;
  }
  h_.file_size = h_.sites_offset + site_stacks_.size() * sizeof(uint64_t);
  std::vector<char> page(kHeaderBytes, 0);
  std::memcpy(page.data(), &h_, sizeof h_);
  if (absl::Status st = WriteAt(fd_, page.data(), page.size(), 0); !st.ok()) return st;
  if (ftruncate(fd_, static_cast<off_t>(h_.file_size)) != 0) {
    return absl::InternalError(absl::StrCat("cannot size the prepared file: ", std::strerror(errno)));
  }
  return h_;
}

}  // namespace

bool ParseDurationNs(const std::string& text, uint64_t* ns) {
  // "ms" and "min" before "s", which they also end in.
  static constexpr std::pair<const char*, double> kUnits[] = {
      {"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"min", 6e10}, {"s", 1e9}};
  for (const auto& [suffix, scale] : kUnits) {
    const size_t n = std::strlen(suffix);
    if (text.size() <= n || text.compare(text.size() - n, n, suffix) != 0) continue;
    double v;
    // Refused past 2^64 ns (the conversion would overflow).
    if (!absl::SimpleAtod(text.substr(0, text.size() - n), &v) || !(v >= 0) || v * scale > 1.8e19) return false;
    *ns = static_cast<uint64_t>(v * scale);
    return true;
  }
  return false;
}

bool ParseWindowBound(const std::string& text, TraceWindow::Unit* unit, uint64_t* value) {
  if (ParseDurationNs(text, value)) {
    *unit = TraceWindow::Unit::kTimeNs;
    return true;
  }
  *unit = TraceWindow::Unit::kSeq;
  return absl::SimpleAtoi(text, value);
}

absl::StatusOr<PreparedHeader> PrepareFromReader(trace::OrderedReader& reader, int out_fd,
                                                 const TraceWindow& window) {
  Preparer p(out_fd, reader.header().clock_ticks_per_second(), window);
  Event e;
  while (!p.done() && reader.Next(&e)) {
    if (absl::Status st = p.Add(e); !st.ok()) return st;
  }
  if (!reader.status().ok()) return reader.status();
  return p.Finish(reader.threads());
}

absl::StatusOr<PreparedHeader> PrepareTrace(const std::string& trace_path, const std::string& out_path,
                                            const std::string& temp_dir, const TraceWindow& window,
                                            std::function<void(const trace::Record&)> on_record) {
  trace::OrderedReader::Options options;
  options.temp_dir = temp_dir;
  options.on_other_record = std::move(on_record);
  auto reader = trace::OrderedReader::Open(trace_path, options);
  if (!reader.ok()) return reader.status();
  // Written beside the destination and renamed: a failed preparation never
  // leaves a file that looks prepared.
  const std::string tmp = out_path + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::InvalidArgumentError(absl::StrCat("cannot create ", tmp, ": ", std::strerror(errno)));
  }
  auto h = PrepareFromReader(**reader, fd, window);
  if (close(fd) != 0 && h.ok()) {
    h = absl::InternalError(absl::StrCat("cannot write ", tmp, ": ", std::strerror(errno)));
  }
  if (!h.ok()) {
    unlink(tmp.c_str());
    return h.status();
  }
  if (rename(tmp.c_str(), out_path.c_str()) != 0) {
    unlink(tmp.c_str());
    return absl::InternalError(absl::StrCat("cannot rename ", tmp, " to ", out_path, ": ", std::strerror(errno)));
  }
  return h;
}

}  // namespace alloclab::replay
