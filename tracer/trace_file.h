// TraceFile: the file a traced process writes, and the block-aligned slots
// that threads reserve in it. Each slot is a shared file mapping into which a
// thread's in-place chunk is encoded, so every completed event is in the page
// cache, and survives exit, abort, fatal signals and SIGKILL. Nothing here
// allocates: paths live in fixed buffers (made absolute, so a chdir does not
// move them), and space is reserved with fallocate so that a full disk stops
// tracing instead of raising SIGBUS. Every slot is listed in a table, which
// the compressor (compressor.h) reads. The helper thread keeps a few
// full-size slots prepared (reserved, mapped, every page faulted in), so that
// a busy thread moves to its next slot without a system call or page fault.
// A thread's slots lie in increasing file order, as the format requires of
// its chunks: it only takes a prepared slot that lies after its last one.
#ifndef ALLOCLAB_TRACER_TRACE_FILE_H_
#define ALLOCLAB_TRACER_TRACE_FILE_H_

#include <sys/types.h>
#include <unistd.h>

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "base/spin_lock.h"

namespace alloclab::tracer {

// A thread's first slot is small (many threads make few calls); each next
// one is twice the size, up to kMaxSlotBytes (fewer mappings and faults for
// the busy ones). Side slots are kMinSlotBytes.
inline constexpr size_t kMinSlotBytes = 64 << 10;
inline constexpr size_t kMaxSlotBytes = 1 << 20;
inline constexpr size_t kSideSlotBytes = kMinSlotBytes;
inline constexpr uint32_t kMaxSlots = 1 << 20;
inline constexpr uint32_t kPreparedSlots = 2;
inline constexpr size_t kMaxPath = 4096;

// A slot as its writer holds it.
struct Slot {
  uint8_t* data = nullptr;
  uint32_t bytes = 0;
  uint32_t index = 0;   // in the slot table
  uint64_t offset = 0;  // in the file
};

// The slot table, in reservation order: what the compressor reads.
struct SlotEntry {
  enum State : uint32_t { kReserving = 0, kInUse = 1, kReleased = 2 };
  uint64_t offset;
  uint32_t bytes;
  uint32_t owner;  // the writer's tid; 0 for side slots
  std::atomic<uint32_t> state;
};

struct TraceFileInfo {
  uint64_t clock_ticks_per_second = 0;  // of event times (TSC ticks)
  uint32_t stack_depth = 0;             // MALLOC_TRACE_STACKS
  uint32_t exec_depth = 0;              // MALLOC_TRACE_EXEC_DEPTH
  bool forked = false;
  uint64_t fork_seq = 0;
  const char* parent_trace = nullptr;
  // Where the file goes, as MALLOC_TRACE_FILE would say it; nullptr: from
  // MALLOC_TRACE_FILE, else "malloctrace.%p.pb". (Tests name their own.)
  const char* path_pattern = nullptr;
};

class TraceFile {
 public:
  // Creates the file named by info.path_pattern or MALLOC_TRACE_FILE
  // (default "malloctrace.%p.pb", %p = pid) and writes the header. An existing file
  // is never overwritten: ".1", ".2", ... are tried. Returns false (after one
  // line on stderr) if no file can be created.
  bool Open(const TraceFileInfo& info);

  // A fresh zero-filled slot of `bytes` mapped shared, for writer owner
  // (a tid), or one with data == nullptr (then tracing stops: disk full, or
  // the file is gone; or, without stopping it, the caller is not the
  // process that opened the file: see OpenedByThisProcess). It lies after file offset `after` (the writer's
  // previous slot): a prepared one if bytes is kMaxSlotBytes and one is
  // ready there.
  Slot ReserveSlot(size_t bytes, uint32_t owner, uint64_t after = 0);

  // The helper thread: tops the prepared slots up to kPreparedSlots,
  // after dropping those that lie before a full-size slot a writer had to
  // reserve itself (that writer can never take them).
  void PrepareSlots();
  // At exit, with the helper thread stopped: gives back the prepared
  // slots nobody took (their blocks; the file keeps its length).
  void DiscardPrepared();
  // The writer is done with the slot: unmapped, and released in the table.
  void ReleaseSlot(Slot* slot);
  // Unmaps a slot of another trace file (the parent's, in a forked child).
  static void DropSlot(Slot* slot);

  // Appends one framed record (as the //trace record encoders write them,
  // with a 4-byte padded length first) to the file's side slot, shared by
  // all threads: stacks and memory maps. Kill-safe: the body is written
  // before the length, so a record cut short reads as padding.
  void AppendSideRecord(const uint8_t* framed, size_t n);

  // In a forked child: forgets the parent's file (and its prepared slots,
  // still mapped) without touching it. The slot table's entries are reset:
  // the child's compressor must never read a parent's entry as its own.
  void Abandon();

  // Whether the calling process opened the file. A child made with
  // CLONE_VM|CLONE_VFORK (vfork, posix_spawn, system) runs in the parent's
  // memory on the parent's tracer state until it execs, with a descriptor
  // table of its own: nothing it does may change the parent's tracing.
  bool OpenedByThisProcess() const { return getpid() == owner_pid_; }

  int fd() const { return fd_; }
  uint64_t header_end() const { return header_end_; }
  uint32_t slot_count() const { return slot_count_.load(std::memory_order_acquire); }
  SlotEntry& slot(uint32_t i) const { return slots_[i]; }
  // Whether fd() is still the trace file (a program may close descriptors it
  // does not know about, and the number may then name one of its own files).
  bool StillOurs() const;

  const char* path() const { return path_; }
  bool ok() const { return fd_ >= 0 && !failed_.load(std::memory_order_relaxed); }

 private:
  struct Prepared {
    uint8_t* data;
    uint64_t offset;
  };

  bool WriteHeader(const TraceFileInfo& info, uint64_t* header_end);
  void Fail(const char* what);
  // Reserves and maps bytes at the end of the file; nullptr on failure.
  uint8_t* MapNewRegion(size_t bytes, uint64_t* offset);
  bool TakePrepared(uint64_t after, Prepared* out);
  // Unmaps a prepared slot nobody will take and gives its blocks back.
  void DropPrepared(const Prepared& p);

  base::SpinLock side_lock_;
  Slot side_slot_;
  size_t side_used_ = 0;
  int fd_ = -1;
  pid_t owner_pid_ = 0;
  dev_t dev_ = 0;
  ino_t ino_ = 0;
  char path_[kMaxPath] = {};
  uint64_t header_end_ = 0;  // where the slots start
  std::atomic<uint64_t> next_offset_{0};
  SlotEntry* slots_ = nullptr;  // kMaxSlots entries, mapped at the first Open
  std::atomic<uint32_t> slot_count_{0};
  std::atomic<bool> failed_{false};
  // Writers only try the lock: when the helper thread holds it, they
  // prepare their own slot.
  base::SpinLock prepared_lock_;
  Prepared prepared_[kPreparedSlots] = {};  // in file order
  uint32_t prepared_count_ = 0;
  std::atomic<uint64_t> last_direct_{0};  // offset of the last full-size slot reserved by a writer
};

}  // namespace alloclab::tracer

#endif  // ALLOCLAB_TRACER_TRACE_FILE_H_
