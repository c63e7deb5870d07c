// The tracer's settings, read once from the environment when tracing starts
// (getenv, no allocation). A value that cannot be used gets one line on
// stderr saying what is done instead; none is silently replaced:
//   MALLOC_TRACE_FILE        where the trace goes (trace_file.h checks it)
//   MALLOC_TRACE_STACKS      frames per event, 0 (off) to kMaxStackDepth
//   MALLOC_TRACE_RAW         1/0 (yes/no, true/false, on/off): keep the raw file
//   MALLOC_TRACE_EXEC_DEPTH  set by the tracer for an exec'd image
//   MALLOC_TRACE_START       now (default) | signal:SIG | signal:SIG,on:
//                            capture on demand, recorder.h
#ifndef ALLOCLAB_TRACER_SETTINGS_H_
#define ALLOCLAB_TRACER_SETTINGS_H_

#include <cstdint>

namespace alloclab::tracer {

inline constexpr int kMaxStackDepth = 64;

struct Settings {
  int stack_depth = 0;
  bool raw = false;
  uint32_t exec_depth = 0;
  int window_signal = 0;         // 0: record from the start to the end
  bool record_from_start = true;  // with a window signal: on until the first one
};

Settings ReadSettings();

}  // namespace alloclab::tracer

#endif  // ALLOCLAB_TRACER_SETTINGS_H_
