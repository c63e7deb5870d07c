// ReadSettings: strict parsing and one warning line per unusable value.
#include "tracer/settings.h"

#include <cstdlib>

#include "base/decimal.h"
#include "base/env_setting.h"
#include "base/stderr_line.h"

namespace alloclab::tracer {
namespace {

void Warn(const char* name, const char* value, const char* what) {
  base::WriteStderrLine({"malloctrace: ", name, "=", value, " ", what});
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
  return s;
}

}  // namespace alloclab::tracer
