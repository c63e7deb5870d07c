// TraceFile: the file a traced process writes, and the block-aligned slots
// that threads reserve in it. Each slot is a shared file mapping into which a
// thread's in-place chunk is encoded, so every completed event is in the page
// cache, and survives exit, abort, fatal signals and SIGKILL. Nothing here
// allocates: paths live in fixed buffers, and space is reserved with
// fallocate so that a full disk stops tracing instead of raising SIGBUS.
#ifndef ALLOCLAB_TRACER_TRACE_FILE_H_
#define ALLOCLAB_TRACER_TRACE_FILE_H_

#include <sys/types.h>

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace alloclab::tracer {

inline constexpr size_t kSlotBytes = 64 << 10;
inline constexpr size_t kMaxPath = 4096;

// Writes the decimal form of v at p, not past end; returns the end of it.
// Allocation-free (no stdio in the tracer).
char* PutDecimal(char* p, char* end, uint64_t v);

struct TraceFileInfo {
  uint64_t clock_ticks_per_second = 0;  // of event times (TSC ticks)
  uint32_t stack_depth = 0;             // MALLOC_TRACE_STACKS
  uint32_t exec_depth = 0;              // MALLOC_TRACE_EXEC_DEPTH
  bool forked = false;
  uint64_t fork_seq = 0;
  const char* parent_trace = nullptr;
};

class TraceFile {
 public:
  // Creates the file named by MALLOC_TRACE_FILE (default
  // "malloctrace.%p.pb", %p = pid) and writes the header. An existing file
  // is never overwritten: ".1", ".2", ... are tried. Returns false (after one
  // line on stderr) if no file can be created.
  bool Open(const TraceFileInfo& info);

  // A fresh zero-filled slot of kSlotBytes mapped shared, or nullptr (then
  // tracing stops: disk full, or the file is gone).
  uint8_t* ReserveSlot();
  static void ReleaseSlot(uint8_t* slot);

  // Appends one framed record (as the //trace record encoders write them,
  // with a 4-byte padded length first) to the file's side slot, shared by
  // all threads: stacks and memory maps. Kill-safe: the body is written
  // before the length, so a record cut short reads as padding.
  void AppendSideRecord(const uint8_t* framed, size_t n);

  // In a forked child: forgets the parent's file without touching it.
  void Abandon();

  // At a normal exit, with no thread recording any more: rewrites the file
  // compressed (finish.h).
  void Finish();

  const char* path() const { return path_; }
  bool ok() const { return fd_ >= 0 && !failed_.load(std::memory_order_relaxed); }

 private:
  bool WriteHeader(const TraceFileInfo& info, uint64_t* header_end);
  void Fail(const char* what);

  std::atomic<bool> side_lock_{false};
  uint8_t* side_slot_ = nullptr;
  size_t side_used_ = 0;
  int fd_ = -1;
  dev_t dev_ = 0;
  ino_t ino_ = 0;
  char path_[kMaxPath] = {};
  uint64_t header_end_ = 0;  // where the slots start
  std::atomic<uint64_t> next_offset_{0};
  std::atomic<bool> failed_{false};
};

}  // namespace alloclab::tracer

#endif  // ALLOCLAB_TRACER_TRACE_FILE_H_
