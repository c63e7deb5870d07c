// Known call sites for the call-site reports' test: leak_ten leaks ten
// blocks of 1000 bytes, hold_the_peak holds 100 x 10000 bytes at once (the
// peak) then frees them, make_temporaries allocates and frees 1000 blocks of
// 64 bytes at once each. Built -fno-builtin -fno-inline: every call stays.
#include <stdio.h>
#include <stdlib.h>

void* g_leaked[10];

void* leak_one(size_t n) { return malloc(n); }

void leak_ten(void) {
  for (int i = 0; i < 10; ++i) g_leaked[i] = leak_one(1000);
}

void hold_the_peak(void) {
  void* held[100];
  for (int i = 0; i < 100; ++i) held[i] = malloc(10000);
  for (int i = 0; i < 100; ++i) free(held[i]);
}

void make_temporaries(void) {
  for (int i = 0; i < 1000; ++i) {
    char* p = malloc(64);
    p[0] = (char)i;
    free(p);
  }
}

int main(void) {
  leak_ten();
  hold_the_peak();
  make_temporaries();
  printf("done %p\n", g_leaked[9] != NULL ? (void*)1 : NULL);
  return 0;
}
