#include "trace/test_events.h"

#include <cstdlib>

#include "trace/io.h"

namespace alloclab::trace {

Event MakeEvent(uint64_t thread, Kind kind, uint64_t seq, uint64_t time, uint64_t in, uint64_t size, uint64_t out) {
  Event e;
  e.kind = kind;
  e.thread_id = thread;
  e.seq = seq;
  e.time = time;
  e.in = in;
  e.size = size;
  e.out = out;
  return e;
}

std::vector<Event> EveryKindEvents(int threads) {
  std::vector<Event> out;
  uint64_t seq = 10;
  uint64_t time = 5;
  for (int round = 0; round < 2; ++round) {
    for (int t = 0; t < threads; ++t) {
      const uint64_t tid = 4242 + static_cast<uint64_t>(t);
      const uint64_t base = 0x7f0000001000ull + (uint64_t(t) << 32) + uint64_t(round) * 0x100000;
      auto add = [&](Kind k) -> Event& {
        Event e;
        e.kind = k;
        e.thread_id = tid;
        seq += 1 + static_cast<uint64_t>(t);
        time += 3 + 1000 * static_cast<uint64_t>(round);
        e.seq = seq;
        e.time = time;
        out.push_back(e);
        return out.back();
      };
      if (round == 0) add(Kind::kThreadStart);
      Event& m = add(Kind::kMalloc);
      m.size = 24, m.out = base;
      Event& m0 = add(Kind::kMalloc);
      m0.size = ~0ull;  // failed: NULL out
      Event& c = add(Kind::kCalloc);
      c.count = 7, c.size = 9, c.out = base + 0x40, c.stack_id = 3;
      Event& r = add(Kind::kRealloc);
      r.in = base + 0x40, r.size = 1 << 20, r.out = 0x10000;  // moved far down
      Event& r0 = add(Kind::kRealloc);
      r0.size = 16, r0.out = base + 0x80;  // realloc(NULL, 16)
      Event& ra = add(Kind::kReallocArray);
      ra.in = base + 0x80, ra.count = 3, ra.size = 100, ra.out = base + 0x80;
      Event& ma = add(Kind::kMemalign);
      ma.alignment = 64, ma.size = 100, ma.out = base + 0x1000;
      Event& pm = add(Kind::kPosixMemalign);
      pm.alignment = 4096, pm.size = 5000, pm.out = base + 0x2000;
      Event& pm0 = add(Kind::kPosixMemalign);
      pm0.alignment = 3, pm0.size = 8, pm0.result = 22;  // EINVAL
      Event& aa = add(Kind::kAlignedAlloc);
      aa.alignment = 1 << 20, aa.size = 1 << 20, aa.out = 0x7ff000000000ull;
      Event& v = add(Kind::kValloc);
      v.size = 1, v.out = base + 0x3000;
      Event& pv = add(Kind::kPvalloc);
      pv.size = 4097, pv.out = base + 0x5000;
      Event& us = add(Kind::kMallocUsableSize);
      us.in = base, us.result = 24;
      Event& us0 = add(Kind::kMallocUsableSize);
      us0.result = 0;  // malloc_usable_size(NULL)
      Event& fs = add(Kind::kFreeSized);
      fs.in = base, fs.size = 24;
      Event& fa = add(Kind::kFreeAligned);
      fa.in = base + 0x1000, fa.alignment = 64;
      Event& fsa = add(Kind::kFreeSizedAligned);
      fsa.in = base + 0x2000, fsa.size = 5000, fsa.alignment = 4096, fsa.stack_id = 1ull << 40;
      add(Kind::kFree).in = 0x10000;
      add(Kind::kFree);  // free(NULL)
      add(Kind::kFree).in = ~0ull - 15;  // highest possible address
      add(Kind::kFree).in = 16;          // lowest
      add(Kind::kFork).result = 31337;
      add(Kind::kExec);
      add(Kind::kWindow).result = round == 0 ? 0 : 1;  // recording stopped, then started again
      if (round == 1) add(Kind::kThreadExit);
    }
  }
  return out;
}

EventSequence& EventSequence::Add(uint64_t thread, Kind kind, uint64_t in, uint64_t out, uint64_t size,
                                  uint64_t extra) {
  ++seq_;
  Event e = MakeEvent(thread, kind, seq_, seq_, in, size, out);
  if (kind == Kind::kCalloc || kind == Kind::kReallocArray) e.count = extra;
  if (kind == Kind::kMemalign || kind == Kind::kPosixMemalign || kind == Kind::kAlignedAlloc) e.alignment = extra;
  events_.push_back(e);
  return *this;
}

HeaderFields TestHeader() {
  static const char* const kArgs[] = {"/usr/bin/prog", "--flag", "", "ünïcode"};
  HeaderFields h;
  h.pid = 1234;
  h.parent_pid = 1;
  h.executable = "/usr/bin/prog";
  h.args = kArgs;
  h.arg_count = 4;
  h.start_time_unix_ns = 1763683200123456789ull;
  h.page_size = 4096;
  h.clock_ticks_per_second = 1000000000;
  h.clock_source = "CLOCK_MONOTONIC";
  h.forked = true;
  h.fork_seq = 77;
  h.parent_trace = "/tmp/malloctrace.1.pb";
  h.exec_depth = 2;
  h.stack_depth = 8;
  h.tracer = "test";
  return h;
}

std::string WriteTestTrace(const std::vector<Event>& events, TraceWriter::Options options) {
  std::string bytes;
  StringSink sink(&bytes);
  TraceWriter w(&sink, TestHeader(), options);
  bool ok = w.AppendStack(3, {0x401000, 0x402000}).ok();
  for (const Event& e : events) ok = ok && w.Append(e).ok();
  ok = ok && w.AppendMemoryMaps(5, {{0x400000, 0x500000, 0, "/usr/bin/prog", "abcd"}}).ok();
  ok = ok && w.AppendExec(4242, 99, "/bin/sh", {"sh", "-c", "true"}).ok();
  ok = ok && w.Flush().ok();
  if (!ok) std::abort();
  return bytes;
}

}  // namespace alloclab::trace
