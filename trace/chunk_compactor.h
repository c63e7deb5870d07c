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
// file[0], which must lie at a multiple of 4096 in the trace file) into out
// (capacity out_cap; compaction never grows the data, so n - start bytes
// always suffice). Returns the bytes written, or -1 if the input is not
// well-formed (the caller then keeps the original). With `consumed`, a
// record cut off by the end of the window is not an error: compaction stops
// before it and *consumed tells where (relative to file), so the caller can
// go on with the next window from there; without it the window must end on
// a record boundary.
long CompactRecords(const uint8_t* file, size_t n, size_t start, uint8_t* out, size_t out_cap,
                    size_t* consumed = nullptr);

}  // namespace alloclab::trace

#endif  // ALLOCLAB_TRACE_CHUNK_COMPACTOR_H_
