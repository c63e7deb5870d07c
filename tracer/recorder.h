// The recorder: global trace state (the file, the global sequence counter)
// and each thread's in-place chunk in its current slot. Record() is the hot
// path: a sequence number, the event clock (clock.h) and the allocation-free
// encoder, no lock and no malloc.
#ifndef ALLOCLAB_TRACER_RECORDER_H_
#define ALLOCLAB_TRACER_RECORDER_H_

#include <atomic>
#include <cstdint>

#include "trace/chunk_encoder.h"
#include "trace/event.h"
#include "tracer/clock.h"
#include "tracer/trace_file.h"

namespace alloclab::tracer {

struct ThreadState {
  trace::ChunkEncoder encoder;
  Slot slot;
  uint32_t next_slot_bytes;  // 0: kMinSlotBytes
  uint64_t tid;
  ThreadClock clock;
  uint32_t generation;  // which trace file the state belongs to
  bool inside;          // recursion guard: the tracer's own work is not traced
  bool started;
  bool exited;
};

namespace recorder_internal {
extern __thread ThreadState t_state __attribute__((tls_model("initial-exec")));
extern std::atomic<bool> g_tracing;
extern std::atomic<uint64_t> g_seq;
extern uint32_t g_generation;
extern int g_stack_depth;
uint64_t CaptureStack();
void StartThread(ThreadState& t);
void AppendSlow(ThreadState& t, const trace::Event& e);
}  // namespace recorder_internal

namespace recorder_internal {
// Whether this thread may record now (tracing on, not inside the tracer);
// on true it is inside until Leave (or a Record* function, which leaves).
inline bool Enter() {
  ThreadState& t = t_state;
  if (t.inside || !g_tracing.load(std::memory_order_relaxed) || t.exited) return false;
  t.inside = true;
  if (__builtin_expect(!t.started || t.generation != g_generation, 0)) StartThread(t);
  return true;
}

inline void Leave() { t_state.inside = false; }
}  // namespace recorder_internal

struct Stamped {
  uint64_t seq;
  uint64_t time;
};

// Takes the next global sequence number and the time. Allocation calls take
// it after the real call (their result is then visible to other threads);
// frees take it before (so another thread's reuse of the address orders after).
inline Stamped Now() {
  using namespace recorder_internal;
  const uint64_t seq = g_seq.fetch_add(1, std::memory_order_relaxed) + 1;
  return {seq, EventTime(t_state.clock)};
}

inline void Stamp(trace::Event* e) {
  const Stamped s = Now();
  e->seq = s.seq;
  e->time = s.time;
}

// Encodes e (stamped) into this thread's chunk, then leaves.
inline void Record(trace::Event& e) {
  using namespace recorder_internal;
  ThreadState& t = t_state;
  e.thread_id = t.tid;
  if (__builtin_expect(g_stack_depth != 0, 0)) e.stack_id = CaptureStack();
  if (__builtin_expect(t.slot.data == nullptr || !t.encoder.Append(e), 0)) AppendSlow(t, e);
  t.inside = false;
}

// Records an event the shortcuts below could not take (NULL, stacks, a full
// chunk), then leaves. Out of line and cold: inlined, the compiler built its
// Event on the shortcuts' path too (with a store-forwarding stall).
[[gnu::noinline, gnu::cold]] void RecordGeneral(trace::Kind kind, Stamped s, uint64_t size, uint64_t in,
                                                 uint64_t out);

// The two events of nearly every call, without an Event on the way (inside
// a RecordingScope; they leave): a malloc that returned out, stamped now, and a free of
// in stamped at s.
[[gnu::always_inline]] inline void RecordMalloc(uint64_t size, uint64_t out) {
  using namespace recorder_internal;
  ThreadState& t = t_state;
  const Stamped s = Now();
  if (__builtin_expect(out != 0 && g_stack_depth == 0 && t.slot.data != nullptr, 1) &&
      t.encoder.AppendMalloc(t.tid, s.seq, s.time, size, out)) {
    t.inside = false;
    return;
  }
  RecordGeneral(trace::Kind::kMalloc, s, size, 0, out);
}

[[gnu::always_inline]] inline void RecordFree(Stamped s, uint64_t in) {
  using namespace recorder_internal;
  ThreadState& t = t_state;
  if (__builtin_expect(in != 0 && g_stack_depth == 0 && t.slot.data != nullptr, 1) &&
      t.encoder.AppendFree(t.tid, s.seq, s.time, in)) {
    t.inside = false;
    return;
  }
  RecordGeneral(trace::Kind::kFree, s, 0, in, 0);
}

// One traced call's turn in the recorder, for the call's duration: entered()
// when this thread may record it (tracing on, not inside the tracer already),
// and then the tracer's own allocations on this thread are not traced until
// the call's event is recorded (Record, RecordMalloc, RecordFree: each leaves)
// or the scope ends without one (it leaves then). A call records at most one
// event, through its scope.
class RecordingScope {
 public:
  RecordingScope() : entered_(recorder_internal::Enter()) {}
  ~RecordingScope() {
    if (entered_) recorder_internal::Leave();
  }
  RecordingScope(const RecordingScope&) = delete;
  RecordingScope& operator=(const RecordingScope&) = delete;

  bool entered() const { return entered_; }
  // Leaves without recording anything (fork's child, before its own scope).
  void Leave() {
    if (entered_) recorder_internal::Leave();
    entered_ = false;
  }
  // e, stamped.
  void Record(trace::Event& e) {
    entered_ = false;
    tracer::Record(e);
  }
  // A malloc that returned out, stamped now.
  [[gnu::always_inline]] void RecordMalloc(uint64_t size, uint64_t out) {
    entered_ = false;
    tracer::RecordMalloc(size, out);
  }
  // A free of in, stamped at s (before the real free).
  [[gnu::always_inline]] void RecordFree(Stamped s, uint64_t in) {
    entered_ = false;
    tracer::RecordFree(s, in);
  }

 private:
  bool entered_;
};

// Starts tracing the process (called once, from the first traced call).
void StartTracing();

// Capture on demand (MALLOC_TRACE_START=signal:SIG): each SIG switches
// recording on or off (g_tracing; the trace file stays open). The handler
// only flips the switch and notes a WINDOW event, with its seq and time taken
// then; the event is written later, outside the handler (which may have
// interrupted a thread inside the tracer), under a thread id of its own
// (kWindowThreadId), at the next slot change, thread start, helper-thread turn
// or exit. A block allocated while recording was off is known only by its
// free: the replay counts it as an unknown free and skips it.
inline constexpr uint64_t kWindowThreadId = uint64_t{1} << 32;  // above any tid
void WritePendingWindowEvents();

// fork() support: the child switches to a trace file of its own.
void ChildAfterFork(uint64_t fork_seq);

// Whether the calling process is the one being traced, not a child that
// runs in its memory before it execs (vfork, posix_spawn, system: see
// TraceFile::OpenedByThisProcess). One system call: for rare paths only.
bool InTracedProcess();

// exec support: records the EXEC event and an Exec record with the path and
// arguments through scope (entered), in the traced process only.
void RecordExec(RecordingScope& scope, const char* path, char* const argv[]);

// The environment to pass to an exec'd image: envp with
// MALLOC_TRACE_EXEC_DEPTH one deeper (written into depth_var), in env
// (env_slots pointers, caller-owned). False if it does not fit (then pass
// envp on unchanged). Touches no shared state: safe in a vfork child.
bool ExecEnvironment(char* const envp[], char** env, size_t env_slots, char* depth_var, size_t depth_bytes);

}  // namespace alloclab::tracer

#endif  // ALLOCLAB_TRACER_RECORDER_H_
