// At a normal exit, the trace is rewritten compact and zstd-compressed: the
// in-place slots' slack is dropped and the records are packed into
// compressed blocks, which typically shrinks the file several times. A
// process that dies otherwise (SIGKILL, _exit, exec) keeps the raw file,
// which is just as valid.
#ifndef ALLOCLAB_TRACER_FINISH_H_
#define ALLOCLAB_TRACER_FINISH_H_

namespace alloclab::tracer {

// Rewrites the file at path (fd open on it, `size` bytes used) compact and
// compressed; the raw file stays on any failure. Runs off the hot path and
// may allocate (through the real allocator: the caller is inside the tracer).
void CompressTraceFile(int fd, const char* path, unsigned long size);

}  // namespace alloclab::tracer

#endif  // ALLOCLAB_TRACER_FINISH_H_
