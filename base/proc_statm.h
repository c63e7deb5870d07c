// The process's resident anonymous memory from /proc/self/statm (resident
// minus file-backed and shared pages), read without allocating: the replay
// runner samples it around every operation it times, and the allocator's
// tests check with it what was given back to the kernel.
#ifndef ALLOCLAB_BASE_PROC_STATM_H_
#define ALLOCLAB_BASE_PROC_STATM_H_

#include <fcntl.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>

namespace alloclab::base {

// The first three fields of a statm line, in pages.
struct Statm {
  uint64_t size = 0;
  uint64_t resident = 0;
  uint64_t shared = 0;
};

// Parses "size resident shared ..."; false if the three are not there.
inline bool ParseStatm(const char* text, size_t n, Statm* out) {
  uint64_t fields[3] = {0, 0, 0};
  size_t i = 0;
  for (int f = 0; f < 3; ++f) {
    while (i < n && text[i] == ' ') ++i;
    if (i == n || text[i] < '0' || text[i] > '9') return false;
    while (i < n && text[i] >= '0' && text[i] <= '9') fields[f] = fields[f] * 10 + static_cast<uint64_t>(text[i++] - '0');
  }
  *out = Statm{fields[0], fields[1], fields[2]};
  return true;
}

// Resident anonymous bytes read through an open /proc/self/statm (kept open
// by a caller that samples often: pread from 0 reads it afresh), or 0.
inline uint64_t AnonResidentBytes(int statm_fd) {
  char buf[256];
  const ssize_t n = pread(statm_fd, buf, sizeof buf, 0);
  Statm s;
  if (n <= 0 || !ParseStatm(buf, static_cast<size_t>(n), &s)) return 0;
  const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  return s.resident > s.shared ? (s.resident - s.shared) * page : 0;
}

// The same, opening and closing /proc/self/statm.
inline uint64_t AnonResidentBytes() {
  const int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  const uint64_t bytes = AnonResidentBytes(fd);
  close(fd);
  return bytes;
}

}  // namespace alloclab::base

#endif  // ALLOCLAB_BASE_PROC_STATM_H_
