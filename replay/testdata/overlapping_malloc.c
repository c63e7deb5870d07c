// A deliberately broken allocator for replay's own tests: a bump allocator
// that, every 50th malloc, hands out the previous block again. `replay
// --verify` must catch it (the two live blocks overwrite each other's tags).
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#define ARENA_BYTES (1ul << 32)

static char* arena;
static size_t used;
static char* last;
static unsigned long calls;

static size_t* header(void* p) { return (size_t*)p - 2; }

static void* bump(size_t size, size_t align) {
  if (arena == NULL) {
    arena = mmap(NULL, ARENA_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
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

__attribute__((visibility("default"))) void* malloc(size_t size) {
  if (++calls % 50 == 0 && last != NULL && header(last)[0] >= size) return last;  // the bug
  return last = bump(size, 16);
}
__attribute__((visibility("default"))) void free(void* p) { (void)p; }
__attribute__((visibility("default"))) void* calloc(size_t n, size_t size) {
  void* p = bump(n * size, 16);  // fresh memory from mmap is zero
  return p;
}
__attribute__((visibility("default"))) size_t malloc_usable_size(void* p) { return p ? header(p)[0] : 0; }
__attribute__((visibility("default"))) void* realloc(void* p, size_t size) {
  void* q = bump(size, 16);
  if (q != NULL && p != NULL) memcpy(q, p, header(p)[0] < size ? header(p)[0] : size);
  return q;
}
__attribute__((visibility("default"))) int posix_memalign(void** out, size_t align, size_t size) {
  void* p = bump(size, align);
  if (p == NULL) return ENOMEM;
  *out = p;
  return 0;
}
__attribute__((visibility("default"))) void* memalign(size_t align, size_t size) { return bump(size, align); }
__attribute__((visibility("default"))) void* aligned_alloc(size_t align, size_t size) { return bump(size, align); }
__attribute__((visibility("default"))) void* valloc(size_t size) { return bump(size, 4096); }
__attribute__((visibility("default"))) void* pvalloc(size_t size) { return bump((size + 4095) & ~4095ul, 4096); }
