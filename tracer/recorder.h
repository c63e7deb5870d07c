// The recorder: global trace state (the file, the global sequence counter)
// and each thread's in-place chunk in its current slot. Record() is the hot
// path: a sequence number, a clock read and the allocation-free encoder, no
// lock and no malloc.
#ifndef ALLOCLAB_TRACER_RECORDER_H_
#define ALLOCLAB_TRACER_RECORDER_H_

#include <cstdint>

#include "trace/event.h"

namespace alloclab::tracer {

// Whether this thread may record now (tracing on, not inside the tracer).
// On true the caller must call Record or Leave exactly once.
bool Enter();
void Leave();

// Takes the next global sequence number and the time. Allocation calls take
// it after the real call (their result is then visible to other threads);
// frees take it before (so another thread's reuse of the address orders after).
void Stamp(trace::Event* e);

// Encodes e (stamped) into this thread's chunk, then leaves.
void Record(trace::Event& e);

// Starts tracing the process (called once, from the first traced call).
void StartTracing();

// fork() support: the child switches to a trace file of its own.
uint64_t CurrentSeq();
void ChildAfterFork(uint64_t fork_seq);

}  // namespace alloclab::tracer

#endif  // ALLOCLAB_TRACER_RECORDER_H_
