// Recorder: per-thread in-place chunks in file slots, thread start/exit.
#include "tracer/recorder.h"

#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "base/decimal.h"
#include "base/spin_lock.h"
#include "trace/record_encoder.h"
#include "tracer/clock.h"
#include "tracer/compressor.h"
#include "tracer/helper_thread.h"
#include "tracer/settings.h"
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
int g_stack_depth = 0;

}  // namespace recorder_internal

namespace {

using namespace recorder_internal;
using trace::ChunkEncoder;
using trace::Event;
using trace::Kind;

TraceFile g_file;
Compressor g_compressor;
HelperThread g_helper;
pthread_key_t g_exit_key;
char g_parent_path[kMaxPath];
uint64_t g_ticks_per_second = 0;
uint32_t g_exec_depth = 0;  // execs this pid went through while traced
Settings g_settings;

// The helper thread does not record its own calls (zstd's, libc's).
void HelperThreadInit() { t_state.inside = true; }

// Whether a trace file is open (tracing set up); g_tracing is whether calls
// are recorded now, which capture on demand switches.
std::atomic<bool> g_trace_open{false};

// WINDOW events noted by the signal handler, written in order by whoever
// comes next (WritePendingWindowEvents). Past kMaxWindowEvents pending at
// once (signals faster than any slow path) the switch still works but its
// events are dropped.
constexpr uint32_t kMaxWindowEvents = 64;
struct WindowEvent {
  uint64_t seq;
  uint64_t time;
  uint32_t started;
  std::atomic<uint32_t> ready;
};
WindowEvent g_window_events[kMaxWindowEvents];
std::atomic<uint32_t> g_window_noted{0};
std::atomic<uint32_t> g_window_written{0};
base::SpinLock g_window_lock;

void OnWindowSignal(int) {
  const int saved = errno;
  const bool start = !g_tracing.load(std::memory_order_relaxed);
  const uint32_t i = g_window_noted.fetch_add(1, std::memory_order_acq_rel);
  if (i < kMaxWindowEvents) {
    WindowEvent& w = g_window_events[i];
    w.seq = g_seq.fetch_add(1, std::memory_order_relaxed) + 1;
    w.time = TimeNow();
    w.started = start ? 1 : 0;
    w.ready.store(1, std::memory_order_release);
  }
  g_tracing.store(start, std::memory_order_release);
  errno = saved;
}

// glibc's own entry point: sanitizer runtimes intercept sigaction (and UBSan's,
// loaded as the tracer's dependency, cannot find the real one).
extern "C" int __sigaction(int sig, const struct sigaction* action, struct sigaction* old);

void SetWindowHandler(int sig, void (*handler)(int)) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = handler;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  __sigaction(sig, &sa, nullptr);
}

// The recording threads' states, so that the exit can tell whether one is
// still inside its RecordingScope, before its event's commit (inside a long
// realloc, say).
// Registered at a thread's first event, cleared when it exits: the hot path
// never touches this. Past kMaxTracked threads alive at once the exit can
// only watch the sequence counter for the others.
constexpr size_t kMaxTracked = 4096;
std::atomic<ThreadState*> g_tracked[kMaxTracked];

void Track(ThreadState* t) {
  for (auto& slot : g_tracked) {
    ThreadState* expected = nullptr;
    if (slot.load(std::memory_order_relaxed) == nullptr && slot.compare_exchange_strong(expected, t)) return;
  }
}

void Untrack(ThreadState* t) {
  for (auto& slot : g_tracked) {
    ThreadState* expected = t;
    if (slot.compare_exchange_strong(expected, nullptr)) return;
  }
}

// Whether another tracked thread is inside a RecordingScope, before commit.
bool AnotherThreadInside() {
  for (auto& slot : g_tracked) {
    const ThreadState* t = slot.load(std::memory_order_acquire);
    if (t != nullptr && t != &t_state && __atomic_load_n(&t->inside, __ATOMIC_ACQUIRE)) return true;
  }
  return false;
}

// Gives the thread's slot back, to the helper thread (which starts then
// the first time).
void ReleaseThreadSlot(ThreadState& t) {
  if (t.slot.data == nullptr) return;
  g_file.ReleaseSlot(&t.slot);
  g_helper.Notify();
}

bool NewSlot(ThreadState& t) {
  // A vfork child on its parent's thread state: it must not give the
  // parent's slot away (nor take one); its event is dropped.
  if (!g_file.OpenedByThisProcess()) return false;
  WritePendingWindowEvents();
  const uint64_t after = t.slot.offset;  // the thread's slots lie in file order
  ReleaseThreadSlot(t);
  const size_t bytes = t.next_slot_bytes == 0 ? kMinSlotBytes : t.next_slot_bytes;
  t.slot = g_file.ReserveSlot(bytes, static_cast<uint32_t>(t.tid), after);
  if (t.slot.data == nullptr) return false;
  t.next_slot_bytes = static_cast<uint32_t>(bytes * 2 <= kMaxSlotBytes ? bytes * 2 : kMaxSlotBytes);
  t.encoder.Reset(t.slot.data, t.slot.bytes, ChunkEncoder::Mode::kInPlace);
  return true;
}

void OnThreadExit(void*) {
  ThreadState& t = t_state;
  Untrack(&t);  // whatever else happens: its memory goes with the thread
  if (!t.started || t.exited || t.generation != g_generation || !g_tracing.load()) return;
  t.inside = true;
  Event e;
  e.kind = Kind::kThreadExit;
  Stamp(&e);
  e.thread_id = t.tid;
  AppendSlow(t, e);
  t.exited = true;
  ReleaseThreadSlot(t);
  t.inside = false;
}

}  // namespace

void RecordGeneral(Kind kind, Stamped s, uint64_t size, uint64_t in, uint64_t out) {
  Event e;
  e.kind = kind;
  e.seq = s.seq;
  e.time = s.time;
  e.size = size;
  e.in = in;
  e.out = out;
  Record(e);
}

namespace {

// Opens the trace file, and its compressor unless MALLOC_TRACE_RAW is set,
// and records the memory maps as of maps_seq; false: tracing stays off.
bool OpenTrace(const TraceFileInfo& info, uint64_t maps_seq) {
  if (!g_file.Open(info)) return false;
  const bool compressed = !g_settings.raw && g_compressor.Open(&g_file);
  g_helper.Open(
      {&g_file, compressed ? &g_compressor : nullptr, &g_seq, HelperThreadInit, WritePendingWindowEvents});
  WriteMemoryMaps(g_file, maps_seq);
  return true;
}

}  // namespace

namespace recorder_internal {

uint64_t CaptureStack() { return CaptureStackId(g_file); }

// The chunk is full (or there is none yet): continue in a new slot.
void AppendSlow(ThreadState& t, const Event& e) {
  if (t.slot.data != nullptr && t.encoder.Append(e)) return;
  if (!NewSlot(t)) return;  // tracing stopped: the file could not grow
  t.encoder.Append(e);
}

// First event of a thread (in this trace file): its id, its THREAD_START.
void StartThread(ThreadState& t) {
  if (t.generation != g_generation) {
    // The state of the thread that forked, pointing into the parent's file.
    TraceFile::DropSlot(&t.slot);
    t.next_slot_bytes = 0;
    t.started = false;
    t.generation = g_generation;
  }
  t.tid = static_cast<uint64_t>(syscall(SYS_gettid));
  t.started = true;
  t.exited = false;
  pthread_setspecific(g_exit_key, &t);
  Track(&t);
  WritePendingWindowEvents();
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
  g_ticks_per_second = StartClock();
  g_settings = ReadSettings();
  const int depth = InitStacks(g_settings.stack_depth);
  g_exec_depth = g_settings.exec_depth;
  TraceFileInfo info;
  info.exec_depth = g_exec_depth;
  info.clock_ticks_per_second = g_ticks_per_second;
  info.stack_depth = static_cast<uint32_t>(depth);
  if (OpenTrace(info, 0)) {
    g_stack_depth = depth;
    g_trace_open.store(true);
    g_tracing.store(g_settings.record_from_start);
    if (g_settings.window_signal != 0) SetWindowHandler(g_settings.window_signal, OnWindowSignal);
  }
  t_state.inside = false;
}

void WritePendingWindowEvents() {
  if (g_window_written.load(std::memory_order_relaxed) == g_window_noted.load(std::memory_order_acquire)) return;
  if (!g_file.OpenedByThisProcess() || !g_window_lock.TryLock()) return;
  const uint32_t noted = g_window_noted.load(std::memory_order_acquire);
  for (uint32_t i = g_window_written.load(); i < noted && i < kMaxWindowEvents; ++i) {
    WindowEvent& w = g_window_events[i];
    if (w.ready.load(std::memory_order_acquire) == 0) break;
    Event e;
    e.kind = Kind::kWindow;
    e.thread_id = kWindowThreadId;
    e.seq = w.seq;
    e.time = w.time;
    e.result = w.started;
    uint8_t buf[ChunkEncoder::kMinCapacity];
    ChunkEncoder enc(buf, sizeof buf);
    if (enc.Append(e)) g_file.AppendSideRecord(enc.data(), enc.size());
    g_window_written.store(i + 1, std::memory_order_release);
  }
  g_window_lock.Unlock();
}

namespace {

// At a normal exit, after every library's destructors: stop recording, let
// events in flight commit, then put the compressed trace in place. A trace
// that another thread still writes to is left raw.
void FinishTracing(void*) {
  if (!g_trace_open.load()) return;
  t_state.inside = true;
  if (g_settings.window_signal != 0) SetWindowHandler(g_settings.window_signal, SIG_IGN);  // no switching from here on
  g_tracing.store(false);
  g_trace_open.store(false);
  // Calls already inside their scope finish; no new one starts. A
  // thread still inside after 200 ms (a long call, or one stopped) may write
  // into what would be compressed: the trace stays raw.
  struct timespec pause = {0, 1000000};
  int waited = 0;
  do {
    nanosleep(&pause, nullptr);
  } while (++waited < 200 && (AnotherThreadInside() || waited < 2));
  if (AnotherThreadInside()) return;
  // Taken once the tracked threads are out: a change from here on is an
  // untracked thread (past kMaxTracked) still recording.
  const uint64_t seq = g_seq.load();
  WritePendingWindowEvents();
  WriteMemoryMaps(g_file, seq);  // libraries loaded since the start
  if (g_seq.load() != seq) return;
  // A helper thread that does not stop still works on both: raw.
  if (g_helper.Started() && !g_helper.Stop()) return;
  g_file.DiscardPrepared();
  g_compressor.Finish();
}

}  // namespace

extern "C" int __cxa_atexit(void (*fn)(void*), void* arg, void* dso);

// Libraries loaded after this one (a C++ program's libstdc++, the program's
// own shared libraries) run their destructors after ours, and free memory
// in them: an exit handler registered from here runs once all of them are
// done (glibc runs handlers registered while exit handlers run).
__attribute__((destructor)) void AtUnload() {
  if (!g_trace_open.load()) return;
  if (__cxa_atexit(FinishTracing, nullptr, nullptr) != 0) FinishTracing(nullptr);
}

bool InTracedProcess() { return g_file.OpenedByThisProcess(); }

void RecordExec(RecordingScope& scope, const char* path, char* const argv[]) {
  Event e;
  e.kind = Kind::kExec;
  Stamp(&e);
  // The details go to the side records: path and up to 64 arguments.
  const char* args[64];
  size_t argc = 0;
  for (; argv != nullptr && argv[argc] != nullptr && argc < 64; ++argc) args[argc] = argv[argc];
  uint8_t buf[8 << 10];  // on the caller's stack: two threads may exec at once
  const size_t n = trace::EncodeExec(t_state.tid, e.seq, path, args, argc, buf, sizeof(buf));
  if (n != 0) g_file.AppendSideRecord(buf, n);
  scope.Record(e);
}

bool ExecEnvironment(char* const envp[], char** env, size_t env_slots, char* depth_var, size_t depth_bytes) {
  constexpr char kVar[] = "MALLOC_TRACE_EXEC_DEPTH=";
  constexpr size_t kVarLen = sizeof(kVar) - 1;
  if (depth_bytes < kVarLen + 21) return false;
  size_t k = 0;
  for (size_t i = 0; envp != nullptr && envp[i] != nullptr; ++i) {
    if (strncmp(envp[i], kVar, kVarLen) == 0) continue;
    if (k + 2 > env_slots) return false;
    env[k++] = envp[i];
  }
  memcpy(depth_var, kVar, kVarLen);
  *base::PutDecimal(depth_var + kVarLen, depth_var + depth_bytes - 1, g_exec_depth + 1) = '\0';
  env[k++] = depth_var;
  env[k] = nullptr;
  return true;
}

void ChildAfterFork(uint64_t fork_seq) {
  if (!g_trace_open.load()) return;
  // Never write into the parent's file from here on.
  const bool recording = g_tracing.exchange(false);
  g_trace_open.store(false);
  // WINDOW events the parent noted belong to its trace.
  g_window_noted.store(0);
  g_window_written.store(0);
  for (WindowEvent& w : g_window_events) w.ready.store(0, std::memory_order_relaxed);
  g_window_lock.Reset();
  const char* src = g_file.path();
  size_t i = 0;
  for (; src[i] != '\0' && i + 1 < sizeof(g_parent_path); ++i) g_parent_path[i] = src[i];
  g_parent_path[i] = '\0';
  g_helper.Abandon();
  g_file.Abandon();
  // Only the forking thread lives on here; it registers again at its next event.
  for (auto& slot : g_tracked) slot.store(nullptr, std::memory_order_relaxed);
  g_compressor.Abandon();
  ++g_generation;
  TraceFileInfo info;
  info.clock_ticks_per_second = g_ticks_per_second;
  info.exec_depth = g_exec_depth;
  info.forked = true;
  info.fork_seq = fork_seq;
  info.parent_trace = g_parent_path;
  info.stack_depth = static_cast<uint32_t>(g_stack_depth);
  if (OpenTrace(info, fork_seq)) {
    g_trace_open.store(true);
    g_tracing.store(recording);
  }
}

}  // namespace alloclab::tracer
