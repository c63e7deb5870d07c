// Recorder: per-thread in-place chunks in file slots, thread start/exit.
#include "tracer/recorder.h"

#include <pthread.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>

#include "tracer/stacks.h"
#include "tracer/trace_file.h"

namespace alloclab::tracer {
namespace recorder_internal {

__thread ThreadState t_state __attribute__((tls_model("initial-exec"))) = {};
std::atomic<bool> g_tracing{false};
std::atomic<uint64_t> g_seq{0};
// Bumped in a forked child, so that the forking thread's state (which points
// into the parent's file) is recognised as stale and dropped.
uint32_t g_generation = 1;
uint64_t g_start_tsc = 0;
int g_stack_depth = 0;

}  // namespace recorder_internal

namespace {

using namespace recorder_internal;
using trace::ChunkEncoder;
using trace::Event;
using trace::Kind;

TraceFile g_file;
pthread_key_t g_exit_key;
char g_parent_path[kMaxPath];
uint64_t g_ticks_per_second = 0;

uint64_t MonotonicNs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

// Event-time ticks per second: the TSC measured against CLOCK_MONOTONIC over
// 200 us, divided as the event times are.
uint64_t CalibrateTicks() {
  const uint64_t c0 = MonotonicNs();
  const uint64_t t0 = __rdtsc();
  uint64_t c1;
  do {
    c1 = MonotonicNs();
  } while (c1 - c0 < 200000);
  const uint64_t t1 = __rdtsc();
  return ((t1 - t0) * 1000000000ull / (c1 - c0)) >> kTscShift;
}

bool NewSlot(ThreadState& t) {
  TraceFile::ReleaseSlot(t.slot);
  t.slot = g_file.ReserveSlot();
  if (t.slot == nullptr) return false;
  t.encoder.Reset(t.slot, kSlotBytes, ChunkEncoder::Mode::kInPlace);
  return true;
}

void OnThreadExit(void*) {
  ThreadState& t = t_state;
  if (!t.started || t.exited || t.generation != g_generation || !g_tracing.load()) return;
  t.inside = true;
  Event e;
  e.kind = Kind::kThreadExit;
  Stamp(&e);
  e.thread_id = t.tid;
  AppendSlow(t, e);
  t.exited = true;
  TraceFile::ReleaseSlot(t.slot);
  t.slot = nullptr;
  t.inside = false;
}

}  // namespace

namespace recorder_internal {

uint64_t CaptureStack() { return CaptureStackId(g_file); }

// The chunk is full (or there is none yet): continue in a new slot.
void AppendSlow(ThreadState& t, const Event& e) {
  if (t.slot != nullptr && t.encoder.Append(e)) return;
  if (!NewSlot(t)) return;  // tracing stopped: the file could not grow
  t.encoder.Append(e);
}

// First event of a thread (in this trace file): its id, its THREAD_START.
void StartThread(ThreadState& t) {
  if (t.generation != g_generation) {
    // The state of the thread that forked, pointing into the parent's file.
    TraceFile::ReleaseSlot(t.slot);
    t.slot = nullptr;
    t.started = false;
    t.generation = g_generation;
  }
  t.tid = static_cast<uint64_t>(syscall(SYS_gettid));
  t.started = true;
  t.exited = false;
  pthread_setspecific(g_exit_key, &t);
  Event e;
  e.kind = Kind::kThreadStart;
  Stamp(&e);
  e.thread_id = t.tid;
  AppendSlow(t, e);
}

}  // namespace recorder_internal

void StartTracing() {
  static std::atomic<bool> started{false};
  if (started.exchange(true)) return;
  t_state.inside = true;
  pthread_key_create(&g_exit_key, OnThreadExit);
  g_ticks_per_second = CalibrateTicks();
  g_start_tsc = __rdtsc();
  const int depth = InitStacks();
  TraceFileInfo info;
  info.clock_ticks_per_second = g_ticks_per_second;
  info.stack_depth = static_cast<uint32_t>(depth);
  if (g_file.Open(info)) {
    WriteMemoryMaps(g_file, 0);
    g_stack_depth = depth;
    g_tracing.store(true);
  }
  t_state.inside = false;
}

// At a normal exit (the library's destructor, after the program's own):
// stop recording, let events in flight commit, then compact and compress.
// A trace that another thread still writes to is left raw.
__attribute__((destructor)) void FinishTracing() {
  if (!g_tracing.load()) return;
  t_state.inside = true;
  g_tracing.store(false);
  const uint64_t seq = g_seq.load();
  struct timespec pause = {0, 2000000};  // 2 ms for calls between Enter and commit
  nanosleep(&pause, nullptr);
  WriteMemoryMaps(g_file, seq);  // libraries loaded since the start
  if (g_seq.load() == seq && getenv("MALLOC_TRACE_RAW") == nullptr) g_file.Finish();
}

void ChildAfterFork(uint64_t fork_seq) {
  if (!g_tracing.load()) return;
  // Never write into the parent's file from here on.
  g_tracing.store(false);
  const char* src = g_file.path();
  size_t i = 0;
  for (; src[i] != '\0' && i + 1 < sizeof(g_parent_path); ++i) g_parent_path[i] = src[i];
  g_parent_path[i] = '\0';
  g_file.Abandon();
  ++g_generation;
  TraceFileInfo info;
  info.clock_ticks_per_second = g_ticks_per_second;
  info.forked = true;
  info.fork_seq = fork_seq;
  info.parent_trace = g_parent_path;
  info.stack_depth = static_cast<uint32_t>(g_stack_depth);
  if (g_file.Open(info)) {
    WriteMemoryMaps(g_file, fork_seq);
    g_tracing.store(true);
  }
}

}  // namespace alloclab::tracer
