// Small programs whose whole heap stays within a few MiB, where what counts
// is the allocator's fixed cost (first segment, thread cache, metadata)
// rather than its speed:
//   small_heap factor   trial-division factoring with a growing prime table
//   small_heap leaky    a loop that builds strings and leaks one in ten
//   small_heap simple   glibc's bench-malloc-simple pattern: fixed-size
//                       blocks (16..512 bytes) allocated and freed in bursts
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

uint64_t Factor() {
  std::vector<uint64_t> primes = {2};
  uint64_t sum = 0;
  for (uint64_t n = 3; n < 3000000; n += 2) {
    bool prime = true;
    for (uint64_t p : primes) {
      if (p * p > n) break;
      if (n % p == 0) {
        prime = false;
        sum += p;
        break;
      }
    }
    if (prime && primes.size() < 200000) primes.push_back(n);
  }
  return sum + primes.size();
}

uint64_t Leaky() {
  uint64_t sum = 0;
  for (int i = 0; i < 3000000; ++i) {
    const size_t n = 8 + i % 56;
    char* s = static_cast<char*>(std::malloc(n));
    if (s == nullptr) std::abort();
    std::memset(s, 'a' + i % 26, n - 1);
    s[n - 1] = '\0';
    sum += std::strlen(s);
    if (i % 10 != 0 || i > 600000) std::free(s);  // about 2.5 MiB leaked, early on
  }
  return sum;
}

uint64_t Simple() {
  uint64_t sum = 0;
  void* blocks[4096];
  for (size_t size = 16; size <= 512; size *= 2) {
    for (int round = 0; round < 400; ++round) {
      for (void*& b : blocks) {
        b = std::malloc(size);
        if (b == nullptr) std::abort();
        static_cast<char*>(b)[0] = 1;
      }
      for (void* b : blocks) {
        sum += static_cast<char*>(b)[0];
        std::free(b);
      }
    }
  }
  return sum;
}

}  // namespace

int main(int argc, char** argv) {
  const char* mode = argc == 2 ? argv[1] : "";
  uint64_t r;
  if (std::strcmp(mode, "factor") == 0) {
    r = Factor();
  } else if (std::strcmp(mode, "leaky") == 0) {
    r = Leaky();
  } else if (std::strcmp(mode, "simple") == 0) {
    r = Simple();
  } else {
    std::fprintf(stderr, "usage: small_heap factor|leaky|simple\n");
    return 2;
  }
  std::printf("%lu\n", static_cast<unsigned long>(r));
  return 0;
}
