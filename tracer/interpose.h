// What the C entry points (interpose.cc) share with the C++ operators
// (new_delete.cc).
#ifndef ALLOCLAB_TRACER_INTERPOSE_H_
#define ALLOCLAB_TRACER_INTERPOSE_H_

#include <cstdint>

#include "trace/event.h"

namespace alloclab::tracer {

// free(p) recorded as kind: FREE, or one of the FREE_SIZED / FREE_ALIGNED /
// FREE_SIZED_ALIGNED kinds of a sized or aligned operator delete, which carry
// size and alignment.
void TracedFree(void* p, trace::Kind kind, uint64_t size, uint64_t alignment);

}  // namespace alloclab::tracer

#endif  // ALLOCLAB_TRACER_INTERPOSE_H_
