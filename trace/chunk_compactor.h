// Rewrites framed records without their slack: an in-place chunk (which
// fills its whole reserved region, zeros and any torn event included)
// becomes a compact chunk holding exactly its committed events; padding is
// dropped; every other record is copied. Allocation-free and independent of
// the protobuf runtime, so that the tracer can compact its file at exit.
#ifndef ALLOCLAB_TRACE_CHUNK_COMPACTOR_H_
#define ALLOCLAB_TRACE_CHUNK_COMPACTOR_H_

#include <cstddef>
#include <cstdint>

namespace alloclab::trace {

// Compacts the framed records of file[start, n) (padding blocks count from
// file[0], as in a trace file whose magic is file[0, 8)) into out (capacity
// out_cap; compaction never grows the data, so n bytes always suffice).
// Returns the bytes written, or -1 if the input is not well-formed (the
// caller then keeps the original).
long CompactRecords(const uint8_t* file, size_t n, size_t start, uint8_t* out, size_t out_cap);

}  // namespace alloclab::trace

#endif  // ALLOCLAB_TRACE_CHUNK_COMPACTOR_H_
