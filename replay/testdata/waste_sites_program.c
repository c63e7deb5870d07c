// Two call sites whose cost under any allocator is known in kind, for
// site_waste_test.sh. fill_dense allocates 64 blocks of 64 KiB and writes
// them: its pages are full. scatter_small allocates 16384 blocks of 64 bytes
// and frees 15 of every 16: the one kept in each KiB leaves its page about
// 94% empty, and the allocator cannot give those pages back. Everything stays
// live to the end.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { kDense = 64, kDenseBytes = 64 << 10, kSmall = 16384, kSmallBytes = 64, kKeepEvery = 16 };
static void* dense[kDense];
static void* small[kSmall];

__attribute__((noinline)) void fill_dense(void) {
  for (int i = 0; i < kDense; ++i) {
    dense[i] = malloc(kDenseBytes);
    memset(dense[i], 1, kDenseBytes);
  }
}

__attribute__((noinline)) void scatter_small(void) {
  for (int i = 0; i < kSmall; ++i) {
    small[i] = malloc(kSmallBytes);
    memset(small[i], 2, kSmallBytes);
  }
  for (int i = 0; i < kSmall; ++i) {
    if (i % kKeepEvery != 0) {
      free(small[i]);
      small[i] = NULL;
    }
  }
}

int main(void) {
  fill_dense();
  scatter_small();
  printf("done\n");
  return 0;
}
