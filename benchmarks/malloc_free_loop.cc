// A pure malloc/free loop: each iteration allocates a block of one of a few
// sizes, writes its first byte, and frees the block allocated 16 iterations
// earlier (a small live set, as in a busy request loop). What the tracer adds
// per event is measured on this: it is nearly all tracer.
//   malloc_free_loop [iterations]     (default 20000000; 2 events each)
#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
  const long n = argc > 1 ? std::atol(argv[1]) : 20000000;
  if (n <= 0) {
    std::fprintf(stderr, "usage: malloc_free_loop [iterations > 0]\n");
    return 2;
  }
  static const size_t kSizes[] = {16, 32, 24, 64, 48, 128, 32, 256};
  void* live[16] = {};
  unsigned long sum = 0;
  for (long i = 0; i < n; ++i) {
    char* p = static_cast<char*>(std::malloc(kSizes[i & 7]));
    p[0] = static_cast<char>(i);
    sum += static_cast<unsigned char>(p[0]);
    std::free(live[i & 15]);
    live[i & 15] = p;
  }
  for (void* p : live) std::free(p);
  std::printf("%lu\n", sum);
  return 0;
}
