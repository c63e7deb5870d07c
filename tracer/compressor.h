// Compressor: turns the raw trace into its compact, zstd-compressed form
// while the program runs, off the recording threads. A background thread
// compresses each slot its writer has released (a thread's slots in their
// order) into an unnamed file (O_TMPFILE) beside the trace; at a normal exit
// the rest is compressed and the unnamed file replaces the raw one. Until
// then the raw file is the trace: whatever ends the process (abort, a fatal
// signal, SIGKILL, exec), it holds every completed event, and the unnamed
// file vanishes with the process. Nothing here allocates: the zstd context
// and buffers are mapped once.
#ifndef ALLOCLAB_TRACER_COMPRESSOR_H_
#define ALLOCLAB_TRACER_COMPRESSOR_H_

#include <sys/types.h>

#include <atomic>
#include <cstdint>

#include "tracer/trace_file.h"

namespace alloclab::tracer {

class Compressor {
 public:
  // Starts the compressed copy of file (its magic and header); false if it
  // cannot (the trace then stays raw). Call once the file is open.
  bool Open(TraceFile* file);

  // A slot was released: there is work (called by the recording threads).
  void SlotReleased();

  // The thread's body, until Finish: compresses released slots as they come.
  // start_thread() (recorder.cc) runs it on a thread of its own.
  void Run();
  // Whether a background thread should be started now (once, at the first
  // release); the caller then starts one that calls Run.
  bool WantsThread();
  // The thread WantsThread asked for could not be started: Finish does it all.
  void NoThread();

  // At a normal exit, with nothing recording: stops the thread, compresses
  // the rest, and replaces the raw file with the compressed one. Returns
  // false (the raw file stays) on any failure.
  bool Finish();

  // In a forked child: forgets the parent's compressed copy (the thread did
  // not survive the fork).
  void Abandon();

 private:
  // Compresses released slots in table order, keeping each writer's slots
  // in order; with final, every slot not yet compressed.
  void CompressReady(bool final);
  bool CompressSlot(const SlotEntry& e);
  bool StillOurs() const;
  bool Fail();  // closes the unnamed file (it vanishes); returns false

  TraceFile* file_ = nullptr;
  int out_ = -1;
  dev_t out_dev_ = 0;
  ino_t out_ino_ = 0;
  bool failed_ = false;
  void* cctx_ = nullptr;  // ZSTD_CCtx in a static workspace
  uint8_t* in_ = nullptr;
  uint8_t* zbuf_ = nullptr;
  size_t zcap_ = 0;
  uint8_t* done_ = nullptr;  // per slot table entry: compressed already
  uint32_t first_pending_ = 0;
  std::atomic<uint32_t> releases_{0};  // futex word
  std::atomic<bool> stop_{false};
  std::atomic<int> thread_state_{0};      // 0 none yet, 1 started, 2 none possible
  std::atomic<uint32_t> thread_done_{0};  // futex word: Run returned
};

}  // namespace alloclab::tracer

#endif  // ALLOCLAB_TRACER_COMPRESSOR_H_
