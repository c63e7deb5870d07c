// One line on stderr from pieces, written without allocating (no stdio): the
// way the allocator's and the tracer's messages must be written, from inside
// malloc. The pieces are written with one writev, so that lines of two
// threads do not interleave mid-line.
#ifndef ALLOCLAB_BASE_STDERR_LINE_H_
#define ALLOCLAB_BASE_STDERR_LINE_H_

#include <sys/uio.h>
#include <unistd.h>

#include <cstring>
#include <initializer_list>

namespace alloclab::base {

inline void WriteStderrLine(std::initializer_list<const char*> pieces) {
  struct iovec iov[16];
  int n = 0;
  for (const char* p : pieces) {
    if (n == 15) break;
    iov[n++] = {const_cast<char*>(p), strlen(p)};
  }
  iov[n++] = {const_cast<char*>("\n"), 1};
  const ssize_t ignored = writev(STDERR_FILENO, iov, n);
  (void)ignored;
}

}  // namespace alloclab::base

#endif  // ALLOCLAB_BASE_STDERR_LINE_H_
