// mtrace_program: a small program whose allocations glibc's mtrace() logs,
// for mtrace_import_program_test. Between mtrace() and muntrace() it makes a
// fixed set of calls (no stdio, so libc allocates nothing of its own there),
// keeps its own tally of what the imported trace must show, and prints that
// tally afterwards as "name value" lines.
//
// How mtrace logs each call, and so what the import makes of it: malloc,
// calloc, memalign, aligned_alloc, posix_memalign and realloc(NULL, n) are
// "+" lines (MALLOC events, calloc's size count x size); free(p) with p not
// NULL and realloc(p, 0) are "-" lines (FREE); a realloc that returns a block
// is a "<" ">" pair (REALLOC); a failed realloc is "!" (REALLOC returning
// NULL, the block kept); free(NULL) is not logged.
//
// Built with -fno-builtin so the compiler keeps every call.
#include <malloc.h>
#include <mcheck.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BLOCKS 64

static struct {
  unsigned long long mallocs, frees, reallocs, events;
  unsigned long long live_bytes, peak_bytes, live_blocks;
} tally;

// Bytes requested for each live block, for the expected peak.
static struct {
  void* p;
  size_t bytes;
} blocks[MAX_BLOCKS];

static void Born(void* p, size_t bytes) {
  for (int i = 0; i < MAX_BLOCKS; ++i) {
    if (blocks[i].p == NULL) {
      blocks[i].p = p;
      blocks[i].bytes = bytes;
      tally.live_bytes += bytes;
      ++tally.live_blocks;
      if (tally.live_bytes > tally.peak_bytes) tally.peak_bytes = tally.live_bytes;
      return;
    }
  }
  abort();
}

static void Died(void* p) {
  for (int i = 0; i < MAX_BLOCKS; ++i) {
    if (blocks[i].p == p) {
      tally.live_bytes -= blocks[i].bytes;
      --tally.live_blocks;
      blocks[i].p = NULL;
      return;
    }
  }
  abort();
}

static void* Malloc(size_t n) {
  void* p = malloc(n);
  ++tally.mallocs;
  ++tally.events;
  if (p != NULL) Born(p, n);
  return p;
}

static void Free(void* p) {
  free(p);
  if (p == NULL) return;
  ++tally.frees;
  ++tally.events;
  Died(p);
}

static void* Realloc(void* old, size_t n) {
  void* p = realloc(old, n);
  ++tally.events;
  if (old == NULL) {
    ++tally.mallocs;
    if (p != NULL) Born(p, n);
  } else if (p == NULL && n == 0) {
    ++tally.frees;
    Died(old);
  } else {
    ++tally.reallocs;
    if (p != NULL) {
      Died(old);
      Born(p, n);
    }
  }
  return p;
}

int main(void) {
  void* keep[8];
  mtrace();

  void* a = Malloc(16);
  void* b = Malloc(1000);
  void* c = calloc(10, 24);
  ++tally.mallocs, ++tally.events;
  Born(c, 240);
  memset(a, 1, 16);
  a = Realloc(a, 5000);        // grows: moves
  a = Realloc(a, 100);         // shrinks: in place or not, a "<" ">" pair
  void* huge = Malloc(SIZE_MAX / 4);  // fails: "+ (nil) SIZE"
  if (huge != NULL) return 3;
  void* same = Realloc(b, SIZE_MAX / 4);  // fails: "! b SIZE", b stays
  if (same != NULL) return 3;
  void* d = Realloc(NULL, 77);  // a malloc
  void* e = aligned_alloc(64, 256);
  ++tally.mallocs, ++tally.events;
  Born(e, 256);
  void* f = memalign(128, 300);
  ++tally.mallocs, ++tally.events;
  Born(f, 300);
  void* g = NULL;
  if (posix_memalign(&g, 32, 48) != 0) return 3;
  ++tally.mallocs, ++tally.events;
  Born(g, 48);
  Free(NULL);  // not logged
  for (int i = 0; i < 8; ++i) keep[i] = Malloc(1u << (i + 4));
  for (int i = 0; i < 8; i += 2) Free(keep[i]);
  Realloc(d, 0);  // frees d
  Free(a);
  Free(b);
  Free(c);
  Free(e);
  Free(f);
  Free(g);
  // keep[1], keep[3], keep[5], keep[7] stay live past muntrace().
  muntrace();

  printf("events %llu\n", tally.events);
  printf("MALLOC %llu\n", tally.mallocs);
  printf("FREE %llu\n", tally.frees);
  printf("REALLOC %llu\n", tally.reallocs);
  printf("peak %llu\n", tally.peak_bytes);
  printf("live_blocks %llu\n", tally.live_blocks);
  printf("live_bytes %llu\n", tally.live_bytes);
  return 0;
}
