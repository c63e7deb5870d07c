// CompressTraceFile: compact, compress, replace atomically.
#include "tracer/finish.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zstd.h>

#include <cstdint>
#include <cstdio>  // rename() only: no stream I/O here
#include <cstring>

#include "trace/chunk_compactor.h"
#include "trace/record_encoder.h"
#include "trace/wire.h"
#include "tracer/trace_file.h"

namespace alloclab::tracer {
namespace {

constexpr size_t kBlockBytes = 4 << 20;
constexpr size_t kWindowBytes = 8 << 20;  // a multiple of the slot size
constexpr int kLevel = 1;  // fast: it runs while the program exits

bool WriteAll(int fd, const void* data, size_t n) {
  const auto* p = static_cast<const uint8_t*>(data);
  while (n > 0) {
    const ssize_t w = write(fd, p, n);
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

// Writes a Record{compressed: {codec: ZSTD, raw_size, data}} around data.
bool WriteCompressedRecord(int fd, const uint8_t* data, size_t n, size_t raw_size) {
  using trace::kLengthDelimited;
  using trace::kVarint;
  using trace::MakeTag;
  using trace::PutVarint;
  using trace::VarintSize;
  // Tag + value for codec, raw_size and data.
  const size_t inner = 2 + 1 + static_cast<size_t>(VarintSize(raw_size)) + 1 +
                       static_cast<size_t>(VarintSize(n)) + n;
  const size_t record = 1 + static_cast<size_t>(VarintSize(inner)) + inner;
  uint8_t head[64];
  uint8_t* p = PutVarint(head, record);
  *p++ = MakeTag(3, kLengthDelimited);
  p = PutVarint(p, inner);
  *p++ = MakeTag(1, kVarint);
  *p++ = 1;  // Compressed::ZSTD
  *p++ = MakeTag(2, kVarint);
  p = PutVarint(p, raw_size);
  *p++ = MakeTag(3, kLengthDelimited);
  p = PutVarint(p, n);
  return WriteAll(fd, head, static_cast<size_t>(p - head)) && WriteAll(fd, data, n);
}


// Compresses packed[0, n) (whole records) into zstd blocks of whole records.
bool WriteBlocks(int out, const uint8_t* p, const uint8_t* end, void* zbuf, size_t bound) {
  while (p < end) {
    const uint8_t* cut = p;
    while (cut < end) {
      const uint8_t* r = cut;
      uint64_t n_bytes = 0;
      if (!trace::GetVarint(&r, end, &n_bytes) || n_bytes > static_cast<uint64_t>(end - r)) return false;
      const uint8_t* next = r + n_bytes;
      if (cut != p && static_cast<size_t>(next - p) > kBlockBytes) break;
      cut = next;
    }
    const size_t chunk = static_cast<size_t>(cut - p);
    if (chunk == 0 || chunk > kBlockBytes) return false;
    const size_t z = ZSTD_compress(zbuf, bound, p, chunk, kLevel);
    if (ZSTD_isError(z) || !WriteCompressedRecord(out, static_cast<uint8_t*>(zbuf), z, chunk)) return false;
    p = cut;
  }
  return true;
}

}  // namespace

void CompressTraceFile(int fd, const char* path, unsigned long size) {
  if (size <= sizeof(trace::kMagic)) return;
  // The raw file is read through a sliding window, so that compressing a
  // large trace at exit does not add its size to the process's memory.
  const size_t window_cap = kWindowBytes;
  void* packed = mmap(nullptr, window_cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  const size_t bound = ZSTD_compressBound(kBlockBytes);
  void* zbuf = mmap(nullptr, bound, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  char tmp[kMaxPath + 8];
  const size_t len = strnlen(path, kMaxPath);
  memcpy(tmp, path, len);
  memcpy(tmp + len, ".tmp", 5);
  int out = -1;
  bool ok = packed != MAP_FAILED && zbuf != MAP_FAILED;
  if (ok) {
    out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    ok = out >= 0 && WriteAll(out, trace::kMagic, sizeof(trace::kMagic));
  }
  bool header_written = false;
  size_t position = sizeof(trace::kMagic);  // next record's file offset
  while (ok && position < size) {
    const size_t win_start = position & ~(trace::kPaddingBlock - 1);
    const size_t win_len = size - win_start < window_cap ? size - win_start : window_cap;
    void* window = mmap(nullptr, win_len, PROT_READ, MAP_SHARED, fd, static_cast<off_t>(win_start));
    if (window == MAP_FAILED) {
      ok = false;
      break;
    }
    size_t consumed = 0;
    const bool last = win_start + win_len == size;
    const long n = trace::CompactRecords(static_cast<const uint8_t*>(window), win_len, position - win_start,
                                         static_cast<uint8_t*>(packed), window_cap, last ? nullptr : &consumed);
    munmap(window, win_len);
    if (n < 0 || (!last && win_start + consumed == position)) {
      ok = false;  // malformed, or a record larger than the window
      break;
    }
    const uint8_t* p = static_cast<const uint8_t*>(packed);
    const uint8_t* end = p + n;
    if (!header_written && p < end) {
      // The header (the first record) stays uncompressed, readable at a glance.
      uint64_t first = 0;
      const uint8_t* q = p;
      ok = trace::GetVarint(&q, end, &first) && first <= static_cast<uint64_t>(end - q);
      const size_t header = ok ? static_cast<size_t>(q - p) + first : 0;
      ok = ok && WriteAll(out, p, header);
      p += header;
      header_written = true;
    }
    ok = ok && WriteBlocks(out, p, end, zbuf, bound);
    position = last ? size : win_start + consumed;
  }
  if (out >= 0) ok = close(out) == 0 && ok;
  if (ok) ok = rename(tmp, path) == 0;
  if (!ok) unlink(tmp);
  if (packed != MAP_FAILED) munmap(packed, window_cap);
  if (zbuf != MAP_FAILED) munmap(zbuf, bound);
}

}  // namespace alloclab::tracer
