// Whole reads and writes on a file descriptor, retried across EINTR and
// short counts, without allocating: the tracer's compressor and trace file,
// the allocator's messages, the replayer's prepared and spill files all need
// "write every byte or say why", and each had its own loop.
#ifndef ALLOCLAB_BASE_FD_IO_H_
#define ALLOCLAB_BASE_FD_IO_H_

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>

namespace alloclab::base {

namespace fd_io_internal {

// Calls io(done) until n bytes have moved, across EINTR and short counts.
// A call that moves nothing sets errno to at_zero and fails.
template <typename Io>
bool Fully(Io io, size_t n, int at_zero) {
  for (size_t done = 0; done < n;) {
    const ssize_t r = io(done);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      if (r == 0) errno = at_zero;
      return false;
    }
    done += static_cast<size_t>(r);
  }
  return true;
}

}  // namespace fd_io_internal

// Writes all n bytes at the descriptor's position. false on an error (errno
// says which) or when the descriptor takes nothing (errno is then EIO).
inline bool WriteFully(int fd, const void* data, size_t n) {
  const auto* p = static_cast<const char*>(data);
  return fd_io_internal::Fully([&](size_t done) { return write(fd, p + done, n - done); }, n, EIO);
}

// Writes all n bytes at offset (the descriptor's position does not move).
inline bool PwriteFully(int fd, const void* data, size_t n, uint64_t offset) {
  const auto* p = static_cast<const char*>(data);
  return fd_io_internal::Fully(
      [&](size_t done) { return pwrite(fd, p + done, n - done, static_cast<off_t>(offset + done)); }, n, EIO);
}

// Reads exactly n bytes at offset. false on an error (errno says which) or
// when the file ends first (errno is then 0).
inline bool PreadFully(int fd, void* data, size_t n, uint64_t offset) {
  auto* p = static_cast<char*>(data);
  return fd_io_internal::Fully(
      [&](size_t done) { return pread(fd, p + done, n - done, static_cast<off_t>(offset + done)); }, n, 0);
}

// Reads from the descriptor's position until end of file or cap bytes;
// returns the bytes read (what came before an error, if one stops it).
inline size_t ReadUpTo(int fd, void* buf, size_t cap) {
  auto* p = static_cast<char*>(buf);
  size_t n = 0;
  while (n < cap) {
    const ssize_t r = read(fd, p + n, cap - n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    n += static_cast<size_t>(r);
  }
  return n;
}

// A whole small file (a /proc file: read in one go, its size unknown) into
// buf; returns its length, 0 if it cannot be opened, at most cap.
inline size_t ReadSmallFile(const char* path, char* buf, size_t cap) {
  const int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  const size_t n = ReadUpTo(fd, buf, cap);
  close(fd);
  return n;
}

}  // namespace alloclab::base

#endif  // ALLOCLAB_BASE_FD_IO_H_
