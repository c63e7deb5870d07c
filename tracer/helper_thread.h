// HelperThread: the tracer's one thread of its own. It keeps the event clock's
// tick (clock.h) while events flow, keeps slots prepared for the recording
// threads (trace_file.h), and runs the compressor (compressor.h), so that
// none of this work lands on the program's threads. Started at the first slot
// a thread gives back (a program that allocates little never gets it), with
// every signal blocked; stopped at a normal exit; gone in a forked child
// until the child gives back a slot of its own. Nothing here allocates (but
// pthread_create does, untraced: the new thread's TLS).
#ifndef ALLOCLAB_TRACER_HELPER_THREAD_H_
#define ALLOCLAB_TRACER_HELPER_THREAD_H_

#include <sys/types.h>

#include <atomic>
#include <cstdint>

#include "tracer/compressor.h"
#include "tracer/tick_policy.h"
#include "tracer/trace_file.h"

namespace alloclab::tracer {

class HelperThread {
 public:
  struct Work {
    TraceFile* file;
    Compressor* compressor;                // nullptr: the trace stays raw
    const std::atomic<uint64_t>* events;   // moves while the program records
    void (*thread_init)();                 // first thing the thread runs
    void (*each_turn)();                   // run at every turn (nullptr: none)
  };

  // Before the first Notify, for a newly opened trace.
  void Open(const Work& work);

  // A recording thread gave back a slot (and may have taken a prepared one):
  // there is work. Starts the thread the first time.
  void Notify();

  // At a normal exit, with nothing recording: stops the thread and waits
  // for it (5 s at most). Returns whether a thread ran and has stopped; if
  // one runs still, nothing else may touch what it works on.
  bool Stop();
  bool Started() const { return state_.load() == 1; }

  // In a forked child: the thread did not survive the fork.
  void Abandon();

 private:
  void Run();
  // Moves the clock's tick on if a tick is due (or stops it after a quiet
  // spell); in Run, and between the pieces of a slot being compressed.
  void MaybeTick();
  static void TickBetweenPieces();
  static void* ThreadMain(void* self);

  Work work_ = {};
  std::atomic<uint32_t> wake_{0};  // futex word: bumped by Notify and Stop
  std::atomic<bool> stop_{false};
  std::atomic<int> state_{0};      // 0 not started, 1 running, 2 could not start
  std::atomic<uint32_t> done_{0};  // futex word: Run returned
  pid_t pid_ = 0;                  // the process the thread runs in
  TickPolicy tick_;  // the thread's own
};

}  // namespace alloclab::tracer

#endif  // ALLOCLAB_TRACER_HELPER_THREAD_H_
