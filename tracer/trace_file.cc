// TraceFile: naming, header, slot reservation.
#include "tracer/trace_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "base/decimal.h"
#include "base/fd_io.h"
#include "base/stderr_line.h"
#include "trace/record_encoder.h"

namespace alloclab::tracer {
namespace {

constexpr size_t kMaxHeaderBytes = 60 << 10;
constexpr int kMaxArgs = 256;

void Write2(const char* a, const char* b) { base::WriteStderrLine({"malloctrace: ", a, b}); }

constexpr char kDefaultName[] = "malloctrace.%p.pb";

// Expands %p (pid) and %% of pattern into out, then an optional ".N" suffix.
bool ExpandPath(const char* pattern, pid_t pid, int suffix, char* out, size_t cap) {
  char* p = out;
  char* end = out + cap - 1;
  for (const char* s = pattern; *s != '\0' && p < end; ++s) {
    if (s[0] == '%' && s[1] == 'p') {
      p = base::PutDecimal(p, end, static_cast<uint64_t>(pid));
      ++s;
    } else if (s[0] == '%' && s[1] == '%') {
      *p++ = '%';
      ++s;
    } else {
      *p++ = *s;
    }
  }
  if (suffix > 0 && p < end) {
    *p++ = '.';
    p = base::PutDecimal(p, end, static_cast<uint64_t>(suffix));
  }
  if (p >= end) return false;
  *p = '\0';
  return true;
}

// MALLOC_TRACE_FILE naming a directory gets the default name inside it (and
// a line saying so), rather than ".1" beside it; one naming something that is
// not a regular file (a device, a pipe: a trace is a mapped file) is refused.
bool CheckPattern(char* pattern, size_t cap, const char* env) {
  char first[kMaxPath];
  struct stat st;
  const size_t len = strlen(pattern);
  const bool dir_syntax = len > 0 && pattern[len - 1] == '/';
  if (!ExpandPath(pattern, getpid(), 0, first, sizeof first)) return true;  // too long: Open says so
  if (!dir_syntax && stat(first, &st) != 0) return true;  // a new file: the usual case
  if (dir_syntax || S_ISDIR(st.st_mode)) {
    if (len + 1 + sizeof(kDefaultName) > cap) {
      Write2("trace file name too long, not tracing: ", pattern);
      return false;
    }
    if (!dir_syntax) pattern[len] = '/';
    memcpy(pattern + len + (dir_syntax ? 0 : 1), kDefaultName, sizeof(kDefaultName));
    base::WriteStderrLine({"malloctrace: MALLOC_TRACE_FILE=", env, " is a directory: writing ", pattern});
    return true;
  }
  if (!S_ISREG(st.st_mode)) {
    base::WriteStderrLine({"malloctrace: MALLOC_TRACE_FILE=", env,
                           " is not a regular file (a trace is a mapped file): not tracing"});
    return false;
  }
  return true;
}

}  // namespace

void TraceFile::Fail(const char* what) {
  if (!failed_.exchange(true)) Write2(what, path_);
}

bool TraceFile::WriteHeader(const TraceFileInfo& info, uint64_t* header_end) {
  static char exe[kMaxPath];
  const ssize_t exe_len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  exe[exe_len > 0 ? exe_len : 0] = '\0';
  static char cmdline[32 << 10];
  const size_t cmd_len = base::ReadSmallFile("/proc/self/cmdline", cmdline, sizeof(cmdline) - 1);
  cmdline[cmd_len] = '\0';
  const char* args[kMaxArgs];
  size_t argc = 0;
  for (size_t i = 0; i < cmd_len && argc < kMaxArgs; i += strlen(cmdline + i) + 1) args[argc++] = cmdline + i;

  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  trace::HeaderFields h;
  h.pid = static_cast<uint64_t>(getpid());
  h.parent_pid = static_cast<uint64_t>(getppid());
  h.executable = exe;
  h.args = args;
  h.arg_count = argc;
  h.start_time_unix_ns = static_cast<uint64_t>(now.tv_sec) * 1000000000ull + static_cast<uint64_t>(now.tv_nsec);
  h.page_size = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  h.clock_ticks_per_second = info.clock_ticks_per_second;
  h.clock_source = "rdtsc";
  h.forked = info.forked;
  h.fork_seq = info.fork_seq;
  h.parent_trace = info.parent_trace;
  h.stack_depth = info.stack_depth;
  h.exec_depth = info.exec_depth;
  h.tracer = "libmalloctrace 1";

  static uint8_t buf[kMaxHeaderBytes];
  size_t n = trace::EncodeMagic(buf, sizeof(buf));
  size_t header = trace::EncodeHeader(h, buf + n, sizeof(buf) - n);
  while (header == 0 && h.arg_count > 0) {  // too many arguments: keep what fits
    h.arg_count /= 2;
    header = trace::EncodeHeader(h, buf + n, sizeof(buf) - n);
  }
  if (header == 0) return false;
  n += header;
  if (!base::PwriteFully(fd_, buf, n, 0)) return false;
  *header_end = (n + trace::kPaddingBlock - 1) & ~(trace::kPaddingBlock - 1);
  return ftruncate(fd_, static_cast<off_t>(*header_end)) == 0;
}

bool TraceFile::Open(const TraceFileInfo& info) {
  const char* env = info.path_pattern != nullptr ? info.path_pattern : getenv("MALLOC_TRACE_FILE");
  if (env == nullptr || *env == '\0') env = kDefaultName;
  // Absolute, so that the program's chdir does not move where the file is
  // replaced by its compressed form at exit.
  static char pattern[kMaxPath];
  size_t at = 0;
  if (env[0] != '/' && getcwd(pattern, sizeof(pattern) - 1) != nullptr) {
    at = strlen(pattern);
    if (at > 0 && pattern[at - 1] != '/') pattern[at++] = '/';
  }
  if (at + strlen(env) >= sizeof(pattern)) {
    Write2("trace file name too long, not tracing: ", env);
    return false;
  }
  memcpy(pattern + at, env, strlen(env) + 1);
  if (!CheckPattern(pattern, sizeof(pattern), env)) return false;
  if (slots_ == nullptr) {
    void* table = mmap(nullptr, kMaxSlots * sizeof(SlotEntry), PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (table == MAP_FAILED) {
      Write2("cannot map the slot table, not tracing: ", env);
      return false;
    }
    slots_ = static_cast<SlotEntry*>(table);
  }
  slot_count_.store(0);
  const pid_t pid = getpid();
  fd_ = -1;
  failed_.store(false);
  for (int suffix = 0; suffix < 1000 && fd_ < 0; ++suffix) {
    if (!ExpandPath(pattern, pid, suffix, path_, sizeof(path_))) {
      Write2("trace file name too long, not tracing: ", pattern);
      return false;
    }
    fd_ = open(path_, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd_ < 0 && errno != EEXIST) {
      Write2("cannot create trace file, not tracing: ", path_);
      return false;
    }
  }
  if (fd_ < 0) {
    Write2("no free trace file name, not tracing: ", path_);
    return false;
  }
  uint64_t header_end = 0;
  if (!WriteHeader(info, &header_end)) {
    Write2("cannot write trace header, not tracing: ", path_);
    close(fd_);
    fd_ = -1;
    return false;
  }
  struct stat st;
  if (fstat(fd_, &st) != 0) return false;
  dev_ = st.st_dev;
  ino_ = st.st_ino;
  owner_pid_ = pid;
  header_end_ = header_end;
  next_offset_.store(header_end);
  last_direct_.store(0);
  return true;
}

bool TraceFile::StillOurs() const {
  struct stat st;
  return fstat(fd_, &st) == 0 && st.st_dev == dev_ && st.st_ino == ino_;
}

uint8_t* TraceFile::MapNewRegion(size_t bytes, uint64_t* offset) {
  *offset = next_offset_.fetch_add(bytes);
  // Real blocks, not a sparse hole: a full disk fails here, not as SIGBUS
  // on a later store into the mapping. posix_fallocate only ever extends.
  if (posix_fallocate(fd_, static_cast<off_t>(*offset), static_cast<off_t>(bytes)) != 0) return nullptr;
  // Populated: one call maps every page, instead of a fault for each.
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd_, static_cast<off_t>(*offset));
  return p == MAP_FAILED ? nullptr : static_cast<uint8_t*>(p);
}

bool TraceFile::TakePrepared(uint64_t after, Prepared* out) {
  if (!prepared_lock_.TryLock()) return false;
  uint32_t i = 0;
  while (i < prepared_count_ && prepared_[i].offset < after) ++i;
  const bool found = i < prepared_count_;
  if (found) {
    *out = prepared_[i];
    for (; i + 1 < prepared_count_; ++i) prepared_[i] = prepared_[i + 1];
    --prepared_count_;
  }
  prepared_lock_.Unlock();
  return found;
}

void TraceFile::DropPrepared(const Prepared& p) {
  munmap(p.data, kMaxSlotBytes);
  fallocate(fd_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(p.offset),
            static_cast<off_t>(kMaxSlotBytes));
}

Slot TraceFile::ReserveSlot(size_t bytes, uint32_t owner, uint64_t after) {
  Slot slot;
  if (!ok() || !OpenedByThisProcess()) return slot;
  Prepared region = {};
  if (bytes != kMaxSlotBytes || !TakePrepared(after, &region)) {
    if (!StillOurs()) {
      Fail("trace file descriptor was closed by the program, tracing stopped: ");
      return slot;
    }
    region.data = MapNewRegion(bytes, &region.offset);
    if (region.data == nullptr) {
      Fail("cannot extend or map the trace file (disk full?), tracing stopped: ");
      return slot;
    }
    if (bytes == kMaxSlotBytes) {
      uint64_t last = last_direct_.load(std::memory_order_relaxed);
      while (last < region.offset && !last_direct_.compare_exchange_weak(last, region.offset)) {
      }
    }
  }
  // One thread's slots take increasing indexes: the compressor keeps each
  // thread's chunks in order by keeping its slots in index order.
  const uint32_t i = slot_count_.fetch_add(1, std::memory_order_acq_rel);
  if (i >= kMaxSlots) {
    munmap(region.data, bytes);
    Fail("trace file has too many slots, tracing stopped: ");
    return slot;
  }
  SlotEntry& e = slots_[i];
  e.offset = region.offset;
  e.bytes = static_cast<uint32_t>(bytes);
  e.owner = owner;
  e.state.store(SlotEntry::kInUse, std::memory_order_release);
  slot.data = region.data;
  slot.bytes = static_cast<uint32_t>(bytes);
  slot.index = i;
  slot.offset = region.offset;
  return slot;
}

void TraceFile::PrepareSlots() {
  for (;;) {
    // Only tried: a writer holds it for a few instructions, unless a signal
    // stopped it there; then the next turn tries again.
    if (!prepared_lock_.TryLock()) return;
    Prepared stale[kPreparedSlots];
    uint32_t stale_count = 0;
    const uint64_t last_direct = last_direct_.load(std::memory_order_relaxed);
    while (prepared_count_ > stale_count && prepared_[stale_count].offset < last_direct) {
      stale[stale_count] = prepared_[stale_count];
      ++stale_count;
    }
    for (uint32_t i = stale_count; i < prepared_count_; ++i) prepared_[i - stale_count] = prepared_[i];
    prepared_count_ -= stale_count;
    const bool full = prepared_count_ >= kPreparedSlots;
    prepared_lock_.Unlock();
    for (uint32_t i = 0; i < stale_count; ++i) DropPrepared(stale[i]);
    // A full disk or a closed descriptor is left to the writers, which
    // stop tracing with a message.
    if (full || !ok() || !StillOurs()) return;
    Prepared region;
    region.data = MapNewRegion(kMaxSlotBytes, &region.offset);
    if (region.data == nullptr) return;
    // Each page's write fault taken here (the page stays zero), not on the
    // writer's thread.
    for (size_t at = 0; at < kMaxSlotBytes; at += 4096) {
      reinterpret_cast<volatile uint8_t*>(region.data)[at] = 0;
    }
    prepared_lock_.Lock();
    prepared_[prepared_count_] = region;
    ++prepared_count_;
    prepared_lock_.Unlock();
  }
}

void TraceFile::DiscardPrepared() {
  // Under the lock: a thread the program left running may still be moving
  // to a new slot. Punched, not truncated (it may be extending the file right
  // now): zeros read as padding, and take no disk space.
  if (!prepared_lock_.TryLockFor(1000000)) return;  // its holder was stopped by a signal: leave them
  for (uint32_t i = 0; i < prepared_count_; ++i) DropPrepared(prepared_[i]);
  prepared_count_ = 0;
  prepared_lock_.Unlock();
}

void TraceFile::ReleaseSlot(Slot* slot) {
  if (slot->data == nullptr) return;
  munmap(slot->data, slot->bytes);
  slots_[slot->index].state.store(SlotEntry::kReleased, std::memory_order_release);
  *slot = Slot();
}

void TraceFile::DropSlot(Slot* slot) {
  if (slot->data != nullptr) munmap(slot->data, slot->bytes);
  *slot = Slot();
}

void TraceFile::AppendSideRecord(const uint8_t* framed, size_t n) {
  constexpr size_t kPrefix = 4;  // trace::kPaddedVarintBytes
  if (n <= kPrefix || n > kSideSlotBytes) return;
  side_lock_.Lock();
  if (side_slot_.data == nullptr || side_used_ + n > side_slot_.bytes) {
    // Unused room at the end of a full side slot is zero: padding.
    ReleaseSlot(&side_slot_);
    side_slot_ = ReserveSlot(kSideSlotBytes, 0);
    side_used_ = 0;
  }
  if (side_slot_.data != nullptr) {
    uint8_t* at = side_slot_.data + side_used_;
    memcpy(at + kPrefix, framed + kPrefix, n - kPrefix);
    std::atomic_signal_fence(std::memory_order_release);
    uint32_t length;
    memcpy(&length, framed, kPrefix);
    memcpy(at, &length, kPrefix);  // one store: the commit
    side_used_ += n;
  }
  side_lock_.Unlock();
}

void TraceFile::Abandon() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  DropSlot(&side_slot_);
  side_used_ = 0;
  side_lock_.Reset();
  // The parent's helper thread may have been changing the pool at the
  // fork: its entries are not trusted, and their mappings (of the parent's
  // file, never written here) are left as they are.
  prepared_count_ = 0;
  prepared_lock_.Reset();
  // The parent's entries stay in the table (it is private memory, copied by
  // fork): a released one read between a child writer's fetch_add and its
  // state store would be compressed as the child's. Back to "reserving".
  const uint32_t n = slot_count_.load() < kMaxSlots ? slot_count_.load() : kMaxSlots;
  for (uint32_t i = 0; i < n; ++i) slots_[i].state.store(SlotEntry::kReserving, std::memory_order_relaxed);
  slot_count_.store(0);
}

}  // namespace alloclab::tracer
