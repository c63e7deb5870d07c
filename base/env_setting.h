// Reading settings from the environment without allocating: getenv does not
// allocate, and these parsers are strict (a value that is not exactly a
// number or a switch is refused, so that the caller can say so) rather than
// atoi's "abc is 0". Used by the allocator (BUDDYMALLOC_*), the tracer
// (MALLOC_TRACE_*) and the replay runner's flags.
#ifndef ALLOCLAB_BASE_ENV_SETTING_H_
#define ALLOCLAB_BASE_ENV_SETTING_H_

#include <cstdint>
#include <cstring>
#include <initializer_list>

namespace alloclab::base {

// A whole decimal number (digits only, no sign, no spaces) that fits in 64
// bits; false for anything else.
inline bool ParseWholeNumber(const char* s, uint64_t* out) {
  if (s == nullptr || *s == '\0') return false;
  uint64_t v = 0;
  for (; *s != '\0'; ++s) {
    if (*s < '0' || *s > '9') return false;
    const uint64_t digit = static_cast<uint64_t>(*s - '0');
    if (v > (UINT64_MAX - digit) / 10) return false;
    v = v * 10 + digit;
  }
  *out = v;
  return true;
}

// On/off: 1, yes, true, on / 0, no, false, off (lower case); false for
// anything else.
inline bool ParseSwitch(const char* s, bool* out) {
  if (s == nullptr) return false;
  for (const char* on : {"1", "yes", "true", "on"}) {
    if (strcmp(s, on) == 0) return *out = true, true;
  }
  for (const char* off : {"0", "no", "false", "off"}) {
    if (strcmp(s, off) == 0) return *out = false, true;
  }
  return false;
}

}  // namespace alloclab::base

#endif  // ALLOCLAB_BASE_ENV_SETTING_H_
