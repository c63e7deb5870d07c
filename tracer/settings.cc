// ReadSettings: strict parsing and one warning line per unusable value.
#include "tracer/settings.h"

#include <signal.h>

#include <cstdlib>
#include <cstring>

#include "base/env_setting.h"
#include "base/stderr_line.h"

namespace alloclab::tracer {
namespace {

void Warn(const char* name, const char* value, const char* what) {
  base::WriteStderrLine({"malloctrace: ", name, "=", value, " ", what});
}

// "USR1", "SIGUSR2", "RTMIN+3", "12": a signal a program can catch; 0 if not.
int ParseSignal(const char* s) {
  if (strncmp(s, "SIG", 3) == 0) s += 3;
  uint64_t n = 0;
  if (strcmp(s, "USR1") == 0) return SIGUSR1;
  if (strcmp(s, "USR2") == 0) return SIGUSR2;
  if (strcmp(s, "HUP") == 0) return SIGHUP;
  if (strcmp(s, "PROF") == 0) return SIGPROF;
  if (strncmp(s, "RTMIN+", 6) == 0 && base::ParseWholeNumber(s + 6, &n) && n <= uint64_t(SIGRTMAX - SIGRTMIN)) {
    return SIGRTMIN + static_cast<int>(n);
  }
  if (base::ParseWholeNumber(s, &n) && n >= 1 && n <= static_cast<uint64_t>(SIGRTMAX) && n != SIGKILL &&
      n != SIGSTOP && n != SIGSEGV && n != SIGBUS && n != SIGILL && n != SIGFPE) {
    return static_cast<int>(n);
  }
  return 0;
}

}  // namespace

Settings ReadSettings() {
  Settings s;
  uint64_t v;
  if (const char* e = getenv("MALLOC_TRACE_STACKS"); e != nullptr && *e != '\0') {
    if (!base::ParseWholeNumber(e, &v)) {
      Warn("MALLOC_TRACE_STACKS", e, "is not a number of frames (0 to 64): recording no stacks");
    } else if (v > kMaxStackDepth) {
      Warn("MALLOC_TRACE_STACKS", e, "is more than 64 frames: recording 64");
      s.stack_depth = kMaxStackDepth;
    } else {
      s.stack_depth = static_cast<int>(v);
    }
  }
  if (const char* e = getenv("MALLOC_TRACE_RAW"); e != nullptr && *e != '\0' && !base::ParseSwitch(e, &s.raw)) {
    Warn("MALLOC_TRACE_RAW", e, "is not 1 or 0 (yes/no, true/false, on/off): compressing the trace");
  }
  if (const char* e = getenv("MALLOC_TRACE_EXEC_DEPTH"); e != nullptr && *e != '\0') {
    if (!base::ParseWholeNumber(e, &v) || v > UINT32_MAX - 1) {
      Warn("MALLOC_TRACE_EXEC_DEPTH", e, "is not a whole number (the tracer sets it for exec'd images): using 0");
    } else {
      s.exec_depth = static_cast<uint32_t>(v);
    }
  }
  if (const char* e = getenv("MALLOC_TRACE_START"); e != nullptr && *e != '\0' && strcmp(e, "now") != 0) {
    // signal:SIG (off until SIG) or signal:SIG,on (on until SIG); each SIG
    // then toggles recording.
    char name[32];
    const char* sig = strncmp(e, "signal:", 7) == 0 ? e + 7 : nullptr;
    const char* comma = sig != nullptr ? strchr(sig, ',') : nullptr;
    const size_t len = sig == nullptr ? 0 : comma != nullptr ? static_cast<size_t>(comma - sig) : strlen(sig);
    if (sig != nullptr && len < sizeof name && (comma == nullptr || strcmp(comma, ",on") == 0 || strcmp(comma, ",off") == 0)) {
      memcpy(name, sig, len);
      name[len] = '\0';
      s.window_signal = ParseSignal(name);
      s.record_from_start = comma != nullptr && strcmp(comma, ",on") == 0;
    }
    if (s.window_signal == 0) {
      s.record_from_start = true;
      Warn("MALLOC_TRACE_START", e, "is not now, signal:SIG or signal:SIG,on (SIG: USR1, USR2, HUP, PROF, RTMIN+n or a number): recording from the start");
    }
  }
  return s;
}

}  // namespace alloclab::tracer
