// The second way to use the allocator: //malloc as an ordinary dependency.
// Linking it in is enough for every malloc and new of the program, the C++
// runtime's included, to reach the buddy allocator.
#include <malloc.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace {

TEST(LinkedIn, MallocAndNewReachTheBuddyAllocator) {
  void* p = malloc(100);
  EXPECT_EQ(malloc_usable_size(p), 112u);  // the buddy allocator's 112-byte class
  free(p);
  auto* v = new std::vector<std::string>(100, std::string(300, 'x'));
  EXPECT_EQ(malloc_usable_size(v), 32u);  // sizeof(vector) = 24, class 32
  delete v;
}

}  // namespace
