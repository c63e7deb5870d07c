// PutDecimal: an unsigned number in decimal into a caller's buffer, for
// messages and file names written where nothing may allocate (no stdio).
#ifndef ALLOCLAB_BASE_DECIMAL_H_
#define ALLOCLAB_BASE_DECIMAL_H_

#include <cstdint>

namespace alloclab::base {

// Writes the decimal form of v at p, not past end; returns the end of it.
inline char* PutDecimal(char* p, char* end, uint64_t v) {
  char digits[24];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (n > 0 && p < end) *p++ = digits[--n];
  return p;
}

}  // namespace alloclab::base

#endif  // ALLOCLAB_BASE_DECIMAL_H_
