// Compressor: turns the raw trace into its compact, zstd-compressed form
// while the program runs, off the recording threads. The tracer's helper
// thread (helper_thread.h) compresses each slot its writer has released (a
// thread's slots in their order) into an unnamed file (O_TMPFILE) beside the
// trace; at a normal exit the rest is compressed and the unnamed file
// replaces the raw one. Until
// then the raw file is the trace: whatever ends the process (abort, a fatal
// signal, SIGKILL, exec), it holds every completed event, and the unnamed
// file vanishes with the process. Nothing here allocates: the zstd context
// and buffers are mapped once.
#ifndef ALLOCLAB_TRACER_COMPRESSOR_H_
#define ALLOCLAB_TRACER_COMPRESSOR_H_

#include <sys/types.h>

#include <cstdint>

#include "tracer/trace_file.h"

namespace alloclab::tracer {

class Compressor {
 public:
  // Starts the compressed copy of file (its magic and header); false if it
  // cannot (the trace then stays raw). Call once the file is open.
  bool Open(TraceFile* file);

  // The helper thread: compresses the next released slot that can go
  // now, calling between() after each piece of it (every 64 KiB); false if
  // there was none.
  bool CompressNext(void (*between)());

  // At a normal exit, with nothing recording and the helper thread
  // stopped: compresses the rest, and replaces the raw file with the
  // compressed one. Returns false (the raw file stays) on any failure.
  bool Finish();

  // In a forked child: forgets the parent's compressed copy.
  void Abandon();

 private:
  // Compresses released slots in table order, keeping each writer's slots
  // in order, up to max_slots of them; with final, every slot not yet
  // compressed. Passes between (if any) to CompressSlot. Returns how many
  // it compressed.
  uint32_t CompressReady(bool final, uint32_t max_slots, void (*between)() = nullptr);
  bool CompressSlot(const SlotEntry& e, void (*between)());
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
};

}  // namespace alloclab::tracer

#endif  // ALLOCLAB_TRACER_COMPRESSOR_H_
