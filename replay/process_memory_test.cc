#include "replay/process_memory.h"

#include <sys/mman.h>
#include <unistd.h>

#include "gtest/gtest.h"

namespace alloclab::replay {
namespace {

TEST(PageResidency, AgreesWithMincorePageByPageAndOverRuns) {
  const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  constexpr int kPages = 16;
  char* p = static_cast<char*>(MapLazily(kPages * page));
  ASSERT_NE(p, nullptr);
  for (int i : {0, 3, 4, 15}) p[i * page] = 1;
  PageResidency residency;
  for (int i = 0; i < kPages; ++i) {
    const uint64_t a = reinterpret_cast<uint64_t>(p) + i * page;
    EXPECT_EQ(residency.Count(a, 1), ResidentBytes(p + i * page, page) / page) << i;
  }
  EXPECT_EQ(residency.Count(reinterpret_cast<uint64_t>(p), kPages), 4u);
  // A page touched after the window was read shows once the window is reset.
  p[7 * page] = 1;
  residency.Reset();
  EXPECT_EQ(residency.Count(reinterpret_cast<uint64_t>(p) + 7 * page, 1), 1u);
  // The window shrinks where the mapping ends: the last page still reads.
  EXPECT_EQ(residency.Count(reinterpret_cast<uint64_t>(p) + 15 * page, 1), 1u);
  munmap(p, kPages * page);
}

}  // namespace
}  // namespace alloclab::replay
