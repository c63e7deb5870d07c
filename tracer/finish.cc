// CompressTraceFile: compact, compress, replace atomically.
#include "tracer/finish.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zstd.h>

#include <cstdint>
#include <cstdio>  // rename() only: no stream I/O here
#include <cstring>

#include "trace/record_encoder.h"
#include "trace/wire.h"
#include "tracer/trace_file.h"

namespace alloclab::tracer {
namespace {

constexpr size_t kBlockBytes = 4 << 20;  // a multiple of the slot size
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


}  // namespace

void CompressTraceFile(int fd, const char* path, unsigned long header_end, unsigned long size) {
  if (header_end <= sizeof(trace::kMagic) || header_end > size) return;
  const size_t bound = ZSTD_compressBound(kBlockBytes);
  void* zbuf = mmap(nullptr, bound, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (zbuf == MAP_FAILED) return;
  char tmp[kMaxPath + 8];
  const size_t len = strnlen(path, kMaxPath);
  memcpy(tmp, path, len);
  memcpy(tmp + len, ".tmp", 5);
  const int out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  bool ok = out >= 0;
  // The magic and the header stay as they are (readable at a glance)...
  void* head = ok ? mmap(nullptr, header_end, PROT_READ, MAP_SHARED, fd, 0) : MAP_FAILED;
  ok = head != MAP_FAILED;
  if (ok) {
    const uint8_t* p = static_cast<const uint8_t*>(head) + sizeof(trace::kMagic);
    const uint8_t* end = static_cast<const uint8_t*>(head) + header_end;
    uint64_t first = 0;
    const uint8_t* q = p;
    ok = trace::GetVarint(&q, end, &first) && first <= static_cast<uint64_t>(end - q) &&
         WriteAll(out, head, static_cast<size_t>(q - static_cast<const uint8_t*>(head)) + first);
    munmap(head, header_end);
  }
  // ...and the slots after it are compressed as they are, 4 MiB at a time:
  // blocks start on slot boundaries, so records and padding stay whole, and
  // the zeros of unused slot space cost next to nothing.
  for (unsigned long off = header_end; ok && off < size; off += kBlockBytes) {
    const size_t n = size - off < kBlockBytes ? size - off : kBlockBytes;
    void* window = mmap(nullptr, n, PROT_READ, MAP_SHARED, fd, static_cast<off_t>(off));
    if (window == MAP_FAILED) {
      ok = false;
      break;
    }
    const size_t z = ZSTD_compress(zbuf, bound, window, n, kLevel);
    ok = !ZSTD_isError(z) && WriteCompressedRecord(out, static_cast<uint8_t*>(zbuf), z, n);
    munmap(window, n);
  }
  if (out >= 0) ok = close(out) == 0 && ok;
  if (ok) ok = rename(tmp, path) == 0;
  if (!ok) unlink(tmp);
  munmap(zbuf, bound);
}

}  // namespace alloclab::tracer
