// Backtraces, when MALLOC_TRACE_STACKS=depth asks for them (off by default):
// captured with backtrace(), deduplicated through an out-of-band hash table
// so that each distinct stack is written once, as a Stack record, and events
// carry only its id. The executable mappings (MemoryMaps records) needed to
// symbolise the frames later are written at start and at exit.
#ifndef ALLOCLAB_TRACER_STACKS_H_
#define ALLOCLAB_TRACER_STACKS_H_

#include <cstdint>

#include "tracer/trace_file.h"

namespace alloclab::tracer {

// Reads MALLOC_TRACE_STACKS; returns the depth (0: off). Call once.
int InitStacks(int depth);

// The id of the calling thread's current stack, the tracer's own frames left
// out (writing its Stack record to file the first time it is seen); 0 if
// stacks are off or the table is full.
uint64_t CaptureStackId(TraceFile& file);

// Writes the process's executable mappings, as of event seq.
void WriteMemoryMaps(TraceFile& file, uint64_t seq);

}  // namespace alloclab::tracer

#endif  // ALLOCLAB_TRACER_STACKS_H_
