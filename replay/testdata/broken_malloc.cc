// A deliberately broken allocator for replay's own tests: a bump allocator
// (free does nothing) with one bug, chosen by $BROKEN_MALLOC:
//   overlap         every 50th malloc hands out the previous block again:
//                   `replay --verify` must catch it (the two live blocks
//                   overwrite each other's tags)
//   null_size:N     malloc(N) returns NULL: the replay must fail the run (the
//                   traced program's allocation succeeded)
//   exit_in_free:K  the Kth free calls pthread_exit, unwinding the replay
//                   thread past the rest of its ops: the runner must notice
//                   the ops it did not issue
//   scribble:K      from the Kth malloc on, finds the prepared file the
//                   runner mapped and changes the size of its first thread's
//                   last malloc: the runner must notice it issued another op
// Nothing here may allocate; the environment is read with getenv only.
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "replay/op_stream.h"

using alloclab::replay::BlockRef;
using alloclab::replay::kHeaderBytes;
using alloclab::replay::kPreparedMagic;
using alloclab::replay::Op;
using alloclab::replay::OpKind;
using alloclab::replay::PreparedHeader;
using alloclab::replay::ThreadEntry;

#define ARENA_BYTES (1ul << 32)
#define EXPORT extern "C" __attribute__((visibility("default")))

namespace {

char* arena;
size_t used;
char* last;
unsigned long mallocs, frees;
int mode = -1;  // 0 none, 1 overlap, 2 null_size, 3 exit_in_free, 4 scribble
unsigned long param;
int scribbled;

void read_mode() {
  if (mode >= 0) return;
  const char* m = getenv("BROKEN_MALLOC");
  mode = 0;
  if (m == NULL) return;
  static const char* const names[] = {"overlap", "null_size:", "exit_in_free:", "scribble:"};
  for (int i = 0; i < 4; ++i) {
    const size_t n = strlen(names[i]);
    if (strncmp(m, names[i], n) == 0) {
      mode = i + 1;
      param = strtoul(m + n, NULL, 10);
    }
  }
}

size_t* header(void* p) { return static_cast<size_t*>(p) - 2; }

void* bump(size_t size, size_t align) {
  if (arena == NULL) {
    arena = (char*)mmap(NULL, ARENA_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (arena == MAP_FAILED) return NULL;
  }
  if (align < 16) align = 16;
  size_t start = (used + 16 + align - 1) & ~(align - 1);
  if (start + size > ARENA_BYTES) return NULL;
  used = start + size;
  char* p = arena + start;
  header(p)[0] = size;
  return p;
}

uint64_t hex(const char** s) {
  uint64_t v = 0;
  for (;; ++*s) {
    const char c = **s;
    if (c >= '0' && c <= '9') v = v * 16 + (uint64_t)(c - '0');
    else if (c >= 'a' && c <= 'f') v = v * 16 + (uint64_t)(c - 'a' + 10);
    else return v;
  }
}

// Finds a readable mapping that starts with the prepared file's magic and
// changes its first thread's last malloc.
void scribble() {
  static char maps[1 << 16];
  const int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  size_t n = 0;
  for (ssize_t r; n < sizeof maps - 1 && (r = read(fd, maps + n, sizeof maps - 1 - n)) > 0;) n += (size_t)r;
  close(fd);
  maps[n] = '\0';
  for (const char* line = maps; *line != '\0';) {
    const char* s = line;
    const uint64_t begin = hex(&s);
    ++s;
    const uint64_t end = hex(&s);
    const int readable = s[1] == 'r';
    const char* eol = strchr(line, '\n');
    line = eol != NULL ? eol + 1 : line + strlen(line);
    if (!readable || end - begin < kHeaderBytes || memcmp(reinterpret_cast<const void*>(begin), kPreparedMagic, 8) != 0) {
      continue;
    }
    char* base = reinterpret_cast<char*>(begin);
    if (mprotect(base, end - begin, PROT_READ | PROT_WRITE) != 0) return;
    const auto* h = reinterpret_cast<const PreparedHeader*>(base);
    const auto* t0 = reinterpret_cast<const ThreadEntry*>(base + h->thread_table_offset);
    const auto* blocks = reinterpret_cast<const BlockRef*>(base + t0->block_table_offset);
    const BlockRef* b = &blocks[t0->blocks - 1];
    Op* ops = reinterpret_cast<Op*>(base + b->offset);
    for (uint64_t i = b->ops; i-- > 0;) {
      if (ops[i].kind == OpKind::kMalloc) {
        ops[i].size += 8;
        scribbled = 1;
        return;
      }
    }
    return;
  }
}

}  // namespace

EXPORT void* malloc(size_t size) {
  read_mode();
  ++mallocs;
  if (mode == 1 && mallocs % 50 == 0 && last != NULL && header(last)[0] >= size) return last;  // the bug
  if (mode == 2 && size == param) {
    errno = ENOMEM;
    return NULL;
  }
  if (mode == 4 && !scribbled && mallocs >= param) scribble();
  last = static_cast<char*>(bump(size, 16));
  return last;
}
EXPORT void free(void* p) {
  (void)p;
  read_mode();
  if (mode == 3 && ++frees == param) pthread_exit(NULL);
}
EXPORT void* calloc(size_t n, size_t size) {
  return bump(n * size, 16);  // fresh memory from mmap is zero
}
EXPORT size_t malloc_usable_size(void* p) { return p ? header(p)[0] : 0; }
EXPORT void* realloc(void* p, size_t size) {
  void* q = bump(size, 16);
  if (q != NULL && p != NULL) memcpy(q, p, header(p)[0] < size ? header(p)[0] : size);
  return q;
}
EXPORT int posix_memalign(void** out, size_t align, size_t size) {
  void* p = bump(size, align);
  if (p == NULL) return ENOMEM;
  *out = p;
  return 0;
}
EXPORT void* memalign(size_t align, size_t size) { return bump(size, align); }
EXPORT void* aligned_alloc(size_t align, size_t size) { return bump(size, align); }
EXPORT void* valloc(size_t size) { return bump(size, 4096); }
EXPORT void* pvalloc(size_t size) { return bump((size + 4095) & ~4095ul, 4096); }
