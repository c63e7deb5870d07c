#include "replay/prepare.h"

#include <stdio.h>
#include <string.h>

#include <cstddef>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "replay/op_stream.h"
#include "replay/prepared_file.h"
#include "trace/heap_history.h"
#include "trace/ordered_reader.h"
#include "trace/synthetic.h"
#include "trace/test_events.h"

namespace alloclab::replay {
namespace {

using trace::Event;
using trace::Kind;

using Events = trace::EventSequence;

struct Prepared {
  PreparedHeader header;
  std::vector<std::vector<Op>> threads;  // ops of each replay thread
  std::vector<uint64_t> trace_ids;
  std::vector<uint64_t> site_stacks;
};

std::string TempPath(const std::string& name) { return std::string(getenv("TEST_TMPDIR")) + "/" + name; }

Prepared PrepareEvents(const std::vector<Event>& events, const std::string& name = "t",
                       const TraceWindow& window = TraceWindow()) {
  const std::string trace_path = TempPath(name + ".trace");
  std::ofstream(trace_path, std::ios::binary) << trace::WriteTestTrace(events, {});
  const std::string out = TempPath(name + ".prepared");
  auto h = PrepareTrace(trace_path, out, "", window);
  EXPECT_TRUE(h.ok()) << h.status();
  Prepared p;
  PreparedView v;
  char error[256];
  EXPECT_TRUE(MapPrepared(out.c_str(), &v, error, sizeof error)) << error;
  if (v.header == nullptr) return p;
  p.header = *v.header;
  p.site_stacks.assign(v.site_stacks, v.site_stacks + v.header->sites);
  for (uint64_t t = 0; t < v.header->threads; ++t) {
    p.trace_ids.push_back(v.threads[t].trace_thread_id);
    std::vector<Op> ops;
    const BlockRef* blocks = v.Blocks(t);
    for (uint64_t b = 0; b < v.threads[t].blocks; ++b) {
      const Op* o = v.BlockOps(blocks[b]);
      ops.insert(ops.end(), o, o + blocks[b].ops);
    }
    p.threads.push_back(ops);
  }
  UnmapPrepared(&v);
  return p;
}

Op MakeOp(OpKind kind, uint32_t slot, uint64_t size) {
  Op o{};
  o.kind = kind;
  o.slot = slot;
  o.size = size;
  return o;
}

std::string Show(const std::vector<Op>& ops) {
  std::string s;
  for (const Op& o : ops) s += std::string(OpKindName(o.kind)) + "(" + std::to_string(o.slot) + "," + std::to_string(o.size) + ") ";
  return s;
}

void ExpectOps(const std::vector<Op>& got, const std::vector<Op>& want) {
  ASSERT_EQ(got.size(), want.size()) << Show(got);
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_TRUE(got[i].kind == want[i].kind && got[i].slot == want[i].slot && got[i].size == want[i].size)
        << "op " << i << ": " << Show(got);
  }
}

TEST(Prepare, SingleThreadSlotsAreDenseAndReused) {
  Events ev;
  ev.Malloc(1, 0x1000, 10).Malloc(1, 0x2000, 20).Free(1, 0x1000).Malloc(1, 0x3000, 30).Free(1, 0x2000).Free(1, 0x3000);
  Prepared p = PrepareEvents(ev.events());
  ASSERT_EQ(p.threads.size(), 1u);
  ExpectOps(p.threads[0], {MakeOp(OpKind::kMalloc, 0, 10), MakeOp(OpKind::kMalloc, 1, 20), MakeOp(OpKind::kFree, 0, 0),
                           MakeOp(OpKind::kMalloc, 0, 30), MakeOp(OpKind::kFree, 1, 0), MakeOp(OpKind::kFree, 0, 0)});
  EXPECT_EQ(p.header.slots, 2u);
  EXPECT_EQ(p.header.calls, 6u);
  EXPECT_EQ(p.header.peak_live_bytes, 50u);
  EXPECT_EQ(p.header.peak_live_blocks, 2u);
  EXPECT_EQ(p.header.final_live_bytes, 0u);
  EXPECT_EQ(p.header.waits, 0u);
}

TEST(Prepare, CrossThreadFreeWaitsForTheAllocation) {
  Events ev;
  ev.Malloc(7, 0x1000, 16).Malloc(7, 0x2000, 16).Free(9, 0x2000);
  Prepared p = PrepareEvents(ev.events());
  ASSERT_EQ(p.threads.size(), 2u);
  EXPECT_EQ(p.trace_ids[0], 7u);
  EXPECT_EQ(p.trace_ids[1], 9u);
  // Thread 1 waits until thread 0 has done 2 ops, then frees slot 1.
  ExpectOps(p.threads[1], {MakeOp(OpKind::kWait, 0, 2), MakeOp(OpKind::kFree, 1, 0)});
  EXPECT_EQ(p.header.waits, 1u);
  EXPECT_EQ(p.header.reuse_waits, 0u);
}

TEST(Prepare, AddressReusedAcrossThreadsWaitsForTheFree) {
  Events ev;
  ev.Malloc(1, 0x1000, 16).Free(1, 0x1000).Malloc(2, 0x1000, 32).Free(2, 0x1000);
  Prepared p = PrepareEvents(ev.events());
  ASSERT_EQ(p.threads.size(), 2u);
  ExpectOps(p.threads[1], {MakeOp(OpKind::kWait, 0, 2), MakeOp(OpKind::kMalloc, 1, 32), MakeOp(OpKind::kFree, 1, 0)});
  EXPECT_EQ(p.header.reuse_waits, 1u);
}

TEST(Prepare, RepeatedDependenciesWaitOnce) {
  Events ev;
  ev.Malloc(1, 0x1000, 8).Malloc(1, 0x2000, 8).Free(2, 0x1000).Free(2, 0x2000);
  Prepared p = PrepareEvents(ev.events());
  // The wait for op 2 of thread 0 covers both frees.
  ExpectOps(p.threads[1], {MakeOp(OpKind::kWait, 0, 2), MakeOp(OpKind::kFree, 0, 0), MakeOp(OpKind::kFree, 1, 0)});
}

TEST(Prepare, InversionIsResolvedAndCounted) {
  // Thread 2's malloc got 0x1000 before thread 1's free of it was recorded.
  Events ev;
  ev.Malloc(1, 0x1000, 8).Malloc(2, 0x1000, 24).Free(1, 0x1000).Free(2, 0x1000);
  Prepared p = PrepareEvents(ev.events());
  EXPECT_EQ(p.header.inversions, 1u);
  EXPECT_EQ(p.header.unknown_frees, 0u);
  // Thread 1's free is of its own block (slot 0), thread 2's of the new one.
  ExpectOps(p.threads[0], {MakeOp(OpKind::kMalloc, 0, 8), MakeOp(OpKind::kFree, 0, 0)});
  ExpectOps(p.threads[1], {MakeOp(OpKind::kMalloc, 1, 24), MakeOp(OpKind::kFree, 1, 0)});
  EXPECT_EQ(p.header.final_live_blocks, 0u);
}

TEST(Prepare, UnknownFreesAndFailedAllocationsAreSkipped) {
  Events ev;
  ev.Free(1, 0xdead0).Malloc(1, 0, 1ull << 50).Free(1, 0).Add(1, Kind::kPosixMemalign, 0, 0x5000, 64, 64);
  ev.events();
  std::vector<Event> events = ev.events();
  events.back().result = 12;  // ENOMEM: the out pointer means nothing
  Prepared p = PrepareEvents(events);
  EXPECT_EQ(p.header.unknown_frees, 1u);
  EXPECT_EQ(p.header.failed_allocations, 2u);
  ExpectOps(p.threads[0], {MakeOp(OpKind::kFreeNull, 0, 0)});
}

TEST(Prepare, ReallocForms) {
  Events ev;
  ev.Add(1, Kind::kRealloc, 0, 0x1000, 10)      // realloc(NULL, 10)
      .Add(1, Kind::kRealloc, 0x1000, 0x1000, 20)  // in place
      .Add(1, Kind::kRealloc, 0x1000, 0x2000, 40)  // moved
      .Add(1, Kind::kRealloc, 0x2000, 0, 1 << 30)  // failed: block unchanged
      .Add(1, Kind::kReallocArray, 0x2000, 0x3000, 8, 10)
      .Add(1, Kind::kRealloc, 0x3000, 0, 0)       // realloc(p, 0) freed p
      .Add(1, Kind::kRealloc, 0x9000, 0x4000, 16)  // untraced pointer
      .Free(1, 0x4000);
  Prepared p = PrepareEvents(ev.events());
  ExpectOps(p.threads[0], {MakeOp(OpKind::kReallocNull, 0, 10), MakeOp(OpKind::kRealloc, 0, 20),
                           MakeOp(OpKind::kRealloc, 0, 40), MakeOp(OpKind::kRealloc, 0, 80),
                           MakeOp(OpKind::kFree, 0, 0), MakeOp(OpKind::kReallocNull, 0, 16),
                           MakeOp(OpKind::kFree, 0, 0)});
  EXPECT_EQ(p.header.failed_allocations, 1u);
  EXPECT_EQ(p.header.realloc_zero_frees, 1u);
  EXPECT_EQ(p.header.untraced_reallocs, 1u);
  EXPECT_EQ(p.header.peak_live_bytes, 80u);
}

TEST(Prepare, ArgumentsTravelInArgOps) {
  Events ev;
  ev.Add(1, Kind::kCalloc, 0, 0x1000, 24, 3).Add(1, Kind::kMemalign, 0, 0x2000, 100, 64)
      .Add(1, Kind::kAlignedAlloc, 0, 0x3000, 128, 128).Add(1, Kind::kMallocUsableSize, 0x1000, 0, 0);
  Prepared p = PrepareEvents(ev.events());
  ExpectOps(p.threads[0], {MakeOp(OpKind::kCalloc, 0, 24), MakeOp(OpKind::kArg, 0, 3),
                           MakeOp(OpKind::kMemalign, 1, 100), MakeOp(OpKind::kArg, 0, 64),
                           MakeOp(OpKind::kAlignedAlloc, 2, 128), MakeOp(OpKind::kArg, 0, 128),
                           MakeOp(OpKind::kUsableSize, 0, 0)});
  EXPECT_EQ(p.header.peak_live_bytes, 72u + 100 + 128);
}

TEST(Prepare, SameTraceSameBytesAndChecksum) {
  std::vector<Event> events;
  trace::SyntheticOptions opt;
  opt.events = 50000;
  opt.threads = 4;
  trace::GenerateSynthetic(opt, [&](const Event& e) { events.push_back(e); });
  Prepared a = PrepareEvents(events, "a");
  Prepared b = PrepareEvents(events, "b");
  EXPECT_EQ(a.header.checksum, b.header.checksum);
  ASSERT_EQ(a.threads.size(), 4u);
  for (size_t t = 0; t < a.threads.size(); ++t) {
    ASSERT_EQ(a.threads[t].size(), b.threads[t].size());
    EXPECT_EQ(0, memcmp(a.threads[t].data(), b.threads[t].data(), a.threads[t].size() * sizeof(Op)));
  }
  EXPECT_GT(a.header.waits, 0u);  // the generator frees some blocks in other threads
  // Every wait points backwards at an op that exists.
  for (size_t t = 0; t < a.threads.size(); ++t) {
    for (const Op& o : a.threads[t]) {
      if (o.kind != OpKind::kWait) continue;
      ASSERT_LT(o.slot, a.threads.size());
      EXPECT_NE(o.slot, t);
      EXPECT_LE(o.size, a.threads[o.slot].size());
    }
  }
  // A different trace gives a different checksum.
  events.pop_back();
  events.pop_back();
  Prepared c = PrepareEvents(events, "c");
  EXPECT_NE(a.header.checksum, c.header.checksum);
}

TEST(Prepare, BadTraceIsAnErrorAndLeavesNoFile) {
  const std::string trace_path = TempPath("bad.trace");
  std::ofstream(trace_path, std::ios::binary) << "this is not a trace";
  const std::string out = TempPath("bad.prepared");
  auto h = PrepareTrace(trace_path, out);
  ASSERT_FALSE(h.ok());
  EXPECT_NE(access(out.c_str(), F_OK), 0);
  EXPECT_NE(access((out + ".tmp").c_str(), F_OK), 0);
}

TEST(PreparedFile, CorruptionIsDetected) {
  Events ev;
  ev.Malloc(1, 0x1000, 10).Malloc(2, 0x2000, 20).Free(1, 0x2000);
  PrepareEvents(ev.events(), "good");
  std::string bytes;
  {
    std::ifstream f(TempPath("good.prepared"), std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(f), {});
  }
  PreparedView v;
  char error[256];
  // Every single-byte change to an op, and truncation, is refused.
  for (size_t at : {size_t{kHeaderBytes}, size_t{kHeaderBytes + 4}, size_t{kHeaderBytes + 9},
                    offsetof(PreparedHeader, checksum), offsetof(PreparedHeader, threads)}) {
    std::string bad = bytes;
    bad[at] ^= 0x40;
    const std::string path = TempPath("bad.prepared");
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bad;
    EXPECT_FALSE(MapPrepared(path.c_str(), &v, error, sizeof error)) << "byte " << at;
  }
  {  // Too few slots for the ops.
    std::string bad = bytes;
    const uint64_t one = 1;
    memcpy(&bad[offsetof(PreparedHeader, slots)], &one, sizeof one);
    const std::string path = TempPath("slots.prepared");
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bad;
    EXPECT_FALSE(MapPrepared(path.c_str(), &v, error, sizeof error));
    EXPECT_NE(std::string(error).find("slot out of range"), std::string::npos) << error;
  }
  {  // An op naming a call site the file has no table entry for (this trace has no stacks).
    std::string bad = bytes;
    bad[kHeaderBytes + 1] = 1;  // the first op's site, low byte
    const std::string path = TempPath("site.prepared");
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bad;
    EXPECT_FALSE(MapPrepared(path.c_str(), &v, error, sizeof error));
    EXPECT_NE(std::string(error).find("call site out of range"), std::string::npos) << error;
  }
  const std::string path = TempPath("short.prepared");
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes.substr(0, bytes.size() - 8);
  EXPECT_FALSE(MapPrepared(path.c_str(), &v, error, sizeof error));
  EXPECT_NE(std::string(error).find("truncated"), std::string::npos) << error;
}

TEST(Prepare, OpsNameTheCallSiteOfTheirStack) {
  Events ev;
  ev.Malloc(1, 0x1000, 10).Malloc(1, 0x2000, 20).Add(1, Kind::kRealloc, 0x1000, 0x3000, 30).Malloc(1, 0x4000, 40);
  ev.Free(1, 0x2000).Malloc(2, 0x5000, 50);
  std::vector<Event> events = ev.events();
  const uint64_t stacks[] = {7, 9, 11, 0, 9, 7};  // the free's stack names nothing
  for (size_t i = 0; i < events.size(); ++i) events[i].stack_id = stacks[i];
  Prepared p = PrepareEvents(events, "sites");
  EXPECT_EQ(p.site_stacks, (std::vector<uint64_t>{0, 7, 9, 11}));
  ASSERT_EQ(p.threads.size(), 2u);
  std::vector<uint32_t> sites;
  for (const Op& o : p.threads[0]) sites.push_back(OpSite(o));
  EXPECT_EQ(sites, (std::vector<uint32_t>{1, 2, 3, 0, 0}));
  EXPECT_EQ(OpSite(p.threads[1][0]), 1u);
  // A window's rebuilt blocks keep the site that allocated them.
  TraceWindow w;
  w.has_from = true;
  w.from = events[4].seq;
  Prepared win = PrepareEvents(events, "sites_window", w);
  ASSERT_NE(win.header.prologue_thread, 0u);
  std::vector<std::pair<uint64_t, uint32_t>> rebuilt;  // size, site stack
  for (const Op& o : win.threads[win.header.prologue_thread - 1]) {
    rebuilt.emplace_back(o.size, win.site_stacks[OpSite(o)]);
  }
  EXPECT_EQ(rebuilt, (std::vector<std::pair<uint64_t, uint32_t>>{{20, 9}, {30, 11}, {40, 0}}));
  // Without stacks there is no table.
  Events plain;
  plain.Malloc(1, 0x1000, 10).Free(1, 0x1000);
  EXPECT_EQ(PrepareEvents(plain.events(), "no_sites").header.sites, 0u);
}

// A window [from, to] of a four-thread synthetic trace: the heap live just
// before `from` is rebuilt by a thread of its own (one malloc per block, in
// address order, the sizes as recorded), and the window's events are exactly
// its other threads' calls.
TEST(PrepareWindow, RebuildsTheLiveHeapThenReplaysTheWindow) {
  trace::SyntheticOptions o;
  o.events = 60000;
  o.threads = 4;
  o.cross_thread_free_fraction = 0.2;
  std::vector<Event> events;
  trace::GenerateSynthetic(o, [&](const Event& e) { events.push_back(e); });
  const uint64_t from = events[20000].seq, to = events[40000].seq;
  // The reference: the heap history up to the window, and the window's calls.
  trace::HeapHistory<trace::NoExtra> history;
  std::vector<std::pair<uint64_t, uint64_t>> live;  // (address, bytes) just before the window
  uint64_t window_calls = 0;  // events in it that the replay issues as calls
  for (const Event& e : events) {
    if (e.seq == from) history.ForEachLive([&](uint64_t a, const auto& b) { live.emplace_back(a, b.bytes); });
    if (e.seq > to) break;
    const trace::HeapAction a = history.Add(e).action;
    if (e.seq >= from && (a == trace::HeapAction::kAllocate || a == trace::HeapAction::kFree ||
                          a == trace::HeapAction::kResize || a == trace::HeapAction::kQuery ||
                          a == trace::HeapAction::kFreeNull)) {
      ++window_calls;
    }
  }
  std::sort(live.begin(), live.end());
  ASSERT_GT(live.size(), 100u);

  TraceWindow w;
  w.has_from = w.has_to = true;
  w.from = from;
  w.to = to;
  const Prepared p = PrepareEvents(events, "window", w);
  ASSERT_NE(p.header.prologue_thread, 0u);
  EXPECT_EQ(p.header.window_first_seq, from);
  EXPECT_EQ(p.header.window_last_seq, to);
  EXPECT_EQ(p.header.prologue_blocks, live.size());
  const std::vector<Op>& rebuild = p.threads[p.header.prologue_thread - 1];
  ASSERT_EQ(rebuild.size(), live.size());
  for (size_t i = 0; i < live.size(); ++i) {
    EXPECT_EQ(rebuild[i].kind, OpKind::kMalloc) << i;
    EXPECT_EQ(rebuild[i].size, live[i].second) << i;  // address order: sizes in the same order
  }
  uint64_t calls = 0;
  for (size_t t = 0; t < p.threads.size(); ++t) {
    if (t + 1 == p.header.prologue_thread) continue;
    for (const Op& op : p.threads[t]) calls += IsCall(op.kind) ? 1 : 0;
  }
  EXPECT_EQ(calls, window_calls);
  EXPECT_EQ(p.header.unknown_frees, 0u) << "a free in the window of a block from before it must find its block";
}

TEST(PrepareWindow, ParsesSeqsAndTimes) {
  TraceWindow::Unit unit;
  uint64_t v = 0;
  ASSERT_TRUE(ParseWindowBound("12345", &unit, &v));
  EXPECT_EQ(unit, TraceWindow::Unit::kSeq);
  EXPECT_EQ(v, 12345u);
  ASSERT_TRUE(ParseWindowBound("2.5s", &unit, &v));
  EXPECT_EQ(unit, TraceWindow::Unit::kTimeNs);
  EXPECT_EQ(v, 2500000000u);
  ASSERT_TRUE(ParseWindowBound("300ms", &unit, &v));
  EXPECT_EQ(v, 300000000u);
  ASSERT_TRUE(ParseWindowBound("40us", &unit, &v));
  EXPECT_EQ(v, 40000u);
  ASSERT_TRUE(ParseWindowBound("2min", &unit, &v));
  EXPECT_EQ(v, 120000000000u);
  for (const char* bad : {"", "abc", "-5", "5x", "ms", "1.5", "-1s", "1e30s"}) {
    EXPECT_FALSE(ParseWindowBound(bad, &unit, &v)) << bad;
  }
}

}  // namespace
}  // namespace alloclab::replay
