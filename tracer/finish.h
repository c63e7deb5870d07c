// At a normal exit, the trace is rewritten zstd-compressed: the slots after
// the header go into compressed blocks as they are (their unused space is
// zeros, which compress to nearly nothing), typically a quarter of the raw
// size. A process that dies otherwise (SIGKILL, _exit, exec) keeps the raw
// file, which is just as valid.
#ifndef ALLOCLAB_TRACER_FINISH_H_
#define ALLOCLAB_TRACER_FINISH_H_

namespace alloclab::tracer {

// Rewrites the file at path (fd open on it; header up to header_end, slots
// up to size) compressed; the raw file stays on any failure. Runs off the hot
// path; zstd allocates through the real allocator (the caller is inside the
// tracer, so none of it is traced).
void CompressTraceFile(int fd, const char* path, unsigned long header_end, unsigned long size);

}  // namespace alloclab::tracer

#endif  // ALLOCLAB_TRACER_FINISH_H_
