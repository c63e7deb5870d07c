// Recorder: per-thread in-place chunks in file slots, thread start/exit.
#include "tracer/recorder.h"

#include <pthread.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>

#include "trace/chunk_encoder.h"
#include "tracer/trace_file.h"

namespace alloclab::tracer {
namespace {

using trace::ChunkEncoder;
using trace::Event;
using trace::Kind;

struct ThreadState {
  ChunkEncoder encoder;
  uint8_t* slot;
  uint64_t tid;
  uint32_t generation;  // which trace file the state belongs to
  bool inside;          // recursion guard: the tracer's own work is not traced
  bool started;
  bool exited;
};

__thread ThreadState t_state __attribute__((tls_model("initial-exec"))) = {};

TraceFile g_file;
std::atomic<bool> g_tracing{false};
std::atomic<uint64_t> g_seq{0};
// Bumped in a forked child, so that the forking thread's state (which points
// into the parent's file) is recognised as stale and dropped.
uint32_t g_generation = 1;
pthread_key_t g_exit_key;
char g_parent_path[kMaxPath];

uint64_t MonotonicNs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

uint64_t g_start_ns = 0;  // event times count from here (the header's start)

bool NewSlot(ThreadState& t) {
  TraceFile::ReleaseSlot(t.slot);
  t.slot = g_file.ReserveSlot();
  if (t.slot == nullptr) return false;
  t.encoder.Reset(t.slot, kSlotBytes, ChunkEncoder::Mode::kInPlace);
  return true;
}

void Append(ThreadState& t, const Event& e) {
  if (t.slot == nullptr || !t.encoder.Append(e)) {
    if (!NewSlot(t) || !t.encoder.Append(e)) return;  // tracing stopped
  }
}

void OnThreadExit(void*) {
  ThreadState& t = t_state;
  if (!t.started || t.exited || t.generation != g_generation || !g_tracing.load()) return;
  t.inside = true;
  Event e;
  e.kind = Kind::kThreadExit;
  Stamp(&e);
  e.thread_id = t.tid;
  Append(t, e);
  t.exited = true;
  TraceFile::ReleaseSlot(t.slot);
  t.slot = nullptr;
  t.inside = false;
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
  Append(t, e);
}

}  // namespace

bool Enter() {
  ThreadState& t = t_state;
  if (t.inside || !g_tracing.load(std::memory_order_relaxed) || t.exited) return false;
  t.inside = true;
  if (!t.started || t.generation != g_generation) StartThread(t);
  return true;
}

void Leave() { t_state.inside = false; }

void Stamp(Event* e) {
  e->seq = g_seq.fetch_add(1, std::memory_order_relaxed) + 1;
  e->time = MonotonicNs() - g_start_ns;
}

void Record(Event& e) {
  ThreadState& t = t_state;
  e.thread_id = t.tid;
  Append(t, e);
  t.inside = false;
}

void StartTracing() {
  static std::atomic<bool> started{false};
  if (started.exchange(true)) return;
  t_state.inside = true;
  pthread_key_create(&g_exit_key, OnThreadExit);
  g_start_ns = MonotonicNs();
  TraceFileInfo info;
  if (g_file.Open(info)) g_tracing.store(true);
  t_state.inside = false;
}

uint64_t CurrentSeq() { return g_seq.load(); }

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
  info.forked = true;
  info.fork_seq = fork_seq;
  info.parent_trace = g_parent_path;
  if (g_file.Open(info)) g_tracing.store(true);
}

}  // namespace alloclab::tracer
