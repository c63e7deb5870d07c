// Compressor: the unnamed compressed copy, filled slot by slot, and the final
// link over the raw file.
#include "tracer/compressor.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define ZSTD_STATIC_LINKING_ONLY  // ZSTD_initStaticCCtx: no malloc
#include <zstd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>  // rename() only: no stream I/O here
#include <cstring>

#include "base/decimal.h"
#include "base/fd_io.h"
#include "trace/record_encoder.h"
#include "trace/wire.h"

namespace alloclab::tracer {
namespace {

constexpr int kLevel = 1;  // fast: about 250 MB/s of raw trace on one core here
// A slot is compressed in pieces of this size, with the caller's between()
// after each (the helper thread keeps the clock's tick going).
constexpr size_t kPieceBytes = 64 << 10;

void* MapAnonymous(size_t n) {
  void* p = mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  return p == MAP_FAILED ? nullptr : p;
}

// Writes a Record{compressed: {codec: ZSTD, raw_size, data}} around data.
bool WriteCompressedRecord(int fd, const uint8_t* data, size_t n, size_t raw_size) {
  uint8_t head[64];
  const size_t head_bytes = trace::EncodeCompressedHead(raw_size, n, head, sizeof(head));
  return head_bytes != 0 && base::WriteFully(fd, head, head_bytes) && base::WriteFully(fd, data, n);
}


}  // namespace

bool Compressor::StillOurs() const {
  struct stat st;
  return out_ >= 0 && fstat(out_, &st) == 0 && st.st_dev == out_dev_ && st.st_ino == out_ino_;
}

bool Compressor::Open(TraceFile* file) {
  file_ = file;
  failed_ = false;
  first_pending_ = 0;
  const size_t ws_bytes = ZSTD_estimateCStreamSize(kLevel);
  if (cctx_ == nullptr) {
    void* ws = MapAnonymous(ws_bytes);
    cctx_ = ws != nullptr ? ZSTD_initStaticCCtx(ws, ws_bytes) : nullptr;
    zcap_ = ZSTD_compressBound(kMaxSlotBytes);
    in_ = static_cast<uint8_t*>(MapAnonymous(kMaxSlotBytes));
    zbuf_ = static_cast<uint8_t*>(MapAnonymous(zcap_));
    done_ = static_cast<uint8_t*>(MapAnonymous(kMaxSlots));
  } else if (done_ != nullptr) {
    madvise(done_, kMaxSlots, MADV_DONTNEED);  // zeros again (a forked child)
  }
  if (cctx_ == nullptr || in_ == nullptr || zbuf_ == nullptr || done_ == nullptr) return false;

  // The unnamed file, in the trace's directory (the path is absolute).
  char dir[kMaxPath];
  const char* path = file->path();
  const char* slash = strrchr(path, '/');
  if (slash == nullptr) return false;
  const size_t dir_len = slash == path ? 1 : static_cast<size_t>(slash - path);
  memcpy(dir, path, dir_len);
  dir[dir_len] = '\0';
  out_ = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
  if (out_ < 0) return false;  // a file system without O_TMPFILE: stays raw
  struct stat st;
  if (fstat(out_, &st) != 0) return Fail();
  out_dev_ = st.st_dev;
  out_ino_ = st.st_ino;

  // The magic and the header record stay as they are (readable at a glance).
  static uint8_t head[64 << 10];
  const uint64_t header_end = file->header_end();
  if (header_end > sizeof(head) || !base::PreadFully(file->fd(), head, header_end, 0)) return Fail();
  const uint8_t* q = head + sizeof(trace::kMagic);
  uint64_t first = 0;
  if (!trace::GetVarint(&q, head + header_end, &first) || first > static_cast<uint64_t>(head + header_end - q) ||
      !base::WriteFully(out_, head, static_cast<size_t>(q - head) + first)) {
    return Fail();
  }
  return true;
}

bool Compressor::Fail() {
  failed_ = true;
  if (out_ >= 0) close(out_);
  out_ = -1;
  return false;
}

bool Compressor::CompressNext(void (*between)()) {
  return out_ >= 0 && !failed_ && CompressReady(false, 1, between) != 0;
}

bool Compressor::CompressSlot(const SlotEntry& e, void (*between)()) {
  if (e.bytes > kMaxSlotBytes || !file_->StillOurs() || !base::PreadFully(file_->fd(), in_, e.bytes, e.offset)) {
    return false;
  }
  // One frame, with the slot's size in its header, fed a piece at a time.
  auto* cctx = static_cast<ZSTD_CCtx*>(cctx_);
  if (ZSTD_isError(ZSTD_CCtx_reset(cctx, ZSTD_reset_session_only)) ||
      ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, kLevel)) ||
      ZSTD_isError(ZSTD_CCtx_setPledgedSrcSize(cctx, e.bytes))) {
    return false;
  }
  ZSTD_outBuffer out = {zbuf_, zcap_, 0};
  for (size_t at = 0; at < e.bytes; at += kPieceBytes) {
    const size_t piece = e.bytes - at < kPieceBytes ? e.bytes - at : kPieceBytes;
    const bool last = at + piece == e.bytes;
    ZSTD_inBuffer in = {in_ + at, piece, 0};
    size_t left;
    do {
      left = ZSTD_compressStream2(cctx, &out, &in, last ? ZSTD_e_end : ZSTD_e_continue);
      if (ZSTD_isError(left)) return false;
    } while (last ? left != 0 : in.pos < in.size);
    if (!last && between != nullptr) between();
  }
  return StillOurs() && WriteCompressedRecord(out_, zbuf_, out.pos, e.bytes);
}

uint32_t Compressor::CompressReady(bool final, uint32_t max_slots, void (*between)()) {
  // Writers whose earlier slot is still pending in this pass (by tid, hashed:
  // a collision only defers a slot): their later slots wait, so that each
  // thread's chunks stay in order.
  static uint64_t blocked[1024];
  memset(blocked, 0, sizeof(blocked));
  const uint32_t n = file_->slot_count();
  uint32_t compressed = 0;
  for (uint32_t i = first_pending_; i < n && !failed_ && compressed < max_slots; ++i) {
    if (done_[i]) continue;
    const SlotEntry& e = file_->slot(i);
    const uint32_t state = e.state.load(std::memory_order_acquire);
    if (state == SlotEntry::kReserving) {
      if (final) continue;  // its writer never got to write
      break;                // not published yet: whose it is is unknown
    }
    const uint32_t b = e.owner & 0xffff;
    uint64_t& word = blocked[b >> 6];
    const uint64_t bit = uint64_t{1} << (b & 63);
    if (!final && (state != SlotEntry::kReleased || (word & bit) != 0)) {
      word |= bit;
      continue;
    }
    if (!CompressSlot(e, between)) {
      Fail();
      break;
    }
    done_[i] = 1;
    ++compressed;
  }
  while (first_pending_ < n && done_[first_pending_]) ++first_pending_;
  return compressed;
}

bool Compressor::Finish() {
  if (out_ < 0 || failed_) return false;
  CompressReady(true, kMaxSlots);
  if (failed_ || !StillOurs()) return Fail();
  // Give the unnamed file a name beside the trace, then put it in the
  // trace's place in one rename.
  char fd_path[32] = "/proc/self/fd/";
  *base::PutDecimal(fd_path + 14, fd_path + sizeof(fd_path) - 1, static_cast<uint64_t>(out_)) = '\0';
  char tmp[kMaxPath + 8];
  const size_t len = strnlen(file_->path(), kMaxPath);
  memcpy(tmp, file_->path(), len);
  memcpy(tmp + len, ".tmp", 5);
  unlink(tmp);
  const bool ok = linkat(AT_FDCWD, fd_path, AT_FDCWD, tmp, AT_SYMLINK_FOLLOW) == 0;
  close(out_);
  out_ = -1;
  if (!ok) return false;
  if (rename(tmp, file_->path()) != 0) {
    unlink(tmp);
    return false;
  }
  return true;
}

void Compressor::Abandon() {
  if (out_ >= 0) close(out_);
  out_ = -1;
}

}  // namespace alloclab::tracer
