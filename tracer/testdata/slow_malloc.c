// An allocator under the tracer (preloaded after it) whose malloc of one
// marker size takes two seconds: a thread that is inside a traced call when
// the program exits (hostile slowexit).
#include <stddef.h>
#include <time.h>

extern void* __libc_malloc(size_t size);

__attribute__((visibility("default"))) void* malloc(size_t size) {
  if (size == 77777777) {
    const struct timespec two = {2, 0};
    nanosleep(&two, NULL);
  }
  return __libc_malloc(size);
}
